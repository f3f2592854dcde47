"""One training routine for every supervised family.

Seeds and op determinism, thread counts pinned from the rule's threads, early
stopping on the validation partition, the best weights saved as ``.keras``,
resume after a killed job, balanced class weights, a cosine learning-rate
schedule, a NaN guard, history as TSV and a progress line per epoch.

Resume (:mod:`biodl.train.checkpoint`): after every epoch the model, its
optimizer, the best epoch's weights, the history and the early-stopping state
are saved under ``<run>/checkpoint/``; batches are shuffled with a generator
seeded by (seed, epoch), so a resumed run continues exactly where the killed
one was. The checkpoint is removed once the run's outputs are written.
"""

from __future__ import annotations

import ctypes
import logging
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import keras

from biodl.errors import InputError, TrainingDivergedError
from biodl.families import training_settings
from biodl.io.outputs import save_json
from biodl.models import build
from biodl.models.layers import loss_for
from biodl.progress import EpochClock
from biodl.train.batches import Augmentation, Batches
from biodl.train.checkpoint import (
    Saved,
    assign,
    fingerprint,
    load_checkpoint,
    save_checkpoint,
    save_keras,
    snapshot,
    write_history,
)
from biodl.train.loaders import TrainingData
from biodl.versions import package_versions

log = logging.getLogger("biodl.train.loop")
EpochHook = Callable[[int, float], bool]  # (epoch, validation loss) → stop now


M_TOP_PAD = -2  # glibc's mallopt parameter, as in <malloc.h>
HEAP_TOP_PAD = 256 << 20


def keep_heap_between_batches(pad: int = HEAP_TOP_PAD) -> bool:
    """Let glibc malloc keep ``pad`` bytes at the top of its heaps instead of returning them.

    With the defaults, the batch-sized buffers that each training step frees go
    back to the kernel and the next step faults the pages in again: thousands of
    page faults per batch, which halved training speed (docs/benchmarks.md).
    This is the runtime form of ``MALLOC_TOP_PAD_``; elsewhere than glibc it does nothing.
    """
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_TOP_PAD, pad))
    except (OSError, AttributeError):
        return False


def configure_runtime(seed: int, threads: int) -> None:
    """Seed every generator, pin thread counts and ask for deterministic ops (TensorFlow)."""
    keep_heap_between_batches()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:  # must happen before the first TensorFlow op of the process
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # already initialised in this process: accept only the same count
            current = tf.config.threading.get_intra_op_parallelism_threads()
            if current != threads:
                raise RuntimeError(f"TensorFlow already runs with {current} threads, not {threads}") from None
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        tf.config.experimental.enable_op_determinism()


def software_versions() -> dict[str, str]:
    """Versions recorded next to every model: those of the baselines, Keras and its backend."""
    backend = keras.backend.backend()
    versions = package_versions()
    versions.update(keras=keras.__version__, backend=backend)
    engine = {"tensorflow": "tensorflow-cpu", "jax": "jax", "torch": "torch"}.get(backend)
    if engine:
        versions[backend] = package_versions((engine,))[engine]
        if versions[backend] == "not installed" and backend == "tensorflow":
            versions[backend] = package_versions(("tensorflow",))["tensorflow"]
    return versions


def cosine_schedule(base: float, epochs: int):  # noqa: ANN201
    """Learning rate per epoch, decaying from ``base`` to ``base/100`` along a half cosine."""

    def rate(epoch: int, _current: float = 0.0) -> float:
        return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * epoch / max(epochs, 1))))

    return rate


def check_batch_loss(logs: dict | None, epoch: int, batch: int) -> None:
    """Raise TrainingDivergedError when the running training loss is not finite."""
    loss = float((logs or {}).get("loss", 0.0))
    if not math.isfinite(loss):
        raise TrainingDivergedError(
            f"loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; "
            "lower the learning rate or check the inputs for extreme values"
        )


