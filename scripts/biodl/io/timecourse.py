"""Expression time courses from a long table (series, time, gene, value)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import make_interp_spline

from biodl.errors import InputError, where
from biodl.io.tables import line_of, read_text_table

COLUMNS = ["series", "time", "gene", "value"]
MISSING_TEXT = ["", "na", "nan"]
MISSING_POLICIES = ("reject", "interpolate")


@dataclass
class TimeCourses:
    """Values as (series × time × gene) with the ids of each axis and the number of filled values."""

    series: list[str]
    times: np.ndarray
    genes: list[str]
    values: np.ndarray
    interpolated: int = 0


def read_timecourses(
    path: str | os.PathLike, missing: str = "reject", resample: float | None = None
) -> TimeCourses:
    """Read a long table into a dense cube; rows may come in any order (they are sorted).

    Always rejected: non-numeric or infinite values, duplicated (series, time,
    gene) rows and series whose time points differ. ``missing="reject"`` also
    rejects missing values (empty, NA, NaN) and a gene missing at some time;
    ``"interpolate"`` fills both linearly in time within the series and gene
    (nearest observed value before the first and after the last one).
    ``resample=None`` rejects irregular sampling; a step interpolates each
    series linearly onto ``first, first + step, …`` up to its last time.
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, not {missing!r}")
    table = read_text_table(path, COLUMNS)
    _check_finite(table, "time", path)
    _check_finite(table, "value", path, allow_missing=missing == "interpolate")
    table["time"] = _numbers(table["time"])
    table["value"] = _numbers(table["value"])
    _reject_duplicates(table, path)
    return _to_cube(table.sort_values(["series", "time", "gene"], kind="stable"), path, missing, resample)


def _numbers(column: pd.Series) -> pd.Series:
    """Text cells as floats; missing or non-numeric text becomes NaN."""
    return pd.to_numeric(column.str.strip(), errors="coerce").astype(float)


def _check_finite(
    table: pd.DataFrame, column: str, path: str | os.PathLike, allow_missing: bool = False
) -> None:
    numbers = _numbers(table[column]).to_numpy()
    missing = table[column].str.strip().str.lower().isin(MISSING_TEXT).to_numpy()
    bad = np.flatnonzero(~np.isfinite(numbers) & ~(missing & allow_missing))
    if len(bad):
        row = int(bad[0])
        value = table[column].iat[row]
        what = "is missing" if missing[row] else "is not a finite number"
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


def _to_cube(
    table: pd.DataFrame, path: str | os.PathLike, missing: str, resample: float | None
) -> TimeCourses:
    genes = sorted(table["gene"].unique())
    series = list(dict.fromkeys(table["series"]))
    reference_times: np.ndarray | None = None
    blocks = []
    interpolated = 0
    for name, group in table.groupby("series", sort=False):
        block = group.pivot(index="time", columns="gene", values="value").reindex(columns=genes)
        if missing == "reject":
            _reject_absent(block, name, path)
        else:
            interpolated += int(block.isna().to_numpy().sum())
            block = _interpolate_missing(block, name, path)
        if resample is not None:
            block = _resample(block, resample)
        times = block.index.to_numpy(dtype=float)
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
        blocks.append(block.to_numpy(dtype=np.float32))
    return TimeCourses(series, reference_times, genes, np.stack(blocks), interpolated)


def _reject_absent(block: pd.DataFrame, name: str, path: str | os.PathLike) -> None:
    """Error for the first (time, gene) of one series' (time × gene) block without a row."""
    absent = block.isna().to_numpy()
    if absent.any():
        row, column = np.argwhere(absent)[0]
        raise InputError(
            f"{path}: series {name!r} has no value for gene {block.columns[column]!r} "
            f"at time {block.index[row]:g}"
        )


def _interpolate_missing(block: pd.DataFrame, name: str, path: str | os.PathLike) -> pd.DataFrame:
    """Fill gaps of one series linearly in time per gene; the ends take the nearest observed value."""
    empty = block.columns[block.isna().all().to_numpy()]
    if len(empty):
        raise InputError(
            f"{path}: series {name!r} has no observed value for gene {empty[0]!r}; it cannot be interpolated"
        )
    return block.interpolate(method="index", limit_direction="both")


def _resample(block: pd.DataFrame, step: float) -> pd.DataFrame:
    """One series linearly interpolated onto ``first, first + step, …`` (at most its last time)."""
    times = block.index.to_numpy(dtype=float)
    if len(times) < 2:
        return block
    count = int(np.floor((times[-1] - times[0]) / step + 1e-9)) + 1
    grid = times[0] + step * np.arange(count)
    values = make_interp_spline(times, block.to_numpy(dtype=float), k=1, axis=0)(grid)
    return pd.DataFrame(values, index=pd.Index(grid, name=block.index.name), columns=block.columns)


def _check_regular(times: np.ndarray, name: str, path: str | os.PathLike) -> None:
    if len(times) < 2:
        raise InputError(f"{path}: series {name!r} has a single time point")
    steps = np.diff(times)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
        at = int(np.flatnonzero(~np.isclose(steps, steps[0], rtol=1e-6, atol=1e-9))[0])
        raise InputError(
            f"{path}: series {name!r} is irregularly sampled (step {steps[0]:g} then "
            f"{steps[at]:g} at time {times[at]:g}); set resample: <step> to interpolate onto a regular grid"
        )
