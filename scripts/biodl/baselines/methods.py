"""Classical baselines (scikit-learn and simple forecasts) on the very partitions the deep models use.

A baseline reads the same :class:`~biodl.train.loaders.TrainingData` as a Keras
model, so it sees the same split unit, the same targets (standardised for
regression, normalised values for time courses) and writes the same
prediction table. Features per method and input kind (:data:`FEATURES`):

- sequences: k-mer frequencies (counts divided by each sequence's total, k
  chosen from a range on validation for the linear models), gapped k-mer
  frequencies (the feature space of gkm-SVM), or the position-aware one-hot
  encoding of the (padded / trimmed) sequence, flattened; log(length) is one
  more column of the k-mer features when lengths vary;
- per-position sequences: a one-hot window of ``2·window + 1`` tokens around
  each residue;
- expression: the normalised features as they are;
- series classification: the normalised series flattened (time × gene), or
  summary statistics per gene (mean, sd, min, max, slope, lag-1
  autocorrelation);
- forecasting: the look-back window, flattened (ridge AR), or each gene's own
  look-back window (gradient-boosted trees, one model shared by all genes).

Features are standardised with training statistics. Settings (regularisation,
k, learning rate) are chosen from a small grid on the validation partition
(log-loss or mean squared error there), then the model is fitted on the
training partition only, as the deep models are; the test partition is
touched once, for the predictions.
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from biodl.data import encode
from biodl.specs import InputSpec
from biodl.train.loaders import Partition, TrainingData

log = logging.getLogger("biodl.baselines.methods")

Features = Callable[[Partition], np.ndarray | sp.spmatrix]
Setting = dict[str, float]
C_GRID = (0.01, 0.1, 1.0, 10.0)
ALPHA_GRID = (0.1, 1.0, 10.0, 100.0)
# method → the settings its grid tries on the validation partition (every combination)
GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "logistic": {"C": C_GRID},
    "onehot_logistic": {"C": C_GRID},
    "gkm_logistic": {"C": C_GRID},
    "elastic_net": {"C": (0.1, 1.0, 10.0), "l1_ratio": (0.2, 0.5, 0.8)},
    "linear_svm": {"C": C_GRID},
    "ridge": {"alpha": ALPHA_GRID},
    "onehot_ridge": {"alpha": ALPHA_GRID},
    "gkm_ridge": {"alpha": ALPHA_GRID},
    "boosted_trees": {"learning_rate": (0.03, 0.1, 0.3)},
    "window_logistic": {"C": (0.1, 1.0)},
    "summary_logistic": {"C": C_GRID},
    "ridge_ar": {"alpha": ALPHA_GRID},
}
# the setting used when a unit has no validation partition to choose on
UNTUNED = {"C": 1.0, "alpha": 1.0, "l1_ratio": 0.5, "learning_rate": 0.1}
DEFAULT_HPARAMS = {
    "random_forest": {"n_estimators": 300, "min_samples_leaf": 1},
    "boosted_trees": {"max_iter": 200, "window": 7},
    "window_logistic": {"window": 7},
}
# k of the k-mer models' range, chosen on validation, by canonical alphabet size
KMER_RANGE = {4: (2, 3, 4, 5, 6), 20: (1, 2, 3)}
# gapped k-mers (informative letters, span) by canonical alphabet size
GAPPED = {4: (4, 8), 20: (2, 4)}


@dataclass
class Fitted:
    """A fitted baseline: its test scores in the model output convention, what was chosen, and its
    fitted state (``estimator`` and, for item features, the ``scaler``; saved with the run)."""

    scores: np.ndarray
    chosen: dict
    valid_loss: float | None
    state: dict
    tried: int = 1  # settings scored on the validation partition (its tuning budget)


@dataclass(frozen=True)
class Letters:
    """What the sequence features need beyond the tokens: canonical alphabet size and ingest k."""

    alphabet_size: int
    kmer_k: int


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


def settings_grid(method: str, fixed: dict | None = None) -> list[Setting]:
    """Every combination of the method's grid, each merged with ``fixed`` (e.g. the k-mer size)."""
    grid = GRIDS.get(method, {})
    names = sorted(grid)
    return [
        {**(fixed or {}), **dict(zip(names, values))}
        for values in itertools.product(*(grid[n] for n in names))
    ]


