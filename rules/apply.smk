"""Bundles of trained runs (model, preparation, model card) and predictions of new data with them."""


rule bundle:
    input:
        unpack(bundle_inputs),
    output:
        model=layout.bundle()["model"],
        bundle=layout.bundle()["bundle"],
        card=layout.bundle()["card"],
        card_md=layout.bundle()["card_md"],
    log:
        layout.run_log("bundle"),
    benchmark:
        layout.run_bench("bundle")
    wildcard_constraints:
        model=layout.model_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",
    conda:
        "../envs/evaluate.yaml"
    threads: resource("bundle", "threads")
    resources:
        mem_mb=resource("bundle", "mem_mb"),
        runtime=resource("bundle", "runtime"),
    script:
        "../scripts/bundle.py"


use rule bundle as bundle_baseline with:
    output:
        model=layout.bundle(baseline=True)["model"],
        bundle=layout.bundle(baseline=True)["bundle"],
        card=layout.bundle(baseline=True)["card"],
        card_md=layout.bundle(baseline=True)["card_md"],
    wildcard_constraints:
        model=layout.baseline_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",


rule apply:
    input:
        unpack(apply_inputs),
    output:
        predictions=layout.apply_output(),
    log:
        layout.log("{name}", "apply"),
    benchmark:
        layout.bench("{name}", "apply")
    conda:
        "../envs/train.yaml"
    threads: resource("apply", "threads")
    resources:
        mem_mb=resource("apply", "mem_mb"),
        runtime=resource("apply", "runtime"),
    params:
        bundles=lambda wildcards: layout.apply_bundles(wildcards.name),
        settings=lambda wildcards: config["apply"][wildcards.name],
    script:
        "../scripts/apply.py"


rule score_variants:
    input:
        unpack(lambda wildcards: layout.variant_inputs(wildcards.dataset)),
    output:
        **layout.variants(),
    log:
        layout.log("variants"),
    benchmark:
        layout.bench("variants")
    wildcard_constraints:
        dataset=layout.variant_pattern(),
    conda:
        "../envs/train.yaml"
    threads: resource("variants", "threads")
    resources:
        mem_mb=resource("variants", "mem_mb"),
        runtime=resource("variants", "runtime"),
    params:
        bundles=lambda wildcards: layout.variant_bundles(wildcards.dataset),
        settings=lambda wildcards: dataset_config(wildcards)["intervals"]["variants"],
    script:
        "../scripts/score_variants.py"
