"""Hyper-parameter search as the workflow calls it: propose a round of trials, train one trial on the
training partition and score it on validation (the test partition is never loaded), and sum the
search up into the settings the tuned model trains with."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from biodl.io.outputs import all_or_nothing, save_json, save_table

PathLike = str | os.PathLike
log = logging.getLogger("biodl.search")


def propose_run(
    *,
    settings: dict,
    journal: PathLike,
    study_name: str,
    round_index: int,
    scores: list[PathLike],
    output: PathLike,
) -> None:
    """Record the previous round's ``scores`` in the study, then write the parameters of this round's
    trials to ``output`` (round<r>.json)."""
    from biodl.search.space import rounds
    from biodl.search.study import open_study, propose, record_scores

    study = open_study(settings, journal, study_name, round_index)
    record_scores(study, scores)
    numbers = rounds(settings["trials"], settings["parallel"])[round_index]
    proposed = propose(study, numbers, settings["space"])
    for trial in proposed:
        log.info("trial %d: %s", trial["number"], trial["params"])
    with all_or_nothing(output):
        save_json(output, {"study": study_name, "round": round_index, "trials": proposed})


def without_test(data: object) -> object:
    """The training data of a trial: the training and validation partitions only."""
    from dataclasses import replace

    return replace(data, partitions={name: data.partitions[name] for name in ("train", "valid")})


def trial_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
    settings: dict,
    journal: PathLike,
    study_name: str,
    number: int,
    unit: str,
    threads: int,
    kind: str,
    task: str,
    family: str,
    hparams: dict,
    training: dict,
    windows: dict | None = None,
    split_by: str = "items",
    compute: dict | None = None,
    augment: dict | None = None,
) -> None:
    """Train trial ``number`` of the search (its parameters from ``files['round']``) on the
    training partition with the search's seed, early stopping and pruning on the validation loss;
    write score.json (its state, best validation loss, epochs) and history.tsv."""
    from biodl.families import model_hparams
    from biodl.search.space import apply_params
    from biodl.search.study import open_study, trial_handle
    from biodl.train.loop import train
    from biodl.train.runs import model_data

    proposed = json.loads(Path(files["round"]).read_text(encoding="utf-8"))
    params = next(trial["params"] for trial in proposed["trials"] if trial["number"] == number)
    trial_hparams, trial_training = apply_params(hparams, training, params)
    trial = trial_handle(open_study(settings, journal, study_name), number)
    pruned_at: list[int] = []

    def report(epoch: int, loss: float) -> bool:
        trial.report(loss, epoch)
        if trial.should_prune():
            pruned_at.append(epoch + 1)
            return True
        return False

    data = model_data(files, unit, kind, task, family, trial_training, windows=windows, split_by=split_by)
    data.augment = augment
    folder = Path(outputs["score"]).parent / "run"
    train(
        without_test(data),
        family,
        hparams=model_hparams(family, trial_hparams),
        training=trial_training,
        seed=settings["seed"],
        threads=threads,
        model_path=folder / "model.keras",
        history_path=outputs["history"],
        run_path=folder / "run.json",
        on_epoch=report,
        compute=compute,
    )
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    shutil.rmtree(folder)
    with all_or_nothing(outputs["score"]):
        save_json(
            outputs["score"],
            {
                "number": number,
                "params": params,
                "state": "pruned" if pruned_at else "complete",
                "value": run["best_val_loss"],
                "best_epoch": run["best_epoch"],
                "epochs_run": run["epochs_run"],
                "partition_sizes": run["partition_sizes"],
            },
        )


def best_run(
    *,
    settings: dict,
    journal: PathLike,
    study_name: str,
    scores: list[PathLike],
    hparams: dict,
    training: dict,
    outputs: dict[str, PathLike],
) -> None:
    """Record the last round, then write best.json (the best finished trial and the hyper-parameters
    and training settings it gives), trials.tsv, importance.tsv (fANOVA, Optuna's default) and
    trials.png (the validation loss against each parameter)."""
    from biodl.ranges import thaw
    from biodl.search.plots import plot_trials
    from biodl.search.space import apply_params
    from biodl.search.study import open_study, record_scores

    study = open_study(settings, journal, study_name)
    record_scores(study, scores)
    table = trials_table(study, settings)
    complete = table[table["state"] == "complete"]
    if complete.empty:
        raise RuntimeError(f"search {study_name}: every trial was pruned or failed")
    best = complete.sort_values(["value", "number"], kind="stable").iloc[0]
    chosen = study.get_trials(deepcopy=False)[int(best["number"])].params  # as Optuna stored them
    params = {key: thaw(chosen[key]) for key in settings["space"]}
    best_hparams, best_training = apply_params(hparams, training, params)
    with all_or_nothing(*outputs.values()):
        save_json(
            outputs["best"],
            {
                "study": study_name,
                "trial": int(best["number"]),
                "value": float(best["value"]),
                "params": params,
                "hparams": best_hparams,
                "training": best_training,
                "trials": {state: int(count) for state, count in table["state"].value_counts().items()},
            },
        )
        save_table(outputs["trials"], table)
        save_table(outputs["importance"], importance_table(study, settings))
        plot_trials(table, list(settings["space"]), outputs["figure"])


def trials_table(study: object, settings: dict) -> pd.DataFrame:
    """One row per trial: number, round, state, validation loss and each parameter's value."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        row = {
            "number": trial.number,
            "round": trial.number // settings["parallel"],
            "state": trial.state.name.lower(),
            "value": trial.value if trial.value is not None else np.nan,
            "epochs": len(trial.intermediate_values),
        }
        row.update({key: trial.params.get(key) for key in settings["space"]})
        rows.append(row)
    return pd.DataFrame(rows)


def importance_table(study: object, settings: dict) -> pd.DataFrame:
    """Each parameter's share of the validation loss's variance over the finished trials (Optuna's
    fANOVA evaluator, seeded); empty with fewer than two finished trials or a single parameter value."""
    import optuna

    columns = ["parameter", "importance"]
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=settings["seed"])
        values = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError) as error:
        log.info("no parameter importance: %s", error)
        return pd.DataFrame(columns=columns)
    return pd.DataFrame([{"parameter": key, "importance": float(value)} for key, value in values.items()])
