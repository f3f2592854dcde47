"""Expression matrices from TSV/CSV (either orientation) or AnnData ``.h5ad``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from biodl.errors import InputError, where
from biodl.io.tables import check_unique_ids, line_of, read_cells

Orientation = Literal["genes_by_samples", "samples_by_genes"]
Missing = Literal["reject", "drop_genes", "impute"]
MISSING_HINT = (
    "set 'missing: drop_genes' or 'missing: impute' in the dataset's config to accept missing values"
)


@dataclass
class ExpressionMatrix:
    """Samples × genes values with their ids; ``obs`` holds AnnData sample annotations."""

    samples: list[str]
    genes: list[str]
    values: np.ndarray
    obs: pd.DataFrame | None = None


def read_expression(
    path: str | os.PathLike,
    orientation: Orientation = "genes_by_samples",
    counts: bool = True,
    layer: str | None = None,
    missing: Missing = "reject",
) -> ExpressionMatrix:
    """Read and validate an expression matrix.

    ``counts=True`` also rejects negatives; missing values (NaN, NA, empty cells) are rejected
    unless ``missing`` is 'drop_genes' or 'impute', which keep them as NaN for the caller.
    """
    h5ad = str(path).endswith(".h5ad")
    matrix = _read_h5ad(path, layer) if h5ad else _read_delimited(path, orientation)
    _check_values(matrix, path, orientation, counts, reject_missing=missing == "reject")
    return matrix


def _read_delimited(path: str | os.PathLike, orientation: Orientation) -> ExpressionMatrix:
    # header=None keeps duplicated column names as written (pandas would rename them).
    raw = read_cells(path, header=None)
    table = raw.iloc[1:].reset_index(drop=True)
    table.columns = [str(c).strip() for c in raw.iloc[0]]
    if table.empty or table.shape[1] < 2:
        raise InputError(f"{path}: file is empty (no rows or no value columns)")
    row_ids = table.iloc[:, 0].str.strip()
    row_kind = "gene" if orientation == "genes_by_samples" else "sample"
    check_unique_ids(row_ids, path, f"{row_kind} id")
    column_ids = pd.Series(table.columns[1:])
    _check_unique_columns(column_ids, path, "sample" if row_kind == "gene" else "gene")
    cells = table.iloc[:, 1:]
    values = _parse_numbers(cells, row_ids, path)
    if orientation == "genes_by_samples":
        return ExpressionMatrix(list(column_ids), list(row_ids), np.ascontiguousarray(values.T))
    return ExpressionMatrix(list(row_ids), list(column_ids), values)


def _check_unique_columns(ids: pd.Series, path: str | os.PathLike, what: str) -> None:
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise InputError(f"{where(path, line=1)}: duplicate {what} id {repeated.iloc[0]!r} in the header")


def _parse_numbers(cells: pd.DataFrame, row_ids: pd.Series, path: str | os.PathLike) -> np.ndarray:
    """Convert text cells to float64, naming the first cell that is not a number."""
    numbers = cells.apply(lambda column: pd.to_numeric(column.str.strip(), errors="coerce"))
    text = cells.apply(lambda column: column.str.strip().str.lower())
    missing_words = {"nan", "na", "n/a", ""}
    unparsed = numbers.isna() & ~text.isin(missing_words)
    if unparsed.to_numpy().any():
        row, col = np.argwhere(unparsed.to_numpy())[0]
        raise InputError(
            f"{where(path, row_ids[row], line_of(int(row)))}: column {cells.columns[col]!r} "
            f"value {cells.iat[row, col]!r} is not a number"
        )
    return numbers.to_numpy(dtype=np.float64)


def _read_h5ad(path: str | os.PathLike, layer: str | None) -> ExpressionMatrix:
    import anndata

    try:
        adata = anndata.read_h5ad(path)
    except (OSError, KeyError) as error:
        raise InputError(f"{path}: cannot read as AnnData ({error})") from None
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise InputError(f"{path}: file is empty ({adata.n_obs} samples × {adata.n_vars} genes)")
    if layer is not None and layer not in adata.layers:
        raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(adata.layers) or 'none'})")
    data = adata.layers[layer] if layer else adata.X
    values = np.asarray(data.toarray() if hasattr(data, "toarray") else data, dtype=np.float64)
    samples = pd.Series(adata.obs_names.astype(str))
    genes = pd.Series(adata.var_names.astype(str))
    for ids, what in ((samples, "sample id"), (genes, "gene id")):
        repeated = ids[ids.duplicated()]
        if len(repeated):
            raise InputError(f"{path}: duplicate {what} {repeated.iloc[0]!r}")
    obs = adata.obs.reset_index(drop=True).astype(str)
    return ExpressionMatrix(list(samples), list(genes), values, obs)


def _check_values(
    matrix: ExpressionMatrix,
    path: str | os.PathLike,
    orientation: Orientation,
    counts: bool,
    reject_missing: bool = True,
) -> None:
    """Reject infinite, (for counts) negative and (unless allowed) missing values, naming the cell."""
    problems = [(np.isnan(matrix.values), f"is missing (NaN); {MISSING_HINT}")] if reject_missing else []
    problems.append((np.isinf(matrix.values), "is infinite"))
    if counts:
        problems.append((matrix.values < 0, "is a negative count"))
    for mask, what in problems:
        if mask.any():
            sample, gene = np.argwhere(mask)[0]
            raise InputError(_cell_location(matrix, path, orientation, sample, gene) + f" {what}")


def select_samples(matrix: ExpressionMatrix, keep: np.ndarray) -> ExpressionMatrix:
    """The matrix restricted to the samples where ``keep`` is true."""
    obs = None if matrix.obs is None else matrix.obs[keep].reset_index(drop=True)
    samples = [name for name, kept in zip(matrix.samples, keep) if kept]
    return ExpressionMatrix(samples, matrix.genes, matrix.values[keep], obs)


def apply_missing_policy(
    matrix: ExpressionMatrix, policy: Missing, path: str | os.PathLike
) -> tuple[ExpressionMatrix, dict]:
    """Drop the genes with missing values ('drop_genes') or keep them for imputation ('impute').

    Returns the matrix and a count of what was found and done, for meta.json.
    """
    absent = np.isnan(matrix.values)
    affected = absent.any(axis=0)
    counted = {
        "policy": policy,
        "values": int(absent.sum()),
        "genes_with_missing": int(affected.sum()),
        "genes_dropped": 0,
    }
    if policy != "drop_genes" or not affected.any():
        return matrix, counted
    if affected.all():
        raise InputError(
            f"{path}: every one of {len(matrix.genes)} genes has a missing value; nothing is left"
        )
    genes = [gene for gene, dropped in zip(matrix.genes, affected) if not dropped]
    counted["genes_dropped"] = int(affected.sum())
    return ExpressionMatrix(matrix.samples, genes, matrix.values[:, ~affected], matrix.obs), counted


def _cell_location(
    matrix: ExpressionMatrix, path: str | os.PathLike, orientation: Orientation, sample: int, gene: int
) -> str:
    if str(path).endswith(".h5ad"):
        return f"{path}: sample {matrix.samples[sample]!r}, gene {matrix.genes[gene]!r}: value"
    if orientation == "genes_by_samples":
        return (
            f"{where(path, matrix.genes[gene], line_of(int(gene)))}: column {matrix.samples[sample]!r} value"
        )
    return f"{where(path, matrix.samples[sample], line_of(int(sample)))}: column {matrix.genes[gene]!r} value"
