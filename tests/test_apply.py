"""Bundles of trained runs and applying them to new data: round trips, refusals, the command, the DAG."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from Bio import SeqIO
from biodl.alphabets import get_alphabet
from biodl.apply.predictions import apply_bundle
from biodl.apply.prepare import LengthCheck, UniqueIds
from biodl.errors import InputError
from biodl.io.fasta import stream_fasta
from biodl.runkey import RunKey
from biodl.workflow.layout import Layout
from conftest import ROOT, write
from sklearn.metrics import roc_auc_score
from test_workflow import copy_workflow, edit_config, snakemake

SEQUENCE_RUN = "dna_binary/cnn/holdout-s1"
EXPRESSION_RUN = "expression/mlp/fold0-s1"
FOLD_RUNS = [f"expression/mlp/fold{k}-s1" for k in range(3)]
KMER_RUN = "dna_binary/logistic/holdout-s1"
BASELINE_RUNS = [KMER_RUN, "dna_binary/onehot_logistic/holdout-s1", "expression/logistic/fold1-s1"]
SERIES_RUNS = ["timecourse_classes/mlp/holdout-s1", "timecourse_classes/logistic/holdout-s1"]
POSITION_RUNS = ["protein_ss/cnn/holdout-s1", "protein_ss/window_logistic/holdout-s1"]
FORECAST_RUNS = [
    "series_forecast/gru/holdout-s1",
    "series_forecast/ridge_ar/holdout-s1",
    "series_forecast/persistence/holdout-s1",
    "gene_forecast/boosted_trees/holdout-s1",
]


def two_datasets(config: dict) -> None:
    """The demo's binary DNA, expression, series-class and protein-state datasets and the series as
    forecasting data (split by series; one gene at a time for the second), a model and baselines
    each, and four apply jobs."""
    config["bundles"] = True
    config["datasets"] = {
        name: config["datasets"][name]
        for name in ("dna_binary", "expression", "timecourse_classes", "protein_ss")
    }
    series = {"kind": "timecourse", "task": "forecasting", "values": "resources/demo/timecourse_classes.tsv"}
    split = {"by": "series", "valid": 0.15, "test": 0.25}
    config["datasets"]["series_forecast"] = {
        **series,
        "windows": {"lookback": 8, "horizon": 3, "stride": 2},
        "split": split,
    }
    config["datasets"]["gene_forecast"] = {
        **series,
        "windows": {"lookback": 6, "horizon": 2, "stride": 5, "univariate": True},
        "split": split,
    }
    config["models"] = {
        "cnn": {
            "family": "cnn",
            "hparams": {"filters": 16},
            "datasets": ["dna_binary", "protein_ss"],
            "training": {"epochs": 6},
        },
        "gru": {
            "family": "gru",
            "hparams": {"units": [8]},
            "datasets": ["series_forecast"],
            "training": {"epochs": 2},
        },
        "mlp": {
            "family": "mlp",
            "datasets": ["expression", "timecourse_classes"],
            "training": {"epochs": 15},
        },
    }
    config["baselines"] = {
        "logistic": {"method": "logistic", "datasets": ["dna_binary", "expression", "timecourse_classes"]},
        "onehot_logistic": {"method": "onehot_logistic", "datasets": ["dna_binary"]},
        "shuffled_labels": {"method": "shuffled_labels", "datasets": ["dna_binary"]},
        "window_logistic": {"method": "window_logistic", "datasets": ["protein_ss"]},
        "ridge_ar": {"method": "ridge_ar", "datasets": ["series_forecast"]},
        "persistence": {"method": "persistence", "datasets": ["series_forecast"]},
        "boosted_trees": {
            "method": "boosted_trees",
            "datasets": ["gene_forecast"],
            "hparams": {"max_iter": 20},
        },
    }
    config["apply"] = {
        "new_dna_kmers": {
            "run": KMER_RUN,
            "input": "new/dna_binary.fa.gz",
            "labels": "new/dna_binary.labels.tsv",
        },
        "new_dna": {
            "run": SEQUENCE_RUN,
            "input": "new/dna_binary.fa.gz",
            "labels": "new/dna_binary.labels.tsv",
        },
        "new_dna_both_strands": {
            "run": SEQUENCE_RUN,
            "input": "new/dna_binary.fa.gz",
            "reverse_complement": True,
        },
        "cohort": {"run": FOLD_RUNS, "input": "resources/demo/expression.counts.tsv.gz"},
    }


@pytest.fixture(scope="module")
def workflow(tmp_path_factory) -> Path:
    """The two datasets trained, bundled and the sequence bundle applied to new planted data: made
    once for the session, by the first test process (xdist worker) that asks, in the folder every
    process of the run shares; the tests only read it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each process's own
    workdir, made = shared / "apply-workflow", shared / "apply-workflow.made"
    with (shared / "apply-workflow.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other processes wait here while the first one makes it
        if not made.is_file():
            make_apply_workflow(workdir)
            made.touch()
    return workdir


def make_apply_workflow(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)  # what a process that failed to make it left
    copy_workflow(workdir)
    sys.path.insert(0, str(ROOT / "resources"))
    import make_demo

    (workdir / "new").mkdir()
    make_demo.dna_binary(np.random.default_rng(2026), workdir / "new", n=300)
    edit_config(workdir, two_datasets)
    targets = [
        f"results/apply/{name}/predictions.tsv"
        for name in ("new_dna", "new_dna_both_strands", "cohort", "new_dna_kmers")
    ] + [
        f"results/{run}/bundle/bundle.json"
        for run in BASELINE_RUNS + SERIES_RUNS + POSITION_RUNS + FORECAST_RUNS
    ]
    result = snakemake(workdir, "--cores", "2", *targets)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def biodl_apply(*arguments: str) -> subprocess.CompletedProcess:
    """The ``biodl`` command, as the console script runs it."""
    return subprocess.run(
        [sys.executable, "-m", "biodl.apply.command", "apply", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def moved_bundle(workflow: Path, run: str, target: Path) -> Path:
    """A copy of a run's bundle in a folder outside the results tree."""
    return Path(shutil.copytree(workflow / "results" / run / "bundle", target / "bundle"))


def partition_input(workflow: Path, run: str, folder: Path) -> tuple[Path, Path | None, list[str]]:
    """The raw input of a run's test partition (FASTA, expression matrix or time courses), a sheet
    with its labels (none for forecasting: the series hold their truth), and the test ids in the order
    of the run's predictions."""
    test_ids = pd.read_csv(workflow / "results" / run / "predictions.tsv", sep="\t", dtype=str)["id"].tolist()
    test_ids = list(dict.fromkeys(test_ids))  # per-position predictions have a row per residue
    if run.startswith(("series_forecast/", "gene_forecast/")):
        table = pd.read_csv(workflow / "resources/demo/timecourse_classes.tsv", sep="\t", dtype=str)
        data = folder / "series.tsv"
        test_series = {item.rsplit("@", 1)[0] for item in test_ids}
        table[table["series"].isin(test_series)].to_csv(data, sep="\t", index=False)
        return data, None, test_ids
    if run.startswith("protein_ss/"):
        fasta, sheet = (
            workflow / "resources/demo/protein_ss.fa",
            workflow / "resources/demo/protein_ss.labels.tsv",
        )
        records = {record.id: str(record.seq) for record in SeqIO.parse(fasta, "fasta")}
        data = write(folder / "test.fa", "".join(f">{i}\n{records[i]}\n" for i in test_ids))
        labels = folder / "labels.tsv"
        pd.read_csv(sheet, sep="\t", dtype=str).set_index("id").loc[test_ids].reset_index().to_csv(
            labels, sep="\t", index=False
        )
        return data, labels, test_ids
    if run.startswith("timecourse_classes/"):
        table = pd.read_csv(workflow / "resources/demo/timecourse_classes.tsv", sep="\t", dtype=str)
        data = folder / "series.tsv"
        table[table["series"].isin(test_ids)].to_csv(data, sep="\t", index=False)
        sheet = pd.read_csv(workflow / "resources/demo/timecourse_classes.series.tsv", sep="\t", dtype=str)
        labels = folder / "series_labels.tsv"
        sheet.set_index("series").loc[test_ids].reset_index().to_csv(labels, sep="\t", index=False)
        return data, labels, test_ids
    if run.startswith("expression/"):
        matrix = pd.read_csv(workflow / "resources/demo/expression.counts.tsv.gz", sep="\t", dtype=str)
        data = folder / "cohort.tsv"
        matrix[["gene", *test_ids]].to_csv(data, sep="\t", index=False)
        sheet = pd.read_csv(workflow / "resources/demo/expression.samples.tsv", sep="\t", dtype=str)
        labels = folder / "samples.tsv"
        sheet.set_index("sample").loc[test_ids].reset_index().to_csv(labels, sep="\t", index=False)
        return data, labels, test_ids
    with gzip.open(workflow / "resources/demo/dna_binary.fa.gz", "rt") as handle:
        records = {record.id: str(record.seq) for record in SeqIO.parse(handle, "fasta")}
    data = write(folder / "test.fa", "".join(f">{i}\n{records[i]}\n" for i in test_ids))
    sheet = pd.read_csv(workflow / "resources/demo/dna_binary.labels.tsv", sep="\t", dtype=str)
    labels = folder / "labels.tsv"
    sheet.set_index("id").loc[test_ids].reset_index().to_csv(labels, sep="\t", index=False)
    return data, labels, test_ids


@pytest.mark.slow
def test_a_sequence_bundle_copied_elsewhere_reproduces_its_test_predictions_bit_for_bit(workflow, tmp_path):
    expected = workflow / "results" / SEQUENCE_RUN / "predictions.tsv"
    fasta, sheet, test_ids = partition_input(workflow, SEQUENCE_RUN, tmp_path)
    labels = pd.read_csv(workflow / "resources/demo/dna_binary.labels.tsv", sep="\t", dtype=str)
    everyone = tmp_path / "everyone.tsv"
    labels.sample(frac=1.0, random_state=0).to_csv(everyone, sep="\t", index=False)  # any order, extra ids
    bundle = moved_bundle(workflow, SEQUENCE_RUN, tmp_path / "elsewhere")
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv", "--labels", everyone)
    assert result.returncode != 0  # the sheet names ids that are not in the FASTA
    assert "biodl: error: " in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv", "--labels", sheet)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.tsv").read_bytes() == expected.read_bytes()
    apply_bundle(bundle, fasta, tmp_path / "chunked.tsv", labels=sheet, chunk_items=256)  # streamed in chunks
    assert len(test_ids) > 256 and (tmp_path / "chunked.tsv").read_bytes() == expected.read_bytes()
    unlabelled = biodl_apply(bundle, fasta, "-o", tmp_path / "scores.tsv")
    assert unlabelled.returncode == 0, unlabelled.stderr
    scores = pd.read_csv(tmp_path / "scores.tsv", sep="\t")
    assert list(scores.columns) == ["id", "score:bound", "score:unbound"]


@pytest.mark.slow
@pytest.mark.parametrize("run", [EXPRESSION_RUN, *BASELINE_RUNS, *SERIES_RUNS])
def test_expression_and_baseline_bundles_reproduce_their_test_predictions_bit_for_bit(
    workflow, tmp_path, run
):
    data, labels, _ = partition_input(workflow, run, tmp_path)
    bundle = moved_bundle(workflow, run, tmp_path / "elsewhere")
    result = biodl_apply(bundle, data, "-o", tmp_path / "out.tsv", "--labels", labels)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.tsv").read_bytes() == (
        workflow / "results" / run / "predictions.tsv"
    ).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("run", POSITION_RUNS)
def test_per_position_bundles_reproduce_their_test_predictions_bit_for_bit(workflow, tmp_path, run):
    fasta, labels, _ = partition_input(workflow, run, tmp_path)
    bundle = moved_bundle(workflow, run, tmp_path / "elsewhere")
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv", "--labels", labels)
    assert result.returncode == 0, result.stderr
    expected = workflow / "results" / run / "predictions.tsv"
    assert (tmp_path / "out.tsv").read_bytes() == expected.read_bytes()
    assert biodl_apply(bundle, fasta, "-o", tmp_path / "scores.tsv").returncode == 0
    scores = pd.read_csv(tmp_path / "scores.tsv", sep="\t")
    assert list(scores.columns) == ["id", "position", "score:H", "score:E", "score:C"]
    records = {record.id: len(record.seq) for record in SeqIO.parse(fasta, "fasta")}
    assert (
        scores.groupby("id", sort=False)["position"].max().to_dict() == records
    )  # every residue, no padding


@pytest.mark.slow
def test_per_position_labels_that_do_not_fit_their_sequence_and_strand_averaging_are_refused(
    workflow, tmp_path
):
    fasta = write(tmp_path / "p.fa", ">p1\nMKTAYIAK\n")
    sheet = write(tmp_path / "states.tsv", "id\tstates\np1\tHHHHCC\n")
    bundle = workflow / "results" / POSITION_RUNS[0] / "bundle"
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv", "--labels", sheet)
    assert result.returncode == 1 and not (tmp_path / "out.tsv").exists()
    assert result.stderr.strip().endswith(
        "states.tsv: record 'p1' (line 2): column 'states' has 6 labels for a sequence of 8 residues"
    )
    sheet = write(tmp_path / "states.tsv", "id\tstates\np1\tHHHHCCXC\n")
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv", "--labels", sheet)
    assert result.stderr.strip().endswith(
        "states.tsv: record 'p1' (line 2): column 'states' label 'X' at position 7 is not one of 'HEC'"
    )
    dna = workflow / "results" / SEQUENCE_RUN / "bundle"
    assert "cannot be averaged with" in biodl_apply(dna, bundle, fasta, "-o", tmp_path / "x.tsv").stderr


@pytest.mark.slow
@pytest.mark.parametrize("run", FORECAST_RUNS)
def test_forecasting_bundles_reproduce_their_test_windows_bit_for_bit_and_forecast_past_the_data(
    workflow, tmp_path, run
):
    table, _, _ = partition_input(workflow, run, tmp_path)
    bundle = moved_bundle(workflow, run, tmp_path / "elsewhere")
    result = biodl_apply(bundle, table, "-o", tmp_path / "out.tsv")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.tsv").read_text().splitlines(keepends=True)
    expected = (workflow / "results" / run / "predictions.tsv").read_text().splitlines(keepends=True)
    assert lines[: len(expected)] == expected  # the windows with a truth, as the test windows were
    beyond = pd.read_csv(tmp_path / "out.tsv", sep="\t").iloc[len(expected) - 1 :]
    description = json.loads((bundle / "bundle.json").read_text())
    windows, genes = description["preparation"]["windows"], description["preparation"]["genes"]
    series = pd.read_csv(table, sep="\t")["series"].unique()
    assert beyond["truth"].isna().all() and beyond["pred"].notna().all()
    assert len(beyond) == len(series) * windows["horizon"] * len(genes)
    assert set(beyond["id"]) == {f"{name}@39" for name in series}  # the window ending at the last time
    assert sorted(beyond["step"].unique()) == list(range(1, windows["horizon"] + 1))


@pytest.mark.slow
def test_a_forecasting_model_takes_no_labels_and_refuses_another_grid(workflow, tmp_path):
    table, _, _ = partition_input(workflow, FORECAST_RUNS[0], tmp_path)
    bundle = workflow / "results" / FORECAST_RUNS[0] / "bundle"
    sheet = write(tmp_path / "labels.tsv", "series\tlabel\nts000\tx\n")
    result = biodl_apply(bundle, table, "-o", tmp_path / "out.tsv", "--labels", sheet)
    assert result.returncode == 1 and result.stderr.strip().endswith(
        "labels.tsv: a forecasting model takes no labels: its truth is the series' own future"
    )
    values = pd.read_csv(table, sep="\t", dtype=str)
    early = values[values["time"].astype(float) < 30]
    assert refused(workflow, tmp_path, FORECAST_RUNS[0], early.to_csv(sep="\t", index=False)) == (
        "new.tsv: the time grid differs from the model's (0, 1, 2, …, 39 (40 points)): 30 time points, "
        "not 40; resample the series to the model's grid"
    )


@pytest.mark.slow
def test_time_courses_on_another_grid_or_without_a_gene_of_the_model_are_refused(workflow, tmp_path):
    table = pd.read_csv(workflow / "resources/demo/timecourse_classes.tsv", sep="\t", dtype=str)
    few = table[table["series"].isin(["ts000", "ts001"])]
    shifted = few.assign(time=(few["time"].astype(float) * 2).map("{:g}".format))
    assert refused(workflow, tmp_path, SERIES_RUNS[0], shifted.to_csv(sep="\t", index=False)) == (
        "new.tsv: the time grid differs from the model's (0, 1, 2, …, 39 (40 points)): time point 2 is 2, "
        "not 1; resample the series to the model's grid"
    )
    shorter = few[few["time"].astype(float) < 10]
    assert refused(workflow, tmp_path, SERIES_RUNS[0], shorter.to_csv(sep="\t", index=False)) == (
        "new.tsv: the time grid differs from the model's (0, 1, 2, …, 39 (40 points)): 10 time points, "
        "not 40; resample the series to the model's grid"
    )
    without = few[few["gene"] != "gene0"]
    assert refused(workflow, tmp_path, SERIES_RUNS[1], without.to_csv(sep="\t", index=False)) == (
        "new.tsv: 1 of the model's 4 genes are missing (first: gene0)"
    )


@pytest.mark.slow
def test_a_baseline_bundle_holds_its_estimators_and_the_control_gets_none(workflow):
    bundle = workflow / "results" / KMER_RUN / "bundle"
    assert sorted(path.name for path in bundle.iterdir()) == [
        "bundle.json",
        "card.json",
        "card.md",
        "model.skops",
    ]
    description = json.loads((bundle / "bundle.json").read_text())
    run = json.loads((workflow / "results" / KMER_RUN / "run.json").read_text())
    assert description["baseline"] == {
        "method": "logistic",
        "chosen": run["chosen"],
        "alphabet_size": 4,
        "kmer_k": 4,
    }
    card = (bundle / "card.md").read_text()
    assert "- baseline logistic (scikit-learn), seed 1" in card
    config = yaml.safe_load((workflow / "config/config.yaml").read_text())
    bundled = [RunKey(*run).path for run in Layout(config).bundled_runs()]
    assert KMER_RUN in bundled and not [run for run in bundled if "shuffled_labels" in run]
    predictions = pd.read_csv(workflow / "results/apply/new_dna_kmers/predictions.tsv", sep="\t")
    assert roc_auc_score(predictions["truth"] == "unbound", predictions["score:unbound"]) > 0.75


@pytest.mark.slow
def test_the_workflow_applies_a_bundle_to_new_planted_data_well_above_chance(workflow):
    predictions = pd.read_csv(workflow / "results/apply/new_dna/predictions.tsv", sep="\t")
    assert len(predictions) == 300
    auc = roc_auc_score(predictions["truth"] == "unbound", predictions["score:unbound"])
    assert auc > 0.9


@pytest.mark.slow
def test_the_model_card_states_data_metrics_with_intervals_limits_and_checksums(workflow):
    bundle = workflow / "results" / SEQUENCE_RUN / "bundle"
    card = json.loads((bundle / "card.json").read_text())
    metrics = json.loads((workflow / "results" / SEQUENCE_RUN / "metrics.json").read_text())["metrics"]
    assert card["evaluation"]["metric_of_record"] == "roc_auc"
    assert card["evaluation"]["metrics"]["roc_auc"] == metrics["roc_auc"]
    assert (
        card["data"]["partition_sizes"]
        == json.loads((bundle.parent / "run.json").read_text())["partition_sizes"]
    )
    assert card["data"]["files"]["fasta"] == "resources/demo/dna_binary.fa.gz"
    import hashlib

    assert (
        card["checksums"]["model.keras"] == hashlib.sha256((bundle / "model.keras").read_bytes()).hexdigest()
    )
    text = (bundle / "card.md").read_text()
    low, high = metrics["roc_auc"]["ci_low"], metrics["roc_auc"]["ci_high"]
    assert f"| roc_auc | {metrics['roc_auc']['value']:.4g} | [{low:.4g}, {high:.4g}] |" in text
    assert "shorter than the width are refused" in text and "## Limits" in text


def refused(workflow: Path, tmp_path: Path, run: str, content: str, *options: str) -> str:
    """Apply a bundle to ``content``; assert one error line, exit 1 and no output; return the line."""
    suffix = ".fa" if run == SEQUENCE_RUN else ".tsv"
    source = write(tmp_path / f"new{suffix}", content)
    output = tmp_path / "out.tsv"
    result = biodl_apply(workflow / "results" / run / "bundle", source, "-o", output, *options)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("biodl: error: ")]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert not output.exists()
    return lines[0].removeprefix("biodl: error: ").replace(str(tmp_path) + "/", "")


