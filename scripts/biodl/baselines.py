"""Classical baselines (scikit-learn and simple forecasts) on the very partitions the deep models use.

A baseline reads the same :class:`~biodl.batches.TrainingData` as a Keras
model, so it sees the same split unit, the same targets (standardised for
regression, normalised values for time courses) and writes the same
prediction table. Features per input kind:

- sequences: k-mer frequencies (the ingest stage's counts divided by each
  sequence's total), standardised with training statistics;
- per-position sequences: a one-hot window of ``2·window + 1`` tokens around
  each residue;
- expression: the normalised features as they are;
- series classification: summary statistics per gene (mean, sd, min, max,
  slope, lag-1 autocorrelation), standardised with training statistics;
- forecasting: the look-back window, flattened.

A regularisation strength is chosen from a small grid on the validation
partition (log-loss or mean squared error there), then the model is fitted on
the training partition only, as the deep models are; the test partition is
touched once, for the predictions.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from biodl.batches import Partition, TrainingData

log = logging.getLogger("biodl.baselines")

Features = Callable[[Partition], np.ndarray | sp.spmatrix]
GRIDS = {
    "logistic": ("C", (0.01, 0.1, 1.0, 10.0)),
    "linear_svm": ("C", (0.01, 0.1, 1.0, 10.0)),
    "ridge": ("alpha", (0.1, 1.0, 10.0, 100.0)),
    "window_logistic": ("C", (0.1, 1.0)),
    "summary_logistic": ("C", (0.01, 0.1, 1.0, 10.0)),
    "ridge_ar": ("alpha", (0.1, 1.0, 10.0, 100.0)),
    "shuffled_labels": ("C", (1.0,)),
}
DEFAULT_HPARAMS = {
    "random_forest": {"n_estimators": 300, "min_samples_leaf": 1},
    "window_logistic": {"window": 7},
}


@dataclass
class Fitted:
    """A fitted baseline: its test scores in the model output convention, and what was chosen."""

    scores: np.ndarray
    chosen: dict
    valid_loss: float | None


def control_generator(seed: int, unit: str) -> np.random.Generator:
    """The shuffled-label control's random generator, its own for every (seed, unit).

    One seed for every unit would draw the same permutation in each unit; on a file sorted by
    class the training labels then line up alike in every unit, and the control's chance
    agreement with the truth repeats instead of averaging out.
    """
    return np.random.default_rng([seed, zlib.crc32(unit.encode())])


def everything(partition: Partition) -> np.ndarray:
    """Positions of every item of a partition."""
    return np.arange(len(partition))


def inputs_and_targets(partition: Partition) -> tuple[np.ndarray, np.ndarray]:
    """All inputs and training targets of a partition, gathered at once."""
    x, y, *_ = partition.gather(everything(partition))
    return np.asarray(x), np.asarray(y)


# ---------------------------------------------------------------------- features


def kmer_frequencies(
    counts: sp.csr_matrix, row_of: dict[str, int], lengths: np.ndarray | None = None
) -> Features:
    """k-mer counts of a partition's items, divided by each item's total.

    With ``lengths`` (one per row of ``counts``) that are not all equal, a last column holds
    log(length): frequencies alone drop a sequence's length, which matters for peptides and genes.
    """
    varied = lengths is not None and np.ptp(lengths) > 0

    def features(partition: Partition) -> sp.csr_matrix:
        picked = [row_of[name] for name in partition.ids]
        rows = counts[picked].astype(np.float64)
        totals = np.asarray(rows.sum(axis=1)).ravel()
        frequencies = sp.diags(1.0 / np.maximum(totals, 1.0)) @ rows
        if not varied:
            return frequencies
        log_length = sp.csr_matrix(np.log(np.maximum(lengths[picked], 1)).reshape(-1, 1))
        return sp.hstack([frequencies, log_length], format="csr")

    return features


def series_summaries(partition: Partition) -> np.ndarray:
    """Mean, sd, min, max, least-squares slope and lag-1 autocorrelation of every gene of every series."""
    x, _ = inputs_and_targets(partition)  # series × time × gene
    time = np.arange(x.shape[1], dtype=np.float64)
    time = (time - time.mean()) / max(time.std(), 1e-12)
    centred = x - x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1)
    slope = np.einsum("t,ntg->ng", time, x) / len(time)
    lag1 = (centred[:, 1:] * centred[:, :-1]).mean(axis=1) / np.maximum(sd**2, 1e-12)
    return np.concatenate([x.mean(axis=1), sd, x.min(axis=1), x.max(axis=1), slope, lag1], axis=1)


def residue_windows(tokens: np.ndarray, labelled: np.ndarray, window: int, vocabulary: int) -> sp.csr_matrix:
    """One-hot windows of ``2·window + 1`` tokens around every labelled position (rows in C order).

    Column ``offset · vocabulary + token - 1``; padding and positions outside
    the sequence stay all-zero.
    """
    rows_of_items, positions = np.nonzero(labelled)
    width = 2 * window + 1
    padded = np.pad(tokens, ((0, 0), (window, window)))
    neighbours = padded[rows_of_items[:, None], positions[:, None] + np.arange(width)[None, :]]
    present = neighbours > 0
    row = np.repeat(np.arange(len(positions)), width).reshape(-1, width)[present]
    column = (np.arange(width)[None, :] * vocabulary + neighbours.astype(np.int64) - 1)[present]
    data = np.ones(len(row), dtype=np.float32)
    return sp.csr_matrix((data, (row, column)), shape=(len(positions), width * vocabulary))


# ---------------------------------------------------------------------- estimators


def classifier(method: str, setting: float | None, seed: int, threads: int, hparams: dict):  # noqa: ANN201
    """An unfitted scikit-learn classifier of ``method`` with one regularisation setting."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if method == "random_forest":
        return RandomForestClassifier(
            **{**DEFAULT_HPARAMS["random_forest"], **hparams},
            class_weight="balanced",
            random_state=seed,
            n_jobs=threads,
        )
    if method == "linear_svm":  # no probabilities of its own: Platt scaling by 3-fold calibration
        return CalibratedClassifierCV(
            LinearSVC(C=setting, class_weight="balanced", random_state=seed, max_iter=20000),
            method="sigmoid",
            cv=3,
        )
    return LogisticRegression(C=setting, class_weight="balanced", max_iter=5000, random_state=seed)