def untuned_setting(method: str, fixed: dict | None = None) -> Setting:
    """The setting used without a validation partition."""
    return {**(fixed or {}), **{name: UNTUNED[name] for name in GRIDS.get(method, {})}}


# ---------------------------------------------------------------------- features


def kmer_frequencies(k: int, letters: Letters, varied: bool) -> Features:
    """k-mer counts of a partition's sequences divided by each sequence's total.

    With ``varied`` (the dataset's lengths vary: some rows are padded) log(length) is a last
    column: frequencies alone drop a sequence's length, which matters for peptides and genes.
    """

    def features(partition: Partition) -> sp.csr_matrix:
        tokens = inputs_and_targets(partition)[0]
        counts = encode.kmer_counts(tokens, k, letters.alphabet_size)
        return with_log_length(frequencies(counts), tokens) if varied else frequencies(counts)

    return features


def gapped_kmer_frequencies(k: int, span: int, letters: Letters, varied: bool) -> Features:
    """Gapped k-mer frequencies (gkm-SVM's feature space, made explicit); + log(length) as above."""

    def features(partition: Partition) -> sp.csr_matrix:
        tokens = inputs_and_targets(partition)[0]
        counts = encode.gapped_kmer_counts(tokens, k, span, letters.alphabet_size)
        return with_log_length(frequencies(counts), tokens) if varied else frequencies(counts)

    return features


