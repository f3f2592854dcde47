"""Splits: no shared id, group or near-duplicate across partitions; stratified; gaps in time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from biodl.alphabets import DNA
from biodl.errors import InputError
from biodl.homology import homology_groups
from biodl.io.outputs import save_array
from biodl.split import (
    fold_count_for,
    holdout_partitions,
    read_partitions,
    split_units,
    time_partitions,
    write_split,
)
from biodl.units import parse_unit, unit_names
from conftest import write

SETTINGS = {"valid": 0.1, "test": 0.2, "folds": None, "stratify": True, "seed": 0, "by": "items"}


def random_dna(rng, n, length):
    return rng.integers(1, 5, size=(n, length)).astype(np.uint8)


def mutated(rng, row, rate):
    copy = row.copy()
    hits = rng.random(len(copy)) < rate
    copy[hits] = (copy[hits] % 4) + 1
    return copy


def run_split(tmp_path, index, settings, tokens=None, task="binary", columns=("label",)):
    index_path = tmp_path / "ids.tsv"
    index.to_csv(index_path, sep="\t", index=False)
    tokens_path = None
    if tokens is not None:
        tokens_path = tmp_path / "tokens.npy"
        save_array(tokens_path, tokens)
    paths = {name: tmp_path / f"{name}.out" for name in ("split", "balance", "report")}
    write_split(
        index_path,
        paths["split"],
        paths["balance"],
        paths["report"],
        task,
        list(columns),
        {**SETTINGS, **settings},
        "labels.tsv",
        tokens_path,
        "ACGT",
        4,
    )
    return (
        pd.read_csv(paths["split"], sep="\t", dtype={"id": str}),
        json.loads(paths["report"].read_text()),
        pd.read_csv(paths["balance"], sep="\t"),
    )


def test_holdout_fractions_and_stratification(tmp_path):
    labels = np.array(["a"] * 300 + ["b"] * 100)
    index = pd.DataFrame({"id": [f"r{i}" for i in range(400)], "label": labels})
    split, report, balance = run_split(tmp_path, index, {})
    assert report["sizes"] == {"test": 80, "train": 280, "valid": 40}
    assert split["id"].is_unique and len(split) == 400
    shares = balance[balance["label"] == "b"].set_index("partition")["fraction"]
    assert np.allclose(shares.to_numpy(), 0.25, atol=0.02)


def test_groups_never_cross_partitions(tmp_path):
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 60, size=500).astype(str)
    labels = np.where(rng.random(500) < 0.5, "x", "y")
    index = pd.DataFrame({"id": [f"r{i}" for i in range(500)], "label": labels, "group": groups})
    split, report, _ = run_split(tmp_path, index, {})
    joined = index.assign(partition=split["partition"])
    assert (joined.groupby("group")["partition"].nunique() == 1).all()
    assert report["groups_across_partitions"] == 0


def test_split_keeps_near_duplicates_together(tmp_path):
    rng = np.random.default_rng(4)
    base = random_dna(rng, 200, 150)
    copies = np.stack([mutated(rng, base[i], 0.04) for i in range(0, 200, 4)])
    exact = base[1:20:2]
    tokens = np.concatenate([base, copies, exact])
    n = len(tokens)
    index = pd.DataFrame({"id": [f"s{i}" for i in range(n)], "label": np.where(np.arange(n) % 2, "p", "q")})
    split, report, _ = run_split(tmp_path, index, {"homology": {"identity": 0.9, "kmer": 8}}, tokens)
    partition = split["partition"].to_numpy()
    for k, source in enumerate(range(0, 200, 4)):
        assert partition[200 + k] == partition[source]
    for k, source in enumerate(range(1, 20, 2)):
        assert partition[250 + k] == partition[source]
    closest = report["homology"]["max_identity_across_partitions"]
    assert closest is None or closest < 0.9
    assert report["homology"]["candidate_identity_floor"] < 0.9
    assert report["groups_across_partitions"] == 0
    assert report["groups"] == 200


def test_homology_identity_uses_the_shorter_sequence():
    rng = np.random.default_rng(5)
    parent = random_dna(rng, 1, 120)[0]
    fragment = np.zeros(120, np.uint8)
    fragment[:60] = parent[30:90]
    other = random_dna(rng, 1, 120)[0]
    result = homology_groups(np.stack([parent, fragment, other]), DNA.letters, 0.9, 6, 4)
    assert result.groups[0] == result.groups[1] != result.groups[2]
    assert result.identities[(result.pairs == [0, 1]).all(axis=1)][0] == pytest.approx(1.0)


def test_kfold_assigns_every_item_once_and_rotates_valid(tmp_path):
    index = pd.DataFrame({"id": [f"r{i}" for i in range(100)], "label": ["a", "b"] * 50})
    split, report, _ = run_split(tmp_path, index, {"folds": 5})
    assert sorted(split["fold"].unique()) == [0, 1, 2, 3, 4]
    assert set(report["sizes"].values()) == {20}
    path = tmp_path / "split.out"
    assert split_units(path) == [f"fold{k}" for k in range(5)]
    units = [read_partitions(path, u).set_index("id")["partition"] for u in split_units(path)]
    tested = pd.concat([u[u == "test"] for u in units])
    assert sorted(tested.index) == sorted(index["id"])
    assert (units[0][split.set_index("id")["fold"] == 1] == "valid").all()


def test_repeated_kfold_tests_every_item_once_per_repeat_with_new_folds(tmp_path):
    index = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(60)],
            "label": ["a", "b", "b"] * 20,
            "group": [f"g{i // 2}" for i in range(60)],
        }
    )
    split, report, _ = run_split(tmp_path, index, {"folds": 4, "repeats": 3})
    path = tmp_path / "split.out"
    assert list(split.columns) == ["id", "repeat", "fold"]
    assert split_units(path) == [f"r{r}fold{k}" for r in range(3) for k in range(4)]
    assert report["method"] == "repeated k-fold" and report["groups_across_partitions"] == 0
    assignments = split.pivot(index="id", columns="repeat", values="fold")
    assert (assignments[0] != assignments[1]).any() and (assignments[1] != assignments[2]).any()
    for repeat in range(3):
        units = [read_partitions(path, f"r{repeat}fold{k}").set_index("id")["partition"] for k in range(4)]
        tested = pd.concat([u[u == "test"] for u in units])
        assert sorted(tested.index) == sorted(index["id"])
        groups = index.set_index("id")["group"]
        assert (groups.groupby(assignments[repeat]).nunique().sum()) == groups.nunique()
    r2fold1 = read_partitions(path, "r2fold1").set_index("id")["partition"]
    assert (r2fold1[assignments[2] == 1] == "test").all() and (r2fold1[assignments[2] == 2] == "valid").all()
    assert len(r2fold1) == 60


def test_given_split_keeps_test_and_draws_valid_from_train_only(tmp_path):
    given = ["test" if i % 10 == 0 else "train" for i in range(200)]
    index = pd.DataFrame(
        {"id": [f"r{i}" for i in range(200)], "label": ["a", "a", "b", "b"] * 50, "given_partition": given}
    )
    split, report, _ = run_split(tmp_path, index, {"column": "package_split", "valid": 0.1})
    partition = split.set_index("id")["partition"]
    assert (partition[index["given_partition"].to_numpy() == "test"] == "test").all()
    assert (partition == "test").sum() == 20 and (partition == "valid").sum() == 18
    assert report["method"] == "given (column 'package_split')"
    again, _, _ = run_split(tmp_path, index, {"column": "package_split", "valid": 0.1})
    assert again.equals(split)


def test_given_split_rejects_an_unknown_partition(tmp_path):
    index = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "label": ["x", "y"] * 2,
            "given_partition": ["train", "test", "tset", "train"],
        }
    )
    with pytest.raises(InputError) as error:
        run_split(tmp_path, index, {"column": "fold_name", "stratify": False})
    assert str(error.value) == (
        "labels.tsv: id 'c': split column 'fold_name' holds 'tset' (allowed: train, valid, test)"
    )


def test_unit_names_and_their_parts():
    assert unit_names(None) == ["holdout"]
    assert unit_names(3) == ["fold0", "fold1", "fold2"]
    assert unit_names(2, 2) == ["r0fold0", "r0fold1", "r1fold0", "r1fold1"]
    assert parse_unit("r12fold3") == (12, 3) and parse_unit("fold4") == (0, 4)
    with pytest.raises(ValueError, match="not a fold unit: 'holdout'"):
        parse_unit("holdout")


def test_split_is_identical_on_rerun_and_changes_with_seed(tmp_path):
    index = pd.DataFrame({"id": [f"r{i}" for i in range(200)], "label": ["a", "b"] * 100})
    first, _, _ = run_split(tmp_path, index, {"seed": 1})
    second, _, _ = run_split(tmp_path, index, {"seed": 1})
    other, _, _ = run_split(tmp_path, index, {"seed": 2})
    pd.testing.assert_frame_equal(first, second)
    assert not first.equals(other)


def test_class_too_small_for_the_split(tmp_path):
    index = pd.DataFrame({"id": [f"r{i}" for i in range(22)], "label": ["a"] * 20 + ["rare"] * 2})
    with pytest.raises(InputError) as error:
        run_split(tmp_path, index, {})
    assert str(error.value) == (
        "labels.tsv: class 'rare' of column 'label' has 2 records; "
        "a stratified train/valid/test split needs at least 3"
    )
    assert not (tmp_path / "split.out").exists()
    index = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(25)],
            "label": ["a"] * 20 + ["rare"] * 5,
            "group": [f"g{i % 10}" for i in range(20)] + ["h0", "h0", "h0", "h1", "h1"],
        }
    )
    with pytest.raises(InputError, match="class 'rare' of column 'label' has 5 records in 2 groups"):
        run_split(tmp_path, index, {"folds": 3})


def test_regression_and_multilabel_are_stratified_without_error(tmp_path):
    rng = np.random.default_rng(6)
    index = pd.DataFrame({"id": [f"r{i}" for i in range(100)], "score": rng.normal(size=100)})
    split, _, balance = run_split(tmp_path, index, {}, task="regression", columns=("score",))
    assert balance.set_index("partition")["n"].to_dict() == {"test": 20, "train": 70, "valid": 10}
    index = pd.DataFrame(
        {"id": [f"r{i}" for i in range(100)], "m1": rng.integers(0, 2, 100), "m2": rng.integers(0, 2, 100)}
    )
    split, _, _ = run_split(tmp_path, index, {}, task="multilabel", columns=("m1", "m2"))
    assert split["partition"].value_counts().to_dict() == {"train": 70, "test": 20, "valid": 10}


def test_fold_count_for_fractions():
    assert fold_count_for(0.1, 0.2) == 10
    assert fold_count_for(0.15, 0.15) == 20
    assert fold_count_for(0.25, 0.25) == 4
    parts = holdout_partitions(np.zeros(40, str), np.arange(40), 0.25, 0.25, 0)
    assert (parts == "test").sum() == 10 and (parts == "valid").sum() == 10


def test_time_split_leaves_lookback_plus_horizon_between_partitions():
    parts = time_partitions(100, valid=0.1, test=0.2, lookback=8, horizon=2)
    assert "".join(p[0] for p in parts) == "t" * 50 + "g" * 10 + "v" * 10 + "g" * 10 + "t" * 20
    train_end = np.flatnonzero(parts == "train").max()
    assert np.flatnonzero(parts == "valid").min() - train_end > 8 + 2
    lookback, horizon = 8, 2
    for start in range(0, train_end - lookback - horizon + 2):
        window = set(range(start, start + lookback + horizon))
        assert not window & set(np.flatnonzero(parts == "test"))
    with pytest.raises(InputError, match="too few for a time split"):
        time_partitions(30, valid=0.1, test=0.2, lookback=8, horizon=2)


def test_time_split_file(tmp_path):
    times = write(tmp_path / "times.tsv", "time\n" + "\n".join(str(t * 0.5) for t in range(60)) + "\n")
    index = pd.DataFrame({"id": ["run0"]})
    index.to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    out = {name: tmp_path / f"{name}.out" for name in ("split", "balance", "report")}
    write_split(
        tmp_path / "ids.tsv",
        out["split"],
        out["balance"],
        out["report"],
        "forecasting",
        [],
        {**SETTINGS, "by": "time", "valid": 0.1, "test": 0.2},
        "tc.tsv",
        times_path=times,
        windows={"lookback": 5, "horizon": 1},
    )
    split = pd.read_csv(out["split"], sep="\t", dtype=str)
    assert split["id"].iloc[:3].tolist() == ["0", "0.5", "1"]
    assert json.loads(out["report"].read_text())["gap"] == 6
    assert split["partition"].value_counts().to_dict() == {"train": 30, "gap": 12, "test": 12, "valid": 6}
