from biodl.cli import run_step
from biodl.data.features import write_timecourse_features

run_step(
    snakemake,
    write_timecourse_features,
    values_path=snakemake.input["values"],
    index_path=snakemake.input.ids,
    times_path=snakemake.input.times,
    split_path=snakemake.input.split,
    unit=snakemake.wildcards.unit,
    features_path=snakemake.output["values"],
    params_path=snakemake.output.params,
    split_by=snakemake.params.split_by,
)