@pytest.mark.slow
def test_sequences_outside_the_alphabet_or_the_length_policy_are_refused(workflow, tmp_path):
    good = "ACGT" * 25
    assert refused(workflow, tmp_path, SEQUENCE_RUN, f">a\n{good}\n>b\n{good[:40]}EFL{good[43:]}\n") == (
        "new.fa: record 'b' (line 4): letter 'E' at position 41 is not in the DNA alphabet (ACGT; ambiguity "
        "codes are not allowed)"
    )
    assert refused(workflow, tmp_path, SEQUENCE_RUN, f">a\n{good[:50]}N{good[51:]}\n") == (
        "new.fa: record 'a' (line 2): letter 'N' at position 51 is not in the DNA alphabet (ACGT; ambiguity "
        "codes are not allowed); the model was trained without ambiguity codes"
    )
    assert refused(workflow, tmp_path, SEQUENCE_RUN, f">a\n{good}\n>short\n{good[:80]}\n") == (
        "new.fa: record 'short' (line 3): 80 residues, fewer than the model's input width 100, and the "
        "model was trained without padding (1 of 2 records are shorter)"
    )


def length_check(path: Path, width: int, *, variable: bool, padded: bool, records: int = 1) -> None:
    """Check a FASTA file's lengths in chunks of ``records`` as applying does."""
    check = LengthCheck(width, variable, padded)
    for chunk in stream_fasta(path, get_alphabet("dna"), records=records):
        check.add(chunk)
    check.check()


