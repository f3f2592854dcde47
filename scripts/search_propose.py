from biodl.cli import run_step
from biodl.search.runs import propose_run

run_step(
    snakemake,
    propose_run,
    round_index=int(snakemake.wildcards.round),
    scores=list(snakemake.input.scores),
    output=snakemake.output[0],
    **snakemake.params.arguments,
)
