"""The Optuna study of one search (a model on one dataset and split unit), shared by its jobs through
a storage that needs no server: a journal file by default, or an RDB URL for a cluster.

Trials are proposed in rounds (:func:`biodl.search.space.rounds`): the proposing job first records
the finished trials of the previous round, in trial order, then asks for the next round's. A round
is proposed from exactly the trials of the rounds before it, with a sampler seeded by the search's
seed and the round, so the same seed proposes the same trials however the jobs were scheduled;
the trials of a round train in parallel. A trial job only reports its validation loss per epoch
(for the pruner, which compares with finished trials only); the next proposing job records it."""

from __future__ import annotations

import json
import os
from pathlib import Path

PathLike = str | os.PathLike
DIRECTION = "minimize"  # the validation loss


def storage_of(settings: dict, journal: PathLike) -> object:
    """The study's storage: the search's RDB URL, or the journal file ``journal`` (file-locked, so
    every job of the search may write to it)."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    if settings.get("storage"):
        return settings["storage"]
    Path(journal).parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(journal), lock_obj=JournalFileOpenLock(str(journal))))


def sampler_of(settings: dict, round_index: int) -> object:
    """The round's sampler: TPE (the default) or random, seeded by the search's seed and the round."""
    import optuna

    seed = settings["seed"] * 1000 + round_index
    if settings["sampler"] == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=settings["startup_trials"])


def pruner_of(settings: dict) -> object:
    """Median pruning (a trial stops when its validation loss is worse than the median of the
    finished trials' at the same epoch), or none."""
    import optuna

    if settings["pruner"] == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=settings["startup_trials"], n_warmup_steps=2)


def open_study(settings: dict, journal: PathLike, name: str, round_index: int = 0) -> object:
    """The search's study (made on first use)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=storage_of(settings, journal),
        sampler=sampler_of(settings, round_index),
        pruner=pruner_of(settings),
        study_name=name,
        direction=DIRECTION,
        load_if_exists=True,
    )


def read_score(path: PathLike) -> dict:
    """A trial's score.json."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def record_scores(study: object, scores: list[PathLike]) -> None:
    """Tell the study how the trials of ``scores`` ended (in trial order; those already told are
    left as they are)."""
    from optuna.trial import TrialState

    finished = {trial.number for trial in study.get_trials(deepcopy=False) if trial.state.is_finished()}
    for score in sorted((read_score(path) for path in scores), key=lambda item: item["number"]):
        if score["number"] in finished:
            continue
        if score["state"] == "pruned":
            study.tell(score["number"], state=TrialState.PRUNED)
        else:
            study.tell(score["number"], score["value"])


def propose(study: object, numbers: list[int], space: dict) -> list[dict]:
    """The parameters of trials ``numbers``: asked of the sampler, or those a killed proposing job
    already asked for."""
    from biodl.ranges import distributions

    wanted = distributions(space)
    existing = {trial.number: trial for trial in study.get_trials(deepcopy=False)}
    proposed = []
    for number in numbers:
        trial = existing.get(number)
        if trial is None:
            asked = study.ask(fixed_distributions=wanted)
            if asked.number != number:
                raise RuntimeError(
                    f"study {study.study_name!r} holds {asked.number} trials where {number} were expected: "
                    "its storage belongs to another search; remove it to start again"
                )
            params = asked.params
        else:
            params = trial.params
        proposed.append({"number": number, "params": {key: params[key] for key in space}})
    return proposed


def trial_handle(study: object, number: int) -> object:
    """The running trial ``number`` of the study, to report to and ask whether to prune."""
    import optuna

    trial = next(item for item in study.get_trials(deepcopy=False) if item.number == number)
    return optuna.trial.Trial(study, trial._trial_id)  # Optuna's own idiom for a trial of another process