def test_a_sequence_longer_than_a_variable_width_is_refused_and_a_fixed_width_trims_it(tmp_path):
    path = write(tmp_path / "x.fa", ">a\nACGTACGT\n>b\nACG\n>c\nACGTACGTAC\n")
    length_check(path, 10, variable=True, padded=True)
    with pytest.raises(
        InputError,
        match=r"^.*x.fa: record 'a' \(line 1\): 8 residues, more than the model's "
        r"input width 6 \(the longest training sequence; 2 of 3 records are longer\)$",
    ):
        length_check(path, 6, variable=True, padded=True)  # counted over every chunk
    length_check(path, 6, variable=False, padded=True)  # a fixed width trims, as in training


def test_a_repeated_id_is_found_across_chunks_and_a_hash_collision_is_not_a_repeat(tmp_path, monkeypatch):
    import biodl.apply.prepare as prepare

    path = write(tmp_path / "r.fa", "".join(f">{name}\nACGT\n" for name in ["x", "a", "b", "c", "x", "d"]))

    def chunks():
        return stream_fasta(path, get_alphabet("dna"), records=2)

    unique = UniqueIds()
    for chunk in chunks():
        unique.add(chunk)
    assert unique.count == 6
    with pytest.raises(
        InputError, match=r"^.*r.fa: record 'x' \(line 9\): duplicate id \(first seen at line 1\)$"
    ):
        unique.check(chunks)
    path.write_text("".join(f">{name}\nACGT\n" for name in ["x", "a", "b", "c", "y", "d"]))
    monkeypatch.setattr(prepare, "hash", lambda item: 7, raising=False)  # every id collides
    unique = UniqueIds()
    for chunk in chunks():
        unique.add(chunk)
    unique.check(chunks)


