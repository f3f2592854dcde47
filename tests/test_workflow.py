"""The workflow through Snakemake: planning, lint, the demo end to end, and bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.evaluate.report import mean_sd
from biodl.families import FIGURES
from biodl.workflow.layout import GENERATIVE_FIGURES, INTERPRET_FILES, Layout, interpretation_of
from conftest import ROOT, with_datasets, write

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
WORKFLOW_PARTS = ["Snakefile", "rules", "config", "scripts", "envs", "profiles", "resources"]


def copy_workflow(target: Path) -> Path:
    """A copy of the workflow as a fresh clone would have it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / part)
    return target


def snakemake(workdir: Path, *arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SNAKEMAKE, *arguments], cwd=workdir, capture_output=True, text=True, timeout=timeout
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def edit_config(workdir: Path, change) -> None:
    path = workdir / "config/config.yaml"
    config = yaml.safe_load(path.read_text())
    config["apply"] = {}  # the demo's entries name runs that an edited config may not have
    config["interpret"] = {"enabled": False}  # so does its interpret section; a change may turn it on
    config["bundles"] = False  # tests of bundles turn them on
    change(config)
    path.write_text(yaml.safe_dump(config))


DATA_RULES = (
    "ingest_sequences",
    "ingest_per_position_sequences",
    "ingest_expression",
    "ingest_timecourse",
    "homology",
    "split",
    "features_expression",
    "features_timecourse",
)


