"""Benchmark: FASTA file -> validated uint8 tokens.

Compares ``biodl.io.fasta.read_fasta`` with Biopython parsers plus per-record
numpy encoding, a per-base Python loop, and a ceiling (one lookup table over
the raw bytes, no header handling). Every timed run is a fresh subprocess, so
peak RSS is per method and per run; methods are interleaved within each repeat.

    python benchmarks/encode.py            # ~200 MB files
    python benchmarks/encode.py --quick    # ~20 MB files, smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import Bio
import numpy as np
from Bio import SeqIO
from Bio.SeqIO.FastaIO import SimpleFastaParser
from biodl.alphabets import DNA, INVALID, lookup_table
from biodl.io.fasta import read_fasta

DATA_DIR = Path(__file__).resolve().parent / "data"
LINE_WIDTH = 60
SEED = 20240601
MB = 1e6
CHUNK = 1 << 20
ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass(frozen=True)
class Shape:
    """One generated FASTA layout: fixed-length records of ``length`` bp."""

    name: str
    length: int
    mask_span: int

    def header(self, width: int) -> bytes:
        """Header template; the record number is written over the zeros."""
        return b">" + self.name[0].encode() + b"0" * width + f" len={self.length}\n".encode()

    def body_bytes(self) -> int:
        """Bytes of one wrapped sequence including its newlines."""
        return self.length + -(-self.length // LINE_WIDTH)


SHAPES = (Shape("short", 200, 40), Shape("long", 100_000, 2_000))


# --------------------------------------------------------------------------- data


def record_layout(shape: Shape, target_bytes: float) -> tuple[int, int, int]:
    """Number of records, digits in the record number and bytes per record."""
    width = 7
    record_bytes = len(shape.header(width)) + shape.body_bytes()
    return max(int(target_bytes // record_bytes), 1), width, record_bytes


def record_block(rng: np.random.Generator, shape: Shape, first: int, count: int, width: int) -> np.ndarray:
    """``count`` records as a (count, record_bytes) uint8 array."""
    header = np.tile(np.frombuffer(shape.header(width), dtype=np.uint8), (count, 1))
    numbers = first + np.arange(count, dtype=np.int64)
    for k in range(width):
        header[:, 2 + k] = ord("0") + (numbers // 10 ** (width - 1 - k)) % 10
    bases = ACGT[rng.integers(0, 4, size=(count, shape.length), dtype=np.uint8)]
    soft_mask(rng, bases, shape.mask_span)
    body = np.full((count, shape.body_bytes()), ord("\n"), dtype=np.uint8)
    position = np.arange(shape.length)
    body[:, position + position // LINE_WIDTH] = bases
    return np.hstack([header, body])


def soft_mask(rng: np.random.Generator, bases: np.ndarray, span: int) -> None:
    """Lower-case one stretch of ``span`` bases in about 2% of records, in place."""
    rows = np.flatnonzero(rng.random(len(bases)) < 0.02)
    starts = rng.integers(0, bases.shape[1] - span, size=len(rows))
    for row, start in zip(rows.tolist(), starts.tolist()):
        bases[row, start : start + span] |= 0x20


def generate(path: Path, shape: Shape, target_bytes: float) -> None:
    """Write a seeded FASTA file of about ``target_bytes`` unless an identical-size one exists."""
    count, width, record_bytes = record_layout(shape, target_bytes)
    if path.exists() and path.stat().st_size == count * record_bytes:
        return
    rng = np.random.default_rng(SEED + shape.length)
    per_block = max(16_000_000 // record_bytes, 1)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        for first in range(0, count, per_block):
            block = record_block(rng, shape, first, min(per_block, count - first), width)
            handle.write(memoryview(block).cast("B"))
    partial.replace(path)


def head_subset(path: Path, subset: Path, record_bytes: int, target_bytes: float) -> None:
    """Copy the first whole records, about ``target_bytes`` in all, to ``subset``."""
    size = max(int(target_bytes // record_bytes), 1) * record_bytes
    if subset.exists() and subset.stat().st_size == size:
        return
    with open(path, "rb") as source:
        subset.write_bytes(source.read(size))


def prepare(shape: Shape, target_bytes: float, subset_bytes: float) -> tuple[Path, Path, int]:
    """Generate the benchmark file and its head subset; return paths and record count."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    count, _, record_bytes = record_layout(shape, target_bytes)
    label = f"{shape.name}-{shape.length}bp-{round(target_bytes / MB)}MB"
    path = DATA_DIR / f"{label}.fa"
    subset = DATA_DIR / f"{label}.head{round(subset_bytes / MB)}MB.fa"
    generate(path, shape, target_bytes)
    head_subset(path, subset, record_bytes, subset_bytes)
    return path, subset, count


