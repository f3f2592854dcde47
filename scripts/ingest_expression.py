from biodl.cli import run_step
from biodl.data.ingest import ingest_expression

run_step(
    snakemake,
    ingest_expression,
    matrix=snakemake.input.matrix,
    samples=snakemake.input.get("samples"),
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
