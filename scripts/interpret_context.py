from biodl.cli import run_step
from biodl.interpret.runs import context_run

settings = snakemake.params.settings
run_step(
    snakemake,
    context_run,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    unit=snakemake.wildcards.unit,
    items=settings["items"],
    steps=settings["steps"],
    seed=settings["seed"],
)
