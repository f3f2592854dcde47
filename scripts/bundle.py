from biodl.apply.bundle import write_bundle
from biodl.cli import run_step

run_step(
    snakemake,
    write_bundle,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    run_key={
        "dataset": snakemake.wildcards.dataset,
        "model": snakemake.wildcards.model,
        "unit": snakemake.wildcards.unit,
        "seed": int(snakemake.wildcards.seed),
    },
)
