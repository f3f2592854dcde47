"""Leakage-free splits: stratified, grouped, homology-aware, and by time for time courses.

Holdout splits use scikit-learn's ``StratifiedGroupKFold`` with K folds, K
being the smallest number for which the valid and test fractions are whole
numbers of folds; the first folds become test, the next valid, the rest
train. K-fold splits use the same splitter with the configured K; R
repeats of K-fold draw R assignments with seeds ``seed``, ``seed + 1``, …
(repeated cross-validation, for small data where one assignment is noise).
Groups (a declared group column, homology clusters, or both merged) never
cross partitions.

Checks that need no alignment (records and declared groups per class, groups
per fold) run before the homology search; after the split, a class with no
item in some partition of some unit is an error, or a warning in the report
with ``empty_partitions: warn``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from biodl.data.audit import AuditSettings, act_on, audit_unit, findings, sequence_candidates, time_overlap
from biodl.data.homology import (
    HomologyResult,
    homology_groups,
    identity_floor,
    load_homology,
    merge_groups,
    save_homology,
)
from biodl.data.units import parse_unit, unit_names
from biodl.errors import InputError
from biodl.io.outputs import all_or_nothing, save_json, save_table
from biodl.vocabulary import CLASS_TASKS

log = logging.getLogger("biodl.data.split")

Path = str | os.PathLike
REGRESSION_BINS = 5
RARE = "(rare combinations)"
PARTITIONS = ("train", "valid", "test")


def fold_count_for(valid: float, test: float, largest: int = 100) -> int:
    """Smallest K for which ``valid`` and ``test`` are (within 2 %) whole numbers of 1/K folds."""
    for folds in range(2, largest + 1):
        if all(abs(f * folds - round(f * folds)) <= 0.02 * max(f * folds, 1) for f in (valid, test)):
            return folds
    return largest


def strata_for(index: pd.DataFrame, task: str, label_columns: list[str], needed: int) -> np.ndarray:
    """The labels a split stratifies on: the class, the label combination, or target quantiles."""
    if task in CLASS_TASKS:
        return index[label_columns[0]].astype(str).to_numpy()
    if task == "multilabel":
        combos = index[label_columns].astype(str).agg("".join, axis=1)
        counts = combos.map(combos.value_counts())
        return combos.where(counts >= needed, RARE).to_numpy()
    if task == "regression":
        values = index[label_columns[0]].astype(float)
        bins = max(1, min(REGRESSION_BINS, len(values) // max(needed, 1)))
        return pd.qcut(values.rank(method="first"), bins, labels=False).astype(str).to_numpy()
    return np.zeros(len(index), dtype=str)


def check_class_sizes(
    strata: np.ndarray, groups: np.ndarray, needed: int, what: str, source: Path, column: str
) -> None:
    """Every class needs at least ``needed`` groups (one per partition or fold)."""
    frame = pd.DataFrame({"stratum": strata, "group": groups})
    per_class = frame.groupby("stratum")["group"].agg(["size", "nunique"])
    small = per_class[per_class["nunique"] < needed]
    if len(small):
        name, row = small.index[0], small.iloc[0]
        in_groups = "" if row["size"] == row["nunique"] else f" in {row['nunique']} groups"
        raise InputError(
            f"{source}: class {name!r} of column {column!r} has {row['size']} records{in_groups}; "
            f"a stratified {what} needs at least {needed}"
        )


def check_group_count(groups: np.ndarray, folds: int, source: Path | None = None) -> None:
    """A split into ``folds`` folds needs at least as many independent groups."""
    if len(np.unique(groups)) < folds:
        named = f"{source}: " if source is not None else ""
        raise InputError(
            f"{named}only {len(np.unique(groups))} independent groups for {folds} folds; "
            "lower the number of folds or relax the grouping"
        )


def assign_folds(strata: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold index (0..folds-1) per item; groups stay whole, classes balanced across folds."""
    check_group_count(groups, folds)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold = np.empty(len(strata), dtype=np.int64)
    for index, (_, held_out) in enumerate(splitter.split(np.zeros(len(strata)), strata, groups)):
        fold[held_out] = index
    return fold


