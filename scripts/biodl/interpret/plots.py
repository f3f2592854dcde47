"""Figures of an interpretation: motif logos, attribution tracks, gene rankings, residue context,
the amino acids and stretches of a chain a protein model reads."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import logomaker
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from biodl.evaluate.plots import _save
from biodl.interpret.attributions import position_profile
from biodl.interpret.context import SHARE, context_width
from biodl.interpret.genes import top

PathLike = str | os.PathLike
SHOWN_MOTIFS = 6
SHOWN_GENES = 20
SHOWN_TRACKS = 3  # test items whose attributions are drawn along the sequence


def plot_logos(motifs: list, matches: pd.DataFrame, path: PathLike) -> None:
    """Contribution logos of the motifs with most seqlets, each titled with its best JASPAR match."""
    shown = sorted(motifs, key=lambda motif: -motif.seqlets)[:SHOWN_MOTIFS]
    figure, axes = plt.subplots(max(1, len(shown)), 1, figsize=(6, 1.8 * max(1, len(shown))), squeeze=False)
    best = matches[matches["rank"] == 1].set_index("motif") if len(matches) else None
    for axis, motif in zip(axes[:, 0], shown):
        logomaker.Logo(pd.DataFrame(motif.cwm, columns=list("ACGT")), ax=axis, color_scheme="classic")
        title = f"{motif.name} ({motif.seqlets} seqlets)"
        if best is not None and motif.name in best.index:
            row = best.loc[motif.name]
            title += f": {row['tf']} ({row['matrix_id']}, {row['tf_family']}), q = {row['q_value']:.2g}"
        axis.set_title(title, fontsize=8)
        axis.set_xticks([])
    if not shown:
        axes[0, 0].text(0.5, 0.5, "no motif found", ha="center", va="center")
        axes[0, 0].axis("off")
    _save(figure, path)


def plot_gene_rankings(rankings: dict[str, np.ndarray], genes: list[str], path: PathLike) -> None:
    """The ``SHOWN_GENES`` most important genes of each ranking, one panel per method."""
    figure, axes = plt.subplots(1, len(rankings), figsize=(3.2 * len(rankings), 0.22 * SHOWN_GENES + 1))
    for axis, (name, importance) in zip(np.atleast_1d(axes), rankings.items()):
        best = top(importance, min(SHOWN_GENES, len(genes)))[::-1]
        axis.barh([genes[index] for index in best], importance[best], color="#4c72b0")
        axis.set_title(name, fontsize=8)
        axis.tick_params(labelsize=6)
    _save(figure, path)


def plot_time_profile(table: pd.DataFrame, path: PathLike) -> None:
    """Each class's mean attribution over the time points (over the items of the class)."""
    figure, axis = plt.subplots(figsize=(6.4, 3.2))
    for name, rows in table.groupby("output", sort=False):
        axis.plot(rows["time"], rows["attribution"], marker=".", label=f"{name} (n={rows['items'].iloc[0]})")
    axis.axhline(0, color="#999999", linewidth=0.6)
    axis.set_xlabel("time")
    axis.set_ylabel("attribution to the class (sum over genes)")
    axis.legend(fontsize=7, ncol=2)
    _save(figure, path)


def plot_context(table: pd.DataFrame, path: PathLike) -> None:
    """Share of attribution per offset from the predicted residue, and within ±offset."""
    width = context_width(table)
    shown = table[table["offset"].abs() <= max(3 * width, 10)]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    left.bar(shown["offset"], shown["share"], color="#4c72b0")
    left.set_xlabel("offset from the predicted residue")
    left.set_ylabel("share of |attribution|")
    distance = shown[shown["offset"] >= 0]
    right.plot(distance["offset"], distance["within"], marker=".", color="#4c72b0")
    right.axhline(SHARE, color="grey", linestyle=":")
    right.set_xlabel("k")
    right.set_ylabel("share within ±k")
    right.set_title(f"{SHARE:.0%} within ±{width} residues", fontsize=9)
    _save(figure, path)


def plot_tracks(
    contributions: np.ndarray,
    names: list[str],
    ids: np.ndarray,
    logits: np.ndarray,
    path: PathLike,
    *,
    letters: str = "ACGT",
) -> None:
    """Top: the mean absolute contribution at each position over the sampled items, per output;
    below: the contribution logos (of ``letters``) of the ``SHOWN_TRACKS`` items with the most
    absolute contribution to the first output (the most evidence, for it or against it)."""
    shown = np.argsort(-np.abs(contributions[0]).sum(axis=(1, 2)), kind="stable")[:SHOWN_TRACKS]
    width = contributions.shape[2]
    figure, axes = plt.subplots(1 + len(shown), 1, figsize=(max(8, width / 12), 1.6 * (1 + len(shown))))
    axes = np.atleast_1d(axes)
    for name, values in zip(names, contributions):
        axes[0].plot(np.arange(1, width + 1), position_profile(values), label=name, lw=1)
    axes[0].set_title("mean |contribution| per position", fontsize=8)
    axes[0].legend(fontsize=6, loc="upper right")
    for axis, item in zip(axes[1:], shown):
        logo = pd.DataFrame(contributions[0, item], columns=list(letters), index=np.arange(1, width + 1))
        logomaker.Logo(logo, ax=axis, color_scheme="classic" if len(letters) == 4 else "chemistry")
        axis.set_title(f"{ids[item]}: contributions to {names[0]} (logit {logits[item, 0]:.2f})", fontsize=8)
    _save(figure, path)


def plot_residues(letters: pd.DataFrame, profile: pd.DataFrame, path: PathLike) -> None:
    """Left: each output's mean attribution per amino acid (outputs × letters); right: the share of
    each output's absolute attribution along the chain, beside the share of the residues there."""
    means = letters.pivot(index="output", columns="letter", values="mean")
    means = means.loc[letters["output"].unique(), sorted(means.columns)]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(11, 2.4 + 0.35 * len(means)), gridspec_kw={"width_ratios": [2, 1]}
    )
    limit = np.nanmax(np.abs(means.to_numpy())) or 1.0
    image = left.imshow(means.to_numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    left.set_xticks(np.arange(means.shape[1]), means.columns)
    left.set_yticks(np.arange(means.shape[0]), means.index, fontsize=7)
    left.set_title("mean attribution per residue", fontsize=8)
    figure.colorbar(image, ax=left, fraction=0.03)
    for name, rows in profile.groupby("output", sort=False):
        right.plot(rows["stretch"], rows["share"], marker=".", label=name)
    first = profile[profile["output"] == profile["output"].iloc[0]]
    right.plot(first["stretch"], first["residues"], color="grey", linestyle=":", label="residues")
    right.set_xlabel("tenth of the chain (N → C)")
    right.set_ylabel("share of |attribution|")
    right.legend(fontsize=6)
    _save(figure, path)
