from biodl.cli import run_step
from biodl.generative.metrics import evaluate_generated_run

files = dict(snakemake.input.items())
classifier = None
if "classifier" in files:
    classifier = {
        "model": files["classifier"],
        "meta": files["classifier_meta"],
        "class_name": snakemake.params.class_name,
    }
run_step(
    snakemake,
    evaluate_generated_run,
    samples=files["samples"],
    tokens=files["tokens"],
    ids=files["ids"],
    split=files["split"],
    unit=snakemake.wildcards.unit,
    output=snakemake.output.metrics,
    seed=snakemake.params.seed,
    classifier=classifier,
    reconstruction=files.get("reconstruction"),
    **snakemake.params.arguments,
)
