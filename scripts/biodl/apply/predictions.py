"""Apply bundles to new data: prepare it as in training, predict, write the one prediction format.

Several bundles of one model (its seeds, or the folds of a K-fold split) are applied as an
ensemble: each prepares the input with its own preparation (folds fit their own normalisation),
its predictions are read back in the target's units, and the table holds their mean with the
standard deviation across members (``sd:<column>``) beside each score or prediction. DNA and RNA
models can average every member's scores over both strands.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO, TypeVar

import numpy as np
import pandas as pd

from biodl.alphabets import PAD, get_alphabet
from biodl.apply.bundle import Bundle, read_bundle
from biodl.apply.prepare import CHUNK_ITEMS, Prepared, check_input, encoded_truth
from biodl.data.encode import reverse_complement
from biodl.errors import InputError
from biodl.io.outputs import all_or_nothing, load_estimators
from biodl.train.predict import forecast_table, item_table, per_position_table, predict_in_batches

Path = str | os.PathLike
log = logging.getLogger("biodl.apply")
BATCH_SIZE = 256  # as the test partition is predicted after training, so a round trip is bit for bit
T = TypeVar("T")
SHARED = ("kind", "task", "label_columns")  # what the members of an ensemble must share


Predictor = Callable[[np.ndarray], np.ndarray]  # as biodl.baselines.predict.Predictor


def keras_predictor(model_path: Path) -> Predictor:
    """The model's outputs for an array of prepared inputs, in batches of ``BATCH_SIZE``."""
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)

    model = keras.models.load_model(model_path)

    # a chunk of a streamed file at a time: one predict call each would repeat its set-up per chunk;
    # input is never empty (readers refuse that)
    return lambda inputs: predict_in_batches(model, inputs, BATCH_SIZE)


def baseline_predictor(member: Bundle) -> Predictor:
    """A baseline bundle's scores for an array of prepared inputs
    (:func:`biodl.baselines.predict.fitted_predictor`)."""
    from biodl.baselines.predict import fitted_predictor

    return fitted_predictor(
        member.description["baseline"], member.description, load_estimators(member.model_path)
    )


def predictor(member: Bundle) -> Predictor:
    """What predicts with the bundle's model: Keras, or a baseline's estimators."""
    return baseline_predictor(member) if member.is_baseline else keras_predictor(member.model_path)


def version_warnings(member: Bundle) -> list[str]:
    """Where the installed Keras and backend (scikit-learn for a baseline) differ from those that
    trained the bundle's model."""
    from biodl.versions import package_versions

    trained = member.description["versions"]
    if member.is_baseline:
        installed, names = package_versions(), ("scikit-learn",)
    else:
        from biodl.train.loop import software_versions

        installed = software_versions()
        names = ("keras", "backend", trained.get("backend"))  # and the backend's own package
    return [
        f"{member.name}: trained with {name} {trained[name]}, applied with {installed.get(name)}; "
        "predictions may differ in the last digits"
        for name in names
        if name in trained and trained[name] != installed.get(name)
    ]


def check_ensemble(members: list[Bundle]) -> None:
    """Members of an ensemble predict the same thing: kind, task, labels and their encoding."""
    first = members[0]
    for member in members[1:]:
        for key in SHARED:
            if member.description[key] != first.description[key]:
                raise InputError(
                    f"{member.folder}: cannot be averaged with {first.folder}: its {key} differs "
                    f"({member.description[key]!r}, not {first.description[key]!r})"
                )
        for key in ("classes", "labels", "targets", "genes"):
            if member.description["encoding"].get(key) != first.description["encoding"].get(key):
                raise InputError(f"{member.folder}: cannot be averaged with {first.folder}: its {key} differ")
        aligned = {"per_position": "length", "forecasting": "windows"}.get(first.task)
        if aligned and member.preparation[aligned] != first.preparation[aligned]:
            raise InputError(
                f"{member.folder}: cannot be averaged with {first.folder}: its {aligned} settings differ, so "
                "its rows would not line up"
            )


def check_strands(member: Bundle) -> None:
    """Reverse-complement averaging needs a DNA or RNA model with one prediction per sequence."""
    preparation = member.preparation
    if member.kind != "sequences" or get_alphabet(preparation["alphabet"]).complement is None:
        raise InputError(
            f"{member.folder}: reverse-complement averaging needs a DNA or RNA model, not "
            f"{preparation.get('alphabet', member.kind)}"
        )
    if member.task == "per_position":
        raise InputError(
            f"{member.folder}: reverse-complement averaging is for models with one prediction per "
            "sequence, not per position"
        )


