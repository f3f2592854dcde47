from biodl.cli import run_step
from biodl.interpret.runs import find_motifs_run

settings = snakemake.params.settings
run_step(
    snakemake,
    find_motifs_run,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    unit=snakemake.wildcards.unit,
    items=settings["items"],
    ism_items=settings["ism_items"],
    steps=settings["steps"],
    seed=settings["seed"],
    tax_group=settings["tax_group"],
)
