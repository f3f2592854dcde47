from biodl.cli import run_step
from biodl.data.features import write_expression_features

run_step(
    snakemake,
    write_expression_features,
    matrix_path=snakemake.input.matrix,
    genes_path=snakemake.input.genes,
    index_path=snakemake.input.ids,
    split_path=snakemake.input.split,
    unit=snakemake.wildcards.unit,
    features_path=snakemake.output.features,
    genes_out=snakemake.output.genes,
    params_path=snakemake.output.params,
    settings=snakemake.params.settings,
)
