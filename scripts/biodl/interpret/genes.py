"""Which genes (features) a model of expression profiles or time courses uses, ranked, and how the
ranking agrees with the baselines' own: the logistic regression's coefficients and the random
forest's permutation importance on the same test items."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr


def gene_importance(attributions: np.ndarray) -> np.ndarray:
    """Mean absolute attribution of every feature over the items (and time points of a series)."""
    values = np.abs(attributions)
    return values.reshape(len(values), -1, values.shape[-1]).mean(axis=(0, 1))


def coefficient_importance(estimator: object, output: int | None = None) -> np.ndarray:
    """The size of a fitted linear model's coefficient of every feature: for one output (a class's
    row of a multiclass model) or the largest over outputs."""
    coefficients = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
    if output is not None and len(coefficients) > 1:
        return np.abs(coefficients[output])
    return np.abs(coefficients).max(axis=0)


def permutation_importance_of(
    estimator: object, inputs: np.ndarray, targets: np.ndarray, *, repeats: int = 5, seed: int = 0
) -> np.ndarray:
    """scikit-learn's permutation importance of every feature (mean drop in the estimator's score
    when the feature's values are shuffled among the items)."""
    from sklearn.inspection import permutation_importance

    result = permutation_importance(estimator, inputs, targets, n_repeats=repeats, random_state=seed)
    return np.asarray(result.importances_mean, dtype=np.float64)


def top(importance: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` most important features, most important first (ties by index)."""
    return np.lexsort((np.arange(len(importance)), -importance))[:count]


def rank_agreement(rankings: dict[str, np.ndarray], genes: list[str], count: int) -> pd.DataFrame:
    """For every pair of rankings: the overlap of their top ``count`` genes and the Spearman
    correlation of their importances over every gene."""
    rows = []
    names = list(rankings)
    for first_index, first in enumerate(names):
        for second in names[first_index + 1 :]:
            shared = set(top(rankings[first], count)) & set(top(rankings[second], count))
            correlation = spearmanr(rankings[first], rankings[second]).statistic
            rows.append(
                {
                    "first": first,
                    "second": second,
                    "top": count,
                    "overlap": len(shared),
                    "spearman": float(correlation),
                    "shared_genes": ",".join(sorted(genes[index] for index in shared)),
                }
            )
    return pd.DataFrame(rows)


def ranking_table(rankings: dict[str, np.ndarray], genes: list[str]) -> pd.DataFrame:
    """Every gene with its importance and rank (1 = most important) by each method, ordered by the
    first method's rank."""
    table = pd.DataFrame({"gene": genes})
    for name, importance in rankings.items():
        table[f"importance:{name}"] = importance
        rank = np.empty(len(importance), dtype=np.int64)
        rank[top(importance, len(importance))] = np.arange(1, len(importance) + 1)
        table[f"rank:{name}"] = rank
    first = next(iter(rankings))
    return table.sort_values(f"rank:{first}", kind="stable").reset_index(drop=True)
