"""Every run of a dataset side by side: tidy metrics, mean ± sd per model, paired tests.

Files (tab-separated):

- ``metrics.tsv``: one row per (model, unit, seed, metric) with the value and
  its bootstrap interval over test items, from each run's ``metrics.json``;
- ``summary.tsv``: one row per (model, metric): runs, mean, sd and a 95 %
  interval (clipped to the metric's range) and the interval's method: with
  one run that run's bootstrap interval over test items; with several seeds
  of one split unit the t interval over seeds; with several folds the
  corrected resampled t interval over folds (see :func:`interval_over_runs`);
- ``paired.tsv``: every model and baseline against the best baseline (highest
  mean headline metric among the baselines that are not controls), on the
  same test items of the same units and seeds: the mean difference (the
  effect size, in the metric's units), its interval and the two-sided p-value
  of a paired bootstrap over test items resampled within each unit and seed
  (:func:`biodl.evaluate.metrics.paired_bootstrap_pooled`), with Benjamini–Hochberg
  q-values across the comparisons of the dataset.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path as FilePath

import numpy as np
import pandas as pd
from scipy import stats

from biodl.data.split import partitions_of, read_split
from biodl.evaluate.metrics import metric_range, paired_bootstrap_pooled, read_predictions
from biodl.io.outputs import all_or_nothing, save_table
from biodl.runkey import RunKey, run_inputs
from biodl.vocabulary import PRIMARY

Path = str | os.PathLike
LEVEL = 0.95


def model_roles(runs: Iterable[RunKey], baselines: list[str], controls: list[str]) -> dict[str, str]:
    """The role of each model of ``runs`` in the comparison: 'model', 'baseline' or 'control'."""
    return {
        run.model: ("control" if run.model in controls else "baseline") if run.model in baselines else "model"
        for run in runs
    }


def tidy_metrics(metrics: dict[RunKey, Path], roles: dict[str, str]) -> pd.DataFrame:
    """One row per run and metric from the runs' metrics.json files."""
    rows = []
    for run, path in sorted(metrics.items()):
        model, unit, seed = run.model, run.unit, run.seed
        result = json.loads(FilePath(path).read_text(encoding="utf-8"))
        for metric, values in result["metrics"].items():
            rows.append(
                {
                    "model": model,
                    "role": roles[model],
                    "unit": unit,
                    "seed": seed,
                    "metric": metric,
                    "value": _number(values["value"]),
                    "ci_low": _number(values["ci_low"]),
                    "ci_high": _number(values["ci_high"]),
                }
            )
    return pd.DataFrame(rows)


def _number(value: float | None) -> float:
    return np.nan if value is None else float(value)


def summarise(tidy: pd.DataFrame, fold_test_train_ratios: dict[str, float] | None = None) -> pd.DataFrame:
    """Mean, sd and a 95 % interval per model and metric (see :func:`interval_over_runs`)."""
    rows = []
    for (model, role, metric), group in tidy.groupby(["model", "role", "metric"], sort=True):
        finite = group[np.isfinite(group["value"].to_numpy(dtype=float))]
        values = finite["value"].to_numpy(dtype=float)
        runs = len(values)
        mean, sd = exact_mean(values), float(np.std(values - values[0], ddof=1)) if runs > 1 else np.nan
        low, high, method = interval_over_runs(finite, fold_test_train_ratios or {})
        floor, ceiling = metric_range(metric)
        rows.append(
            {
                "model": model,
                "role": role,
                "metric": metric,
                "runs": runs,
                "mean": mean,
                "sd": sd,
                "ci_low": float(np.clip(low, floor, ceiling)),
                "ci_high": float(np.clip(high, floor, ceiling)),
                "ci_method": method,
            }
        )
    return pd.DataFrame(rows)


def exact_mean(values: np.ndarray) -> float:
    """Mean from deviations to the first value: equal values give exactly that value.

    (np.mean of three 0.7s is 0.6999999999999998.)
    """
    return float(values[0] + (values - values[0]).mean()) if len(values) else np.nan


def interval_over_runs(
    runs: pd.DataFrame, fold_test_train_ratios: dict[str, float]
) -> tuple[float, float, str]:
    """A 95 % interval of the mean metric over ``runs`` (rows of one model and metric), and its method.

    - one run: that run's bootstrap interval over test items;
    - several seeds of one split unit: the t interval over seeds (they share their test items,
      so it carries the training's randomness, not the sampling of test items);
    - several folds (any repeats): seeds averaged within each fold, then the corrected
      resampled t interval over the J folds (Nadeau & Bengio 2003; Bouckaert & Frank 2004):
      the variance of the mean is (1/J + n_test/n_train) · s², because folds share most of
      their training items and a plain t interval would be too narrow.
    """
    if len(runs) == 0:
        return np.nan, np.nan, "no finite value"
    if len(runs) == 1:
        row = runs.iloc[0]
        return float(row["ci_low"]), float(row["ci_high"]), "bootstrap over test items"
    per_unit = runs.groupby("unit")["value"].agg(lambda values: exact_mean(values.to_numpy(dtype=float)))
    if len(per_unit) == 1:
        values = runs["value"].to_numpy(dtype=float)
        return (*t_interval(values, 1 / len(values)), f"t over {len(values)} seeds of one split unit")
    units = per_unit.to_numpy(dtype=float)
    ratio = float(np.mean([fold_test_train_ratios[unit] for unit in per_unit.index]))
    low, high = t_interval(units, 1 / len(units) + ratio)
    return low, high, f"corrected resampled t over {len(units)} folds (Nadeau & Bengio 2003)"


