"""Baseline runs as the workflow calls them: load the files, fit, predict the test partition."""

from __future__ import annotations

import json
import os
from pathlib import Path

from biodl.baselines.methods import Letters, fit_baseline
from biodl.io.outputs import all_or_nothing, save_estimators, save_json, save_table
from biodl.train.loaders import load_run_data
from biodl.train.predict import prediction_table
from biodl.versions import package_versions

PathLike = str | os.PathLike


def baseline_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
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
    search: dict | None = None,
) -> None:
    """Fit one baseline on one split unit; write its test predictions, its fitted estimators (skops)
    and run.json."""
    data = load_run_data(kind, task, files, unit=unit, windows=windows, split_by=split_by)
    meta = json.loads(Path(files["meta"]).read_text(encoding="utf-8"))
    letters = Letters(len(meta["kmer"]["letters"]), meta["kmer"]["k"]) if kind == "sequences" else None
    fitted = fit_baseline(method, data, seed, threads, hparams, letters, unit, search)
    with all_or_nothing(outputs["predictions"], outputs["estimator"], outputs["run"]):
        save_table(outputs["predictions"], prediction_table(data, data.partitions["test"], fitted.scores))
        save_estimators(outputs["estimator"], fitted.state)
        save_json(
            outputs["run"],
            {
                "method": method,
                "hparams": hparams,
                "chosen": fitted.chosen,
                "valid_loss": fitted.valid_loss,
                "settings_tried": fitted.tried,
                "seed": seed,
                "threads": threads,
                "input": data.spec.to_dict(),
                "task": data.task.to_dict(),
                "encoding": data.encoding,
                "partition_sizes": {name: len(p) for name, p in data.partitions.items()},
                "config": {**(run_config or {}), "unit": unit},
                "versions": package_versions(),
            },
        )
