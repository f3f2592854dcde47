"""One evaluation for every prediction file: metrics, bootstrap intervals and paired comparisons.

Metrics are computed from the prediction formats of :mod:`biodl.train.predict`
(test partition only). Each metric is a point estimate with a percentile
bootstrap interval; the resampling unit is the item ``id``, so the rows of
one protein (per-position) or one window (forecasting) are always drawn
together (a cluster bootstrap). A metric that is undefined on its input
(an AUC with one class in the truth, a correlation of a constant) is NaN,
written as ``null``.

The metrics are computed with NumPy and SciPy on arrays prepared once per
table. A resample is a weight per row (how often its item was drawn), which
gives the same values as the table with the drawn rows repeated; rank
statistics (AUC, average precision, Spearman) use tie groups found once, so
a thousand resamples need no sorting and take seconds. The values agree with
their scikit-learn and SciPy counterparts (``tests/test_evaluate.py``). Where
scikit-learn has a convention for a degenerate case it is kept: the MCC of
a constant prediction is 0, an F1 score with no true and no predicted
positives is NaN and left out of macro averages (``zero_division=nan``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from biodl.errors import InputError, where
from biodl.io.outputs import all_or_nothing, save_json
from biodl.io.tables import line_of
from biodl.progress import duration_text
from biodl.vocabulary import CLASS_TASKS, PRIMARY, SUPERVISED_TASKS

log = logging.getLogger(__name__)

Path = str | os.PathLike
CLASSIFICATION = CLASS_TASKS
TASKS = SUPERVISED_TASKS
ITEM_KEYS = {
    **{task: ("id",) for task in (*CLASSIFICATION, "multilabel", "regression")},
    "per_position": ("id", "position"),
    "forecasting": ("id", "step", "gene"),
}
# the range each metric can take (by the name before any ':'); everything else lies in [0, 1]
METRIC_RANGES: dict[str, tuple[float, float]] = {
    **dict.fromkeys(("mcc", "pearson", "spearman"), (-1.0, 1.0)),
    "r2": (-np.inf, 1.0),
    **dict.fromkeys(("rmse", "mae", "mse", "log_loss"), (0.0, np.inf)),
    "brier": (0.0, 2.0),
}
MULTILABEL_THRESHOLD = 0.5
PROBABILITY_TOLERANCE = 1e-4
CALIBRATION_BINS = 10


def metric_range(metric: str) -> tuple[float, float]:
    """Lowest and highest value ``metric`` can take ('mse:step1' has the range of 'mse')."""
    return METRIC_RANGES.get(metric.split(":")[0], (0.0, 1.0))


# ---------------------------------------------------------------------------
# Reading and checking prediction tables


def read_predictions(path: Path, task: str) -> pd.DataFrame:
    """Read a prediction TSV of ``task`` with labels kept as text (a class named "NA" stays "NA")."""
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: file is empty") from None
    typed = _typed(table, task, str(path))
    _columns(typed, task, str(path))
    return typed


def _labelled(columns: Sequence[str], prefix: str) -> list[str]:
    """Names after ``prefix`` of the columns that start with it, in column order."""
    return [str(column)[len(prefix) :] for column in columns if str(column).startswith(prefix)]


def _check_columns(table: pd.DataFrame, task: str, source: str) -> None:
    """Every column the format of ``task`` needs is present."""
    columns = [str(column) for column in table.columns]
    found = f"(found: {', '.join(columns)})"
    required = {
        "per_position": ["id", "position", "truth"],
        "forecasting": ["id", "series", "step", "gene", "truth", "pred"],
    }.get(task, ["id", "truth"] if task in CLASSIFICATION else ["id"])
    if task in ("multilabel", "regression"):
        prefix = "score:" if task == "multilabel" else "pred:"
        names = sorted(set(_labelled(columns, "truth:")) | set(_labelled(columns, prefix)))
        if not names:
            raise InputError(
                f"{source}: task {task!r} needs 'truth:<name>' and '{prefix}<name>' columns {found}"
            )
        required += [f"{kind}{name}" for name in names for kind in ("truth:", prefix)]
    missing = [column for column in required if column not in columns]
    if missing:
        raise InputError(f"{source}: missing column {missing[0]!r} for task {task!r} {found}")
    if task in (*CLASSIFICATION, "per_position"):
        count = len(_labelled(columns, "score:"))
        if (task == "binary" and count != 2) or count < 2:
            needed = "exactly two" if task == "binary" else "at least two"
            raise InputError(f"{source}: task {task!r} needs {needed} 'score:<class>' columns {found}")


def _numbers(values: pd.Series, column: str, source: str, integers: bool = False) -> np.ndarray:
    """A column as finite floats (or integers), naming the line of the first bad value."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if integers:
        bad |= np.isfinite(numbers) & (numbers != np.round(numbers))
    if bad.any():
        row = int(np.argmax(bad))
        kind = "an integer" if integers else "a finite number"
        raise InputError(f"{where(source, line=line_of(row))}: {column} {values.iloc[row]!r} is not {kind}")
    return numbers.astype(int) if integers else numbers


