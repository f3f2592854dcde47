"""New input prepared exactly as a bundle's training data was: the same readers and validators as
ingest, then the bundle's encoding or normalisation. Input the model was not trained for is refused
with one line naming the file, the record and the mismatch.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from biodl.alphabets import get_alphabet
from biodl.apply.bundle import Bundle
from biodl.data import encode, normalise
from biodl.data.ingest import check_unique_fasta_ids, read_sheet, sample_lines, sheet_in_order
from biodl.data.labels import check_label_values
from biodl.errors import InputError, where
from biodl.io.expression import ExpressionMatrix, read_expression
from biodl.io.fasta import FastaTokens, read_fasta
from biodl.io.tables import line_of
from biodl.vocabulary import CLASS_TASKS

Path = str | os.PathLike
log = logging.getLogger("biodl.apply")
SHOWN_GENES = 5  # missing genes named in a refusal


@dataclass
class Prepared:
    """New items ready for the model: ids in input order, model inputs, and what preparing did."""

    ids: list[str]
    inputs: np.ndarray
    lines: list[int | None]
    notes: list[str] = field(default_factory=list)


def prepare_input(
    bundle: Bundle, path: Path, *, fill_missing_genes: bool = False, read: dict | None = None
) -> Prepared:
    """Read, validate and prepare ``path`` (FASTA or expression matrix) for the bundle's model.

    ``read`` caches what was read by reading settings, so the members of an ensemble (whose folds
    differ in normalisation, not in how the file is read) read the file once.
    """
    if bundle.kind == "sequences" and fill_missing_genes:
        raise InputError(f"{bundle.folder}: fill_missing_genes is for expression models only")
    cache = {} if read is None else read
    key = json.dumps([bundle.kind, reading_settings(bundle)], sort_keys=True)
    if key not in cache:
        cache[key] = read_input(bundle, path)
    if bundle.kind == "sequences":
        return prepare_sequences(bundle, cache[key])
    return prepare_expression(bundle, cache[key], path, fill_missing_genes=fill_missing_genes)


def reading_settings(bundle: Bundle) -> dict:
    """What reading the input depends on: the alphabet, or the matrix's layout and value type."""
    preparation = bundle.preparation
    if bundle.kind == "sequences":
        return {"alphabet": preparation["alphabet"], "allow_ambiguous": preparation["allow_ambiguous"]}
    missing = "impute" if "impute_median" in preparation["normalisation"] else "reject"
    return {**{key: preparation[key] for key in ("orientation", "values", "layer")}, "missing": missing}


def read_input(bundle: Bundle, path: Path) -> FastaTokens | ExpressionMatrix:
    """The input read and validated as ingest reads the bundle's kind of data."""
    settings = reading_settings(bundle)
    if bundle.kind == "sequences":
        records = read_fasta(
            path,
            get_alphabet(settings["alphabet"]),
            settings["allow_ambiguous"],
            ambiguity_advice="the model was trained without ambiguity codes",
        )
        check_unique_fasta_ids(records)
        return records
    return read_expression(
        path,
        settings["orientation"],
        counts=settings["values"] == "counts",
        layer=settings["layer"],
        missing=settings["missing"],
    )


def prepare_sequences(bundle: Bundle, records: FastaTokens) -> Prepared:
    """FASTA records → token matrix with the bundle's length policy."""
    length = bundle.preparation["length"]
    width = int(length["width"])
    check_lengths(
        records, width, variable=length["mode"] != "fixed", padded=bundle.description["input"]["padded"]
    )
    tokens, _ = encode.token_matrix(records.tokens, records.offsets, width, length["pad"], length["trim"])
    return Prepared(records.ids, tokens, records.lines.tolist())


def check_lengths(records: FastaTokens, width: int, *, variable: bool, padded: bool) -> None:
    """Refuse records the model cannot read as in training: longer than its width when the width
    was the longest training sequence (variable length), shorter when it never saw padding."""
    lengths = records.lengths
    if variable and (longer := np.flatnonzero(lengths > width)).size:
        first = int(longer[0])
        raise InputError(
            f"{where(records.path, records.ids[first], int(records.lines[first]))}: {int(lengths[first])} "
            f"residues, more than the model's input width {width} (the longest training sequence; "
            f"{longer.size} of {len(lengths)} records are longer)"
        )
    if not padded and (shorter := np.flatnonzero(lengths < width)).size:
        first = int(shorter[0])
        raise InputError(
            f"{where(records.path, records.ids[first], int(records.lines[first]))}: {int(lengths[first])} "
            f"residues, fewer than the model's input width {width}, and the model was trained without "
            f"padding ({shorter.size} of {len(lengths)} records are shorter)"
        )


