from biodl.cli import run_step
from biodl.search.runs import trial_run

run_step(
    snakemake,
    trial_run,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    number=int(snakemake.wildcards.number),
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
