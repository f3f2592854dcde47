from biodl.cli import run_step
from biodl.data.check import summarise_inputs

run_step(
    snakemake,
    summarise_inputs,
    datasets=snakemake.params.datasets,
    homology=snakemake.params.homology,
    output=snakemake.output[0],
)
