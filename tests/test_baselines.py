"""Classical baselines on the deep models' partitions: features, fits with known answers, and honesty."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from biodl.baselines.methods import Letters, fit_baseline, residue_windows, series_summaries
from biodl.baselines.runs import baseline_run
from biodl.data.encode import kmer_counts
from biodl.data.split import assign_folds, fold_table
from biodl.data.units import unit_names
from biodl.evaluate.compare import fold_test_train_ratios, summarise
from biodl.io.outputs import load_estimators, save_array, save_json
from biodl.train.loaders import Partition, load_items, load_windows
from conftest import item_dataset
from scipy import stats
from sklearn.metrics import accuracy_score, roc_auc_score
from test_training import load, motif_dataset

LETTERS = Letters(alphabet_size=4, kmer_k=4)


def binary_auc(fitted, data) -> float:
    truth = data.partitions["test"].truth(np.arange(len(data.partitions["test"])))
    return roc_auc_score(truth, fitted.scores[:, 0])


def test_residue_windows_one_hot_the_neighbours_of_each_labelled_position():
    tokens = np.array([[1, 2, 3, 0], [4, 4, 0, 0]], dtype=np.uint8)
    windows = residue_windows(tokens, tokens > 0, window=1, vocabulary=4).toarray()
    assert windows.shape == (5, 12)  # five residues, 3 offsets × 4 letters
    # first residue of the first sequence: nothing on the left, itself (1), right neighbour (2)
    assert np.flatnonzero(windows[0]).tolist() == [4 + 0, 8 + 1]
    # last residue of the first sequence: left (2), itself (3), padding on the right
    assert np.flatnonzero(windows[2]).tolist() == [0 + 1, 4 + 2]
    # second sequence, second residue: left 4, itself 4, padding
    assert np.flatnonzero(windows[4]).tolist() == [3, 4 + 3]


def test_series_summaries_match_numpy_and_scipy():
    rng = np.random.default_rng(0)
    cube = rng.normal(size=(3, 12, 2))
    partition = Partition(["a", "b", "c"], lambda rows: (cube[rows], np.zeros(len(rows))), lambda rows: rows)
    summaries = series_summaries(partition)
    assert summaries.shape == (3, 12)
    series, gene = 1, 1
    values = cube[series, :, gene]
    time = np.arange(12)
    expected_slope = stats.linregress((time - time.mean()) / time.std(), values).slope
    centred = values - values.mean()
    expected_lag1 = np.mean(centred[1:] * centred[:-1]) / values.var()
    assert summaries[series, [1, 3, 5, 7, 9, 11]] == pytest.approx(
        [values.mean(), values.std(), values.min(), values.max(), expected_slope, expected_lag1]
    )


@pytest.mark.parametrize("method", ["logistic", "random_forest"])
def test_kmer_baselines_find_a_planted_motif(tmp_path, method):
    files = motif_dataset(tmp_path, n=600, length=40)
    data = load(files)
    fitted = fit_baseline(
        method, data, 1, 1, {"n_estimators": 100} if method == "random_forest" else {}, LETTERS
    )
    assert binary_auc(fitted, data) > 0.85


def test_shuffled_label_control_stays_at_chance(tmp_path):
    files = motif_dataset(tmp_path, n=600, length=40)
    data = load(files)
    fitted = fit_baseline("shuffled_labels", data, 1, 1, {}, LETTERS)
    assert abs(binary_auc(fitted, data) - 0.5) < 0.12


SEQUENCE_METHODS = ["logistic", "onehot_logistic", "gkm_logistic", "boosted_trees", "shuffled_labels"]


@pytest.mark.parametrize("method", SEQUENCE_METHODS)
def test_settings_are_chosen_on_validation_never_on_test(tmp_path, method):
    """Flipping every test label and scrambling every test sequence changes nothing that was chosen."""
    files = motif_dataset(tmp_path, n=400, length=40)
    hparams = {"max_iter": 30} if method == "boosted_trees" else {}
    first = fit_baseline(method, load(files), 1, 1, hparams, LETTERS)
    index = pd.read_csv(files["ids"], sep="\t")
    test = pd.read_csv(files["split"], sep="\t")["partition"].eq("test").to_numpy()
    index.loc[test, "label"] = np.where(index.loc[test, "label"] == "yes", "no", "yes")
    index.to_csv(files["ids"], sep="\t", index=False)
    tokens = np.load(files["tokens"])
    tokens[test] = np.random.default_rng(9).integers(1, 5, size=tokens[test].shape)
    save_array(files["tokens"], tokens)
    second = fit_baseline(method, load(files), 1, 1, hparams, LETTERS)
    assert second.chosen == first.chosen and second.valid_loss == first.valid_loss
    assert len(first.chosen) >= 1
    from biodl.baselines.methods import GRIDS, feature_sets

    base = "logistic" if method == "shuffled_labels" else method  # the control fits a logistic
    grid = int(np.prod([len(values) for values in GRIDS.get(base, {}).values()]))
    features = feature_sets(method, load(files).spec, LETTERS, hparams)
    assert first.tried == grid * len(features)  # its tuning budget: every setting of every feature set


def test_window_logistic_learns_residue_classes(tmp_path):
    rng = np.random.default_rng(2)
    n, length = 200, 30
    tokens = rng.integers(1, 21, size=(n, length)).astype(np.uint8)
    lengths = rng.integers(15, length + 1, size=n)
    tokens[np.arange(length)[None, :] >= lengths[:, None]] = 0
    # class of a residue: H when it and its left neighbour are in the first half of the alphabet
    left = np.pad(tokens, ((0, 0), (1, 0)))[:, :-1]
    helix = (tokens <= 10) & (tokens > 0) & (left <= 10)
    positions = np.where(tokens == 0, 0, np.where(helix, 1, 2)).astype(np.uint8)
    folder = tmp_path
    ids = [f"p{i}" for i in range(n)]
    pd.DataFrame({"id": ids}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    save_array(folder / "tokens.npy", tokens)
    save_array(folder / "positions.npy", positions)
    save_json(folder / "meta.json", {"position_classes": "HC", "vocabulary": "ACDEFGHIKLMNPQRSTVWY"})
    partition = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)[np.arange(n) % 10]
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(folder / "split.tsv", sep="\t", index=False)
    files = {"ids": folder / "ids.tsv", "meta": folder / "meta.json", "positions": folder / "positions.npy"}
    data = load_items(
        "sequences",
        "per_position",
        files,
        inputs_path=folder / "tokens.npy",
        split_path=folder / "split.tsv",
        unit="holdout",
    )
    fitted = fit_baseline("window_logistic", data, 1, 1, {"window": 2})
    test_positions = positions[partition == "test"]
    labelled = test_positions > 0
    assert fitted.scores.shape == (*test_positions.shape, 2)
    predicted = fitted.scores[labelled].argmax(axis=1) + 1
    assert accuracy_score(test_positions[labelled], predicted) > 0.95
    assert np.all(fitted.scores[~labelled] == 0)


def forecasting_data(folder, n_times: int = 200):
    """Two noisy oscillators in one series, split by time into train / valid / test."""
    rng = np.random.default_rng(3)
    time = np.arange(n_times)
    values = np.stack([np.sin(time / 5), np.cos(time / 7)], axis=1) + rng.normal(0, 0.05, (n_times, 2))
    save_array(folder / "values.npy", values[None].astype(np.float32))
    pd.DataFrame({"id": ["s0"]}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    pd.DataFrame({"time": time}).to_csv(folder / "times.tsv", sep="\t", index=False)
    pd.DataFrame({"gene": ["g1", "g2"]}).to_csv(folder / "genes.tsv", sep="\t", index=False)
    partition = np.where(time < 120, "train", np.where(time < 150, "valid", "test"))
    pd.DataFrame({"id": [str(t) for t in time], "partition": partition}).to_csv(
        folder / "split.tsv", sep="\t", index=False
    )
    files = {"ids": folder / "ids.tsv", "times": folder / "times.tsv", "genes": folder / "genes.tsv"}
    return load_windows(
        files,
        folder / "values.npy",
        split_path=folder / "split.tsv",
        unit="holdout",
        split_by="time",
        lookback=10,
        horizon=3,
    ), values


def test_forecast_baselines(tmp_path):
    data, _ = forecasting_data(tmp_path)
    test = data.partitions["test"]
    inputs, truth = test.gather(np.arange(len(test)))
    persistence = fit_baseline("persistence", data, 1, 1, {}).scores
    assert np.array_equal(persistence, np.repeat(inputs[:, -1:, :], 3, axis=1))
    train = data.partitions["train"]
    train_truth = train.truth(np.arange(len(train)))
    mean = fit_baseline("training_mean", data, 1, 1, {}).scores
    assert mean[0] == pytest.approx(train_truth.mean(axis=0))
    ridge = fit_baseline("ridge_ar", data, 1, 1, {}).scores
    assert np.mean((ridge - truth) ** 2) < 0.5 * np.mean((persistence - truth) ** 2)


def test_baseline_run_writes_the_prediction_format_identically_twice(tmp_path):
    files = motif_dataset(tmp_path / "data", n=300, length=30)
    inputs = {**files, "inputs": files["tokens"]}
    outputs = []
    for attempt in ("a", "b"):
        out = {
            name: tmp_path / attempt / file
            for name, file in (
                ("predictions", "predictions.tsv"),
                ("estimator", "model.skops"),
                ("run", "run.json"),
            )
        }
        baseline_run(
            files=inputs,
            outputs=out,
            unit="holdout",
            seed=1,
            threads=1,
            kind="sequences",
            task="binary",
            method="logistic",
            hparams={},
        )
        outputs.append([path.read_bytes() for path in out.values()])
    assert outputs[0] == outputs[1]  # the saved estimators too, byte for byte
    table = pd.read_csv(tmp_path / "a" / "predictions.tsv", sep="\t")
    assert table.columns.tolist() == ["id", "truth", "score:no", "score:yes"]
    assert len(table) == 60
    assert table.filter(like="score:").sum(axis=1).to_numpy() == pytest.approx(1.0)
    run = json.loads((tmp_path / "a" / "run.json").read_text())
    assert run["method"] == "logistic" and set(run["chosen"]) == {"C", "k"}
    saved = load_estimators(tmp_path / "a" / "model.skops")
    assert type(saved["scaler"]).__name__ == "StandardScaler"
    assert run["chosen"]["C"] == saved["estimator"].C


def test_univariate_windows_are_the_genes_of_the_multivariate_ones(tmp_path):
    from biodl.train.predict import prediction_table

    multivariate, _ = forecasting_data(tmp_path)
    files = {"ids": tmp_path / "ids.tsv", "times": tmp_path / "times.tsv", "genes": tmp_path / "genes.tsv"}
    univariate = load_windows(
        files,
        tmp_path / "values.npy",
        split_path=tmp_path / "split.tsv",
        unit="holdout",
        split_by="time",
        lookback=10,
        horizon=3,
        univariate=True,
    )
    test_multi, test_uni = multivariate.partitions["test"], univariate.partitions["test"]
    assert len(test_uni) == 2 * len(test_multi) and univariate.spec.shape == (10, 1)
    inputs_multi, _ = test_multi.gather(np.arange(len(test_multi)))
    inputs_uni, _ = test_uni.gather(np.arange(len(test_uni)))
    second_gene = np.flatnonzero(np.asarray(test_uni.genes) == "g2")
    assert np.array_equal(inputs_uni[second_gene, :, 0], inputs_multi[:, :, 1])
    tables = [
        prediction_table(data, data.partitions["test"], fit_baseline("persistence", data, 1, 1, {}).scores)
        for data in (multivariate, univariate)
    ]
    keys = ["id", "step", "gene"]
    merged = tables[0].merge(tables[1], on=keys, suffixes=("_multi", "_uni"), validate="one_to_one")
    assert len(merged) == len(tables[0]) == len(tables[1])
    assert np.array_equal(merged["pred_multi"], merged["pred_uni"])
    assert np.array_equal(merged["truth_multi"], merged["truth_uni"])


def test_shuffled_label_control_is_at_chance_over_the_units_of_a_class_sorted_file(tmp_path):
    """Every unit draws its own permutation: on a file sorted by class the control averages to chance."""
    files = motif_dataset(tmp_path, n=400, length=40, seed=0)
    index = pd.read_csv(files["ids"], sep="\t")
    order = np.argsort(index["label"].to_numpy(), kind="stable")  # every 'no', then every 'yes'
    index.iloc[order].to_csv(files["ids"], sep="\t", index=False)
    save_array(files["tokens"], np.load(files["tokens"])[order])
    sorted_ids = index["id"].to_numpy()[order]
    strata = index["label"].to_numpy()[order]
    assignments = [assign_folds(strata, np.arange(len(order)), 5, seed) for seed in range(3)]
    fold_table(pd.Series(sorted_ids), assignments).to_csv(files["split"], sep="\t", index=False)
    rows = []
    for unit in unit_names(5, 3):
        data = load_items(
            "sequences", "binary", files, inputs_path=files["tokens"], split_path=files["split"], unit=unit
        )
        fitted = fit_baseline("shuffled_labels", data, 1, 1, {}, LETTERS, unit)
        rows.append({"unit": unit, "seed": 1, "value": binary_auc(fitted, data)})
    tidy = pd.DataFrame(rows).assign(model="shuffled", role="control", metric="roc_auc", ci_low=0, ci_high=1)
    summary = summarise(tidy, fold_test_train_ratios(files["split"], set(tidy["unit"]))).iloc[0]
    assert abs(summary["mean"] - 0.5) <= 0.05
    assert summary["ci_low"] <= 0.5 <= summary["ci_high"]
    assert tidy["value"].nunique() == len(tidy)


def length_only_dataset(folder, n: int = 400) -> dict:
    """Random DNA whose class is its length (20–30 'short', 40–50 'long'): k-mer frequencies carry nothing."""
    rng = np.random.default_rng(5)
    labels = np.where(np.arange(n) % 2 == 0, "short", "long")
    lengths = np.where(labels == "short", rng.integers(20, 31, n), rng.integers(40, 51, n))
    tokens = rng.integers(1, 5, size=(n, 50)).astype(np.uint8)
    tokens[np.arange(50)[None, :] >= lengths[:, None]] = 0
    meta = {"label_columns": ["label"], "classes": {"label": ["long", "short"]}, "vocabulary": "ACGT"}
    return item_dataset(folder, {"label": labels}, meta, {"tokens": tokens})


def kmer_features(tokens: np.ndarray, k: int, log_length: bool) -> sp.csr_matrix:
    """k-mer frequencies computed here, independently of the baselines' code."""
    counts = kmer_counts(tokens, k, 4).astype(np.float64)
    frequencies = sp.diags(1.0 / np.asarray(counts.sum(axis=1)).ravel()) @ counts
    if not log_length:
        return frequencies.tocsr()
    return sp.hstack([frequencies, np.log((tokens != 0).sum(axis=1))[:, None]], format="csr")


