from biodl.cli import run_step
from biodl.train.runs import train_run

run_step(
    snakemake,
    train_run,
    files={key: value for key, value in snakemake.input.items()},
    outputs=dict(snakemake.output.items()),
    unit=snakemake.wildcards.unit,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
