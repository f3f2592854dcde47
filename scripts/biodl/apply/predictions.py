"""Apply a bundle to new data: prepare it as in training, predict, write the one prediction format."""

from __future__ import annotations

import logging
import os

import numpy as np

from biodl.apply.bundle import read_bundle
from biodl.apply.prepare import Prepared, encoded_truth, prepare_input
from biodl.io.outputs import all_or_nothing, save_table
from biodl.train.loaders import Partition
from biodl.train.predict import item_table

Path = str | os.PathLike
log = logging.getLogger("biodl.apply")
BATCH_SIZE = 256  # as the test partition is predicted after training, so a round trip is bit for bit


def prepared_partition(prepared: Prepared, truth: np.ndarray | None) -> Partition:
    """The prepared items as a partition that batches serve in input order."""
    targets = truth if truth is not None else np.zeros(len(prepared.ids), dtype=np.float32)

    def gather(positions: np.ndarray) -> tuple[np.ndarray, ...]:
        return np.asarray(prepared.inputs[positions]), targets[positions]

    return Partition(list(prepared.ids), gather, lambda positions: targets[positions])


def model_scores(model_path: Path, partition: Partition) -> np.ndarray:
    """The model's outputs for every item of ``partition``, batch by batch."""
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)
    from biodl.train.batches import Batches

    model = keras.models.load_model(model_path)
    return np.asarray(model.predict(Batches(partition, BATCH_SIZE), verbose=0))


def apply_bundle(
    bundle: Path,
    input_path: Path,
    output: Path,
    *,
    labels: Path | None = None,
    fill_missing_genes: bool = False,
) -> None:
    """Predict every item of ``input_path`` with the bundle's model and write ``output`` (TSV).

    With ``labels`` (a sheet with the training data's id and label columns) the truth columns
    are written too, as in the test predictions of training.
    """
    found = read_bundle(bundle)
    prepared = prepare_input(found, input_path, fill_missing_genes=fill_missing_genes)
    truth = encoded_truth(found, labels, prepared, input_path) if labels is not None else None
    log.info("%s: %d items of %s prepared", found.name, len(prepared.ids), input_path)
    scores = model_scores(found.model_path, prepared_partition(prepared, truth))
    table = item_table(found.task, found.description["encoding"], np.asarray(prepared.ids), scores, truth)
    with all_or_nothing(output):
        save_table(output, table)
