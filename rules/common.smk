"""Config validation, input functions and paths shared by every rule."""

import os
import sys

from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from biodl.cli import print_failures
from biodl.workflow.config import check_config
from biodl.errors import InputError
from biodl.runkey import RunKey
from biodl.workflow.layout import (
    Layout,
    baseline_arguments,
    gan_arguments,
    generated_arguments,
    homology_arguments,
    ingest_arguments,
    model_resources,
    sample_arguments,
    split_arguments,
    best_arguments,
    search_arguments,
    training_arguments,
    trial_arguments,
    vae_arguments,
    vae_likelihood,
)

try:
    check_config(config, workflow.source_path("../config/schema.yaml"), "config")
except InputError as error:
    raise WorkflowError(f"biodl: error: {error}") from None
validate(config, "../config/schema.yaml")

# every job's Keras backend: jobs inherit the environment (SLURM jobs too, which parse this again)
os.environ.update(KERAS_BACKEND=config["backend"])
# the software of the jobs that book a GPU: CUDA-enabled wheels when use_gpu is on
GPU_ENV = "../envs/gpu.yaml" if config["use_gpu"] else None
TRAIN_ENV = GPU_ENV or "../envs/train.yaml"
GENERATIVE_ENV = GPU_ENV or "../envs/generative.yaml"

layout = Layout(config)
try:
    layout.check_apply()
except InputError as error:
    raise WorkflowError(f"biodl: error: {error}") from None


def dataset_config(wildcards):
    return config["datasets"][wildcards.dataset]


def resource(stage, key):
    return config["resources"][stage][key]


def all_data_outputs():
    return layout.data_targets()


def sequence_inputs(wildcards):
    settings = dataset_config(wildcards)
    inputs = {"fasta": settings["fasta"]}
    if settings.get("labels"):
        inputs["labels"] = settings["labels"]
    return inputs


def interval_inputs(wildcards):
    settings = dataset_config(wildcards)["intervals"]
    regions = {f"region_{name}": path for name, path in settings["regions"].items()}
    tracks = {
        f"track_{name}": path for name, path in (settings.get("tracks") or {}).items()
    }
    return {"genome": settings["genome"], **regions, **tracks}


def expression_inputs(wildcards):
    settings = dataset_config(wildcards)
    inputs = {"matrix": settings["matrix"]}
    if settings.get("samples"):
        inputs["samples"] = settings["samples"]
    return inputs


def timecourse_inputs(wildcards):
    settings = dataset_config(wildcards)
    inputs = {"values": settings["values"]}
    if settings.get("series"):
        inputs["series"] = settings["series"]
    return inputs


def split_inputs(wildcards):
    return layout.split_inputs(wildcards.dataset)


def homology_inputs(wildcards):
    return layout.homology_inputs(wildcards.dataset)


UNIT_PATTERN = r"holdout|(?:r\d+)?fold\d+"


def training_inputs(wildcards):
    return layout.training_inputs(wildcards.dataset, wildcards.unit)


def model_training_inputs(wildcards):
    return {
        **layout.training_inputs(wildcards.dataset, wildcards.unit),
        **layout.tuned_inputs(wildcards.dataset, wildcards.model, wildcards.unit),
    }


def trial_inputs(wildcards):
    round_index = layout.trial_round(wildcards.model, wildcards.number)
    return {
        **layout.training_inputs(wildcards.dataset, wildcards.unit),
        "round": layout.search_round(
            wildcards.dataset, wildcards.model, wildcards.unit, round_index
        ),
    }


def all_training_outputs():
    return [
        layout.run(dataset, model, unit, seed)["predictions"]
        for dataset, model, unit, seed in layout.runs()
    ]


def compare_inputs(wildcards):
    runs = layout.evaluated_runs(wildcards.dataset)
    files = {"split": layout.split(wildcards.dataset)["split"]}
    for name, unit, seed in runs:
        run = layout.run(wildcards.dataset, name, unit, seed)
        key = RunKey(wildcards.dataset, name, unit, seed)
        files[key.input_name("metrics")] = run["metrics"]
        files[key.input_name("predictions")] = run["predictions"]
    return files


def all_comparison_outputs():
    return [
        path
        for dataset in layout.evaluated_datasets()
        for path in layout.compare(dataset).values()
    ]


def plot_inputs(wildcards):
    files = {
        "summary": layout.compare(wildcards.dataset)["summary"],
        "metrics": layout.compare(wildcards.dataset)["metrics"],
    }
    for name, unit, seed in layout.evaluated_runs(wildcards.dataset):
        run = layout.run(wildcards.dataset, name, unit, seed)
        key = RunKey(wildcards.dataset, name, unit, seed)
        files[key.input_name("predictions")] = run["predictions"]
        if name in layout.models_for(wildcards.dataset):
            files[key.input_name("history")] = run["history"]
    return files


