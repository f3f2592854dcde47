"""New input prepared exactly as a bundle's training data was: the same readers and validators as
ingest, then the bundle's encoding or normalisation. Input the model was not trained for is refused
with one line naming the file, the record and the mismatch.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from biodl.alphabets import get_alphabet
from biodl.apply.bundle import Bundle
from biodl.data import encode, normalise
from biodl.data.ingest import read_sheet, sample_lines, sheet_in_order
from biodl.data.labels import check_label_values, check_position_labels
from biodl.errors import InputError, where
from biodl.io.expression import ExpressionMatrix, read_expression
from biodl.io.fasta import FastaTokens, stream_fasta
from biodl.io.tables import line_of
from biodl.io.timecourse import TimeCourses, read_timecourses
from biodl.vocabulary import CLASS_TASKS

Path = str | os.PathLike
log = logging.getLogger("biodl.apply")
SHOWN_GENES = 5  # missing genes named in a refusal
CHUNK_ITEMS = 256 * 256  # items prepared and predicted at a time: whole prediction batches


@dataclass
class Prepared:
    """New items ready for the model: ids in input order, model inputs, and what preparing did;
    forecasting windows also carry what followed them in the data (``truth``, NaN beyond its end)
    and, for a univariate model, the gene of each window."""

    ids: list[str]
    inputs: np.ndarray
    lines: list[int | None]
    notes: list[str] = field(default_factory=list)
    truth: np.ndarray | None = None
    genes: np.ndarray | None = None


@dataclass
class CheckedInput:
    """New input checked in full for every member of an ensemble, then served in chunks of
    consecutive items, each prepared for every member (``chunks()`` may be called again).

    FASTA files are read twice, once to check and once to predict, so bad input fails before any
    model loads and memory holds one chunk whatever the file's size; ``ids``, ``lines`` and the
    records' ``lengths`` are kept only when asked for (to match a labels sheet). An expression matrix
    or a time-course table is read once and is one chunk.
    """

    path: Path
    count: int
    ids: list[str] | None
    lines: list[int | None] | None
    chunks: Callable[[], Iterator[list[Prepared]]]
    lengths: np.ndarray | None = None


def check_input(
    members: list[Bundle],
    path: Path,
    *,
    fill_missing_genes: bool = False,
    keep_ids: bool = False,
    chunk_items: int = CHUNK_ITEMS,
) -> CheckedInput:
    """Read and validate ``path`` (FASTA, expression matrix or long time-course table) for the
    members' models."""
    first = members[0]
    for member in members[1:]:
        if reading_settings(member) != reading_settings(first):
            raise InputError(
                f"{member.folder}: cannot be applied together with {first.folder}: they read their "
                "input differently"
            )
    if fill_missing_genes and first.kind != "expression":
        raise InputError(f"{first.folder}: fill_missing_genes is for expression models only")
    if first.kind == "sequences":
        return check_sequences(members, path, keep_ids=keep_ids, chunk_items=chunk_items)
    if first.kind == "timecourse":
        settings = reading_settings(first)
        courses = read_timecourses(path, missing=settings["missing"], resample=settings["resample"])
        series = [prepare_timecourses(member, courses, path) for member in members]
        if first.task != "forecasting":
            return CheckedInput(
                path, len(courses.series), courses.series, series[0].lines, lambda: iter([series])
            )
        per_member = [forecast_windows_of(member, prepared) for member, prepared in zip(members, series)]
        chunks = [list(members_chunk) for members_chunk in zip(*per_member)]
        ids = [item for chunk in chunks for item in chunk[0].ids]
        return CheckedInput(path, len(ids), ids, [None] * len(ids), lambda: iter(chunks))
    data = read_expression_input(first, path)
    prepared = [
        prepare_expression(member, data, path, fill_missing_genes=fill_missing_genes) for member in members
    ]
    return CheckedInput(path, len(data.samples), data.samples, prepared[0].lines, lambda: iter([prepared]))


