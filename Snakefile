"""biodl: deep learning on biological sequences, expression matrices and time courses."""

# The bundled demo, unless a config is named: `--configfile config/real/splice.yaml` runs
# that config alone (Snakemake would otherwise merge its datasets into the demo's).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/search.smk"
include: "rules/generative.smk"
include: "rules/evaluate.smk"
include: "rules/report.smk"
include: "rules/apply.smk"
include: "rules/interpret.smk"


# A failed run ends with each failed job's one-line biodl error (its log holds the details).
onerror:
    print_failures(log)


rule all:
    default_target: True
    input:
        all_data_outputs(),
        all_training_outputs(),
        layout.search_targets(),
        all_comparison_outputs(),
        all_figures(),
        layout.generative_targets(),
        layout.bundle_targets(),
        layout.apply_targets(),
        layout.variant_targets(),
        layout.interpret_targets(),
        layout.report(),


# `snakemake check`: validate the config and every input file, print a summary per dataset.
rule check:
    input:
        layout.check(),
    log:
        layout.workflow_log("check.print"),
    localrule: True
    conda:
        "envs/data.yaml"
    shell:
        "tee {log} < {input}"


rule data:
    input:
        all_data_outputs(),
