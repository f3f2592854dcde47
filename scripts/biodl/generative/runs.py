"""Training and sampling runs of the generative models, called by the workflow with plain arguments.

Every function writes its outputs all or nothing; the same inputs, seed and
threads give byte-identical files.

Resume (:mod:`biodl.train.checkpoint`, as for the supervised runs): after
every epoch the whole state of a run (weights and optimizer states of every
network, the history so far, the epoch and, for a VAE, the early-stopping state
and the best weights) is written atomically to
``<model dir>/checkpoint/state.npz``. A rerun with the same data,
hyper-parameters, training settings and seed continues after the last saved
epoch, with the batches and noise the uninterrupted run would have drawn. The
number of epochs is not part of those settings and the checkpoint stays after
a finished run, so a rerun asking for more epochs continues training; delete
the folder to start afresh. A run whose loss becomes NaN or infinite raises
:class:`~biodl.errors.TrainingDivergedError` and leaves no model and no
checkpoint.

Outputs:

- GAN: ``model`` (the generator: noise of ``latent_dim`` → L × A letter
  probabilities), ``history`` (epoch, critic_loss, generator_loss,
  gradient_penalty, wasserstein: means over the epoch's steps; wasserstein is
  the critic's estimate E[D(real)] − E[D(fake)]) and ``run`` (run.json).
- VAE: ``model`` (the whole VAE; ``model.encoder`` and ``model.decoder`` are
  Keras models), ``history`` (epoch, kl_weight, loss, reconstruction, kl
  [, accuracy], then the same with ``val_`` on the validation partition, where
  the loss is the negative ELBO), ``run``, ``latent`` (id, partition,
  z1..zK: latent means of every item), ``reconstruction`` (test partition,
  decoded from the latent mean; expression: wide, id then one column per gene,
  in normalised units for ``gaussian`` and as expected counts at the item's
  library size for ``negative_binomial``; sequences: id, sequence of the most
  probable letters at the original's non-padding positions, accuracy over
  those positions) and ``samples`` (``n_samples`` items decoded from z drawn
  from the prior; expression: a TSV, id then genes, with the decoder's means
  for ``gaussian`` and counts drawn from the negative binomial at the median
  training library size for ``negative_binomial``; sequences: FASTA).

Training settings and their defaults: :data:`biodl.families.TRAINING_DEFAULTS`. GAN: an
epoch is one generator update per batch of the train partition; the saved generator holds
the exponential moving average of its weights over the steps, with momentum ``ema``, and 0
saves the last step's weights. VAE: patience counts epochs without a better validation
loss once the KL warm-up is over; ``n_samples`` and ``sample_mode`` (the model's
``samples`` settings) are required. Model hyper-parameters: see
:mod:`biodl.generative.gan` and :mod:`biodl.generative.vae`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from biodl.data.encode import one_hot
from biodl.data.split import Items, read_items
from biodl.errors import InputError, TrainingDivergedError
from biodl.families import TRAINING_DEFAULTS
from biodl.generative.gan import GAN_DEFAULTS, LOSS_NAMES, WassersteinGAN, build_gan
from biodl.generative.vae import (
    EXPRESSION_DEFAULTS,
    LIKELIHOODS,
    SEQUENCE_DEFAULTS,
    VariationalAutoencoder,
    build_expression_vae,
    build_sequence_vae,
    kl_weight,
)
from biodl.io.outputs import all_or_nothing, save_json, save_table
from biodl.progress import EpochClock
from biodl.train.batches import Batches
from biodl.train.checkpoint import (
    assign,
    fingerprint,
    load_checkpoint,
    save_checkpoint,
    save_keras,
    snapshot,
    write_history,
)
from biodl.train.devices import compute_setup
from biodl.train.loaders import Partition
from biodl.train.loop import NanGuard, configure_runtime, software_versions

PathLike = str | os.PathLike
log = logging.getLogger("biodl.generative")

GAN_TRAINING_DEFAULTS = TRAINING_DEFAULTS["gan"]
VAE_TRAINING_DEFAULTS = TRAINING_DEFAULTS["vae"]
SAMPLE_SETTINGS = ("n_samples", "sample_mode")  # how many samples a VAE writes and how (config: samples)
OUTPUT_SETTINGS = ("epochs", "n_samples", "sample_mode")  # settings that leave the training steps unchanged
SAMPLE_MODES = ("argmax", "sample")
CHUNK = 1024


# ---------------------------------------------------------------- shared helpers


def with_defaults(given: dict | None, defaults: dict, what: str) -> dict:
    """``given`` over ``defaults``; unknown names and counts below 1 are input errors."""
    unknown = sorted(set(given or {}) - set(defaults))
    if unknown:
        raise InputError(f"unknown {what} {unknown}; known: {sorted(defaults)}")
    merged = {**defaults, **(given or {})}
    for name in ("epochs", "batch_size", "critic_steps", "latent_dim"):
        if name in merged and int(merged[name]) < 1:
            raise InputError(f"{what}: {name} must be at least 1, not {merged[name]}")
    return merged


def digest(*arrays: np.ndarray) -> str:
    """Content hash of arrays (shape, dtype and bytes), read in chunks."""
    hasher = hashlib.blake2b(digest_size=16)
    for array in arrays:
        hasher.update(f"{array.shape}{array.dtype.str}".encode())
        for start in range(0, len(array), 4096):
            hasher.update(np.ascontiguousarray(array[start : start + 4096]).tobytes())
    return hasher.hexdigest()


def text_digest(values: list[str]) -> str:
    """Content hash of a list of strings."""
    return hashlib.blake2b("\n".join(values).encode("utf-8"), digest_size=16).hexdigest()


def training_steps(settings: dict) -> dict:
    """The training settings that change what the steps compute."""
    return {key: value for key, value in settings.items() if key not in OUTPUT_SETTINGS}


def resolve_vocabulary(vocabulary: str | None, ids: PathLike, tokens: np.ndarray) -> str:
    """The letters in token order: given, or from ``meta.json`` next to ``ids.tsv``."""
    meta = Path(ids).with_name("meta.json")
    if vocabulary is None and meta.exists():
        vocabulary = json.loads(meta.read_text(encoding="utf-8")).get("vocabulary")
    if not vocabulary:
        raise InputError(f"no vocabulary for {ids}: pass the letters in token order (e.g. 'ACGT')")
    largest = max(int(np.max(tokens[start : start + 4096])) for start in range(0, len(tokens), 4096))
    if largest > len(vocabulary):
        raise InputError(f"token {largest} is outside the vocabulary {vocabulary!r}")
    return vocabulary


def check_finite(values: dict[str, float], epoch: int, advice: str) -> None:
    """Raise TrainingDivergedError when a loss is NaN or infinite."""
    broken = {name: value for name, value in values.items() if not math.isfinite(value)}
    if broken:
        shown = ", ".join(f"{name} {value}" for name, value in broken.items())
        raise TrainingDivergedError(f"training diverged at epoch {epoch + 1} ({shown}); {advice}")


# ---------------------------------------------------------------- sequences out


def choose_letters(probabilities: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
    """Letter index per position: the most probable, or drawn from each position's distribution."""
    if mode == "argmax":
        return probabilities.argmax(axis=-1)
    if mode != "sample":
        raise InputError(f"unknown sampling mode {mode!r}; choose one of {list(SAMPLE_MODES)}")
    cumulative = np.cumsum(probabilities.astype(np.float64), axis=-1)
    cumulative /= cumulative[..., -1:]
    draws = rng.random(probabilities.shape[:-1])[..., None]
    return np.minimum((draws >= cumulative).sum(axis=-1), probabilities.shape[-1] - 1)