def _typed(table: pd.DataFrame, task: str, source: str) -> pd.DataFrame:
    """The table with text and number columns converted, after checking columns and unique rows."""
    if task not in TASKS:
        raise ValueError(f"no evaluation for task {task!r}")
    _check_columns(table, task, source)
    if table.empty:
        raise InputError(f"{source}: no predictions (a header line but no records)")
    typed = table.reset_index(drop=True).copy()
    typed.columns = [str(column) for column in typed.columns]
    text = {"id", "series", "gene"} | ({"truth"} if task in (*CLASSIFICATION, "per_position") else set())
    for column in typed.columns:
        if column in text:
            typed[column] = typed[column].astype(str)
        elif column in ("position", "step"):
            typed[column] = _numbers(typed[column], column, source, integers=True)
        elif column.startswith(("score:", "truth:", "pred:")) or column in ("truth", "pred"):
            typed[column] = _numbers(typed[column], column, source)
    repeated = typed.duplicated(list(ITEM_KEYS[task]))
    if repeated.any():
        row = int(np.argmax(repeated.to_numpy()))
        keys = list(ITEM_KEYS[task])
        item = ", ".join(f"{key} {value!r}" for key, value in zip(keys, typed.loc[row, keys].tolist()))
        raise InputError(f"{where(source, line=line_of(row))}: second row for {item}")
    return typed


# ---------------------------------------------------------------------------
# Prediction tables as arrays


@dataclass(frozen=True)
class _Ties:
    """The values of each matrix column as groups of equal values, in ascending order.

    Rank statistics of a weighted resample then need only the total weight of
    each group, no sorting per resample. Groups are numbered through all
    columns: column ``c`` owns groups ``starts[c]`` up to ``starts[c + 1]``.
    """

    codes: np.ndarray
    column: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> _Ties:
        """Tie groups of each column of a rows × columns matrix."""
        # NumPy's sorted unique values give the dense ranks (scipy.stats.rankdata's "dense"
        # method, minus one); importing scipy.stats would double the start-up of an evaluation job
        dense = np.column_stack([np.unique(column, return_inverse=True)[1] for column in values.T])
        groups = dense.max(axis=0) + 1
        starts = np.cumsum(groups) - groups
        return cls(codes=dense + starts, column=np.repeat(np.arange(len(groups)), groups), starts=starts)

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """Total of a rows × columns weight matrix within each group."""
        weights = np.broadcast_to(weights, self.codes.shape)
        return np.bincount(self.codes.ravel(), weights=weights.ravel(), minlength=len(self.column))

    def below(self, totals: np.ndarray) -> np.ndarray:
        """For each group, the total of the lower groups of its column.

        Totals are whole numbers (counts of drawn rows), so the running sums are exact.
        """
        before = np.cumsum(totals) - totals
        return before - before[self.starts][self.column]

    def per_column(self, totals: np.ndarray) -> np.ndarray:
        """Group totals summed within each column."""
        return np.add.reduceat(totals, self.starts)

    def mean_ranks(self, weights: np.ndarray) -> np.ndarray:
        """Average (1-based) rank of each row in the table that repeats row ``i`` ``weights[i]`` times."""
        totals = self.totals(weights[:, None])
        return (self.below(totals) + (totals + 1) / 2)[self.codes]