def holdout_of_folds(sizes: np.ndarray, valid: float, test: float) -> np.ndarray:
    """The partition of each fold of ``sizes`` items: walking the folds in their (seeded) order, a fold
    joins the test partition, then the validation one, when it brings that partition closer to its
    requested share of the items; the other folds train. Folds of equal size give the first
    round(test·K) to test and the next round(valid·K) to validation; a fold larger than twice a
    partition's share (one large group, such as the chains of one complex) trains rather than swell it."""
    total = sizes.sum()
    names = np.full(len(sizes), "train", dtype=object)
    for name, share in (("test", test), ("valid", valid)):
        target, taken = share * total, 0
        for fold in np.flatnonzero(names == "train"):
            if abs(taken + sizes[fold] - target) < abs(taken - target):
                names[fold], taken = name, taken + sizes[fold]
    return names


def holdout_partitions(
    strata: np.ndarray, groups: np.ndarray, valid: float, test: float, seed: int
) -> np.ndarray:
    """'train' / 'valid' / 'test' per item, as near the requested fractions as whole groups allow
    (:func:`holdout_of_folds`)."""
    folds = fold_count_for(valid, test)
    fold = assign_folds(strata, groups, folds, seed)
    return holdout_of_folds(np.bincount(fold, minlength=folds), valid, test)[fold]


def time_partitions(n_times: int, valid: float, test: float, lookback: int, horizon: int) -> np.ndarray:
    """Consecutive train | gap | valid | gap | test blocks of time points.

    Each gap is ``lookback + horizon`` points, so no window of one partition
    reaches into the next.
    """
    gap = lookback + horizon
    n_test = round(test * n_times)
    n_valid = round(valid * n_times)
    n_train = n_times - n_test - n_valid - gap * ((n_valid > 0) + (n_test > 0))
    shortest = min([n for n in (n_train, n_valid, n_test) if n > 0] or [0])
    if n_train < gap or (0 < shortest < gap):
        raise InputError(
            f"{n_times} time points are too few for a time split with look-back {lookback}, "
            f"horizon {horizon} and gaps of {gap}: every partition needs at least {gap} points"
        )
    blocks = [("train", n_train)]
    if n_valid:
        blocks += [("gap", gap), ("valid", n_valid)]
    if n_test:
        blocks += [("gap", gap), ("test", n_test)]
    return np.concatenate([np.full(size, name, dtype=object) for name, size in blocks])


def class_balance(index: pd.DataFrame, unit: Sequence, label_columns: list[str], task: str) -> pd.DataFrame:
    """Count of items per partition (or fold) and class, with the number of groups."""
    frame = pd.DataFrame({"partition": np.asarray(unit).astype(str)})
    frame["group"] = index["group"].to_numpy() if "group" in index else index["id"].to_numpy()
    if task in CLASS_TASKS or task == "multilabel":
        rows = []
        for column in label_columns:
            per = frame.assign(label=index[column].astype(str).to_numpy())
            counts = per.groupby(["partition", "label"]).size().rename("n").reset_index()
            rows.append(counts.assign(column=column))
        table = pd.concat(rows)
        total = table.groupby(["column", "partition"])["n"].transform("sum")
        table["fraction"] = (table["n"] / total).round(4)
        return table[["column", "partition", "label", "n", "fraction"]]
    summary = frame.groupby("partition").agg(n=("group", "size"), groups=("group", "nunique"))
    return summary.reset_index()


def groups_across(groups: np.ndarray, unit: np.ndarray) -> int:
    """Number of groups whose members sit in more than one partition or fold."""
    frame = pd.DataFrame({"group": groups, "unit": unit})
    return int((frame.groupby("group")["unit"].nunique() > 1).sum())