def all_figures():
    return [
        path
        for dataset in layout.evaluated_datasets()
        for path in layout.figures(dataset).values()
    ]


def report_inputs(wildcards):
    files = {}
    for dataset in layout.evaluated_datasets():
        compare = layout.compare(dataset)
        files[f"summary|{dataset}"] = compare["summary"]
        files[f"paired|{dataset}"] = compare["paired"]
        if layout.tuned_models(dataset):
            files[f"tuned|{dataset}"] = compare["tuned"]
        kind = config["datasets"][dataset]["kind"]
        files[f"data|{dataset}"] = layout.ingest(kind, dataset)["meta"]
        files[f"split|{dataset}"] = layout.split(dataset)["report"]
        if dataset in layout.variant_datasets():
            for name, path in layout.variants(dataset).items():
                files[f"variants|{dataset}|{name}"] = path
        for name, path in layout.figures(dataset).items():
            files[f"figure|{dataset}|{name}"] = path
        for name, unit, seed in layout.evaluated_runs(dataset):
            key = RunKey(dataset, name, unit, seed)
            files[key.input_name("run")] = layout.run(dataset, name, unit, seed)["run"]
    for dataset in layout.generative_datasets():
        files[f"generative|{dataset}"] = layout.generative_summary(dataset)
        for name, path in layout.generative_figures(dataset).items():
            files[f"generative_figure|{dataset}|{name}"] = path
        for name, unit, seed in layout.generative_runs(dataset):
            key = RunKey(dataset, name, unit, seed)
            files[key.input_name("run")] = layout.generative_run(
                dataset, name, unit, seed
            )["run"]
    for run in layout.interpreted_runs():
        files.update(layout.interpret_report_inputs(*run))
    for run in layout.searched_runs():
        files.update(layout.search_report_inputs(*run))
    for name in layout.config["apply"]:
        files[f"applied|{name}"] = layout.apply_output(name)
        for index, run in enumerate(layout.applied_runs(name)):
            key = RunKey.parse(run)
            bundle = layout.bundle(key.dataset, key.model, key.unit, str(key.seed))
            files[f"card|{name}|{index}"] = bundle["card"]
    return files


def generative_data(wildcards):
    """Ingest and split files a generative run of a dataset reads."""
    return layout.generative_inputs(wildcards.dataset, wildcards.unit, wildcards.model)


def generated_inputs(wildcards):
    """What the evaluation of generated sequences reads."""
    run = layout.generative_run(
        wildcards.dataset, wildcards.model, wildcards.unit, wildcards.seed
    )
    inputs = {**generative_data(wildcards), "samples": run["sequences"]}
    if "reconstruction" in layout.generative_outputs(
        wildcards.dataset, wildcards.model
    ):
        inputs["reconstruction"] = run["reconstruction"]
    classifier = dataset_config(wildcards).get("generation", {}).get("classifier")
    if classifier:
        source = classifier["dataset"]
        inputs["classifier"] = layout.run(
            source, classifier["model"], layout.units(source)[0], config["seeds"][0]
        )["model"]
        inputs["classifier_meta"] = layout.ingest("sequences", source)["meta"]
    return inputs


def classifier_class(wildcards):
    classifier = dataset_config(wildcards).get("generation", {}).get("classifier")
    return classifier["class"] if classifier else None


def generative_summary_inputs(wildcards):
    files = {}
    for model, unit, seed in layout.generative_runs(wildcards.dataset):
        run = layout.generative_run(wildcards.dataset, model, unit, seed)
        for role in layout.generative_outputs(wildcards.dataset, model):
            if role in ("metrics", "history", "sequences", "latent"):
                files[RunKey(wildcards.dataset, model, unit, seed).input_name(role)] = (
                    run[role]
                )
    settings = dataset_config(wildcards)
    ingest = layout.ingest(settings["kind"], wildcards.dataset)
    files["ids"] = ingest["ids"]
    files["split"] = layout.split(wildcards.dataset)["split"]
    if settings["kind"] == "sequences":
        files["tokens"] = ingest["tokens"]
    return files


def generative_label_column(wildcards):
    settings = dataset_config(wildcards)
    if settings["task"] not in ("binary", "multiclass"):
        return None
    return settings["label_columns"][0]


def interpret_inputs(wildcards):
    return layout.interpret_inputs(
        wildcards.dataset, wildcards.model, wildcards.unit, wildcards.seed
    )


def bundle_inputs(wildcards):
    return layout.bundle_inputs(
        wildcards.dataset, wildcards.model, wildcards.unit, wildcards.seed
    )


def apply_inputs(wildcards):
    return layout.apply_inputs(wildcards.name)
