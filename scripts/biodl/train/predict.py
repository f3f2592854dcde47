"""Predictions in the one format every model and baseline writes.

Formats (tab-separated, one file per run, test partition only):

- binary, multiclass, series classification: ``id``, ``truth`` (label),
  ``score:<class>`` per class (probabilities that sum to one);
- multilabel: ``id``, ``truth:<label>`` (0/1) and ``score:<label>`` per label;
- regression: ``id``, ``truth:<target>`` and ``pred:<target>`` per target,
  in the target's own units;
- per-position (long): ``id``, ``position`` (1-based), ``truth`` (class
  letter), ``score:<class>``; padding positions are left out;
- forecasting (long): ``id`` (``series@origin``, origin = last input time),
  ``series``, ``step`` (1..horizon), ``gene``, ``truth``, ``pred``, in the
  normalised units of the features stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biodl.train.loaders import Partition, TrainingData
from biodl.vocabulary import CLASS_TASKS


def prediction_table(data: TrainingData, partition: Partition, scores: np.ndarray) -> pd.DataFrame:
    """Build the prediction table of ``partition`` from model outputs ``scores``."""
    task = data.task.task
    truth = partition.truth(np.arange(len(partition)))
    ids = np.asarray(partition.ids)
    if task == "per_position":
        return per_position_table(ids, truth > 0, scores, data.encoding["classes"], truth)
    if task == "forecasting":
        genes = None if partition.genes is None else np.asarray(partition.genes, dtype=object)
        return forecast_table(ids, truth, scores, data.encoding["genes"], genes)
    return item_table(task, data.encoding, ids, scores, truth)


def item_table(
    task: str, encoding: dict, ids: np.ndarray, scores: np.ndarray, truth: np.ndarray | None = None
) -> pd.DataFrame:
    """The prediction table of items (sequences, samples, series) of a class, multilabel or
    regression task; without ``truth`` (new, unlabelled items) its columns are left out."""
    if task in CLASS_TASKS:
        classes = encoding["classes"]
        if task == "binary":
            scores = np.column_stack([1 - scores[:, 0], scores[:, 0]])
        table = pd.DataFrame({"id": ids})
        if truth is not None:
            table["truth"] = np.asarray(classes, dtype=object)[truth.astype(int)]
        for index, name in enumerate(classes):
            table[f"score:{name}"] = scores[:, index]
        return table
    if task == "multilabel":
        table = pd.DataFrame({"id": ids})
        for index, name in enumerate(encoding["labels"]):
            if truth is not None:
                table[f"truth:{name}"] = truth[:, index].astype(int)
        for index, name in enumerate(encoding["labels"]):
            table[f"score:{name}"] = scores[:, index]
        return table
    if task == "regression":
        mean, sd = np.asarray(encoding["mean"]), np.asarray(encoding["sd"])
        table = pd.DataFrame({"id": ids})
        for index, name in enumerate(encoding["targets"]):
            if truth is not None:
                table[f"truth:{name}"] = truth[:, index] * sd[index] + mean[index]
        for index, name in enumerate(encoding["targets"]):
            table[f"pred:{name}"] = scores[:, index] * sd[index] + mean[index]
        return table
    raise ValueError(f"no prediction format for task {task!r}")


def per_position_table(
    ids: np.ndarray,
    residues: np.ndarray,
    scores: np.ndarray,
    classes: list[str],
    truth: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per residue (``residues``: an item × position mask that leaves padding out); the
    ``truth`` column (class index + 1 per position) only when given."""
    rows, columns = np.nonzero(residues)
    table = pd.DataFrame({"id": ids[rows], "position": columns + 1})
    if truth is not None:
        table["truth"] = np.asarray(classes, dtype=object)[truth[rows, columns] - 1]
    for index, name in enumerate(classes):
        table[f"score:{name}"] = scores[rows, columns, index]
    return table


def forecast_table(
    ids: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    genes: list[str],
    gene_of_window: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per window, horizon step and gene (``gene_of_window``: the gene of each window of a
    univariate model); ``truth`` is NaN where the step lies beyond the data."""
    n, horizon, n_genes = truth.shape
    window, step, gene = np.meshgrid(np.arange(n), np.arange(horizon), np.arange(n_genes), indexing="ij")
    window, step, gene = window.ravel(), step.ravel(), gene.ravel()
    names = np.asarray(genes, dtype=object)[gene] if gene_of_window is None else gene_of_window[window]
    table = pd.DataFrame(
        {
            "id": ids[window],
            "series": [name.rsplit("@", 1)[0] for name in ids[window]],
            "step": step + 1,
            "gene": names,
            "truth": truth.reshape(-1),
            "pred": predicted.reshape(-1),
        }
    )
    return table


def predict_in_batches(model: object, inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for an array, batch by batch as ``model.predict`` splits it (the same
    compiled step, so the same bits), without the set-up of a ``predict`` call; ``inputs`` is not
    empty."""
    batches = range(0, len(inputs), batch_size)
    return np.concatenate(
        [np.asarray(model.predict_on_batch(inputs[first : first + batch_size])) for first in batches]
    )


def predict_partition(
    model: object, data: TrainingData, name: str = "test", batch_size: int = 256
) -> pd.DataFrame:
    """Run ``model`` over one partition and return its prediction table."""
    from biodl.train.batches import Batches

    partition = data.partitions[name]
    scores = model.predict(Batches(partition, batch_size), verbose=0)
    return prediction_table(data, partition, np.asarray(scores))
