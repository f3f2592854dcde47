"""Every run of a dataset side by side: tidy metrics, mean ± sd per model, paired tests.

Files (tab-separated):

- ``metrics.tsv``: one row per (model, unit, seed, metric) with the value and
  its bootstrap interval over test items, from each run's ``metrics.json``;
- ``summary.tsv``: one row per (model, metric): runs, mean, sd and a 95 %
  interval. With one run the interval is that run's bootstrap interval over
  test items; with several runs (seeds and/or folds) it is the t interval of
  the mean over runs, which carries the variation between seeds and folds;
- ``paired.tsv``: every model and baseline against the best baseline (highest
  mean headline metric among the baselines that are not controls), on the
  same test items of the same units and seeds: the mean difference (the
  effect size, in the metric's units), its interval and the two-sided p-value
  of a paired bootstrap over test items resampled within each unit and seed
  (:func:`biodl.evaluate.paired_bootstrap_pooled`), with Benjamini–Hochberg
  q-values across the comparisons of the dataset.
"""

from __future__ import annotations

import json
import os
from pathlib import Path as FilePath

import numpy as np
import pandas as pd
from scipy import stats

from biodl.evaluate import PRIMARY, paired_bootstrap_pooled, read_predictions
from biodl.io.outputs import all_or_nothing, save_table

Path = str | os.PathLike
LEVEL = 0.95


def run_key(key: str) -> tuple[str, str, str, int]:
    """Split an input name 'kind|model|unit|seed' (as the compare rule names its inputs)."""
    kind, model, unit, seed = key.split("|")
    return kind, model, unit, int(seed)


def tidy_metrics(metrics: dict[tuple[str, str, int], Path], roles: dict[str, str]) -> pd.DataFrame:
    """One row per run and metric from the runs' metrics.json files."""
    rows = []
    for (model, unit, seed), path in sorted(metrics.items()):
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


def summarise(tidy: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and a 95 % interval per model and metric."""
    rows = []
    for (model, role, metric), group in tidy.groupby(["model", "role", "metric"], sort=True):
        values = group["value"].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        runs = len(finite)
        # from deviations to the first run: equal values give exactly that value and an sd of
        # exactly 0, not rounding noise (np.mean of three 0.7s is 0.6999999999999998)
        deviations = finite - finite[0] if runs else finite
        mean = float(finite[0] + deviations.mean()) if runs else np.nan
        sd = float(deviations.std(ddof=1)) if runs > 1 else np.nan
        if runs > 1:
            half = stats.t.ppf(0.5 + LEVEL / 2, runs - 1) * sd / np.sqrt(runs)
            low, high, method = mean - half, mean + half, "t over runs"
        else:
            low = float(group["ci_low"].iloc[0]) if runs else np.nan
            high = float(group["ci_high"].iloc[0]) if runs else np.nan
            method = "bootstrap over test items"
        rows.append(
            {
                "model": model,
                "role": role,
                "metric": metric,
                "runs": runs,
                "mean": mean,
                "sd": sd,
                "ci_low": low,
                "ci_high": high,
                "ci_method": method,
            }
        )
    return pd.DataFrame(rows)


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
    predictions: dict[tuple[str, str, int], Path],
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
        keys = sorted(k for k in tables if k[0] == model and (reference, *k[1:]) in tables)
        pairs = [(tables[k], tables[(reference, *k[1:])]) for k in keys]
        if not pairs:
            continue
        names = [(f"{model} {unit}-s{s}", f"{reference} {unit}-s{s}") for _, unit, s in keys]
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
    files: dict[str, Path],
    outputs: dict[str, Path],
    task: str,
    baselines: list[str],
    controls: list[str] = (),
    seed: int = 0,
    resamples: int = 2000,
) -> None:
    """Write metrics.tsv, summary.tsv and paired.tsv of one dataset from its runs' files.

    ``files`` maps 'metrics|model|unit|seed' and 'predictions|model|unit|seed'
    to paths; ``baselines`` names the baselines among the models and
    ``controls`` those baselines that are controls (shuffled labels), which
    are never the reference.
    """
    metrics, predictions = {}, {}
    for key, path in files.items():
        kind, model, unit, run_seed = run_key(key)
        (metrics if kind == "metrics" else predictions)[(model, unit, run_seed)] = path
    roles = {
        model: ("control" if model in controls else "baseline") if model in baselines else "model"
        for model, _, _ in metrics
    }
    tidy = tidy_metrics(metrics, roles)
    summary = summarise(tidy)
    paired = paired_comparisons(predictions, roles, best_baseline(summary, task), task, seed, resamples)
    with all_or_nothing(*outputs.values()):
        save_table(outputs["metrics"], tidy)
        save_table(outputs["summary"], summary)
        save_table(outputs["paired"], paired)
