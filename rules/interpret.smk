"""What trained models use: attributions, TF-MoDISco motifs and their JASPAR matches."""


rule interpret:
    input:
        unpack(interpret_inputs),
    output:
        matches=report(
            layout.interpret()["matches"],
            caption="../report/interpret_matches.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "JASPAR matches",
            },
        ),
        motifs=layout.interpret()["motifs"],
        attributions=layout.interpret()["attributions"],
        logos=report(
            layout.interpret()["logos"],
            caption="../report/interpret_logos.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "motif logos",
            },
        ),
    log:
        layout.run_log("interpret"),
    benchmark:
        layout.run_bench("interpret")
    wildcard_constraints:
        model=layout.model_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",
    conda:
        "../envs/interpret.yaml"
    threads: resource("interpret", "threads")
    resources:
        mem_mb=resource("interpret", "mem_mb"),
        runtime=resource("interpret", "runtime"),
    params:
        settings=config["interpret"],
    script:
        "../scripts/interpret.py"
