from biodl.cli import run_step
from biodl.generative.runs import sample_run

run_step(
    snakemake,
    sample_run,
    model=snakemake.input.model,
    fasta=snakemake.output.fasta,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
