"""The baselines a reviewer asks for: each above chance where its features carry the answer, and
equal to a direct scikit-learn fit on features computed here."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from biodl.baselines.methods import Letters, fit_baseline
from biodl.data.encode import gapped_kmer_counts, kmer_counts
from biodl.io.outputs import save_array
from biodl.train.loaders import load_items
from conftest import item_dataset
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score, roc_auc_score
from sklearn.preprocessing import StandardScaler
from test_baselines import forecasting_data
from test_training import load, motif_dataset

DNA = Letters(alphabet_size=4, kmer_k=4)
PARTITION_CYCLE = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)


def arrays(data, name: str) -> tuple[np.ndarray, np.ndarray]:
    part = data.partitions[name]
    x, y, *_ = part.gather(np.arange(len(part)))
    return np.asarray(x), np.asarray(y)


def direct(estimator, featurise, data, output="probability") -> np.ndarray:
    """``estimator`` fitted on the training partition's features (scaled on train); its test outputs."""
    (x_train, y_train), (x_test, _) = arrays(data, "train"), arrays(data, "test")
    train, test = featurise(x_train), featurise(x_test)
    scaler = StandardScaler(with_mean=not sp.issparse(train)).fit(train)
    estimator.fit(scaler.transform(train), y_train.ravel() if y_train.ndim > 1 else y_train)
    if output == "probability":
        return estimator.predict_proba(scaler.transform(test))[:, 1]
    return estimator.predict(scaler.transform(test))


def truth_of(data) -> np.ndarray:
    part = data.partitions["test"]
    return np.asarray(part.truth(np.arange(len(part))))


def auc(fitted, data) -> float:
    return roc_auc_score(truth_of(data), fitted.scores[:, 0])


def one_hot_rows(tokens: np.ndarray, vocabulary: int = 4) -> np.ndarray:
    return np.eye(vocabulary + 1)[tokens][:, :, 1:].reshape(len(tokens), -1)


def frequencies_of(counts: sp.csr_matrix) -> sp.csr_matrix:
    counts = counts.astype(np.float64)
    return (sp.diags(1.0 / np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1)) @ counts).tocsr()


# ---------------------------------------------------------------------- gapped k-mers


def test_gapped_kmer_counts_match_a_count_by_hand():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 6, size=(5, 12)).astype(np.uint8)  # 5 is an ambiguity code here
    tokens[1, 9:] = 0  # padding
    counts = gapped_kmer_counts(tokens, 2, 4, 4).toarray()
    masks = [(0, 1), (0, 2), (0, 3)]
    expected = np.zeros((5, len(masks) * 16))
    for row, (m, mask) in itertools.product(range(5), enumerate(masks)):
        for start in range(12 - mask[-1]):
            letters = [int(tokens[row, start + offset]) for offset in mask]
            if all(1 <= letter <= 4 for letter in letters):
                expected[row, m * 16 + (letters[0] - 1) * 4 + letters[1] - 1] += 1
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(counts[:, :16], kmer_counts(tokens, 2, 4).toarray())  # mask (0, 1)


# ---------------------------------------------------------------------- position-aware one-hot


def positional_dataset(folder, n: int = 600, length: int = 40) -> dict:
    """Every sequence carries TGACTCA: 'yes' near position 5, 'no' near position 25."""
    files = motif_dataset(folder, n=n, length=length, seed=3)
    rng = np.random.default_rng(3)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    labels = pd.read_csv(files["ids"], sep="\t")["label"].to_numpy()
    starts = np.where(labels == "yes", 5, 25) + rng.integers(-1, 2, size=n)
    for row, start in enumerate(starts):
        tokens[row, start : start + 7] = [4, 3, 1, 2, 4, 2, 1]
    save_array(files["tokens"], tokens)
    return files


def test_onehot_logistic_sees_where_the_motif_is_and_equals_scikit_learn(tmp_path):
    files = positional_dataset(tmp_path)
    data = load(files)
    onehot = fit_baseline("onehot_logistic", data, 1, 1, {}, DNA)
    kmers = fit_baseline("logistic", data, 1, 1, {}, DNA)
    assert auc(onehot, data) > 0.9
    assert auc(kmers, data) < 0.75  # k-mer frequencies throw the position away
    model = LogisticRegression(C=onehot.chosen["C"], class_weight="balanced", max_iter=5000, random_state=1)
    expected = direct(model, lambda tokens: sp.csr_matrix(one_hot_rows(tokens)), data)
    np.testing.assert_allclose(onehot.scores[:, 0], expected, rtol=1e-6, atol=1e-9)


