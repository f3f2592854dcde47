from biodl.cli import run_step
from biodl.search.runs import best_run

run_step(
    snakemake,
    best_run,
    scores=list(snakemake.input.scores),
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