def test_dry_run_plans_every_dataset(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    result = snakemake(workdir, "-n", "--quiet", "rules")
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    for rule in DATA_RULES:
        assert rule in result.stdout
    plan = snakemake(workdir, "-n", "--summary")
    for name in config["datasets"]:
        assert f"results/{name}/split/split.tsv" in plan.stdout


def test_data_target_plans_the_data_stages_of_every_dataset_and_nothing_else(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    result = snakemake(workdir, "data", "-n", "--quiet", "rules")
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("Job stats:")[1].split("\ntotal")[0].splitlines()[3:]
    counts = {name: int(count) for name, count in (line.split() for line in table if line.strip())}
    datasets = yaml.safe_load((ROOT / "config/config.yaml").read_text())["datasets"]
    assert set(counts) == {*DATA_RULES, "data"}
    assert counts["split"] == len(datasets)


@pytest.mark.slow
def test_check_validates_every_input_and_prints_the_summary_without_splitting(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    result = snakemake(workdir, "check", "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    datasets = yaml.safe_load((ROOT / "config/config.yaml").read_text())["datasets"]
    summary = (workdir / "results/check.txt").read_text()
    assert summary.startswith(f"biodl check: {len(datasets)} datasets valid")
    assert summary in result.stdout
    for name, settings in datasets.items():
        assert f"\n{name} ({settings['kind']}, {settings['task']}): " in summary
    assert "dna_multiclass (sequences, multiclass): 1,800 items" in summary
    assert "  label: motif_a 600 · motif_b 600 · none 600" in summary
    assert not list((workdir / "results").glob("*/split"))


def test_lint_is_clean(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    result = snakemake(workdir, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_config_typo_stops_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    edit_config(workdir, lambda c: c["datasets"]["dna_binary"]["length"].update(lenght=3))
    result = snakemake(workdir, "--cores", "1")
    assert result.returncode != 0
    assert (
        "biodl: error: config: datasets.dna_binary.length: unknown key 'lenght'"
        in result.stdout + result.stderr
    )
    assert not (workdir / "results").exists()


@pytest.mark.slow
def test_bad_fasta_fails_the_rule_and_leaves_no_output(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    write(workdir / "resources/demo/bad.fa", ">a\nACGT\n>b\nACGZ\n")
    write(workdir / "resources/demo/bad.tsv", "id\tlabel\na\tx\nb\ty\n")

    def only_bad(config):
        bad = {
            "kind": "sequences",
            "alphabet": "dna",
            "task": "binary",
            "fasta": "resources/demo/bad.fa",
            "labels": "resources/demo/bad.tsv",
        }
        with_datasets(config, {"bad": bad})

    edit_config(workdir, only_bad)
    result = snakemake(workdir, "--cores", "1")
    assert result.returncode != 0
    line = (
        "biodl: error: resources/demo/bad.fa: record 'b' (line 4): letter 'Z' at position 4 is not in "
        "the DNA alphabet (ACGT; ambiguity codes are not allowed)"
    )
    # Snakemake writes its messages to stderr: the biodl line is there once, in the last lines
    seen = (result.stdout + result.stderr).splitlines()
    assert seen.count(line) == 1
    errors = result.stderr.splitlines()
    at = errors.index(line)
    assert at >= len(errors) - 8
    assert errors[at + 1] == "    (rule ingest_sequences, log logs/bad/ingest.log)"
    assert not any((workdir / "results/bad").rglob("*"))


@pytest.mark.slow
def test_split_rerun_reuses_the_homology_file(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    edit_config(workdir, lambda c: with_datasets(c, {"dna_binary": c["datasets"]["dna_binary"]}))
    target = "results/dna_binary/split/split.tsv"
    result = snakemake(workdir, target, "--cores", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "aligned" in (workdir / "logs/dna_binary/homology.log").read_text()
    for name in ("split.tsv", "balance.tsv", "report.json"):
        (workdir / "results/dna_binary/split" / name).unlink()
    edit_config(
        workdir, lambda c: c["datasets"]["dna_binary"]["split"].update(seed=3, empty_partitions="warn")
    )
    plan = snakemake(workdir, target, "-n", "--quiet", "rules")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "split" in plan.stdout and "homology" not in plan.stdout


# What each family must reach on the demo's planted answers (chance: binary AUC 0.5, 3 classes 1/3,
# 2 series classes 0.5, R² 0, three residue states about 0.57 for the majority state).
LEARNED = {
    "binary": ("roc_auc", 0.9),
    "multiclass": ("balanced_accuracy", 0.8),
    "multilabel": ("roc_auc_macro", 0.9),
    "regression": ("r2", 0.5),
    "per_position": ("accuracy", 0.8),
    "series_classification": ("balanced_accuracy", 0.8),
}


def primary_means(workdir: Path, dataset: str, metric: str) -> pd.Series:
    summary = pd.read_csv(workdir / f"results/{dataset}/compare/summary.tsv", sep="\t")
    return summary.query("metric == @metric").set_index("model")["mean"]


def assert_every_family_learns(workdir: Path, config: dict) -> None:
    """Every model of the demo above its task's bar; forecasts far below persistence's error."""
    for name, dataset in config["datasets"].items():
        task = dataset["task"]
        models = [
            m for m, s in config["models"].items() if name in s.get("datasets", []) and s["family"] != "vae"
        ]
        if task == "forecasting":
            mse = primary_means(workdir, name, "mse")
            for model in [*models, "ridge_ar"]:
                assert mse[model] < 0.1 * mse["persistence"], (name, model, mse.to_dict())
        elif task in LEARNED:
            metric, bar = LEARNED[task]
            means = primary_means(workdir, name, metric)
            for model in models:
                assert means[model] > bar, (name, model, metric, means.to_dict())


def assert_the_planted_motif_is_found_and_matched_to_jaspar(workdir: Path) -> None:
    """The AP-1 site planted in the demo's bound sequences is the CNN's motif with most seqlets, and
    its best JASPAR match is a bZIP factor (the AP-1 class) with q < 0.05."""
    matches = pd.read_csv(workdir / "results/dna_binary/cnn/holdout-s1/interpret/matches.tsv", sep="\t")
    best = matches[matches["rank"] == 1].sort_values("seqlets", ascending=False).iloc[0]
    assert "TGACTCA" in best["consensus"] or "TGAGTCA" in best["consensus"], best.to_dict()
    assert "bZIP" in best["tf_class"] and best["q_value"] < 0.05, best.to_dict()
    assert "dna_binary/cnn/holdout-s1: motif logos" in (workdir / "results/report.html").read_text()
    # gradient × input and in-silico mutagenesis tell the same story per sequence as the integrated gradients
    methods = pd.read_csv(workdir / "results/dna_binary/cnn/holdout-s1/interpret/methods.tsv", sep="\t")
    assert set(methods["method"]) == {"gradient × input", "in-silico mutagenesis"}
    assert (methods["items"] > 100).all() and (methods["median_r"] > 0.8).all(), methods.to_dict()


def assert_the_expression_genes_and_the_residue_context_are_read(workdir: Path) -> None:
    """The expression MLP's top genes overlap the logistic baseline's far beyond chance, the time-course
    MLP's attribution over time is shown per class, and the
    secondary-structure CNN (two convolutions of width 9) reads every residue within ±8 and
    nothing further, using the whole of that field."""
    agreement = pd.read_csv(workdir / "results/expression/mlp/fold0-s1/interpret/agreement.tsv", sep="\t")
    row = agreement.iloc[0]
    assert (row["first"], row["second"]) == ("mlp (integrated gradients)", "logistic (coefficients)")
    assert row["overlap"] > 2 * row["expected"] and row["p_overlap"] < 0.05, row.to_dict()
    context = pd.read_csv(workdir / "results/protein_ss/cnn/holdout-s1/interpret/context.tsv", sep="\t")
    within = context.set_index("offset")["within"]
    assert within[8] == pytest.approx(1.0) and within[7] < 0.999, within.to_dict()
    times = pd.read_csv(workdir / "results/timecourse_classes/mlp/holdout-s1/interpret/times.tsv", sep="\t")
    assert set(times["output"]) == {"fast", "slow"} and (times["items"] > 0).all()
    assert times.groupby("output")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    report = (workdir / "results/report.html").read_text()
    assert "expression/mlp/fold0-s1: top genes" in report and "protein_ss/cnn/holdout-s1: context" in report
    assert "timecourse_classes/mlp/holdout-s1: attribution over time" in report


def assert_generative_models_learn(workdir: Path) -> None:
    gan = json.loads((workdir / "results/dna_generation/gan/holdout-s1/metrics.json").read_text())
    jsd = {name: values["6"] for name, values in gan["kmer_jsd"].items()}
    # at least half of the way from the shuffled control down to real training sequences
    assert jsd["generated"] < jsd["shuffled_ceiling"] - 0.5 * (jsd["shuffled_ceiling"] - jsd["train_floor"])
    motif = gan["motifs"]["TGACTCA"]
    assert abs(motif["generated"] - motif["heldout"]) < 0.15 and motif["heldout"] > 0.6
    assert gan["classifier"]["generated"]["mean"] > gan["classifier"]["heldout"]["mean"] - 0.1
    assert abs(gan["gc"]["generated"]["mean"] - gan["gc"]["heldout"]["mean"]) < 0.02
    assert gan["nearest_identity"]["exact_copies"] == 0
    assert len((workdir / "results/dna_generation/gan/holdout-s1/samples.fa").read_text().split(">")) == 1001
    vae = json.loads((workdir / "results/dna_generation/vae/holdout-s1/metrics.json").read_text())
    assert vae["reconstruction"]["accuracy"] > vae["reconstruction"]["chance"] + 0.05
    summary = pd.read_csv(workdir / "results/expression/generative/summary.tsv", sep="\t")
    latent = summary.query("model == 'vae'").pivot(index="unit", columns="metric", values="value")
    assert len(latent) == 3
    assert (latent["latent.knn_accuracy"] > latent["latent.chance"] + 0.3).all()


@pytest.mark.slow
def test_the_demo_runs_end_to_end_every_family_learns_and_reruns_bit_identically(tmp_path):
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    first = copy_workflow(tmp_path / "first")
    second = copy_workflow(tmp_path / "second")
    result = snakemake(first, "--cores", "2", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the rerun trains a convolutional, a dense and a recurrent model and fits every baseline method
    # again, with the data stages they need (evaluations, comparisons, bundles and apply jobs are
    # functions of those runs' predictions; every family's rerun goes through the same training
    # routine, tested for bytes in test_training.py; the generative models' in test_generative.py)
    targets = rerun_targets(config)
    result = snakemake(second, "--cores", "2", *targets, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name, dataset in config["datasets"].items():
        assert (first / f"results/{name}/ingest/meta.json").exists()
        assert (first / f"results/{name}/split/report.json").exists()
        if dataset["kind"] != "sequences":
            unit = "fold0" if dataset.get("split", {}).get("folds") else "holdout"
            assert (first / f"results/{name}/features/{unit}/params.json").exists()
        assert (first / f"logs/{name}/ingest.log").exists()
        assert (first / f"logs/bench/{name}/split.tsv").exists()
    folds = config["datasets"]["expression"]["split"]["folds"]
    for model, settings in config["models"].items():
        for name in settings.get("datasets", []):
            units = [f"fold{k}" for k in range(folds)] if name == "expression" else ["holdout"]
            for unit in units:
                run = first / f"results/{name}/{model}/{unit}-s1"
                assert {"model.keras", "history.tsv", "run.json", "predictions.tsv"} <= {
                    p.name for p in run.iterdir()
                }
    assert_every_family_learns(first, config)
    assert_the_planted_motif_is_found_and_matched_to_jaspar(first)
    assert_the_expression_genes_and_the_residue_context_are_read(first)
    assert_generative_models_learn(first)
    report = (first / "results/report.html").read_text()
    assert 'id="generative"' in report and "TGACTCA in samples" in report
    applied = report[report.index('id="applied"') : report.index('id="software"')]
    assert '<td class="name">new_dna</td>' in applied and '<td class="name">new_cohort</td>' in applied
    supervised = [d["task"] for d in config["datasets"].values() if d["task"] != "generation"]
    shown = sum(len(FIGURES[task]) for task in supervised)
    shown += len(GENERATIVE_FIGURES["tokens"]) + len(GENERATIVE_FIGURES["vector"])
    for dataset, *_ in Layout(config).interpreted_runs():  # motifs and courses two figures, others one
        kind = interpretation_of(config["datasets"][dataset])
        shown += sum(name in INTERPRET_FILES[kind] for name in ("figure", "time_figure", "logos", "tracks"))
    assert report.count("data:image/png;base64,") == shown
    rerun = digests(second / "results")
    made = digests(first / "results")
    assert {target.removeprefix("results/") for target in targets} <= rerun.keys()
    assert len(rerun) > 80 and rerun == {path: made[path] for path in rerun}


RERUN_FAMILIES = ("cnn", "mlp", "bilstm")  # convolution, dense layers, recurrence with its mask


def rerun_targets(config: dict) -> list[str]:
    """The predictions of the first run of each family of RERUN_FAMILIES and each baseline method of
    ``config`` (so its model, history and run.json too): what chance could change between two runs."""
    layout = Layout(config)
    seen, targets = set(), []
    for dataset in layout.evaluated_datasets():
        for name, unit, seed in layout.evaluated_runs(dataset):
            entry = config["models"].get(name) or config["baselines"][name]
            family = entry.get("family") or entry["method"]
            if name in config["models"] and family not in RERUN_FAMILIES:
                continue
            if family not in seen:
                seen.add(family)
                targets.append(layout.run(dataset, name, unit, str(seed))["predictions"])
    return targets


def test_demo_data_regenerates_bit_for_bit(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "resources/make_demo.py"), str(tmp_path)], check=True)
    assert digests(tmp_path) == digests(ROOT / "resources/demo")


# The recurrent settings of the demo with fewer epochs, two seeds each.
TIMECOURSE_MODELS = {
    "lstm": {
        "family": "lstm",
        "datasets": ["timecourse_forecast", "timecourse_classes"],
        "hparams": {"units": [64]},
        "training": {"epochs": 10, "learning_rate": 0.01, "batch_size": 32, "clipnorm": 1.0},
    },
    "gru": {
        "family": "gru",
        "datasets": ["timecourse_forecast", "timecourse_classes"],
        "training": {"epochs": 10, "learning_rate": 0.01},
    },
}
TIMECOURSE_BASELINES = {
    "persistence": {"method": "persistence"},
    "ridge_ar": {"method": "ridge_ar"},
    "summary_logistic": {"method": "summary_logistic"},
}


def only_timecourses(config: dict) -> None:
    config["datasets"] = {
        name: dataset for name, dataset in config["datasets"].items() if dataset["kind"] == "timecourse"
    }
    config.update(seeds=[1, 2], models=TIMECOURSE_MODELS, baselines=TIMECOURSE_BASELINES, bundles=False)


@pytest.mark.slow
def test_recurrent_models_beat_the_baselines_of_the_time_course_demo_over_two_seeds(tmp_path):
    workdir = copy_workflow(tmp_path)
    edit_config(workdir, only_timecourses)
    result = snakemake(workdir, "--cores", "2", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    forecast = pd.read_csv(workdir / "results/timecourse_forecast/compare/summary.tsv", sep="\t")
    mse = forecast.query("metric == 'mse'").set_index("model")
    assert list(mse.loc[["lstm", "gru"], "runs"]) == [2, 2]
    assert mse.loc[["lstm", "gru"], "sd"].notna().all()
    for model in ("lstm", "gru"):
        assert mse.loc[model, "ci_high"] < 0.1 * mse.loc["persistence", "mean"]
    runs = pd.read_csv(workdir / "results/timecourse_forecast/compare/metrics.tsv", sep="\t")
    per_seed = runs.query("metric == 'mse' and model in ['lstm', 'gru']")
    assert len(per_seed) == 4 and (per_seed["value"] < 0.1 * mse.loc["persistence", "mean"]).all()

    classes = pd.read_csv(workdir / "results/timecourse_classes/compare/summary.tsv", sep="\t")
    balanced = classes.query("metric == 'balanced_accuracy'").set_index("model")["mean"]
    assert balanced["lstm"] >= 0.8 and balanced["gru"] >= 0.8

    report = (workdir / "results/report.html").read_text()
    assert mean_sd(mse.loc["lstm"]) in report and " ± " in mean_sd(mse.loc["lstm"])


@pytest.mark.slow
def test_an_expression_cohort_with_missing_values_and_a_subset_sheet_runs_to_the_report(tmp_path):
    """missing: impute and use_samples: in_sheet through Snakemake, on repeated folds, to the report."""
    workdir = copy_workflow(tmp_path / "wf")
    matrix = pd.read_csv(workdir / "resources/demo/expression.counts.tsv.gz", sep="\t", index_col=0)
    rng = np.random.default_rng(7)
    matrix = matrix.mask(rng.random(matrix.shape) < 0.02)  # 2 % of the cells missing
    matrix.to_csv(workdir / "resources/demo/cohort.tsv", sep="\t", na_rep="NA")
    sheet = pd.read_csv(workdir / "resources/demo/expression.samples.tsv", sep="\t")
    two_classes = sheet[sheet["label"].isin(["subtype_A", "subtype_B"])]
    two_classes.to_csv(workdir / "resources/demo/cohort.samples.tsv", sep="\t", index=False)

    def cohort(config):
        config["datasets"] = {
            "cohort": {
                "kind": "expression",
                "task": "binary",
                "matrix": "resources/demo/cohort.tsv",
                "samples": "resources/demo/cohort.samples.tsv",
                "use_samples": "in_sheet",
                "missing": "impute",
                "group_column": "patient",
                "normalise": {"top_genes": 200},
                "split": {"folds": 3, "repeats": 2},
            }
        }
        config["models"] = {}
        config["baselines"] = {name: {"method": name} for name in ("logistic", "shuffled_labels")}

    edit_config(workdir, cohort)
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    meta = json.loads((workdir / "results/cohort/ingest/meta.json").read_text())
    left_out = len(sheet) - len(two_classes)
    assert meta["samples_left_out"] == left_out and meta["n_samples"] == len(two_classes)
    assert meta["missing"]["values"] == int(matrix[two_classes["sample"]].isna().sum().sum())
    params = json.loads((workdir / "results/cohort/features/r1fold2/params.json").read_text())
    assert len(params["impute_median"]) == len(matrix)
    summary = pd.read_csv(workdir / "results/cohort/compare/summary.tsv", sep="\t")
    auc = summary.query("metric == 'roc_auc'").set_index("model")
    assert auc.loc["logistic", "mean"] > 0.8 and auc.loc["logistic", "ci_high"] <= 1.0
    assert auc.loc["shuffled_labels", "ci_low"] <= 0.5 <= auc.loc["shuffled_labels", "ci_high"]
    assert set(auc["ci_method"]) == {"corrected resampled t over 6 folds (Nadeau & Bengio 2003)"}
    report = (workdir / "results/report.html").read_text()
    assert f"Data: {left_out} of {len(sheet)} samples of the matrix are not in the sample sheet" in report
    assert "imputed per gene with the median of the training partition" in report
