from biodl.cli import run_step
from biodl.evaluate.report import write_report

run_step(
    snakemake,
    write_report,
    path=snakemake.output.html,
    files={key: value for key, value in snakemake.input.items()},
    tasks=snakemake.params.tasks,
    config=snakemake.params.config,
    kinds=snakemake.params.kinds,
)
