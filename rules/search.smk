"""Hyper-parameter search (Optuna) as jobs: a round of trials is proposed from the rounds before it,
its trials train in parallel on the training partition and are scored on validation, and the best
trial's settings train the model <name>_tuned (rules/train.smk) for every seed."""


rule search_propose:
    input:
        scores=lambda wildcards: layout.round_scores(
            wildcards.dataset, wildcards.model, wildcards.unit, int(wildcards.round)
        ),
    output:
        layout.search_round("{dataset}", "{model}", "{unit}", "{round}"),
    log:
        layout.search_log("round{round}"),
    benchmark:
        layout.search_bench("round{round}")
    wildcard_constraints:
        model=layout.searched_pattern(),
        unit=UNIT_PATTERN,
        round=r"\d+",
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=resource("search", "mem_mb"),
        runtime=resource("search", "runtime"),
    params:
        arguments=lambda wildcards: search_arguments(
            config, wildcards.dataset, wildcards.model, wildcards.unit
        ),
    script:
        "../scripts/search_propose.py"


rule search_trial:
    input:
        unpack(trial_inputs),
    output:
        **layout.search_trial(),
    log:
        layout.search_log("trial{number}"),
    benchmark:
        layout.search_bench("trial{number}")
    wildcard_constraints:
        model=layout.searched_pattern(),
        unit=UNIT_PATTERN,
        number=r"\d+",
    conda:
        TRAIN_ENV
    threads: lambda wildcards: model_resources(config, wildcards.model)["threads"]
    resources:
        mem_mb=lambda wildcards: model_resources(config, wildcards.model)["mem_mb"],
        runtime=lambda wildcards: model_resources(config, wildcards.model)["runtime"],
        gpu=lambda wildcards: model_resources(config, wildcards.model)["gpu"],
    params:
        arguments=lambda wildcards: trial_arguments(
            config, wildcards.dataset, wildcards.model, wildcards.unit
        ),
    script:
        "../scripts/search_trial.py"


rule search_best:
    input:
        scores=lambda wildcards: layout.all_scores(
            wildcards.dataset, wildcards.model, wildcards.unit
        ),
    output:
        best=layout.search()["best"],
        trials=report(
            layout.search()["trials"],
            caption="../report/search_trials.rst",
            category="Tuning",
            subcategory="{dataset}",
            labels={"model": "{model}", "unit": "{unit}", "table": "trials"},
        ),
        importance=layout.search()["importance"],
        figure=report(
            layout.search()["figure"],
            caption="../report/search_figure.rst",
            category="Tuning",
            subcategory="{dataset}",
            labels={"model": "{model}", "unit": "{unit}", "figure": "trials"},
        ),
    log:
        layout.search_log("best"),
    benchmark:
        layout.search_bench("best")
    wildcard_constraints:
        model=layout.searched_pattern(),
        unit=UNIT_PATTERN,
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=resource("search", "mem_mb"),
        runtime=resource("search", "runtime"),
    params:
        arguments=lambda wildcards: best_arguments(
            config, wildcards.dataset, wildcards.model, wildcards.unit
        ),
    script:
        "../scripts/search_best.py"
