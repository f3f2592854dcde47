"""The figure of a search: validation loss against each searched parameter.

Drawn here rather than with ``optuna.visualization.matplotlib`` (experimental API, warning on every
call) so that the figure reads the same trials.tsv a user has."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from biodl.evaluate.plots import _save

PathLike = str | os.PathLike


def plot_trials(table: pd.DataFrame, parameters: list[str], path: PathLike) -> None:
    """One panel per parameter: each finished trial's best validation loss at its value (the best
    trial marked), numbers on a log axis when they span more than a factor of 20."""
    complete = table[table["state"] == "complete"]
    best = complete["value"].idxmin()
    figure, axes = plt.subplots(1, len(parameters), figsize=(3.2 * len(parameters), 3), squeeze=False)
    for axis, name in zip(axes[0], parameters):
        values = complete[name].tolist()
        if all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
            x = np.asarray(values, dtype=float)
            if x.min() > 0 and x.max() / x.min() > 20:
                axis.set_xscale("log")
        else:  # categories (text, or numbers mixed with text), in their sorted order
            labels = sorted({str(value) for value in values})
            x = np.array([labels.index(str(value)) for value in values], dtype=float)
            axis.set_xticks(range(len(labels)), labels, fontsize=7, rotation=30)
        axis.scatter(x, complete["value"], s=14, color="#4c72b0")
        chosen = complete.index.get_loc(best)
        axis.scatter(x[chosen], complete["value"].iloc[chosen], s=60, facecolors="none", edgecolors="#c44e52")
        axis.set_xlabel(name, fontsize=8)
    axes[0, 0].set_ylabel("best validation loss")
    pruned = int((table["state"] == "pruned").sum())
    figure.suptitle(f"{len(complete)} finished trials, {pruned} pruned (circled: the best)", fontsize=9)
    _save(figure, path)
