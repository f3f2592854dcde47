"""How wide a context a per-position model reads: the attribution of one residue's prediction
spread over the residues around it.

For each sampled chain one labelled residue is drawn (seeded); the logit of its true class is
attributed to every letter of the chain with integrated gradients from the uniform background,
and the absolute attributions are summed per position and aligned on their offset from the
residue. The profile over offsets and the share of attribution within ±k residues say how far the
model looks; a convolution's receptive field bounds it, a recurrent model's does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biodl.interpret.attributions import LogitModel, integrated_gradients, uniform_background

SHARE = 0.9  # the context width is the smallest ±k that holds this share of the attribution


def drawn_residues(labels: np.ndarray, seed: int) -> np.ndarray:
    """One labelled position of every item (labels > 0), drawn uniformly with a seeded generator."""
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(np.flatnonzero(row > 0)) for row in labels], dtype=np.int64)


def residue_weights(n_logits: int, labels: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Weights over item × position × class logits that select each item's drawn residue's true class
    (``labels``: 1-based classes, 0 where unlabelled)."""
    weights = np.zeros((*labels.shape, n_logits), dtype=np.float32)
    rows = np.arange(len(labels))
    weights[rows, positions, labels[rows, positions].astype(np.int64) - 1] = 1.0
    return weights


def residue_attributions(
    logits: LogitModel, inputs: np.ndarray, labels: np.ndarray, positions: np.ndarray, *, steps: int
) -> np.ndarray:
    """Integrated gradients (item × position × letter) of each drawn residue's true-class logit."""
    weights = residue_weights(logits.kernel.shape[1], labels, positions)
    return integrated_gradients(logits, inputs, weights, baseline=uniform_background(inputs), steps=steps)


def offset_profile(attributions: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Absolute attribution per item and offset from its residue (item × offset, offsets
    -(width-1)..width-1; zero where the offset falls outside the chain)."""
    n_items, width = attributions.shape[:2]
    per_position = np.abs(attributions).sum(axis=-1)
    profile = np.zeros((n_items, 2 * width - 1), dtype=np.float64)
    columns = np.arange(width)[None, :] - positions[:, None] + width - 1
    profile[np.arange(n_items)[:, None], columns] = per_position
    return profile


def context_table(profile: np.ndarray) -> pd.DataFrame:
    """Per offset from the residue: the share of the attribution there (over all items) and the share
    within ±|offset|."""
    width = (profile.shape[1] + 1) // 2
    offsets = np.arange(-(width - 1), width)
    share = profile.sum(axis=0) / max(profile.sum(), np.finfo(float).tiny)
    by_distance = np.bincount(np.abs(offsets), weights=share)
    return pd.DataFrame(
        {"offset": offsets, "share": share, "within": np.cumsum(by_distance)[np.abs(offsets)]}
    )


def context_width(table: pd.DataFrame, share: float = SHARE) -> int:
    """The smallest k such that the offsets within ±k hold ``share`` of the attribution."""
    reached = table[table["within"] >= share - 1e-12]
    return int(reached["offset"].abs().min())
