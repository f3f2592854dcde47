"""Figures of a dataset's generative models: k-mer divergences, GC content, losses and latent spaces.

Each figure shows every generative model of the dataset; where one run
stands for a model (GC content, losses, latent space), it is the model's
first unit and seed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path as FilePath

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from biodl.errors import InputError
from biodl.evaluate.plots import _grid, _save
from biodl.generative.metrics import (
    gc_content,
    labels_for,
    partition_tokens,
    read_latent,
    read_samples,
)
from biodl.runkey import run_inputs

Path = str | os.PathLike
REFERENCES = {
    "train_floor": ("real training sequences (floor)", "k", "--"),
    "shuffled_ceiling": ("shuffled training sequences", "grey", ":"),
    "background_ceiling": ("i.i.d. background letters", "silver", "-."),
}


def first_runs(files: Mapping[str, Path], kind: str) -> dict[str, Path]:
    """One file per model: that of its first unit and seed."""
    chosen: dict[str, Path] = {}
    for run, path in sorted(run_inputs(files, kind).items()):
        chosen.setdefault(run.model, path)
    return chosen


def plot_kmers(files: Mapping[str, Path], path: Path) -> None:
    """JS divergence to held-out sequences for k = 1…6: each model (mean over runs) and the references."""
    runs = run_inputs(files, "metrics")
    if not runs:
        raise InputError("no metrics of generated sequences to plot")
    reports = {
        key: json.loads(FilePath(source).read_text(encoding="utf-8"))["kmer_jsd"]
        for key, source in sorted(runs.items())
    }
    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    for model in sorted({run.model for run in reports}):
        curves = pd.DataFrame([report["generated"] for key, report in reports.items() if key.model == model])
        ks = [int(k) for k in curves.columns]
        axis.plot(ks, curves.mean().to_numpy(), marker="o", label=model)
    first = reports[min(reports)]
    for name, (label, colour, style) in REFERENCES.items():
        ks = [int(k) for k in first[name]]
        axis.plot(ks, list(first[name].values()), color=colour, linestyle=style, label=label)
    axis.set(xlabel="k", ylabel="JS divergence to held-out k-mer spectrum", yscale="log")
    axis.legend(fontsize=7)
    _save(figure, path)


def plot_gc(files: Mapping[str, Path], vocabulary: str, path: Path) -> None:
    """Distribution of GC content per sequence: held-out real sequences against each model's samples."""
    samples = first_runs(files, "sequences")
    unit = min(run_inputs(files, "sequences")).unit
    _, heldout = partition_tokens(files["tokens"], files["ids"], files["split"], unit)
    bins = np.linspace(0, 1, 33)
    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    axis.hist(gc_content(heldout, vocabulary), bins=bins, density=True, color="silver", label="held-out real")
    for model, fasta in samples.items():
        gc = gc_content(read_samples(fasta, vocabulary), vocabulary)
        axis.hist(gc, bins=bins, density=True, histtype="step", linewidth=1.5, label=model)
    axis.set(xlabel="GC content per sequence", ylabel="density")
    axis.legend(fontsize=7)
    _save(figure, path)


def plot_losses(files: Mapping[str, Path], path: Path) -> None:
    """Every loss column of each model's training history against the epoch."""
    histories = first_runs(files, "history")
    figure, axes = _grid(len(histories))
    for axis, (model, history_path) in zip(axes.flat, histories.items()):
        history = pd.read_csv(history_path, sep="\t")
        for column in history.columns.drop(["epoch", "kl_weight"], errors="ignore"):
            if "accuracy" not in column:
                axis.plot(history["epoch"], history[column], label=column)
        axis.set(title=model, xlabel="epoch")
        axis.legend(fontsize=6)
    for axis in axes.flat[len(histories) :]:
        axis.set_visible(False)
    _save(figure, path)


def plot_latent(files: Mapping[str, Path], label_column: str | None, path: Path) -> None:
    """First two principal components of the latent means; test items coloured by label, train in grey."""
    latents = first_runs(files, "latent")
    figure, axes = _grid(len(latents), size=3.8)
    for axis, (model, latent_path) in zip(axes.flat, latents.items()):
        table = read_latent(latent_path)
        coordinates = table.drop(columns=["id", "partition"]).to_numpy()
        points = PCA(n_components=min(2, coordinates.shape[1]), random_state=0).fit_transform(coordinates)
        points = np.column_stack([points, np.zeros(len(points))])[:, :2]
        train = (table["partition"] == "train").to_numpy()
        axis.scatter(points[train, 0], points[train, 1], s=6, color="lightgrey", label="train")
        test = ~train
        labels = labels_for(table["id"], files["ids"], label_column) if label_column else None
        if labels is None:
            axis.scatter(points[test, 0], points[test, 1], s=10, label="valid/test")
        else:
            for label in sorted(set(labels[test])):
                chosen = test & (labels == label)
                axis.scatter(points[chosen, 0], points[chosen, 1], s=10, label=str(label))
        axis.set(title=model, xlabel="latent PC1", ylabel="latent PC2")
        axis.legend(fontsize=6)
    for axis in axes.flat[len(latents) :]:
        axis.set_visible(False)
    _save(figure, path)


def plot_generative(
    figures: Mapping[str, Path],
    files: Mapping[str, Path],
    vocabulary: str | None = None,
    label_column: str | None = None,
    motifs: list[str] | None = None,
) -> None:
    """Write the generative figures of a dataset (``kmers``, ``gc``, ``losses``, ``latent``) by name."""
    draw = {
        "kmers": lambda path: plot_kmers(files, path),
        "gc": lambda path: plot_gc(files, vocabulary, path),
        "losses": lambda path: plot_losses(files, path),
        "latent": lambda path: plot_latent(files, label_column, path),
    }
    unknown = sorted(set(figures) - set(draw))
    if unknown:
        raise InputError(f"unknown generative figure {unknown[0]!r}")
    for name, path in figures.items():
        draw[name](path)