@pytest.mark.slow
def test_missing_genes_are_refused_unless_filled_and_then_counted(workflow, tmp_path):
    matrix = pd.read_csv(workflow / "resources/demo/expression.counts.tsv.gz", sep="\t", dtype=str)
    cohort = matrix.iloc[3:, :6]  # three genes short, five samples
    message = refused(workflow, tmp_path, EXPRESSION_RUN, cohort.to_csv(sep="\t", index=False))
    assert message == (
        "new.tsv: 3 of the model's 1000 genes are missing (first: GENE0000, GENE0001, GENE0002); fill them "
        "with their training medians with --fill-missing-genes (apply.fill_missing_genes in the config)"
    )
    source = write(tmp_path / "filled.tsv", cohort.to_csv(sep="\t", index=False))
    bundle = workflow / "results" / EXPRESSION_RUN / "bundle"
    result = biodl_apply(bundle, source, "-o", tmp_path / "filled_out.tsv", "--fill-missing-genes")
    assert result.returncode == 0, result.stderr
    assert (
        "3 of the model's 1000 genes are missing from" in result.stderr
        and "training medians" in result.stderr
    )
    assert pd.read_csv(tmp_path / "filled_out.tsv", sep="\t")["id"].tolist() == list(cohort.columns[1:])


@pytest.mark.slow
def test_a_damaged_bundle_and_a_label_the_model_does_not_know_are_refused(workflow, tmp_path):
    bundle = moved_bundle(workflow, SEQUENCE_RUN, tmp_path / "copy")
    with open(bundle / "model.keras", "ab") as handle:
        handle.write(b"\0")
    fasta = write(tmp_path / "a.fa", ">a\n" + "ACGT" * 25 + "\n")
    result = biodl_apply(bundle, fasta, "-o", tmp_path / "out.tsv")
    assert result.returncode == 1 and "does not match the checksum in bundle.json" in result.stderr
    good = workflow / "results" / SEQUENCE_RUN / "bundle"
    sheet = write(tmp_path / "labels.tsv", "id\tlabel\na\tmaybe\n")
    result = biodl_apply(good, fasta, "-o", tmp_path / "out.tsv", "--labels", sheet)
    assert result.returncode == 1
    assert "labels.tsv: record 'a' (line 2): label 'maybe' is not a class of the model (bound, unbound)" in (
        result.stderr
    )
    assert not (tmp_path / "out.tsv").exists()


