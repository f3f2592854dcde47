"""Generative models: a WGAN-GP and VAEs, their samples, and the metrics that judge them."""

GENERATIVE_WILDCARDS = {"unit": UNIT_PATTERN, "seed": r"\d+"}


rule train_gan:
    input:
        unpack(generative_data),
    output:
        model=layout.generative_run()["model"],
        history=report(
            layout.generative_run()["history"],
            caption="../report/history.rst",
            category="Generative models",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "model": "{model}",
                "run": "{unit}-s{seed}",
            },
        ),
        run=layout.generative_run()["run"],
    log:
        layout.run_log("train_gan"),
    benchmark:
        layout.run_bench("train_gan")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="sequences"),
        model=layout.generative_pattern("gan"),
    conda:
        GENERATIVE_ENV
    threads: lambda wildcards: model_resources(config, wildcards.model)["threads"]
    resources:
        mem_mb=lambda wildcards: model_resources(config, wildcards.model)["mem_mb"],
        runtime=lambda wildcards: model_resources(config, wildcards.model)["runtime"],
        gpu=lambda wildcards: model_resources(config, wildcards.model)["gpu"],
    params:
        arguments=lambda wildcards: gan_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/train_gan.py"


rule train_sequence_vae:
    input:
        unpack(generative_data),
    output:
        model=layout.generative_run()["model"],
        history=layout.generative_run()["history"],
        run=layout.generative_run()["run"],
        latent=layout.generative_run()["latent"],
        reconstruction=layout.generative_run()["reconstruction"],
    log:
        layout.run_log("train_vae"),
    benchmark:
        layout.run_bench("train_vae")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="sequences"),
        model=layout.generative_pattern("vae"),
    conda:
        GENERATIVE_ENV
    threads: lambda wildcards: model_resources(config, wildcards.model)["threads"]
    resources:
        mem_mb=lambda wildcards: model_resources(config, wildcards.model)["mem_mb"],
        runtime=lambda wildcards: model_resources(config, wildcards.model)["runtime"],
        gpu=lambda wildcards: model_resources(config, wildcards.model)["gpu"],
    params:
        arguments=lambda wildcards: vae_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/train_vae.py"


rule train_expression_vae:
    input:
        unpack(generative_data),
    output:
        model=layout.generative_run()["model"],
        history=layout.generative_run()["history"],
        run=layout.generative_run()["run"],
        latent=report(
            layout.generative_run()["latent"],
            caption="../report/latent.rst",
            category="Generative models",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "model": "{model}",
                "run": "{unit}-s{seed}",
            },
        ),
        reconstruction=layout.generative_run()["reconstruction"],
        samples=layout.generative_run()["profiles"],
    log:
        layout.run_log("train_vae"),
    benchmark:
        layout.run_bench("train_vae")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="expression"),
        model=layout.generative_pattern("vae"),
    conda:
        GENERATIVE_ENV
    threads: lambda wildcards: model_resources(config, wildcards.model)["threads"]
    resources:
        mem_mb=lambda wildcards: model_resources(config, wildcards.model)["mem_mb"],
        runtime=lambda wildcards: model_resources(config, wildcards.model)["runtime"],
        gpu=lambda wildcards: model_resources(config, wildcards.model)["gpu"],
    params:
        arguments=lambda wildcards: vae_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/train_vae.py"


rule sample:
    input:
        model=layout.generative_run()["model"],
    output:
        fasta=report(
            layout.generative_run()["sequences"],
            caption="../report/samples.rst",
            category="Generative models",
            subcategory="{dataset}",
            labels={
                "dataset": "{dataset}",
                "model": "{model}",
                "run": "{unit}-s{seed}",
            },
        ),
    log:
        layout.run_log("sample"),
    benchmark:
        layout.run_bench("sample")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="sequences"),
        model=layout.generative_pattern(),
    conda:
        "../envs/generative.yaml"
    threads: resource("sample", "threads")
    resources:
        mem_mb=resource("sample", "mem_mb"),
        runtime=resource("sample", "runtime"),
    params:
        arguments=lambda wildcards: sample_arguments(
            config, wildcards.dataset, wildcards.model
        ),
    script:
        "../scripts/sample.py"


rule evaluate_generated:
    input:
        unpack(generated_inputs),
    output:
        metrics=layout.generative_run()["metrics"],
    log:
        layout.run_log("evaluate_generated"),
    benchmark:
        layout.run_bench("evaluate_generated")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="sequences"),
        model=layout.generative_pattern(),
    conda:
        "../envs/generative.yaml"
    threads: resource("evaluate", "threads")
    resources:
        mem_mb=resource("evaluate", "mem_mb"),
        runtime=resource("evaluate", "runtime"),
    params:
        arguments=lambda wildcards: generated_arguments(config, wildcards.dataset),
        class_name=classifier_class,
        seed=config["evaluation"]["seed"],
    script:
        "../scripts/evaluate_generated.py"


rule evaluate_vae:
    input:
        unpack(generative_data),
        latent=layout.generative_run()["latent"],
        reconstruction=layout.generative_run()["reconstruction"],
    output:
        metrics=layout.generative_run()["metrics"],
    log:
        layout.run_log("evaluate_vae"),
    benchmark:
        layout.run_bench("evaluate_vae")
    wildcard_constraints:
        **GENERATIVE_WILDCARDS,
        dataset=layout.pattern_for(kind="expression"),
        model=layout.generative_pattern("vae"),
    conda:
        "../envs/generative.yaml"
    threads: resource("evaluate", "threads")
    resources:
        mem_mb=resource("evaluate", "mem_mb"),
        runtime=resource("evaluate", "runtime"),
    params:
        label_column=generative_label_column,
        log_scale=lambda wildcards: vae_likelihood(config, wildcards.model)
        == "negative_binomial",
        seed=config["evaluation"]["seed"],
    script:
        "../scripts/evaluate_vae.py"


rule generative_summary:
    input:
        unpack(generative_summary_inputs),
    output:
        summary=report(
            layout.generative_summary(),
            caption="../report/generative.rst",
            category="Generative models",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "table": "metrics of every run"},
        ),
    log:
        layout.log("generative_summary"),
    benchmark:
        layout.bench("generative_summary")
    conda:
        "../envs/generative.yaml"
    threads: resource("compare", "threads")
    resources:
        mem_mb=resource("compare", "mem_mb"),
        runtime=resource("compare", "runtime"),
    script:
        "../scripts/generative_summary.py"


# One job per dataset draws its generative figures; they depend on the input kind, so
# there is one rule per kind of the config (generative_plot_tokens, generative_plot_vector).
for input_kind, names in layout.generative_figure_names_by_kind().items():

    rule:
        name:
            f"generative_plot_{input_kind}"
        input:
            unpack(generative_summary_inputs),
        output:
            **{
                name: report(
                    layout.generative_figure(name=name),
                    caption=f"../report/generative_figures/{name}.rst",
                    category="Generative models",
                    subcategory="{dataset}",
                    labels={"dataset": "{dataset}", "figure": name},
                )
                for name in names
            },
        log:
            layout.log("generative_plot"),
        benchmark:
            layout.bench("generative_plot")
        wildcard_constraints:
            dataset=layout.generative_pattern_for(input_kind),
        conda:
            "../envs/generative.yaml"
        threads: resource("compare", "threads")
        resources:
            mem_mb=resource("compare", "mem_mb"),
            runtime=resource("compare", "runtime"),
        params:
            arguments=lambda wildcards: generated_arguments(config, wildcards.dataset),
            label_column=generative_label_column,
        script:
            "../scripts/generative_plot.py"