def direct_fit(estimator, features, files, label="short"):
    """A scikit-learn estimator fitted on the training rows (scaled on train), scores of the test rows."""
    from sklearn.preprocessing import StandardScaler

    split = pd.read_csv(files["split"], sep="\t")["partition"].to_numpy()
    truth = (pd.read_csv(files["ids"], sep="\t")["label"] == label).astype(int).to_numpy()
    scaler = StandardScaler(with_mean=not sp.issparse(features)).fit(features[split == "train"])
    estimator.fit(scaler.transform(features[split == "train"]), truth[split == "train"])
    return estimator.predict_proba(scaler.transform(features[split == "test"]))[:, 1]


def test_kmer_baselines_see_the_length_when_lengths_vary(tmp_path):
    from sklearn.linear_model import LogisticRegression

    files = length_only_dataset(tmp_path)
    data = load(files)
    fitted = fit_baseline("logistic", data, 1, 1, {}, LETTERS)
    assert binary_auc(fitted, data) > 0.95
    tokens = np.load(files["tokens"])
    setting = fitted.chosen
    model = LogisticRegression(C=setting["C"], class_weight="balanced", max_iter=5000, random_state=1)
    expected = direct_fit(model, kmer_features(tokens, setting["k"], log_length=True), files)
    np.testing.assert_allclose(fitted.scores[:, 0], expected, rtol=1e-6, atol=1e-8)
    # the same model without the length column is at chance: the classes differ only in length
    model = LogisticRegression(C=setting["C"], class_weight="balanced", max_iter=5000, random_state=1)
    without = direct_fit(model, kmer_features(tokens, setting["k"], log_length=False), files)
    truth = data.partitions["test"].truth(np.arange(len(data.partitions["test"])))
    assert abs(roc_auc_score(truth, without) - 0.5) < 0.15


