"""Configuration checks that give one line naming the key, beyond what the schema says."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import jsonschema
import yaml

from biodl.errors import InputError
from biodl.vocabulary import CLASS_TASKS


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most specific error: descend into if/then and allOf contexts."""
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    return error


def describe_schema_error(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into 'key.path: what is wrong'."""
    error = _deepest(error)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{_key_path(error)}: unknown key {unknown[0]!r} (allowed: {known})"
    return f"{_key_path(error)}: {error.message}"


SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"


def _filling_defaults(validator_class: type) -> type:
    """``validator_class`` that also writes each missing property's schema default into the instance.

    The same rule as Snakemake's ``validate(..., set_default=True)``, with each default copied, so
    no two places of a config share one default object.
    """
    check_properties = validator_class.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):  # noqa: ANN001
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties_with_defaults})


def resolve_config(config: dict, schema_path: str | os.PathLike = SCHEMA, source: str = "config") -> dict:
    """Fill every default the schema states into ``config`` (in place) and return it.

    Raises a one-line InputError for the first key the schema refuses. Everything after this
    reads the resolved config: no default is stated twice.
    """
    with open(schema_path, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    validator = _filling_defaults(jsonschema.validators.validator_for(schema))(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise InputError(f"{source}: {describe_schema_error(errors[0])}")
    intervals = [name for name, dataset in config["datasets"].items() if dataset["kind"] == "intervals"]
    if intervals:
        for name in intervals:
            config["datasets"][name] = sequences_of_intervals(config["datasets"][name])
        return resolve_config(config, schema_path, source)  # the sequence datasets' defaults
    return config


# the keys of an interval dataset kept under 'intervals' once it is a sequence dataset
INTERVAL_KEYS = (
    "genome",
    "regions",
    "window",
    "centre",
    "negatives",
    "variants",
    "tracks",
    "track_summary",
    "track_bins",
)


def sequences_of_intervals(dataset: dict) -> dict:
    """A dataset of kind 'intervals' as the sequence dataset it becomes: DNA windows of a fixed width,
    ambiguity codes kept (genomes hold N), its genome and regions under ``intervals``."""
    sets = list(dataset["regions"])
    task = dataset["task"]
    one_column_per_set = task == "multilabel" or (task == "binary" and len(sets) == 1)
    columns = sets if one_column_per_set else ["label"]
    if task == "regression":
        bins = dataset["track_bins"]
        tracks = list(dataset.get("tracks") or {})
        columns = tracks if bins is None else [f"{name}.{index}" for name in tracks for index in range(bins)]
    return {
        "kind": "sequences",
        "task": task,
        "alphabet": "dna",
        "allow_ambiguous": True,
        "length": {"mode": "fixed", "size": dataset["window"], "pad": "right", "trim": "right"},
        "label_columns": columns,
        "kmers": dataset["kmers"],
        "split": dataset["split"],
        "intervals": {key: dataset[key] for key in INTERVAL_KEYS if key in dataset},
        "augment": dataset["augment"],
    }


def check_config(config: dict, schema_path: str | os.PathLike = SCHEMA, source: str = "config") -> None:
    """Fill the schema's defaults into ``config``, then check the cross-key rules; one-line InputError."""
    resolve_config(config, schema_path, source)
    add_tuned_models(config, source)
    problem = backend_problem(config)
    if problem:
        raise InputError(f"{source}: {problem}")
    for name, dataset in config["datasets"].items():
        problem = dataset_problem(dataset)
        if problem:
            raise InputError(f"{source}: datasets.{name}: {problem}")
        if "variants" in dataset.get("intervals", {}) and not config["bundles"]:
            raise InputError(f"{source}: datasets.{name}.variants: scoring variants needs bundles: true")
    for name, model in config["models"].items():
        origin = config["models"].get(model.get("tuned_from", name), {})
        if "tuned_from" in model and "search" not in origin:
            raise InputError(f"{source}: models.{name}: tuned_from names no model with a search")
        problem = model_problem(model, config["datasets"])
        if problem:
            separator = "." if problem.startswith("search.") else ": "  # the key of a search entry, whole
            raise InputError(f"{source}: models.{name}{separator}{problem}")
    for name, baseline in config["baselines"].items():
        problem = baseline_problem(name, baseline, config)
        if problem:
            raise InputError(f"{source}: baselines.{name}: {problem}")
    for name, dataset in config["datasets"].items():
        problem = generation_problem(name, dataset["generation"], config) if "generation" in dataset else None
        if problem:
            raise InputError(f"{source}: datasets.{name}.generation: {problem}")
    for key in ("models", "datasets"):
        unknown = [name for name in config["interpret"][key] or [] if name not in config[key]]
        if unknown:
            raise InputError(f"{source}: interpret.{key}: {unknown[0]!r} is not one of the config's {key}")


BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def backend_problem(config: dict) -> str | None:
    """Why the config's Keras backend cannot run it (not installed; a GAN on another backend than
    TensorFlow), or None."""
    import importlib.util

    backend = config["backend"]
    if importlib.util.find_spec(BACKEND_PACKAGES[backend]) is None:
        return f"backend: {backend!r} is not installed here (pip install {BACKEND_PACKAGES[backend]})"
    if backend != "tensorflow":
        for name, model in config["models"].items():
            if model["family"] == "gan":
                return f"models.{name}: family 'gan' trains on the tensorflow backend only, not {backend!r}"
    return None


TUNED = "_tuned"  # suffix of the model a search's best settings train


def add_tuned_models(config: dict, source: str = "config") -> None:
    """For every model with a ``search``, the model ``<name>_tuned`` trained with the best trial's
    settings on the same datasets (it carries ``tuned_from``); a model of that name written by hand
    is refused."""
    for name, model in list(config["models"].items()):
        if "search" not in model:
            continue
        tuned = f"{name}{TUNED}"
        existing = config["models"].get(tuned)
        if existing is not None and existing.get("tuned_from") != name:
            raise InputError(
                f"{source}: models.{tuned}: the name is taken by the tuned copy of models.{name}"
            )
        copied = {key: copy.deepcopy(value) for key, value in model.items() if key != "search"}
        config["models"][tuned] = {**copied, "tuned_from": name}


def baseline_problem(name: str, baseline: dict, config: dict) -> str | None:
    """The first baseline setting that cannot work, or None."""
    from biodl.families import BASELINES, baseline_supports
    from biodl.vocabulary import INPUT_KINDS

    method = baseline["method"]
    if name in config["models"]:
        return "a model has the same name; results of both would land in one folder"
    unknown = sorted(set(baseline["hparams"]) - BASELINES[method][2])
    if unknown:
        allowed = ", ".join(sorted(BASELINES[method][2])) or "none"
        return f"unknown hyper-parameter {unknown[0]!r} for method {method!r} (allowed: {allowed})"
    if "search" in baseline:
        problem = baseline_search_problem(method, baseline["search"], config, baseline.get("datasets"))
        if problem:
            return problem
    for dataset_name in baseline.get("datasets", []):
        if dataset_name not in config["datasets"]:
            return f"dataset {dataset_name!r} is not defined under datasets"
        dataset = config["datasets"][dataset_name]
        if not baseline_supports(method, INPUT_KINDS[dataset["kind"]], dataset["task"]):
            return f"method {method!r} does not apply to dataset {dataset_name!r} (task {dataset['task']!r})"
    return None


def baseline_search_problem(method: str, search: dict, config: dict, listed: list[str] | None) -> str | None:
    """Why a baseline's search cannot run (a method without settings to search, an unknown or broken
    range, a dataset of a task it does not cover), or None."""
    from biodl.families import BASELINE_SEARCH, baseline_supports
    from biodl.ranges import range_problem
    from biodl.vocabulary import INPUT_KINDS

    allowed = BASELINE_SEARCH.get(method, frozenset())
    if not allowed:
        return f"search: method {method!r} has no setting to search"
    for key, entry in search["space"].items():
        if key not in allowed:
            names = ", ".join(sorted(allowed))
            return f"search.space.{key}: unknown parameter for method {method!r} (allowed: {names})"
        problem = range_problem(entry)
        if problem:
            return f"search.space.{key}: {problem}"
    for name in listed or config["datasets"]:
        dataset = config["datasets"].get(name)
        if dataset is None or not baseline_supports(method, INPUT_KINDS[dataset["kind"]], dataset["task"]):
            continue
        if dataset["task"] in ("per_position", "forecasting"):
            return f"search: covers baselines of whole items, not dataset {name!r} (task {dataset['task']!r})"
    return None


def model_problem(model: dict, datasets: dict) -> str | None:
    """The first model setting that cannot work, or None."""
    from biodl.families import (
        hparam_choice_problem,
        is_generative,
        known_hparams,
        training_keys,
        unknown_hparams,
    )

    family = model["family"]
    unknown = unknown_hparams(family, model["hparams"])
    if unknown:
        allowed = ", ".join(sorted(known_hparams(family)))
        return f"unknown hyper-parameter {unknown[0]!r} for family {family!r} (allowed: {allowed})"
    choice = hparam_choice_problem(family, model["hparams"])
    if choice:
        return choice
    unread = sorted(set(model["training"]) - training_keys(family))
    if unread:
        allowed = ", ".join(sorted(training_keys(family)))
        return f"training setting {unread[0]!r} does not apply to family {family!r} (allowed: {allowed})"
    if "samples" in model and not is_generative(family):
        return f"'samples' applies to the generative families (gan, vae), not to {family!r}"
    if "search" in model:
        from biodl.search.space import space_problem

        if is_generative(family):
            return f"search applies to the supervised families, not to {family!r}"
        problem = space_problem(model)
        if problem:
            return f"search.{problem}"
    for name in model.get("datasets", []):
        if name not in datasets:
            return f"dataset {name!r} is not defined under datasets"
        problem = family_dataset_problem(model, name, datasets[name])
        if problem:
            return problem
    return None


def family_dataset_problem(model: dict, name: str, dataset: dict) -> str | None:
    """Why a model listed for a dataset cannot train on it, or None."""
    from biodl.families import generative_supports, is_generative, supports, unknown_hparams
    from biodl.vocabulary import INPUT_KINDS

    family, kind = model["family"], INPUT_KINDS[dataset["kind"]]
    if is_generative(family):
        if not generative_supports(family, kind, dataset["task"], listed=True):
            return f"family {family!r} cannot train on dataset {name!r} ({dataset['kind']})"
        unknown = unknown_hparams(family, model["hparams"], kind)
        if unknown:
            return f"hyper-parameter {unknown[0]!r} of family {family!r} does not apply to {dataset['kind']}"
        return None
    if not supports(family, kind, dataset["task"]):
        return f"family {family!r} cannot train on dataset {name!r} (task {dataset['task']!r})"
    return None


def generation_problem(name: str, generation: dict, config: dict) -> str | None:
    """Why a dataset's ``generation`` settings (motifs, classifier) cannot work, or None."""
    dataset = config["datasets"][name]
    if dataset["kind"] != "sequences":
        return "generation settings apply to sequence datasets only"
    classifier = generation.get("classifier")
    if not classifier:
        return None
    source, model = classifier["dataset"], classifier["model"]
    if source not in config["datasets"]:
        return f"classifier dataset {source!r} is not defined under datasets"
    if config["datasets"][source]["task"] not in {"binary", "multiclass"}:
        return f"the classifier's dataset {source!r} must be a binary or multiclass task"
    if model not in config["models"]:
        return f"classifier model {model!r} is not defined under models"
    from biodl.workflow.layout import Layout

    if model not in Layout(config).models_for(source):
        return f"model {model!r} does not train on dataset {source!r}"
    return None


def dataset_problem(dataset: dict) -> str | None:
    """The first rule a dataset's keys break that a schema cannot express, or None."""
    task = dataset["task"]
    columns = dataset["label_columns"]
    split = dataset["split"]
    if task in (*CLASS_TASKS, "per_position") and len(columns) != 1:
        return f"task {task!r} takes exactly one label column (label_columns: {columns})"
    if task == "per_position" and not dataset.get("position_classes"):
        return "task 'per_position' needs position_classes, e.g. 'HEC'"
    problem = intervals_problem(dataset["intervals"], task, split) if "intervals" in dataset else None
    if problem:
        return problem
    augment = dataset.get("augment") or {}
    if augment.get("reverse_complement") and dataset["alphabet"] == "protein":
        return "augment.reverse_complement needs a DNA or RNA alphabet"
    if (augment.get("reverse_complement") or augment.get("shift")) and task in ("per_position", "generation"):
        return f"augment changes whole sequences: it does not apply to task {task!r}"
    if split.get("chromosomes") and "intervals" not in dataset:
        return "split.chromosomes applies to datasets of kind 'intervals' only"
    if (
        dataset["kind"] == "sequences"
        and "intervals" not in dataset
        and task != "generation"
        and not dataset.get("labels")
    ):
        return f"task {task!r} needs a labels file (key 'labels')"
    length = dataset.get("length")  # sequences only
    if length and length["mode"] == "fixed" and "size" not in length:
        return "length.mode 'fixed' needs length.size"
    if split.get("by") == "time" and dataset["kind"] != "timecourse":
        return "split.by 'time' applies to time courses only"
    if split.get("homology") and dataset["kind"] != "sequences":
        return "split.homology applies to sequence datasets only"
    if split["valid"] + split["test"] >= 1:
        return "split.valid + split.test must leave a training partition"
    if split.get("by") == "time" and split.get("folds"):
        return "split.folds cannot be combined with split.by 'time'"
    if split.get("column") and (split.get("folds") or split["by"] != "items"):
        return "split.column gives the partitions itself: it cannot be combined with split.folds or split.by"
    if split["repeats"] > 1 and not split.get("folds"):
        return "split.repeats needs split.folds (repeats of a K-fold split)"
    return None


def intervals_problem(intervals: dict, task: str, split: dict) -> str | None:
    """The first rule an interval dataset breaks that the schema cannot express, or None."""
    sets = len(intervals["regions"])
    background = intervals["negatives"]["method"] != "none"
    if task == "regression" and not intervals.get("tracks"):
        return "a regression task takes its targets from bigWig tracks (key 'tracks')"
    if task != "regression" and intervals.get("tracks"):
        return f"tracks are the targets of a regression task, not of task {task!r}"
    bins = intervals.get("track_bins")
    if bins and intervals["window"] % bins:
        return f"track_bins: {bins} bins do not divide a window of {intervals['window']} bp"
    if task == "binary" and sets == 1 and not background:
        return "a binary task on one region set needs background windows (negatives.method)"
    if task == "binary" and sets == 2 and background:
        return (
            "a binary task takes one region set with background, or two sets without; use multiclass for both"
        )
    if task == "binary" and sets > 2:
        return f"a binary task takes one or two region sets, not {sets}"
    if task == "multiclass" and sets + background < 3:
        return "a multiclass task needs three classes: region sets, and background when drawn"
    chromosomes = split.get("chromosomes")
    if chromosomes and (split.get("folds") or split.get("column")):
        return (
            "split.chromosomes gives the partitions itself: it cannot be combined with split.folds "
            "or split.column"
        )
    if chromosomes and set(chromosomes["test"]) & set(chromosomes["valid"]):
        shared = sorted(set(chromosomes["test"]) & set(chromosomes["valid"]))[0]
        return f"split.chromosomes: {shared!r} is named for both test and valid"
    return None
