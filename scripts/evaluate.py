from biodl.cli import run_step
from biodl.evaluate import evaluate_run

run_step(
    snakemake.log[0],
    evaluate_run,
    predictions=snakemake.input.predictions,
    metrics=snakemake.output.metrics,
    task=snakemake.params.task,
    seed=snakemake.params.seed,
    resamples=snakemake.params.resamples,
)