def write_fasta(path: PathLike, letters: np.ndarray, vocabulary: str, prefix: str = "sample") -> None:
    """Sequences of letter indices as FASTA records ``>sample000001`` …, one line each."""
    table = np.frombuffer(vocabulary.encode("ascii"), dtype=np.uint8)
    rows = table[letters]
    records = [
        f">{prefix}{index:06d}\n{row.tobytes().decode('ascii')}\n" for index, row in enumerate(rows, 1)
    ]
    Path(path).write_text("".join(records), encoding="ascii")


def decode_in_chunks(decoder: keras.Model, latent: np.ndarray) -> np.ndarray:
    """Decoder outputs for latent points, computed a chunk at a time."""
    parts = [
        keras.ops.convert_to_numpy(decoder(latent[start : start + CHUNK], training=False))
        for start in range(0, len(latent), CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, *decoder.output_shape[1:]), np.float32)


def prior_draws(rng: np.random.Generator, n: int, latent_dim: int) -> np.ndarray:
    """n points from the standard normal prior."""
    return rng.standard_normal((n, latent_dim)).astype(np.float32)


# ---------------------------------------------------------------- GAN


def check_fixed_length(tokens: np.ndarray, rows: np.ndarray, path: PathLike) -> None:
    """The GAN models sequences of one length: padded training sequences are an input error."""
    padded = sum(
        int((np.asarray(tokens[rows[start : start + 4096]]) == 0).any(axis=1).sum())
        for start in range(0, len(rows), 4096)
    )
    if padded:
        raise InputError(
            f"{path}: {padded} of {len(rows)} training sequences are shorter than {tokens.shape[1]} "
            "(padded); the GAN needs sequences of one length"
        )


