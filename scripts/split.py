from biodl.cli import run_step
from biodl.data.split import write_split

run_step(
    snakemake,
    write_split,
    index_path=snakemake.input.ids,
    tokens_path=snakemake.input.get("tokens"),
    times_path=snakemake.input.get("times"),
    homology_path=snakemake.input.get("homology"),
    matrix_path=snakemake.input.get("matrix"),
    threads=snakemake.threads,
    split_path=snakemake.output.split,
    balance_path=snakemake.output.balance,
    report_path=snakemake.output.report,
    **snakemake.params.arguments,
)
