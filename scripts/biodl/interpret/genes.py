"""Which genes (features) a model of expression profiles or time courses uses, ranked, and how the
ranking agrees with the baselines' own: the logistic regression's coefficients and the random
forest's permutation importance on the same test items."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import hypergeom, spearmanr

from biodl.baselines.methods import item_loss
from biodl.interpret.attributions import LogitModel, integrated_gradients


def gene_importance(attributions: np.ndarray) -> np.ndarray:
    """Mean absolute attribution of every feature over the items (and time points of a series)."""
    values = np.abs(attributions)
    return values.reshape(len(values), -1, values.shape[-1]).mean(axis=(0, 1))


def attribution_importance(
    logits: LogitModel, inputs: np.ndarray, reference: np.ndarray, outputs: int, *, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Integrated gradients of every model output from ``reference`` (output × item × input) and each
    gene's importance: its mean absolute attribution, the largest over the outputs."""
    attributions = np.stack(
        [
            integrated_gradients(logits, inputs, output, baseline=reference, steps=steps)
            for output in range(outputs)
        ]
    )
    return attributions, np.max([gene_importance(values) for values in attributions], axis=0)


def coefficient_importance(estimator: object, n_genes: int) -> np.ndarray:
    """The size of a fitted linear model's coefficients per gene: the largest absolute coefficient
    over its outputs (and the models of a multilabel task) and over the gene's features, laid out in
    blocks of one value per gene (time point × gene of a flattened series, statistic × gene of series
    summaries)."""
    estimators = estimator if isinstance(estimator, list) else [estimator]
    coefficients = np.concatenate(
        [np.atleast_2d(np.asarray(model.coef_, dtype=np.float64)) for model in estimators]
    )
    return np.abs(coefficients).reshape(len(coefficients), -1, n_genes).max(axis=(0, 1))


def is_linear(estimator: object) -> bool:
    """Whether a fitted baseline (or every model of a multilabel one) has coefficients to rank genes by."""
    estimators = estimator if isinstance(estimator, list) else [estimator]
    return all(hasattr(model, "coef_") for model in estimators)


def permutation_importance_by_gene(
    predict: Callable[[np.ndarray], np.ndarray],
    inputs: np.ndarray,
    truth: np.ndarray,
    task: str,
    *,
    repeats: int = 5,
    seed: int = 0,
    values_per_batch: int = 20_000_000,
) -> np.ndarray:
    """The mean rise of a model's loss (:func:`biodl.baselines.methods.item_loss`) when one gene's
    values (a time course's whole series of the gene) are shuffled among the items, over ``repeats``
    shuffles, the same ones for every gene.

    scikit-learn's ``permutation_importance`` shuffles one column of a 2-D feature matrix; a gene of
    a time course spans a column per time point, and a baseline computes its own features from the
    inputs (:func:`biodl.baselines.predict.fitted_predictor`), so the shuffling is done here.
    """
    orders = [np.random.default_rng(seed + repeat).permutation(len(inputs)) for repeat in range(repeats)]
    reference = item_loss(task, truth, predict(inputs))
    n_genes = inputs.shape[-1]
    genes_per_batch = max(1, values_per_batch // (repeats * inputs.size))
    rises = np.zeros(n_genes)
    for first in range(0, n_genes, genes_per_batch):
        chosen = np.arange(first, min(first + genes_per_batch, n_genes))
        copies = np.repeat(inputs[None, None], len(chosen), axis=0).repeat(repeats, axis=1)
        for index, gene in enumerate(chosen):
            for repeat, order in enumerate(orders):
                copies[index, repeat, ..., gene] = inputs[order][..., gene]
        scores = predict(copies.reshape(-1, *inputs.shape[1:]))
        scores = scores.reshape(len(chosen), repeats, len(inputs), *scores.shape[1:])
        for index, gene in enumerate(chosen):
            losses = [item_loss(task, truth, scores[index, repeat]) for repeat in range(repeats)]
            rises[gene] = float(np.mean(losses)) - reference
    return rises


def top(importance: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` most important features, most important first (ties by index)."""
    return np.lexsort((np.arange(len(importance)), -importance))[:count]


def rank_agreement(rankings: dict[str, np.ndarray], genes: list[str], count: int) -> pd.DataFrame:
    """For every pair of rankings: the overlap of their top ``count`` genes, the chance of an overlap
    that large between two random lists of ``count`` (hypergeometric), and the Spearman correlation
    of their importances over every gene."""
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
                    "expected": count * count / len(genes),
                    "p_overlap": float(hypergeom.sf(len(shared) - 1, len(genes), count, count)),
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


def time_profile(
    attributions: np.ndarray, classes: np.ndarray, names: list[str], times: np.ndarray
) -> pd.DataFrame:
    """When a model of time-course classes looks: per class (output) and time point, the attribution
    of the class's logit over the items of that class (output × item × time × gene attributions,
    ``classes`` the index of each item's class), summed over the genes and averaged over the
    items; with its mean absolute value and that value's share of the class's total over time."""
    columns: dict[str, list] = {key: [] for key in ("output", "time", "items", "attribution", "absolute")}
    for index, name in enumerate(names):
        own = attributions[index][classes == index]
        empty = np.full(len(times), np.nan)
        columns["output"] += [name] * len(times)
        columns["time"] += list(times)
        columns["items"] += [len(own)] * len(times)
        columns["attribution"] += list(own.sum(axis=-1).mean(axis=0) if len(own) else empty)
        columns["absolute"] += list(np.abs(own).sum(axis=-1).mean(axis=0) if len(own) else empty)
    table = pd.DataFrame(columns)
    totals = table.groupby("output", sort=False)["absolute"].transform("sum")
    table["share"] = (table["absolute"] / totals).where(totals > 0)
    return table
