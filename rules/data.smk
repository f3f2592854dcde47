"""Data stages: ingest and validate, split without leakage, normalise per split unit."""


rule ingest_sequences:
    input:
        unpack(sequence_inputs),
    output:
        **layout.ingest("sequences"),
    log:
        layout.log("ingest"),
    benchmark:
        layout.bench("ingest")
    wildcard_constraints:
        dataset=layout.pattern_for(
            "sequences", exclude_task="per_position", intervals=False
        ),
    conda:
        "../envs/data.yaml"
    threads: resource("ingest", "threads")
    resources:
        mem_mb=resource("ingest", "mem_mb"),
        runtime=resource("ingest", "runtime"),
    params:
        arguments=lambda wildcards: ingest_arguments(dataset_config(wildcards)),
    script:
        "../scripts/ingest_sequences.py"


use rule ingest_sequences as ingest_per_position_sequences with:
    output:
        **layout.ingest("sequences", per_position=True),
    wildcard_constraints:
        dataset=layout.pattern_for("sequences", task="per_position"),


rule ingest_intervals:
    input:
        unpack(interval_inputs),
    output:
        **layout.ingest("sequences"),
    log:
        layout.log("ingest"),
    benchmark:
        layout.bench("ingest")
    wildcard_constraints:
        dataset=layout.pattern_for("sequences", intervals=True),
    conda:
        "../envs/data.yaml"
    threads: resource("ingest", "threads")
    resources:
        mem_mb=resource("ingest", "mem_mb"),
        runtime=resource("ingest", "runtime"),
    params:
        arguments=lambda wildcards: ingest_arguments(dataset_config(wildcards)),
    script:
        "../scripts/ingest_intervals.py"


rule ingest_expression:
    input:
        unpack(expression_inputs),
    output:
        **layout.ingest("expression"),
    log:
        layout.log("ingest"),
    benchmark:
        layout.bench("ingest")
    wildcard_constraints:
        dataset=layout.pattern_for("expression"),
    conda:
        "../envs/data.yaml"
    threads: resource("ingest", "threads")
    resources:
        mem_mb=resource("ingest", "mem_mb"),
        runtime=resource("ingest", "runtime"),
    params:
        arguments=lambda wildcards: ingest_arguments(dataset_config(wildcards)),
    script:
        "../scripts/ingest_expression.py"


rule ingest_timecourse:
    input:
        unpack(timecourse_inputs),
    output:
        **layout.ingest("timecourse"),
    log:
        layout.log("ingest"),
    benchmark:
        layout.bench("ingest")
    wildcard_constraints:
        dataset=layout.pattern_for("timecourse"),
    conda:
        "../envs/data.yaml"
    threads: resource("ingest", "threads")
    resources:
        mem_mb=resource("ingest", "mem_mb"),
        runtime=resource("ingest", "runtime"),
    params:
        arguments=lambda wildcards: ingest_arguments(dataset_config(wildcards)),
    script:
        "../scripts/ingest_timecourse.py"


rule homology:
    input:
        unpack(homology_inputs),
    output:
        homology=layout.homology(),
    log:
        layout.log("homology"),
    benchmark:
        layout.bench("homology")
    wildcard_constraints:
        dataset=layout.pattern_for("sequences"),
    conda:
        "../envs/data.yaml"
    threads: resource("homology", "threads")
    resources:
        mem_mb=resource("homology", "mem_mb"),
        runtime=resource("homology", "runtime"),
    params:
        arguments=lambda wildcards: homology_arguments(dataset_config(wildcards)),
    script:
        "../scripts/homology.py"


rule split:
    input:
        unpack(split_inputs),
    output:
        split=layout.split()["split"],
        balance=report(
            layout.split()["balance"],
            caption="../report/split_balance.rst",
            category="Data",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "split balance"},
        ),
        report=layout.split()["report"],
    log:
        layout.log("split"),
    benchmark:
        layout.bench("split")
    conda:
        "../envs/data.yaml"
    threads: resource("split", "threads")
    resources:
        mem_mb=resource("split", "mem_mb"),
        runtime=resource("split", "runtime"),
    params:
        arguments=lambda wildcards: split_arguments(dataset_config(wildcards)),
    script:
        "../scripts/split.py"


rule features_expression:
    input:
        matrix=layout.ingest("expression")["matrix"],
        genes=layout.ingest("expression")["genes"],
        ids=layout.ingest("expression")["ids"],
        split=layout.split()["split"],
    output:
        **layout.features("expression"),
    log:
        layout.log("features", unit="{unit}"),
    benchmark:
        layout.bench("features", unit="{unit}")
    wildcard_constraints:
        dataset=layout.pattern_for("expression"),
    conda:
        "../envs/data.yaml"
    threads: resource("features", "threads")
    resources:
        mem_mb=resource("features", "mem_mb"),
        runtime=resource("features", "runtime"),
    params:
        settings=lambda wildcards: dataset_config(wildcards)["normalise"],
    script:
        "../scripts/features_expression.py"


rule features_timecourse:
    input:
        values=layout.ingest("timecourse")["values"],
        ids=layout.ingest("timecourse")["ids"],
        times=layout.ingest("timecourse")["times"],
        split=layout.split()["split"],
    output:
        **layout.features("timecourse"),
    log:
        layout.log("features", unit="{unit}"),
    benchmark:
        layout.bench("features", unit="{unit}")
    wildcard_constraints:
        dataset=layout.pattern_for("timecourse"),
    conda:
        "../envs/data.yaml"
    threads: resource("features", "threads")
    resources:
        mem_mb=resource("features", "mem_mb"),
        runtime=resource("features", "runtime"),
    params:
        split_by=lambda wildcards: dataset_config(wildcards)["split"]["by"],
    script:
        "../scripts/features_timecourse.py"


rule check_inputs:
    input:
        [path for files in layout.check_inputs().values() for path in files.values()],
    output:
        layout.check(),
    log:
        layout.workflow_log("check"),
    benchmark:
        layout.workflow_bench("check")
    conda:
        "../envs/data.yaml"
    threads: resource("ingest", "threads")
    resources:
        mem_mb=resource("ingest", "mem_mb"),
        runtime=resource("ingest", "runtime"),
    params:
        datasets=layout.check_inputs(),
        homology={name: layout.has_homology(name) for name in config["datasets"]},
    script:
        "../scripts/check_inputs.py"
