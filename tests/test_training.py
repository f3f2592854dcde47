"""Model families, the training routine and the prediction format, on small data with known answers."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_class_weight

keras = pytest.importorskip("keras")

from biodl.errors import TrainingDivergedError  # noqa: E402
from biodl.families import CAPABILITIES, supports  # noqa: E402
from biodl.io.outputs import save_array, save_json  # noqa: E402
from biodl.models import FAMILIES, build  # noqa: E402
from biodl.specs import InputSpec, TaskSpec  # noqa: E402
from biodl.train.checkpoint import saved_epoch  # noqa: E402
from biodl.train.loaders import class_weights, forecast_windows, has_padding, load_items  # noqa: E402
from biodl.train.loop import configure_runtime, train  # noqa: E402
from biodl.train.predict import predict_partition  # noqa: E402
from biodl.train.runs import train_run  # noqa: E402
from conftest import item_dataset  # noqa: E402

configure_runtime(0, 1)  # one thread for every test here, fixed before TensorFlow runs an op

MOTIF = [4, 3, 1, 2, 4]  # TGACT
ROOT = Path(__file__).resolve().parents[1]


def motif_dataset(
    folder: Path,
    n: int = 600,
    length: int = 40,
    seed: int = 0,
    task: str = "binary",
    positional: bool = False,
) -> dict:
    """Random DNA; 'yes' records carry the motif at a random position. Returns the ingest files.

    ``positional``: every record carries the motif, 'yes' records in the first half of the
    sequence and 'no' records in the second, so only where the motif lies tells the classes apart.
    """
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    labels = np.where(np.arange(n) % 2 == 0, "yes", "no")
    half = length // 2
    for row in range(n) if positional else np.flatnonzero(labels == "yes"):
        if positional:
            start = rng.integers(2, half - len(MOTIF) - 2) + (0 if labels[row] == "yes" else half)
        else:
            start = rng.integers(0, length - len(MOTIF))
        tokens[row, start : start + len(MOTIF)] = MOTIF
    meta = {
        "label_columns": ["label"],
        "classes": {"label": ["no", "yes"]},
        "vocabulary": "ACGT",
        "kmer": {"k": 4, "letters": "ACGT"},
    }
    return item_dataset(folder, {"label": labels}, meta, {"tokens": tokens})


def load(files: dict, task: str = "binary"):
    return load_items(
        "sequences", task, files, inputs_path=files["tokens"], split_path=files["split"], unit="holdout"
    )


def run_paths(folder: Path) -> dict:
    return {
        "model_path": folder / "model.keras",
        "history_path": folder / "history.tsv",
        "run_path": folder / "run.json",
    }


def test_registry_and_catalogue_agree():
    assert set(FAMILIES) == set(CAPABILITIES)
    assert supports("mlp", "vector", "binary") and not supports("mlp", "vector", "per_position")
    assert supports("lstm", "tokens", "per_position") and not supports("cnn", "vector", "binary")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_builds_the_head_of_every_task_it_supports(family):
    cases = [
        (InputSpec("tokens", (20,), 5), TaskSpec("binary", 1), (3, 1)),
        (InputSpec("tokens", (20,), 5), TaskSpec("multiclass", 4), (3, 4)),
        (InputSpec("tokens", (20,), 5), TaskSpec("multilabel", 3), (3, 3)),
        (InputSpec("tokens", (20,), 5), TaskSpec("regression", 2), (3, 2)),
        (InputSpec("tokens", (20,), 5), TaskSpec("per_position", 3), (3, 20, 3)),
        (InputSpec("vector", (12,)), TaskSpec("multiclass", 3), (3, 3)),
        (InputSpec("series", (8, 4)), TaskSpec("forecasting", 8, (2, 4)), (3, 2, 4)),
        (InputSpec("series", (8, 4)), TaskSpec("series_classification", 2), (3, 2)),
    ]
    built = 0
    for spec, task, shape in cases:
        if not supports(family, spec.kind, task.task):
            with pytest.raises(ValueError, match="does not support"):
                build(family, spec, task)
            continue
        model = build(family, spec, task)
        dtype = "uint8" if spec.kind == "tokens" else "float32"
        x = np.ones((3, *spec.shape), dtype=dtype)
        assert model.predict(x, verbose=0).shape == shape
        built += 1
    assert built >= 2


def test_balanced_class_weights_match_scikit_learn():
    targets = np.array([0, 0, 0, 1, 2, 2, 0, 1])
    rows = np.arange(8)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=targets)
    np.testing.assert_allclose(class_weights(targets, rows, 3), expected, rtol=1e-6)


def test_cnn_beats_chance_and_writes_the_prediction_format(tmp_path, caplog):
    data = load(motif_dataset(tmp_path / "data"))
    out = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="biodl.train.loop"):
        train(
            data,
            "cnn",
            hparams={"filters": 16, "kernel_size": 5},
            training={"epochs": 8, "learning_rate": 0.01},
            seed=1,
            threads=1,
            **run_paths(out),
        )
    epochs = [record.getMessage() for record in caplog.records if record.getMessage().startswith("epoch ")]
    assert epochs[0].startswith("epoch 1/8: loss ") and ", ETA ≤ " in epochs[0]
    assert epochs[-1].startswith(f"epoch {len(epochs)}/8: ")
    predictions = predict_partition(keras.models.load_model(out / "model.keras"), data)
    assert predictions.columns.tolist() == ["id", "truth", "score:no", "score:yes"]
    assert len(predictions) == 120
    np.testing.assert_allclose(predictions[["score:no", "score:yes"]].sum(axis=1), 1, atol=1e-6)
    assert roc_auc_score(predictions["truth"] == "yes", predictions["score:yes"]) > 0.9
    history = pd.read_csv(out / "history.tsv", sep="\t")
    assert {"epoch", "loss", "val_loss", "learning_rate"} <= set(history.columns)
    run = json.loads((out / "run.json").read_text())
    assert run["versions"]["keras"] == keras.__version__
    assert {"python", "numpy", "backend", "biodl"} <= set(run["versions"])
    assert run["best_epoch"] == int(history["val_loss"].idxmin()) + 1
    assert not (out / "checkpoint").exists()


def test_flattened_cnn_tells_where_a_motif_lies_and_the_global_max_cnn_cannot(tmp_path):
    data = load(motif_dataset(tmp_path / "data", positional=True))
    auc = {}
    for pooling in ("max", "flatten"):
        out = tmp_path / pooling
        hparams = {"filters": 16, "kernel_size": 5, "pooling": pooling}
        train(
            data,
            "cnn",
            hparams=hparams,
            training={"epochs": 8, "learning_rate": 0.01},
            seed=1,
            threads=1,
            **run_paths(out),
        )
        predictions = predict_partition(keras.models.load_model(out / "model.keras"), data)
        auc[pooling] = roc_auc_score(predictions["truth"] == "yes", predictions["score:yes"])
    assert auc["flatten"] > 0.95
    assert abs(auc["max"] - 0.5) < 0.15  # every record holds the motif: its position is the only signal


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "rate", "n", "epochs"),
    [
        ("rnn", 0.01, 800, 15),
        ("gru", 0.01, 800, 15),
        ("birnn", 0.01, 800, 15),
        ("cnn_lstm", 0.01, 800, 15),
        ("lstm", 0.03, 1500, 20),  # LSTMs leave the initial plateau later than the others
        ("bilstm", 0.01, 1500, 20),
    ],
)
def test_sequence_families_beat_chance_on_a_planted_motif(tmp_path, family, rate, n, epochs):
    data = load(motif_dataset(tmp_path / "data", n=n, length=30))
    out = tmp_path / "run"
    settings = {"epochs": epochs, "learning_rate": rate, "patience": 8}
    train(data, family, hparams={}, training=settings, seed=1, threads=1, **run_paths(out))
    predictions = predict_partition(keras.models.load_model(out / "model.keras"), data)
    assert roc_auc_score(predictions["truth"] == "yes", predictions["score:yes"]) > 0.8


def test_max_over_time_ignores_padding():
    from biodl.models.layers import MaxOverTime

    values = np.array([[[1.0], [-2.0], [5.0]]], dtype="float32")
    mask = np.array([[True, True, False]])
    assert float(MaxOverTime()(values, mask=mask)[0, 0]) == 1.0
    assert float(MaxOverTime()(values)[0, 0]) == 5.0


def test_padding_is_found_at_the_padded_end_of_any_row():
    full = np.array([[1, 2, 3], [4, 1, 2]], dtype=np.uint8)
    right = np.array([[1, 2, 3], [4, 1, 0]], dtype=np.uint8)
    left = np.array([[1, 2, 3], [0, 4, 1]], dtype=np.uint8)
    assert not has_padding(full) and not has_padding(full, "left")
    assert has_padding(right) and not has_padding(right, "left")
    assert has_padding(left, "left") and not has_padding(left)


def test_recurrent_models_mask_only_padded_inputs_and_train_alike_without_the_mask(tmp_path):
    files = motif_dataset(tmp_path / "data", n=200, length=30)
    unpadded = load(files)
    padded = dataclasses.replace(unpadded, spec=dataclasses.replace(unpadded.spec, padded=True))
    assert unpadded.spec.padded is False
    scores = []
    for name, data in (("masked", padded), ("unmasked", unpadded)):
        train(
            data,
            "birnn",
            hparams={},
            training={"epochs": 2, "learning_rate": 0.01},
            seed=1,
            threads=1,
            **run_paths(tmp_path / name),
        )
        model = keras.models.load_model(tmp_path / name / "model.keras")
        assert ("mask_padding" in [layer.name for layer in model.layers]) == data.spec.padded
        scores.append(predict_partition(model, data)["score:yes"].to_numpy())
    np.testing.assert_array_equal(scores[0], scores[1])
    tokens = np.load(files["tokens"])
    tokens[3, -4:] = 0
    save_array(files["tokens"], tokens)
    assert load(files).spec.padded is True


def test_mlp_beats_chance_on_expression_with_class_signal(tmp_path):
    rng = np.random.default_rng(4)
    n, genes = 300, 50
    labels = np.array(["a", "b", "c"])[np.arange(n) % 3]
    features = rng.normal(size=(n, genes)).astype(np.float32)
    for k, name in enumerate("abc"):
        features[labels == name, 5 * k : 5 * k + 5] += 1.5
    folder = tmp_path / "data"
    folder.mkdir()
    ids = [f"s{i}" for i in range(n)]
    pd.DataFrame({"id": ids, "label": labels}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    save_array(folder / "features.npy", features)
    save_json(folder / "meta.json", {"label_columns": ["label"], "classes": {"label": ["a", "b", "c"]}})
    partition = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)[np.arange(n) % 10]
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(folder / "split.tsv", sep="\t", index=False)
    files = {"ids": folder / "ids.tsv", "meta": folder / "meta.json"}
    data = load_items(
        "expression",
        "multiclass",
        files,
        inputs_path=folder / "features.npy",
        split_path=folder / "split.tsv",
        unit="holdout",
    )
    settings = {"epochs": 20, "learning_rate": 0.01}
    train(
        data,
        "mlp",
        hparams={"units": [32]},
        training=settings,
        seed=1,
        threads=1,
        **run_paths(tmp_path / "run"),
    )
    predictions = predict_partition(keras.models.load_model(tmp_path / "run" / "model.keras"), data)
    scores = predictions.filter(like="score:")
    predicted = scores.columns[scores.to_numpy().argmax(axis=1)].str.removeprefix("score:")
    assert (predicted == predictions["truth"]).mean() > 0.8  # chance: 1/3


def weights_of(path: Path) -> list[np.ndarray]:
    return keras.models.load_model(path).get_weights()


@pytest.mark.parametrize(("family", "hparams"), [("cnn", {"filters": 8}), ("lstm", {"units": [8]})])
def test_same_seed_gives_identical_weights_and_predictions(tmp_path, family, hparams):
    data = load(motif_dataset(tmp_path / "data", n=200))
    settings = {"epochs": 3, "batch_size": 32}
    outputs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        train(
            data,
            family,
            hparams=hparams,
            training=settings,
            seed=seed,
            threads=1,
            **run_paths(tmp_path / name),
        )
        model = keras.models.load_model(tmp_path / name / "model.keras")
        outputs.append((model.get_weights(), predict_partition(model, data)))
    for first, second in zip(outputs[0][0], outputs[1][0]):
        np.testing.assert_array_equal(first, second)
    pd.testing.assert_frame_equal(outputs[0][1], outputs[1][1])
    for name in ("model.keras", "history.tsv", "run.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert any(not np.array_equal(a, c) for a, c in zip(outputs[0][0], outputs[2][0]))


def test_training_job_writes_the_test_predictions_of_its_saved_model(tmp_path):
    files = motif_dataset(tmp_path / "data", n=200)
    outputs = {**run_paths(tmp_path / "run"), "predictions": tmp_path / "run/predictions.tsv"}
    train_run(
        files={**files, "inputs": files["tokens"]},
        outputs={key.removesuffix("_path"): path for key, path in outputs.items()},
        unit="holdout",
        seed=3,
        threads=1,
        kind="sequences",
        task="binary",
        family="cnn",
        hparams={"filters": 8},
        training={"epochs": 2},
    )
    written = pd.read_csv(outputs["predictions"], sep="\t")
    expected = predict_partition(keras.models.load_model(outputs["model_path"]), load(files))
    assert written["id"].tolist() == expected["id"].tolist() == [f"r{i}" for i in range(200) if i % 10 >= 8]
    np.testing.assert_allclose(written["score:yes"], expected["score:yes"], rtol=1e-6)


def test_nan_loss_stops_with_a_message_and_no_model(tmp_path):
    files = motif_dataset(tmp_path / "data", n=200)
    index = pd.read_csv(files["ids"], sep="\t")
    index["score"] = np.linspace(0, 1e30, len(index))
    index.to_csv(files["ids"], sep="\t", index=False)
    meta = json.loads(files["meta"].read_text())
    meta["label_columns"] = ["score"]
    save_json(files["meta"], meta)
    data = load(files, "regression")
    out = tmp_path / "run"
    message = r"loss became (nan|inf) at epoch 1, batch \d+; lower the"
    with pytest.raises(TrainingDivergedError, match=message):
        train(
            data,
            "cnn",
            hparams={"filters": 4},
            training={"epochs": 2, "learning_rate": 1e12},
            seed=1,
            threads=1,
            **run_paths(out),
        )
    assert not (out / "model.keras").exists()
    assert not (out / "checkpoint").exists()


RESUMABLE = """
import sys
from biodl.train.loaders import load_items
from biodl.train.loop import train
folder = sys.argv[1]
files = {{k: f"{{folder}}/data/{{n}}" for k, n in [("ids", "ids.tsv"), ("meta", "meta.json"),
         ("tokens", "tokens.npy"), ("split", "split.tsv")]}}
