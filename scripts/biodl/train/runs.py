"""Training runs as the workflow calls them: load the files, train, predict the test partition."""

from __future__ import annotations

import json
import os
from pathlib import Path as FilePath

from biodl.families import model_hparams, training_settings
from biodl.train.loaders import TrainingData, load_run_data

Path = str | os.PathLike


def train_run(
    *,
    files: dict[str, Path],
    outputs: dict[str, Path],
    unit: str,
    seed: int,
    threads: int,
    kind: str,
    task: str,
    family: str,
    hparams: dict,
    training: dict,
    windows: dict | None = None,
    split_by: str = "items",
    run_config: dict | None = None,
    compute: dict | None = None,
    augment: dict | None = None,
) -> None:
    """Train one model on one split unit with one seed, then predict its test partition; a tuned
    model (``files['search']``, its search's best.json) trains with the best trial's settings;
    ``augment`` (alphabet, reverse_complement, shift) changes its training batches.

    Writes model.keras (the best epoch), history.tsv, run.json and predictions.tsv; the
    predictions come from the saved model file, as any later reader of it would get them.
    """
    from biodl.train.loop import train

    if "search" in files:  # a tuned model: the best trial's settings
        best = json.loads(FilePath(files["search"]).read_text(encoding="utf-8"))
        hparams, training = best["hparams"], best["training"]
        run_config = {
            **(run_config or {}),
            "search": {key: best[key] for key in ("study", "trial", "value", "params")},
        }
    data = model_data(files, unit, kind, task, family, training, windows=windows, split_by=split_by)
    data.augment = augment
    train(
        data,
        family,
        hparams=model_hparams(family, hparams),
        training=training,
        seed=seed,
        threads=threads,
        model_path=outputs["model"],
        history_path=outputs["history"],
        run_path=outputs["run"],
        run_config={**(run_config or {}), "unit": unit},
        compute=compute,
    )
    predict_test_partition(data, outputs["model"], outputs["predictions"])


def model_data(
    files: dict[str, Path],
    unit: str,
    kind: str,
    task: str,
    family: str,
    training: dict,
    *,
    windows: dict | None = None,
    split_by: str = "items",
) -> TrainingData:
    """The partitions of one split unit as a model of ``family`` trains on them (class weights as
    its training settings say)."""
    return load_run_data(
        kind,
        task,
        files,
        unit=unit,
        windows=windows,
        split_by=split_by,
        class_weights=training_settings(family, training)["class_weights"],
    )


def predict_test_partition(data: TrainingData, model_path: Path, predictions_path: Path) -> None:
    """Predict the test partition with the saved model and write predictions.tsv."""
    import keras

    from biodl.io.outputs import all_or_nothing, save_table
    from biodl.train.predict import predict_partition

    model = keras.models.load_model(model_path)
    with all_or_nothing(predictions_path):
        save_table(predictions_path, predict_partition(model, data))
