"""Supervised training of every model family (with its test predictions), and the baselines."""


rule train:
    input:
        unpack(model_training_inputs),
    output:
        model=layout.run()["model"],
        history=report(
            layout.run()["history"],
            caption="../report/history.rst",
            category="Training",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "model": "{model}",
                "run": "{unit}-s{seed}",
            },
        ),
        run=layout.run()["run"],
        predictions=layout.run()["predictions"],
    log:
        layout.run_log("train"),
    benchmark:
        layout.run_bench("train")
    wildcard_constraints:
        model=layout.model_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",
    conda:
        TRAIN_ENV
    threads: lambda wildcards: model_resources(config, wildcards.model)["threads"]
    resources:
        mem_mb=lambda wildcards: model_resources(config, wildcards.model)["mem_mb"],
        runtime=lambda wildcards: model_resources(config, wildcards.model)["runtime"],
        gpu=lambda wildcards: model_resources(config, wildcards.model)["gpu"],
    params:
        arguments=lambda wildcards: training_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/train.py"


rule baseline:
    input:
        unpack(training_inputs),
    output:
        predictions=layout.run()["predictions"],
        estimator=layout.run()["estimator"],
        run=layout.run()["run"],
    log:
        layout.run_log("baseline"),
    benchmark:
        layout.run_bench("baseline")
    wildcard_constraints:
        model=layout.baseline_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",
    conda:
        "../envs/train.yaml"
    threads: resource("baseline", "threads")
    resources:
        mem_mb=resource("baseline", "mem_mb"),
        runtime=resource("baseline", "runtime"),
    params:
        arguments=lambda wildcards: baseline_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/baseline.py"