def regressor(method: str, setting: float | None, seed: int, threads: int, hparams: dict):  # noqa: ANN201
    """An unfitted scikit-learn regressor of ``method``."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import Ridge

    if method == "random_forest":
        return RandomForestRegressor(
            **{**DEFAULT_HPARAMS["random_forest"], **hparams}, random_state=seed, n_jobs=threads
        )
    return Ridge(alpha=setting)


def class_scores(model: object, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities with one column per class index 0..C-1."""
    probabilities = model.predict_proba(x)
    scores = np.zeros((x.shape[0], n_classes))
    scores[:, np.asarray(model.classes_, dtype=np.int64)] = probabilities
    return scores


def multilabel_scores(models: list, x: np.ndarray) -> np.ndarray:
    """Probability of each label from one binary classifier per label."""
    return np.column_stack([class_scores(model, x, 2)[:, 1] for model in models])


def log_loss_of(truth: np.ndarray, scores: np.ndarray) -> float:
    """Mean negative log-likelihood of class indices (multiclass) or 0/1 columns (multilabel)."""
    scores = np.clip(scores, 1e-15, 1 - 1e-15)
    if truth.ndim == 1:
        return float(-np.mean(np.log(scores[np.arange(len(truth)), truth.astype(np.int64)])))
    return float(-np.mean(truth * np.log(scores) + (1 - truth) * np.log(1 - scores)))


def choose(settings: tuple, fit_and_score: Callable[[float], tuple[object, float]]) -> tuple[object, dict]:
    """Fit at every grid setting and keep the one with the lowest validation loss."""
    best = None
    for setting in settings:
        fitted, loss = fit_and_score(setting)
        log.info("setting %g: validation loss %.5f", setting, loss)
        if best is None or loss < best[1]:
            best = (fitted, loss, setting)
    return best[0], {"setting": best[2], "valid_loss": best[1]}


# ---------------------------------------------------------------------- per task


def fit_items(
    method: str,
    data: TrainingData,
    features: Features,
    seed: int,
    threads: int,
    hparams: dict,
    unit: str = "holdout",
) -> Fitted:
    """Classification, multilabel or regression of whole items (sequences, samples, series)."""
    from sklearn.preprocessing import StandardScaler

    task = data.task.task
    parts = data.partitions
    x = {name: features(part) for name, part in parts.items()}
    scaler = StandardScaler(with_mean=not sp.issparse(x["train"])).fit(x["train"])
    x = {name: scaler.transform(values) if len(parts[name]) else values for name, values in x.items()}
    y = {name: inputs_and_targets(part)[1] if len(part) else None for name, part in parts.items()}
    if method == "shuffled_labels":
        y["train"] = control_generator(seed, unit).permutation(y["train"])
    base = "ridge" if task == "regression" and method == "shuffled_labels" else method
    base = "logistic" if base == "shuffled_labels" else base
    n_classes = len(data.encoding.get("classes", [])) or 2

    def fit(setting: float | None) -> object:
        if task == "regression":
            targets = y["train"] if y["train"].shape[1] > 1 else y["train"].ravel()
            return regressor(base, setting, seed, threads, hparams).fit(x["train"], targets)
        if task == "multilabel":
            return [
                classifier(base, setting, seed, threads, hparams).fit(x["train"], y["train"][:, label])
                for label in range(y["train"].shape[1])
            ]
        return classifier(base, setting, seed, threads, hparams).fit(x["train"], y["train"])

    def predict(model: object, values: np.ndarray) -> np.ndarray:
        if task == "regression":
            return np.asarray(model.predict(values)).reshape(values.shape[0], -1)
        if task == "multilabel":
            return multilabel_scores(model, values)
        scores = class_scores(model, values, n_classes)
        return scores[:, 1:] if task == "binary" else scores

    def loss(model: object) -> float:
        predicted = predict(model, x["valid"])
        if task == "regression":
            return float(np.mean((predicted - y["valid"].reshape(predicted.shape)) ** 2))
        if task == "binary":
            predicted = np.column_stack([1 - predicted[:, 0], predicted[:, 0]])
        return log_loss_of(y["valid"], predicted)

    return fit_tuned(base, fit, predict, loss, x["test"], len(parts["valid"]) > 0)