def gan_epoch(
    gan: WassersteinGAN, tokens: np.ndarray, rows: np.ndarray, batch_size: int, seed: int, epoch: int
) -> dict[str, float]:
    """One pass over the train partition in an order seeded by (seed, epoch); mean losses."""
    order = rows[np.random.default_rng([seed, epoch]).permutation(len(rows))]
    n_batches = math.ceil(len(order) / batch_size)
    alphabet_size = gan.generator.output_shape[-1]
    totals = dict.fromkeys(LOSS_NAMES, 0.0)
    for batch in range(n_batches):
        chosen = np.sort(order[batch * batch_size : (batch + 1) * batch_size])
        real = one_hot(np.asarray(tokens[chosen]), alphabet_size)
        for name, value in gan.train_step(real, (seed, epoch * n_batches + batch)).items():
            totals[name] += value / n_batches
    return totals


def train_gan_run(
    *,
    tokens: PathLike,
    ids: PathLike,
    split: PathLike,
    unit: str,
    seed: int,
    threads: int,
    hparams: dict,
    training: dict,
    outputs: dict[str, PathLike],
    vocabulary: str | None = None,
    compute: dict | None = None,
) -> None:
    """Train a WGAN-GP on the train partition; write the generator (.keras), history.tsv and run.json
    (``compute``: the GPUs asked for, :func:`biodl.train.devices.compute_setup`).

    ``vocabulary`` is the letters in token order; by default it is read from
    ``meta.json`` next to ``ids``. Sequences must all have the full length.
    """
    params = with_defaults(hparams, GAN_DEFAULTS, "GAN hyper-parameters")
    settings = with_defaults(training, GAN_TRAINING_DEFAULTS, "GAN training settings")
    configure_runtime(seed, threads)
    device_record = compute_setup(**(compute or {}))
    with all_or_nothing(*outputs.values()):
        items = read_items(ids, split, unit)
        data = np.load(tokens, mmap_mode="r")
        letters = resolve_vocabulary(vocabulary, ids, data)
        rows = items.rows("train")
        check_fixed_length(data, rows, tokens)
        gan = build_gan(data.shape[1], len(letters), params, settings)
        folder = Path(outputs["model"]).parent / "checkpoint"
        run_fingerprint = fingerprint(
            "wgan_gp", params, training_steps(settings), seed, unit, letters, digest(data[rows])
        )
        history = _train_gan(gan, data, rows, settings, seed, folder, run_fingerprint)
        gan.use_average_weights()  # after the last checkpoint, which keeps the current weights
        save_keras(gan.generator, folder, outputs["model"])
        write_history(outputs["history"], ["epoch", *LOSS_NAMES], history)
        save_json(
            outputs["run"],
            {
                "model": "wgan_gp",
                "hparams": params,
                "training": settings,
                "seed": seed,
                "threads": threads,
                "unit": unit,
                "sequence_length": int(data.shape[1]),
                "vocabulary": letters,
                "partition_sizes": items.sizes(),
                "epochs_run": len(history),
                "parameters": {
                    "generator": int(gan.generator.count_params()),
                    "critic": int(gan.critic.count_params()),
                },
                "compute": device_record,
                "versions": software_versions(),
            },
        )


