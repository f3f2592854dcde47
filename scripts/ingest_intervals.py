from biodl.cli import run_step
from biodl.data.intervals import ingest_intervals

regions = {name.removeprefix("region_"): path for name, path in snakemake.input.items() if name != "genome"}
run_step(
    snakemake,
    ingest_intervals,
    genome=snakemake.input.genome,
    regions=regions,
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
