"""Config validation, input functions and paths shared by every rule."""

import os
import sys

from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from biodl.config import check_config
from biodl.errors import InputError
from biodl.workflow import (
    Layout,
    baseline_arguments,
    ingest_arguments,
    model_resources,
    split_arguments,
    training_arguments,
)

try:
    check_config(config, workflow.source_path("../config/schema.yaml"), "config")
except InputError as error:
    raise WorkflowError(f"biodl: error: {error}") from None
validate(config, "../config/schema.yaml")

layout = Layout(config)


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
    settings = dataset_config(wildcards)
    files = layout.ingest(settings["kind"], wildcards.dataset)
    inputs = {"ids": files["ids"]}
    if settings["kind"] == "sequences":
        inputs["tokens"] = files["tokens"]
    if settings["kind"] == "timecourse":
        inputs["times"] = files["times"]
    return inputs


UNIT_PATTERN = r"holdout|fold\d+"


def training_inputs(wildcards):
    return layout.training_inputs(wildcards.dataset, wildcards.unit)


def all_training_outputs():
    return [
        layout.run(dataset, model, unit, seed)["predictions"]
        for dataset, model, unit, seed in layout.runs()
    ]


def baseline_inputs(wildcards):
    inputs = layout.training_inputs(wildcards.dataset, wildcards.unit)
    settings = dataset_config(wildcards)
    if settings["kind"] == "sequences":
        inputs["kmers"] = layout.ingest("sequences", wildcards.dataset)["kmers"]
    return inputs


def compare_inputs(wildcards):
    runs = layout.evaluated_runs(wildcards.dataset)
    files = {}
    for name, unit, seed in runs:
        run = layout.run(wildcards.dataset, name, unit, seed)
        files[f"metrics|{name}|{unit}|{seed}"] = run["metrics"]
        files[f"predictions|{name}|{unit}|{seed}"] = run["predictions"]
    return files


def history_inputs(wildcards):
    return {
        f"{model}|{unit}|{seed}": layout.run(wildcards.dataset, model, unit, seed)[
            "history"
        ]
        for model in layout.models_for(wildcards.dataset)
        for unit in layout.units(wildcards.dataset)
        for seed in config["seeds"]
    }


def all_comparison_outputs():
    return [
        path
        for dataset in layout.supervised_datasets()
        if layout.evaluated_runs(dataset)
        for path in layout.compare(dataset).values()
    ]


def plot_inputs(wildcards):
    files = {
        "summary": layout.compare(wildcards.dataset)["summary"],
        "metrics": layout.compare(wildcards.dataset)["metrics"],
    }
    for name, unit, seed in layout.evaluated_runs(wildcards.dataset):
        run = layout.run(wildcards.dataset, name, unit, seed)
        files[f"predictions|{name}|{unit}|{seed}"] = run["predictions"]
        if name in layout.models_for(wildcards.dataset):
            files[f"history|{name}|{unit}|{seed}"] = run["history"]
    return files


def figure_pattern():
    from biodl.families import FIGURES

    return "|".join(sorted({name for names in FIGURES.values() for name in names}))


def all_figures():
    return [
        path
        for dataset in layout.supervised_datasets()
        if layout.evaluated_runs(dataset)
        for path in layout.figures(dataset).values()
    ]


def report_inputs(wildcards):
    files = {}
    for dataset in layout.supervised_datasets():
        if not layout.evaluated_runs(dataset):
            continue
        compare = layout.compare(dataset)
        files[f"summary|{dataset}"] = compare["summary"]
        files[f"paired|{dataset}"] = compare["paired"]
        for name, path in layout.figures(dataset).items():
            files[f"figure|{dataset}|{name}"] = path
        for name, unit, seed in layout.evaluated_runs(dataset):
            files[f"run|{dataset}|{name}|{unit}|{seed}"] = layout.run(
                dataset, name, unit, seed
            )["run"]
    return files