data = load_items("sequences", "binary", files, inputs_path=files["tokens"], split_path=files["split"],
                  unit="holdout")
out = f"{{folder}}/{{sys.argv[2]}}"
train(data, "cnn", hparams={{"filters": 32}}, seed=3, threads=1,
      training={{"epochs": {epochs}, "patience": 100, "batch_size": 16}},
      model_path=f"{{out}}/model.keras", history_path=f"{{out}}/history.tsv", run_path=f"{{out}}/run.json")
"""


def test_killed_training_resumes_from_its_last_epoch(tmp_path):
    motif_dataset(tmp_path / "data", n=1500, length=60)
    script = tmp_path / "train.py"
    script.write_text(RESUMABLE.format(epochs=6))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    checkpoint = tmp_path / "killed" / "checkpoint"
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path), "killed"], env=env)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if (saved_epoch(checkpoint) or 0) >= 1:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "training finished before it could be killed"
    assert not (tmp_path / "killed" / "model.keras").exists()
    killed_at = saved_epoch(checkpoint)
    subprocess.run([sys.executable, str(script), str(tmp_path), "killed"], env=env, check=True)
    run = json.loads((tmp_path / "killed" / "run.json").read_text())
    assert run["resumed_from_epoch"] == killed_at + 2
    history = pd.read_csv(tmp_path / "killed" / "history.tsv", sep="\t")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    subprocess.run([sys.executable, str(script), str(tmp_path), "straight"], env=env, check=True)
    for resumed, straight in zip(
        weights_of(tmp_path / "killed" / "model.keras"), weights_of(tmp_path / "straight" / "model.keras")
    ):
        np.testing.assert_array_equal(resumed, straight)


def test_forecast_windows_stay_inside_their_partition():
    partition = np.array(["train"] * 50 + ["gap"] * 6 + ["valid"] * 10 + ["gap"] * 6 + ["test"] * 28)
    lookback, horizon = 4, 2
    windows = {
        name: forecast_windows(2, 100, lookback, horizon, 1, np.broadcast_to(partition == name, (2, 100)))
        for name in ("train", "valid", "test")
    }
    assert len(windows["train"]) == 2 * (50 - 6 + 1)
    test_targets = {(s, t) for s, start in windows["test"] for t in range(start + lookback, start + 6)}
    train_cells = {(s, t) for s, start in windows["train"] for t in range(start, start + 6)}
    assert not test_targets & train_cells
    for name, found in windows.items():
        assert (partition[found[:, 1]] == name).all()
        assert (partition[found[:, 1] + lookback + horizon - 1] == name).all()


JAX_SLICE = """
import json, sys
from pathlib import Path
import numpy as np, keras
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.model_selection import cross_val_score
import pandas as pd
from test_training import load, motif_dataset, run_paths
from test_generative import expression_files, train_expression_vae
from biodl.train.loop import train
from biodl.train.predict import predict_partition

