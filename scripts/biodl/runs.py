"""Training and baseline runs as the workflow calls them: load the files, fit, predict the test partition."""

from __future__ import annotations

import os

from biodl.batches import TrainingData, load_items, load_windows

Path = str | os.PathLike


def load_run_data(
    kind: str,
    task: str,
    files: dict[str, Path],
    unit: str,
    windows: dict | None = None,
    split_by: str = "items",
    class_weights: str = "balanced",
) -> TrainingData:
    """The partitions of one split unit, as a model of any family consumes them."""
    if task == "forecasting":
        windows = {"lookback": 10, "horizon": 1, "stride": 1, "univariate": False, **(windows or {})}
        return load_windows(
            files,
            files["inputs"],
            files["split"],
            unit,
            split_by,
            windows["lookback"],
            windows["horizon"],
            windows["stride"],
            windows["univariate"],
        )
    return load_items(kind, task, files, files["inputs"], files["split"], unit, class_weights == "balanced")


def train_run(
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
) -> None:
    """Train one model on one split unit with one seed, then predict its test partition.

    Writes model.keras (the best epoch), history.tsv, run.json and predictions.tsv; the
    predictions come from the saved model file, as any later reader of it would get them.
    """
    from biodl.training import train

    data = load_run_data(
        kind, task, files, unit, windows, split_by, training.get("class_weights", "balanced")
    )
    train(
        data,
        family,
        hparams,
        training,
        seed,
        threads,
        outputs["model"],
        outputs["history"],
        outputs["run"],
        run_config={**(run_config or {}), "unit": unit},
    )
    predict_test_partition(data, outputs["model"], outputs["predictions"])


def predict_test_partition(data: TrainingData, model_path: Path, predictions_path: Path) -> None:
    """Predict the test partition with the saved model and write predictions.tsv."""
    import keras

    from biodl.io.outputs import all_or_nothing, save_table
    from biodl.predict import predict_partition

    model = keras.models.load_model(model_path)
    with all_or_nothing(predictions_path):
        save_table(predictions_path, predict_partition(model, data))


def baseline_run(
    files: dict[str, Path],
    outputs: dict[str, Path],
    unit: str,
    seed: int,
    threads: int,
    kind: str,
    task: str,
    method: str,
    hparams: dict,
    windows: dict | None = None,
    split_by: str = "items",
    run_config: dict | None = None,
) -> None:
    """Fit one baseline on one split unit and write its test predictions and run.json."""
    import json
    from pathlib import Path as FilePath

    from biodl.baselines import Letters, fit_baseline
    from biodl.io.outputs import all_or_nothing, save_json, save_table
    from biodl.predict import prediction_table
    from biodl.versions import package_versions

    data = load_run_data(kind, task, files, unit, windows, split_by)
    meta = json.loads(FilePath(files["meta"]).read_text(encoding="utf-8"))
    letters = Letters(len(meta["kmer"]["letters"]), meta["kmer"]["k"]) if kind == "sequences" else None
    fitted = fit_baseline(method, data, seed, threads, hparams, letters, unit)
    with all_or_nothing(outputs["predictions"], outputs["run"]):
        save_table(outputs["predictions"], prediction_table(data, data.partitions["test"], fitted.scores))
        save_json(
            outputs["run"],
            {
                "method": method,
                "hparams": hparams,
                "chosen": fitted.chosen,
                "valid_loss": fitted.valid_loss,
                "seed": seed,
                "threads": threads,
                "input": data.spec.to_dict(),
                "task": data.task.to_dict(),
                "partition_sizes": {name: len(p) for name, p in data.partitions.items()},
                "config": {**(run_config or {}), "unit": unit},
                "versions": package_versions(),
            },
        )
