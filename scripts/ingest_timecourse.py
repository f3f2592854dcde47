from biodl.cli import run_step
from biodl.data.ingest import ingest_timecourse

run_step(
    snakemake,
    ingest_timecourse,
    values=snakemake.input["values"],
    series=snakemake.input.get("series"),
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
