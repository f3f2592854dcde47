"""The leakage audit finds planted duplicates, near-duplicates, shared groups and correlated samples,
and nothing on a clean split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from biodl.data.audit import (
    AuditSettings,
    act_on,
    exact_duplicates,
    findings,
    near_duplicate_samples,
    nearest_training_identity,
    shared_groups,
    time_overlap,
)
from biodl.errors import InputError
from test_split import run_split

PARTITION = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)


def test_exact_copies_across_partitions_are_counted():
    rows = [bytes([i, i + 1, i + 2]) for i in range(10)]
    assert exact_duplicates(rows, PARTITION) == {"count": 0, "example": None}
    rows[9] = rows[2]  # a test item copies a training item
    rows[7] = rows[3]  # a validation copy is not a test leak
    assert exact_duplicates(rows, PARTITION) == {"count": 1, "example": 9}
    assert exact_duplicates(rows, PARTITION, "valid")["count"] == 1


def test_nearest_training_identity_takes_the_best_training_match_of_each_test_item():
    pairs = np.array([[0, 8], [1, 8], [9, 2], [6, 7], [8, 9]])  # 6–7 valid–valid, 8–9 test–test
    identities = np.array([0.80, 0.97, 0.96, 1.0, 1.0])
    result = nearest_training_identity(pairs, identities, PARTITION, threshold=0.95)
    assert result == {"max": 0.97, "at_or_above_threshold": 2, "closest_pair": [8, 1]}
    clean = nearest_training_identity(pairs[[0]], identities[[0]], PARTITION, threshold=0.95)
    assert clean["at_or_above_threshold"] == 0 and clean["max"] == 0.8


def test_shared_groups_count_groups_in_train_and_test():
    groups = np.array(["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"])
    assert shared_groups(groups, PARTITION) == 0
    groups[8] = "a"
    assert shared_groups(groups, PARTITION) == 1


def test_correlated_samples_are_found_and_independent_ones_are_not():
    rng = np.random.default_rng(0)
    counts = rng.poisson(rng.uniform(5, 500, size=200), size=(10, 200)).astype(float)
    clean = near_duplicate_samples(counts, PARTITION, threshold=0.9)
    assert clean["at_or_above_threshold"] == 0 and clean["max"] < 0.5
    counts[9] = counts[4] * 3.0 + rng.poisson(1.0, size=200)  # a re-sequenced training sample, 3× deeper
    found = near_duplicate_samples(counts, PARTITION, threshold=0.9)
    assert found["at_or_above_threshold"] == 1 and found["closest_pair"] == [9, 4]


def test_time_windows_closer_than_a_window_overlap():
    partition = np.array(["train"] * 10 + ["gap"] * 3 + ["test"] * 5)
    assert time_overlap(partition, lookback=2, horizon=1) == {
        "closest_gap": 3,
        "needed_gap": 3,
        "overlapping": False,
    }
    assert time_overlap(partition, lookback=3, horizon=1)["overlapping"]


def test_findings_become_warnings_or_stop_the_split():
    settings = AuditSettings(identity=0.95)
    audit = {
        "exact_duplicates": {"count": 2},
        "nearest_training_identity": {"at_or_above_threshold": 3, "max": 1.0},
        "shared_groups": 0,
    }
    found = findings(audit, settings)
    assert found == [
        "2 test sequences are exact copies of training sequences",
        "3 test sequences are at least 0.95 identical to a training sequence (highest 1)",
    ]
    assert act_on({"holdout": found}, settings, "labels.tsv") == [f"holdout: {line}" for line in found]
    with pytest.raises(InputError) as error:
        act_on({"fold1": found}, AuditSettings(on_finding="fail"), "labels.tsv")
    assert str(error.value) == (
        "labels.tsv: leakage audit: fold1: 2 test sequences are exact copies of training sequences "
        "(split.audit.on_finding: fail)"
    )
    assert findings({"exact_duplicates": {"count": 0}, "shared_groups": 0}, settings) == []


# ---------------------------------------------------------------------- in the split


def split_report(tmp_path, index, settings, tokens=None, matrix=None):
    """The split report and split.tsv of write_split (see test_split.run_split)."""
    split, report, _ = run_split(tmp_path, index, settings, tokens, matrix=matrix)
    return report, split


def planted_sequences(n: int = 300, length: int = 120, copies: int = 0, near: int = 0) -> np.ndarray:
    rng = np.random.default_rng(1)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    for row in range(copies):  # exact copies of the first rows at the end
        tokens[n - 1 - row] = tokens[row]
    for row in range(near):  # one-mismatch copies of the next rows
        target = n - 1 - copies - row
        tokens[target] = tokens[copies + row]
        tokens[target, 60] = tokens[target, 60] % 4 + 1
    return tokens


def labelled(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"s{i}" for i in range(n)], "label": np.where(np.arange(n) % 2, "a", "b")})


def test_the_split_audits_planted_copies_and_near_copies(tmp_path):
    tokens = planted_sequences(copies=20, near=20)
    report, split = split_report(tmp_path, labelled(300), {}, tokens=tokens)
    audit = report["audit"]["units"]["holdout"]
    partition = split["partition"].to_numpy()
    crossing_copies = sum(
        (partition[300 - 1 - row] == "test" and partition[row] == "train")
        or (partition[300 - 1 - row] == "train" and partition[row] == "test")
        for row in range(20)
    )
    test_copies = sum(partition[300 - 1 - row] == "test" and partition[row] == "train" for row in range(20))
    test_copies += sum(partition[row] == "test" and partition[300 - 1 - row] == "train" for row in range(20))
    assert crossing_copies > 0  # a split without homology grouping lets copies cross
    assert audit["exact_duplicates"]["count"] == test_copies
    near = sum({partition[20 + row], partition[300 - 21 - row]} == {"train", "test"} for row in range(20))
    assert audit["nearest_training_identity"]["at_or_above_threshold"] == crossing_copies + near
    assert audit["nearest_training_identity"]["max"] == 1.0
    assert any("exact copies" in warning for warning in report["warnings"])


def test_a_clean_split_has_no_findings(tmp_path):
    report, _ = split_report(tmp_path, labelled(300), {}, tokens=planted_sequences())
    audit = report["audit"]["units"]["holdout"]
    assert audit["findings"] == [] and report["warnings"] == []
    assert audit["exact_duplicates"]["count"] == 0
    assert audit["nearest_training_identity"]["at_or_above_threshold"] == 0


def test_homology_grouping_leaves_nothing_for_the_audit(tmp_path):
    tokens = planted_sequences(copies=20, near=20)
    settings = {"homology": {"identity": 0.9, "kmer": 8}}
    report, _ = split_report(tmp_path, labelled(300), settings, tokens=tokens)
    assert report["audit"]["units"]["holdout"]["findings"] == []


def test_a_finding_fails_the_split_when_asked(tmp_path):
    tokens = planted_sequences(copies=20)
    with pytest.raises(
        InputError, match=r"^labels.tsv: leakage audit: holdout: \d+ test sequences are exact copies"
    ):
        split_report(tmp_path, labelled(300), {"audit": {"on_finding": "fail"}}, tokens=tokens)
    assert not (tmp_path / "split.out").exists()


def test_a_shared_group_of_a_given_split_is_found(tmp_path):
    index = labelled(40).assign(
        group=[f"g{i // 2}" for i in range(40)],
        given_partition=["train"] * 24 + ["valid"] * 6 + ["test"] * 10,
    )
    index.loc[39, "group"] = "g0"  # a test item of a training group
    report, _ = split_report(tmp_path, index, {"column": "fold"})
    assert report["audit"]["units"]["holdout"]["shared_groups"] == 1
    assert report["warnings"] == ["holdout: 1 groups have members in both train and test"]


def test_correlated_expression_samples_across_partitions_are_found(tmp_path):
    rng = np.random.default_rng(3)
    biology = rng.normal(0, 1, size=(60, 300))
    counts = rng.poisson(np.exp(3 + biology)).astype(float)
    report, split = split_report(tmp_path, labelled(60), {}, matrix=counts)
    assert report["audit"]["units"]["holdout"]["near_duplicate_samples"]["at_or_above_threshold"] == 0
    partition = split["partition"].to_numpy()
    test, train = np.flatnonzero(partition == "test")[0], np.flatnonzero(partition == "train")[0]
    counts[test] = rng.poisson(counts[train] * 2)  # the training sample sequenced again, twice as deep
    report, _ = split_report(tmp_path, labelled(60), {}, matrix=counts)
    found = report["audit"]["units"]["holdout"]["near_duplicate_samples"]
    assert found["at_or_above_threshold"] == 1 and found["closest_pair"] == [int(test), int(train)]
