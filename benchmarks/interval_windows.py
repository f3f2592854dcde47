"""Benchmark: cutting windows of an indexed genome for many regions, against a per-region pyfaidx loop.

Two methods on the same seeded genome (FASTA with its .fai index) and the same sorted regions:

- ``biodl``: ``biodl.io.genome.window_tokens``: each chromosome read once through pyfaidx, every
  window of it gathered in one indexing step from a strided view (chromosome ends padded);
- ``pyfaidx loop``: ``fasta[chromosome][start:end]`` per region, each slice encoded to tokens
  with the same lookup table (the straightforward code a user would write).

Both produce the same N × width token matrix (checked). The genome is written once to
benchmarks/data/ and reused; pyfaidx builds its index on first use (not timed).

    python benchmarks/interval_windows.py                               # 1,000,000 regions of 1 kb
    python benchmarks/interval_windows.py --regions 100000 --loop-regions 100000
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from biodl.io.genome import GENOME_TOKENS, Genome, window_tokens

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 20261206
CHROMOSOMES = {f"chr{i}": size for i, size in enumerate((40, 32, 26, 20, 14, 8), start=1)}  # Mb


def genome_path() -> Path:
    """A seeded genome of six chromosomes (140 Mb), FASTA with 80-bp lines, written once."""
    path = DATA_DIR / "windows_genome.fa"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path.with_suffix(".partial"), "wb") as handle:
        for name, megabases in CHROMOSOMES.items():
            handle.write(f">{name}\n".encode())
            bases = letters[rng.integers(0, 4, size=megabases * 1_000_000)]
            lines = bases.reshape(-1, 80)
            text = np.hstack([lines, np.full((len(lines), 1), ord("\n"), dtype=np.uint8)])
            handle.write(text.tobytes())
    path.with_suffix(".partial").rename(path)
    return path


def regions(genome: Genome, count: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` seeded window starts, spread over the chromosomes by length, sorted."""
    rng = np.random.default_rng(SEED + count)
    names = np.array(list(genome.sizes), dtype=object)
    sizes = np.array([genome.sizes[name] for name in names], dtype=np.float64)
    chromosomes = names[rng.choice(len(names), size=count, p=sizes / sizes.sum())]
    starts = np.array([rng.integers(0, genome.sizes[c] - width) for c in chromosomes.tolist()])
    order = np.lexsort((starts, chromosomes.astype(str)))
    return chromosomes[order], starts[order]


def pyfaidx_loop(genome: Genome, chromosomes: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(starts), width), dtype=np.uint8)
    for row, (chromosome, start) in enumerate(zip(chromosomes.tolist(), starts.tolist())):
        text = genome.slice(chromosome, start, start + width)
        out[row] = GENOME_TOKENS[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=1_000_000)
    parser.add_argument("--loop-regions", type=int, default=1_000_000, help="regions the loop cuts")
    parser.add_argument("--width", type=int, default=1000)
    arguments = parser.parse_args()
    genome = Genome(genome_path())
    chromosomes, starts = regions(genome, arguments.regions, arguments.width)
    rows = []
    began = time.perf_counter()
    fast = window_tokens(genome, chromosomes, starts, arguments.width)
    rows.append(("biodl window_tokens", arguments.regions, time.perf_counter() - began))
    loop_count = min(arguments.loop_regions, arguments.regions)
    began = time.perf_counter()
    slow = pyfaidx_loop(genome, chromosomes[:loop_count], starts[:loop_count], arguments.width)
    rows.append(("pyfaidx loop", loop_count, time.perf_counter() - began))
    assert np.array_equal(fast[:loop_count], slow), "the two methods cut different windows"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"genome {sum(genome.sizes.values()) / 1e6:.0f} Mb in {len(genome.sizes)} chromosomes; "
        f"windows of {arguments.width} bp; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; peak RSS {peak:.0f} MiB"
    )
    print("| method | regions | seconds | regions/s |")
    print("| --- | --: | --: | --: |")
    for name, count, seconds in rows:
        print(f"| {name} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} |")
    print(f"identical windows: {loop_count:,} of {loop_count:,}")


if __name__ == "__main__":
    main()
