from biodl.cli import run_step
from biodl.evaluate.plots import plot_dataset

run_step(
    snakemake,
    plot_dataset,
    files={key: value for key, value in snakemake.input.items()},
    figures=dict(snakemake.output.items()),
    task=snakemake.params.task,
    baselines=snakemake.params.baselines,
    controls=snakemake.params.controls,
)
