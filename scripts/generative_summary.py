from biodl.cli import run_step
from biodl.generative.metrics import summarise_runs

run_step(
    snakemake,
    summarise_runs,
    files=dict(snakemake.input.items()),
    output=snakemake.output.summary,
)