@dataclass(frozen=True)
class _Columns:
    """A prediction table as arrays with one entry per table row (all that the metrics read)."""

    truth: np.ndarray
    scores: np.ndarray | None = None
    predicted: np.ndarray | None = None
    step: np.ndarray | None = None
    gene: np.ndarray | None = None
    names: tuple[str, ...] = ()
    steps: tuple[int, ...] = ()
    genes: tuple[str, ...] = ()

    @cached_property
    def one_hot(self) -> np.ndarray:
        """Class truth as a boolean rows × classes matrix."""
        return self.truth[:, None] == np.arange(len(self.names))

    @cached_property
    def confusion_cells(self) -> np.ndarray:
        """Cell of each row in the flattened classes × classes confusion matrix."""
        return self.truth * len(self.names) + self.predicted

    @cached_property
    def score_ties(self) -> _Ties:
        """Tie groups of each score (or prediction) column."""
        return _Ties.of(self.scores)

    @cached_property
    def pooled_score_ties(self) -> _Ties:
        """Tie groups of all scores pooled into one column (micro averages)."""
        return _Ties.of(self.scores.reshape(-1, 1))

    @cached_property
    def truth_ties(self) -> _Ties:
        """Tie groups of each truth column (regression)."""
        return _Ties.of(self.truth)


def _class_codes(truth: pd.Series, classes: list[str], source: str) -> np.ndarray:
    """Index of each truth label among ``classes``; a label without a score column is an error."""
    codes = pd.Index(classes).get_indexer(truth)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise InputError(
            f"{where(source, line=line_of(row))}: truth {truth.iloc[row]!r} has no 'score:' column "
            f"(classes: {', '.join(classes)})"
        )
    return codes


