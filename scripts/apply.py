from biodl.apply.predictions import apply_bundle
from biodl.cli import run_step

run_step(
    snakemake,
    apply_bundle,
    bundle=snakemake.params.bundles,
    input_path=snakemake.input.input,
    output=snakemake.output.predictions,
    labels=snakemake.input.get("labels"),
    fill_missing_genes=snakemake.params.settings["fill_missing_genes"],
    reverse_complement_average=snakemake.params.settings["reverse_complement"],
)