class NanGuard(keras.callbacks.Callback):
    """Stop with TrainingDivergedError as soon as the running training loss is not finite."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        check_batch_loss(logs, self.epoch, batch)


class RunState(keras.callbacks.Callback):
    """Early stopping, best-epoch tracking, history, NaN guard, progress and checkpoints, all resumable."""

    def __init__(
        self,
        folder: Path,
        saved: Saved | None,
        run_fingerprint: str,
        settings: dict,
        on_epoch: EpochHook | None = None,
    ):
        super().__init__()
        self.folder = folder
        self.on_epoch = on_epoch
        self.patience = settings["patience"]
        self.min_delta = settings["min_delta"]
        self.clock = EpochClock(settings["epochs"])
        self.state = {"fingerprint": run_fingerprint, "epoch": -1, "best": math.inf, "best_epoch": -1}
        self.state.update(wait=0, stopped=False)
        self.columns: list[str] = []
        self.history: list = []
        self.best: dict[str, list] = {}
        if saved:
            self.state, self.history = saved.state, saved.history
            self.columns = [str(name) for name in saved.arrays["columns"]]
            self.best = {group: saved.values(group) for group in BEST_GROUPS}
        self.epoch = self.state["epoch"] + 1

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self.clock.start()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        check_batch_loss(logs, self.epoch, batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        monitored = float(logs.get("val_loss", logs["loss"]))
        if not math.isfinite(monitored):
            raise TrainingDivergedError(f"validation loss became {monitored} at epoch {epoch + 1}")
        if monitored < self.state["best"] - self.min_delta:
            self.state.update(best=monitored, best_epoch=epoch, wait=0)
            self.best = dict(zip(BEST_GROUPS, map(snapshot, state_groups(self.model).values())))
        else:
            self.state["wait"] += 1
        rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self._append_history(epoch, logs, rate)
        stop_asked = self.on_epoch is not None and self.on_epoch(epoch, monitored)
        self.state.update(epoch=epoch, stopped=self.state["wait"] >= self.patience or stop_asked)
        groups = {**state_groups(self.model), **self.best}
        save_checkpoint(self.folder, groups, self.columns, self.history, self.state)
        log.info(
            "epoch %d/%d: loss %.4f, val_loss %.4f, lr %.2e, %.1fs, %s%s",
            epoch + 1,
            self.clock.epochs,
            logs["loss"],
            monitored,
            rate,
            self.clock.stop(),
            "done" if self.state["stopped"] else self.clock.eta(epoch + 1),
            " (best)" if self.state["best_epoch"] == epoch else "",
        )
        if self.state["stopped"]:
            why = "asked by the caller" if stop_asked else f"no improvement for {self.patience} epochs"
            log.info("early stop: %s", why)
            self.model.stop_training = True

    def _append_history(self, epoch: int, logs: dict, rate: float) -> None:
        names = sorted(set(logs) - {"learning_rate"})  # the rate comes last, once
        if not self.columns:  # wall time stays in the log: not reproducible
            self.columns = ["epoch", *names, "learning_rate"]
        self.history.append([epoch + 1, *(float(logs[name]) for name in names), rate])


BEST_GROUPS = ("best_model", "best_optimizer")


def state_groups(model: keras.Model) -> dict[str, list]:
    """The variables a checkpoint saves: the model's (random-generator states of layers such
    as Dropout included, which a ``.keras`` file does not restore) and its optimizer's."""
    return {"model": model.variables, "optimizer": model.optimizer.variables}


def restore_best(model: keras.Model, best: dict[str, list]) -> None:
    """Give the model and its optimizer the values they had at the best epoch."""
    for variables, group in zip(state_groups(model).values(), BEST_GROUPS):
        assign(variables, best[group])


def _fit(
    model: keras.Model,
    train_batches: Batches,
    valid_batches: Batches,
    data: TrainingData,
    settings: dict,
    first_epoch: int,
    run_state: RunState,
) -> None:
    """``model.fit`` one epoch per call, with the schedule and run-state callbacks.

    One call per epoch pins which batches an epoch sees (see :class:`Batches`).
    A diverged run leaves no checkpoint behind.
    """
    schedule = keras.callbacks.LearningRateScheduler(
        cosine_schedule(settings["learning_rate"], settings["epochs"])
    )
    try:
        for epoch in range(first_epoch, settings["epochs"]):
            train_batches.set_epoch(epoch)
            model.fit(
                train_batches,
                validation_data=valid_batches if len(data.partitions["valid"]) else None,
                epochs=epoch + 1,
                initial_epoch=epoch,
                shuffle=False,  # Batches shuffles per (seed, epoch); Keras would use the global `random`
                verbose=0,
                callbacks=[schedule, run_state],
            )
            if run_state.state["stopped"]:
                break
    except TrainingDivergedError:
        shutil.rmtree(run_state.folder, ignore_errors=True)
        raise


