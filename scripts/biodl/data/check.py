"""`snakemake check`: a per-dataset summary of validated inputs, before anything is split or trained."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

SMALL_CLASS = 10


def plural(count: int, word: str) -> str:
    """``1 record``, ``2 records``, ``1,200 records``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def read_meta(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def counts_text(counts: dict[str, int]) -> str:
    """``a 12 · b 30`` in the given order."""
    return " · ".join(f"{name} {count:,}" for name, count in counts.items())


def class_counts(index: pd.DataFrame, meta: dict) -> dict[str, dict[str, int]]:
    """Items per class of every label column (positives per column for multilabel)."""
    task = meta["task"]
    if task in ("regression", "generation", "forecasting"):
        return {}
    if task == "per_position":
        column = meta["label_columns"][0]
        letters = Counter("".join(index[column].astype(str)))
        return {f"{column} (residues)": {c: letters.get(c, 0) for c in meta["position_classes"]}}
    if task == "multilabel":
        return {"positives": {c: int((index[c].astype(str) == "1").sum()) for c in meta["label_columns"]}}
    counts = {}
    for column, classes in meta["classes"].items():
        found = index[column].astype(str).value_counts()
        counts[column] = {name: int(found.get(name, 0)) for name in classes}
    return counts


def small_class_warnings(counts: dict[str, dict[str, int]]) -> list[str]:
    return [
        f"{column}: class {name!r} has {plural(count, 'item')} "
        f"(fewer than {SMALL_CLASS}: its test estimate will be noisy)"
        for column, classes in counts.items()
        for name, count in classes.items()
        if count < SMALL_CLASS and not column.endswith("(residues)")
    ]


def value_summary(index: pd.DataFrame, meta: dict) -> list[str]:
    """Range of each numeric target of a regression task."""
    if meta["task"] != "regression":
        return []
    lines = []
    for column in meta["label_columns"]:
        values = pd.to_numeric(index[column]).to_numpy(dtype=float)
        lines.append(
            f"{column}: mean {values.mean():.4g}, sd {values.std(ddof=1):.4g}, "
            f"range {values.min():.4g} to {values.max():.4g}"
        )
    return lines


def duplicate_records(tokens: np.ndarray) -> tuple[int, int]:
    """(records that repeat another record's encoded sequence, distinct sequences repeated).

    Rows are compared whole: padding is token 0, so equal rows are equal sequences.
    """
    rows = Counter(row.tobytes() for row in tokens)
    repeated = [count for count in rows.values() if count > 1]
    return sum(repeated) - len(repeated), len(repeated)


def sequence_lines(
    files: dict[str, str], meta: dict, index: pd.DataFrame, homology: bool
) -> tuple[list[str], list[str]]:
    """Summary lines and warnings of a sequence dataset."""
    lengths = index["length"].to_numpy()
    spec = meta["length"]
    shape = f"fixed to {spec['size']}" if spec["mode"] == "fixed" else f"padded to {spec['width']}"
    lines = [
        f"alphabet {meta['alphabet']} ({meta['vocabulary']}), lengths {lengths.min():,}–{lengths.max():,} "
        f"(median {int(np.median(lengths)):,}), {shape}"
    ]
    warnings = []
    if spec["mode"] == "fixed" and (lengths > spec["size"]).any():
        trimmed = int((lengths > spec["size"]).sum())
        warnings.append(f"{plural(trimmed, 'record')} longer than length.size ({spec['size']}) trimmed")
    tokens = np.load(files["tokens"])
    if len(meta["vocabulary"]) > len(meta["kmer"]["letters"]):
        ambiguous = int(np.any(tokens == len(meta["vocabulary"]), axis=1).sum())
        lines.append(f"{plural(ambiguous, 'record')} with the ambiguity letter {meta['vocabulary'][-1]}")
    copies, distinct = duplicate_records(tokens)
    if copies:
        remedy = (
            "the homology split keeps copies in one partition"
            if homology
            else ("they can land in training and test: set split.homology to group them")
        )
        warnings.append(
            f"{plural(copies, 'record')} repeat the encoded sequence of another "
            f"({plural(distinct, 'sequence')} more than once); {remedy}"
        )
    return lines, warnings


def expression_lines(meta: dict) -> tuple[list[str], list[str]]:
    """Summary lines and warnings of an expression dataset."""
    missing = meta["missing"]
    lines = [
        f"{meta['n_genes']:,} genes, values: {meta['values']}",
        f"missing values: {missing['values']:,} in {plural(missing['genes_with_missing'], 'gene')} "
        f"(policy {missing['policy']}, {plural(missing['genes_dropped'], 'gene')} dropped)",
    ]
    warnings = list(meta.get("notes", []))
    if meta.get("samples_left_out"):
        left_out = plural(meta["samples_left_out"], "matrix sample")
        warnings.append(f"{left_out} not in the sheet, left out")
    return lines, warnings


def timecourse_lines(meta: dict) -> tuple[list[str], list[str]]:
    """Summary lines and warnings of a time-course dataset."""
    series, times, genes = meta["shape"]
    lines = [f"{series:,} series × {times:,} time points × {genes:,} genes"]
    if meta.get("resampled_step") is not None:
        lines.append(f"resampled to a step of {meta['resampled_step']}")
    warnings = []
    if meta.get("interpolated"):
        warnings.append(f"{plural(meta['interpolated'], 'missing value')} filled by interpolation")
    return lines, warnings


def interval_lines(meta: dict) -> list[str]:
    """Where the windows of an interval dataset come from, and the GC of regions and background."""
    intervals = meta.get("intervals")
    if not intervals:
        return []
    sets = ", ".join(intervals["regions"])
    lines = [f"windows of {intervals['window']} bp from {intervals['genome']} around regions of {sets}"]
    gc = "; ".join(
        f"{name} {found['n']:,} windows, mean GC {found['mean']:.3f}"
        for name, found in sorted(intervals["gc"].items(), reverse=True)
    )
    lines.append(f"background: {intervals['negatives']['method']}; {gc}")
    return lines


def dataset_summary(name: str, files: dict[str, str], homology: bool = False) -> list[str]:
    """The block of lines that describes one dataset."""
    meta = read_meta(files["meta"])
    index = pd.read_csv(files["ids"], sep="\t", dtype=str, keep_default_na=False)
    if "length" in index:
        index["length"] = index["length"].astype(int)
    kind = meta["kind"]
    if kind == "sequences":
        lines, warnings = sequence_lines(files, meta, index, homology)
        lines += interval_lines(meta)
    elif kind == "expression":
        lines, warnings = expression_lines(meta)
    else:
        lines, warnings = timecourse_lines(meta)
    counts = class_counts(index, meta)
    lines += [f"{column}: {counts_text(classes)}" for column, classes in counts.items()]
    lines += value_summary(index, meta)
    if "group" in index:
        lines.append(plural(index["group"].nunique(), "group"))
    warnings += small_class_warnings(counts)
    block = [f"{name} ({kind}, {meta['task']}): {plural(len(index), 'item')}"]
    block += [f"  {line}" for line in lines]
    block += [f"  warning: {warning}" for warning in warnings]
    return block


def summarise_inputs(
    datasets: dict[str, dict[str, str]], homology: dict[str, bool], output: str | os.PathLike
) -> None:
    """Write (and log) the summary of every dataset's validated inputs.

    ``datasets`` maps each dataset to its ingest files (meta, ids, and tokens for sequences);
    ``homology`` says which datasets have a homology-aware split.
    """
    blocks = [dataset_summary(name, files, homology.get(name, False)) for name, files in datasets.items()]
    warned = sum(any(line.startswith("  warning:") for line in block) for block in blocks)
    head = f"biodl check: {len(blocks)} dataset{'s' if len(blocks) != 1 else ''} valid"
    head += f", {warned} with warnings" if warned else ", no warnings"
    text = "\n".join([head, *("\n".join(block) for block in blocks)]) + "\n"
    Path(output).write_text(text, encoding="utf-8")
    print(text, end="")
