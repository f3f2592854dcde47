"""Expression time courses from a long table (series, time, gene, value)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biodl.errors import InputError, where
from biodl.io.tables import line_of, read_text_table

COLUMNS = ["series", "time", "gene", "value"]


@dataclass
class TimeCourses:
    """Values as (series × time × gene) with the ids of each axis."""

    series: list[str]
    times: np.ndarray
    genes: list[str]
    values: np.ndarray


def read_timecourses(path: str | os.PathLike) -> TimeCourses:
    """Read a long table into a dense cube; rows may come in any order (they are sorted).

    Rejected: non-numeric or missing values, duplicated (series, time, gene)
    rows, a gene missing at some time, series whose time points differ, and
    irregular sampling within a series.
    """
    table = read_text_table(path, COLUMNS)
    for column in ("time", "value"):
        _check_finite(table, column, path)
    table["time"] = table["time"].astype(float)
    table["value"] = table["value"].astype(float)
    _reject_duplicates(table, path)
    return _to_cube(table.sort_values(["series", "time", "gene"], kind="stable"), path)


def _check_finite(table: pd.DataFrame, column: str, path: str | os.PathLike) -> None:
    numbers = pd.to_numeric(table[column].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        row = int(bad[0])
        value = table[column].iat[row]
        what = "is missing" if value.strip().lower() in {"", "na", "nan"} else "is not a finite number"
        raise InputError(
            f"{where(path, table['series'].iat[row], line_of(row))}: column {column!r} value {value!r} {what}"
        )


def _reject_duplicates(table: pd.DataFrame, path: str | os.PathLike) -> None:
    keys = ["series", "time", "gene"]
    repeated = table.duplicated(keys, keep=False)
    if repeated.any():
        rows = np.flatnonzero(repeated.to_numpy())
        first = table.iloc[rows[0]]
        second = int(rows[(table.iloc[rows][keys] == first[keys]).all(axis=1).to_numpy()][1])
        raise InputError(
            f"{where(path, first['series'], line_of(second))}: duplicated time point "
            f"{first['time']:g} for gene {first['gene']!r} (first at line {line_of(int(rows[0]))})"
        )


def _to_cube(table: pd.DataFrame, path: str | os.PathLike) -> TimeCourses:
    genes = sorted(table["gene"].unique())
    series = list(dict.fromkeys(table["series"]))
    reference_times: np.ndarray | None = None
    for name, group in table.groupby("series", sort=False):
        times = np.unique(group["time"].to_numpy())
        counts = group.groupby("time")["gene"].nunique()
        incomplete = counts[counts < len(genes)]
        if len(incomplete):
            at = incomplete.index[0]
            present = set(group.loc[group["time"] == at, "gene"])
            absent = next(g for g in genes if g not in present)
            raise InputError(f"{path}: series {name!r} has no value for gene {absent!r} at time {at:g}")
        if reference_times is None:
            reference_times = times
            _check_regular(times, name, path)
        elif len(times) != len(reference_times):
            raise InputError(
                f"{path}: series {name!r} has {len(times)} time points but series {series[0]!r} "
                f"has {len(reference_times)}; all series must have the same length"
            )
        elif not np.array_equal(times, reference_times):
            raise InputError(
                f"{path}: series {name!r} is sampled at different times from series {series[0]!r}"
            )
    cube = table.pivot_table(index=["series", "time"], columns="gene", values="value", sort=False).reindex(
        columns=genes
    )
    values = cube.to_numpy(dtype=np.float32).reshape(len(series), len(reference_times), len(genes))
    return TimeCourses(series, reference_times, genes, values)


def _check_regular(times: np.ndarray, name: str, path: str | os.PathLike) -> None:
    if len(times) < 2:
        raise InputError(f"{path}: series {name!r} has a single time point")
    steps = np.diff(times)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
        at = int(np.flatnonzero(~np.isclose(steps, steps[0], rtol=1e-6, atol=1e-9))[0])
        raise InputError(
            f"{path}: series {name!r} is irregularly sampled (step {steps[0]:g} then "
            f"{steps[at]:g} at time {times[at]:g})"
        )
