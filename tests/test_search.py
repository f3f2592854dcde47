"""Hyper-parameter search: spaces refused before any job, proposals reproducible from the seed,
trials that never read the test partition, a tuned model that trains with the best trial's settings."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.errors import InputError
from biodl.workflow.config import check_config
from conftest import ROOT, item_dataset

SPACE = {
    "hparams.filters": {"type": "int", "low": 4, "high": 32, "log": True},
    "hparams.kernel_size": {"type": "categorical", "choices": [3, 5, 9]},
    "training.learning_rate": {"type": "loguniform", "low": 1e-4, "high": 1e-1},
}


def demo_with_search(search: dict) -> dict:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["models"]["cnn"]["search"] = search
    return config


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (
            {"training.learning_rate": {"type": "float", "low": 0.01, "high": 0.001}},
            "search.space.training.learning_rate: empty range: low 0.01 is not below high 0.001",
        ),
        (
            {"training.learning_rate": {"type": "float", "low": 0, "high": 0.1, "log": True}},
            "search.space.training.learning_rate: a log scale needs low > 0, not 0",
        ),
        (
            {"training.learning_rate": {"type": "loguniform", "low": -1, "high": 0.1}},
            "search.space.training.learning_rate: a log scale needs low > 0, not -1",
        ),
        (
            {"hparams.filterz": {"type": "int", "low": 4, "high": 8}},
            "search.space.hparams.filterz: unknown parameter for family 'cnn' (allowed: hparams.",
        ),
        (
            {"training.beta_1": {"type": "float", "low": 0.5, "high": 0.9}},
            "search.space.training.beta_1: unknown parameter for family 'cnn' (allowed: hparams.",
        ),
        (
            {"hparams.filters": {"type": "int", "low": 4.5, "high": 8}},
            "search.space.hparams.filters: an int parameter needs whole bounds, not 4.5 and 8",
        ),
        (
            {"hparams.kernel_size": {"type": "categorical"}},
            "search.space.hparams.kernel_size: a categorical parameter needs choices",
        ),
    ],
)
def test_a_broken_search_space_is_refused_with_one_line_naming_the_key(space, message):
    with pytest.raises(InputError) as raised:
        check_config(demo_with_search({"space": space}))
    assert str(raised.value).startswith(f"config: models.cnn.{message}"), raised.value
    assert "\n" not in str(raised.value)


def test_a_search_adds_a_tuned_copy_and_a_hand_written_name_clash_is_refused():
    config = demo_with_search({"space": SPACE})
    check_config(config)
    tuned = config["models"]["cnn_tuned"]
    assert tuned["tuned_from"] == "cnn" and "search" not in tuned
    assert tuned["datasets"] == config["models"]["cnn"]["datasets"]
    check_config(config)  # a checked config checks again
    config = demo_with_search({"space": SPACE})
    config["models"]["cnn_tuned"] = {"family": "cnn"}
    with pytest.raises(InputError, match=r"^config: models\.cnn_tuned: the name is taken by the tuned copy"):
        check_config(config)
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["models"]["gan"]["search"] = {
        "space": {"training.learning_rate": {"type": "float", "low": 0.1, "high": 1}}
    }
    with pytest.raises(InputError, match=r"^config: models\.gan: search applies to the supervised families"):
        check_config(config)


def search_settings(seed: int = 0, **changes: object) -> dict:
    settings = {
        "space": SPACE,
        "trials": 6,
        "parallel": 3,
        "sampler": "tpe",
        "pruner": "median",
        "startup_trials": 3,
        "seed": seed,
        "storage": None,
    }
    return {**settings, **changes}


def fake_scores(folder, proposals: dict) -> list:
    """A score per proposed trial, a known function of its parameters."""
    paths = []
    for trial in proposals["trials"]:
        params = trial["params"]
        value = abs(np.log10(params["training.learning_rate"]) + 2.5) + params["hparams.filters"] / 100
        path = folder / f"trial{trial['number']}.json"
        path.write_text(json.dumps({"number": trial["number"], "state": "complete", "value": value}))
        paths.append(path)
    return paths


def two_rounds(folder, settings: dict) -> tuple[dict, dict]:
    """Propose round 0, score it, propose round 1 from it, in a storage of its own."""
    from biodl.search.runs import propose_run

    folder.mkdir()
    journal, name = folder / "study.journal", "demo.cnn.holdout"
    propose_run(
        settings=settings,
        journal=journal,
        study_name=name,
        round_index=0,
        scores=[],
        output=folder / "r0.json",
    )
    first = json.loads((folder / "r0.json").read_text())
    scores = fake_scores(folder, first)
    propose_run(
        settings=settings,
        journal=journal,
        study_name=name,
        round_index=1,
        scores=scores,
        output=folder / "r1.json",
    )
    return first, json.loads((folder / "r1.json").read_text())


def test_the_same_seed_proposes_the_same_trials_and_another_seed_others(tmp_path):
    first = two_rounds(tmp_path / "a", search_settings())
    again = two_rounds(tmp_path / "b", search_settings())
    other = two_rounds(tmp_path / "c", search_settings(seed=1))
    assert first == again
    assert first[0]["trials"] != other[0]["trials"]
    numbers = [[trial["number"] for trial in proposals["trials"]] for proposals in first]
    assert numbers == [[0, 1, 2], [3, 4, 5]]
    for proposals in first:
        for trial in proposals["trials"]:
            params = trial["params"]
            assert 4 <= params["hparams.filters"] <= 32 and params["hparams.kernel_size"] in (3, 5, 9)
            assert 1e-4 <= params["training.learning_rate"] <= 1e-1


def test_a_proposal_made_again_reuses_the_trials_already_asked(tmp_path):
    from biodl.search.runs import propose_run
    from biodl.search.study import open_study

    settings, journal = search_settings(), tmp_path / "study.journal"
    for output in ("once.json", "twice.json"):
        propose_run(
            settings=settings,
            journal=journal,
            study_name="s",
            round_index=0,
            scores=[],
            output=tmp_path / output,
        )
    assert (tmp_path / "once.json").read_text() == (tmp_path / "twice.json").read_text()
    assert len(open_study(settings, journal, "s").get_trials()) == 3


def planted_dna(rng: np.random.Generator, n: int, width: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Random DNA; the positives carry TGACTCA at a random place."""
    tokens = rng.integers(1, 5, size=(n, width)).astype(np.uint8)
    labels = rng.random(n) < 0.5
    site = np.array(["ACGT".index(letter) + 1 for letter in "TGACTCA"], dtype=np.uint8)
    for item in np.flatnonzero(labels):
        start = rng.integers(0, width - len(site))
        tokens[item, start : start + len(site)] = site
    return tokens, labels


