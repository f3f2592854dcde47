"""Generative models: a WGAN-GP and VAEs on small synthetic data with known structure."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_no_outputs
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from biodl.errors import InputError, TrainingDivergedError  # noqa: E402
from biodl.generative import runs  # noqa: E402
from biodl.generative.runs import sample_run, train_gan_run, train_vae_run  # noqa: E402
from biodl.io.outputs import save_array, save_json  # noqa: E402
from biodl.train.checkpoint import CHECKPOINT  # noqa: E402
from biodl.train.loop import configure_runtime  # noqa: E402

configure_runtime(0, 1)  # one thread for every test here, fixed before TensorFlow runs an op

MOTIF = [3, 3, 3, 2, 3, 3]  # GGGCGG
TINY_GAN = {"latent_dim": 8, "filters": 8, "kernel_size": 3, "blocks": 1, "critic_steps": 2}


def write_split(folder: Path, ids: list[str]) -> Path:
    """Holdout split: 60 % train, 20 % valid, 20 % test, interleaved."""
    partition = np.array(["train"] * 3 + ["valid", "test"])[np.arange(len(ids)) % 5]
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(folder / "split.tsv", sep="\t", index=False)
    return folder / "split.tsv"


def dna_files(
    folder: Path, n: int = 120, length: int = 16, gc: float = 0.6, planted: float = 0.7, seed: int = 0
) -> dict:
    """DNA with GC content ``gc`` and GGGCGG planted in a fraction of records, in the ingest layout."""
    rng = np.random.default_rng(seed)
    letters = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    tokens = rng.choice([1, 2, 3, 4], p=letters, size=(n, length)).astype(np.uint8)
    for row in np.flatnonzero(rng.random(n) < planted):
        start = rng.integers(0, length - len(MOTIF) + 1)
        tokens[row, start : start + len(MOTIF)] = MOTIF
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"gen{i:04d}" for i in range(n)]
    pd.DataFrame({"id": ids, "length": length}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    save_array(folder / "tokens.npy", tokens)
    save_json(folder / "meta.json", {"vocabulary": "ACGT"})
    return {
        "tokens": folder / "tokens.npy",
        "ids": folder / "ids.tsv",
        "split": write_split(folder, ids),
    }


def expression_files(folder: Path, n: int = 150, genes: int = 40, seed: int = 0) -> dict:
    """Three classes with distinct mean profiles: NB counts and their z-scored log values."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    base = rng.uniform(2.0, 5.0, size=genes)
    shifts = rng.normal(0.0, 1.5, size=(3, genes))
    means = np.exp(base + shifts[labels]) * rng.uniform(0.7, 1.4, size=(n, 1))
    counts = rng.poisson(rng.gamma(5.0, means / 5.0)).astype(np.float32)
    logged = np.log1p(counts)
    features = ((logged - logged.mean(axis=0)) / logged.std(axis=0)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"s{i:03d}" for i in range(n)]
    pd.DataFrame({"id": ids, "label": labels}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    pd.DataFrame({"gene": [f"G{j}" for j in range(genes)]}).to_csv(
        folder / "genes.tsv", sep="\t", index=False
    )
    save_array(folder / "features.npy", features)
    save_array(folder / "counts.npy", counts)
    return {
        "features": folder / "features.npy",
        "counts": folder / "counts.npy",
        "genes": folder / "genes.tsv",
        "ids": folder / "ids.tsv",
        "split": write_split(folder, ids),
        "labels": labels,
    }


def gan_outputs(folder: Path) -> dict:
    return {
        "model": folder / "generator.keras",
        "history": folder / "history.tsv",
        "run": folder / "run.json",
    }


def vae_outputs(folder: Path, samples: str = "samples.tsv") -> dict:
    names = ("model", "history", "run", "latent", "reconstruction", "samples")
    files = ("vae.keras", "history.tsv", "run.json", "latent.tsv", "reconstruction.tsv", samples)
    return {name: folder / file for name, file in zip(names, files)}


def train_gan(data: dict, folder: Path, epochs: int, seed: int = 1) -> dict:
    outputs = gan_outputs(folder)
    training = {"epochs": epochs, "batch_size": 32, "learning_rate": 1e-3}
    train_gan_run(
        tokens=data["tokens"],
        ids=data["ids"],
        split=data["split"],
        unit="holdout",
        seed=seed,
        threads=1,
        hparams=TINY_GAN,
        training=training,
        outputs=outputs,
    )
    return outputs


def read_fasta_records(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text().splitlines()
    return [(header[1:], sequence) for header, sequence in zip(lines[::2], lines[1::2])]


def history(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t")


def test_gan_trains_and_samples_fasta(tmp_path):
    data = dna_files(tmp_path / "data")
    outputs = train_gan(data, tmp_path / "gan", epochs=2)
    table = history(outputs["history"])
    assert list(table.columns) == [
        "epoch",
        "critic_loss",
        "generator_loss",
        "gradient_penalty",
        "wasserstein",
    ]
    assert table["epoch"].tolist() == [1, 2] and np.isfinite(table.to_numpy()).all()
    run = json.loads(outputs["run"].read_text())
    assert run["partition_sizes"] == {"train": 72, "valid": 24, "test": 24} and run["vocabulary"] == "ACGT"
    assert run["hparams"]["gp_weight"] == 10.0 and "tensorflow" in run["versions"]
    for mode in ("argmax", "sample"):
        fasta = tmp_path / f"{mode}.fa"
        sample_run(model=outputs["model"], n=25, seed=3, mode=mode, vocabulary="ACGT", fasta=fasta)
        records = read_fasta_records(fasta)
        assert [name for name, _ in records] == [f"sample{i:06d}" for i in range(1, 26)]
        assert all(len(sequence) == 16 and set(sequence) <= set("ACGT") for _, sequence in records)


def test_gan_is_reproducible_and_resumes_where_it_stopped(tmp_path, caplog):
    data = dna_files(tmp_path / "data")
    whole = train_gan(data, tmp_path / "whole", epochs=4)
    again = train_gan(data, tmp_path / "again", epochs=4)
    assert whole["model"].read_bytes() == again["model"].read_bytes()
    assert whole["history"].read_bytes() == again["history"].read_bytes()
    for name, outputs in (("a", whole), ("b", again)):
        sample_run(
            model=outputs["model"],
            n=30,
            seed=5,
            mode="sample",
            vocabulary="ACGT",
            fasta=tmp_path / f"{name}.fa",
        )
    assert (tmp_path / "a.fa").read_bytes() == (tmp_path / "b.fa").read_bytes()

    parts = train_gan(data, tmp_path / "parts", epochs=2)
    first_rows = history(parts["history"])
    with caplog.at_level(logging.INFO, logger="biodl.generative"):
        train_gan(data, tmp_path / "parts", epochs=4)
    assert "resuming from epoch 3" in caplog.text
    assert "epoch 1/4" not in caplog.text and "epoch 3/4" in caplog.text
    resumed, uninterrupted = history(parts["history"]), history(whole["history"])
    pd.testing.assert_frame_equal(resumed.iloc[:2], first_rows)
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    assert parts["model"].read_bytes() == whole["model"].read_bytes()


def test_gan_saves_the_moving_average_of_the_generator_weights(tmp_path):
    data = dna_files(tmp_path / "data")
    for ema in (0.0, 0.9):
        outputs = gan_outputs(tmp_path / f"ema{ema}")
        training = {"epochs": 2, "batch_size": 32, "learning_rate": 1e-3, "ema": ema}
        train_gan_run(
            tokens=data["tokens"],
            ids=data["ids"],
            split=data["split"],
            unit="holdout",
            seed=1,
            threads=1,
            hparams=TINY_GAN,
            training=training,
            outputs=outputs,
        )
        saved = keras.models.load_model(outputs["model"]).get_weights()
        with np.load(outputs["model"].parent / "checkpoint" / CHECKPOINT) as checkpoint:
            arrays = [checkpoint[f"gan.{index}"] for index in range(len(checkpoint.files) - 3)]
        last, rest = arrays[: len(saved)], arrays[len(saved) :]
        if ema == 0:
            assert all(np.array_equal(weight, raw) for weight, raw in zip(saved, last))
        else:  # the averages are optimizer variables of the checkpoint, and differ from the last weights
            assert not any(np.array_equal(weight, raw) for weight, raw in zip(saved, last) if weight.size > 1)
            assert all(any(np.array_equal(weight, array) for array in rest) for weight in saved)


def test_gan_divergence_leaves_no_model(tmp_path, monkeypatch):
    data = dna_files(tmp_path / "data")

    def diverging(*args, **kwargs):
        return dict.fromkeys(("critic_loss", "generator_loss", "gradient_penalty", "wasserstein"), math.nan)

    monkeypatch.setattr(runs, "gan_epoch", diverging)
    with pytest.raises(TrainingDivergedError, match=r"diverged at epoch 1 \(critic_loss nan"):
        train_gan(data, tmp_path / "gan", epochs=2)
    assert_no_outputs(gan_outputs(tmp_path / "gan"))
    assert not (tmp_path / "gan" / "checkpoint").exists()


def train_expression_vae(
    data: dict, folder: Path, hparams: dict, epochs: int = 60, counts: bool = False
) -> dict:
    outputs = vae_outputs(folder)
    training = {
        "epochs": epochs,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "patience": 10,
        "n_samples": 7,
        "sample_mode": "sample",
    }
    train_vae_run(
        kind="expression",
        inputs=data["features"],
        ids=data["ids"],
        split=data["split"],
        unit="holdout",
        seed=2,
        threads=1,
        hparams=hparams,
        training=training,
        outputs=outputs,
        counts=data["counts"] if counts else None,
        genes=data["genes"],
    )
    return outputs


def test_expression_vae_latent_separates_classes(tmp_path):
    data = expression_files(tmp_path / "data")
    outputs = train_expression_vae(data, tmp_path / "vae", {"units": [32], "warmup_epochs": 5}, epochs=30)
    latent = pd.read_csv(outputs["latent"], sep="\t")
    assert list(latent.columns) == ["id", "partition", *(f"z{k}" for k in range(1, 9))]
    assert len(latent) == 150 and set(latent["partition"]) == {"train", "valid", "test"}
    knn = KNeighborsClassifier(5)
    accuracy = cross_val_score(knn, latent.filter(like="z").to_numpy(), data["labels"], cv=5).mean()
    assert accuracy > 0.8  # chance is 1/3
    reconstruction = pd.read_csv(outputs["reconstruction"], sep="\t")
    assert list(reconstruction.columns) == ["id", *(f"G{j}" for j in range(40))]
    assert reconstruction["id"].tolist() == latent.loc[latent["partition"] == "test", "id"].tolist()
    samples = pd.read_csv(outputs["samples"], sep="\t")
    assert samples.shape == (7, 41) and samples["id"].iloc[0] == "sample000001"
    table = history(outputs["history"])
    assert {"kl_weight", "loss", "reconstruction", "kl", "val_loss"} <= set(table.columns)
    assert table["kl_weight"].iloc[0] == 0.0 and table["kl_weight"].iloc[-1] == 1.0
    run = json.loads(outputs["run"].read_text())
    assert run["likelihood"] == "gaussian" and 1 <= run["best_epoch"] <= run["epochs_run"]


def test_expression_vae_resumes_and_rejects_nan(tmp_path):
    data = expression_files(tmp_path / "data", n=60, genes=12)
    hparams = {"units": [16], "latent_dim": 2, "warmup_epochs": 2}
    whole = train_expression_vae(data, tmp_path / "whole", hparams, epochs=6)
    train_expression_vae(data, tmp_path / "parts", hparams, epochs=3)
    parts = train_expression_vae(data, tmp_path / "parts", hparams, epochs=6)
    for name in ("model", "history", "latent", "reconstruction", "samples"):
        assert parts[name].read_bytes() == whole[name].read_bytes(), name

    features = np.load(data["features"])
    features[5, 3] = np.nan
    save_array(data["features"], features)
    with pytest.raises(TrainingDivergedError, match="epoch 1"):
        train_expression_vae(data, tmp_path / "broken", hparams, epochs=3)
    assert_no_outputs(vae_outputs(tmp_path / "broken"))


def test_negative_binomial_vae_trains_on_counts(tmp_path):
    data = expression_files(tmp_path / "data", n=90)
    hparams = {"units": [32], "likelihood": "negative_binomial", "warmup_epochs": 3}
    outputs = train_expression_vae(data, tmp_path / "vae", hparams, epochs=15, counts=True)
    table = history(outputs["history"])
    assert np.isfinite(table.to_numpy()).all() and table["loss"].iloc[-1] < table["loss"].iloc[0]
    samples = pd.read_csv(outputs["samples"], sep="\t").drop(columns="id").to_numpy()
    assert samples.dtype.kind == "i" and (samples >= 0).all()
    reconstruction = pd.read_csv(outputs["reconstruction"], sep="\t").drop(columns="id").to_numpy()
    assert (reconstruction >= 0).all()
    run = json.loads(outputs["run"].read_text())
    assert run["median_library_size"] > 0 and run["encoder_input"] == "values"
    with pytest.raises(InputError, match="expression VAE"):
        sample_run(
            model=outputs["model"], n=3, seed=0, mode="argmax", vocabulary="ACGT", fasta=tmp_path / "no.fa"
        )
    assert not (tmp_path / "no.fa").exists()


def test_sequence_vae_reconstructs_above_chance(tmp_path):
    data = dna_files(tmp_path / "data", n=1000, length=16, gc=0.5, planted=1.0)
    outputs = vae_outputs(tmp_path / "vae", samples="samples.fa")
    hparams = {"filters": 32, "kernel_size": 5, "units": 64, "warmup_epochs": 5}
    training = {
        "epochs": 40,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "n_samples": 12,
        "sample_mode": "sample",
    }
    train_vae_run(
        kind="sequences",
        inputs=data["tokens"],
        ids=data["ids"],
        split=data["split"],
        unit="holdout",
        seed=4,
        threads=1,
        hparams=hparams,
        training=training,
        outputs=outputs,
    )
    reconstruction = pd.read_csv(outputs["reconstruction"], sep="\t")
    assert list(reconstruction.columns) == ["id", "sequence", "accuracy"] and len(reconstruction) == 200
    assert reconstruction["sequence"].str.fullmatch("[ACGT]{16}").all()
    tokens = np.load(data["tokens"])
    partition = pd.read_csv(data["split"], sep="\t")["partition"].to_numpy()
    majority = [np.bincount(column).argmax() for column in tokens[partition == "train"].T]
    without_latent = (tokens[partition == "test"] == majority).mean()  # the most common letter per position
    # chance is 0.25; placing the motif and nothing else gives 6/16 + 10/16 · 0.25 ≈ 0.53
    assert reconstruction["accuracy"].mean() > max(0.4, without_latent + 0.03)
    assert "accuracy" in history(outputs["history"]).columns
    records = read_fasta_records(outputs["samples"])
    assert len(records) == 12 and all(len(sequence) == 16 for _, sequence in records)
    sample_run(
        model=outputs["model"], n=5, seed=0, mode="argmax", vocabulary="ACGT", fasta=tmp_path / "decoded.fa"
    )
    assert len(read_fasta_records(tmp_path / "decoded.fa")) == 5


def test_kl_weight_rises_to_beta_over_the_warm_up():
    from biodl.generative.vae import kl_weight

    assert [kl_weight(epoch, 4, 0.1) for epoch in (0, 2, 4, 9)] == [0.0, 0.05, 0.1, 0.1]
    assert kl_weight(0, 0) == 1.0
