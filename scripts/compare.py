from biodl.cli import run_step
from biodl.evaluate.compare import compare_dataset

run_step(
    snakemake,
    compare_dataset,
    files={key: value for key, value in snakemake.input.items()},
    outputs=dict(snakemake.output.items()),
    task=snakemake.params.task,
    baselines=snakemake.params.baselines,
    controls=snakemake.params.controls,
    seed=snakemake.params.seed,
    resamples=snakemake.params.resamples,
    tuned=snakemake.params.tuned,
)
