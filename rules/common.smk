"""Config validation, input functions and paths shared by every rule."""

import os
import sys

from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "scripts"))

from biodl.config import check_config
from biodl.errors import InputError
from biodl.workflow import (
    Layout,
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
