from biodl.cli import run_step
from biodl.runs import predict_run

run_step(
    snakemake.log[0],
    predict_run,
    files={key: value for key, value in snakemake.input.items()},
    model_path=snakemake.input.model,
    predictions_path=snakemake.output.predictions,
    unit=snakemake.wildcards.unit,
    threads=snakemake.threads,
    **snakemake.params.arguments,
)
