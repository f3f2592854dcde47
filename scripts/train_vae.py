from biodl.cli import run_step
from biodl.generative.runs import train_vae_run

files = dict(snakemake.input.items())
run_step(
    snakemake,
    train_vae_run,
    inputs=files.get("tokens") or files["features"],
    ids=files["ids"],
    split=files["split"],
    unit=snakemake.wildcards.unit,
    seed=int(snakemake.wildcards.seed),
    threads=snakemake.threads,
    outputs=dict(snakemake.output.items()),
    counts=files.get("counts"),
    genes=files.get("genes"),
    **snakemake.params.arguments,
)