def run_trial(folder, tokens: np.ndarray, labels: np.ndarray, settings: dict) -> dict:
    from biodl.search.runs import propose_run, trial_run

    files = item_dataset(
        folder / "data",
        {"label": np.where(labels, "bound", "unbound")},
        {
            "alphabet": "DNA",
            "vocabulary": "ACGT",
            "label_columns": ["label"],
            "classes": {"label": ["bound", "unbound"][::-1]},
            "kmer": {"letters": "ACGT", "k": 2},
        },
        {"inputs": tokens},
    )
    journal = folder / "study.journal"
    files["round"] = folder / "round0.json"
    propose_run(
        settings=settings, journal=journal, study_name="s", round_index=0, scores=[], output=files["round"]
    )
    outputs = {"score": folder / "trial0/score.json", "history": folder / "trial0/history.tsv"}
    outputs["score"].parent.mkdir(parents=True)
    trial_run(
        files=files,
        outputs=outputs,
        settings=settings,
        journal=journal,
        study_name="s",
        number=0,
        unit="holdout",
        threads=1,
        kind="sequences",
        task="binary",
        family="cnn",
        hparams={},
        training={"epochs": 10, "batch_size": 32, "learning_rate": 0.01},
    )
    assert not (folder / "trial0/run").exists()  # the trial's model is not kept
    return json.loads(outputs["score"].read_text()) | {"history": outputs["history"].read_text()}


class GatherSpy(np.ndarray):
    """An input array that records the items gathered from it (by an array of rows, as a
    partition gathers its batches)."""

    gathered: ClassVar[set[int]] = set()

    def __getitem__(self, key: object) -> object:
        if isinstance(key, np.ndarray | list):
            GatherSpy.gathered.update(np.asarray(key).ravel().tolist())
        return np.asarray(super().__getitem__(key))


