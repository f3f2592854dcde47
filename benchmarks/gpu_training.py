"""Benchmark: training the demo's CNN and LSTM on a GPU with the JAX backend, against the same job on
the same machine's CPU.

A seeded planted-motif DNA set (the demo's AP-1 site TGACTCA in half of N random sequences of
200 bp) trains each family for a few epochs on every device JAX finds (the CPU always, a GPU
when there is one), with the same seed, batches and initial weights; the first epoch (which
compiles) is timed apart. Printed per family and device: samples/s of the later epochs, the
compile epoch's seconds, the test ROC AUC and, on a GPU, the largest difference of its test
probabilities from the CPU run's (float32 kernels differ between devices: a difference within the
stated tolerance says the two runs trained the same model).

    KERAS_BACKEND=jax python benchmarks/gpu_training.py                  # N = 50,000, 4 epochs
    KERAS_BACKEND=jax python benchmarks/gpu_training.py --n 5000 --epochs 2   # a quick check
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
TOLERANCE = 1e-2  # largest difference of a test probability between CPU and GPU runs
SITE = [4, 3, 1, 2, 4, 2, 1]  # TGACTCA as tokens (A=1, C=2, G=3, T=4)
FAMILIES = {"cnn": {"filters": 32}, "lstm": {"units": [64]}}


def planted_set(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokens and labels: half the sequences carry the site at a random place."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    labels = (np.arange(n) % 2).astype(np.float32)
    starts = rng.integers(0, length - len(SITE), size=n)
    for row in np.flatnonzero(labels):
        tokens[row, starts[row] : starts[row] + len(SITE)] = SITE
    return tokens, labels


def train_on(device: object, family: str, data: tuple, epochs: int, batch_size: int, seed: int) -> dict:
    """Train ``family`` on ``device``; time the first epoch and the rest, predict the test items."""
    import jax
    import keras
    from biodl.models import build
    from biodl.specs import InputSpec, TaskSpec
    from sklearn.metrics import roc_auc_score

    x_train, y_train, x_test, y_test = data
    with jax.default_device(device):
        keras.utils.set_random_seed(seed)
        model = build(
            family, InputSpec("tokens", x_train.shape[1:], 4), TaskSpec("binary", 1), **FAMILIES[family]
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        started = time.perf_counter()
        model.fit(x_train, y_train, epochs=1, batch_size=batch_size, shuffle=False, verbose=0)
        compile_epoch = time.perf_counter() - started
        started = time.perf_counter()
        model.fit(x_train, y_train, epochs=epochs - 1, batch_size=batch_size, shuffle=False, verbose=0)
        later = time.perf_counter() - started
        scores = np.asarray(model.predict(x_test, batch_size=1024, verbose=0)).ravel()
    return {
        "samples_per_s": len(x_train) * (epochs - 1) / later,
        "first_epoch_s": compile_epoch,
        "auc": roc_auc_score(y_test, scores),
        "scores": scores,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    if os.environ.get("KERAS_BACKEND") != "jax":
        raise SystemExit("run with KERAS_BACKEND=jax")
    import jax

    tokens, labels = planted_set(arguments.n, arguments.length, arguments.seed)
    cut = int(0.8 * len(tokens))
    data = (tokens[:cut], labels[:cut], tokens[cut:], labels[cut:])
    accelerators = [device for device in jax.devices() if device.platform != "cpu"]
    devices = [jax.devices("cpu")[0], *accelerators[:1]]
    print(f"# {platform.processor() or platform.machine()}, JAX {jax.__version__}, devices: {devices}")
    n, length = arguments.n, arguments.length
    print(f"# N = {n:,} × {length} bp, {arguments.epochs} epochs, batch {arguments.batch_size}")
    print("| family | device | samples/s (epochs 2+) | first epoch (s) | test ROC AUC | max |Δ p| vs CPU |")
    print("| --- | --- | --: | --: | --: | --: |")
    for family in FAMILIES:
        reference = None
        for device in devices:
            found = train_on(device, family, data, arguments.epochs, arguments.batch_size, arguments.seed)
            if reference is None:
                reference, difference = found["scores"], "–"
            else:
                gap = float(np.max(np.abs(found["scores"] - reference)))
                difference = f"{gap:.2e} ({'within' if gap <= TOLERANCE else 'ABOVE'} {TOLERANCE:g})"
            print(
                f"| {family} | {device.device_kind} | {found['samples_per_s']:,.0f} | "
                f"{found['first_epoch_s']:.1f} | {found['auc']:.3f} | {difference} |"
            )


if __name__ == "__main__":
    main()