def strands(member: Bundle, prepared: Prepared) -> list[Prepared]:
    """The prepared items, and their reverse complements as a second input (DNA and RNA only)."""
    preparation = member.preparation
    flipped = reverse_complement(
        prepared.inputs, get_alphabet(preparation["alphabet"]), preparation["length"]["pad"]
    )
    return [prepared, Prepared(prepared.ids, flipped, prepared.lines)]


def member_table(
    member: Bundle, predict: Predictor, prepared: Prepared, truth: np.ndarray | None, *, both_strands: bool
) -> pd.DataFrame:
    """One bundle's prediction table of a chunk of items (scores averaged over strands when asked)."""
    inputs = strands(member, prepared) if both_strands else [prepared]
    scores = [predict(strand.inputs) for strand in inputs]
    average = scores[0] if len(scores) == 1 else np.mean(scores, axis=0)
    ids, encoding = np.asarray(prepared.ids, dtype=object), member.description["encoding"]
    if member.task == "per_position":
        return per_position_table(ids, prepared.inputs != PAD, average, encoding["classes"], truth)
    if member.task == "forecasting":
        return forecast_table(ids, prepared.truth, average, encoding["genes"], prepared.genes)
    return item_table(member.task, encoding, ids, average, truth)


def ensemble_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The first table with every score or prediction averaged over the tables, and its spread."""
    if len(tables) == 1:
        return tables[0]
    result = tables[0].copy()
    for column in [name for name in result.columns if name == "pred" or name.startswith(("score:", "pred:"))]:
        values = np.stack([table[column].to_numpy(dtype=np.float64) for table in tables])
        result[column] = values.mean(axis=0)
        result[f"sd:{column}"] = values.std(axis=0, ddof=1)
    return result


def apply_bundle(
    bundle: Path | Sequence[Path],
    input_path: Path,
    output: Path,
    *,
    labels: Path | None = None,
    fill_missing_genes: bool = False,
    reverse_complement_average: bool = False,
    chunk_items: int = CHUNK_ITEMS,
) -> None:
    """Predict every item of ``input_path`` with one bundle or an ensemble; write ``output`` (TSV).

    The input is checked in full before any model loads, then predicted and written in chunks of
    ``chunk_items`` (a FASTA file streams: memory does not grow with its size). With ``labels`` (a
    sheet with the training data's id and label columns) the truth columns are written too, as in
    the test predictions of training.
    """
    folders = [bundle] if isinstance(bundle, str | os.PathLike) else list(bundle)
    members = [read_bundle(folder) for folder in folders]
    check_ensemble(members)
    if reverse_complement_average:
        for member in members:
            check_strands(member)
    new = check_input(
        members,
        input_path,
        fill_missing_genes=fill_missing_genes,
        keep_ids=labels is not None,
        chunk_items=chunk_items,
    )
    truths = [encoded_truth(member, labels, new) if labels is not None else None for member in members]
    for member in members:
        for warning in version_warnings(member):
            log.warning(warning)
    predictors = [predictor(member) for member in members]
    log.info("%d items of %s checked; predicting with %d model(s)", new.count, input_path, len(members))
    done = 0
    with (
        all_or_nothing(output),
        open(output, "w", encoding="utf-8", newline="") as handle,
        ThreadPoolExecutor(1) as writer,
    ):
        written = None
        for prepared in prefetched(new.chunks()):
            size = len(prepared[0].ids)
            tables = [
                member_table(
                    member,
                    predict,
                    chunk,
                    None if truth is None else truth[done : done + size],
                    both_strands=reverse_complement_average,
                )
                for member, predict, chunk, truth in zip(members, predictors, prepared, truths)
            ]
            if written is not None:
                written.result()  # in order, and a failure to write stops the run
            written = writer.submit(write_rows, handle, ensemble_table(tables), header=done == 0)
            done += size
            if new.count > size:
                log.info("%d of %d items predicted", done, new.count)
        if written is not None:
            written.result()


def write_rows(handle: TextIO, table: pd.DataFrame, *, header: bool) -> None:
    """Append a chunk's rows to the predictions, as :func:`biodl.io.outputs.save_table` writes them."""
    table.to_csv(handle, sep="\t", index=False, header=header, lineterminator="\n")


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """The items of an iterator, each next one made in a thread while the caller uses the current one
    (reading and encoding a chunk overlap the prediction of the one before)."""
    with ThreadPoolExecutor(1) as reader:
        coming = reader.submit(next, items, None)
        while (item := coming.result()) is not None:
            coming = reader.submit(next, items, None)
            yield item
