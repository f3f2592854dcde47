"""A run's name: one path form, one input-name form, parsed back exactly."""

from __future__ import annotations

import pytest
from biodl.runkey import RunKey, run_inputs


def test_the_path_form_is_the_results_folder_and_parses_back() -> None:
    run = RunKey("dna_binary", "cnn_lstm", "r1fold3", 12)
    assert run.path == "dna_binary/cnn_lstm/r1fold3-s12"
    assert RunKey.parse(run.path) == run
    assert run.input_name("metrics") == "metrics|dna_binary/cnn_lstm/r1fold3-s12"
    assert run.label == "cnn_lstm r1fold3-s12"
    assert run.with_model("logistic") == RunKey("dna_binary", "logistic", "r1fold3", 12)


def test_runs_sort_by_seed_as_a_number() -> None:
    runs = [RunKey("d", "m", "holdout", seed) for seed in (10, 2, 1)]
    assert [run.seed for run in sorted(runs)] == [1, 2, 10]


@pytest.mark.parametrize("text", ["d/m/holdout", "d/m/holdout-sX", "d|m/holdout-s1", "d/m/x/holdout-s1"])
def test_anything_else_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="not a run"):
        RunKey.parse(text)


def test_input_names_of_one_role_are_gathered_by_run_and_others_left_alone() -> None:
    first, second = RunKey("d", "cnn", "fold0", 1), RunKey("d", "cnn", "fold1", 1)
    files = {
        first.input_name("metrics"): "a.json",
        second.input_name("metrics"): "b.json",
        first.input_name("predictions"): "a.tsv",
        "split": "split.tsv",
        "figure|d|roc": "roc.png",
    }
    assert run_inputs(files, "metrics") == {first: "a.json", second: "b.json"}
    assert run_inputs(files, "predictions") == {first: "a.tsv"}
