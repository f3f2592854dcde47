from biodl.cli import run_step
from biodl.interpret.runs import rank_genes_run

settings = snakemake.params.settings
run_step(
    snakemake,
    rank_genes_run,
    files=dict(snakemake.input.items()),
    outputs=dict(snakemake.output.items()),
    model=snakemake.wildcards.model,
    unit=snakemake.wildcards.unit,
    baselines=snakemake.params.baselines,
    items=settings["items"],
    steps=settings["steps"],
    seed=settings["seed"],
    top_genes=settings["top_genes"],
    repeats=settings["repeats"],
)