def regression_dataset(folder, n: int = 500, length: int = 20) -> dict:
    """Random DNA whose target adds a weight per (position, letter), plus a little noise."""
    rng = np.random.default_rng(4)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    weights = rng.normal(size=(length, 4))
    target = weights[np.arange(length)[None, :], tokens - 1].sum(axis=1) + rng.normal(0, 0.3, n)
    meta = {"label_columns": ["y"], "classes": {}, "vocabulary": "ACGT"}
    return item_dataset(folder, {"y": target}, meta, {"tokens": tokens})


def test_onehot_ridge_recovers_a_positional_target_and_equals_scikit_learn(tmp_path):
    files = regression_dataset(tmp_path)
    data = load_items(
        "sequences",
        "regression",
        files,
        inputs_path=files["tokens"],
        split_path=files["split"],
        unit="holdout",
    )
    fitted = fit_baseline("onehot_ridge", data, 1, 1, {}, DNA)
    assert r2_score(truth_of(data).ravel(), fitted.scores.ravel()) > 0.9
    expected = direct(
        Ridge(alpha=fitted.chosen["alpha"]), lambda t: sp.csr_matrix(one_hot_rows(t)), data, "value"
    )
    np.testing.assert_allclose(fitted.scores.ravel(), expected, rtol=1e-6, atol=1e-9)
    kmers = fit_baseline("ridge", data, 1, 1, {}, DNA)
    assert r2_score(truth_of(data).ravel(), kmers.scores.ravel()) < 0.5


# ---------------------------------------------------------------------- gapped k-mer linear model


def gapped_motif_dataset(folder, n: int = 1000, length: int = 40) -> dict:
    """'yes' sequences carry A.C.G.T (letters at offsets 0, 2, 4, 6; random letters between)."""
    files = motif_dataset(folder, n=n, length=length, seed=6)
    rng = np.random.default_rng(6)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    labels = pd.read_csv(files["ids"], sep="\t")["label"].to_numpy()
    for row in np.flatnonzero(labels == "yes"):
        start = rng.integers(0, length - 7)
        tokens[row, start + np.array([0, 2, 4, 6])] = [1, 2, 3, 4]
    save_array(files["tokens"], tokens)
    return files


def test_gkm_logistic_finds_a_gapped_motif_and_equals_scikit_learn(tmp_path):
    files = gapped_motif_dataset(tmp_path)
    data = load(files)
    fitted = fit_baseline("gkm_logistic", data, 1, 1, {}, DNA)
    assert fitted.chosen["k"] == 4 and fitted.chosen["span"] == 8
    assert auc(fitted, data) > 0.75
    assert auc(fitted, data) > auc(fit_baseline("logistic", data, 1, 1, {}, DNA), data) + 0.05
    model = LogisticRegression(C=fitted.chosen["C"], class_weight="balanced", max_iter=5000, random_state=1)
    expected = direct(model, lambda tokens: frequencies_of(gapped_kmer_counts(tokens, 4, 8, 4)), data)
    np.testing.assert_allclose(fitted.scores[:, 0], expected, rtol=1e-6, atol=1e-9)


