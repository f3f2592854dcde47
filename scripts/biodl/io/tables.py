"""Reading delimited tables (TSV/CSV) with validation that names file, line and column.

Spreadsheet exports are read where their intent is unambiguous: a ``.csv``
whose header line holds semicolons and no comma is an Excel export from a
locale with decimal commas, so it is split on semicolons and cells such as
``3,75`` are read as 3.75. Encodings and gzip damage are handled by
``biodl.io.text``.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import pandas as pd

from biodl.errors import InputError, where
from biodl.io.text import read_text

HEADER_LINES = 1
DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+(?:[eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Dialect:
    """How a table file separates columns and writes decimals."""

    delimiter: str
    decimal: str = "."

    @property
    def name(self) -> str:
        return {"\t": "tab", ",": "comma", ";": "semicolon"}[self.delimiter]


def delimiter_for(path: str | os.PathLike) -> str:
    """Comma for ``.csv`` / ``.csv.gz`` files, tab otherwise."""
    name = str(path).lower().removesuffix(".gz")
    return "," if name.endswith(".csv") else "\t"


def dialect_of(path: str | os.PathLike, header_line: str) -> Dialect:
    """The file's dialect: by extension, or a semicolon CSV with decimal commas."""
    delimiter = delimiter_for(path)
    if delimiter == "," and ";" in header_line and "," not in header_line:
        return Dialect(";", ",")
    return Dialect(delimiter)


def read_cells(path: str | os.PathLike, header: int | None = 0) -> pd.DataFrame:
    """Every cell of a table as text (decimal commas already turned into points)."""
    text = read_text(path)
    dialect = dialect_of(path, text.partition("\n")[0])
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=dialect.delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            header=header,
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: file is empty") from None
    except pd.errors.ParserError as error:
        raise InputError(
            f"{path}: cannot parse table as {dialect.name}-separated ({str(error).strip()})"
        ) from None
    if dialect.decimal == ",":
        table = table.apply(_points_for_decimal_commas)
    table.attrs["dialect"] = dialect
    return table


def line_of(row: int) -> int:
    """1-based file line of the 0-based data row ``row`` (after the header line)."""
    return row + HEADER_LINES + 1


def _points_for_decimal_commas(column: pd.Series) -> pd.Series:
    """Cells such as ``-3,75`` as ``-3.75``; every other cell unchanged."""
    numbers = column.str.match(DECIMAL_COMMA)
    return column.where(~numbers, column.str.replace(",", ".", regex=False))


def read_text_table(path: str | os.PathLike, required: list[str]) -> pd.DataFrame:
    """Read a table with every cell as text; reject empty files and missing columns."""
    table = read_cells(path)
    table.columns = [str(column).strip() for column in table.columns]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing column {missing[0]!r} (found: {', '.join(table.columns)})"
            f"{_separator_hint(path, table)}"
        )
    if table.empty:
        raise InputError(f"{path}: file is empty (a header line but no records)")
    return table


def _separator_hint(path: str | os.PathLike, table: pd.DataFrame) -> str:
    """A hint when a one-column header looks split by another separator than the name says."""
    if len(table.columns) != 1:
        return ""
    header = table.columns[0]
    separators = (("\t", "tab", ".tsv"), (",", "comma", ".csv"), (";", "semicolon", ".csv"))
    for separator, name, extension in separators:
        if separator in header and delimiter_for(path) != separator:
            return f"; the header looks {name}-separated: name the file *{extension}"
    return ""


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