def reading_settings(bundle: Bundle) -> dict:
    """What reading the input depends on: the alphabet, or the matrix's layout and value type."""
    preparation = bundle.preparation
    if bundle.kind == "sequences":
        return {"alphabet": preparation["alphabet"], "allow_ambiguous": preparation["allow_ambiguous"]}
    if bundle.kind == "timecourse":
        return {"missing": preparation["missing"], "resample": preparation["resample"]}
    missing = "impute" if "impute_median" in preparation["normalisation"] else "reject"
    return {**{key: preparation[key] for key in ("orientation", "values", "layer")}, "missing": missing}


def sequence_chunks(bundle: Bundle, path: Path, chunk_items: int) -> Iterator[FastaTokens]:
    """The FASTA records, validated as ingest validates them, ``chunk_items`` at a time."""
    settings = reading_settings(bundle)
    return stream_fasta(
        path,
        get_alphabet(settings["alphabet"]),
        settings["allow_ambiguous"],
        records=chunk_items,
        ambiguity_advice="the model was trained without ambiguity codes",
    )


def check_sequences(members: list[Bundle], path: Path, *, keep_ids: bool, chunk_items: int) -> CheckedInput:
    """First pass over a FASTA file: valid records, unique ids, lengths every member can read."""

    def records() -> Iterator[FastaTokens]:
        return sequence_chunks(members[0], path, chunk_items)

    unique = UniqueIds()
    policies = {json.dumps(member.preparation["length"], sort_keys=True): member for member in members}
    lengths = [LengthCheck.of(member) for member in policies.values()]
    ids: list[str] = []
    lines: list[int | None] = []
    sizes: list[np.ndarray] = []
    for chunk in records():
        unique.add(chunk)
        for check in lengths:
            check.add(chunk)
        if keep_ids:
            ids.extend(chunk.ids)
            lines.extend(chunk.lines.tolist())
            sizes.append(chunk.lengths)
    unique.check(records)
    for check in lengths:
        check.check()

    def chunks() -> Iterator[list[Prepared]]:
        for chunk in records():
            yield [prepare_sequences(member, chunk) for member in members]

    if not keep_ids:
        return CheckedInput(path, unique.count, None, None, chunks)
    return CheckedInput(path, unique.count, ids, lines, chunks, np.concatenate(sizes))


def read_expression_input(bundle: Bundle, path: Path) -> ExpressionMatrix:
    """The matrix read and validated as ingest reads the bundle's kind of matrix."""
    settings = reading_settings(bundle)
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
    tokens, _ = encode.token_matrix(
        records.tokens, records.offsets, int(length["width"]), length["pad"], length["trim"]
    )
    return Prepared(records.ids, tokens, records.lines.tolist())


class UniqueIds:
    """Checks that record ids are unique across the chunks of a file while keeping 8 bytes per
    record (a hash of its id) rather than every id; repeated hashes are confirmed by reading the
    file again, so a hash collision never refuses a valid file."""

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []

    @property
    def count(self) -> int:
        return sum(len(hashes) for hashes in self.hashes)

    def add(self, records: FastaTokens) -> None:
        self.hashes.append(np.fromiter(map(hash, records.ids), dtype=np.int64, count=len(records)))

    def check(self, records: Callable[[], Iterator[FastaTokens]]) -> None:
        """Raise at the first record whose id an earlier record had (``records`` reads the file again)."""
        hashes = np.sort(np.concatenate(self.hashes)) if self.hashes else np.zeros(0, dtype=np.int64)
        repeated = set(hashes[1:][hashes[1:] == hashes[:-1]].tolist())
        if not repeated:
            return
        first_line: dict[str, int] = {}
        for chunk in records():
            for item, line in zip(chunk.ids, chunk.lines.tolist()):
                if hash(item) not in repeated:
                    continue
                if item in first_line:
                    raise InputError(
                        f"{chunk.path}: record {item!r} (line {line}): duplicate id "
                        f"(first seen at line {first_line[item]})"
                    )
                first_line[item] = line


@dataclass
class Refused:
    """Records refused for one reason: how many, and where the first is with its length."""

    count: int = 0
    first: tuple[str, int] | None = None

    def add(self, records: FastaTokens, wrong: np.ndarray) -> None:
        found = np.flatnonzero(wrong)
        if found.size and self.first is None:
            index = int(found[0])
            place = where(records.path, records.ids[index], int(records.lines[index]))
            self.first = (place, int(records.lengths[index]))
        self.count += int(found.size)