def write_split(
    *,
    index_path: Path,
    split_path: Path,
    balance_path: Path,
    report_path: Path,
    task: str,
    label_columns: list[str],
    settings: dict,
    source: Path,
    tokens_path: Path | None = None,
    vocabulary: str | None = None,
    alphabet_size: int | None = None,
    times_path: Path | None = None,
    windows: dict | None = None,
    homology_path: Path | None = None,
    matrix_path: Path | None = None,
    threads: int = 1,
) -> None:
    """Split the items of ``index_path`` and write split.tsv, the class balance and a report.

    Homology groups come from ``homology_path`` (see :func:`write_homology)`
    when given, else they are computed here from ``tokens_path``. The report
    holds the leakage audit of every unit (:mod:`biodl.data.audit`), on the tokens
    of sequences and the ``matrix_path`` of expression samples.
    """
    index = pd.read_csv(index_path, sep="\t", dtype=str, keep_default_na=False)
    audit_settings = AuditSettings(**settings["audit"])
    if settings.get("by") == "time":
        _write_time_split(
            index,
            times_path,
            split_path,
            balance_path,
            report_path,
            settings,
            windows,
            audit_settings,
            source,
        )
        return
    check_before_alignment(index, task, label_columns, settings, source)
    homology = _homology(settings, tokens_path, vocabulary, alphabet_size, homology_path)
    groups = _groups(index, homology)
    if not (
        settings.get("column") or settings.get("chromosomes")
    ):  # homology merges groups: the count again, on the final groups
        check_group_count(
            groups, settings.get("folds") or fold_count_for(settings["valid"], settings["test"]), source
        )
    folds = settings.get("folds")
    needed = _needed(settings)
    stratify = settings["stratify"]
    strata = strata_for(index, task, label_columns, needed) if stratify else np.zeros(len(index), str)
    if stratify and task in CLASS_TASKS:
        check_class_sizes(strata, groups, needed, _what(settings), source, label_columns[0])
    repeats = settings["repeats"] if folds else 1
    if settings.get("column") or settings.get("chromosomes"):
        partitions = given_partitions(index, strata, groups, settings, source)
        assignments = [partitions]
        split = pd.DataFrame({"id": index["id"], "partition": partitions})
    elif folds:
        assignments = [assign_folds(strata, groups, folds, settings["seed"] + r) for r in range(repeats)]
        split = fold_table(index["id"], assignments)
    else:
        partitions = holdout_partitions(strata, groups, settings["valid"], settings["test"], settings["seed"])
        assignments = [partitions]
        split = pd.DataFrame({"id": index["id"], "partition": partitions})
    warnings = []
    if task in CLASS_TASKS:
        warnings = check_empty_partitions(
            index[label_columns[0]].astype(str).to_numpy(),
            assignments,
            folds,
            source,
            settings["empty_partitions"],
        )
    leakage = _audit(
        index,
        assignments,
        folds,
        homology,
        tokens_path,
        vocabulary,
        alphabet_size,
        matrix_path,
        audit_settings,
        threads,
    )
    warnings += act_on(
        {name: found["findings"] for name, found in leakage.items()}, audit_settings, str(source)
    )
    unit = assignments[0]  # sizes and balance: the first repeat
    report = {
        "method": split_method(settings),
        "settings": settings,
        "n": len(index),
        "sizes": {str(k): int(v) for k, v in pd.Series(unit).astype(str).value_counts().sort_index().items()},
        "groups": len(np.unique(groups)),
        "groups_across_partitions": sum(
            groups_across(groups, np.asarray(a).astype(str)) for a in assignments
        ),
        "homology": _homology_report(homology, np.asarray(unit).astype(str), index["id"], settings),
        "audit": {"settings": dataclasses.asdict(audit_settings), "units": leakage},
        "warnings": warnings,
    }
    with all_or_nothing(split_path, balance_path, report_path):
        save_table(split_path, split)
        save_table(balance_path, class_balance(index, unit, label_columns, task))
        save_json(report_path, report)


def _audit(
    index: pd.DataFrame,
    assignments: list[np.ndarray],
    folds: int | None,
    homology: HomologyResult | None,
    tokens_path: Path | None,
    vocabulary: str | None,
    alphabet_size: int | None,
    matrix_path: Path | None,
    settings: AuditSettings,
    threads: int,
) -> dict[str, dict]:
    """The leakage audit of every unit: sequences, declared groups and expression samples."""
    rows = candidates = values = None
    if tokens_path is not None:
        tokens = np.load(tokens_path)
        rows = [bytes(row[row != 0]) for row in tokens]
        found = homology or sequence_candidates(tokens, vocabulary, alphabet_size, settings, threads)
        candidates = (found.pairs, found.identities)
    if matrix_path is not None:
        values = np.load(matrix_path)
    groups = index["group"].to_numpy() if "group" in index else None
    coordinates = None
    if {"chromosome", "start", "end"} <= set(index.columns):  # windows of a genome
        coordinates = (
            index["chromosome"].to_numpy(dtype=object),
            index["start"].to_numpy(dtype=np.int64),
            index["end"].to_numpy(dtype=np.int64),
        )
    units = unit_names(folds, len(assignments)) if folds else ["holdout"]
    return {
        name: audit_unit(
            np.asarray(unit_partitions(assignments, name)).astype(str),
            settings,
            rows,
            candidates,
            groups,
            values,
            coordinates,
        )
        for name in units
    }


