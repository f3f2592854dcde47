from biodl.cli import run_step
from biodl.evaluate.metrics import evaluate_runs

run_step(
    snakemake,
    evaluate_runs,
    predictions=list(snakemake.input.predictions),
    metrics=list(snakemake.output.metrics),
    task=snakemake.params.task,
    seed=snakemake.params.seed,
    resamples=snakemake.params.resamples,
)
