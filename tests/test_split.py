"""Splits: no shared id, group or near-duplicate across partitions; stratified; gaps in time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from biodl.alphabets import DNA, PROTEIN
from biodl.data import split as split_module
from biodl.data.homology import (
    biopython_identities,
    homology_groups,
    load_homology,
    parasail_identities,
    save_homology,
)
from biodl.data.split import (
    fold_count_for,
    holdout_partitions,
    read_partitions,
    split_units,
    time_partitions,
    write_homology,
    write_split,
)
from biodl.data.units import parse_unit, unit_names
from biodl.errors import InputError
from biodl.io.outputs import save_array
from biodl.workflow.config import resolve_config
from conftest import write

# the split settings of a dataset that states none: the schema's defaults
SETTINGS = resolve_config({"datasets": {"d": {"kind": "expression", "task": "binary", "matrix": "m.tsv"}}})[
    "datasets"
]["d"]["split"]


def random_dna(rng, n, length):
    return rng.integers(1, 5, size=(n, length)).astype(np.uint8)


def mutated(rng, row, rate):
    copy = row.copy()
    hits = rng.random(len(copy)) < rate
    copy[hits] = (copy[hits] % 4) + 1
    return copy


def run_split(
    tmp_path, index, settings, tokens=None, task="binary", columns=("label",), homology_path=None, matrix=None
):
    """write_split on ``index`` (and a token matrix or expression matrix); the split, report and balance."""
    index_path = tmp_path / "ids.tsv"
    index.to_csv(index_path, sep="\t", index=False)
    arrays = {}
    for name, values in (("tokens", tokens), ("matrix", matrix)):
        if values is not None:
            arrays[name] = tmp_path / f"{name}.npy"
            save_array(arrays[name], values)
    paths = {name: tmp_path / f"{name}.out" for name in ("split", "balance", "report")}
    write_split(
        index_path=index_path,
        split_path=paths["split"],
        balance_path=paths["balance"],
        report_path=paths["report"],
        task=task,
        label_columns=list(columns),
        settings={**SETTINGS, **settings},
        source="labels.tsv",
        tokens_path=arrays.get("tokens"),
        vocabulary="ACGT",
        alphabet_size=4,
        homology_path=homology_path,
        matrix_path=arrays.get("matrix"),
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
        index_path=tmp_path / "ids.tsv",
        split_path=out["split"],
        balance_path=out["balance"],
        report_path=out["report"],
        task="forecasting",
        label_columns=[],
        settings={**SETTINGS, "by": "time", "valid": 0.1, "test": 0.2},
        source="tc.tsv",
        times_path=times,
        windows={"lookback": 5, "horizon": 1},
    )
    split = pd.read_csv(out["split"], sep="\t", dtype=str)
    assert split["id"].iloc[:3].tolist() == ["0", "0.5", "1"]
    assert json.loads(out["report"].read_text())["gap"] == 6
    assert split["partition"].value_counts().to_dict() == {"train": 30, "gap": 12, "test": 12, "valid": 6}


def letters_of(rng, alphabet, length):
    return "".join(rng.choice(list(alphabet.letters), length))


def edited(text, at, delete=0, insert=""):
    return text[:at] + insert + text[at + delete :]


def substituted(rng, text, alphabet, rate):
    return "".join(
        rng.choice([x for x in alphabet.letters if x != c]) if rng.random() < rate else c for c in text
    )


def test_parasail_identity_equals_biopython_on_dna_and_protein_pairs():
    rng = np.random.default_rng(11)
    texts, pairs = [], []
    for alphabet in (DNA, PROTEIN):
        parent = letters_of(rng, alphabet, 240)
        variants = [
            substituted(rng, parent, alphabet, 0.08),
            edited(substituted(rng, parent, alphabet, 0.05), 100, delete=4),
            edited(parent, 60, insert=letters_of(rng, alphabet, 7)),
            parent[50:170],  # a fragment inside its parent
            substituted(rng, parent[30:200], alphabet, 0.1),
            letters_of(rng, alphabet, 200),  # unrelated
        ]
        first = len(texts)
        texts += [parent, *variants]
        pairs += [(first, first + k) for k in range(1, len(variants) + 1)]
    pairs = np.array(pairs)
    protein = np.arange(len(pairs)) >= len(pairs) // 2
    for is_protein, letters in ((False, DNA.letters), (True, PROTEIN.letters)):
        chosen = pairs[protein == is_protein]
        new = parasail_identities(texts, chosen, letters, is_protein, threads=2)
        old = biopython_identities(texts, chosen, is_protein)
        assert new.tolist() == old.tolist()
        assert new[3] == 1.0 and new[-1] < 0.6


def planted_families(rng, families=8, members=8, length=300, rates=(0.02, 0.08)):
    rows = []
    for _ in range(families):
        parent = random_dna(rng, 1, length)[0]
        rows += [mutated(rng, parent, rng.uniform(*rates)) for _ in range(members)]
    return np.stack(rows)


def test_parasail_groups_equal_biopython_groups_on_planted_families():
    tokens = planted_families(np.random.default_rng(12))
    new = homology_groups(tokens, DNA.letters, 0.9, 8, 4, threads=2)
    old = homology_groups(tokens, DNA.letters, 0.9, 8, 4, aligner="biopython")
    assert np.array_equal(new.pairs, old.pairs) and len(new.pairs) > 100
    assert pd.crosstab(new.groups, old.groups).astype(bool).sum(axis=1).eq(1).all()
    assert len(np.unique(new.groups)) == len(np.unique(old.groups)) > 8


def never_align(*args, **kwargs):
    raise AssertionError("aligned before the class-size check")


def test_class_size_and_group_count_checks_run_before_any_alignment(tmp_path, monkeypatch):
    monkeypatch.setattr(split_module, "homology_groups", never_align)
    tokens = random_dna(np.random.default_rng(13), 22, 50)
    index = pd.DataFrame({"id": [f"r{i}" for i in range(22)], "label": ["a"] * 20 + ["rare"] * 2})
    index.to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    save_array(tmp_path / "tokens.npy", tokens)
    homology = {"homology": {"identity": 0.9, "kmer": 8}}
    message = "class 'rare' of column 'label' has 2 records; a stratified train/valid/test split needs"
    with pytest.raises(InputError, match=message):
        write_homology(
            index_path=tmp_path / "ids.tsv",
            tokens_path=tmp_path / "tokens.npy",
            homology_path=tmp_path / "homology.npz",
            task="binary",
            label_columns=["label"],
            settings={**SETTINGS, **homology},
            source="labels.tsv",
            vocabulary="ACGT",
            alphabet_size=4,
        )
    assert not (tmp_path / "homology.npz").exists()
    with pytest.raises(InputError, match=message):
        run_split(tmp_path, index, homology, tokens)
    grouped = index.assign(label=["a", "b"] * 11, group=[f"g{i % 4}" for i in range(22)])
    with pytest.raises(InputError) as error:
        run_split(tmp_path, grouped, {**homology, "folds": 5, "stratify": False}, tokens)
    assert str(error.value) == (
        "labels.tsv: only 4 independent groups for 5 folds; lower the number of folds or relax the grouping"
    )


def test_split_reads_the_homology_file_instead_of_aligning(tmp_path, monkeypatch):
    rng = np.random.default_rng(14)
    tokens = planted_families(rng, families=10, members=4, length=120, rates=(0.0, 0.02))
    index = pd.DataFrame({"id": [f"s{i}" for i in range(40)], "label": ["p", "q"] * 20})
    settings = {"homology": {"identity": 0.9, "kmer": 8}, "folds": 5}
    save_homology(tmp_path / "homology.npz", homology_groups(tokens, DNA.letters, 0.9, 8, 4))
    saved = load_homology(tmp_path / "homology.npz")
    assert saved.identity == 0.9 and saved.kmer == 8 and len(saved.pairs) == len(saved.identities)
    monkeypatch.setattr(split_module, "homology_groups", never_align)
    split, report, _ = run_split(tmp_path, index, settings, tokens, homology_path=tmp_path / "homology.npz")
    assert report["groups"] == len(np.unique(saved.groups)) == 10
    assert report["homology"]["candidate_pairs_aligned"] == len(saved.pairs)
    assert split.groupby(np.arange(40) // 4)["fold"].nunique().eq(1).all()


RARE_IN_VALID = pd.DataFrame(
    {"id": [f"r{i}" for i in range(103)], "label": ["common"] * 100 + ["x"] * 3}
)  # three items of 'x' for ten folds of a 70/10/20 holdout split


def test_a_class_missing_from_a_partition_is_an_error(tmp_path):
    with pytest.raises(InputError) as error:
        run_split(tmp_path, RARE_IN_VALID, {})
    assert str(error.value) == (
        "labels.tsv: class 'x' has no item in the valid partition of the holdout split "
        "(2 train / 0 valid / 1 test); add items of the class, use fewer partitions or folds, "
        "or set split.empty_partitions: warn"
    )
    assert not (tmp_path / "split.out").exists()


def test_a_class_missing_from_a_partition_is_a_warning_in_the_report_when_asked(tmp_path):
    _, report, balance = run_split(tmp_path, RARE_IN_VALID, {"empty_partitions": "warn"})
    assert report["warnings"] == [
        "labels.tsv: class 'x' has no item in the valid partition of the holdout split "
        "(2 train / 0 valid / 1 test)"
    ]
    assert balance[balance["label"] == "x"].set_index("partition")["n"].to_dict() == {"test": 1, "train": 2}


def test_a_group_larger_than_the_test_share_trains_and_the_partitions_keep_near_their_shares():
    """71 of 175 chains from one complex (as a ribosome in the real chains set): placing it in
    test would make the test partition 41 % or more of the items; it trains instead."""
    from biodl.data.split import holdout_of_folds

    groups = np.concatenate([np.zeros(71, int), np.repeat(np.arange(1, 53), 2)])
    for seed in range(5):
        parts = holdout_partitions(np.zeros(len(groups), str), groups, 0.15, 0.2, seed)
        assert (parts[groups == 0] == "train").all()
        shares = {name: (parts == name).mean() for name in ("test", "valid")}
        assert abs(shares["test"] - 0.2) < 0.02 and abs(shares["valid"] - 0.15) < 0.02, shares
    assert holdout_of_folds(np.array([5, 5, 5, 5]), 0.25, 0.25).tolist() == [
        "test",
        "valid",
        "train",
        "train",
    ]
    assert holdout_of_folds(np.array([30, 5, 5, 5, 5]), 0.2, 0.2).tolist() == [
        "train",
        "test",
        "test",
        "valid",
        "valid",
    ]
