"""One evaluation for every prediction file, and the comparison of all runs of a dataset."""


rule evaluate:
    input:
        predictions=layout.run()["predictions"],
    output:
        metrics=layout.run()["metrics"],
    log:
        "logs/{dataset}/{model}/{unit}-s{seed}.evaluate.log",
    benchmark:
        "logs/bench/{dataset}/{model}/{unit}-s{seed}.evaluate.tsv"
    wildcard_constraints:
        model=f"{layout.model_pattern()}|{layout.baseline_pattern()}",
        unit=UNIT_PATTERN,
        seed=r"\d+",
    conda:
        "../envs/evaluate.yaml"
    threads: resource("evaluate", "threads")
    resources:
        mem_mb=resource("evaluate", "mem_mb"),
        runtime=resource("evaluate", "runtime"),
    params:
        task=lambda wildcards: dataset_config(wildcards)["task"],
        seed=config["evaluation"]["seed"],
        resamples=config["evaluation"]["resamples"],
    script:
        "../scripts/evaluate.py"


rule compare:
    input:
        unpack(compare_inputs),
    output:
        metrics=layout.compare()["metrics"],
        summary=report(
            layout.compare()["summary"],
            caption="../report/summary.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "table": "mean ± sd per model"},
        ),
        paired=report(
            layout.compare()["paired"],
            caption="../report/paired.rst",
            category="Comparison",
            labels={"dataset": "{dataset}", "table": "paired tests"},
        ),
    log:
        "logs/{dataset}/compare.log",
    benchmark:
        "logs/bench/{dataset}/compare.tsv"
    conda:
        "../envs/evaluate.yaml"
    threads: resource("compare", "threads")
    resources:
        mem_mb=resource("compare", "mem_mb"),
        runtime=resource("compare", "runtime"),
    params:
        task=lambda wildcards: dataset_config(wildcards)["task"],
        baselines=lambda wildcards: layout.baselines_for(wildcards.dataset),
        controls=lambda wildcards: layout.controls_for(wildcards.dataset),
        seed=config["evaluation"]["seed"],
        resamples=config["evaluation"]["paired_resamples"],
    script:
        "../scripts/compare.py"


# One plotting job per dataset draws all of its figures; the figures depend on the
# task, so there is one rule per task of the config (plot_binary, plot_forecasting, ...).
for task, names in layout.figure_names_by_task().items():

    rule:
        name:
            f"plot_{task}"
        input:
            unpack(plot_inputs),
        output:
            **{
                name: report(
                    layout.figure(name=name),
                    caption=f"../report/figures/{name}.rst",
                    category="Figures",
                    subcategory="{dataset}",
                    labels={"dataset": "{dataset}", "figure": name},
                )
                for name in names
            },
        log:
            "logs/{dataset}/plot.log",
        benchmark:
            "logs/bench/{dataset}/plot.tsv"
        wildcard_constraints:
            dataset=layout.pattern_for(task=task),
        conda:
            "../envs/evaluate.yaml"
        threads: resource("compare", "threads")
        resources:
            mem_mb=resource("compare", "mem_mb"),
            runtime=resource("compare", "runtime"),
        params:
            task=task,
            baselines=lambda wildcards: layout.baselines_for(wildcards.dataset),
            controls=lambda wildcards: layout.controls_for(wildcards.dataset),
        script:
            "../scripts/plot.py"
