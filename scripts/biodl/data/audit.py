"""A leakage audit of a split: what a test item may share with the training items.

Per split unit, for every kind of input it can be measured on:

- exact duplicates: test (and validation) sequences identical to a training sequence;
- nearest training identity: the highest identity of each test sequence to any training
  sequence among the aligned MinHash candidates (identity as the homology split defines it);
- shared groups: declared groups (patient, family, donor) with members in train and test;
- near-duplicate samples: test samples whose deviations from the average training profile
  correlate with a training sample's at a threshold (log1p values centred per sample, so
  sequencing depth does not matter);
- overlapping windows: for windows of a genome, those that overlap a window of another partition;
- time overlap: for splits by time, whether a training window and a test window share a time
  point (they must be at least look-back + horizon points apart).

Thresholds turn findings into warnings (``on_finding: warn``) or a failed split (``fail``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from biodl.data.homology import HomologyResult, homology_groups
from biodl.errors import InputError

AUDIT_KMER = {False: 8, True: 3}  # MinHash k of the audit's candidate search: nucleotides, protein


@dataclass(frozen=True)
class AuditSettings:
    """When a finding is reported: identity and correlation thresholds, and what a finding does."""

    identity: float = 0.95
    correlation: float = 0.9
    on_finding: str = "warn"  # warn | fail


def exact_duplicates(rows: list[bytes], partition: np.ndarray, held_out: str = "test") -> dict:
    """Held-out items whose sequence equals a training item's, with one example."""
    training = {row for row, name in zip(rows, partition) if name == "train"}
    copies = [index for index, row in enumerate(rows) if partition[index] == held_out and row in training]
    return {"count": len(copies), "example": int(copies[0]) if copies else None}


def nearest_training_identity(
    pairs: np.ndarray, identities: np.ndarray, partition: np.ndarray, threshold: float
) -> dict:
    """Per test item, the highest identity to a training item among the aligned candidate pairs.

    Returns the highest of them, how many test items reach ``threshold``, and the closest pair
    (test item first). Pairs that were never aligned count as below the candidate floor.
    """
    if len(pairs) == 0:
        return {"max": None, "at_or_above_threshold": 0, "closest_pair": None}
    first, second = partition[pairs[:, 0]], partition[pairs[:, 1]]
    test_train = ((first == "test") & (second == "train")) | ((first == "train") & (second == "test"))
    if not test_train.any():
        return {"max": None, "at_or_above_threshold": 0, "closest_pair": None}
    crossing, scores = pairs[test_train], identities[test_train]
    test_item = np.where(partition[crossing[:, 0]] == "test", crossing[:, 0], crossing[:, 1])
    per_item = pd.Series(scores).groupby(test_item).max()
    best = int(np.argmax(scores))
    i, j = crossing[best]
    closest = [int(i), int(j)] if partition[i] == "test" else [int(j), int(i)]
    return {
        "max": round(float(scores[best]), 4),
        "at_or_above_threshold": int((per_item >= threshold).sum()),
        "closest_pair": closest,
    }


def shared_groups(groups: np.ndarray, partition: np.ndarray) -> int:
    """Declared groups with members both in the training and in the test partition."""
    frame = pd.DataFrame({"group": groups, "partition": partition})
    present = frame.groupby("group")["partition"].agg(lambda names: {"train", "test"} <= set(names))
    return int(present.sum())


def near_duplicate_samples(values: np.ndarray, partition: np.ndarray, threshold: float) -> dict:
    """Test samples whose profile correlates with a training sample's at ``threshold`` or more.

    Profiles are log1p of non-negative values (counts) or as they are (logged data), each sample
    centred on its own mean (so sequencing depth does not matter) and each gene on the training
    samples' mean: any two samples of one tissue correlate near 1 through the genes' levels
    alone, while replicates and re-sequenced samples also share their deviations from it.
    The score is the Pearson correlation of those deviations over genes.
    """
    test, train = np.flatnonzero(partition == "test"), np.flatnonzero(partition == "train")
    profiles = np.log1p(values) if np.nanmin(values) >= 0 else np.asarray(values, dtype=np.float64)
    profiles = profiles - np.nanmean(profiles, axis=1, keepdims=True)
    profiles = np.nan_to_num(profiles - np.nanmean(profiles[train], axis=0, keepdims=True))
    profiles -= profiles.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(profiles, axis=1, keepdims=True)
    unit = profiles / np.where(norms > 0, norms, 1.0)
    if len(test) == 0 or len(train) == 0:
        return {"max": None, "at_or_above_threshold": 0, "closest_pair": None}
    correlation = unit[test] @ unit[train].T
    best_train = correlation.argmax(axis=1)
    best = correlation[np.arange(len(test)), best_train]
    top = int(np.argmax(best))
    return {
        "max": round(float(best[top]), 4),
        "at_or_above_threshold": int((best >= threshold).sum()),
        "closest_pair": [int(test[top]), int(train[best_train[top]])],
    }