def _check_probabilities(scores: np.ndarray, source: str) -> None:
    """Class scores are probabilities that sum to one on every row."""
    bad = (np.abs(scores.sum(axis=1) - 1) > PROBABILITY_TOLERANCE) | (scores < 0).any(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(
            f"{where(source, line=line_of(row))}: class scores are not probabilities summing to one "
            f"(sum {scores[row].sum():.6g})"
        )


def _columns(table: pd.DataFrame, task: str, source: str = "prediction table") -> _Columns:
    """Check ``table`` against the format of ``task`` and convert it to arrays."""
    typed = _typed(table, task, source)
    if task in (*CLASSIFICATION, "per_position"):
        classes = _labelled(typed.columns, "score:")
        scores = typed[[f"score:{name}" for name in classes]].to_numpy(dtype=float)
        _check_probabilities(scores, source)
        truth = _class_codes(typed["truth"], classes, source)
        kept = None if task == "per_position" else scores
        return _Columns(truth=truth, scores=kept, predicted=scores.argmax(axis=1), names=tuple(classes))
    if task == "multilabel":
        labels = _labelled(typed.columns, "score:")
        truth = typed[[f"truth:{name}" for name in labels]].to_numpy(dtype=float)
        if not np.isin(truth, (0, 1)).all():
            row = int(np.argmax(~np.isin(truth, (0, 1)).all(axis=1)))
            raise InputError(f"{where(source, line=line_of(row))}: multilabel truth values must be 0 or 1")
        scores = typed[[f"score:{name}" for name in labels]].to_numpy(dtype=float)
        return _Columns(
            truth=truth.astype(bool),
            scores=scores,
            predicted=scores >= MULTILABEL_THRESHOLD,
            names=tuple(labels),
        )
    if task == "regression":
        targets = _labelled(typed.columns, "pred:")
        return _Columns(
            truth=typed[[f"truth:{name}" for name in targets]].to_numpy(dtype=float),
            scores=typed[[f"pred:{name}" for name in targets]].to_numpy(dtype=float),
            names=tuple(targets),
        )
    step_codes, steps = pd.factorize(typed["step"], sort=True)
    gene_codes, genes = pd.factorize(typed["gene"], sort=True)
    return _Columns(
        truth=typed["truth"].to_numpy(dtype=float),
        scores=typed["pred"].to_numpy(dtype=float),
        step=step_codes,
        gene=gene_codes,
        steps=tuple(int(step) for step in steps),
        genes=tuple(str(gene) for gene in genes),
    )


# ---------------------------------------------------------------------------
# Metric helpers on arrays with row weights (ones for the point estimate)


def _mean_defined(values: np.ndarray) -> float:
    """Mean of the non-NaN values; NaN when there are none."""
    defined = np.asarray(values, dtype=float)
    defined = defined[~np.isnan(defined)]
    return float(defined.mean()) if defined.size else float("nan")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio, NaN where the denominator is zero."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    shape = np.broadcast(numerator, denominator).shape
    return np.divide(numerator, denominator, out=np.full(shape, np.nan), where=denominator != 0)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over rows (of each column) with row weights."""
    return np.dot(weights, values) / weights.sum()


def _confusion(columns: _Columns, weights: np.ndarray) -> np.ndarray:
    """Weighted confusion matrix (rows: truth, columns: prediction) over all classes."""
    k = len(columns.names)
    return np.bincount(columns.confusion_cells, weights=weights, minlength=k * k).reshape(k, k)


def _roc_auc_columns(truth: np.ndarray, ties: _Ties, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of each column as the Mann–Whitney statistic (ties count one half); NaN with one class."""
    positives = ties.totals(weights[:, None] * truth)
    negatives = ties.totals(weights[:, None] * ~truth)
    wins = ties.per_column(positives * (ties.below(negatives) + negatives / 2))
    return _ratio(wins, ties.per_column(positives) * ties.per_column(negatives))


def _average_precision_columns(truth: np.ndarray, ties: _Ties, weights: np.ndarray) -> np.ndarray:
    """Average precision of each column (scikit-learn's step-wise sum); NaN without positives.

    Each positive contributes the precision among the items scored at least as
    high as it (tied scores share one threshold).
    """
    positives = ties.totals(weights[:, None] * truth)
    items = ties.totals(weights[:, None])
    positives_total, items_total = ties.per_column(positives), ties.per_column(items)
    positives_at_or_above = positives_total[ties.column] - ties.below(positives)
    at_or_above = items_total[ties.column] - ties.below(items)
    precision = np.divide(
        positives_at_or_above, at_or_above, out=np.zeros_like(at_or_above), where=at_or_above > 0
    )
    return _ratio(ties.per_column(positives * precision), positives_total)


def _f1_parts(
    true_positives: np.ndarray, false_positives: np.ndarray, false_negatives: np.ndarray
) -> np.ndarray:
    """F1 = 2TP / (2TP + FP + FN); NaN where a class is neither true nor predicted."""
    return _ratio(2 * true_positives, 2 * true_positives + false_positives + false_negatives)


def _pearson_columns(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Pearson correlation of matching columns; NaN for a constant column."""
    x = x - _weighted_mean(x, weights)
    y = y - _weighted_mean(y, weights)
    spread = np.sqrt(np.dot(weights, x * x) * np.dot(weights, y * y))
    return np.clip(_ratio(np.dot(weights, x * y), spread), -1, 1)


def _by_name(metric: str, values: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """``metric:<name>`` for each value."""
    return {f"{metric}:{name}": float(value) for name, value in zip(names, values)}


def _per_target(metric: str, values: np.ndarray, targets: Sequence[str]) -> dict[str, float]:
    """One target: the plain name; several: ``metric:<target>`` and their mean as the plain name."""
    if len(targets) == 1:
        return {metric: float(values[0])}
    return {**_by_name(metric, values, targets), metric: _mean_defined(values)}


# ---------------------------------------------------------------------------
# Metrics; each calculator returns a few related metrics of a weighted table


Calculator = Callable[[_Columns, np.ndarray], dict[str, float]]


def _accuracy(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Fraction of items (residues for per-position) whose argmax class is the true class."""
    confusion = _confusion(columns, weights)
    return {"accuracy": float(np.trace(confusion) / confusion.sum())}


def _accuracy_as_q(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Per-residue accuracy, also under its secondary-structure name q<k> (q3, q8)."""
    value = _accuracy(columns, weights)["accuracy"]
    return {"accuracy": value, f"q{len(columns.names)}": value}


def _balanced_accuracy(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Mean recall over the classes present in the truth."""
    confusion = _confusion(columns, weights)
    return {"balanced_accuracy": _mean_defined(_ratio(np.diag(confusion), confusion.sum(axis=1)))}


def _recall(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Recall of each class; NaN for a class absent from the truth."""
    confusion = _confusion(columns, weights)
    return _by_name("recall", _ratio(np.diag(confusion), confusion.sum(axis=1)), columns.names)


def _mcc(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Matthews correlation (multiclass form of Gorodkin); 0 when either side is constant, as scikit-learn."""
    confusion = _confusion(columns, weights)
    true_sums, predicted_sums = confusion.sum(axis=1), confusion.sum(axis=0)
    total, correct = confusion.sum(), np.trace(confusion)
    covariance = correct * total - true_sums @ predicted_sums
    spread = (total**2 - predicted_sums @ predicted_sums) * (total**2 - true_sums @ true_sums)
    return {"mcc": float(covariance / np.sqrt(spread)) if spread > 0 else 0.0}


def _f1_classes(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """F1 of each class and their macro mean."""
    confusion = _confusion(columns, weights)
    true_positives = np.diag(confusion)
    per_class = _f1_parts(
        true_positives, confusion.sum(axis=0) - true_positives, confusion.sum(axis=1) - true_positives
    )
    return {**_by_name("f1", per_class, columns.names), "f1_macro": _mean_defined(per_class)}


def _f1_macro(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Macro F1 over classes."""
    return {"f1_macro": _f1_classes(columns, weights)["f1_macro"]}


def _roc_auc(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Binary: AUC of the positive (last) class; else one-vs-rest macro AUC, NaN if a class is absent."""
    per_class = _roc_auc_columns(columns.one_hot, columns.score_ties, weights)
    return {"roc_auc": float(per_class[1] if len(columns.names) == 2 else np.mean(per_class))}


def _average_precision(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Binary: average precision of the positive class; else one-vs-rest macro, NaN if a class is absent."""
    per_class = _average_precision_columns(columns.one_hot, columns.score_ties, weights)
    return {"average_precision": float(per_class[1] if len(columns.names) == 2 else np.mean(per_class))}


def _log_loss(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Mean negative log probability of the true class, clipped to [eps, 1 - eps] as scikit-learn."""
    eps = np.finfo(float).eps
    probability = columns.scores[np.arange(len(columns.truth)), columns.truth]
    return {"log_loss": float(-_weighted_mean(np.log(np.clip(probability, eps, 1 - eps)), weights))}


def _brier(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Binary: mean squared error of the positive-class probability; else summed over classes."""
    squared = (columns.scores - columns.one_hot) ** 2
    per_item = squared[:, 1] if len(columns.names) == 2 else squared.sum(axis=1)
    return {"brier": float(_weighted_mean(per_item, weights))}


def _multilabel_roc_auc(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """AUC per label, micro (all labels pooled) and macro (mean over labels where defined)."""
    per_label = _roc_auc_columns(columns.truth, columns.score_ties, weights)
    pooled_weights = np.repeat(weights, len(columns.names))
    micro = _roc_auc_columns(columns.truth.reshape(-1, 1), columns.pooled_score_ties, pooled_weights)
    return {
        **_by_name("roc_auc", per_label, columns.names),
        "roc_auc_micro": float(micro[0]),
        "roc_auc_macro": _mean_defined(per_label),
    }


def _multilabel_average_precision(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Average precision per label, micro and macro (mean over labels with positives)."""
    per_label = _average_precision_columns(columns.truth, columns.score_ties, weights)
    pooled_weights = np.repeat(weights, len(columns.names))
    micro = _average_precision_columns(
        columns.truth.reshape(-1, 1), columns.pooled_score_ties, pooled_weights
    )
    return {
        **_by_name("average_precision", per_label, columns.names),
        "average_precision_micro": float(micro[0]),
        "average_precision_macro": _mean_defined(per_label),
    }


def _multilabel_f1(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """F1 per label at score ≥ 0.5, micro (counts pooled) and macro (mean over defined labels)."""
    truth, predicted = columns.truth, columns.predicted
    true_positives = np.dot(weights, truth & predicted)
    false_positives = np.dot(weights, ~truth & predicted)
    false_negatives = np.dot(weights, truth & ~predicted)
    per_label = _f1_parts(true_positives, false_positives, false_negatives)
    micro = _f1_parts(true_positives.sum(), false_positives.sum(), false_negatives.sum())
    return {
        **_by_name("f1", per_label, columns.names),
        "f1_micro": float(micro),
        "f1_macro": _mean_defined(per_label),
    }


def _subset_accuracy(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Fraction of items with every label right."""
    every_label_right = (columns.truth == columns.predicted).all(axis=1)
    return {"subset_accuracy": float(_weighted_mean(every_label_right, weights))}


def _hamming_loss(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Fraction of wrong item–label decisions."""
    wrong = (columns.truth != columns.predicted).mean(axis=1)
    return {"hamming_loss": float(_weighted_mean(wrong, weights))}


def _rmse(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Root mean squared error."""
    squared = (columns.scores - columns.truth) ** 2
    return _per_target("rmse", np.sqrt(_weighted_mean(squared, weights)), columns.names)


def _mae(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Mean absolute error."""
    absolute = np.abs(columns.scores - columns.truth)
    return _per_target("mae", _weighted_mean(absolute, weights), columns.names)


def _r2(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Coefficient of determination; NaN for a constant truth."""
    residual = np.dot(weights, (columns.truth - columns.scores) ** 2)
    total = np.dot(weights, (columns.truth - _weighted_mean(columns.truth, weights)) ** 2)
    return _per_target("r2", 1 - _ratio(residual, total), columns.names)


def _pearson(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Pearson correlation of prediction and truth."""
    return _per_target("pearson", _pearson_columns(columns.scores, columns.truth, weights), columns.names)


def _spearman(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Spearman correlation: Pearson correlation of the average ranks."""
    predicted_ranks = columns.score_ties.mean_ranks(weights)
    true_ranks = columns.truth_ties.mean_ranks(weights)
    return _per_target("spearman", _pearson_columns(predicted_ranks, true_ranks, weights), columns.names)


def _mean_by(codes: np.ndarray, values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Weighted mean of ``values`` within each code 0..size-1."""
    sums = np.bincount(codes, weights=weights * values, minlength=size)
    return _ratio(sums, np.bincount(codes, weights=weights, minlength=size))


def _forecast_mse(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Mean squared error overall, per horizon step and per gene."""
    squared = (columns.scores - columns.truth) ** 2
    per_step = _mean_by(columns.step, squared, weights, len(columns.steps))
    per_gene = _mean_by(columns.gene, squared, weights, len(columns.genes))
    return {
        "mse": float(_weighted_mean(squared, weights)),
        **{f"mse:step{step}": float(value) for step, value in zip(columns.steps, per_step)},
        **{f"mse:gene:{gene}": float(value) for gene, value in zip(columns.genes, per_gene)},
    }


def _forecast_mae(columns: _Columns, weights: np.ndarray) -> dict[str, float]:
    """Mean absolute error overall and per horizon step."""
    absolute = np.abs(columns.scores - columns.truth)
    per_step = _mean_by(columns.step, absolute, weights, len(columns.steps))
    return {
        "mae": float(_weighted_mean(absolute, weights)),
        **{f"mae:step{step}": float(value) for step, value in zip(columns.steps, per_step)},
    }


_CLASSIFICATION_METRICS: tuple[Calculator, ...] = (
    _accuracy,
    _balanced_accuracy,
    _roc_auc,
    _average_precision,
    _mcc,
    _f1_classes,
    _log_loss,
    _brier,
)
CALCULATORS: dict[str, tuple[Calculator, ...]] = {
    **{task: _CLASSIFICATION_METRICS for task in CLASSIFICATION},
    "multilabel": (
        _multilabel_roc_auc,
        _multilabel_average_precision,
        _multilabel_f1,
        _subset_accuracy,
        _hamming_loss,
    ),
    "regression": (_rmse, _mae, _r2, _pearson, _spearman),
    "per_position": (_accuracy_as_q, _balanced_accuracy, _recall, _mcc, _f1_macro),
    "forecasting": (_forecast_mse, _forecast_mae),
}


def _compute(
    calculators: Sequence[Calculator], columns: _Columns, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Run ``calculators`` on the table with row ``weights`` (all ones if None).

    Undefined metrics come out as NaN; their division warnings are silenced.
    """
    if weights is None:
        weights = np.ones(len(columns.truth))
    values: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for calculator in calculators:
            values.update(calculator(columns, weights))
    return values


def metrics_for(table: pd.DataFrame, task: str) -> dict[str, float]:
    """Point estimate of every metric of ``task`` on a prediction table (NaN where undefined)."""
    columns = _columns(table, task)
    return _compute(CALCULATORS[task], columns)


def _calculator_for(task: str, columns: _Columns, metric: str) -> Calculator:
    """The calculator of ``task`` that produces ``metric``."""
    for calculator in CALCULATORS[task]:
        if metric in _compute([calculator], columns):
            return calculator
    available = ", ".join(_compute(CALCULATORS[task], columns))
    raise InputError(f"no metric {metric!r} for task {task!r} (available: {available})")


# ---------------------------------------------------------------------------
# Bootstrap


@dataclass(frozen=True)
class _Items:
    """The item (``id``) of each table row, for drawing whole items with replacement."""

    codes: np.ndarray
    count: int

    @classmethod
    def of(cls, ids: pd.Series | np.ndarray) -> _Items:
        """Number the items in order of first appearance."""
        codes, items = pd.factorize(np.asarray(ids))
        return cls(codes=codes, count=len(items))

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Row weights of one resample: how often the row's item was drawn among ``count`` draws.

        A weight of k is the same as k copies of all the item's rows (a cluster bootstrap).
        """
        drawn = np.bincount(rng.integers(0, self.count, size=self.count), minlength=self.count)
        return drawn[self.codes].astype(float)


def _percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite values; NaN when fewer than half of them are finite."""
    finite = values[np.isfinite(values)]
    if 2 * finite.size < values.size or finite.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def _check_resampling(resamples: int, level: float) -> None:
    """At least one resample and a level strictly between 0 and 1."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, not {level}")


def bootstrap_intervals(
    table: pd.DataFrame, task: str, seed: int, resamples: int = 1000, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of every metric, resampling whole items (``id``) with replacement.

    Each resample draws as many ids as the table holds with
    ``np.random.default_rng(seed).integers`` (ids numbered in order of first appearance).
    """
    _check_resampling(resamples, level)
    columns = _columns(table, task)
    items = _Items.of(table["id"].astype(str))
    names = list(_compute(CALCULATORS[task], columns))
    rng = np.random.default_rng(seed)
    samples = np.empty((resamples, len(names)))
    for resample in range(resamples):
        values = _compute(CALCULATORS[task], columns, items.draw(rng))
        samples[resample] = [values[name] for name in names]
    return {name: _percentile_interval(samples[:, index], level) for index, name in enumerate(names)}


# ---------------------------------------------------------------------------
# Paired comparison of two models on the same test items


def _truth_columns(table: pd.DataFrame) -> list[str]:
    """The columns that hold the truth (``truth`` or ``truth:<name>``)."""
    return [column for column in table.columns if column == "truth" or column.startswith("truth:")]


def _aligned(
    a: pd.DataFrame, b: pd.DataFrame, task: str, names: tuple[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables in the same row order; an error if they do not hold the same test items."""
    keys = list(ITEM_KEYS[task])
    a = _typed(a, task, names[0]).sort_values(keys, kind="stable").reset_index(drop=True)
    b = _typed(b, task, names[1]).sort_values(keys, kind="stable").reset_index(drop=True)
    if not a[keys].equals(b[keys]):
        merged = a[keys].merge(b[keys], how="outer", indicator=True)
        parts = []
        for side, name in (("left_only", names[0]), ("right_only", names[1])):
            only = merged.loc[merged["_merge"] == side, "id"].drop_duplicates()
            if len(only):
                parts.append(f"{len(only)} only in {name} (first: {only.iloc[0]!r})")
        raise InputError(f"{names[0]} and {names[1]} do not hold the same test items: {'; '.join(parts)}")
    for column in _truth_columns(a):
        if column not in b.columns:
            continue
        left, right = a[column].to_numpy(), b[column].to_numpy()
        same = np.isclose(left, right) if left.dtype.kind == "f" else left == right
        if not np.all(same):
            item = a["id"].iloc[int(np.argmin(same))]
            raise InputError(f"{names[0]} and {names[1]} disagree on the truth of id {item!r}")
    return a, b


def _p_value(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a zero difference, (count + 1) / (resamples + 1) so never 0."""
    count = differences.size
    at_most = (np.sum(differences <= 0) + 1) / (count + 1)
    at_least = (np.sum(differences >= 0) + 1) / (count + 1)
    return float(min(1.0, 2 * min(at_most, at_least)))


def paired_bootstrap_pooled(
    pairs: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    task: str,
    metric: str,
    seed: int,
    resamples: int = 2000,
    level: float = 0.95,
    names: Sequence[tuple[str, str]] | None = None,
) -> dict:
    """Compare models a and b by the mean over pairs (folds, seeds) of metric(a) − metric(b).

    Each pair holds the predictions of both models on the same test items; a
    resample draws items with replacement within each pair (stratified by
    pair) and applies the same draw to a and b.
    """
    _check_resampling(resamples, level)
    if not pairs:
        raise ValueError("paired bootstrap needs at least one pair of prediction tables")
    names = names or [(f"a (pair {i + 1})", f"b (pair {i + 1})") for i in range(len(pairs))]
    prepared = []
    for (a, b), pair_names in zip(pairs, names):
        a, b = _aligned(a, b, task, pair_names)
        columns_a, columns_b = _columns(a, task, pair_names[0]), _columns(b, task, pair_names[1])
        calculator = _calculator_for(task, columns_a, metric)
        prepared.append((columns_a, columns_b, _Items.of(a["id"]), calculator))

    def values(rng: np.random.Generator | None = None) -> np.ndarray:
        """metric(a) and metric(b) of each pair (rows), on the tables or on one resample of each pair."""
        result = []
        for columns_a, columns_b, items, calculator in prepared:
            weights = None if rng is None else items.draw(rng)
            result.append(
                [_compute([calculator], columns, weights)[metric] for columns in (columns_a, columns_b)]
            )
        return np.array(result)

    observed = values()
    rng = np.random.default_rng(seed)
    differences = np.empty(resamples)
    for resample in range(resamples):
        per_pair = values(rng)
        differences[resample] = np.mean(per_pair[:, 0] - per_pair[:, 1])
    low, high = _percentile_interval(differences, level)
    finite = differences[np.isfinite(differences)]
    defined = 2 * finite.size >= differences.size and finite.size > 0
    return {
        "metric": metric,
        "a": float(np.mean(observed[:, 0])),
        "b": float(np.mean(observed[:, 1])),
        "difference": float(np.mean(observed[:, 0] - observed[:, 1])),
        "ci_low": low,
        "ci_high": high,
        "p_value": _p_value(finite) if defined else float("nan"),
    }


def paired_bootstrap(
    a: pd.DataFrame,
    b: pd.DataFrame,
    task: str,
    metric: str,
    seed: int,
    resamples: int = 2000,
    level: float = 0.95,
    names: tuple[str, str] = ("a", "b"),
) -> dict:
    """Compare two models' predictions on the same test items by metric(a) − metric(b)."""
    return paired_bootstrap_pooled([(a, b)], task, metric, seed, resamples, level, [names])


# ---------------------------------------------------------------------------
# Evaluation file of one run


def _calibration(columns: _Columns, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Equal-width bins of the positive-class score (scikit-learn ``calibration_curve`` bins) with counts."""
    edges = np.arange(bins + 1) / bins
    score = columns.scores[:, 1]
    which = np.searchsorted(edges[1:-1], score)
    counts = np.bincount(which, minlength=bins)
    mean_score = _ratio(np.bincount(which, weights=score, minlength=bins), counts)
    fraction = _ratio(np.bincount(which, weights=columns.truth == 1, minlength=bins), counts)
    return [
        {
            "bin_low": float(edges[index]),
            "bin_high": float(edges[index + 1]),
            "count": int(counts[index]),
            "mean_score": float(mean_score[index]),
            "fraction_positive": float(fraction[index]),
        }
        for index in range(bins)
    ]


def _json_ready(value: object) -> object:
    """Plain Python values for JSON, NaN and infinities as None (``null``)."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def evaluation(table: pd.DataFrame, task: str, seed: int, resamples: int = 1000, level: float = 0.95) -> dict:
    """The evaluation record of one prediction table (NaN where a metric is undefined)."""
    columns = _columns(table, task)
    values = _compute(CALCULATORS[task], columns)
    intervals = bootstrap_intervals(table, task, seed, resamples, level)
    metric, higher_is_better = PRIMARY[task]
    record = {
        "task": task,
        "items": int(table["id"].astype(str).nunique()),
        "primary": {"metric": metric, "higher_is_better": higher_is_better},
        "metrics": {
            name: {"value": value, "ci_low": intervals[name][0], "ci_high": intervals[name][1]}
            for name, value in values.items()
        },
        "bootstrap": {"resamples": resamples, "level": level, "seed": seed, "unit": "id"},
    }
    if task == "binary":
        record["positive_class"] = columns.names[1]
        record["calibration"] = _calibration(columns)
    return record


def evaluate_run(predictions: Path, metrics: Path, task: str, seed: int, resamples: int = 1000) -> None:
    """Evaluate one run's prediction TSV and write its metrics JSON (null for undefined values)."""
    with all_or_nothing(metrics):
        table = read_predictions(predictions, task)
        save_json(metrics, _json_ready(evaluation(table, task, seed, resamples)))


def evaluate_runs(
    predictions: Sequence[Path], metrics: Sequence[Path], task: str, seed: int, resamples: int = 1000
) -> None:
    """Evaluate several runs of one task in turn: ``metrics[i]`` from ``predictions[i]``.

    Every run gets the same bootstrap seed, as if evaluated on its own; if one
    fails, no metrics file of the batch is left behind.
    """
    if len(predictions) != len(metrics):
        raise ValueError(f"{len(predictions)} prediction files for {len(metrics)} metrics files")
    clock = time.perf_counter()
    with all_or_nothing(*metrics):
        for done, (source, target) in enumerate(zip(predictions, metrics), start=1):
            evaluate_run(source, target, task, seed, resamples)
            elapsed = time.perf_counter() - clock
            log.info(
                "run %d/%d scored (%s, %d resamples), ETA %s",
                done,
                len(predictions),
                source,
                resamples,
                duration_text(elapsed / done * (len(predictions) - done)),
            )
