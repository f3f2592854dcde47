"""Generative models in the workflow: which runs the config asks for, their evaluation, table and report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.errors import InputError
from biodl.evaluate.report import generative_columns, generative_table
from biodl.generative.metrics import evaluate_vae_run, letter_chance, summarise_runs, transfer_knn
from biodl.runkey import RunKey
from biodl.workflow.layout import Layout
from conftest import ROOT


@pytest.fixture
def layout():
    return Layout(yaml.safe_load((ROOT / "config/config.yaml").read_text()))


def test_generative_models_train_on_generation_data_and_the_vae_also_on_expression(layout):
    assert layout.generative_for("dna_generation") == ["gan", "vae"]
    assert layout.generative_for("expression") == ["vae"]
    assert layout.generative_for("dna_binary") == []
    assert "gan" not in layout.models_for("dna_generation")
    assert "gan" not in layout.model_pattern().split("|") and "vae" not in layout.model_pattern().split("|")
    assert layout.generative_pattern("gan") == "gan"


def test_each_generative_run_has_the_outputs_of_its_family_and_input(layout):
    assert layout.generative_outputs("dna_generation", "gan") == [
        "model",
        "history",
        "run",
        "sequences",
        "metrics",
    ]
    assert "profiles" in layout.generative_outputs("expression", "vae")
    assert "sequences" in layout.generative_outputs("dna_generation", "vae")
    targets = layout.generative_targets()
    assert "results/dna_generation/gan/holdout-s1/samples.fa" in targets
    assert "results/expression/vae/fold2-s1/samples.tsv" in targets
    assert "results/expression/generative/figures/latent.png" in targets
    assert "results/dna_generation/generative/figures/kmers.png" in targets
    assert "results/dna_generation/generative/summary.tsv" in targets


def test_a_listed_vae_may_train_on_labelled_sequences():
    config = {
        "datasets": {"seqs": {"kind": "sequences", "task": "binary", "alphabet": "dna", "fasta": "s.fa"}},
        "models": {"vae": {"family": "vae", "datasets": ["seqs"]}, "gan": {"family": "gan"}},
    }
    assert Layout(config).generative_for("seqs") == ["vae"]


def expression_run(tmp_path, latent_values, reconstructed, truth, labels, partitions):
    """latent.tsv, reconstruction.tsv (test rows), truth.npy and ids.tsv of a small expression VAE run."""
    ids = [f"s{i}" for i in range(len(labels))]
    pd.DataFrame({"id": ids, "label": labels}).to_csv(tmp_path / "ids.tsv", sep="\t", index=False)
    latent = pd.DataFrame(latent_values, columns=[f"z{k + 1}" for k in range(latent_values.shape[1])])
    latent.insert(0, "partition", partitions)
    latent.insert(0, "id", ids)
    latent.to_csv(tmp_path / "latent.tsv", sep="\t", index=False)
    test = np.flatnonzero(np.asarray(partitions) == "test")
    table = pd.DataFrame(reconstructed[test], columns=["g1", "g2", "g3"])
    table.insert(0, "id", [ids[i] for i in test])
    table.to_csv(tmp_path / "reconstruction.tsv", sep="\t", index=False)
    np.save(tmp_path / "truth.npy", truth)


def evaluate_expression_run(tmp_path, label_column, **options):
    """evaluate_vae_run on the files written by :func:`expression_run`."""
    return evaluate_vae_run(
        latent=tmp_path / "latent.tsv",
        reconstruction=tmp_path / "reconstruction.tsv",
        truth=tmp_path / "truth.npy",
        ids=tmp_path / "ids.tsv",
        label_column=label_column,
        output=tmp_path / "metrics.json",
        seed=0,
        **options,
    )


def test_vae_evaluation_fits_knn_on_train_and_scores_test(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array(["a", "b", "c"] * 30)
    centres = {"a": [0, 0], "b": [10, 0], "c": [0, 10]}
    latent = np.array([centres[label] for label in labels]) + rng.normal(0, 0.5, size=(90, 2))
    truth = rng.normal(size=(90, 3))
    partitions = ["train"] * 60 + ["valid"] * 10 + ["test"] * 20
    expression_run(tmp_path, latent, truth + 0.1, truth, labels, partitions)
    report = evaluate_expression_run(tmp_path, "label")
    assert report["latent"]["knn_accuracy"] == 1.0
    assert report["latent"]["train"] == 60 and report["latent"]["test"] == 20
    test_labels = labels[70:]
    assert report["latent"]["chance"] == pytest.approx(np.mean(test_labels == "a"))
    assert report["reconstruction"]["mse"] == pytest.approx(0.01)
    expected = np.mean((truth[70:] - truth[:60].mean(axis=0)) ** 2)
    assert report["mean_profile"]["mse"] == pytest.approx(expected)
    assert json.loads((tmp_path / "metrics.json").read_text()) == report


def test_vae_evaluation_without_labels_reports_reconstruction_only(tmp_path):
    rng = np.random.default_rng(1)
    truth = rng.poisson(5, size=(20, 3)).astype(float)
    expression_run(
        tmp_path, rng.normal(size=(20, 2)), truth, truth, ["x"] * 20, ["train"] * 15 + ["test"] * 5
    )
    report = evaluate_expression_run(tmp_path, None, log_scale=True)
    assert report["latent"] is None and report["reconstruction"]["mse"] == 0.0
    expected = np.mean((np.log1p(truth[15:]) - np.log1p(truth[:15].mean(axis=0))) ** 2)
    assert report["mean_profile"]["mse"] == pytest.approx(expected)


def test_vae_evaluation_of_an_unknown_id_names_the_file_and_leaves_nothing(tmp_path):
    rng = np.random.default_rng(2)
    truth = rng.normal(size=(10, 3))
    expression_run(
        tmp_path, rng.normal(size=(10, 2)), truth, truth, ["a", "b"] * 5, ["train"] * 8 + ["test"] * 2
    )
    table = pd.read_csv(tmp_path / "reconstruction.tsv", sep="\t")
    table.loc[0, "id"] = "ghost"
    table.to_csv(tmp_path / "reconstruction.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"reconstruction.tsv: id 'ghost' is not in .*ids.tsv$"):
        evaluate_expression_run(tmp_path, "label")
    assert not (tmp_path / "metrics.json").exists()


def test_transfer_knn_chance_is_the_training_majority_rate_on_test():
    train = np.array([[0.0], [0.1], [0.2], [5.0]])
    result = transfer_knn(
        train, np.array(["a", "a", "a", "b"]), np.array([[5.1], [0.0]]), np.array(["b", "b"]), 1
    )
    assert result["knn_accuracy"] == 0.5 and result["chance"] == 0.0


def test_letter_chance_ignores_padding():
    assert letter_chance(np.array([[1, 1, 2, 0], [1, 3, 0, 0]], dtype=np.uint8)) == 0.6


def test_summary_flattens_every_number_of_every_run(tmp_path):
    files = {}
    for seed, jsd in ((1, 0.1), (2, 0.3)):
        path = tmp_path / f"m{seed}.json"
        path.write_text(
            json.dumps({"kmer_jsd": {"generated": {"6": jsd}}, "label_column": "x", "latent": None})
        )
        files[RunKey("seqs", "gan", "holdout", seed).input_name("metrics")] = path
    files["ids"] = tmp_path / "ids.tsv"
    table = summarise_runs(files, tmp_path / "summary.tsv")
    assert table.to_dict("records") == [
        {"model": "gan", "unit": "holdout", "seed": 1, "metric": "kmer_jsd.generated.6", "value": 0.1},
        {"model": "gan", "unit": "holdout", "seed": 2, "metric": "kmer_jsd.generated.6", "value": 0.3},
    ]
    assert pd.read_csv(tmp_path / "summary.tsv", sep="\t").equals(table)


def test_report_table_shows_mean_and_sd_of_motif_and_divergence_columns():
    summary = pd.DataFrame(
        [
            ("gan", "holdout", seed, metric, value + seed / 100)
            for seed in (1, 2)
            for metric, value in (
                ("kmer_jsd.generated.6", 0.2),
                ("motifs.TGACTCA.generated", 0.6),
                ("motifs.TGACTCA.heldout", 0.7),
            )
        ],
        columns=["model", "unit", "seed", "metric", "value"],
    )
    assert [h for _, h in generative_columns("sequences", set(summary["metric"]))] == [
        "6-mer JSD",
        "TGACTCA in samples",
        "TGACTCA held-out",
    ]
    table = generative_table("sequences", summary)
    assert table.headers == ["model", "runs", "6-mer JSD", "TGACTCA in samples", "TGACTCA held-out"]
    (_, cells), *_ = table.rows
    assert cells[1] == "2" and "0.615 ± 0.00707" in cells


def test_unknown_generative_figure_is_an_input_error(tmp_path):
    from biodl.generative.plots import plot_generative

    with pytest.raises(InputError, match="unknown generative figure 'umap'"):
        plot_generative({"umap": tmp_path / "x.png"}, {})


def test_the_kmer_figure_draws_each_model_once_over_its_runs(tmp_path):
    from biodl.generative.plots import plot_kmers

    spectrum = {str(k): 0.1 / k for k in range(1, 7)}
    references = {"train_floor": spectrum, "shuffled_ceiling": spectrum, "background_ceiling": spectrum}
    files = {}
    for model in ("gan", "vae"):
        for seed in (1, 2):
            path = tmp_path / f"{model}{seed}.json"
            path.write_text(json.dumps({"kmer_jsd": {"generated": spectrum, **references}}))
            files[RunKey("seqs", model, "holdout", seed).input_name("metrics")] = path
    plot_kmers(files, tmp_path / "kmers.png")
    assert (tmp_path / "kmers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