def _train_gan(
    gan: WassersteinGAN,
    tokens: np.ndarray,
    rows: np.ndarray,
    settings: dict,
    seed: int,
    folder: Path,
    run_fingerprint: str,
) -> list:
    """Epochs from the checkpoint (if any) to ``settings['epochs']``; the history rows."""
    saved = load_checkpoint(folder, run_fingerprint, settings["epochs"])
    history, first = [], 0
    if saved:
        saved.restore(gan.variables(), "gan")
        history, first = saved.history, saved.state["epoch"] + 1
        log.info("resuming from epoch %d (state saved in %s)", first + 1, folder)
    columns = ["epoch", *LOSS_NAMES]
    clock = EpochClock(settings["epochs"], early_stopping=False)
    try:
        for epoch in range(first, settings["epochs"]):
            clock.start()
            losses = gan_epoch(gan, tokens, rows, settings["batch_size"], seed, epoch)
            check_finite(losses, epoch, "lower the learning rate or check the inputs")
            history.append([epoch + 1, *losses.values()])
            state = {"fingerprint": run_fingerprint, "epoch": epoch}
            save_checkpoint(folder, {"gan": gan.variables()}, columns, history, state)
            log.info(
                "epoch %d/%d: critic_loss %.4f, generator_loss %.4f, gradient_penalty %.4f, "
                "wasserstein %.4f, %.1fs, %s",
                epoch + 1,
                settings["epochs"],
                *losses.values(),
                clock.stop(),
                clock.eta(epoch + 1),
            )
    except TrainingDivergedError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return history


# ---------------------------------------------------------------- sampling


def sequence_decoder(model: keras.Model, path: PathLike) -> keras.Model:
    """The network from latent points to letter probabilities: a generator or a sequence VAE's decoder."""
    if isinstance(model, VariationalAutoencoder):
        if model.likelihood != "categorical":
            raise InputError(f"{path} is an expression VAE; sequences come from a GAN or a sequence VAE")
        return model.decoder
    if len(model.output_shape) != 3:
        raise InputError(f"{path} does not output letter probabilities per position")
    return model


def sample_run(
    *, model: PathLike, n: int, seed: int, mode: str, vocabulary: str, fasta: PathLike, threads: int = 1
) -> None:
    """Write ``n`` sequences decoded from noise (``>sample000001`` …) by a GAN generator or a sequence VAE.

    ``mode`` ``argmax`` takes the most probable letter at each position;
    ``sample`` draws each letter from its position's distribution. Noise and
    draws come from one generator seeded with ``seed``.
    """
    if mode not in SAMPLE_MODES:
        raise InputError(f"unknown sampling mode {mode!r}; choose one of {list(SAMPLE_MODES)}")
    configure_runtime(seed, threads)
    with all_or_nothing(fasta):
        decoder = sequence_decoder(keras.models.load_model(model), model)
        alphabet_size = decoder.output_shape[-1]
        if len(vocabulary) != alphabet_size:
            raise InputError(
                f"{model} writes {alphabet_size} letters; the vocabulary {vocabulary!r} has {len(vocabulary)}"
            )
        rng = np.random.default_rng(seed)
        probabilities = decode_in_chunks(decoder, prior_draws(rng, n, decoder.input_shape[-1]))
        write_fasta(fasta, choose_letters(probabilities, mode, rng), vocabulary)