def test_an_apply_entry_must_name_a_bundled_run_of_the_config():
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["apply"] = {"mine": {"run": "dna_binary/cnn/holdout-s7", "input": "x.fa"}}
    with pytest.raises(
        InputError,
        match=r"^config: apply\.mine: run 'dna_binary/cnn/holdout-s7' is not a bundled "
        r"training run of this config \(e\.g\. ",
    ):
        Layout(config).check_apply()
    config["apply"]["mine"]["run"] = "dna_binary/cnn/holdout-s1"
    Layout(config).check_apply()


@pytest.mark.slow
def test_the_folds_of_a_model_are_averaged_with_their_spread(workflow, tmp_path):
    ensemble = pd.read_csv(workflow / "results/apply/cohort/predictions.tsv", sep="\t")
    members = []
    for run in FOLD_RUNS:
        output = tmp_path / f"{run.replace('/', '_')}.tsv"
        result = biodl_apply(
            workflow / "results" / run / "bundle",
            workflow / "resources/demo/expression.counts.tsv.gz",
            "-o",
            output,
        )
        assert result.returncode == 0, result.stderr
        members.append(pd.read_csv(output, sep="\t"))
    classes = ["subtype_A", "subtype_B", "subtype_C"]
    assert list(ensemble.columns) == [
        "id",
        *(f"score:{c}" for c in classes),
        *(f"sd:score:{c}" for c in classes),
    ]
    stacked = np.stack([member[[f"score:{c}" for c in classes]].to_numpy() for member in members])
    np.testing.assert_allclose(ensemble[[f"score:{c}" for c in classes]], stacked.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        ensemble[[f"sd:score:{c}" for c in classes]], stacked.std(axis=0, ddof=1), rtol=1e-5
    )
    np.testing.assert_allclose(ensemble[[f"score:{c}" for c in classes]].sum(axis=1), 1.0, rtol=1e-5)
    assert (ensemble[[f"sd:score:{c}" for c in classes]].to_numpy() > 0).any()


