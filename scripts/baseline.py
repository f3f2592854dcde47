from biodl.baselines.runs import baseline_run
from biodl.cli import run_step

run_step(
    snakemake,
    baseline_run,
    files={key: value for key, value in snakemake.input.items()},
    outputs=dict(snakemake.output.items()),
    unit=snakemake.wildcards.unit,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
