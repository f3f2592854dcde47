from biodl.cli import run_step
from biodl.generative_plots import plot_generative

run_step(
    snakemake.log[0],
    plot_generative,
    figure=snakemake.wildcards.figure,
    files=dict(snakemake.input.items()),
    path=snakemake.output.figure,
    label_column=snakemake.params.label_column,
    **snakemake.params.arguments,
)
