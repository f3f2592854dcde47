"""Real data: the vendored files are what the script makes of the sources, every real config
plans, and the splice-junction set runs end to end well above chance."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.data.ingest import ingest_timecourse
from biodl.errors import InputError
from biodl.workflow.config import check_config
from conftest import ROOT
from test_workflow import copy_workflow, digests, snakemake

REAL = ROOT / "resources/real"
GENOME_FOLDER = "tfbs_genome"  # made by resources/vendor_genome.py from the janggu wheel
SOURCES = ROOT.parent / "shared/real-data"
CONFIGS = sorted((ROOT / "config/real").glob("*.yaml"))


def vendor_module():
    """resources/vendor_real.py, which imports the demo's writers from its own folder."""
    if str(ROOT / "resources") not in sys.path:
        sys.path.insert(0, str(ROOT / "resources"))
    spec = importlib.util.spec_from_file_location("vendor_real", ROOT / "resources/vendor_real.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_real"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the published source files are not beside the project")
def test_vendored_files_are_what_the_script_makes_of_the_sources(tmp_path):
    vendor_module().vendor_all(SOURCES, tmp_path)
    vendored = {
        name: digest
        for name, digest in digests(REAL).items()
        if name != "README.md" and not name.startswith(f"{GENOME_FOLDER}/")
    }
    assert digests(tmp_path) == vendored


def test_the_pseudo_genome_holds_every_peak_of_the_tfbs_set_where_its_bed_files_say():
    """The genome-anchored Oct4/MafK files (resources/vendor_genome.py) against the tfbs set that the
    same package's peak files gave: each BED region's name is a tfbs id, its factor that id's label,
    and the genome's bases there that id's sequence."""
    from Bio import SeqIO
    from biodl.io.genome import Genome

    genome = Genome(REAL / GENOME_FOLDER / "genome.fa.gz")
    labels = pd.read_csv(REAL / "tfbs/tfbs.labels.tsv", sep="\t").set_index("id")
    with gzip.open(REAL / "tfbs/tfbs.fa.gz", "rt") as handle:
        sequences = {record.id: str(record.seq) for record in SeqIO.parse(handle, "fasta")}
    record = json.loads((REAL / GENOME_FOLDER / "conversion.json").read_text())
    seen = 0
    for factor in ("Oct4", "MafK"):
        bed = pd.read_csv(
            REAL / GENOME_FOLDER / f"{factor}.bed",
            sep="\t",
            header=None,
            names=["c", "s", "e", "id", "score", "strand"],
        )
        assert bed.groupby("c").size().to_dict() == record["peaks"][factor]
        assert (labels.loc[bed["id"], "label"] == factor).all()
        for row in bed.itertuples():
            assert genome.slice(row.c, row.s, row.e) == sequences[row.id].upper()
        seen += len(bed)
    assert seen == len(labels) == sum(record["chromosomes"].values()) // 200


def test_conversion_records_match_the_vendored_files():
    splice = pd.read_csv(REAL / "splice/splice.labels.tsv", sep="\t")
    record = json.loads((REAL / "splice/conversion.json").read_text())
    assert len(splice) == record["kept"] == record["records"] - record["dropped_conflicting_labels"]
    assert splice["label"].value_counts().to_dict() == record["classes"]
    chains = pd.read_csv(REAL / "chains/chains.labels.tsv", sep="\t")
    assert chains["id"].is_unique and chains["states"].str.fullmatch("[HEC]+").all()
    series = pd.read_csv(REAL / "yeast/alpha.series.tsv", sep="\t")
    assert set(series["phase"]) == {"G1", "S", "G2", "M", "M/G1"}


def test_vendor_keeps_one_copy_of_a_repeated_chain_and_renames_a_fragment(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    records = [">pdb1abc.pdb|A", "MKV", "HH-"] * 2 + [">1ABC.cif.gz|A", "MKVLL", "HHH--"]
    (source / "pdb_ss3.txt").write_text("\n".join([*records, ">struc1.pdb.gz| ", "GG", "--"]) + "\n")
    record = vendor_module().vendor_chains(source, tmp_path / "out")
    labels = pd.read_csv(tmp_path / "out/chains.labels.tsv", sep="\t")
    assert labels.to_dict("list") == {
        "id": ["1abc_A", "1abc_A.2", "struc1__"],
        "states": ["HHC", "HHHCC", "CC"],
        "entry": ["1abc", "1abc", "struc1"],
    }
    assert record["dropped_repeated_chains"] == 1 and record["renamed_second_records"] == 1


def test_yeast_missing_values_are_interpolated_only_when_asked(tmp_path):
    outputs = {name: tmp_path / f"{name}.out" for name in ("ids", "values", "times", "genes", "meta")}
    values, series = REAL / "yeast/alpha.tsv.gz", REAL / "yeast/alpha.series.tsv"
    with pytest.raises(InputError) as error:
        ingest_timecourse(
            values=values,
            series=series,
            outputs=outputs,
            task="series_classification",
            label_columns=["phase"],
        )
    assert str(error.value) == f"{values}: record 'YAL067C' (line 59): column 'value' value '' is missing"
    ingest_timecourse(
        values=values,
        series=series,
        outputs=outputs,
        task="series_classification",
        label_columns=["phase"],
        missing="interpolate",
    )
    meta = json.loads(outputs["meta"].read_text())
    assert (
        meta["interpolated"]
        == json.loads((REAL / "yeast/conversion.json").read_text())["missing_values_kept"]
    )


@pytest.mark.parametrize("path", CONFIGS, ids=[path.stem for path in CONFIGS])
def test_every_real_config_is_valid_and_plans(path, tmp_path):
    config = yaml.safe_load(path.read_text())
    check_config(config, ROOT / "config/schema.yaml", source=str(path))
    assert config["results"] == f"results/real/{path.stem}"
    workdir = copy_workflow(tmp_path / "wf")
    plan = snakemake(workdir, "-n", "--quiet", "rules", "--configfile", f"config/real/{path.name}")
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
    for name in config["datasets"]:
        assert name not in ("dna_binary", "expression")  # the demo config is not merged in


def reduced_splice(config: dict) -> dict:
    """One seed, the CNN for 8 epochs (not tuned), the k-mer logistic baseline and the shuffled-label control;
    500 test sequences interpreted with 16 integrated-gradient steps; no bundles."""
    config["seeds"] = [1]
    config["bundles"] = False
    config["interpret"] = {"items": 500, "steps": 16}
    cnn = {key: value for key, value in config["models"]["cnn"].items() if key != "search"}
    config["models"] = {"cnn": {**cnn, "training": {"epochs": 8}}}
    config["baselines"] = {
        "logistic": {"method": "logistic"},
        "shuffled_labels": {"method": "shuffled_labels"},
    }
    return config


@pytest.mark.slow
def test_splice_junctions_end_to_end_well_above_chance(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    path = workdir / "config/real/splice.yaml"
    path.write_text(yaml.safe_dump(reduced_splice(yaml.safe_load(path.read_text()))))
    result = snakemake(workdir, "--cores", "2", "--configfile", "config/real/splice.yaml", timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    results = workdir / "results/real/splice/splice"
    split = json.loads((results / "split/report.json").read_text())
    assert split["groups_across_partitions"] == 0 and split["groups"] < 3184  # duplicates grouped
    summary = pd.read_csv(results / "compare/summary.tsv", sep="\t")
    balanced = summary.query("metric == 'balanced_accuracy'").set_index("model")["mean"]
    # three classes: chance is 1/3; floors well above it, below published accuracies (≈ 0.95) and,
    # for the 4-mer logistic baseline, which cannot see where the GT/AG lies, below its 0.63
    assert balanced["cnn"] > 0.85
    assert balanced["logistic"] > 0.5
    assert abs(balanced["shuffled_labels"] - 1 / 3) < 0.1
    assert (workdir / "results/real/splice/report.html").is_file()

    # the CNN looks at the junction (between positions 30 and 31): the donor's GT lies at 31-32, the
    # acceptor's AG at 29-30; positions 28-33 (a tenth of the sequence) hold at least twice their share
    from biodl.interpret.attributions import position_profile

    attributions = np.load(results / "cnn/holdout-s1/interpret/attributions.npz")
    for name, contributions in zip(attributions["outputs"], attributions["contributions"]):
        profile = position_profile(contributions)
        assert profile[27:33].sum() / profile.sum() > 0.2, (name, profile.round(3).tolist())
        assert 29 <= profile.argmax() + 1 <= 32, (name, profile.round(3).tolist())

    # the CNN's run again from scratch: the same bytes (weights, history, predictions, metrics and
    # its interpretation)
    run = results / "cnn/holdout-s1"
    first = digests(run)
    shutil.rmtree(run)
    again = snakemake(workdir, "--cores", "2", "--configfile", "config/real/splice.yaml", timeout=1200)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert digests(run) == first and "model.keras" in first


def run_real_config(tmp_path: Path, name: str, change, *targets: str) -> Path:
    """A copy of the workflow that makes ``targets`` of ``config/real/<name>.yaml`` as ``change``
    edits it."""
    workdir = copy_workflow(tmp_path / "wf")
    path = workdir / f"config/real/{name}.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config))
    result = snakemake(workdir, *targets, "--cores", "2", "--configfile", str(path), timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


def golub_on_one_fold(config: dict) -> None:
    """The MLP and two baselines, a linear one and a forest, on one repeat of the five folds."""
    config["datasets"]["golub"]["split"] = {"folds": 5}
    config["baselines"] = {
        name: {"method": name} for name in ("logistic", "random_forest", "shuffled_labels")
    }


@pytest.mark.slow
def test_golub_genes_are_ranked_by_the_mlp_and_the_baselines_whose_rankings_agree(tmp_path):
    """On the first fold's test samples: the MLP's integrated gradients, the logistic baseline's
    coefficients and the forest's permutation importance each rank the 1,000 genes; the two
    baselines' top 50 share far more genes than two random lists would (2.5 expected). The MLP's
    overlap is reported whatever it is (docs/results.md: its first layer barely leaves its
    initialisation on 30 samples)."""
    interpretation = "results/real/golub/golub/mlp/fold0-s1/interpret"
    workdir = run_real_config(tmp_path, "golub", golub_on_one_fold, f"{interpretation}/agreement.tsv")
    agreement = pd.read_csv(workdir / interpretation / "agreement.tsv", sep="\t").set_index(
        ["first", "second"]
    )
    assert list(agreement.index) == [
        ("mlp (integrated gradients)", "logistic (coefficients)"),
        ("mlp (integrated gradients)", "random_forest (permutation)"),
        ("logistic (coefficients)", "random_forest (permutation)"),
    ]
    assert (agreement["top"] == 50).all() and (agreement["expected"] == 2.5).all()
    baselines = agreement.loc[("logistic (coefficients)", "random_forest (permutation)")]
    assert baselines["overlap"] >= 10 and baselines["p_overlap"] < 0.001, baselines.to_dict()
    rankings = pd.read_csv(workdir / interpretation / "rankings.tsv", sep="\t")
    assert len(rankings) == 1000 and rankings["gene"].is_unique


def tfbs_cnn_lstm(config: dict) -> None:
    """The homology-aware split, one seed of the CNN+LSTM for 10 epochs, no baseline; 500 test
    peaks interpreted with 16 integrated-gradient steps."""
    config["seeds"] = [1]
    config["datasets"] = {"tfbs_homology": config["datasets"]["tfbs_homology"]}
    config["models"] = {"cnn_lstm": {**config["models"]["cnn_lstm"], "training": {"epochs": 10}}}
    config["baselines"] = {}
    config["interpret"] = {"items": 500, "steps": 16}


@pytest.mark.slow
def test_oct4_and_mafk_peaks_give_a_pou_and_a_maf_motif_matched_in_jaspar(tmp_path):
    """Oct4 against MafK ChIP-seq peaks: among the TF-MoDISco motifs of the CNN+LSTM are a match to
    a POU-domain factor (Oct4 is POU5F1) and one to a Maf-related factor, each with q < 0.05."""
    matches = "results/real/tfbs/tfbs_homology/cnn_lstm/holdout-s1/interpret/matches.tsv"
    workdir = run_real_config(tmp_path, "tfbs", tfbs_cnn_lstm, matches)
    table = pd.read_csv(workdir / matches, sep="\t")
    found = table[(table["source"] == "tf-modisco") & (table["q_value"] < 0.05)]
    families = set(found["tf_family"].str.split("; ").explode())
    assert "POU domain factors" in families and "Maf-related" in families, found.to_string()