# ------------------------------------------------------------------------ methods


def encode_record(sequence: str, table: np.ndarray) -> np.ndarray:
    """Tokens of one sequence string; raises on a letter outside the alphabet."""
    codes = table[np.frombuffer(sequence.encode(), dtype=np.uint8)]
    if len(codes) and codes.max() == INVALID:
        raise ValueError("letter outside the alphabet")
    return codes


def concatenate(parts: list[np.ndarray]) -> np.ndarray:
    """Join per-record token arrays (empty input gives an empty array)."""
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint8)


def run_biodl(path: str) -> np.ndarray:
    """biodl's streaming reader."""
    return read_fasta(path, DNA, allow_ambiguous=True).tokens


def run_seqio(path: str) -> np.ndarray:
    """Bio.SeqIO.parse, then per-record lookup-table encoding."""
    table = lookup_table(DNA, True)
    return concatenate([encode_record(str(rec.seq), table) for rec in SeqIO.parse(path, "fasta")])


def run_simple(path: str) -> np.ndarray:
    """SimpleFastaParser, then per-record lookup-table encoding."""
    table = lookup_table(DNA, True)
    with open(path) as handle:
        return concatenate([encode_record(seq, table) for _, seq in SimpleFastaParser(handle)])


def run_naive(path: str) -> np.ndarray:
    """SimpleFastaParser, then a dict lookup per base in a Python loop."""
    table = lookup_table(DNA, True)
    mapping = {chr(byte): int(token) for byte, token in enumerate(table) if token < INVALID - 1}
    out = bytearray()
    with open(path) as handle:
        for _, seq in SimpleFastaParser(handle):
            for letter in seq:
                token = mapping.get(letter)
                if token is None:
                    raise ValueError(f"letter {letter!r} outside the alphabet")
                out.append(token)
    return np.frombuffer(out, dtype=np.uint8)


def run_ceiling(path: str) -> np.ndarray:
    """Lookup table over the raw bytes in 1 MiB chunks, no header handling."""
    table = lookup_table(DNA, True)
    buffer = bytearray(CHUNK)
    view = np.frombuffer(buffer, dtype=np.uint8)
    out = np.empty(CHUNK, dtype=np.uint8)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            np.take(table, view[:n], out=out[:n])
    return np.empty(0, dtype=np.uint8)


METHODS: dict[str, Callable[[str], np.ndarray]] = {
    "biodl": run_biodl,
    "seqio": run_seqio,
    "simple": run_simple,
    "naive": run_naive,
    "ceiling": run_ceiling,
}
LABELS = {
    "biodl": "biodl read_fasta",
    "seqio": "SeqIO.parse + encode",
    "simple": "SimpleFastaParser + encode",
    "naive": "per-base dict loop (subset)",
    "ceiling": "ceiling: np.take over raw bytes",
}


def proc_status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / MB


def peak_rss_mb() -> float:
    """Peak RSS of this process in MB.

    ``ru_maxrss`` survives ``exec`` on Linux, so a worker would report the parent's
    peak if that were larger; VmHWM belongs to this process's own address space.
    """
    own = proc_status_mb("VmHWM")
    return min(own, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB)


def worker(method: str, path: str) -> dict:
    """Run one method once in this process and describe the result."""
    before = proc_status_mb("VmRSS")
    start = time.perf_counter()
    tokens = METHODS[method](path)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    digest = hashlib.blake2b(memoryview(np.ascontiguousarray(tokens)), digest_size=16).hexdigest()
    return {
        "seconds": seconds,
        "input_bytes": os.path.getsize(path),
        "peak_rss_mb": peak,
        "start_rss_mb": before,
        "tokens_mb": tokens.nbytes / MB,
        "hash": digest,
    }


# ---------------------------------------------------------------------- orchestration