def test_kmer_logistic_chooses_k_on_validation_from_a_range(tmp_path):
    files = motif_dataset(tmp_path, n=400, length=40)
    data = load(files)
    fitted = fit_baseline("logistic", data, 1, 1, {"k": [2, 3, 5]}, DNA)
    assert fitted.chosen["k"] in (2, 3, 4, 5)  # the configured k is always a candidate
    model = LogisticRegression(C=fitted.chosen["C"], class_weight="balanced", max_iter=5000, random_state=1)
    expected = direct(model, lambda tokens: frequencies_of(kmer_counts(tokens, fitted.chosen["k"], 4)), data)
    np.testing.assert_allclose(fitted.scores[:, 0], expected, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- gradient-boosted trees


def test_boosted_trees_on_kmer_profiles_equal_scikit_learn(tmp_path):
    files = motif_dataset(tmp_path, n=600, length=40)
    data = load(files)
    fitted = fit_baseline("boosted_trees", data, 1, 1, {"max_iter": 60, "min_samples_leaf": 10}, DNA)
    assert auc(fitted, data) > 0.85
    model = HistGradientBoostingClassifier(
        learning_rate=fitted.chosen["learning_rate"],
        max_iter=60,
        min_samples_leaf=10,
        early_stopping=False,
        class_weight="balanced",
        random_state=1,
    )
    expected = direct(model, lambda tokens: frequencies_of(kmer_counts(tokens, 4, 4)).toarray(), data)
    np.testing.assert_allclose(fitted.scores[:, 0], expected, rtol=1e-6, atol=1e-9)


def test_boosted_trees_forecast_every_gene_from_its_own_window(tmp_path):
    data, _ = forecasting_data(tmp_path)
    fitted = fit_baseline("boosted_trees", data, 1, 1, {"max_iter": 50, "min_samples_leaf": 10})
    x_test, truth = arrays(data, "test")
    persistence = np.repeat(x_test[:, -1:, :], 3, axis=1)
    assert np.mean((fitted.scores - truth) ** 2) < 0.5 * np.mean((persistence - truth) ** 2)
    (x_train, y_train) = arrays(data, "train")
    rows = lambda values: values.transpose(0, 2, 1).reshape(-1, values.shape[1])  # noqa: E731
    expected = np.zeros_like(fitted.scores)
    for step in range(3):
        model = HistGradientBoostingRegressor(
            learning_rate=fitted.chosen["learning_rate"],
            max_iter=50,
            min_samples_leaf=10,
            early_stopping=False,
            random_state=1,
        )
        model.fit(rows(x_train), y_train[:, step, :].reshape(-1))
        expected[:, step, :] = model.predict(rows(x_test)).reshape(len(x_test), -1)
    np.testing.assert_allclose(fitted.scores, expected, rtol=1e-6, atol=1e-9)


def test_boosted_trees_learn_residue_classes_from_windows(tmp_path):
    rng = np.random.default_rng(2)
    n, length = 150, 30
    tokens = rng.integers(1, 21, size=(n, length)).astype(np.uint8)
    left = np.pad(tokens, ((0, 0), (1, 0)))[:, :-1]
    positions = np.where((tokens <= 10) & (left <= 10) & (left > 0), 1, 2).astype(np.uint8)
    meta = {"position_classes": "HC", "vocabulary": "ACDEFGHIKLMNPQRSTVWY"}
    files = item_dataset(tmp_path, {}, meta, {"tokens": tokens, "positions": positions})
    data = load_items(
        "sequences",
        "per_position",
        files,
        inputs_path=files["tokens"],
        split_path=files["split"],
        unit="holdout",
    )
    fitted = fit_baseline("boosted_trees", data, 1, 1, {"window": 2, "max_iter": 60})
    partition = PARTITION_CYCLE[np.arange(n) % 10]
    truth = positions[partition == "test"]
    assert accuracy_score(truth.ravel(), fitted.scores.reshape(-1, 2).argmax(axis=1) + 1) > 0.95


# ---------------------------------------------------------------------- expression and series


def vector_dataset(folder, n: int = 240, genes: int = 60) -> dict:
    """Standardised expression where three genes carry the class."""
    rng = np.random.default_rng(8)
    labels = np.where(np.arange(n) % 2 == 0, "A", "B")
    values = rng.normal(size=(n, genes)).astype(np.float32)
    values[labels == "B", :3] += 2.0
    meta = {"label_columns": ["label"], "classes": {"label": ["A", "B"]}}
    return item_dataset(folder, {"label": labels}, meta, {"features": values})


def test_elastic_net_selects_the_informative_genes_and_equals_scikit_learn(tmp_path):
    files = vector_dataset(tmp_path)
    data = load_items(
        "expression",
        "binary",
        files,
        inputs_path=files["features"],
        split_path=files["split"],
        unit="holdout",
    )
    fitted = fit_baseline("elastic_net", data, 1, 1, {})
    assert auc(fitted, data) > 0.9
    assert set(fitted.chosen) == {"C", "l1_ratio"}
    model = LogisticRegression(
        C=fitted.chosen["C"],
        l1_ratio=fitted.chosen["l1_ratio"],
        solver="saga",
        class_weight="balanced",
        max_iter=5000,
        random_state=1,
    )
    np.testing.assert_allclose(fitted.scores[:, 0], direct(model, lambda x: x, data), rtol=1e-6, atol=1e-9)


def phase_dataset(folder, n: int = 300, times: int = 20) -> dict:
    """Two genes oscillating over two whole periods, at one of two phases ('early', 'late').

    Mean, sd, min, max, slope and lag-1 autocorrelation of the noise-free curves are equal in
    both classes; only the timing of the peaks differs.
    """
    rng = np.random.default_rng(11)
    labels = np.where(np.arange(n) % 2 == 0, "early", "late")
    t = np.arange(times) * 2 * np.pi / 10
    # the second phase mirrors the first about the slope's own phase: the slopes are equal too
    slope_phase = np.arctan2(np.sum(np.arange(times) * np.sin(t)), np.sum(np.arange(times) * np.cos(t)))
    phase = np.where(labels == "early", np.pi / 3, np.pi - np.pi / 3 - 2 * slope_phase)
    amplitude = rng.uniform(0.5, 2.0, size=(n, 1, 2))
    curves = amplitude * np.sin(t[None, :, None] + phase[:, None, None])
    values = curves + rng.normal(0, 0.3, (n, times, 2))
    meta = {"label_columns": ["label"], "classes": {"label": ["early", "late"]}}
    return item_dataset(folder, {"label": labels}, meta, {"values": values.astype(np.float32)})


@pytest.mark.parametrize("method", ["logistic", "random_forest", "boosted_trees"])
def test_raw_series_baselines_see_the_timing_that_summaries_lose(tmp_path, method):
    files = phase_dataset(tmp_path)
    data = load_items(
        "timecourse",
        "series_classification",
        files,
        inputs_path=files["values"],
        split_path=files["split"],
        unit="holdout",
    )
    hparams = (
        {"n_estimators": 100}
        if method == "random_forest"
        else {"max_iter": 60}
        if method == "boosted_trees"
        else {}
    )
    raw = fit_baseline(method, data, 1, 1, hparams)
    summary = fit_baseline("summary_logistic", data, 1, 1, {})
    truth = truth_of(data)
    assert balanced_accuracy_score(truth, raw.scores.argmax(axis=1)) > 0.9
    assert balanced_accuracy_score(truth, summary.scores.argmax(axis=1)) < 0.7
    if method == "logistic":
        model = LogisticRegression(C=raw.chosen["C"], class_weight="balanced", max_iter=5000, random_state=1)
        expected = direct(model, lambda x: x.reshape(len(x), -1), data)
        np.testing.assert_allclose(raw.scores[:, 1], expected, rtol=1e-6, atol=1e-9)


def test_boosted_trees_split_a_small_cohort(tmp_path):
    """With scikit-learn's 20-row leaves, 24 training samples could not be split: a constant, AUC 0.5."""
    files = vector_dataset(tmp_path, n=40, genes=200)
    data = load_items(
        "expression",
        "binary",
        files,
        inputs_path=files["features"],
        split_path=files["split"],
        unit="holdout",
    )
    fitted = fit_baseline("boosted_trees", data, 1, 1, {"max_iter": 50})
    assert np.ptp(fitted.scores) > 0.1
    assert auc(fitted, data) > 0.8


def test_the_leaf_size_rule_of_the_boosted_trees_leaves_the_random_forest_alone(tmp_path, monkeypatch):
    import sklearn.ensemble

    seen = {}
    original = sklearn.ensemble.RandomForestClassifier

    def recording(**settings):
        seen.update(settings)
        return original(**settings)

    monkeypatch.setattr(sklearn.ensemble, "RandomForestClassifier", recording)
    files = vector_dataset(tmp_path, n=40, genes=20)
    data = load_items(
        "expression",
        "binary",
        files,
        inputs_path=files["features"],
        split_path=files["split"],
        unit="holdout",
    )
    fit_baseline("random_forest", data, 1, 1, {"n_estimators": 10})
    assert seen["min_samples_leaf"] == 1
