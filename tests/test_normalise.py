"""Normalisation is fitted on the training partition only and applied to every partition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from biodl.data.features import write_expression_features, write_timecourse_features
from biodl.data.normalise import apply_expression, fit_expression
from biodl.io.outputs import save_array


def counts(rng, n=30, genes=8):
    return rng.poisson(lam=rng.uniform(1, 50, size=genes), size=(n, genes)).astype(float)


def test_each_step_matches_a_hand_computation():
    rng = np.random.default_rng(0)
    train = counts(rng)
    genes = [f"g{i}" for i in range(8)]
    params = fit_expression(train, genes, top_genes=3)
    target = np.median(train.sum(axis=1))
    logged = np.log1p(train / train.sum(axis=1, keepdims=True) * target)
    top = np.sort(np.argsort(-logged.var(axis=0))[:3])
    expected = (logged[:, top] - logged[:, top].mean(axis=0)) / logged[:, top].std(axis=0)
    assert params["target_sum"] == target
    assert params["genes"] == [genes[i] for i in top]
    np.testing.assert_allclose(apply_expression(train, params), expected, rtol=1e-5, atol=1e-5)


def expression_features(folder, values: np.ndarray, tag: str, partition: np.ndarray, top_genes=5):
    """write_expression_features on ``values`` with a holdout split given by ``partition``."""
    ids = [f"s{i}" for i in range(len(values))]
    pd.DataFrame({"id": ids}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(folder / "split.tsv", sep="\t", index=False)
    genes = [f"g{i}" for i in range(values.shape[1])]
    pd.DataFrame({"gene": genes}).to_csv(folder / "genes.tsv", sep="\t", index=False)
    save_array(folder / f"m{tag}.npy", values)
    out = {k: folder / f"{k}{tag}" for k in ("f.npy", "g.tsv", "p.json")}
    write_expression_features(
        matrix_path=folder / f"m{tag}.npy",
        genes_path=folder / "genes.tsv",
        index_path=folder / "ids.tsv",
        split_path=folder / "split.tsv",
        unit="holdout",
        features_path=out["f.npy"],
        genes_out=out["g.tsv"],
        params_path=out["p.json"],
        settings={
            "library_size": True,
            "target_sum": None,
            "log1p": True,
            "top_genes": top_genes,
            "zscore": True,
        },
    )
    return np.load(out["f.npy"]), json.loads(out["p.json"].read_text())


def test_parameters_do_not_depend_on_test_samples(tmp_path):
    rng = np.random.default_rng(1)
    values = counts(rng, n=40)
    partition = np.array(["train"] * 24 + ["valid"] * 6 + ["test"] * 10)
    base, params = expression_features(tmp_path, values, "a", partition)
    changed = values.copy()
    changed[partition == "test"] *= 1000
    changed_features, changed_params = expression_features(tmp_path, changed, "b", partition)
    assert params == changed_params
    np.testing.assert_array_equal(base[partition != "test"], changed_features[partition != "test"])
    train = base[partition == "train"]
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert params["fitted_on"] == {"unit": "holdout", "partition": "train", "n_samples": 24}
    assert "impute_median" not in params


def test_missing_values_are_imputed_with_training_medians_only(tmp_path):
    rng = np.random.default_rng(2)
    values = counts(rng, n=40)
    partition = np.array(["train"] * 24 + ["valid"] * 6 + ["test"] * 10)
    values[rng.random(values.shape) < 0.1] = np.nan
    values[:24, 7] = np.nan  # a gene without any training value
    features, params = expression_features(tmp_path, values, "a", partition, top_genes=None)
    expected = np.nanmedian(np.where(np.arange(8) == 7, 0.0, values[:24]), axis=0)
    np.testing.assert_allclose(params["impute_median"], expected)
    assert params["genes_without_training_values"] == 1
    assert np.isfinite(features).all()
    filled = np.where(np.isnan(values), expected[None, :], values)
    np.testing.assert_allclose(features, apply_expression(filled, params), rtol=1e-6)
    changed = values.copy()
    changed[partition == "test"] = np.nan  # the test samples' values never reach the medians
    assert expression_features(tmp_path, changed, "b", partition, top_genes=None)[1] == params


def test_timecourse_zscore_uses_only_the_training_time_range(tmp_path):
    values = np.arange(2 * 10 * 3, dtype=np.float32).reshape(2, 10, 3)
    save_array(tmp_path / "v.npy", values)
    pd.DataFrame({"id": ["a", "b"]}).to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    pd.DataFrame({"time": range(10)}).to_csv(tmp_path / "times.tsv", sep="\t", index=False)
    partition = ["train"] * 6 + ["gap"] * 2 + ["test"] * 2
    pd.DataFrame({"id": range(10), "partition": partition}).to_csv(
        tmp_path / "split.tsv", sep="\t", index=False
    )
    write_timecourse_features(
        values_path=tmp_path / "v.npy",
        index_path=tmp_path / "ids.tsv",
        times_path=tmp_path / "times.tsv",
        split_path=tmp_path / "split.tsv",
        unit="holdout",
        features_path=tmp_path / "f.npy",
        params_path=tmp_path / "p.json",
        split_by="time",
    )
    params = json.loads((tmp_path / "p.json").read_text())
    train = values[:, :6].reshape(-1, 3)
    np.testing.assert_allclose(params["mean"], train.mean(axis=0))
    np.testing.assert_allclose(params["sd"], train.std(axis=0))
    assert params["fitted_on"]["last_train_time"] == 5
