"""Benchmark: how long Snakemake takes to plan the workflow as the number of training jobs grows.

Generated configs repeat the demo's ``dna_binary`` dataset under several names
and train several CNN variants with several seeds, so training jobs =
datasets × models × seeds; every training job also writes its test predictions,
and every dataset brings baselines, one evaluation job, the comparison, figures and the report.
Each size is planned with a dry run (``snakemake -n --quiet``) in a fresh copy
of the workflow, three times; the table shows the median and the spread.

    python benchmarks/dag.py                 # 10, 100 and 1,000 training jobs
    python benchmarks/dag.py --sizes 10 100  # a quicker run
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PARTS = ["Snakefile", "rules", "config", "scripts", "envs", "profiles", "resources"]
# training jobs → (datasets, models, seeds)
SHAPES = {10: (2, 5, 1), 100: (5, 10, 2), 1000: (10, 20, 5)}


def workflow_copy(target: Path) -> Path:
    """A copy of the workflow with the demo data."""
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / part)
    return target


def generated_config(datasets: int, models: int, seeds: int) -> dict:
    """A config with ``datasets`` copies of dna_binary, ``models`` CNNs and ``seeds`` seeds."""
    demo = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    dataset = demo["datasets"]["dna_binary"]
    return {
        "seeds": list(range(1, seeds + 1)),
        "use_gpu": False,
        "datasets": {f"set{d}": dict(dataset) for d in range(datasets)},
        "models": {f"cnn{m}": {"family": "cnn", "hparams": {"filters": 8 + m}} for m in range(models)},
        "baselines": {"logistic": {"method": "logistic"}, "shuffled": {"method": "shuffled_labels"}},
    }


def job_counts(output: str) -> dict[str, int]:
    """Job counts per rule from the dry run's summary table."""
    counts, inside = {}, False
    for line in output.splitlines():
        if line.startswith("job ") and "count" in line:
            inside = True
            continue
        if inside and line.strip() and not line.startswith("-"):
            name, _, count = line.rpartition(" ")
            if not count.isdigit():
                break
            counts[name.strip()] = int(count)
        elif inside and not line.strip() and counts:
            break
    return counts


def plan(workdir: Path, snakemake: str) -> tuple[float, dict[str, int]]:
    """Wall time of one dry run and its job counts."""
    started = time.perf_counter()
    done = subprocess.run(
        [snakemake, "-n", "--quiet", "rules", "--cores", "1"], cwd=workdir, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"dry run failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed, job_counts(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(SHAPES), choices=sorted(SHAPES))
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    snakemake = str(Path(sys.executable).parent / "snakemake")
    machine = platform.processor() or platform.machine()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {machine}")
    print("| training jobs | datasets × models × seeds | jobs in the DAG | median s | spread s (min–max) |")
    print("|--:|---|--:|--:|--:|")
    for size in arguments.sizes:
        datasets, models, seeds = SHAPES[size]
        with tempfile.TemporaryDirectory() as folder:
            workdir = workflow_copy(Path(folder))
            (workdir / "config/config.yaml").write_text(
                yaml.safe_dump(generated_config(datasets, models, seeds))
            )
            runs = [plan(workdir, snakemake) for _ in range(arguments.repeats)]
        times = [elapsed for elapsed, _ in runs]
        counts = runs[0][1]
        assert counts.get("train") == size, counts
        print(
            f"| {size:,} | {datasets} × {models} × {seeds} | {counts.get('total', 0):,} | "
            f"{statistics.median(times):.1f} | {min(times):.1f}–{max(times):.1f} |"
        )


if __name__ == "__main__":
    main()