def frequencies(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Counts divided by each row's total."""
    rows = counts.astype(np.float64)
    totals = np.asarray(rows.sum(axis=1)).ravel()
    return (sp.diags(1.0 / np.maximum(totals, 1.0)) @ rows).tocsr()


def with_log_length(features: sp.csr_matrix, tokens: np.ndarray) -> sp.csr_matrix:
    """``features`` with a last column of log(sequence length) (residues other than padding)."""
    lengths = (tokens != 0).sum(axis=1)
    return sp.hstack([features, np.log(np.maximum(lengths, 1))[:, None]], format="csr")


def one_hot(vocabulary: int) -> Features:
    """The position-aware one-hot encoding of a partition's token rows, flattened (L × vocabulary columns).

    Column ``position · vocabulary + token - 1``; padding stays all-zero.
    """

    def features(partition: Partition) -> sp.csr_matrix:
        tokens = inputs_and_targets(partition)[0]
        rows, positions = np.nonzero(tokens)
        columns = positions * vocabulary + tokens[rows, positions].astype(np.int64) - 1
        data = np.ones(len(rows), dtype=np.float64)
        return sp.csr_matrix((data, (rows, columns)), shape=(len(tokens), tokens.shape[1] * vocabulary))

    return features


def flattened_series(partition: Partition) -> np.ndarray:
    """The normalised series of a partition, one row per series (time × gene values)."""
    x, _ = inputs_and_targets(partition)
    return x.reshape(len(x), -1)


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


def as_they_are(partition: Partition) -> np.ndarray:
    """The partition's inputs unchanged (normalised expression)."""
    return inputs_and_targets(partition)[0]


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


def feature_sets(method: str, spec: InputSpec, letters: Letters | None, hparams: dict) -> dict:
    """The features ``method`` may use, keyed by what the validation grid also chooses (e.g. {'k': 4}).

    One entry for most methods; the linear k-mer models get one per k of their range.
    """
    kind = spec.kind
    if kind == "vector":
        return {(): as_they_are}
    if kind == "series":
        return {(): series_summaries if method == "summary_logistic" else flattened_series}
    if method in ("onehot_logistic", "onehot_ridge"):
        return {(): one_hot(spec.vocabulary_size)}
    varied = spec.padded
    if method in ("gkm_logistic", "gkm_ridge"):
        k, span = GAPPED.get(letters.alphabet_size, (3, 6))
        k, span = int(hparams.get("k", k)), int(hparams.get("span", span))
        return {(("k", k), ("span", span)): gapped_kmer_frequencies(k, span, letters, varied)}
    if method in ("logistic", "ridge"):
        # the configured k first: it is the one used when there is no validation partition to choose on
        ks = hparams.get("k") or KMER_RANGE.get(letters.alphabet_size, ())
        ks = [letters.kmer_k, *sorted(set(map(int, ks)) - {letters.kmer_k})]
        return {(("k", k),): kmer_frequencies(k, letters, varied) for k in ks}
    return {(("k", letters.kmer_k),): kmer_frequencies(letters.kmer_k, letters, varied)}


def fitted_features(method: str, chosen: dict, spec: InputSpec, letters: Letters | None) -> Features:
    """The feature function of a fitted item baseline: the one of :func:`feature_sets` that its
    chosen setting names (k, span), to compute the features of new items exactly as in training."""
    key = tuple((name, int(chosen[name])) for name in ("k", "span") if name in chosen)
    hparams = {"k": [dict(key)["k"]]} if method in ("logistic", "ridge") and key else dict(key)
    return feature_sets(method, spec, letters, hparams)[key]


# ---------------------------------------------------------------------- estimators


def classifier(method: str, setting: Setting, seed: int, threads: int, hparams: dict):  # noqa: ANN201
    """An unfitted scikit-learn classifier of ``method`` with one setting of its grid."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if method == "random_forest":
        return RandomForestClassifier(
            **{**DEFAULT_HPARAMS["random_forest"], **hparams},
            class_weight="balanced",
            random_state=seed,
            n_jobs=threads,
        )
    if method == "boosted_trees":
        return HistGradientBoostingClassifier(
            **tree_settings(setting, hparams),
            early_stopping=False,  # tuned on the validation partition instead of an inner split
            class_weight="balanced",
            random_state=seed,
        )
    if method == "linear_svm":  # no probabilities of its own: Platt scaling by 3-fold calibration
        return CalibratedClassifierCV(
            LinearSVC(C=setting["C"], class_weight="balanced", random_state=seed, max_iter=20000),
            method="sigmoid",
            cv=3,
        )
    if method == "elastic_net":
        return LogisticRegression(
            C=setting["C"],
            l1_ratio=setting["l1_ratio"],
            solver="saga",
            class_weight="balanced",
            max_iter=5000,
            random_state=seed,
        )
    return LogisticRegression(C=setting["C"], class_weight="balanced", max_iter=5000, random_state=seed)


def regressor(method: str, setting: Setting, seed: int, threads: int, hparams: dict):  # noqa: ANN201
    """An unfitted scikit-learn regressor of ``method`` (several targets: one model per target for trees)."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Ridge

    if method == "random_forest":
        return RandomForestRegressor(
            **{**DEFAULT_HPARAMS["random_forest"], **hparams}, random_state=seed, n_jobs=threads
        )
    if method == "boosted_trees":
        return HistGradientBoostingRegressor(
            **tree_settings(setting, hparams), early_stopping=False, random_state=seed
        )
    return Ridge(alpha=setting["alpha"])


def tree_settings(setting: Setting, hparams: dict) -> dict:
    """Learning rate, iterations and smallest leaf of the boosted trees.

    ``min_samples_leaf`` is filled in by :func:`with_leaf_size` from the training size unless set.
    """
    return {
        "learning_rate": setting["learning_rate"],
        "max_iter": int(hparams.get("max_iter", DEFAULT_HPARAMS["boosted_trees"]["max_iter"])),
        "min_samples_leaf": int(hparams["min_samples_leaf"]),
    }


def with_leaf_size(hparams: dict, n_train: int) -> dict:
    """``hparams`` with the boosted trees' smallest leaf: scikit-learn's 20, or n_train / 20 (at least 2)
    when that is smaller, so that a few dozen samples (a small cohort) can still be split at all."""
    return {"min_samples_leaf": min(20, max(2, n_train // 20)), **hparams}


def fit_per_column(make: Callable[[], object], x: np.ndarray, y: np.ndarray) -> list:
    """One model per target column (gradient-boosted trees predict one target each)."""
    return [make().fit(x, y[:, column]) for column in range(y.shape[1])]


def class_scores(model: object, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities with one column per class index 0..C-1."""
    probabilities = model.predict_proba(x)
    scores = np.zeros((x.shape[0], n_classes))
    scores[:, np.asarray(model.classes_, dtype=np.int64)] = probabilities
    return scores


def multilabel_scores(models: list, x: np.ndarray) -> np.ndarray:
    """Probability of each label from one binary classifier per label."""
    return np.column_stack([class_scores(model, x, 2)[:, 1] for model in models])


def item_scores(task: str, n_classes: int, model: object, values: np.ndarray) -> np.ndarray:
    """Scores of items in the model output convention (the positive class's probability alone for a
    binary task; standardised targets for regression) from a fitted estimator or one per column."""
    if task == "regression":
        if isinstance(model, list):
            return np.column_stack([column.predict(values) for column in model])
        return np.asarray(model.predict(values)).reshape(values.shape[0], -1)
    if task == "multilabel":
        return multilabel_scores(model, values)
    scores = class_scores(model, values, n_classes)
    return scores[:, 1:] if task == "binary" else scores


def log_loss_of(truth: np.ndarray, scores: np.ndarray) -> float:
    """Mean negative log-likelihood of class indices (multiclass) or 0/1 columns (multilabel)."""
    scores = np.clip(scores, 1e-15, 1 - 1e-15)
    if truth.ndim == 1:
        return float(-np.mean(np.log(scores[np.arange(len(truth)), truth.astype(np.int64)])))
    return float(-np.mean(truth * np.log(scores) + (1 - truth) * np.log(1 - scores)))


def item_loss(task: str, truth: np.ndarray, scores: np.ndarray) -> float:
    """The loss of item scores in the model output convention (:func:`item_scores`): mean squared error
    of a regression, mean negative log-likelihood of the truth otherwise."""
    if task == "regression":
        return float(np.mean((scores - truth.reshape(scores.shape)) ** 2))
    if task == "binary":
        scores = np.column_stack([1 - scores[:, 0], scores[:, 0]])
    return log_loss_of(truth, scores)


def dense_for_trees(method: str, x: np.ndarray | sp.spmatrix) -> np.ndarray | sp.spmatrix:
    """Gradient-boosted trees take dense arrays only."""
    return x.toarray() if method == "boosted_trees" and sp.issparse(x) else x


# ---------------------------------------------------------------------- choosing on validation


@dataclass
class Candidate:
    """One grid setting with the features it uses: how to fit it, score validation and predict test,
    and the fitted state to save (the estimator alone unless ``state`` says more)."""

    setting: Setting
    fit: Callable[[], object]
    valid_loss: Callable[[object], float]
    predict_test: Callable[[object], np.ndarray]
    state: Callable[[object], dict] = lambda model: {"estimator": model}


def fit_searched(make: Callable[[dict], Candidate], space: dict, search: dict, feature_keys: list) -> Fitted:
    """Optuna's choice among ``search['trials']`` settings of ``space`` (and of the feature sets,
    when there are several), each fitted on the training partition and scored by its validation
    loss in this process; the best predicts the test partition, which no trial reads.

    ``make`` turns a trial's values (``feature_set``: the index of a feature set) into a candidate.
    """
    import optuna

    from biodl.ranges import distributions

    wanted = distributions(space)
    if len(feature_keys) > 1:
        wanted["feature_set"] = optuna.distributions.CategoricalDistribution(list(range(len(feature_keys))))
    sampler = (
        optuna.samplers.RandomSampler(seed=search["seed"])
        if search["sampler"] == "random"
        else optuna.samplers.TPESampler(seed=search["seed"], n_startup_trials=search["startup_trials"])
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    best = None
    for _ in range(search["trials"]):
        trial = study.ask(wanted)
        candidate = make(trial.params)
        model = candidate.fit()
        loss = candidate.valid_loss(model)
        study.tell(trial, loss)
        log.info("trial %d %s: validation loss %.5f", trial.number, candidate.setting, loss)
        if best is None or loss < best[1]:
            best = (candidate, loss, model)
    candidate, loss, model = best
    return Fitted(
        candidate.predict_test(model), candidate.setting, loss, candidate.state(model), search["trials"]
    )


def fit_tuned(candidates: list[Candidate], untuned: Candidate | None) -> Fitted:
    """Fit every candidate, keep the lowest validation loss, predict the test partition with it.

    Without a validation partition ``untuned`` is fitted alone. The test partition is read by
    ``predict_test`` of the chosen candidate only, after the choice.
    """
    if untuned is not None:
        model = untuned.fit()
        return Fitted(untuned.predict_test(model), untuned.setting, None, untuned.state(model))
    best = None
    for candidate in candidates:
        model = candidate.fit()
        loss = candidate.valid_loss(model)
        log.info("setting %s: validation loss %.5f", candidate.setting, loss)
        if best is None or loss < best[1]:
            best = (candidate, loss, model)
    candidate, loss, model = best
    return Fitted(
        candidate.predict_test(model), candidate.setting, loss, candidate.state(model), len(candidates)
    )


# ---------------------------------------------------------------------- per task


def fit_items(
    method: str,
    data: TrainingData,
    features: dict,
    seed: int,
    threads: int,
    hparams: dict,
    unit: str = "holdout",
    search: dict | None = None,
) -> Fitted:
    """Classification, multilabel or regression of whole items (sequences, samples, series).

    ``features`` maps what the grid chooses besides the method's own settings (e.g. (('k', 4),))
    to a feature function; each is standardised with its training statistics. With ``search``
    (trials, space, sampler, seed) Optuna chooses the settings on validation instead of the grid.
    """
    from sklearn.preprocessing import StandardScaler

    task = data.task.task
    parts = data.partitions
    has_valid = len(parts["valid"]) > 0
    y = {name: inputs_and_targets(part)[1] if len(part) else None for name, part in parts.items()}
    if method == "shuffled_labels":
        y["train"] = control_generator(seed, unit).permutation(y["train"])
    base = "ridge" if task == "regression" and method == "shuffled_labels" else method
    base = "logistic" if base == "shuffled_labels" else base
    n_classes = len(data.encoding.get("classes", [])) or 2
    if base == "boosted_trees":
        hparams = with_leaf_size(hparams, len(parts["train"]))

    def scaled(function: Features) -> tuple[object, dict]:
        x = {name: function(part) for name, part in parts.items() if len(part)}
        scaler = StandardScaler(with_mean=not sp.issparse(x["train"])).fit(x["train"])
        return scaler, {name: dense_for_trees(base, scaler.transform(values)) for name, values in x.items()}

    def fit(setting: Setting, x: np.ndarray, hparams: dict = hparams) -> object:
        if task == "regression":
            targets = y["train"]
            make = lambda: regressor(base, setting, seed, threads, hparams)  # noqa: E731
            if base == "boosted_trees":
                return fit_per_column(make, x, targets)
            return make().fit(x, targets if targets.shape[1] > 1 else targets.ravel())
        if task == "multilabel":
            return fit_per_column(lambda: classifier(base, setting, seed, threads, hparams), x, y["train"])
        return classifier(base, setting, seed, threads, hparams).fit(x, y["train"])

    def predict(model: object, values: np.ndarray) -> np.ndarray:
        return item_scores(task, n_classes, model, values)

    def loss(model: object, x_valid: np.ndarray) -> float:
        return item_loss(task, y["valid"], predict(model, x_valid))

    def candidate(setting: Setting, scaled_features: tuple, trial_hparams: dict = hparams) -> Candidate:
        scaler, x = scaled_features
        return Candidate(
            setting,
            lambda: fit(setting, x["train"], trial_hparams),
            lambda model: loss(model, x["valid"]),
            lambda model: predict(model, x["test"]),
            lambda model: {"scaler": scaler, "estimator": model},
        )

    if search and has_valid:
        keys, cache = list(features), {}

        def make(params: dict) -> Candidate:
            key = keys[params["feature_set"]] if len(keys) > 1 else keys[0]
            if key not in cache:
                cache[key] = scaled(features[key])
            setting = {
                **dict(key),
                **{name: value for name, value in params.items() if name in GRIDS.get(base, {})},
            }
            trial_hparams = {**hparams}
            for name, value in params.items():
                if name.startswith("hparams."):
                    trial_hparams[name.removeprefix("hparams.")] = value
                    setting[name] = value
            return candidate(setting, cache[key], trial_hparams)

        return fit_searched(make, search["space"], search, keys)
    candidates = []
    for key, function in features.items():
        scaler, x = scaled(function)
        grid = settings_grid(base, dict(key)) if has_valid else [untuned_setting(base, dict(key))]
        candidates += [candidate(setting, (scaler, x)) for setting in grid]
        if not has_valid:  # no choice to make: the configured k-mer size (the last key) is not needed
            break
    return fit_tuned(candidates, None if has_valid else candidates[0])


def position_window(method: str, hparams: dict) -> int:
    """How many residues on each side of a residue a per-position baseline reads."""
    grid_of = "boosted_trees" if method == "boosted_trees" else "window_logistic"
    return int({**DEFAULT_HPARAMS[grid_of], **hparams}["window"])


def residue_features(method: str, tokens: np.ndarray, labelled: np.ndarray, window: int, vocabulary: int):  # noqa: ANN201
    """The windows around the ``labelled`` residues, as the method's estimator takes them."""
    base = "boosted_trees" if method == "boosted_trees" else "logistic"
    return dense_for_trees(base, residue_windows(tokens, labelled, window, vocabulary))


def position_scores(model: object, x: np.ndarray, labelled: np.ndarray, n_classes: int) -> np.ndarray:
    """Item × position × class scores: the model's class probabilities at the ``labelled`` residues
    (rows of ``x`` in C order), zero elsewhere."""
    scores = np.zeros((*labelled.shape, n_classes))
    scores[labelled] = class_scores(model, x, n_classes)
    return scores


def fit_positions(method: str, data: TrainingData, seed: int, threads: int, hparams: dict) -> Fitted:
    """Per-residue classes from a one-hot window around each residue (logistic regression or trees)."""
    base = "boosted_trees" if method == "boosted_trees" else "logistic"
    grid_of = "boosted_trees" if base == "boosted_trees" else "window_logistic"
    window = position_window(method, hparams)
    vocabulary = data.spec.vocabulary_size
    n_classes = data.task.n_outputs
    x, y, labelled = {}, {}, {}
    for name, part in data.partitions.items():
        tokens = inputs_and_targets(part)[0]
        labels = np.asarray(part.truth(everything(part)))
        labelled[name] = labels > 0
        x[name] = residue_features(method, tokens, labelled[name], window, vocabulary)
        y[name] = labels[labelled[name]].astype(np.int64) - 1
    if base == "boosted_trees":
        hparams = with_leaf_size(hparams, len(y["train"]))

    def fit(setting: Setting) -> object:
        if base == "boosted_trees":
            return classifier(base, setting, seed, threads, hparams).fit(x["train"], y["train"])
        return residue_logistic(setting, seed).fit(x["train"], y["train"])

    candidates = [
        Candidate(
            setting,
            lambda setting=setting: fit(setting),
            lambda model: log_loss_of(y["valid"], class_scores(model, x["valid"], n_classes)),
            lambda model: position_scores(model, x["test"], labelled["test"], n_classes),
        )
        for setting in settings_grid(grid_of)
    ]
    has_valid = len(data.partitions["valid"]) > 0
    untuned = None
    if not has_valid:
        setting = untuned_setting(grid_of)
        untuned = Candidate(setting, lambda: fit(setting), None, candidates[0].predict_test)
    return fit_tuned(candidates, untuned)


def residue_logistic(setting: Setting, seed: int):  # noqa: ANN201
    """The per-residue logistic regression (no class weights: residue classes keep their frequencies)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=setting["C"], max_iter=2000, random_state=seed)


def forecasts(method: str, state: dict, values: np.ndarray, output_shape: tuple[int, int]) -> np.ndarray:
    """Window × horizon × gene forecasts of a forecasting baseline from its fitted ``state``."""
    horizon, n_genes = output_shape
    if method == "persistence":  # nothing fitted: the last value of the look-back is the forecast
        return np.repeat(values[:, -1:, :], horizon, axis=1)
    if method == "training_mean":
        return np.broadcast_to(state["mean"], (len(values), horizon, n_genes)).copy()
    if method == "boosted_trees":
        return tree_forecasts(state["estimator"], values)
    return ridge_forecasts(state["estimator"], values, output_shape)


def fit_forecasts(method: str, data: TrainingData, seed: int, hparams: dict) -> Fitted:
    """Forecasts of the horizon: the last value (persistence), the training mean, ridge autoregression
    over every gene's window, or gradient-boosted trees on each gene's own window."""
    output_shape = tuple(data.task.output_shape)
    parts = data.partitions
    x = {name: inputs_and_targets(part)[0] for name, part in parts.items() if len(part)}
    y = {name: inputs_and_targets(part)[1] for name, part in parts.items() if len(part)}
    if method in ("persistence", "training_mean"):
        state = {"mean": y["train"].mean(axis=0)} if method == "training_mean" else {}
        return Fitted(forecasts(method, state, x["test"], output_shape), {}, None, state)
    trees = method == "boosted_trees"
    fit = gene_window_trees(x, y, seed, hparams) if trees else ridge_autoregression(x, y)

    def predict(model: object, values: np.ndarray) -> np.ndarray:
        return forecasts(method, {"estimator": model}, values, output_shape)

    candidates = [
        Candidate(
            setting,
            lambda setting=setting: fit(setting),
            lambda model: float(np.mean((predict(model, x["valid"]) - y["valid"]) ** 2)),
            lambda model: predict(model, x["test"]),
        )
        for setting in settings_grid(method)
    ]
    untuned = None
    if "valid" not in x:
        setting = untuned_setting(method)
        untuned = Candidate(setting, lambda: fit(setting), None, candidates[0].predict_test)
    return fit_tuned(candidates, untuned)


def ridge_autoregression(x: dict, y: dict) -> Callable[[Setting], object]:
    """Ridge from every gene's flattened look-back to all horizon × gene outputs (a VAR)."""
    from sklearn.linear_model import Ridge

    def fit(setting: Setting) -> object:
        return Ridge(alpha=setting["alpha"]).fit(
            x["train"].reshape(len(x["train"]), -1), flat_windows(y["train"])
        )

    return fit


def flat_windows(values: np.ndarray) -> np.ndarray:
    """Window × time × gene → window × (time·gene)."""
    return values.reshape(len(values), -1)


def ridge_forecasts(model: object, values: np.ndarray, output_shape: tuple[int, int]) -> np.ndarray:
    """Ridge autoregression's window × horizon × gene forecasts."""
    return model.predict(flat_windows(values)).reshape(len(values), *output_shape)


def gene_rows(values: np.ndarray) -> np.ndarray:
    """Window × time × gene → (window·gene) × time: each gene's own window as a row."""
    return values.transpose(0, 2, 1).reshape(-1, values.shape[1])


def gene_window_trees(x: dict, y: dict, seed: int, hparams: dict) -> Callable[[Setting], list]:
    """Gradient-boosted trees from a gene's own look-back to its value at each horizon step.

    One model per step, shared by every gene (rows are window × gene): a global model, as in
    the tree-based forecasters of large forecasting benchmarks; a model per gene and step
    would have few rows each. Cross-gene effects are ridge AR's part.
    """
    hparams = with_leaf_size(hparams, len(gene_rows(x["train"])))

    def fit(setting: Setting) -> list:
        return fit_per_column(
            lambda: regressor("boosted_trees", setting, seed, 1, hparams),
            gene_rows(x["train"]),
            gene_rows(y["train"]),
        )

    return fit


def tree_forecasts(models: list, values: np.ndarray) -> np.ndarray:
    """The per-step trees' window × horizon × gene forecasts."""
    flat = np.column_stack([model.predict(gene_rows(values)) for model in models])  # (window·gene) × step
    return flat.reshape(len(values), -1, flat.shape[1]).transpose(0, 2, 1)


def fit_baseline(
    method: str,
    data: TrainingData,
    seed: int,
    threads: int,
    hparams: dict,
    letters: Letters | None = None,
    unit: str = "holdout",
    search: dict | None = None,
) -> Fitted:
    """Fit one baseline on the training partition and score the test partition of ``unit``.

    ``letters`` (sequences only): the canonical alphabet size and the configured k-mer size;
    ``search``: Optuna's search of the settings on validation instead of the grid (item tasks).
    """
    from threadpoolctl import threadpool_limits

    task = data.task.task
    with threadpool_limits(limits=threads):  # OpenMP of the boosted trees, BLAS of the linear models
        if task == "per_position":
            return fit_positions(method, data, seed, threads, hparams)
        if task == "forecasting":
            return fit_forecasts(method, data, seed, hparams)
        features = feature_sets(method, data.spec, letters, hparams)
        return fit_items(method, data, features, seed, threads, hparams, unit, search)