assert keras.backend.backend() == "jax"
folder = Path(sys.argv[1])
data = load(motif_dataset(folder / "data", n=800, length=30))
result = {}
for family, rate in (("cnn", 0.01), ("bigru", 0.01)):
    scores = []
    for attempt in ("first", "again"):
        out = folder / family / attempt
        settings = {"epochs": 10, "learning_rate": rate, "patience": 8}
        train(data, family, hparams={}, training=settings, seed=1, threads=1, **run_paths(out))
        table = predict_partition(keras.models.load_model(out / "model.keras"), data)
        scores.append(table["score:yes"].to_numpy())
    result[family] = {
        "auc": roc_auc_score(table["truth"] == "yes", scores[0]),
        "same": bool(np.array_equal(scores[0], scores[1])),
        "backend": json.loads((out / "run.json").read_text())["compute"]["backend"],
    }
expression = expression_files(folder / "expression")
outputs = train_expression_vae(expression, folder / "vae", {"units": [32], "warmup_epochs": 5}, epochs=30)
latent = pd.read_csv(outputs["latent"], sep="\t")
knn = cross_val_score(KNeighborsClassifier(5), latent.filter(like="z").to_numpy(), expression["labels"], cv=5)
result["vae"] = {"knn": float(knn.mean())}
print(json.dumps(result))
"""


def test_the_jax_backend_trains_above_chance_and_repeats_bit_for_bit(tmp_path):
    """A slice of the families on JAX (the CPU tests run TensorFlow everywhere else): a CNN and a
    BiGRU on a planted motif, each trained twice with one seed, and the expression VAE."""
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": f"{ROOT / 'scripts'}:{ROOT / 'tests'}"}
    result = subprocess.run(
        [sys.executable, "-c", JAX_SLICE, str(tmp_path)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for family in ("cnn", "bigru"):
        assert found[family]["backend"] == "jax" and found[family]["same"], found
        assert found[family]["auc"] > 0.8, found
    assert found["vae"]["knn"] > 0.8, found  # three classes: chance is 1/3


def test_augmentation_changes_training_batches_only_and_repeats_with_the_seed(tmp_path):
    from biodl.alphabets import DNA, complement_table
    from biodl.train.batches import Augmentation, Batches

    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 5, size=(400, 12)).astype(np.uint8)
    changed = Augmentation("dna", reverse_complement=True, shift=3).apply(tokens, np.random.default_rng(5))
    complement = complement_table(DNA)
    for row, new in zip(tokens, changed):  # each row: itself or its reverse complement, shifted by -3..3
        candidates = [row, complement[row[::-1]]]
        matches = [
            move
            for candidate in candidates
            for move in range(-3, 4)
            if np.array_equal(new, np.roll(candidate, move) * _kept(move, len(row)))
        ]
        assert matches, (row, new)
    unchanged = np.mean([np.array_equal(r, n) for r, n in zip(tokens, changed)])
    assert 0.02 < unchanged < 0.15  # kept as it is: forward strand (1/2) and no shift (1/7)
    data = load(motif_dataset(tmp_path / "data", n=200))
    augment = Augmentation("dna", reverse_complement=True, shift=2)
    plain = Batches(data.partitions["train"], 32, True, seed=1)
    first, again = (Batches(data.partitions["train"], 32, True, seed=1, augment=augment) for _ in range(2))
    assert not np.array_equal(plain[0][0], first[0][0])
    np.testing.assert_array_equal(first[0][0], again[0][0])
    np.testing.assert_array_equal(plain[0][1], first[0][1])  # targets untouched
    data.augment = {"alphabet": "dna", "reverse_complement": True, "shift": 2}
    for name in ("a", "b"):
        train(
            data,
            "cnn",
            hparams={"filters": 8},
            training={"epochs": 2},
            seed=3,
            threads=1,
            **run_paths(tmp_path / name),
        )
    assert (tmp_path / "a/model.keras").read_bytes() == (tmp_path / "b/model.keras").read_bytes()
    assert json.loads((tmp_path / "a/run.json").read_text())["augment"] == data.augment


def _kept(move: int, length: int) -> np.ndarray:
    """1 where a row shifted by ``move`` keeps a base, 0 where padding comes in."""
    mask = np.ones(length, dtype=np.uint8)
    if move > 0:
        mask[:move] = 0
    elif move < 0:
        mask[move:] = 0
    return mask
