from biodl.cli import run_step
from biodl.data.split import write_homology

run_step(
    snakemake,
    write_homology,
    index_path=snakemake.input.ids,
    tokens_path=snakemake.input.tokens,
    homology_path=snakemake.output.homology,
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
