from biodl.cli import run_step
from biodl.data.intervals import ingest_intervals

inputs = dict(snakemake.input.items())
regions = {name.removeprefix("region_"): path for name, path in inputs.items() if name.startswith("region_")}
tracks = {name.removeprefix("track_"): path for name, path in inputs.items() if name.startswith("track_")}
run_step(
    snakemake,
    ingest_intervals,
    genome=snakemake.input.genome,
    regions=regions,
    tracks=tracks,
    outputs=dict(snakemake.output.items()),
    **snakemake.params.arguments,
)
