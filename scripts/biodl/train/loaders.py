"""Training inputs for every kind of dataset, gathered by index without copying the data.

Each partition is an index into arrays opened with ``mmap_mode="r"`` (tokens,
features, time-course cubes); a batch gathers its rows when asked. Forecasting
windows are (series, start) pairs, so no window is ever stored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path as FilePath

import numpy as np
import pandas as pd

from biodl.alphabets import PAD
from biodl.data.split import read_partitions
from biodl.specs import InputSpec, TaskSpec
from biodl.vocabulary import CLASS_TASKS, INPUT_KINDS

Path = str | os.PathLike
Gather = Callable[[np.ndarray], tuple[np.ndarray, ...]]


@dataclass
class Partition:
    """Items of one partition: their ids and a function that gathers (x, y[, w]) by position."""

    ids: list[str]
    gather: Gather
    truth: Callable[[np.ndarray], np.ndarray]
    genes: list[str] | None = None  # univariate forecasting windows: the gene of each window

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class TrainingData:
    """Everything a model needs: input and task specs, partitions and target encodings."""

    spec: InputSpec
    task: TaskSpec
    partitions: dict[str, Partition]
    encoding: dict = field(default_factory=dict)
    augment: dict | None = None  # reverse_complement, shift of training batches (sequences)


def _read_index(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def partition_rows(index: pd.DataFrame, split_path: Path, unit: str) -> dict[str, np.ndarray]:
    """Row numbers of each partition, in index order."""
    partition = read_partitions(split_path, unit).set_index("id")["partition"].loc[index["id"]].to_numpy()
    return {name: np.flatnonzero(partition == name) for name in ("train", "valid", "test")}


def encode_targets(
    index: pd.DataFrame, meta: dict, task: str, train_rows: np.ndarray
) -> tuple[np.ndarray, dict]:
    """Targets as arrays the heads expect, and how to read them back.

    Classes are sorted label values (binary: the second is positive);
    regression targets are standardised with the training mean and sd.
    """
    columns = meta["label_columns"]
    if task in CLASS_TASKS:
        classes = meta["classes"][columns[0]]
        codes = pd.Categorical(index[columns[0]], categories=classes).codes
        dtype = np.float32 if task == "binary" else np.int32
        return codes.astype(dtype), {"classes": classes}
    if task == "multilabel":
        return index[columns].astype(np.float32).to_numpy(), {"labels": columns}
    if task == "regression":
        values = index[columns].astype(np.float64).to_numpy()
        mean, sd = values[train_rows].mean(axis=0), values[train_rows].std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        scaled = ((values - mean) / sd).astype(np.float32)
        return scaled, {"targets": columns, "mean": mean.tolist(), "sd": sd.tolist()}
    raise ValueError(f"task {task!r} has no per-item targets")


def class_weights(targets: np.ndarray, rows: np.ndarray, n_classes: int) -> np.ndarray:
    """'Balanced' weights n / (C · n_c) from the training rows (as scikit-learn computes them)."""
    counts = np.bincount(targets[rows].astype(np.int64), minlength=n_classes).astype(np.float64)
    return (len(rows) / (n_classes * np.maximum(counts, 1))).astype(np.float32)


def _item_partitions(
    inputs: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray | None,
    ids: np.ndarray,
    rows: dict[str, np.ndarray],
    truth: Callable[[np.ndarray], np.ndarray],
) -> dict[str, Partition]:
    """Partitions of items (sequences, samples, series) gathered by row."""

    def make(selected: np.ndarray) -> Partition:
        def gather(positions: np.ndarray) -> tuple[np.ndarray, ...]:
            chosen = selected[positions]
            x = np.asarray(inputs[chosen])
            if weights is None:
                return x, targets[chosen]
            return x, targets[chosen], weights[chosen]

        return Partition(ids[selected].tolist(), gather, lambda positions: truth(selected[positions]))

    return {name: make(selected) for name, selected in rows.items()}


def has_padding(tokens: np.ndarray, pad_side: str = "right") -> bool:
    """Whether any row of a token matrix is padded (token 0 at its padded end)."""
    end = tokens[:, -1] if pad_side == "right" else tokens[:, 0]
    return bool(np.any(end == PAD))


def token_spec(tokens: np.ndarray, meta: dict) -> InputSpec:
    """Input spec of a token matrix described by its ingest ``meta.json``."""
    padded = has_padding(tokens, meta.get("length", {}).get("pad", "right"))
    return InputSpec("tokens", tokens.shape[1:], len(meta["vocabulary"]), padded)


def load_items(
    kind: str,
    task: str,
    ingest: dict[str, Path],
    *,
    inputs_path: Path,
    split_path: Path,
    unit: str,
    balance_classes: bool = True,
) -> TrainingData:
    """Training data for sequences, expression profiles or whole time series."""
    index = _read_index(ingest["ids"])
    meta = json.loads(FilePath(ingest["meta"]).read_text(encoding="utf-8"))
    rows = partition_rows(index, split_path, unit)
    inputs = np.load(inputs_path, mmap_mode="r")
    ids = index["id"].to_numpy()
    if task == "per_position":
        positions = np.load(ingest["positions"], mmap_mode="r")
        classes = list(meta["position_classes"])
        spec = token_spec(inputs, meta)

        def gather_positions(chosen: np.ndarray) -> np.ndarray:
            return np.asarray(positions[chosen])

        targets = _PositionTargets(positions)
        partitions = _item_partitions(inputs, targets, targets.weights(), ids, rows, gather_positions)
        return TrainingData(spec, TaskSpec(task, len(classes)), partitions, {"classes": classes})
    targets, encoding = encode_targets(index, meta, task, rows["train"])
    weights = None
    n_outputs = targets.shape[1] if targets.ndim == 2 else len(encoding["classes"])
    if task == "binary":
        n_outputs = 1
    if task in CLASS_TASKS and balance_classes:
        per_class = class_weights(targets, rows["train"], len(encoding["classes"]))
        encoding["class_weights"] = per_class.tolist()
        weights = per_class[targets.astype(np.int64)]
    spec = token_spec(inputs, meta) if kind == "sequences" else InputSpec(INPUT_KINDS[kind], inputs.shape[1:])
    partitions = _item_partitions(inputs, targets, weights, ids, rows, lambda chosen: targets[chosen])
    return TrainingData(spec, TaskSpec(task, n_outputs), partitions, encoding)


class _PositionTargets:
    """Per-position labels served lazily: class index (0-based) and a mask that drops padding."""

    def __init__(self, positions: np.ndarray):
        self.positions = positions

    def __getitem__(self, chosen: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(self.positions[chosen]).astype(np.int32) - 1, 0)

    def weights(self) -> _PositionWeights:
        return _PositionWeights(self.positions)


class _PositionWeights:
    def __init__(self, positions: np.ndarray):
        self.positions = positions

    def __getitem__(self, chosen: np.ndarray) -> np.ndarray:
        return (np.asarray(self.positions[chosen]) > 0).astype(np.float32)


def forecast_windows(
    n_series: int, n_times: int, lookback: int, horizon: int, stride: int, allowed: np.ndarray
) -> np.ndarray:
    """(series, start) of every window whose look-back and horizon lie in ``allowed``.

    ``allowed`` is a (series × time) boolean mask of one partition.
    """
    span = lookback + horizon
    starts = np.arange(0, n_times - span + 1, stride)
    inside = np.lib.stride_tricks.sliding_window_view(allowed, span, axis=1)[:, starts].all(axis=2)
    series, which = np.nonzero(inside)
    return np.stack([series, starts[which]], axis=1)


def load_windows(
    ingest: dict[str, Path],
    values_path: Path,
    *,
    split_path: Path,
    unit: str,
    split_by: str,
    lookback: int,
    horizon: int,
    stride: int = 1,
    univariate: bool = False,
) -> TrainingData:
    """Forecasting windows: look-back × genes in, horizon × genes out, in normalised units.

    ``univariate`` makes every (series, gene) a series of its own: one model
    then forecasts each gene from its own past, with weights shared by all
    genes. The cube is viewed as (series·gene × time × 1), not copied.
    """
    index = _read_index(ingest["ids"])
    values = np.load(values_path, mmap_mode="r")
    times = pd.read_csv(ingest["times"], sep="\t")["time"].to_numpy()
    genes = pd.read_csv(ingest["genes"], sep="\t")["gene"].tolist()
    series_ids = index["id"].to_numpy()
    gene_of_series = None
    if univariate:
        n_series, n_times, n_genes = values.shape
        values = np.moveaxis(values, 2, 1).reshape(n_series * n_genes, n_times, 1)
        series_ids = np.repeat(series_ids, n_genes)
        gene_of_series = np.tile(np.asarray(genes, dtype=object), n_series)
    n_series, n_times, n_genes = values.shape
    partition = read_partitions(split_path, unit).set_index("id")["partition"]
    if split_by == "time":
        per_time = partition.loc[[f"{t:g}" for t in times]].to_numpy()
        masks = {
            name: np.broadcast_to(per_time == name, (n_series, n_times))
            for name in ("train", "valid", "test")
        }
    else:
        per_series = partition.loc[series_ids].to_numpy()
        masks = {
            name: np.repeat((per_series == name)[:, None], n_times, axis=1)
            for name in ("train", "valid", "test")
        }
    partitions = {}
    for name, mask in masks.items():
        windows = forecast_windows(n_series, n_times, lookback, horizon, stride, np.asarray(mask))
        partitions[name] = _window_partition(values, windows, series_ids, times, lookback, horizon)
        if gene_of_series is not None:
            partitions[name].genes = gene_of_series[windows[:, 0]].tolist()
    spec = InputSpec("series", (lookback, n_genes))
    task = TaskSpec("forecasting", horizon * n_genes, (horizon, n_genes))
    encoding = {"genes": genes, "lookback": lookback, "horizon": horizon, "univariate": univariate}
    return TrainingData(spec, task, partitions, encoding)


def _window_partition(
    values: np.ndarray,
    windows: np.ndarray,
    series_ids: np.ndarray,
    times: np.ndarray,
    lookback: int,
    horizon: int,
) -> Partition:
    """Windows gathered on demand from the (series × time × gene) cube."""
    offsets_in = np.arange(lookback)
    offsets_out = np.arange(lookback, lookback + horizon)

    def slices(positions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        chosen = windows[positions]
        return np.asarray(values[chosen[:, 0, None], chosen[:, 1, None] + offsets[None, :]])

    def gather(positions: np.ndarray) -> tuple[np.ndarray, ...]:
        return slices(positions, offsets_in), slices(positions, offsets_out)

    ids = [f"{series_ids[s]}@{times[t + lookback - 1]:g}" for s, t in windows]
    return Partition(ids, gather, lambda positions: slices(positions, offsets_out))


def load_run_data(
    kind: str,
    task: str,
    files: dict[str, Path],
    *,
    unit: str,
    windows: dict | None = None,
    split_by: str = "items",
    class_weights: str = "balanced",
) -> TrainingData:
    """The partitions of one split unit, as a model of any family consumes them."""
    if task == "forecasting":
        return load_windows(
            files,
            files["inputs"],
            split_path=files["split"],
            unit=unit,
            split_by=split_by,
            lookback=windows["lookback"],
            horizon=windows["horizon"],
            stride=windows["stride"],
            univariate=windows["univariate"],
        )
    return load_items(
        kind,
        task,
        files,
        inputs_path=files["inputs"],
        split_path=files["split"],
        unit=unit,
        balance_classes=class_weights == "balanced",
    )
