from biodl.cli import run_step
from biodl.data.ingest import ingest_sequences

run_step(
    snakemake,
    ingest_sequences,
    fasta=snakemake.input.fasta,
    labels=snakemake.input.get("labels"),
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
