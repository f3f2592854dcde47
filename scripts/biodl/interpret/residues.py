"""What a model of whole protein chains reads, from its per-residue attributions (output × item ×
position, the integrated gradients of each output's logit at every residue): which amino acids
speak for an output, where along the chain it looks, and the stretches that carry most of it.

Motif discovery (TF-MoDISco) and JASPAR are nucleotide-only; these summaries need no database."""

from __future__ import annotations

import numpy as np
import pandas as pd

BINS = 10  # stretches of the chain, N- to C-terminus, in the chain profile


def residue_positions(tokens: np.ndarray) -> np.ndarray:
    """Where each residue sits in its chain, from 0 at the N-terminus (-1 at padding): the count of
    residues before it, so that left or right padding does not shift it."""
    residues = tokens != 0
    return np.where(residues, np.cumsum(residues, axis=1) - 1, -1)


def letter_table(profiles: np.ndarray, tokens: np.ndarray, letters: str, names: list[str]) -> pd.DataFrame:
    """Per output and letter: how many sampled residues are that letter, their share of the residues,
    their mean attribution and their share of all absolute attribution to the output; the letters
    with the highest mean attribution first (an ambiguity code, not in ``letters``, is left out)."""
    frames = []
    residues = tokens != 0
    for name, profile in zip(names, profiles):
        total = np.abs(profile[residues]).sum()
        rows = []
        for token, letter in enumerate(letters, start=1):
            chosen = tokens == token
            count = int(chosen.sum())
            rows.append(
                {
                    "output": name,
                    "letter": letter,
                    "residues": count,
                    "frequency": count / max(int(residues.sum()), 1),
                    "mean": float(profile[chosen].mean()) if count else np.nan,
                    "share": float(np.abs(profile[chosen]).sum() / total) if total > 0 else np.nan,
                }
            )
        frames.append(pd.DataFrame(rows).sort_values("mean", ascending=False, kind="stable"))
    return pd.concat(frames, ignore_index=True)


def window_sums(profile: np.ndarray, tokens: np.ndarray, width: int) -> np.ndarray:
    """Summed attribution of every window of ``width`` positions (item × start), NaN where a window
    holds padding."""
    cumulative = np.pad(np.cumsum(profile, axis=1), ((0, 0), (1, 0)))
    padding = np.pad(np.cumsum(tokens == 0, axis=1), ((0, 0), (1, 0)))
    sums = cumulative[:, width:] - cumulative[:, :-width]
    return np.where(padding[:, width:] - padding[:, :-width] == 0, sums, np.nan)


def top_windows(
    profiles: np.ndarray,
    tokens: np.ndarray,
    ids: np.ndarray,
    letters: str,
    names: list[str],
    *,
    width: int,
    count: int,
) -> pd.DataFrame:
    """Per output, the ``count`` chains whose best stretch of ``width`` residues speaks most for it:
    the stretch (its residues, first and last residue numbered from 1 at the N-terminus), its summed
    attribution and its share of the chain's absolute attribution. Chains shorter than ``width``
    are left out."""
    vocabulary = np.array(["", *letters, "X"])
    positions = residue_positions(tokens)
    rows = []
    for name, profile in zip(names, profiles):
        if width > profile.shape[1]:
            break
        sums = window_sums(profile, tokens, width)
        has_window = np.isfinite(sums).any(axis=1)
        items = np.flatnonzero(has_window)
        best = np.nanargmax(sums[items], axis=1)
        scores = sums[items, best]
        order = np.argsort(-scores, kind="stable")[:count]
        for item, start, score in zip(items[order], best[order], scores[order]):
            total = np.abs(profile[item]).sum()
            rows.append(
                {
                    "output": name,
                    "id": str(ids[item]),
                    "first": int(positions[item, start]) + 1,
                    "last": int(positions[item, start + width - 1]) + 1,
                    "residues": "".join(
                        vocabulary[np.minimum(tokens[item, start : start + width], len(letters) + 1)]
                    ),
                    "attribution": float(score),
                    "share": float(np.abs(profile[item, start : start + width]).sum() / total)
                    if total
                    else np.nan,
                }
            )
    columns = ["output", "id", "first", "last", "residues", "attribution", "share"]
    return pd.DataFrame(rows, columns=columns)


def chain_profile(
    profiles: np.ndarray, tokens: np.ndarray, names: list[str], bins: int = BINS
) -> pd.DataFrame:
    """Where along the chain each output's attribution lies: the share of its absolute attribution
    in each of ``bins`` equal stretches of every chain, N- to C-terminus, beside the share of the
    residues that fall there (what an evenly spread attribution would give)."""
    positions = residue_positions(tokens)
    lengths = (tokens != 0).sum(axis=1, keepdims=True)
    residues = positions >= 0
    stretch = np.where(residues, np.minimum(positions * bins // np.maximum(lengths, 1), bins - 1), -1)
    counts = np.array([(stretch == index).sum() for index in range(bins)])
    rows = []
    for name, profile in zip(names, profiles):
        magnitude = np.abs(profile)
        total = magnitude[residues].sum()
        for index in range(bins):
            mass = magnitude[stretch == index].sum()
            rows.append(
                {
                    "output": name,
                    "stretch": index + 1,
                    "from": index / bins,
                    "to": (index + 1) / bins,
                    "share": float(mass / total) if total > 0 else np.nan,
                    "residues": float(counts[index] / max(counts.sum(), 1)),
                }
            )
    return pd.DataFrame(rows)