def prepare_expression(
    bundle: Bundle, data: ExpressionMatrix, matrix: Path, *, fill_missing_genes: bool = False
) -> Prepared:
    """Expression matrix → the bundle's genes in training order, normalised with its parameters."""
    preparation = bundle.preparation
    values, notes = model_genes(
        data.values, data.genes, preparation, matrix, fill_missing_genes=fill_missing_genes
    )
    for note in notes:
        log.info(note)
    lines = sample_lines(matrix, preparation["orientation"], len(data.samples))
    return Prepared(
        data.samples, normalise.apply_expression(values, preparation["normalisation"]), lines, notes
    )


def model_genes(
    values: np.ndarray,
    genes: list[str],
    preparation: dict,
    path: Path,
    *,
    fill_missing_genes: bool,
) -> tuple[np.ndarray, list[str]]:
    """The input's values for the model's genes, in training order (float32, as ingest stores them);
    extra genes dropped, missing ones refused or filled with their training medians."""
    wanted = preparation["genes"]
    column = {gene: index for index, gene in enumerate(genes)}
    missing = [index for index, gene in enumerate(wanted) if gene not in column]
    notes = []
    if missing and not fill_missing_genes:
        shown = ", ".join(wanted[index] for index in missing[:SHOWN_GENES])
        raise InputError(
            f"{path}: {len(missing)} of the model's {len(wanted)} genes are missing (first: {shown}); "
            "fill them with their training medians with --fill-missing-genes (apply.fill_missing_genes "
            "in the config)"
        )
    extra = len(set(genes) - set(wanted))
    if extra:
        notes.append(f"{extra} genes of {path} are not genes of the model and were ignored")
    chosen = np.zeros((values.shape[0], len(wanted)), dtype=np.float32)
    present = [index for index, gene in enumerate(wanted) if gene in column]
    chosen[:, present] = values[:, [column[wanted[index]] for index in present]]
    if missing:
        chosen[:, missing] = np.asarray(preparation["training_medians"], dtype=np.float32)[missing]
        notes.append(
            f"{len(missing)} of the model's {len(wanted)} genes are missing from {path} and were filled "
            "with their training medians"
        )
    return chosen, notes


def encoded_truth(bundle: Bundle, labels: Path, prepared: Prepared, input_path: Path) -> np.ndarray:
    """The labels of the new items (a sheet with the bundle's id and label columns), encoded as the
    model's targets, for the truth columns of the predictions."""
    description = bundle.description
    id_column, columns, task = description["id_column"], description["label_columns"], bundle.task
    sheet = read_sheet(labels, id_column, columns, {})
    line = {item: line_of(row) for row, item in enumerate(sheet[id_column])}
    sheet = sheet_in_order(sheet, id_column, prepared.ids, labels, input_path, prepared.lines)
    check_label_values(sheet, task, columns, labels, id_column)
    encoding = description["encoding"]
    if task in CLASS_TASKS:
        values = sheet[columns[0]].str.strip()
        codes = pd.Categorical(values, categories=encoding["classes"]).codes
        if (unknown := np.flatnonzero(codes < 0)).size:
            item = str(sheet[id_column].iloc[int(unknown[0])])
            raise InputError(
                f"{where(labels, item, line[item])}: label {values.iloc[int(unknown[0])]!r} is not a "
                f"class of the model ({', '.join(encoding['classes'])})"
            )
        return codes.astype(np.float32 if task == "binary" else np.int32)
    if task == "multilabel":
        return sheet[columns].astype(np.float32).to_numpy()
    values = sheet[columns].astype(np.float64).to_numpy()
    return ((values - np.asarray(encoding["mean"])) / np.asarray(encoding["sd"])).astype(np.float32)