@pytest.mark.slow
def test_both_strands_average_the_scores_of_the_sequences_and_of_their_reverse_complements(
    workflow, tmp_path
):
    both = pd.read_csv(workflow / "results/apply/new_dna_both_strands/predictions.tsv", sep="\t")
    with gzip.open(workflow / "new/dna_binary.fa.gz", "rt") as handle:
        records = list(SeqIO.parse(handle, "fasta"))
    bundle = workflow / "results" / SEQUENCE_RUN / "bundle"
    flipped = write(
        tmp_path / "flipped.fa", "".join(f">{r.id}\n{r.seq.reverse_complement()}\n" for r in records)
    )
    assert biodl_apply(bundle, flipped, "-o", tmp_path / "flipped.tsv").returncode == 0
    forward = pd.read_csv(workflow / "results/apply/new_dna/predictions.tsv", sep="\t")
    reverse = pd.read_csv(tmp_path / "flipped.tsv", sep="\t")
    expected = (forward["score:unbound"] + reverse["score:unbound"]) / 2
    np.testing.assert_allclose(both["score:unbound"], expected, rtol=1e-5, atol=1e-7)
    assert not np.allclose(forward["score:unbound"], reverse["score:unbound"])  # the strands differ
    expression = workflow / "results" / EXPRESSION_RUN / "bundle"
    result = biodl_apply(expression, workflow / "resources/demo/expression.counts.tsv.gz", "-o",
                         tmp_path / "x.tsv", "--reverse-complement")  # fmt: skip
    assert result.returncode == 1
    assert "reverse-complement averaging needs a DNA or RNA model, not expression" in result.stderr
    mixed = biodl_apply(bundle, expression, flipped, "-o", tmp_path / "x.tsv")
    assert (
        mixed.returncode == 1
        and "cannot be averaged with" in mixed.stderr
        and "its kind differs" in mixed.stderr
    )


