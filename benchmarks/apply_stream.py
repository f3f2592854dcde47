"""Benchmark: applying a bundle to a large FASTA file, against ``model.predict`` on tokens in memory.

Two methods on the same seeded files of N random 200 bp DNA records:

- ``biodl apply``: ``biodl.apply.predictions.apply_bundle`` from the FASTA file to the predictions
  TSV (both passes over the file, loading the model, preparing, predicting and writing included);
- ``model.predict``: the bundle's Keras model on the same records already read and encoded into one
  token matrix in memory (reading and encoding not timed), ``batch_size`` 256 as apply uses.

Every run is a fresh subprocess, so peak RSS (VmHWM) is per method and per N. The predictions of
the two methods are compared (largest absolute difference of the positive class's score; the
TSV holds the shortest text of each float32 score, read back as float64).

    python benchmarks/apply_stream.py --bundle results/dna_binary/cnn/holdout-s1/bundle
    python benchmarks/apply_stream.py --bundle ... --sizes 10000 100000     # a quicker run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
LENGTH = 200
SEED = 20261205
ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)
BLOCK = 100_000


def fasta_path(n: int) -> Path:
    """A seeded FASTA file of ``n`` records of ``LENGTH`` bp, written once and reused."""
    path = DATA_DIR / f"apply_{n}x{LENGTH}.fa"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([SEED, n])
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        for first in range(0, n, BLOCK):
            rows = min(BLOCK, n - first)
            bases = ACGT[rng.integers(0, 4, size=(rows, LENGTH))]
            lines = np.full((rows, LENGTH + 1), ord("\n"), dtype=np.uint8)
            lines[:, :LENGTH] = bases
            for offset, row in enumerate(lines):
                handle.write(f">r{first + offset}\n".encode())
                handle.write(row.tobytes())
    partial.rename(path)
    return path


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def worker(method: str, bundle: Path, fasta: Path, output: Path) -> dict:
    """One timed run of one method, in this (fresh) process."""
    import biodl.models.layers  # noqa: F401  (the custom layers of saved models)
    import keras
    from biodl.alphabets import DNA
    from biodl.apply.bundle import read_bundle
    from biodl.apply.predictions import BATCH_SIZE, apply_bundle
    from biodl.apply.prepare import prepare_sequences
    from biodl.io.fasta import read_fasta

    if method == "apply":
        started = time.perf_counter()
        apply_bundle(bundle, fasta, output)
        seconds = time.perf_counter() - started
        with open(output) as handle:  # id, score of the first class, score of the second (the model's output)
            scores = np.loadtxt(handle, delimiter="\t", skiprows=1, usecols=2, max_rows=1000)
        return {"seconds": seconds, "peak_mb": peak_rss_mb(), "first": scores.tolist()}
    member = read_bundle(bundle)
    tokens = prepare_sequences(member, read_fasta(fasta, DNA)).inputs
    model = keras.models.load_model(member.model_path)
    started = time.perf_counter()
    scores = model.predict(tokens, batch_size=BATCH_SIZE, verbose=0)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "first": scores[:1000, 0].tolist()}


def run(method: str, bundle: Path, n: int) -> dict:
    """``worker`` in a fresh process; its result."""
    output = DATA_DIR / f"apply_{n}.predictions.tsv"
    command = [sys.executable, __file__, "--worker", method, "--bundle", str(bundle), "--sizes", str(n)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    finished = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if finished.returncode != 0:
        raise SystemExit(f"{method} on {n} records failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    output.unlink(missing_ok=True)
    return result


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--bundle", type=Path, default=Path("results/dna_binary/cnn/holdout-s1/bundle"))
    arguments.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    arguments.add_argument("--repeats", type=int, default=3, help="runs of each method per N (interleaved)")
    arguments.add_argument("--worker", choices=["apply", "predict"])
    options = arguments.parse_args()
    if options.worker:
        (n,) = options.sizes
        output = DATA_DIR / f"apply_{n}.predictions.tsv"
        print(json.dumps(worker(options.worker, options.bundle, fasta_path(n), output)))
        return
    if not (options.bundle / "bundle.json").is_file():
        raise SystemExit(f"{options.bundle}: no bundle there; run the demo first (make demo)")
    import keras

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, keras {keras.__version__} ({keras.backend.backend()})"
    )
    print(f"bundle: {options.bundle}")
    print("| N | method | median seconds (min–max) | items/s | peak RSS (MB) | apply / predict speed |")
    print("|---|---|---|---|---|---|")
    for n in options.sizes:
        fasta_path(n)
        runs = {"predict": [], "apply": []}
        for _ in range(options.repeats):
            for method, results in runs.items():
                results.append(run(method, options.bundle, n))
        seconds = {
            method: statistics.median(r["seconds"] for r in results) for method, results in runs.items()
        }
        difference = max(
            float(np.max(np.abs(np.asarray(a["first"]) - np.asarray(p["first"]))))
            for a, p in zip(runs["apply"], runs["predict"])
        )
        for method, name in (
            ("predict", "model.predict (tokens in memory)"),
            ("apply", "biodl apply (FASTA → TSV)"),
        ):
            times = [r["seconds"] for r in runs[method]]
            ratio = f"{seconds['predict'] / seconds['apply']:.0%}" if method == "apply" else ""
            print(
                f"| {n:,} | {name} | {seconds[method]:.1f} ({min(times):.1f}–{max(times):.1f}) | "
                f"{n / seconds[method]:,.0f} | {max(r['peak_mb'] for r in runs[method]):,.0f} | {ratio} |"
            )
        print(f"largest difference between the two methods' scores (first 1000 items): {difference:.1e}")


if __name__ == "__main__":
    main()