@dataclass
class LengthCheck:
    """Records a model cannot read as in training: longer than its width when the width was the
    longest training sequence (variable length), shorter when it never saw padding."""

    width: int
    variable: bool
    padded: bool
    total: int = 0
    longer: Refused = field(default_factory=Refused)
    shorter: Refused = field(default_factory=Refused)

    @classmethod
    def of(cls, member: Bundle) -> LengthCheck:
        length = member.preparation["length"]
        variable = length["mode"] != "fixed"
        return cls(int(length["width"]), variable, member.description["input"]["padded"])

    def add(self, records: FastaTokens) -> None:
        lengths = records.lengths
        if self.variable:
            self.longer.add(records, lengths > self.width)
        if not self.padded:
            self.shorter.add(records, lengths < self.width)
        self.total += len(records)

    def check(self) -> None:
        """Raise naming the first refused record and how many there are."""
        if self.longer.first:
            place, length = self.longer.first
            raise InputError(
                f"{place}: {length} residues, more than the model's input width {self.width} (the longest "
                f"training sequence; {self.longer.count} of {self.total} records are longer)"
            )
        if self.shorter.first:
            place, length = self.shorter.first
            raise InputError(
                f"{place}: {length} residues, fewer than the model's input width {self.width}, and the "
                f"model was trained without padding ({self.shorter.count} of {self.total} records are "
                "shorter)"
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


def prepare_timecourses(bundle: Bundle, courses: TimeCourses, path: Path) -> Prepared:
    """Time courses → (series × time × gene) on the model's time grid and genes, z-scored per gene
    with the training parameters."""
    preparation = bundle.preparation
    check_time_grid(courses.times, np.asarray(preparation["times"], dtype=np.float64), path)
    n_series, n_times, n_genes = courses.values.shape
    flat = courses.values.reshape(n_series * n_times, n_genes)
    values, notes = model_genes(
        flat, courses.genes, preparation, path, fill_missing_genes=False, fillable=False
    )
    for note in notes:
        log.info(note)
    cube = values.reshape(n_series, n_times, len(preparation["genes"]))
    normalised = normalise.apply_gene_zscore(cube, preparation["normalisation"])
    return Prepared(courses.series, normalised, [None] * n_series, notes)


def forecast_windows_of(bundle: Bundle, prepared: Prepared) -> list[Prepared]:
    """Prepared time courses → the look-back windows the model reads, in two chunks: first those on
    the training stride whose horizon lies in the data (cut as the training windows were, with what
    followed as truth), then the window that ends at each series' last time point (the forecast
    beyond the data, truth NaN); series by series, in time order. The first chunk is predicted as
    the test windows were after training, so test series give the same bits. A univariate model
    reads each gene as a series of its own.
    """
    windows = bundle.preparation["windows"]
    lookback, horizon, stride = windows["lookback"], windows["horizon"], windows["stride"]
    cube, series_ids, genes = prepared.inputs, np.asarray(prepared.ids, dtype=object), None
    if windows["univariate"]:
        n_series, n_times, n_genes = cube.shape
        cube = np.moveaxis(cube, 2, 1).reshape(n_series * n_genes, n_times, 1)
        series_ids = np.repeat(series_ids, n_genes)
        genes = np.tile(np.asarray(bundle.preparation["genes"], dtype=object), n_series)
    n_series, n_times, _ = cube.shape
    extended = np.concatenate([cube, np.full((n_series, horizon, cube.shape[2]), np.nan, cube.dtype)], axis=1)
    times = np.asarray(bundle.preparation["times"], dtype=np.float64)

    def chunk(starts: np.ndarray) -> Prepared:
        series, start = (grid.ravel() for grid in np.meshgrid(np.arange(n_series), starts, indexing="ij"))
        inputs = extended[series[:, None], start[:, None] + np.arange(lookback)]
        truth = extended[series[:, None], start[:, None] + lookback + np.arange(horizon)]
        ids = [f"{series_ids[s]}@{times[t + lookback - 1]:g}" for s, t in zip(series, start)]
        gene = None if genes is None else genes[series]
        return Prepared(ids, inputs, [None] * len(ids), prepared.notes, truth, gene)

    evaluable = np.arange(0, n_times - lookback - horizon + 1, stride)
    return [chunk(starts) for starts in (evaluable, np.array([n_times - lookback])) if len(starts)]


def check_time_grid(times: np.ndarray, expected: np.ndarray, path: Path) -> None:
    """Refuse time courses sampled on another grid than the model's (times equal to 1e-9 relative)."""
    scale = max(1.0, float(np.max(np.abs(expected)))) if len(expected) else 1.0
    if len(times) == len(expected) and np.all(np.abs(times - expected) <= 1e-9 * scale):
        return
    shared = min(len(times), len(expected))
    differs = np.flatnonzero(np.abs(times[:shared] - expected[:shared]) > 1e-9 * scale)
    first = int(differs[0]) if differs.size else shared
    detail = (
        f"time point {first + 1} is {times[first]:g}, not {expected[first]:g}"
        if differs.size
        else f"{len(times)} time points, not {len(expected)}"
    )
    raise InputError(
        f"{path}: the time grid differs from the model's ({grid_text(expected)}): {detail}; "
        "resample the series to the model's grid"
    )


def grid_text(times: np.ndarray) -> str:
    """``0, 1, 2, …, 19 (20 points)``."""
    shown = ", ".join(f"{time:g}" for time in times[:3])
    if len(times) > 4:
        shown += f", …, {times[-1]:g}"
    elif len(times) == 4:
        shown += f", {times[-1]:g}"
    return f"{shown} ({len(times)} points)"


def model_genes(
    values: np.ndarray,
    genes: list[str],
    preparation: dict,
    path: Path,
    *,
    fill_missing_genes: bool,
    fillable: bool = True,
) -> tuple[np.ndarray, list[str]]:
    """The input's values for the model's genes, in training order (float32, as ingest stores them);
    extra genes dropped, missing ones refused or (when ``fillable``) filled with their training medians."""
    wanted = preparation["genes"]
    column = {gene: index for index, gene in enumerate(genes)}
    missing = [index for index, gene in enumerate(wanted) if gene not in column]
    notes = []
    if missing and not fill_missing_genes:
        shown = ", ".join(wanted[index] for index in missing[:SHOWN_GENES])
        advice = (
            "; fill them with their training medians with --fill-missing-genes (apply.fill_missing_genes "
            "in the config)"
            if fillable
            else ""
        )
        raise InputError(
            f"{path}: {len(missing)} of the model's {len(wanted)} genes are missing (first: {shown}){advice}"
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


def encoded_truth(bundle: Bundle, labels: Path, new: CheckedInput) -> np.ndarray:
    """The labels of the new items (a sheet with the bundle's id and label columns) in input order,
    encoded as the model's targets, for the truth columns of the predictions."""
    description = bundle.description
    id_column, columns, task = description["id_column"], description["label_columns"], bundle.task
    if task == "forecasting":
        raise InputError(
            f"{labels}: a forecasting model takes no labels: its truth is the series' own future"
        )
    sheet = read_sheet(labels, id_column, columns, {})
    line = {item: line_of(row) for row, item in enumerate(sheet[id_column])}
    sheet = sheet_in_order(sheet, id_column, new.ids, labels, new.path, new.lines)
    if task == "per_position":
        return residue_truth(bundle, sheet[columns[0]], sheet[id_column], new.lengths, labels)
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


def residue_truth(
    bundle: Bundle, text: pd.Series, ids: pd.Series, lengths: np.ndarray, labels: Path
) -> np.ndarray:
    """Per-residue label strings checked as ingest checks them, as an item × position matrix of class
    index + 1 (0 for padding) with the bundle's length policy."""
    classes, length = bundle.preparation["position_classes"], bundle.preparation["length"]
    column = bundle.description["label_columns"][0]
    check_position_labels(text, ids, lengths, classes, column, labels)
    return encode.position_matrix(text.tolist(), classes, int(length["width"]), length["pad"], length["trim"])
