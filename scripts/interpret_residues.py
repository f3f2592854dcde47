from biodl.cli import run_step
from biodl.interpret.runs import residues_run

settings = snakemake.params.settings
run_step(
    snakemake,
    residues_run,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    unit=snakemake.wildcards.unit,
    items=settings["items"],
    ism_items=settings["ism_items"],
    steps=settings["steps"],
    seed=settings["seed"],
    window=settings["window"],
    top_windows=settings["top_windows"],
)
