"""What trained models use: attributions; TF-MoDISco motifs matched to JASPAR (DNA and RNA
models), the amino acids and stretches a model of whole protein chains reads, gene rankings beside the baselines' (expression and time courses, with the time points
a course model reads), the context a per-position model reads."""


rule interpret_motifs:
    input:
        unpack(interpret_inputs),
    output:
        matches=report(
            layout.interpret(what="motifs")["matches"],
            caption="../report/interpret_matches.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "JASPAR matches",
            },
        ),
        methods=report(
            layout.interpret(what="motifs")["methods"],
            caption="../report/interpret_methods.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "attribution methods",
            },
        ),
        motifs=layout.interpret(what="motifs")["motifs"],
        attributions=layout.interpret(what="motifs")["attributions"],
        logos=report(
            layout.interpret(what="motifs")["logos"],
            caption="../report/interpret_logos.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "motif logos",
            },
        ),
        tracks=report(
            layout.interpret(what="motifs")["tracks"],
            caption="../report/interpret_tracks.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "attribution tracks",
            },
        ),
    log:
        layout.run_log("interpret_motifs"),
    benchmark:
        layout.run_bench("interpret_motifs")
    wildcard_constraints:
        dataset=layout.interpreted_pattern("motifs"),
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
        "../scripts/interpret_motifs.py"


rule interpret_residues:
    input:
        unpack(interpret_inputs),
    output:
        residues=layout.interpret(what="residues")["residues"],
        windows=report(
            layout.interpret(what="residues")["windows"],
            caption="../report/interpret_windows.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "stretches read",
            },
        ),
        profile=layout.interpret(what="residues")["profile"],
        methods=report(
            layout.interpret(what="residues")["methods"],
            caption="../report/interpret_methods.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "attribution methods",
            },
        ),
        attributions=layout.interpret(what="residues")["attributions"],
        figure=report(
            layout.interpret(what="residues")["figure"],
            caption="../report/interpret_residues.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "residues read",
            },
        ),
        tracks=report(
            layout.interpret(what="residues")["tracks"],
            caption="../report/interpret_tracks.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "attribution tracks",
            },
        ),
    log:
        layout.run_log("interpret_residues"),
    benchmark:
        layout.run_bench("interpret_residues")
    wildcard_constraints:
        dataset=layout.interpreted_pattern("residues"),
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
        "../scripts/interpret_residues.py"


rule interpret_genes:
    input:
        unpack(interpret_inputs),
    output:
        rankings=layout.interpret(what="genes")["rankings"],
        agreement=report(
            layout.interpret(what="genes")["agreement"],
            caption="../report/interpret_agreement.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "gene ranking agreement",
            },
        ),
        attributions=layout.interpret(what="genes")["attributions"],
        figure=report(
            layout.interpret(what="genes")["figure"],
            caption="../report/interpret_genes.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "top genes",
            },
        ),
    log:
        layout.run_log("interpret_genes"),
    benchmark:
        layout.run_bench("interpret_genes")
    wildcard_constraints:
        dataset=layout.interpreted_pattern("genes"),
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
        baselines=lambda wildcards: layout.interpret_baselines(wildcards.dataset),
    script:
        "../scripts/interpret_genes.py"


rule interpret_context:
    input:
        unpack(interpret_inputs),
    output:
        context=layout.interpret(what="context")["context"],
        attributions=layout.interpret(what="context")["attributions"],
        figure=report(
            layout.interpret(what="context")["figure"],
            caption="../report/interpret_context.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "context read",
            },
        ),
    log:
        layout.run_log("interpret_context"),
    benchmark:
        layout.run_bench("interpret_context")
    wildcard_constraints:
        dataset=layout.interpreted_pattern("context"),
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
        "../scripts/interpret_context.py"


use rule interpret_genes as interpret_courses with:
    output:
        rankings=layout.interpret(what="courses")["rankings"],
        agreement=report(
            layout.interpret(what="courses")["agreement"],
            caption="../report/interpret_agreement.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "table": "gene ranking agreement",
            },
        ),
        attributions=layout.interpret(what="courses")["attributions"],
        figure=report(
            layout.interpret(what="courses")["figure"],
            caption="../report/interpret_genes.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "top genes",
            },
        ),
        times=layout.interpret(what="courses")["times"],
        time_figure=report(
            layout.interpret(what="courses")["time_figure"],
            caption="../report/interpret_times.rst",
            category="Interpretation",
            subcategory="{dataset}",
            labels={
                "model": "{model}",
                "run": "{unit}-s{seed}",
                "figure": "attribution over time",
            },
        ),
    log:
        layout.run_log("interpret_courses"),
    benchmark:
        layout.run_bench("interpret_courses")
    wildcard_constraints:
        dataset=layout.interpreted_pattern("courses"),
        model=layout.model_pattern(),
        unit=UNIT_PATTERN,
        seed=r"\d+",
