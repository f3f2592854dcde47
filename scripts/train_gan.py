from biodl.cli import run_step
from biodl.generative.runs import train_gan_run

run_step(
    snakemake,
    train_gan_run,
    tokens=snakemake.input.tokens,
    ids=snakemake.input.ids,
    split=snakemake.input.split,
    unit=snakemake.wildcards.unit,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
