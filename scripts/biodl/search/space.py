"""A model's search space as the config states it (``models.<name>.search.space``), checked before
any job starts, turned into Optuna distributions, and a trial's values put back into the model's
hyper-parameters and training settings.

A parameter is named by where it goes: ``hparams.<name>`` (the family's builder) or
``training.<name>`` (the training loop); its entry gives ``type`` (categorical, int, float,
loguniform), ``choices`` or ``low``/``high`` (and ``log``, ``step``)."""

from __future__ import annotations

import copy
import math

from biodl.ranges import range_problem, thaw

SECTIONS = ("hparams", "training")


def space_problem(model: dict) -> str | None:
    """The first entry of the model's search space that cannot be searched, as 'key: why', or None."""
    from biodl.families import known_hparams, training_keys

    family = model["family"]
    allowed = {"hparams": known_hparams(family), "training": training_keys(family)}
    for key, entry in model["search"]["space"].items():
        section, _, name = key.partition(".")
        if section not in SECTIONS or name not in allowed[section]:
            names = ", ".join(f"{part}.{item}" for part in SECTIONS for item in sorted(allowed[part]))
            return f"space.{key}: unknown parameter for family {family!r} (allowed: {names})"
        problem = range_problem(entry)
        if problem:
            return f"space.{key}: {problem}"
    return None


def apply_params(hparams: dict, training: dict, params: dict) -> tuple[dict, dict]:
    """The model's hyper-parameters and training settings with a trial's values in place."""
    sections = {"hparams": copy.deepcopy(hparams), "training": copy.deepcopy(training)}
    for key, value in params.items():
        section, _, name = key.partition(".")
        sections[section][name] = thaw(value)
    return sections["hparams"], sections["training"]


def rounds(trials: int, parallel: int) -> list[list[int]]:
    """Trial numbers per round: ``parallel`` trials are proposed together from every earlier round."""
    return [list(range(first, min(trials, first + parallel))) for first in range(0, trials, parallel)]


def round_count(trials: int, parallel: int) -> int:
    """How many rounds ``trials`` take, ``parallel`` at a time."""
    return math.ceil(trials / parallel)