def t_interval(values: np.ndarray, variance_factor: float) -> tuple[float, float]:
    """mean ± t(0.975, n - 1) · sqrt(variance_factor · s²) of ``values``."""
    centre = exact_mean(values)
    spread = float(np.std(values - values[0], ddof=1))
    half = stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * np.sqrt(variance_factor) * spread
    return centre - half, centre + half


def fold_test_train_ratios(split_path: Path, units: set[str]) -> dict[str, float]:
    """n_test / n_train of every fold unit of a split file (the correction of :func:`interval_over_runs`)."""
    split = read_split(split_path)
    ratios = {}
    for unit in sorted(units - {"holdout"}):
        sizes = partitions_of(split, unit)["partition"].value_counts()
        ratios[unit] = float(sizes.get("test", 0) / sizes["train"])
    return ratios


def best_baseline(summary: pd.DataFrame, task: str) -> str | None:
    """The baseline (not a control) with the best mean headline metric."""
    metric, higher = PRIMARY[task]
    candidates = summary[(summary["role"] == "baseline") & (summary["metric"] == metric)]
    candidates = candidates[np.isfinite(candidates["mean"])]
    if candidates.empty:
        return None
    ordered = candidates.sort_values(["mean", "model"], ascending=[not higher, True])
    return str(ordered["model"].iloc[0])


def paired_comparisons(
    predictions: dict[RunKey, Path],
    roles: dict[str, str],
    reference: str | None,
    task: str,
    seed: int,
    resamples: int,
) -> pd.DataFrame:
    """Every other model against ``reference`` on the headline metric, paired over test items."""
    metric, higher = PRIMARY[task]
    columns = ["model", "role", "reference", "metric", "higher_is_better", "pairs", "model_mean"]
    columns += ["reference_mean", "difference", "ci_low", "ci_high", "p_value", "q_value"]
    if reference is None:
        return pd.DataFrame(columns=columns)
    tables = {key: read_predictions(path, task) for key, path in predictions.items()}
    rows = []
    for model in sorted(roles):
        if model == reference:
            continue
        keys = sorted(k for k in tables if k.model == model and k.with_model(reference) in tables)
        pairs = [(tables[k], tables[k.with_model(reference)]) for k in keys]
        if not pairs:
            continue
        names = [(k.label, k.with_model(reference).label) for k in keys]
        result = paired_bootstrap_pooled(pairs, task, metric, seed, resamples, names=names)
        rows.append(
            {
                "model": model,
                "role": roles[model],
                "reference": reference,
                "metric": metric,
                "higher_is_better": higher,
                "pairs": len(pairs),
                "model_mean": result["a"],
                "reference_mean": result["b"],
                "difference": result["difference"],
                "ci_low": result["ci_low"],
                "ci_high": result["ci_high"],
                "p_value": result["p_value"],
            }
        )
    table = pd.DataFrame(rows, columns=columns[:-1])
    table["q_value"] = np.nan
    tested = np.isfinite(table["p_value"].to_numpy(dtype=float))
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(table.loc[tested, "p_value"])
    return table


def compare_dataset(
    *,
    files: dict[str, Path],
    outputs: dict[str, Path],
    task: str,
    baselines: list[str],
    controls: list[str] = (),
    seed: int = 0,
    resamples: int = 2000,
    tuned: dict[str, str] | None = None,
) -> None:
    """Write metrics.tsv, summary.tsv, paired.tsv and tuned.tsv of one dataset from its runs' files.

    ``tuned`` maps each tuned model to the hand-set model its search started from; tuned.tsv holds
    the paired test of each against it (same test items, same seeds), q-values over those rows.

    ``files`` maps 'metrics|<run>' and 'predictions|<run>' (:class:`biodl.runkey.RunKey`)
    to paths and 'split' to the dataset's split.tsv; ``baselines`` names the baselines among the models and
    ``controls`` those baselines that are controls (shuffled labels), which
    are never the reference.
    """
    files = dict(files)
    split_path = files.pop("split")
    metrics, predictions = run_inputs(files, "metrics"), run_inputs(files, "predictions")
    roles = model_roles(metrics, baselines, controls)
    tidy = tidy_metrics(metrics, roles)
    summary = summarise(tidy, fold_test_train_ratios(split_path, set(tidy["unit"])))
    paired = paired_comparisons(predictions, roles, best_baseline(summary, task), task, seed, resamples)
    against_hand_set = tuned_comparisons(predictions, roles, tuned or {}, task, seed, resamples)
    with all_or_nothing(*outputs.values()):
        save_table(outputs["metrics"], tidy)
        save_table(outputs["summary"], summary)
        save_table(outputs["paired"], paired)
        save_table(outputs["tuned"], against_hand_set)


def tuned_comparisons(
    predictions: dict[RunKey, Path],
    roles: dict[str, str],
    tuned: dict[str, str],
    task: str,
    seed: int,
    resamples: int,
) -> pd.DataFrame:
    """Each tuned model against its hand-set model, paired over test items (``paired.tsv``'s columns)."""
    tables = [
        paired_comparisons(
            predictions, {name: roles[name], origin: roles[origin]}, origin, task, seed, resamples
        )
        for name, origin in sorted(tuned.items())
        if name in roles and origin in roles
    ]
    table = pd.concat(tables, ignore_index=True) if tables else paired_comparisons({}, {}, None, task, 0, 0)
    tested = np.isfinite(table["p_value"].to_numpy(dtype=float))
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(table.loc[tested, "p_value"])
    return table