def write_homology(
    *,
    index_path: Path,
    tokens_path: Path,
    homology_path: Path,
    task: str,
    label_columns: list[str],
    settings: dict,
    source: Path,
    vocabulary: str,
    alphabet_size: int,
    threads: int = 1,
) -> None:
    """Check the split's class sizes, then find homology groups and write them to ``homology_path``."""
    index = pd.read_csv(index_path, sep="\t", dtype=str, keep_default_na=False)
    check_before_alignment(index, task, label_columns, settings, source)
    result = configured_homology(tokens_path, settings["homology"], vocabulary, alphabet_size, threads)
    with all_or_nothing(homology_path):
        save_homology(homology_path, result)


def check_before_alignment(
    index: pd.DataFrame, task: str, label_columns: list[str], settings: dict, source: Path
) -> None:
    """The class-size and group-count checks that need no alignment, on records and declared groups.

    Homology can only merge groups, so a split that fails here fails after it too.
    """
    if settings.get("by") == "time":
        return
    groups = _groups(index, None)
    needed = _needed(settings)
    if settings["stratify"] and task in CLASS_TASKS:
        strata = strata_for(index, task, label_columns, needed)
        check_class_sizes(strata, groups, needed, _what(settings), source, label_columns[0])
    if not settings.get("column"):
        check_group_count(
            groups, settings.get("folds") or fold_count_for(settings["valid"], settings["test"]), source
        )


def check_empty_partitions(
    labels: np.ndarray, assignments: list[np.ndarray], folds: int | None, source: Path, mode: str
) -> list[str]:
    """Every class needs an item in every partition of every unit.

    A class without one is an error, or with ``mode="warn"`` a warning logged and returned.
    """
    units = unit_names(folds, len(assignments)) if folds else ["holdout"]
    problems = []
    for name in units:
        partition = unit_partitions(assignments, name)
        present = [p for p in PARTITIONS if p in partition]
        for label in np.unique(labels):
            counts = {p: int(((partition == p) & (labels == label)).sum()) for p in PARTITIONS}
            for empty in (p for p in present if counts[p] == 0):
                where = "the holdout split" if name == "holdout" else name
                problems.append(
                    f"{source}: class {label!r} has no item in the {empty} partition of {where} "
                    f"({counts['train']} train / {counts['valid']} valid / {counts['test']} test)"
                )
    if problems and mode != "warn":
        raise InputError(
            f"{problems[0]}; add items of the class, use fewer partitions or folds, "
            "or set split.empty_partitions: warn"
        )
    for problem in problems:
        log.warning(problem)
    return problems


def unit_partitions(assignments: list[np.ndarray], unit: str) -> np.ndarray:
    """'train' / 'valid' / 'test' per item in ``unit`` of an assignment list (see :func:`read_partitions`)."""
    if unit == "holdout":
        return np.asarray(assignments[0], dtype=object)
    repeat, k = parse_unit(unit)
    return fold_partitions(np.asarray(assignments[repeat]), k)


def fold_partitions(fold: np.ndarray, k: int) -> np.ndarray:
    """In fold unit ``k``, fold k is test and fold k+1 (mod K) is valid; the rest is train."""
    n_folds = int(fold.max()) + 1
    partition = np.full(len(fold), "train", dtype=object)
    partition[fold == (k + 1) % n_folds] = "valid"
    partition[fold == k] = "test"
    return partition


def _needed(settings: dict) -> int:
    """Groups a class needs: one per fold, or one per non-empty partition."""
    return settings.get("folds") or 1 + (settings["valid"] > 0) + (settings["test"] > 0)


def _what(settings: dict) -> str:
    """The split as error messages name it."""
    folds = settings.get("folds")
    return f"{folds}-fold split" if folds else "train/valid/test split"


def split_method(settings: dict) -> str:
    """Name of the split written to report.json."""
    if settings.get("chromosomes"):
        return "by chromosome"
    if settings.get("column"):
        return f"given (column {settings['column']!r})"
    if settings.get("folds"):
        return "repeated k-fold" if settings["repeats"] > 1 else "k-fold"
    return "holdout"