def fit_tuned(
    method: str,
    fit: Callable[[float | None], object],
    predict: Callable[[object, np.ndarray], np.ndarray],
    loss: Callable[[object], float],
    test_inputs: np.ndarray,
    has_valid: bool,
) -> Fitted:
    """Pick the grid setting on the validation partition (when there is one), then predict the test one."""
    name, grid = GRIDS.get(method, (None, (None,)))
    if not has_valid or name is None:
        default = None if name is None else 1.0
        model = fit(default)
        return Fitted(predict(model, test_inputs), {} if name is None else {name: default}, None)
    model, chosen = choose(grid, lambda setting: (fitted := fit(setting), loss(fitted)))
    return Fitted(predict(model, test_inputs), {name: chosen["setting"]}, chosen["valid_loss"])


def fit_positions(method: str, data: TrainingData, seed: int, hparams: dict) -> Fitted:
    """Per-residue classes from a one-hot window around each residue (multinomial logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    window = int({**DEFAULT_HPARAMS["window_logistic"], **hparams}["window"])
    vocabulary = data.spec.vocabulary_size
    n_classes = data.task.n_outputs
    x, y, labelled = {}, {}, {}
    for name, part in data.partitions.items():
        tokens = inputs_and_targets(part)[0]
        labels = np.asarray(part.truth(everything(part)))
        labelled[name] = labels > 0
        x[name] = residue_windows(tokens, labelled[name], window, vocabulary)
        y[name] = labels[labelled[name]].astype(np.int64) - 1

    def fit(setting: float | None) -> object:
        model = LogisticRegression(C=setting, max_iter=2000, random_state=seed)
        return model.fit(x["train"], y["train"])

    def predict(model: object, values: sp.csr_matrix) -> np.ndarray:
        return class_scores(model, values, n_classes)

    def loss(model: object) -> float:
        return log_loss_of(y["valid"], predict(model, x["valid"]))

    fitted = fit_tuned(method, fit, predict, loss, x["test"], len(data.partitions["valid"]) > 0)
    scores = np.zeros((*labelled["test"].shape, n_classes))
    scores[labelled["test"]] = fitted.scores
    fitted.scores = scores
    return fitted


def fit_forecasts(method: str, data: TrainingData, hparams: dict) -> Fitted:
    """Forecasts of the horizon: the last value (persistence), the training mean, or ridge autoregression."""
    from sklearn.linear_model import Ridge

    horizon, n_genes = data.task.output_shape
    parts = data.partitions
    x = {name: inputs_and_targets(part)[0] for name, part in parts.items() if len(part)}
    y = {name: inputs_and_targets(part)[1] for name, part in parts.items() if len(part)}
    if method == "persistence":
        return Fitted(np.repeat(x["test"][:, -1:, :], horizon, axis=1), {}, None)
    if method == "training_mean":
        mean = y["train"].mean(axis=0)
        return Fitted(np.broadcast_to(mean, (len(x["test"]), horizon, n_genes)).copy(), {}, None)

    def flat(values: np.ndarray) -> np.ndarray:
        return values.reshape(len(values), -1)

    def fit(setting: float | None) -> object:
        return Ridge(alpha=setting).fit(flat(x["train"]), flat(y["train"]))

    def predict(model: object, values: np.ndarray) -> np.ndarray:
        return model.predict(flat(values)).reshape(len(values), horizon, n_genes)

    def loss(model: object) -> float:
        return float(np.mean((predict(model, x["valid"]) - y["valid"]) ** 2))

    return fit_tuned(method, fit, predict, loss, x["test"], "valid" in x)


def fit_baseline(
    method: str,
    data: TrainingData,
    seed: int,
    threads: int,
    hparams: dict,
    kmer_counts: sp.csr_matrix | None = None,
    ids: list[str] | None = None,
    unit: str = "holdout",
    lengths: np.ndarray | None = None,
) -> Fitted:
    """Fit one baseline on the training partition and score the test partition of ``unit``.

    Sequences: ``kmer_counts`` and ``lengths`` (residues each sequence keeps) are rows in the
    order of ``ids``.
    """
    task = data.task.task
    if task == "per_position":
        return fit_positions(method, data, seed, hparams)
    if task == "forecasting":
        return fit_forecasts(method, data, hparams)
    if data.spec.kind == "tokens":
        features = kmer_frequencies(kmer_counts, {name: row for row, name in enumerate(ids)}, lengths)
    elif data.spec.kind == "series":
        features = series_summaries
    else:
        features = lambda partition: inputs_and_targets(partition)[0]  # noqa: E731
    return fit_items(method, data, features, seed, threads, hparams, unit)