SEARCH = {"trials": 12, "sampler": "tpe", "startup_trials": 4, "seed": 3}


@pytest.mark.parametrize(
    ("method", "space", "hparams"),
    [
        ("logistic", {"C": {"type": "loguniform", "low": 1e-3, "high": 10.0}}, {}),
        (
            "random_forest",
            {"hparams.min_samples_leaf": {"type": "int", "low": 1, "high": 20}},
            {"n_estimators": 50},
        ),
    ],
)
def test_a_baseline_search_chooses_on_validation_reproducibly_and_never_reads_test(
    tmp_path, method, space, hparams
):
    files = motif_dataset(tmp_path, n=400, length=40)
    search = {**SEARCH, "space": space}
    first = fit_baseline(method, load(files), 1, 1, hparams, LETTERS, search=search)
    again = fit_baseline(method, load(files), 1, 1, hparams, LETTERS, search=search)
    assert first.tried == 12 and first.chosen == again.chosen and first.valid_loss == again.valid_loss
    (name,) = space
    low, high = space[name]["low"], space[name]["high"]
    assert low <= first.chosen[name] <= high
    if method == "logistic":  # the k-mer size is searched too, over the method's range
        assert first.chosen["k"] in (2, 3, 4, 5, 6)
    assert binary_auc(first, load(files)) > 0.8
    test = pd.read_csv(files["split"], sep="\t")["partition"].eq("test").to_numpy()
    tokens = np.load(files["tokens"])
    tokens[test] = np.random.default_rng(9).integers(1, 5, size=tokens[test].shape)
    save_array(files["tokens"], tokens)
    scrambled = fit_baseline(method, load(files), 1, 1, hparams, LETTERS, search=search)
    assert scrambled.chosen == first.chosen and scrambled.valid_loss == first.valid_loss


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        (
            {
                "method": "onehot_logistic",
                "search": {"space": {"alpha": {"type": "float", "low": 0.1, "high": 1}}},
            },
            "baselines.b: search.space.alpha: unknown parameter for method 'onehot_logistic' (allowed: C)",
        ),
        (
            {"method": "logistic", "search": {"space": {"C": {"type": "loguniform", "low": 0, "high": 1}}}},
            "baselines.b: search.space.C: a log scale needs low > 0, not 0",
        ),
        (
            {"method": "shuffled_labels", "search": {"space": {"C": {"type": "float", "low": 1, "high": 2}}}},
            "baselines.b: search: method 'shuffled_labels' has no setting to search",
        ),
    ],
)
def test_a_broken_baseline_search_is_refused_naming_the_key(baseline, message):
    from biodl.errors import InputError
    from biodl.workflow.config import check_config

    dataset = {"kind": "sequences", "task": "binary", "alphabet": "dna", "fasta": "x.fa", "labels": "x.tsv"}
    config = {"results": "r", "models": {}, "baselines": {"b": baseline}, "datasets": {"d": dataset}}
    with pytest.raises(InputError) as error:
        check_config(config)
    assert str(error.value) == f"config: {message}"