def given_partitions(
    index: pd.DataFrame, strata: np.ndarray, groups: np.ndarray, settings: dict, source: Path
) -> np.ndarray:
    """Partitions as the sheet's column gives them; without 'valid' items, valid is drawn from train.

    The drawn validation items are stratified and keep groups whole within the
    given training items; the given test items are used as they are.
    """
    if settings.get("chromosomes"):
        given = chromosome_partitions(
            index["chromosome"].to_numpy(dtype=object), settings["chromosomes"], source
        )
    else:
        given = index["given_partition"].to_numpy(dtype=object)
    wrong = ~np.isin(given, PARTITIONS)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"{source}: id {index['id'].iat[row]!r}: split column {settings['column']!r} holds "
            f"{given[row]!r} (allowed: train, valid, test)"
        )
    what = "split.chromosomes" if settings.get("chromosomes") else f"split column {settings['column']!r}"
    for needed in ("train", "test"):
        if needed not in given:
            raise InputError(f"{source}: {what} names no {needed!r} item")
    partitions = given.copy()
    if "valid" not in given and settings["valid"] > 0:
        train = np.flatnonzero(given == "train")
        drawn = holdout_partitions(strata[train], groups[train], settings["valid"], 0, settings["seed"])
        partitions[train[drawn == "valid"]] = "valid"
    return partitions


def chromosome_partitions(chromosomes: np.ndarray, named: dict[str, list[str]], source: Path) -> np.ndarray:
    """Each window's partition from its chromosome: named test and validation chromosomes, the rest train."""
    present = set(chromosomes.tolist())
    for partition in ("test", "valid"):
        absent = [name for name in named[partition] if name not in present]
        if absent:
            raise InputError(
                f"{source}: split.chromosomes.{partition} names {absent[0]!r}, which holds no window "
                f"(chromosomes with windows: {', '.join(sorted(present)[:10])})"
            )
    partitions = np.full(len(chromosomes), "train", dtype=object)
    partitions[np.isin(chromosomes, named["valid"])] = "valid"
    partitions[np.isin(chromosomes, named["test"])] = "test"
    return partitions


def fold_table(ids: pd.Series, assignments: list[np.ndarray]) -> pd.DataFrame:
    """split.tsv of a K-fold split: id, fold; with several repeats long, with a repeat column."""
    if len(assignments) == 1:
        return pd.DataFrame({"id": ids, "fold": assignments[0]})
    return pd.concat(
        pd.DataFrame({"id": ids, "repeat": r, "fold": fold}) for r, fold in enumerate(assignments)
    )


def _homology(
    settings: dict,
    tokens_path: Path | None,
    vocabulary: str | None,
    alphabet_size: int | None,
    homology_path: Path | None,
) -> HomologyResult | None:
    """Homology groups from the homology rule's file, computed here without one, or None."""
    if not settings.get("homology"):
        return None
    if homology_path is not None:
        return load_homology(homology_path)
    if tokens_path is None:
        return None
    return configured_homology(tokens_path, settings["homology"], vocabulary, alphabet_size)


def configured_homology(
    tokens_path: Path, options: dict, vocabulary: str, alphabet_size: int, threads: int = 1
) -> HomologyResult:
    """Homology groups of a token matrix at the split's ``homology`` settings (identity, kmer)."""
    return homology_groups(
        np.load(tokens_path),
        vocabulary,
        options["identity"],
        options["kmer"],
        alphabet_size,
        protein=alphabet_size > 4,
        threads=threads,
    )


def _groups(index: pd.DataFrame, homology: HomologyResult | None) -> np.ndarray:
    """Groups from the group column and/or homology clusters (each item alone otherwise)."""
    labellings = [np.arange(len(index))]
    if "group" in index:
        labellings.append(pd.factorize(index["group"])[0])
    if homology is not None:
        labellings.append(homology.groups)
    return merge_groups(*labellings)


def _homology_report(
    homology: HomologyResult | None, unit: np.ndarray, ids: pd.Series, settings: dict
) -> dict:
    """Highest identity between items of different partitions among the aligned candidates."""
    if homology is None:
        return {"method": None}
    pairs, identities = homology.pairs, homology.identities
    crossing = unit[pairs[:, 0]] != unit[pairs[:, 1]] if len(pairs) else np.zeros(0, bool)
    report = {
        "method": "exact duplicates + MinHash LSH over k-mers (datasketch), confirmed by "
        "global alignment with free end gaps (parasail semi-global SIMD); identity = identical "
        "residues / shorter length (cd-hit definition); single-linkage groups",
        "identity_threshold": settings["homology"]["identity"],
        "kmer": settings["homology"]["kmer"],
        "lsh_jaccard_threshold": round(homology.lsh_threshold, 4),
        "candidate_identity_floor": round(
            identity_floor(homology.lsh_threshold, settings["homology"]["kmer"]), 4
        ),
        "candidate_pairs_aligned": len(pairs),
        "max_identity_across_partitions": None,
        "closest_pair_across_partitions": None,
    }
    if crossing.any():
        best = int(np.argmax(np.where(crossing, identities, -1)))
        i, j = pairs[best]
        report["max_identity_across_partitions"] = round(float(identities[best]), 4)
        report["closest_pair_across_partitions"] = [ids.iat[i], ids.iat[j]]
    return report