def augmentation(data: TrainingData) -> Augmentation | None:
    """The changes of training batches the dataset asks for, or None."""
    augment = data.augment or {}
    if not (augment.get("reverse_complement") or augment.get("shift")):
        return None
    return Augmentation(augment["alphabet"], augment["reverse_complement"], augment["shift"])


def compiled_model(data: TrainingData, family: str, hparams: dict, settings: dict) -> keras.Model:
    """A new model of ``family`` for ``data``, compiled with Adam and the task's loss."""
    try:
        model = build(family, data.spec, data.task, **hparams)
    except TypeError as error:
        raise InputError(f"model family {family!r}: {error}") from None
    optimizer = keras.optimizers.Adam(settings["learning_rate"], clipnorm=settings["clipnorm"], name="adam")
    model.compile(optimizer=optimizer, loss=loss_for(data.task))
    return model


def train(
    data: TrainingData,
    family: str,
    *,
    hparams: dict,
    training: dict,
    seed: int,
    threads: int,
    model_path: Path | str,
    history_path: Path | str,
    run_path: Path | str,
    run_config: dict | None = None,
    on_epoch: EpochHook | None = None,
    compute: dict | None = None,
) -> None:
    """Train one model and write ``model.keras`` (best epoch), ``history.tsv`` and ``run.json``;
    ``on_epoch`` sees each epoch's validation loss and may stop the run (a pruned search trial);
    ``compute``: the GPUs asked for, whether one is required, mixed precision
    (:func:`biodl.train.devices.compute_setup`)."""
    from biodl.train.devices import compute_setup

    settings = training_settings(family, training)
    configure_runtime(seed, threads)
    device_record = compute_setup(**(compute or {}))
    model_path, history_path, run_path = Path(model_path), Path(history_path), Path(run_path)
    folder = model_path.parent / "checkpoint"
    run_fingerprint = fingerprint(
        family, hparams, {**settings, "augment": data.augment}, seed, data.spec.to_dict(), data.task.to_dict()
    )
    saved = load_checkpoint(folder, run_fingerprint, settings["epochs"])
    model = compiled_model(data, family, hparams, settings)
    run_state = RunState(folder, saved, run_fingerprint, settings, on_epoch)
    resumed_from = run_state.epoch
    if saved:
        log.info("resuming from epoch %d (state saved in %s)", resumed_from + 1, folder)
        model.optimizer.build(model.trainable_variables)
        for group, variables in state_groups(model).items():
            saved.restore(variables, group)
    if not run_state.state["stopped"]:
        train_batches = Batches(
            data.partitions["train"], settings["batch_size"], True, seed, resumed_from, augmentation(data)
        )
        valid_batches = Batches(data.partitions["valid"], settings["batch_size"])
        _fit(model, train_batches, valid_batches, data, settings, resumed_from, run_state)
    restore_best(model, run_state.best)
    save_keras(model, folder, model_path)
    write_history(history_path, run_state.columns, run_state.history)
    final = run_state.state
    save_json(
        run_path,
        {
            "family": family,
            "hparams": hparams,
            "training": settings,
            "seed": seed,
            "threads": threads,
            "input": data.spec.to_dict(),
            "task": data.task.to_dict(),
            "encoding": data.encoding,
            "augment": data.augment,
            "epochs_run": final["epoch"] + 1,
            "best_epoch": final["best_epoch"] + 1,
            "best_val_loss": final["best"],
            "stopped_early": final["stopped"],
            "resumed_from_epoch": resumed_from + 1 if resumed_from else None,
            "partition_sizes": {name: len(p) for name, p in data.partitions.items()},
            "parameters": int(model.count_params()),
            "config": run_config or {},
            "compute": device_record,
            "versions": software_versions(),
        },
    )
    shutil.rmtree(folder)
