from biodl.cli import run_step
from biodl.generative.plots import plot_generative

run_step(
    snakemake,
    plot_generative,
    figures=dict(snakemake.output.items()),
    files=dict(snakemake.input.items()),
    label_column=snakemake.params.label_column,
    **snakemake.params.arguments,
)