def _write_time_split(
    index: pd.DataFrame,
    times_path: Path,
    split_path: Path,
    balance_path: Path,
    report_path: Path,
    settings: dict,
    windows: dict,
    audit_settings: AuditSettings,
    source: Path,
) -> None:
    times = pd.read_csv(times_path, sep="\t")["time"].to_numpy()
    lookback, horizon = windows["lookback"], windows["horizon"]
    unit = time_partitions(len(times), settings["valid"], settings["test"], lookback, horizon)
    audit = {"time_overlap": time_overlap(unit, lookback, horizon)}
    audit["findings"] = findings(audit, audit_settings)
    split = pd.DataFrame({"id": [f"{t:g}" for t in times], "partition": unit})
    sizes = split["partition"].value_counts().sort_index()
    report = {
        "method": "by time",
        "settings": settings,
        "n": len(times),
        "series": len(index),
        "gap": lookback + horizon,
        "sizes": {str(k): int(v) for k, v in sizes.items()},
        "homology": {"method": None},
        "audit": {"settings": dataclasses.asdict(audit_settings), "units": {"holdout": audit}},
        "warnings": act_on({"holdout": audit["findings"]}, audit_settings, str(source)),
    }
    with all_or_nothing(split_path, balance_path, report_path):
        save_table(split_path, split)
        save_table(balance_path, sizes.rename("n").rename_axis("partition").reset_index())
        save_json(report_path, report)


def split_units(split_path: Path) -> list[str]:
    """Names of the train/valid/test assignments a split file defines (see :func:`unit_names`)."""
    split = pd.read_csv(split_path, sep="\t", dtype=str, keep_default_na=False)
    if "fold" not in split:
        return ["holdout"]
    repeats = split["repeat"].astype(int).max() + 1 if "repeat" in split else 1
    return unit_names(split["fold"].astype(int).max() + 1, repeats)


def read_partitions(split_path: Path, unit: str) -> pd.DataFrame:
    """id → partition for one unit; in fold k (of repeat r), fold k is test and fold k+1 (mod K) is valid."""
    return partitions_of(read_split(split_path), unit)


def read_split(split_path: Path) -> pd.DataFrame:
    """split.tsv as text columns."""
    return pd.read_csv(split_path, sep="\t", dtype=str, keep_default_na=False)


def partitions_of(split: pd.DataFrame, unit: str) -> pd.DataFrame:
    """id → partition for one unit of a split table read by :func:`read_split`."""
    if unit == "holdout":
        return split[["id", "partition"]]
    repeat, k = parse_unit(unit)
    if "repeat" in split:
        split = split[split["repeat"].astype(int) == repeat]
    partition = fold_partitions(split["fold"].astype(int).to_numpy(), k)
    return pd.DataFrame({"id": split["id"].to_numpy(), "partition": partition})


@dataclass
class Items:
    """Item ids in file order and the partition of each."""

    ids: np.ndarray
    partition: np.ndarray

    def rows(self, name: str) -> np.ndarray:
        """Row numbers of one partition."""
        return np.flatnonzero(self.partition == name)

    def sizes(self) -> dict[str, int]:
        """Number of items per partition."""
        return {name: len(self.rows(name)) for name in ("train", "valid", "test")}


def read_items(ids: str | os.PathLike, split: str | os.PathLike, unit: str) -> Items:
    """Ids from ``ids.tsv`` and their partitions in ``unit`` of the split file."""
    index = pd.read_csv(ids, sep="\t", dtype=str, keep_default_na=False)
    partitions = read_partitions(split, unit).set_index("id")["partition"]
    missing = index.loc[~index["id"].isin(partitions.index), "id"]
    if len(missing):
        raise InputError(f"{split}: {len(missing)} ids have no partition, e.g. {missing.iloc[0]!r}")
    items = Items(index["id"].to_numpy(), partitions.loc[index["id"]].to_numpy())
    if not len(items.rows("train")):
        raise InputError(f"{split}: the train partition of {unit} is empty")
    return items
