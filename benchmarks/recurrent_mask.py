"""Benchmark: recurrent families with and without the padding mask on sequences that have no padding.

Every sequence family masks padding (token 0) so that it does not feed the
recurrence. When no row is padded the mask is all true; biodl then leaves it
out. This prints, for each recurrent family, the median wall and CPU seconds
of one training epoch with the mask (what every model got before) and without
it, and whether the two models, trained from the same seed, predict exactly
the same numbers.

    python benchmarks/recurrent_mask.py                 # 4,096 × 200 bp, 3 repeats, about 4 minutes here
    python benchmarks/recurrent_mask.py --n 1024 --repeats 1
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from biodl.models import build
from biodl.specs import InputSpec, TaskSpec
from biodl.train.loop import configure_runtime
from train_pipeline import planted_tokens  # the same seeded motif data as the pipeline benchmark

FAMILIES = ("rnn", "birnn", "gru", "bigru", "lstm", "bilstm")


def one_epoch(
    family: str, padded: bool, tokens: np.ndarray, labels: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Wall and CPU seconds of one training epoch from seed 1, and the model's predictions afterwards."""
    import keras

    keras.utils.set_random_seed(1)
    spec = InputSpec("tokens", tokens.shape[1:], 4, padded=padded)
    model = build(family, spec, TaskSpec("binary", 1))
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    model.fit(tokens[:64], labels[:64], batch_size=64, epochs=1, verbose=0, shuffle=False)  # compile
    started, cpu_started = time.perf_counter(), time.process_time()
    model.fit(tokens, labels, batch_size=64, epochs=1, verbose=0, shuffle=False)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return wall, cpu, model.predict(tokens[:512], verbose=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    configure_runtime(1, 1)
    tokens, names = planted_tokens(arguments.n, arguments.length, seed=0)
    labels = (names == "yes").astype("float32")[:, None]
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, one TensorFlow thread")
    print(f"{arguments.n:,} sequences × {arguments.length} bp, batches of 64, {arguments.repeats} repeats")
    print(
        "| family | masked s (min–max) | unmasked s (min–max) | speed-up | CPU s masked | CPU s unmasked "
        "| CPU speed-up | same predictions |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|---|")
    for family in FAMILIES:
        wall: dict[bool, list[float]] = {True: [], False: []}
        cpu: dict[bool, list[float]] = {True: [], False: []}
        predictions: dict[bool, np.ndarray] = {}
        for _ in range(arguments.repeats):
            for padded in (True, False):  # side by side, so both see the same load
                seconds, cpu_seconds, predictions[padded] = one_epoch(family, padded, tokens, labels)
                wall[padded].append(seconds)
                cpu[padded].append(cpu_seconds)
        masked, unmasked = (statistics.median(wall[padded]) for padded in (True, False))
        cpu_masked, cpu_unmasked = (statistics.median(cpu[padded]) for padded in (True, False))
        same = "yes" if np.array_equal(predictions[True], predictions[False]) else "no"
        print(
            f"| {family} | {masked:.2f} ({min(wall[True]):.2f}–{max(wall[True]):.2f}) | "
            f"{unmasked:.2f} ({min(wall[False]):.2f}–{max(wall[False]):.2f}) | {masked / unmasked:.2f}× | "
            f"{cpu_masked:.2f} | {cpu_unmasked:.2f} | {cpu_masked / cpu_unmasked:.2f}× | {same} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
