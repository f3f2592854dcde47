"""A model's search space as the config states it (``models.<name>.search.space``), checked before
any job starts, turned into Optuna distributions, and a trial's values put back into the model's
hyper-parameters and training settings.

A parameter is named by where it goes: ``hparams.<name>`` (the family's builder) or
``training.<name>`` (the training loop); its entry gives ``type`` (categorical, int, float,
loguniform), ``choices`` or ``low``/``high`` (and ``log``, ``step``)."""

from __future__ import annotations

import copy
import math

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


def range_problem(entry: dict) -> str | None:
    """Why a numeric range cannot be searched (empty, or a log scale that reaches zero), or None."""
    kind = entry["type"]
    if kind == "categorical":
        return None if entry.get("choices") else "a categorical parameter needs choices"
    if "low" not in entry or "high" not in entry:
        return f"a {kind} parameter needs low and high"
    low, high = entry["low"], entry["high"]
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        return f"an int parameter needs whole bounds, not {low} and {high}"
    if not low < high:
        return f"empty range: low {low} is not below high {high}"
    if (kind == "loguniform" or entry.get("log")) and low <= 0:
        return f"a log scale needs low > 0, not {low}"
    if entry.get("log") and entry.get("step") not in (None, 1):
        return "a log scale takes no step"
    return None


def distributions(space: dict) -> dict:
    """Optuna distributions of a checked search space, keyed by parameter name."""
    import optuna.distributions as dist

    made = {}
    for key, entry in space.items():
        kind = entry["type"]
        if kind == "categorical":
            made[key] = dist.CategoricalDistribution([freeze(choice) for choice in entry["choices"]])
        elif kind == "int":
            made[key] = dist.IntDistribution(
                int(entry["low"]),
                int(entry["high"]),
                log=bool(entry.get("log")),
                step=int(entry.get("step") or 1),
            )
        else:
            log = kind == "loguniform" or bool(entry.get("log"))
            made[key] = dist.FloatDistribution(
                float(entry["low"]), float(entry["high"]), log=log, step=None if log else entry.get("step")
            )
    return made


def freeze(value: object) -> object:
    """A categorical choice as Optuna stores it: lists (units per layer) become tuples."""
    return tuple(freeze(item) for item in value) if isinstance(value, list) else value


def thaw(value: object) -> object:
    """A stored choice back as the config would write it (tuples as lists, whole floats kept)."""
    return [thaw(item) for item in value] if isinstance(value, tuple | list) else value


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
