from biodl.check import summarise_inputs
from biodl.cli import run_step

run_step(
    snakemake,
    summarise_inputs,
    datasets=snakemake.params.datasets,
    homology=snakemake.params.homology,
    output=snakemake.output[0],
)