def overlapping_windows(
    chromosomes: np.ndarray, starts: np.ndarray, ends: np.ndarray, partition: np.ndarray
) -> dict:
    """Genome windows that overlap a window of another partition, with one such pair."""
    rank = np.unique(chromosomes.astype(str), return_inverse=True)[1].astype(np.int64)
    span = int(max(ends.max(initial=0), 0)) + 1
    key = rank * span + starts  # one number orders windows by chromosome, then start
    order = np.argsort(key, kind="stable")
    key, where = key[order], partition[order]
    # window i overlaps the following windows up to `reach` (exclusive): those starting before its end
    reach = np.searchsorted(key, (rank * span + ends)[order], side="left")
    changes = np.flatnonzero(where[1:] != where[:-1]) + 1  # first rows of a new partition run
    following = np.searchsorted(changes, np.arange(len(where)), side="right")
    next_change = np.append(changes, len(where))[following]
    crossing = next_change < reach
    involved = np.zeros(len(where), dtype=bool)
    involved[crossing] = True
    involved[next_change[crossing]] = True
    example = None
    if crossing.any():
        first = int(np.flatnonzero(crossing)[0])
        example = [int(order[first]), int(order[next_change[first]])]
    return {"count": int(involved.sum()), "example": example}


def time_overlap(partition: np.ndarray, lookback: int, horizon: int) -> dict:
    """Fewest time points between a training point and a test (or validation) point, against the gap.

    A window spans look-back + horizon points, so partitions closer than that share a window.
    """
    positions = {name: np.flatnonzero(partition == name) for name in ("train", "valid", "test")}
    gaps = [
        int(np.min(np.abs(positions["train"][:, None] - positions[name][None, :]))) - 1
        for name in ("valid", "test")
        if len(positions[name]) and len(positions["train"])
    ]
    closest = min(gaps) if gaps else None
    needed = lookback + horizon
    return {
        "closest_gap": closest,
        "needed_gap": needed,
        "overlapping": closest is not None and closest < needed,
    }


def findings(audit: dict, settings: AuditSettings) -> list[str]:
    """The audit's findings of one unit, in words (empty for a clean split)."""
    found = []
    if audit.get("exact_duplicates", {}).get("count"):
        found.append(
            f"{audit['exact_duplicates']['count']} test sequences are exact copies of training sequences"
        )
    nearest = audit.get("nearest_training_identity", {})
    if nearest.get("at_or_above_threshold"):
        found.append(
            f"{nearest['at_or_above_threshold']} test sequences are at least {settings.identity:g} identical "
            f"to a training sequence (highest {nearest['max']:g})"
        )
    if audit.get("shared_groups"):
        found.append(f"{audit['shared_groups']} groups have members in both train and test")
    samples = audit.get("near_duplicate_samples", {})
    if samples.get("at_or_above_threshold"):
        found.append(
            f"{samples['at_or_above_threshold']} test samples correlate at least {settings.correlation:g} "
            f"with a training sample (highest {samples['max']:g})"
        )
    if audit.get("overlapping_windows", {}).get("count"):
        found.append(f"{audit['overlapping_windows']['count']} windows overlap a window of another partition")
    if audit.get("time_overlap", {}).get("overlapping"):
        overlap = audit["time_overlap"]
        found.append(
            f"training and held-out time points are {overlap['closest_gap']} apart, "
            f"fewer than a window's {overlap['needed_gap']}"
        )
    return found


def act_on(findings_by_unit: dict[str, list[str]], settings: AuditSettings, source: str) -> list[str]:
    """Warnings for the split report; with ``on_finding: fail`` the first finding stops the split."""
    warnings = [f"{unit}: {finding}" for unit, found in findings_by_unit.items() for finding in found]
    if warnings and settings.on_finding == "fail":
        raise InputError(f"{source}: leakage audit: {warnings[0]} (split.audit.on_finding: fail)")
    return warnings


def sequence_candidates(
    tokens: np.ndarray, letters: str, alphabet_size: int, settings: AuditSettings, threads: int
) -> HomologyResult:
    """Aligned MinHash candidate pairs at the audit's identity, for a split without homology grouping."""
    protein = alphabet_size > 4
    return homology_groups(
        tokens, letters, settings.identity, AUDIT_KMER[protein], alphabet_size, protein, threads
    )


def audit_unit(
    partition: np.ndarray,
    settings: AuditSettings,
    rows: list[bytes] | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
    groups: np.ndarray | None = None,
    values: np.ndarray | None = None,
    coordinates: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Every measurement the inputs allow for one unit's partition (see the module's docstring)."""
    audit: dict = {}
    if rows is not None:
        audit["exact_duplicates"] = exact_duplicates(rows, partition)
    if candidates is not None:
        audit["nearest_training_identity"] = nearest_training_identity(
            *candidates, partition, settings.identity
        )
    if groups is not None:
        audit["shared_groups"] = shared_groups(groups, partition)
    if values is not None:
        audit["near_duplicate_samples"] = near_duplicate_samples(values, partition, settings.correlation)
    if coordinates is not None:
        audit["overlapping_windows"] = overlapping_windows(*coordinates, partition)
    audit["findings"] = findings(audit, settings)
    return audit