def test_a_trial_trains_on_training_data_scores_on_validation_and_never_reads_the_test_partition(
    tmp_path, monkeypatch
):
    import biodl.train.loaders as loaders

    load = np.load
    monkeypatch.setattr(loaders.np, "load", lambda *args, **kwargs: load(*args, **kwargs).view(GatherSpy))
    GatherSpy.gathered = set()
    tokens, labels = planted_dna(np.random.default_rng(0), 400)
    space = {"hparams.filters": {"type": "int", "low": 16, "high": 32}}
    score = run_trial(tmp_path, tokens, labels, search_settings(space=space, trials=1, parallel=1))
    test = set(np.flatnonzero(np.arange(len(tokens)) % 10 >= 8).tolist())  # item_dataset's test items
    assert GatherSpy.gathered and not GatherSpy.gathered & test  # (the padding check reads one column)
    assert len(GatherSpy.gathered) == 320
    assert score["partition_sizes"] == {"train": 240, "valid": 80}
    assert score["state"] == "complete" and score["epochs_run"] == 10
    assert 0 < score["value"] < 0.3  # the planted site is learnt: chance is log 2 = 0.69


def test_the_tuning_config_plans_twenty_trials_in_rounds_and_a_tuned_cnn_per_seed(tmp_path):
    import re

    from test_workflow import copy_workflow, snakemake

    result = snakemake(
        copy_workflow(tmp_path / "w"), "--configfile", "config/tuning.yaml", "-n", "--quiet", "rules"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, re.MULTILINE))
    assert counts["search_trial"] == "20" and counts["search_propose"] == "5" and counts["search_best"] == "1"
    assert counts["train"] == "6"  # cnn and cnn_tuned, three seeds each


def test_a_search_on_a_k_fold_dataset_is_nested_in_each_outer_fold():
    from biodl.workflow.layout import Layout

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["models"]["mlp"]["search"] = {
        "space": {"hparams.dropout": {"type": "float", "low": 0, "high": 0.5}}
    }
    check_config(config)
    layout = Layout(config)
    assert layout.searched_runs() == [
        ("expression", "mlp", "fold0"),
        ("expression", "mlp", "fold1"),
        ("expression", "mlp", "fold2"),
        ("timecourse_classes", "mlp", "holdout"),
    ]
    assert layout.tuned_inputs("expression", "mlp_tuned", "fold1") == {
        "search": "results/expression/mlp/search/fold1/best.json"
    }
    assert layout.tuned_inputs("expression", "mlp", "fold1") == {}
    assert ("expression", "mlp_tuned", "fold2", 1) in layout.runs()


def test_the_best_trial_is_the_lowest_finished_loss_with_its_values_as_the_space_gives_them(tmp_path):
    from biodl.search.runs import best_run

    settings = search_settings(
        space={**SPACE, "hparams.pooling": {"type": "categorical", "choices": ["max", "flatten"]}}
    )
    first, second = two_rounds(tmp_path / "s", settings)
    scores = fake_scores(tmp_path / "s", second)
    folder = tmp_path / "best"
    outputs = {
        name: folder / f"{name}.{ext}"
        for name, ext in (("best", "json"), ("trials", "tsv"), ("importance", "tsv"), ("figure", "png"))
    }
    best_run(
        settings=settings,
        journal=tmp_path / "s/study.journal",
        study_name="demo.cnn.holdout",
        scores=scores,
        hparams={"filters": 8},
        training={"epochs": 3},
        outputs=outputs,
    )
    best = json.loads(outputs["best"].read_text())
    trials = pd.read_csv(outputs["trials"], sep="\t")
    everything = {t["number"]: t["params"] for t in first["trials"] + second["trials"]}
    lowest = trials.sort_values(["value", "number"]).iloc[0]
    assert best["trial"] == lowest["number"] and best["params"] == everything[best["trial"]]
    assert best["hparams"]["pooling"] in ("max", "flatten") and isinstance(best["hparams"]["filters"], int)
    assert best["hparams"]["filters"] == best["params"]["hparams.filters"] and best["training"]["epochs"] == 3
    assert set(trials["hparams.pooling"]) <= {"max", "flatten"}  # values as they are, not JSON text
