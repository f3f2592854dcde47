"""One evaluation job per dataset for every prediction file, and the comparison of all runs of a dataset."""

# One evaluation job per dataset scores the test predictions of every run (models and
# baselines): scoring a run takes about as long as starting Python, so a job per run would
# spend half its time starting, and a large config would plan thousands of jobs more.
for dataset in layout.evaluated_datasets():
    evaluation = layout.evaluation(dataset)

    rule:
        name:
            f"evaluate_{dataset}"
        input:
            predictions=evaluation["predictions"],
        output:
            metrics=evaluation["metrics"],
        log:
            layout.log("evaluate", dataset),
        benchmark:
            layout.bench("evaluate", dataset)
        conda:
            "../envs/evaluate.yaml"
        threads: resource("evaluate", "threads")
        resources:
            mem_mb=resource("evaluate", "mem_mb"),
            runtime=resource("evaluate", "runtime"),
        params:
            task=config["datasets"][dataset]["task"],
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
        tuned=layout.compare()["tuned"],
    log:
        layout.log("compare"),
    benchmark:
        layout.bench("compare")
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
        tuned=lambda wildcards: layout.tuned_models(wildcards.dataset),
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
            layout.log("plot"),
        benchmark:
            layout.bench("plot")
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
