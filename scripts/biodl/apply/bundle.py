"""A trained run as a self-describing bundle: the model and everything needed to prepare new input.

A bundle is a folder (``<run>/bundle/``) that can be copied anywhere:

- ``model.keras``: the run's model, unchanged; for a baseline, ``model.skops``: its fitted
  scikit-learn estimators and feature scaler, with the k-mer settings it chose in ``bundle.json``;
- ``bundle.json``: what :mod:`biodl.apply.prepare` needs to prepare new input exactly as the
  training data was prepared (kind, task, alphabet and token table, length policy and input
  width; or the gene order of the matrix, its orientation and value type, the normalisation
  fitted on the training partition, and the training medians that fill missing genes when the
  user asks for it; or the time grid, gene order, missing-value and resampling policy and
  per-gene z-scores of time courses), the label encoding, the metric of record and the
  checksum of the model;
- ``card.json`` and ``card.md``: the model card (:mod:`biodl.apply.card`).

Nothing in a bundle points back at the results tree, so it applies on a machine that has never
seen the training data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path as FilePath

import numpy as np
import pandas as pd

from biodl.apply.card import model_card, write_card
from biodl.apply.files import CONTROL_METHODS, FILE_NAMES, can_bundle
from biodl.baselines.predict import baseline_settings
from biodl.data.split import read_partitions
from biodl.errors import InputError
from biodl.io.outputs import all_or_nothing, save_json
from biodl.vocabulary import PRIMARY

Path = str | os.PathLike
FORMAT = "biodl-bundle"
VERSION = 2


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sequence_preparation(meta: dict) -> dict:
    """How the training sequences were read and encoded (from the ingest ``meta.json``)."""
    letters = meta["kmer"]["letters"]
    return {
        "alphabet": meta["alphabet"],
        "vocabulary": meta["vocabulary"],
        "allow_ambiguous": len(meta["vocabulary"]) > len(letters),
        "length": meta["length"],
        "position_classes": meta.get("position_classes"),
    }


def expression_preparation(
    settings: dict, genes: list[str], params: dict, matrix: np.ndarray, train_rows: np.ndarray
) -> dict:
    """How the training matrix was read and normalised, with the raw training median of every gene."""
    medians = np.nanmedian(matrix[train_rows], axis=0) if len(train_rows) else np.zeros(len(genes))
    return {
        "orientation": settings["orientation"],
        "values": settings["values"],
        "layer": settings["layer"],
        "genes": genes,
        "normalisation": params,
        "training_medians": np.nan_to_num(medians).astype(float).tolist(),
    }


def timecourse_preparation(
    settings: dict, genes: list[str], times: list[float], params: dict, task: str
) -> dict:
    """How the training time courses were read (missing values, resampling), their time grid, gene
    order, the per-gene z-scores fitted on the training series and, for forecasting, the windows
    (look-back, horizon, stride, one gene at a time or all)."""
    return {
        "missing": settings["missing"],
        "resample": settings["resample"],
        "times": times,
        "genes": genes,
        "normalisation": params,
        "windows": settings["windows"] if task == "forecasting" else None,
    }


def write_bundle(*, files: dict[str, Path], outputs: dict[str, Path], run_key: dict) -> None:
    """Write a run's bundle from its files (``model``, ``run``, ``metrics``, ``meta``, and for
    expression ``genes``, ``params``, ``matrix``, ``split``); ``run_key`` names the run
    (dataset, model, unit, seed)."""
    run = json.loads(FilePath(files["run"]).read_text(encoding="utf-8"))
    meta = json.loads(FilePath(files["meta"]).read_text(encoding="utf-8"))
    kind, task = meta["kind"], meta["task"]
    if not can_bundle(kind, task):
        raise InputError(f"{files['run']}: runs of {kind} with task {task!r} cannot be bundled yet")
    if run.get("method") in CONTROL_METHODS:
        raise InputError(f"{files['run']}: the {run['method']} control is not bundled")
    model_file = FilePath(outputs["model"]).name
    (dataset_settings,) = run["config"]["dataset"].values()
    if kind == "sequences":
        preparation = sequence_preparation(meta)
    elif kind == "timecourse":
        genes = pd.read_csv(files["genes"], sep="\t", dtype=str, keep_default_na=False)["gene"].tolist()
        times = pd.read_csv(files["times"], sep="\t")["time"].astype(float).tolist()
        params = json.loads(FilePath(files["params"]).read_text(encoding="utf-8"))
        preparation = timecourse_preparation(dataset_settings, genes, times, params, task)
    else:
        genes = pd.read_csv(files["genes"], sep="\t", dtype=str, keep_default_na=False)["gene"].tolist()
        params = json.loads(FilePath(files["params"]).read_text(encoding="utf-8"))
        ids = pd.read_csv(files["ids"], sep="\t", dtype=str, keep_default_na=False)["id"]
        partition = read_partitions(files["split"], run_key["unit"]).set_index("id")["partition"]
        train_rows = np.flatnonzero(partition.loc[ids].to_numpy() == "train")
        matrix = np.load(files["matrix"], mmap_mode="r")
        preparation = expression_preparation(dataset_settings, genes, params, matrix, train_rows)
    metric, higher = PRIMARY[task]
    description = {
        "format": FORMAT,
        "version": VERSION,
        "run": run_key,
        "family": run.get("family"),
        "baseline": baseline_settings(run, meta) if "method" in run else None,
        "model_file": model_file,
        "kind": kind,
        "task": task,
        "id_column": dataset_settings["id_column"],
        "label_columns": meta["label_columns"],
        "input": run["input"],
        "output": run["task"],
        "encoding": run["encoding"],
        "preparation": preparation,
        "metric": {"name": metric, "higher_is_better": higher},
        "versions": run["versions"],
        "files": {},
    }
    with all_or_nothing(*outputs.values()):
        shutil.copyfile(files["model"], outputs["model"])
        description["files"][model_file] = sha256(outputs["model"])
        save_json(outputs["bundle"], description)
        metrics = json.loads(FilePath(files["metrics"]).read_text(encoding="utf-8"))
        checksums = {
            name: sha256(outputs[key]) for key, name in (("model", model_file), ("bundle", "bundle.json"))
        }
        write_card(outputs["card"], outputs["card_md"], model_card(description, run, metrics, checksums))


@dataclass(frozen=True)
class Bundle:
    """A bundle read back: its folder and its description (``bundle.json``)."""

    folder: FilePath
    description: dict

    @property
    def kind(self) -> str:
        return self.description["kind"]

    @property
    def task(self) -> str:
        return self.description["task"]

    @property
    def preparation(self) -> dict:
        return self.description["preparation"]

    @property
    def model_path(self) -> FilePath:
        return self.folder / self.description["model_file"]

    @property
    def is_baseline(self) -> bool:
        return self.description["baseline"] is not None

    @property
    def name(self) -> str:
        run = self.description["run"]
        return f"{run['dataset']}/{run['model']}/{run['unit']}-s{run['seed']}"


def read_bundle(folder: Path) -> Bundle:
    """Read and check a bundle folder: its description, format version and the model's checksum."""
    folder = FilePath(folder)
    path = folder / FILE_NAMES["bundle"]
    if not path.is_file():
        raise InputError(f"{folder}: not a biodl bundle (no {FILE_NAMES['bundle']})")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid JSON ({error})") from None
    if description.get("format") != FORMAT:
        raise InputError(f"{path}: not a biodl bundle description (format {description.get('format')!r})")
    if description.get("version") != VERSION:
        raise InputError(
            f"{path}: bundle format version {description.get('version')} is not supported "
            f"(this biodl reads version {VERSION})"
        )
    model = folder / description["model_file"]
    if not model.is_file():
        raise InputError(f"{folder}: the bundle has no {description['model_file']}")
    if sha256(model) != description["files"][description["model_file"]]:
        raise InputError(
            f"{model}: does not match the checksum in {FILE_NAMES['bundle']} (the bundle was changed "
            "or damaged)"
        )
    return Bundle(folder, description)
