"""Reading delimited tables (TSV/CSV) with validation that names file, line and column."""

from __future__ import annotations

import os

import pandas as pd

from biodl.errors import InputError, where

HEADER_LINES = 1


def delimiter_for(path: str | os.PathLike) -> str:
    """Comma for ``.csv`` / ``.csv.gz`` files, tab otherwise."""
    name = str(path).lower().removesuffix(".gz")
    return "," if name.endswith(".csv") else "\t"


def line_of(row: int) -> int:
    """1-based file line of the 0-based data row ``row`` (after the header line)."""
    return row + HEADER_LINES + 1


def read_text_table(path: str | os.PathLike, required: list[str]) -> pd.DataFrame:
    """Read a table with every cell as text; reject empty files and missing columns."""
    try:
        table = pd.read_csv(
            path,
            sep=delimiter_for(path),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: file is empty") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-8 text ({error.reason})") from None
    except pd.errors.ParserError as error:
        raise InputError(f"{path}: cannot parse table ({str(error).strip()})") from None
    table.columns = [str(column).strip() for column in table.columns]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r} (found: {', '.join(table.columns)})")
    if table.empty:
        raise InputError(f"{path}: file is empty (a header line but no records)")
    return table


def check_unique_ids(ids: pd.Series, path: str | os.PathLike, what: str = "id") -> None:
    """Reject empty and duplicated ids, naming the line of the repeat and of the first."""
    stripped = ids.str.strip()
    empty = stripped.index[stripped == ""]
    if len(empty):
        raise InputError(f"{where(path, line=line_of(int(empty[0])))}: empty {what}")
    repeated = stripped.duplicated(keep=False)
    if repeated.any():
        value = stripped[repeated].iloc[0]
        rows = stripped.index[stripped == value]
        raise InputError(
            f"{where(path, value, line_of(int(rows[1])))}: duplicate {what} "
            f"(first seen at line {line_of(int(rows[0]))})"
        )


def reconcile_ids(
    primary: list[str],
    primary_path: str | os.PathLike,
    primary_lines: list[int | None],
    secondary: list[str],
    secondary_path: str | os.PathLike,
    secondary_lines: list[int],
) -> None:
    """Both files must name the same ids: report the first id missing on either side."""
    secondary_set = set(secondary)
    for record, line in zip(primary, primary_lines):
        if record not in secondary_set:
            raise InputError(f"{where(primary_path, record, line)}: id has no row in {secondary_path}")
    primary_set = set(primary)
    for record, line in zip(secondary, secondary_lines):
        if record not in primary_set:
            raise InputError(f"{where(secondary_path, record, line)}: id is not in {primary_path}")
