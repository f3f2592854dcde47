"""Normalisation is fitted on the training partition only and applied to every partition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from biodl.features import write_expression_features, write_timecourse_features
from biodl.io.outputs import save_array
from biodl.normalise import apply_expression, fit_expression


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


def test_parameters_do_not_depend_on_test_samples(tmp_path):
    rng = np.random.default_rng(1)
    values = counts(rng, n=40)
    index = pd.DataFrame({"id": [f"s{i}" for i in range(40)]})
    partition = np.array(["train"] * 24 + ["valid"] * 6 + ["test"] * 10)
    index.to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    pd.DataFrame({"id": index["id"], "partition": partition}).to_csv(
        tmp_path / "split.tsv", sep="\t", index=False
    )
    pd.DataFrame({"gene": [f"g{i}" for i in range(8)]}).to_csv(tmp_path / "genes.tsv", sep="\t", index=False)

    def features(matrix, tag):
        save_array(tmp_path / f"m{tag}.npy", matrix)
        out = {k: tmp_path / f"{k}{tag}" for k in ("f.npy", "g.tsv", "p.json")}
        write_expression_features(
            tmp_path / f"m{tag}.npy",
            tmp_path / "genes.tsv",
            tmp_path / "ids.tsv",
            tmp_path / "split.tsv",
            "holdout",
            out["f.npy"],
            out["g.tsv"],
            out["p.json"],
            {"library_size": True, "target_sum": None, "log1p": True, "top_genes": 5, "zscore": True},
        )
        return np.load(out["f.npy"]), json.loads(out["p.json"].read_text())

    base, params = features(values, "a")
    changed = values.copy()
    changed[partition == "test"] *= 1000
    changed_features, changed_params = features(changed, "b")
    assert params == changed_params
    np.testing.assert_array_equal(base[partition != "test"], changed_features[partition != "test"])
    train = base[partition == "train"]
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert params["fitted_on"] == {"unit": "holdout", "partition": "train", "n_samples": 24}


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
        tmp_path / "v.npy",
        tmp_path / "ids.tsv",
        tmp_path / "times.tsv",
        tmp_path / "split.tsv",
        "holdout",
        tmp_path / "f.npy",
        tmp_path / "p.json",
        "time",
    )
    params = json.loads((tmp_path / "p.json").read_text())
    train = values[:, :6].reshape(-1, 3)
    np.testing.assert_allclose(params["mean"], train.mean(axis=0))
    np.testing.assert_allclose(params["sd"], train.std(axis=0))
    assert params["fitted_on"]["last_train_time"] == 5
