from biodl.apply.variants import score_variants
from biodl.cli import run_step

settings = snakemake.params.settings
run_step(
    snakemake,
    score_variants,
    vcf=snakemake.input.vcf,
    genome=snakemake.input.genome,
    bundles=snakemake.params.bundles,
    outputs=dict(snakemake.output.items()),
    ref_mismatch=settings["ref_mismatch"],
    reverse_complement=settings["reverse_complement"],
    ism_flank=settings["ism_flank"],
)