def spawn(method: str, path: Path) -> dict:
    """Run one method in a fresh interpreter and return its measurements."""
    command = [sys.executable, __file__, "--method", method, "--file", str(path)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def warm_cache(*paths: Path) -> None:
    """Read files once so every method reads from the page cache."""
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            buffer = bytearray(16 * CHUNK)
            while handle.readinto(buffer):
                pass


def measure(
    full: Path, subset: Path, repeats: dict[str, int]
) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Interleaved repeats of every method; also reference hashes of both files."""
    warm_cache(full, subset)
    runs: dict[str, list[dict]] = {method: [] for method in METHODS}
    for rep in range(max(repeats.values())):
        for method in METHODS:
            if rep < repeats[method]:
                runs[method].append(spawn(method, subset if method == "naive" else full))
    reference = {"full": runs["biodl"][0]["hash"], "subset": spawn("biodl", subset)["hash"]}
    return runs, reference


def agreement(method: str, runs: list[dict], reference: dict[str, str]) -> str:
    """Whether a method's tokens hash like biodl's on the same input."""
    if method == "ceiling":
        return "n/a (raw bytes)"
    expected = reference["subset" if method == "naive" else "full"]
    return "yes" if all(run["hash"] == expected for run in runs) else "NO"


def rate(runs: list[dict]) -> float:
    """Median throughput in MB/s of input file bytes."""
    return runs[0]["input_bytes"] / MB / statistics.median(run["seconds"] for run in runs)


def table_rows(runs: dict[str, list[dict]], reference: dict[str, str]) -> Iterator[str]:
    """Markdown rows, one per method."""
    seqio, ceiling = rate(runs["seqio"]), rate(runs["ceiling"])
    for method, done in runs.items():
        seconds = [run["seconds"] for run in done]
        speed = rate(done)
        peak, before = max(run["peak_rss_mb"] for run in done), done[0]["start_rss_mb"]
        tokens = "–" if method == "ceiling" else f"{done[0]['tokens_mb']:.1f}"
        extra = peak - before - done[0]["tokens_mb"]
        yield (
            f"| {LABELS[method]} | {done[0]['input_bytes'] / MB:.1f} | {len(done)} "
            f"| {statistics.median(seconds):.3f} | {min(seconds):.3f}–{max(seconds):.3f} "
            f"| {speed:.1f} | {speed / seqio:.2f}× | {speed / ceiling:.2f} "
            f"| {peak:.0f} | {before:.0f} | {tokens} | {extra:.0f} | {agreement(method, done, reference)} |"
        )


HEADER = (
    "| method | input MB | runs | median s | spread s (min–max) | MB/s | speed-up vs SeqIO "
    "| fraction of ceiling | peak RSS MB | RSS before MB | tokens MB | peak − before − tokens MB "
    "| tokens agree |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
)


def machine() -> str:
    """One line describing the machine and library versions."""
    with open("/proc/cpuinfo") as handle:
        models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
    malloc = {key: value for key, value in os.environ.items() if key.startswith(("MALLOC_", "GLIBC_"))}
    cpu = models[0] if models else platform.processor()
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    hugepages = thp.read_text().strip() if thp.exists() else "unknown"
    return (
        f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"biopython {Bio.__version__}; glibc malloc: {malloc or 'default (no MALLOC_*/GLIBC_TUNABLES set)'}; "
        f"transparent hugepages: {hugepages}"
    )


def report(shape: Shape, path: Path, count: int, runs: dict[str, list[dict]], reference: dict) -> None:
    """Print one markdown table for a file shape."""
    print(f"\n### {shape.name} records: {shape.length:,} bp each, {count:,} records, {path.name}\n")
    print(HEADER)
    for row in table_rows(runs, reference):
        print(row)
    subset_mb = runs["naive"][0]["input_bytes"] / MB
    print(
        f"\nThe per-base dict loop ran on the first {subset_mb:.1f} MB of whole records only "
        "(its MB/s and ratios use that subset); its tokens are checked against biodl on the same subset."
    )


def main() -> None:
    """Entry point: worker mode with --method, otherwise the whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~20 MB files for a smoke run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--seqio-repeats", type=int, default=3, help="timed runs for SeqIO.parse")
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        print(json.dumps(worker(args.method, args.file)))
        return
    target, subset_target = (20 * MB, 2 * MB) if args.quick else (200 * MB, 10 * MB)
    repeats = {method: args.repeats for method in METHODS} | {"seqio": args.seqio_repeats}
    print(f"Machine: {machine()}")
    print(f"Repeats: {repeats}; every run is a fresh subprocess, methods interleaved, page cache warm.")
    for shape in SHAPES:
        path, subset, count = prepare(shape, target, subset_target)
        runs, reference = measure(path, subset, repeats)
        report(shape, path, count, runs, reference)


if __name__ == "__main__":
    main()
