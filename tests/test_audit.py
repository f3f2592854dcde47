"""The leakage audit finds planted duplicates, near-duplicates, shared groups and correlated samples,
and nothing on a clean split."""

from __future__ import annotations

import numpy as np
import pytest
from biodl.audit import (
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
