"""The ingest stage: validate raw inputs and write the contract files that later stages read.

Every function validates the whole input before it writes anything, and
removes its outputs if writing fails, so bad input leaves no partial output.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from biodl.alphabets import get_alphabet
from biodl.data import encode
from biodl.data.labels import check_labels, check_position_labels
from biodl.errors import InputError, where
from biodl.io.expression import ExpressionMatrix, apply_missing_policy, read_expression, select_samples
from biodl.io.fasta import FastaTokens, read_fasta
from biodl.io.outputs import all_or_nothing, save_array, save_json, save_sparse, save_table
from biodl.io.tables import check_unique_ids, line_of, read_text_table, reconcile_ids
from biodl.io.timecourse import read_timecourses

Path = str | os.PathLike

log = logging.getLogger("biodl.data.ingest")


def item_columns(group_column: str | None, partition_column: str | None) -> dict[str, str]:
    """Sheet columns copied into ids.tsv beside the labels: 'group' and 'given_partition'."""
    named = {"group": group_column, "given_partition": partition_column}
    return {name: column for name, column in named.items() if column}


def read_sheet(path: Path, id_column: str, label_columns: list[str], extra: dict[str, str]) -> pd.DataFrame:
    """Read a labels / sample / series sheet with unique ids and the declared columns."""
    columns = [id_column, *label_columns, *extra.values()]
    table = read_text_table(path, columns)
    check_unique_ids(table[id_column], path)
    table[id_column] = table[id_column].str.strip()
    return table


def sheet_in_order(
    sheet: pd.DataFrame,
    id_column: str,
    ids: list[str],
    sheet_path: Path,
    ids_path: Path,
    id_lines: list[int | None],
) -> pd.DataFrame:
    """Check that sheet and data name the same ids; return the sheet in data order."""
    reconcile_ids(
        ids,
        ids_path,
        id_lines,
        sheet[id_column].tolist(),
        sheet_path,
        [line_of(i) for i in range(len(sheet))],
    )
    return sheet.set_index(id_column).loc[ids].reset_index()


def _index_table(
    ids: list[str], sheet: pd.DataFrame | None, label_columns: list[str], extra: dict[str, str]
) -> pd.DataFrame:
    """The ids.tsv contract: id, label columns, optional group and given partition."""
    index = pd.DataFrame({"id": ids})
    if sheet is not None:
        for column in label_columns:
            index[column] = sheet[column].str.strip().to_numpy()
        for name, column in extra.items():
            index[name] = sheet[column].str.strip().to_numpy()
    return index


def ingest_sequences(
    *,
    fasta: Path,
    labels: Path | None,
    outputs: dict[str, Path],
    alphabet: str,
    task: str,
    id_column: str = "id",
    label_columns: list[str] | None = None,
    group_column: str | None = None,
    partition_column: str | None = None,
    allow_ambiguous: bool = False,
    length: dict | None = None,
    kmer_k: int = 4,
    position_classes: str | None = None,
) -> None:
    """FASTA (+ labels TSV) → ids.tsv, tokens.npy, lengths.npy, kmers.npz, meta.json.

    ``outputs`` maps those names (and ``positions`` for per-position tasks) to paths.
    """
    length = {"mode": "variable", "pad": "right", "trim": "right", **(length or {})}
    label_columns = list(label_columns or [])
    extra = item_columns(group_column, partition_column)
    letters = get_alphabet(alphabet)
    records = read_fasta(fasta, letters, allow_ambiguous)
    check_unique_fasta_ids(records)
    sheet = None
    classes: dict[str, list[str]] = {}
    if labels is not None:
        sheet = read_sheet(labels, id_column, label_columns, extra)
        sheet = sheet_in_order(sheet, id_column, records.ids, labels, fasta, records.lines.tolist())
        if task == "per_position":
            for column in label_columns:
                check_position_labels(
                    sheet[column], sheet[id_column], records.lengths, position_classes, column, labels
                )
        else:
            classes = check_labels(sheet, task, label_columns, labels, id_column)
    elif task != "generation":
        raise InputError(f"{fasta}: task {task!r} needs a labels file")
    width = length.get("size") if length["mode"] == "fixed" else None
    tokens, kept = encode.token_matrix(records.tokens, records.offsets, width, length["pad"], length["trim"])
    kmers = encode.kmer_counts(tokens, kmer_k, letters.size)
    index = _index_table(records.ids, sheet, label_columns, extra)
    index["length"] = records.lengths
    meta = {
        "kind": "sequences",
        "task": task,
        "alphabet": letters.name,
        "vocabulary": letters.vocabulary(allow_ambiguous),
        "pad_token": 0,
        "length": {**length, "width": int(tokens.shape[1])},
        "label_columns": label_columns,
        "classes": classes,
        "kmer": {"k": kmer_k, "letters": letters.letters},
        "position_classes": position_classes,
    }
    paths = list(outputs.values())
    with all_or_nothing(*paths):
        save_table(outputs["ids"], index)
        save_array(outputs["tokens"], tokens)
        save_array(outputs["lengths"], kept)
        save_sparse(outputs["kmers"], kmers)
        if "positions" in outputs:
            text = sheet[label_columns[0]].tolist()
            save_array(
                outputs["positions"],
                encode.position_matrix(
                    text, position_classes, tokens.shape[1], length["pad"], length["trim"]
                ),
            )
        save_json(outputs["meta"], meta)


def check_unique_fasta_ids(records: FastaTokens) -> None:
    seen: dict[str, int] = {}
    for record, line in zip(records.ids, records.lines.tolist()):
        if record in seen:
            raise InputError(
                f"{records.path}: record {record!r} (line {line}): duplicate id "
                f"(first seen at line {seen[record]})"
            )
        seen[record] = line


def ingest_expression(
    *,
    matrix: Path,
    samples: Path | None,
    outputs: dict[str, Path],
    task: str,
    orientation: str = "genes_by_samples",
    values: str = "counts",
    layer: str | None = None,
    id_column: str = "sample",
    label_columns: list[str] | None = None,
    group_column: str | None = None,
    partition_column: str | None = None,
    missing: str = "reject",
    use_samples: str = "all",
) -> None:
    """Expression matrix + sample sheet (or AnnData obs) → ids.tsv, matrix.npy, genes.tsv, meta.json.

    ``use_samples='in_sheet'`` keeps the matrix's samples that the sheet lists (by default the
    sheet must list every one); ``missing`` is applied to the kept samples (see
    :func:`biodl.io.expression.apply_missing_policy`); 'impute' leaves NaN in matrix.npy for the
    features stage, which imputes with medians of the training partition.
    """
    label_columns = list(label_columns or [])
    extra = item_columns(group_column, partition_column)
    data = read_expression(matrix, orientation, counts=values == "counts", layer=layer, missing=missing)
    notes, left_out = [], 0
    if samples is not None:
        sheet = read_sheet(samples, id_column, label_columns, extra)
        lines = sample_lines(matrix, orientation, len(data.samples))
        data, left_out = _samples_of_sheet(data, sheet[id_column], use_samples, matrix, samples, lines)
        if left_out:
            notes.append(
                f"{left_out} of {left_out + len(data.samples)} samples of the matrix are not in the "
                "sample sheet and were left out (use_samples: in_sheet)"
            )
        sheet = sheet_in_order(
            sheet,
            id_column,
            data.samples,
            samples,
            matrix,
            sample_lines(matrix, orientation, len(data.samples)),
        )
        sheet_path = samples
    elif data.obs is not None:
        sheet = _obs_sheet(data.obs, data.samples, id_column, label_columns, extra, matrix)
        sheet_path = matrix
    else:
        raise InputError(f"{matrix}: a sample sheet is needed for the labels (set 'samples')")
    classes = check_labels(sheet, task, label_columns, sheet_path, id_column)
    index = _index_table(data.samples, sheet, label_columns, extra)
    data, absent = apply_missing_policy(data, missing, matrix)
    notes += _missing_notes(absent)
    for note in notes:
        log.info(note)
    meta = {
        "kind": "expression",
        "task": task,
        "values": values,
        "label_columns": label_columns,
        "classes": classes,
        "n_samples": len(data.samples),
        "n_genes": len(data.genes),
        "missing": absent,
        "samples_left_out": left_out,
        "notes": notes,
    }
    with all_or_nothing(*outputs.values()):
        save_table(outputs["ids"], index)
        save_array(outputs["matrix"], data.values.astype(np.float32))
        save_table(outputs["genes"], pd.DataFrame({"gene": data.genes}))
        save_json(outputs["meta"], meta)


def _samples_of_sheet(
    data: ExpressionMatrix,
    listed: pd.Series,
    use_samples: str,
    matrix: Path,
    sheet: Path,
    lines: list[int | None],
) -> tuple[ExpressionMatrix, int]:
    """The matrix's samples that the sheet lists, and how many were left out.

    With ``use_samples='all'`` a sample missing from the sheet is an error (a subset needs the
    explicit option); a sheet id that is not in the matrix is always one (see sheet_in_order).
    """
    keep = np.isin(data.samples, listed.str.strip().to_numpy())
    if keep.all():
        return data, 0
    if use_samples == "all":
        first = int(np.flatnonzero(~keep)[0])
        raise InputError(
            f"{where(matrix, data.samples[first], lines[first])}: id has no row in {sheet} "
            f"({int((~keep).sum())} of {len(keep)} samples are not in it; set 'use_samples: in_sheet' "
            "to use only the samples the sheet lists)"
        )
    if not keep.any():
        raise InputError(f"{sheet}: lists none of the {len(data.samples)} samples of {matrix}")
    return select_samples(data, keep), int((~keep).sum())


def _missing_notes(absent: dict) -> list[str]:
    """What the missing-value policy found and did, in words for the log and the report."""
    if not absent["values"]:
        return []
    found = f"{absent['values']} missing values in {absent['genes_with_missing']} genes"
    if absent["policy"] == "drop_genes":
        return [f"{found}: those genes were dropped (missing: drop_genes)"]
    return [f"{found}: imputed per gene with the median of the training partition (missing: impute)"]


def sample_lines(matrix: Path, orientation: str, n_samples: int) -> list[int | None]:
    """Line where each sample id appears in the matrix file (None for AnnData)."""
    if str(matrix).endswith(".h5ad"):
        return [None] * n_samples
    if orientation == "genes_by_samples":
        return [1] * n_samples
    return [line_of(row) for row in range(n_samples)]


def _obs_sheet(
    obs: pd.DataFrame,
    samples: list[str],
    id_column: str,
    label_columns: list[str],
    extra: dict[str, str],
    path: Path,
) -> pd.DataFrame:
    for column in [*label_columns, *extra.values()]:
        if column not in obs.columns:
            raise InputError(f"{path}: obs has no column {column!r} (found: {', '.join(obs.columns)})")
    sheet = obs.copy()
    sheet.insert(0, id_column, samples)
    return sheet


def ingest_timecourse(
    *,
    values: Path,
    series: Path | None,
    outputs: dict[str, Path],
    task: str,
    id_column: str = "series",
    label_columns: list[str] | None = None,
    group_column: str | None = None,
    partition_column: str | None = None,
    missing: str = "reject",
    resample: float | None = None,
) -> None:
    """Long time-course table (+ series sheet) → ids.tsv, values.npy, times.tsv, genes.tsv, meta.json.

    ``missing`` and ``resample`` are passed to :func:`biodl.io.timecourse.read_timecourses`.
    """
    label_columns = [] if task == "forecasting" else list(label_columns or [])
    extra = item_columns(group_column, partition_column)
    courses = read_timecourses(values, missing=missing, resample=resample)
    sheet = None
    classes: dict[str, list[str]] = {}
    if series is not None:
        sheet = read_sheet(series, id_column, label_columns, extra)
        sheet = sheet_in_order(sheet, id_column, courses.series, series, values, [None] * len(courses.series))
        if task != "forecasting":
            classes = check_labels(sheet, task, label_columns, series, id_column)
    elif task != "forecasting":
        raise InputError(f"{values}: task {task!r} needs a series sheet with labels")
    index = _index_table(courses.series, sheet, label_columns, extra)
    meta = {
        "kind": "timecourse",
        "task": task,
        "label_columns": label_columns,
        "classes": classes,
        "shape": list(courses.values.shape),
        "interpolated": courses.interpolated,
        "resampled_step": resample,
    }
    with all_or_nothing(*outputs.values()):
        save_table(outputs["ids"], index)
        save_array(outputs["values"], courses.values)
        save_table(outputs["times"], pd.DataFrame({"time": courses.times}))
        save_table(outputs["genes"], pd.DataFrame({"gene": courses.genes}))
        save_json(outputs["meta"], meta)
