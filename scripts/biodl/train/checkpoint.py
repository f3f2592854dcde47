"""Resumable training state, one mechanism for the supervised and the generative runs.

After every epoch a run writes ``<model dir>/checkpoint/state.npz`` atomically:
the values of named groups of variables (the model's, its optimizer's, the best
epoch's), the history rows so far with their column names, and a JSON state
(the epoch, early stopping, and the run's fingerprint). A rerun whose
fingerprint (data, settings, seed) matches continues after the saved epoch;
any other rerun starts in a clean folder.

Keras's ``BackupAndRestore`` restores the model but neither early stopping,
best-model tracking, the random-generator states of layers such as Dropout nor
the generative models' several networks, so resumed runs would diverge from
uninterrupted ones; variables saved by value restore all of it.

What a finished run does with its checkpoint is the caller's policy: the
supervised loop removes it (its learning-rate schedule depends on the number of
epochs, so a finished run cannot be extended), the generative runs keep it so
that a rerun asking for more epochs continues training.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from biodl.io.outputs import save_reproducible_keras

CHECKPOINT = "state.npz"


def fingerprint(*parts: object) -> str:
    """Settings that a checkpoint must share with a run to be resumed."""
    return json.dumps(parts, sort_keys=True, default=str)


@dataclass(frozen=True)
class Saved:
    """A loaded checkpoint: the JSON state, the history rows and the saved arrays by name."""

    state: dict
    history: list
    arrays: dict[str, np.ndarray]

    def values(self, group: str) -> list[np.ndarray]:
        """The saved values of one group, in the order they were saved."""
        count = sum(name.startswith(f"{group}.") for name in self.arrays)
        return [self.arrays[f"{group}.{index}"] for index in range(count)]

    def restore(self, variables: list, group: str) -> None:
        """Assign a group's saved values to ``variables`` in order."""
        values = self.values(group)
        if len(values) != len(variables):
            raise RuntimeError(
                f"checkpoint holds {len(values)} {group} variables, the model has {len(variables)}"
            )
        assign(variables, values)


def assign(variables: list, values: list) -> None:
    """Give ``variables`` the ``values`` (e.g. those of a snapshot), in order."""
    for variable, value in zip(variables, values):
        variable.assign(value)


def snapshot(variables: list) -> list[np.ndarray]:
    """Copies of the current values of ``variables`` (e.g. the weights of the best epoch)."""
    return [np.array(keras.ops.convert_to_numpy(variable)) for variable in variables]


def save_checkpoint(
    folder: Path, groups: dict[str, list], columns: list[str], history: list, state: dict
) -> None:
    """Write variables (or arrays), history and state to one file, replacing the previous one atomically."""
    arrays = {
        f"{group}.{index}": np.asarray(keras.ops.convert_to_numpy(value))
        for group, values in groups.items()
        for index, value in enumerate(values)
    }
    arrays["history"] = np.asarray(history, dtype=np.float64).reshape(len(history), len(columns))
    arrays["columns"] = np.asarray(columns)
    arrays["state"] = np.asarray(json.dumps(state, sort_keys=True))
    temporary = folder / f"{CHECKPOINT}.tmp"
    with open(temporary, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(temporary, folder / CHECKPOINT)


def load_checkpoint(folder: Path, run_fingerprint: str, epochs: int) -> Saved | None:
    """The saved run with this fingerprint and fewer than ``epochs`` epochs; else None and a clean folder."""
    path = folder / CHECKPOINT
    if path.exists():
        with np.load(path) as saved:
            state = json.loads(saved["state"].item())
            if state.get("fingerprint") == run_fingerprint and state["epoch"] < epochs:
                arrays = {name: saved[name] for name in saved.files}
                return Saved(state, arrays["history"].tolist(), arrays)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return None


def saved_epoch(folder: Path) -> int | None:
    """The last epoch (0-based) saved in ``folder``, or None when nothing is saved."""
    path = folder / CHECKPOINT
    if not path.exists():
        return None
    with np.load(path) as saved:
        return int(json.loads(saved["state"].item())["epoch"])


def write_history(path: str | os.PathLike, columns: list[str], rows: list) -> None:
    """History as TSV: the epoch as an integer, values with 6 significant digits."""
    lines = ["\t".join(columns)]
    lines += ["\t".join([str(int(row[0])), *(f"{value:.6g}" for value in row[1:])]) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def save_keras(model: keras.Model, folder: Path, target: str | os.PathLike) -> None:
    """Save a model as a byte-reproducible ``.keras`` file, through a scratch copy in ``folder``."""
    scratch = folder / "model.keras"
    model.save(scratch)
    save_reproducible_keras(scratch, target)
    scratch.unlink()
