"""Validation of label columns for every task."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from biodl.errors import InputError, where
from biodl.io.tables import line_of

MULTILABEL_VALUES = {"0", "1"}


def check_labels(
    table: pd.DataFrame, task: str, columns: list[str], path: str | os.PathLike, id_column: str
) -> dict[str, list[str]]:
    """Check the label columns for ``task`` and return the classes of each column.

    Regression columns must be finite numbers; multilabel columns 0/1; every
    classification column needs at least two classes (exactly two for binary).
    """
    check_label_values(table, task, columns, path, id_column)
    classes: dict[str, list[str]] = {}
    for column in columns:
        if task == "regression":
            continue
        found = sorted(table[column].str.strip().unique())
        if len(found) < 2:
            raise InputError(
                f"{path}: label column {column!r} has a single class {found[0]!r}; "
                "a classifier needs at least two"
            )
        if task == "binary" and len(found) > 2:
            raise InputError(
                f"{path}: label column {column!r} has {len(found)} classes "
                f"({', '.join(found[:5])}); a binary task needs exactly two"
            )
        classes[column] = found
    return classes


def check_label_values(
    table: pd.DataFrame, task: str, columns: list[str], path: str | os.PathLike, id_column: str
) -> None:
    """Check every label cell: none empty, finite numbers for regression, 0/1 for multilabel."""
    for column in columns:
        values = table[column].str.strip()
        _reject_empty_cells(values, table[id_column], column, path)
        if task == "regression":
            _check_numeric(values, table[id_column], column, path)
        elif task == "multilabel":
            _check_binary_indicator(values, table[id_column], column, path)


def _reject_empty_cells(values: pd.Series, ids: pd.Series, column: str, path: str | os.PathLike) -> None:
    empty = values.index[values == ""]
    if len(empty):
        row = int(empty[0])
        raise InputError(f"{where(path, ids[row], line_of(row))}: empty value in column {column!r}")


def _check_numeric(values: pd.Series, ids: pd.Series, column: str, path: str | os.PathLike) -> None:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.index[~np.isfinite(numbers.to_numpy(dtype=float))]
    if len(bad):
        row = int(bad[0])
        raise InputError(
            f"{where(path, ids[row], line_of(row))}: column {column!r} value "
            f"{values[row]!r} is not a finite number"
        )


def _check_binary_indicator(values: pd.Series, ids: pd.Series, column: str, path: str | os.PathLike) -> None:
    bad = values.index[~values.isin(MULTILABEL_VALUES)]
    if len(bad):
        row = int(bad[0])
        raise InputError(
            f"{where(path, ids[row], line_of(row))}: column {column!r} value "
            f"{values[row]!r} is not 0 or 1 (multilabel columns are indicators)"
        )


def check_position_labels(
    labels: pd.Series,
    ids: pd.Series,
    lengths: np.ndarray,
    classes: str,
    column: str,
    path: str | os.PathLike,
) -> None:
    """Per-position label strings must match their sequence's length and use ``classes``."""
    allowed = set(classes)
    for row, (text, length) in enumerate(zip(labels.tolist(), lengths.tolist())):
        if len(text) != length:
            raise InputError(
                f"{where(path, ids[row], line_of(row))}: column {column!r} has {len(text)} "
                f"labels for a sequence of {length} residues"
            )
        stray = set(text) - allowed
        if stray:
            letter = min(stray)
            raise InputError(
                f"{where(path, ids[row], line_of(row))}: column {column!r} label {letter!r} "
                f"at position {text.index(letter) + 1} is not one of {classes!r}"
            )
