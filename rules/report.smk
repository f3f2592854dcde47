"""The self-contained HTML report of every dataset."""


rule report:
    input:
        unpack(report_inputs),
    output:
        html=layout.report(),
    log:
        layout.workflow_log("report"),
    benchmark:
        layout.workflow_bench("report")
    conda:
        "../envs/report.yaml"
    threads: resource("report", "threads")
    resources:
        mem_mb=resource("report", "mem_mb"),
        runtime=resource("report", "runtime"),
    params:
        tasks={name: settings["task"] for name, settings in config["datasets"].items()},
        kinds={name: settings["kind"] for name, settings in config["datasets"].items()},
        config=config,
    script:
        "../scripts/report.py"