# ---------------------------------------------------------------- VAE


@dataclass
class VaeData:
    """What a VAE reads (encoder input) and reconstructs (target) for every item."""

    inputs: np.ndarray
    targets: np.ndarray
    transform: Callable[[np.ndarray], np.ndarray] | None = None

    def x(self, rows: np.ndarray) -> np.ndarray:
        """Encoder input of some rows."""
        values = np.asarray(self.inputs[rows])
        return self.transform(values) if self.transform else values

    def y(self, rows: np.ndarray) -> np.ndarray:
        """Reconstruction target of some rows."""
        return np.asarray(self.targets[rows])

    def partition(self, ids: np.ndarray, rows: np.ndarray) -> Partition:
        """The rows as a partition that :class:`biodl.train.batches.Batches` can serve."""

        def gather(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return self.x(rows[positions]), self.y(rows[positions])

        return Partition(ids[rows].tolist(), gather, lambda positions: self.y(rows[positions]))


def log1p_float32(values: np.ndarray) -> np.ndarray:
    """log(1 + counts) as float32: the encoder input of a count-only negative-binomial VAE."""
    return np.log1p(values.astype(np.float32))


def expression_data(inputs: PathLike, counts: PathLike | None, likelihood: str, n_items: int) -> VaeData:
    """Encoder inputs and targets of an expression VAE (counts as targets for the negative binomial)."""
    values = np.load(inputs, mmap_mode="r")
    if likelihood == "gaussian":
        data = VaeData(values, values)
    elif counts is None:
        data = VaeData(values, values, log1p_float32)
    else:
        data = VaeData(values, np.load(counts, mmap_mode="r"))
    for path, array in ((inputs, data.inputs), (counts, data.targets)):
        if len(array) != n_items:
            raise InputError(f"{path}: {len(array)} rows for {n_items} ids")
    if likelihood == "negative_binomial" and any(
        float(np.min(data.targets[start : start + 4096])) < 0 for start in range(0, n_items, 4096)
    ):
        raise InputError(f"{counts or inputs}: negative values; the negative binomial needs raw counts")
    return data


def gene_names(genes: PathLike | None, n_genes: int) -> list[str]:
    """Names of the modelled genes: the first column of ``genes`` (a TSV with a header), or gene1.."""
    if genes is None:
        return [f"gene{index}" for index in range(1, n_genes + 1)]
    names = pd.read_csv(genes, sep="\t", dtype=str, keep_default_na=False).iloc[:, 0].tolist()
    if len(names) != n_genes:
        raise InputError(f"{genes}: {len(names)} genes for {n_genes} modelled columns")
    return names


def build_vae(kind: str, data: VaeData, params: dict, seed: int) -> VariationalAutoencoder:
    """The VAE of ``kind`` sized for the data."""
    if kind == "expression":
        if params["likelihood"] not in LIKELIHOODS:
            raise InputError(
                f"unknown likelihood {params['likelihood']!r}; choose one of {list(LIKELIHOODS)}"
            )
        return build_expression_vae(
            data.inputs.shape[1],
            data.targets.shape[1],
            params["latent_dim"],
            list(params["units"]),
            params["likelihood"],
            seed,
        )
    return build_sequence_vae(
        data.inputs.shape[1],
        int(params["alphabet_size"]),
        params["latent_dim"],
        params["filters"],
        params["kernel_size"],
        params["units"],
        seed,
    )


def vae_columns(model: VariationalAutoencoder, validated: bool) -> tuple[list[str], list[str]]:
    """History columns and the names of the logged metrics."""
    names = ["loss", "reconstruction", "kl"] + (["accuracy"] if model.likelihood == "categorical" else [])
    logged = names + ([f"val_{name}" for name in names] if validated else [])
    return ["epoch", "kl_weight", *logged], logged


def _train_vae(
    model: VariationalAutoencoder,
    data: VaeData,
    items: Items,
    params: dict,
    settings: dict,
    seed: int,
    folder: Path,
    run_fingerprint: str,
) -> tuple[list, dict]:
    """Epochs with early stopping on the validation loss; leaves the best weights in ``model``."""
    train_rows, valid_rows = items.rows("train"), items.rows("valid")
    columns, logged = vae_columns(model, len(valid_rows) > 0)
    state = {"fingerprint": run_fingerprint, "epoch": -1, "best": math.inf, "best_epoch": -1, "wait": 0}
    state["stopped"] = False
    history, best = [], snapshot(model.weights)
    saved = load_checkpoint(folder, run_fingerprint, settings["epochs"])
    if saved:
        saved.restore(model.variables, "model")
        saved.restore(model.optimizer.variables, "optimizer")
        best = saved.values("best")
        history, state = saved.history, saved.state
        log.info("resuming from epoch %d (state saved in %s)", state["epoch"] + 2, folder)
    first = state["epoch"] + 1
    train = Batches(data.partition(items.ids, train_rows), settings["batch_size"], True, seed, first)
    valid = (
        Batches(data.partition(items.ids, valid_rows), settings["batch_size"]) if len(valid_rows) else None
    )
    clock = EpochClock(settings["epochs"])
    try:
        for epoch in range(first, settings["epochs"]):
            if state["stopped"]:
                break
            clock.start()
            beta = kl_weight(epoch, params["warmup_epochs"], params["beta"])
            model.kl_weight.assign(beta)
            train.set_epoch(epoch)
            result = model.fit(
                train,
                validation_data=valid,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=False,  # Batches shuffles per (seed, epoch)
                verbose=0,
                callbacks=[NanGuard(epoch)],
            )
            logs = {name: float(result.history[name][-1]) for name in logged}
            check_finite(logs, epoch, "lower the learning rate or check the inputs for extreme values")
            monitored = logs.get("val_loss", logs["loss"])
            # losses under different KL weights are not comparable: until the first epoch at the
            # full weight, the latest epoch is the best, and patience counts from there
            if epoch <= params["warmup_epochs"] or monitored < state["best"] - settings["min_delta"]:
                state.update(best=monitored, best_epoch=epoch, wait=0)
                best = snapshot(model.weights)
            else:
                state["wait"] += 1
            state.update(epoch=epoch, stopped=state["wait"] >= settings["patience"])
            history.append([epoch + 1, beta, *logs.values()])
            groups = {"model": model.variables, "optimizer": model.optimizer.variables, "best": best}
            save_checkpoint(folder, groups, columns, history, state)
            log.info(
                "epoch %d/%d: loss %.4f, val_loss %.4f, kl_weight %.2f, %.1fs, %s%s",
                epoch + 1,
                settings["epochs"],
                logs["loss"],
                monitored,
                beta,
                clock.stop(),
                "done" if state["stopped"] else clock.eta(epoch + 1),
                " (best)" if state["best_epoch"] == epoch else "",
            )
            if state["stopped"]:
                log.info("early stop: no improvement for %d epochs", settings["patience"])
    except TrainingDivergedError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    assign(model.weights, best)
    return history, state


def latent_means(model: VariationalAutoencoder, data: VaeData, n_items: int) -> np.ndarray:
    """Latent means of every item, a chunk at a time."""
    parts = []
    for start in range(0, n_items, CHUNK):
        mean, _ = model.encoder(data.x(np.arange(start, min(start + CHUNK, n_items))), training=False)
        parts.append(keras.ops.convert_to_numpy(mean))
    return np.concatenate(parts)


def latent_table(items: Items, means: np.ndarray) -> pd.DataFrame:
    """id, partition, z1..zK."""
    table = pd.DataFrame({"id": items.ids, "partition": items.partition})
    latent = pd.DataFrame(means, columns=[f"z{k}" for k in range(1, means.shape[1] + 1)])
    return pd.concat([table, latent], axis=1)


def expression_reconstruction(
    model: VariationalAutoencoder, data: VaeData, items: Items, means: np.ndarray, genes: list[str]
) -> pd.DataFrame:
    """Test items decoded from their latent means (expected counts at the item's library size for NB)."""
    rows = items.rows("test")
    decoded = decode_in_chunks(model.decoder, means[rows])
    if model.likelihood == "negative_binomial":
        decoded = decoded * data.y(rows).sum(axis=1, keepdims=True).astype(np.float32)
    table = pd.DataFrame(decoded, columns=genes)
    table.insert(0, "id", items.ids[rows])
    return table


def sequence_reconstruction(
    model: VariationalAutoencoder, data: VaeData, items: Items, means: np.ndarray, vocabulary: str
) -> pd.DataFrame:
    """Test sequences decoded from their latent means: most probable letters and per-item accuracy."""
    rows = items.rows("test")
    letters = decode_in_chunks(model.decoder, means[rows]).argmax(axis=-1)
    tokens = data.y(rows).astype(np.int64)
    present = tokens > 0
    accuracy = ((letters + 1 == tokens) & present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    table = np.frombuffer(vocabulary.encode("ascii"), dtype=np.uint8)
    sequences = [table[row[keep]].tobytes().decode("ascii") for row, keep in zip(letters, present)]
    return pd.DataFrame({"id": items.ids[rows], "sequence": sequences, "accuracy": accuracy.round(6)})


def expression_samples(
    model: VariationalAutoencoder, data: VaeData, items: Items, n: int, seed: int, genes: list[str]
) -> tuple[pd.DataFrame, float | None]:
    """n profiles decoded from the prior (NB: counts drawn at the median training library size)."""
    rng = np.random.default_rng(seed)
    decoded = decode_in_chunks(model.decoder, prior_draws(rng, n, model.decoder.input_shape[-1]))
    library = None
    if model.likelihood == "negative_binomial":
        library = float(np.median(data.y(items.rows("train")).sum(axis=1)))
        mean = decoded.astype(np.float64) * library
        dispersion = np.asarray(keras.ops.convert_to_numpy(model.dispersion()), dtype=np.float64)
        decoded = rng.poisson(rng.gamma(dispersion, mean / dispersion)).astype(np.int64)
    table = pd.DataFrame(decoded, columns=genes)
    table.insert(0, "id", [f"sample{index:06d}" for index in range(1, n + 1)])
    return table, library


def train_vae_run(
    *,
    kind: str,
    inputs: PathLike,
    ids: PathLike,
    split: PathLike,
    unit: str,
    seed: int,
    threads: int,
    hparams: dict,
    training: dict,
    outputs: dict[str, PathLike],
    counts: PathLike | None = None,
    genes: PathLike | None = None,
    vocabulary: str | None = None,
    compute: dict | None = None,
) -> None:
    """Train a VAE on the train partition with early stopping on the validation loss; write every output
    (``compute``: the GPUs asked for, :func:`biodl.train.devices.compute_setup`).

    kind ``expression``: ``inputs`` is a samples × genes matrix (normalised
    features for the ``gaussian`` likelihood). For ``negative_binomial``,
    ``counts`` is the raw count matrix (same rows) that the decoder
    reconstructs while the encoder reads ``inputs``; without ``counts``,
    ``inputs`` are the counts and the encoder reads log(1 + counts).
    ``genes`` names the decoder's columns (a TSV whose first column is the
    gene). kind ``sequences``: ``inputs`` is the uint8 token matrix and
    ``vocabulary`` the letters in token order (default: ``meta.json`` next to ``ids``).
    """
    if kind not in ("expression", "sequences"):
        raise InputError(f"unknown VAE kind {kind!r}; choose 'expression' or 'sequences'")
    defaults = EXPRESSION_DEFAULTS if kind == "expression" else SEQUENCE_DEFAULTS
    params = with_defaults(hparams, defaults, f"{kind} VAE hyper-parameters")
    missing = [name for name in SAMPLE_SETTINGS if name not in (training or {})]
    if missing:
        raise InputError(f"VAE training settings: {missing[0]!r} is required (the model's samples settings)")
    defaults = {**VAE_TRAINING_DEFAULTS, **{name: training[name] for name in SAMPLE_SETTINGS}}
    settings = with_defaults(training, defaults, "VAE training settings")
    if settings["sample_mode"] not in SAMPLE_MODES:
        raise InputError(
            f"unknown sample_mode {settings['sample_mode']!r}; choose one of {list(SAMPLE_MODES)}"
        )
    configure_runtime(seed, threads)
    device_record = compute_setup(**(compute or {}))
    with all_or_nothing(*outputs.values()):
        items = read_items(ids, split, unit)
        if kind == "expression":
            data = expression_data(inputs, counts, params["likelihood"], len(items.ids))
            names = gene_names(genes, data.targets.shape[1])
            model = build_vae(kind, data, params, seed)
        else:
            tokens = np.load(inputs, mmap_mode="r")
            data = VaeData(tokens, tokens)
            names = resolve_vocabulary(vocabulary, ids, tokens)
            model = build_vae(kind, data, {**params, "alphabet_size": len(names)}, seed)
        model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"], name="adam"))
        model.optimizer.build(model.trainable_variables)
        folder = Path(outputs["model"]).parent / "checkpoint"
        arrays = [data.inputs] if data.targets is data.inputs else [data.inputs, data.targets]
        run_fingerprint = fingerprint(
            "vae",
            kind,
            params,
            training_steps(settings),
            seed,
            unit,
            names,
            text_digest([*items.ids, *items.partition]),
            digest(*arrays),
        )
        history, state = _train_vae(model, data, items, params, settings, seed, folder, run_fingerprint)
        save_keras(model, folder, outputs["model"])
        write_history(outputs["history"], vae_columns(model, len(items.rows("valid")) > 0)[0], history)
        means = latent_means(model, data, len(items.ids))
        save_table(outputs["latent"], latent_table(items, means))
        library = None
        if kind == "expression":
            save_table(outputs["reconstruction"], expression_reconstruction(model, data, items, means, names))
            samples, library = expression_samples(model, data, items, settings["n_samples"], seed, names)
            save_table(outputs["samples"], samples)
        else:
            save_table(outputs["reconstruction"], sequence_reconstruction(model, data, items, means, names))
            if "samples" in outputs:  # else the workflow's sample rule writes them from the saved model
                rng = np.random.default_rng(seed)
                probabilities = decode_in_chunks(
                    model.decoder, prior_draws(rng, settings["n_samples"], params["latent_dim"])
                )
                write_fasta(
                    outputs["samples"], choose_letters(probabilities, settings["sample_mode"], rng), names
                )
        save_json(
            outputs["run"],
            {
                "model": f"{kind}_vae",
                "likelihood": model.likelihood,
                "hparams": params,
                "training": settings,
                "seed": seed,
                "threads": threads,
                "unit": unit,
                "encoder_input": "log1p(counts)" if data.transform else "values",
                "n_inputs": int(data.inputs.shape[1]),
                **({"genes": len(names)} if kind == "expression" else {"vocabulary": names}),
                "median_library_size": library,
                "partition_sizes": items.sizes(),
                "epochs_run": state["epoch"] + 1,
                "best_epoch": state["best_epoch"] + 1,
                "best_val_loss": state["best"],
                "stopped_early": state["stopped"],
                "parameters": int(model.count_params()),
                "compute": device_record,
                "versions": software_versions(),
            },
        )