def third_party_imports(package: Path) -> set[str]:
    """Top-level names of the modules that the package's code imports, outside the standard library."""
    import ast

    names = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"biodl", "__future__"}


def test_the_package_declares_every_library_it_imports_and_needs_no_snakemake():
    import importlib.metadata
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[ ]", item)[0].lower() for item in requirements}

    required = names(project["dependencies"])
    extras = {extra: names(items) for extra, items in project["optional-dependencies"].items()}
    distributions = importlib.metadata.packages_distributions()
    backends = {"tensorflow", "jax", "torch"}  # one of them, chosen by an extra
    for module in sorted(third_party_imports(ROOT / "scripts/biodl")):
        if module in backends:
            assert module in extras, module
            continue
        assert {name.lower() for name in distributions.get(module, [module])} & required, module
    assert "snakemake" not in required and "snakemake" in extras["workflow"]


@pytest.mark.slow
def test_biodl_apply_runs_where_snakemake_cannot_be_imported(workflow, tmp_path):
    fasta = write(tmp_path / "a.fa", ">a\n" + "ACGT" * 25 + "\n")
    block = (
        "import sys\n"
        "class NoSnakemake:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'snakemake':\n"
        "            raise ImportError('snakemake is not installed')\n"
        "sys.meta_path.insert(0, NoSnakemake())\n"
        "from biodl.apply.command import main\n"
        "code = main(sys.argv[1:])\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'snakemake']\n"
        "raise SystemExit(code)\n"
    )
    for run, data in (
        (SEQUENCE_RUN, fasta),
        (EXPRESSION_RUN, workflow / "resources/demo/expression.counts.tsv.gz"),
    ):
        bundle = moved_bundle(workflow, run, tmp_path / run.replace("/", "_"))
        result = subprocess.run(
            [sys.executable, "-c", block, "apply", str(bundle), str(data), "-o", str(tmp_path / "out.tsv")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert len(pd.read_csv(tmp_path / "out.tsv", sep="\t")) > 0


def test_a_bundle_trained_with_another_keras_is_applied_with_a_warning(tmp_path):
    from biodl.apply.bundle import Bundle
    from biodl.apply.predictions import version_warnings
    from biodl.train.loop import software_versions

    installed = software_versions()
    run = {"dataset": "d", "model": "cnn", "unit": "holdout", "seed": 1}
    same = Bundle(tmp_path, {"run": run, "versions": installed, "baseline": None})
    assert version_warnings(same) == []
    older = Bundle(tmp_path, {"run": run, "versions": {**installed, "keras": "3.0.0"}, "baseline": None})
    assert version_warnings(older) == [
        f"d/cnn/holdout-s1: trained with keras 3.0.0, applied with {installed['keras']}; "
        "predictions may differ in the last digits"
    ]
    run = {**run, "model": "logistic"}
    baseline = {"method": "logistic"}
    older = {**installed, "scikit-learn": "1.0.0", "keras": "3.0.0"}  # Keras does not matter to a baseline
    assert version_warnings(Bundle(tmp_path, {"run": run, "versions": older, "baseline": baseline})) == [
        f"d/logistic/holdout-s1: trained with scikit-learn 1.0.0, applied with {installed['scikit-learn']}; "
        "predictions may differ in the last digits"
    ]
