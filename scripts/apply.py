from pathlib import Path

from biodl.apply.predictions import apply_bundle
from biodl.cli import run_step

run_step(
    snakemake,
    apply_bundle,
    bundle=Path(snakemake.input.bundle).parent,
    input_path=snakemake.input.input,
    output=snakemake.output.predictions,
    labels=snakemake.input.get("labels"),
    fill_missing_genes=snakemake.params.fill_missing_genes,
)
