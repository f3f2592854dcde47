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
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from biodl.alphabets import get_alphabet
from biodl.apply.bundle import Bundle, read_bundle
from biodl.apply.prepare import CHUNK_ITEMS, Prepared, check_input, encoded_truth
from biodl.data.encode import reverse_complement
from biodl.errors import InputError
from biodl.io.outputs import all_or_nothing
from biodl.train.loaders import Partition
from biodl.train.predict import item_table

Path = str | os.PathLike
log = logging.getLogger("biodl.apply")
BATCH_SIZE = 256  # as the test partition is predicted after training, so a round trip is bit for bit
SHARED = ("kind", "task", "label_columns")  # what the members of an ensemble must share


def prepared_partition(prepared: Prepared, truth: np.ndarray | None) -> Partition:
    """The prepared items as a partition that batches serve in input order."""
    targets = truth if truth is not None else np.zeros(len(prepared.ids), dtype=np.float32)

    def gather(positions: np.ndarray) -> tuple[np.ndarray, ...]:
        return np.asarray(prepared.inputs[positions]), targets[positions]

    return Partition(list(prepared.ids), gather, lambda positions: targets[positions])


Predictor = Callable[[Sequence[Partition]], list[np.ndarray]]


def keras_predictor(model_path: Path) -> Predictor:
    """The model's outputs for every item of each partition, batch by batch."""
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)
    from biodl.train.batches import Batches

    model = keras.models.load_model(model_path)

    def predict(inputs: Sequence[Partition]) -> list[np.ndarray]:
        return [np.asarray(model.predict(Batches(partition, BATCH_SIZE), verbose=0)) for partition in inputs]

    return predict


def version_warnings(member: Bundle) -> list[str]:
    """Where the installed Keras or backend differs from the one that trained the bundle's model."""
    from biodl.train.loop import software_versions

    trained, installed = member.description["versions"], software_versions()
    return [
        f"{member.name}: trained with {name} {trained[name]}, applied with {installed.get(name)}; "
        "predictions may differ in the last digits"
        for name in ("keras", "backend", trained.get("backend", ""))
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
        for key in ("classes", "labels", "targets"):
            if member.description["encoding"].get(key) != first.description["encoding"].get(key):
                raise InputError(f"{member.folder}: cannot be averaged with {first.folder}: its {key} differ")


def check_strands(member: Bundle) -> None:
    """Reverse-complement averaging needs a DNA or RNA model."""
    preparation = member.preparation
    if member.kind != "sequences" or get_alphabet(preparation["alphabet"]).complement is None:
        raise InputError(
            f"{member.folder}: reverse-complement averaging needs a DNA or RNA model, not "
            f"{preparation.get('alphabet', member.kind)}"
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
    scores = predict([prepared_partition(p, truth) for p in inputs])
    average = scores[0] if len(scores) == 1 else np.mean(scores, axis=0)
    return item_table(member.task, member.description["encoding"], np.asarray(prepared.ids), average, truth)


def ensemble_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The first table with every score or prediction averaged over the tables, and its spread."""
    if len(tables) == 1:
        return tables[0]
    result = tables[0].copy()
    for column in [name for name in result.columns if name.startswith(("score:", "pred:"))]:
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
    predictors = [keras_predictor(member.model_path) for member in members]
    log.info("%d items of %s checked; predicting with %d model(s)", new.count, input_path, len(members))
    done = 0
    with all_or_nothing(output), open(output, "w", encoding="utf-8", newline="") as handle:
        for prepared in new.chunks():
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
            ensemble_table(tables).to_csv(
                handle, sep="\t", index=False, header=done == 0, lineterminator="\n"
            )
            done += size
            if new.count > size:
                log.info("%d of %d items predicted", done, new.count)
