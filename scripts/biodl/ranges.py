"""Ranges of searched parameters, as a config states them (``type``: categorical, int, float,
loguniform; ``choices`` or ``low``/``high``, ``log``, ``step``): checked, and turned into Optuna
distributions. Shared by the search of models (:mod:`biodl.search`) and of baselines."""

from __future__ import annotations


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
