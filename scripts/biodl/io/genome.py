"""Reference genomes (FASTA, plain or BGZF, through pyfaidx) and region files (BED, narrowPeak).

Coordinates are 0-based and half-open, as in BED. Every region is checked against the genome
it is read for, and a bad line is a one-line error naming the file and the line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from biodl.alphabets import DNA, INVALID, PAD, WHITESPACE, lookup_table
from biodl.errors import InputError

PathLike = str | os.PathLike

# genome letters → tokens: ACGT as in every DNA dataset, N and the other IUPAC codes → the ambiguity
# token; soft-masked (lower-case) bases are read as their upper-case letters
GENOME_TOKENS = lookup_table(DNA, allow_ambiguous=True)
STRANDS = ("+", "-", ".")
# a chromosome is read whole when its windows span more than a quarter of it (measured:
# benchmarks/interval_windows.py, docs/benchmarks.md); otherwise window by window
WHOLE_CHROMOSOME_SHARE = 4
GATHER_ROWS = 16384  # windows gathered per copy: bounds the temporary array
NARROWPEAK_COLUMNS = 10


class Genome:
    """A reference genome read through its ``.fai`` index (built beside the file when missing).

    pyfaidx reads plain and BGZF-compressed FASTA; the index makes every chromosome's length known
    without reading the sequence. Chromosomes are read whole, one at a time, as tokens.
    """

    def __init__(self, path: PathLike):
        import pyfaidx

        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{path}: genome FASTA not found")
        try:
            self._fasta = pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=True)
        except pyfaidx.UnsupportedCompressionFormat:
            raise InputError(
                f"{path}: a compressed genome must be BGZF (bgzip), not plain gzip: "
                "decompress it or recompress it with bgzip"
            ) from None
        except (pyfaidx.FastaIndexingError, ValueError, OSError) as error:
            raise InputError(f"{path}: cannot index the genome: {str(error).splitlines()[0]}") from None
        self.sizes: dict[str, int] = {name: len(record) for name, record in self._fasta.records.items()}
        self._cached: tuple[str, np.ndarray] | None = None

    def tokens(self, chromosome: str) -> np.ndarray:
        """The whole chromosome as ``uint8`` tokens (A C G T = 1…4, ambiguity codes 5)."""
        if self._cached is None or self._cached[0] != chromosome:
            self._cached = (chromosome, self.slice_tokens(chromosome, 0, self.sizes[chromosome]))
        return self._cached[1]

    def slice_tokens(self, chromosome: str, start: int, end: int) -> np.ndarray:
        """Tokens of ``[start, end)`` (inside the chromosome); a letter that is no nucleotide code is
        an error naming its position."""
        letters = self._fasta[chromosome][start:end]
        tokens = GENOME_TOKENS[np.frombuffer(letters.encode("ascii", "replace"), dtype=np.uint8)]
        bad = np.flatnonzero((tokens == INVALID) | (tokens == WHITESPACE))
        if len(bad):
            position = int(bad[0])
            raise InputError(
                f"{self.path}: chromosome {chromosome!r} position {start + position + 1}: "
                f"{letters[position]!r} is not a nucleotide code"
            )
        return tokens

    def slice(self, chromosome: str, start: int, end: int) -> str:
        """The letters of ``[start, end)`` on the forward strand, upper case (pyfaidx)."""
        return self._fasta[chromosome][start:end]


@dataclass(frozen=True)
class Regions:
    """Regions of one BED/narrowPeak file, in file order."""

    path: Path
    chromosomes: np.ndarray  # str
    starts: np.ndarray  # int64, 0-based
    ends: np.ndarray  # int64, exclusive
    summits: np.ndarray  # int64 offsets from start (narrowPeak column 10), -1 where none
    strands: np.ndarray  # '+', '-' or '.'
    lines: np.ndarray  # int64, 1-based line of each region

    def __len__(self) -> int:
        return len(self.starts)

    def centres(self, use_summit: bool) -> np.ndarray:
        """The position each window is centred on: the summit where given and asked for, else the middle."""
        middle = (self.starts + self.ends) // 2
        if not use_summit:
            return middle
        return np.where(self.summits >= 0, self.starts + self.summits, middle)


def read_regions(path: PathLike, sizes: dict[str, int], genome: PathLike) -> Regions:
    """Read and check a BED (3+ columns) or narrowPeak file against a genome's chromosome sizes.

    Header lines (``#``, ``track``, ``browser``) and empty lines are skipped. Refused, with the
    line: fewer than 3 columns, coordinates that are not integers or not ``0 <= start < end``, a
    chromosome missing from the genome, a region past its chromosome's end, a strand other than
    ``+ - .``, a summit outside its region, and a file not sorted by chromosome then start
    (``sort -k1,1 -k2,2n``).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: region file not found")
    rows: list[tuple[str, int, int, int, str, int]] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            rows.append(_region_of_line(line, number, path, sizes, genome))
    if not rows:
        raise InputError(f"{path}: no regions")
    _check_sorted(rows, path)
    chromosomes, starts, ends, summits, strands, lines = zip(*rows)
    return Regions(
        path=path,
        chromosomes=np.array(chromosomes, dtype=object),
        starts=np.array(starts, dtype=np.int64),
        ends=np.array(ends, dtype=np.int64),
        summits=np.array(summits, dtype=np.int64),
        strands=np.array(strands, dtype=object),
        lines=np.array(lines, dtype=np.int64),
    )


def _region_of_line(
    line: str, number: int, path: Path, sizes: dict[str, int], genome: PathLike
) -> tuple[str, int, int, int, str, int]:
    """One region line, checked: (chromosome, start, end, summit offset or -1, strand, line)."""
    at = f"{path}: line {number}"
    fields = line.split("\t")
    if len(fields) < 3:
        raise InputError(f"{at}: a BED line needs chromosome, start and end separated by tabs")
    chromosome = fields[0].strip()
    try:
        start, end = int(fields[1]), int(fields[2])
    except ValueError:
        raise InputError(
            f"{at}: start and end must be integers, not {fields[1]!r} and {fields[2]!r}"
        ) from None
    if start < 0 or end <= start:
        raise InputError(f"{at}: region {chromosome}:{start}-{end} needs 0 <= start < end")
    if chromosome not in sizes:
        raise InputError(f"{at}: chromosome {chromosome!r} is not in the genome {genome}")
    if end > sizes[chromosome]:
        raise InputError(
            f"{at}: region {chromosome}:{start}-{end} ends past the end of {chromosome} "
            f"({sizes[chromosome]} bp in {genome})"
        )
    strand = fields[5].strip() if len(fields) > 5 else "."
    if strand not in STRANDS:
        raise InputError(f"{at}: strand {strand!r} must be one of + - .")
    summit = -1
    if len(fields) >= NARROWPEAK_COLUMNS:
        try:
            summit = int(fields[9])
        except ValueError:
            raise InputError(
                f"{at}: narrowPeak summit (column 10) must be an integer, not {fields[9]!r}"
            ) from None
        if summit >= end - start or summit < -1:
            raise InputError(f"{at}: summit offset {summit} lies outside the region ({end - start} bp)")
    return chromosome, start, end, summit, strand, number


def _check_sorted(rows: list[tuple[str, int, int, int, str, int]], path: Path) -> None:
    """Refuse a file whose chromosomes are not contiguous or whose starts decrease within one."""
    finished: set[str] = set()
    previous_chromosome, previous_start = None, -1
    for chromosome, start, _end, _summit, _strand, number in rows:
        if chromosome != previous_chromosome:
            if chromosome in finished:
                raise InputError(
                    f"{path}: line {number}: not sorted: {chromosome} appears again after "
                    f"{previous_chromosome} (sort with: sort -k1,1 -k2,2n)"
                )
            if previous_chromosome is not None:
                finished.add(previous_chromosome)
            previous_chromosome, previous_start = chromosome, -1
        if start < previous_start:
            raise InputError(
                f"{path}: line {number}: not sorted: {chromosome}:{start} comes after "
                f"{chromosome}:{previous_start} (sort with: sort -k1,1 -k2,2n)"
            )
        previous_start = start


def window_tokens(genome: Genome, chromosomes: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Tokens of the windows ``[start, start + width)``, forward strand, N × width ``uint8``.

    A chromosome whose windows cover a good part of it is read once and its windows are gathered in
    one indexing step; one with few windows is read window by window (reading all of it would cost
    more). Positions before the chromosome's start or past its end are padding (token 0): a window
    is never shifted or dropped to fit.
    """
    out = np.empty((len(starts), width), dtype=np.uint8)  # every row is written below
    for chromosome in dict.fromkeys(chromosomes.tolist()):
        rows = np.flatnonzero(chromosomes == chromosome)
        size = genome.sizes[chromosome]
        if len(rows) * width * WHOLE_CHROMOSOME_SHARE < size:
            out[rows] = PAD
            for row in rows.tolist():
                start = int(starts[row])
                low, high = max(start, 0), min(start + width, size)
                if low < high:
                    out[row, low - start : high - start] = genome.slice_tokens(chromosome, low, high)
            continue
        padded = np.pad(genome.tokens(chromosome), width, constant_values=PAD)
        views = np.lib.stride_tricks.sliding_window_view(padded, width)  # row i: [i - width, i)
        chosen = np.clip(starts[rows] + width, 0, len(views) - 1)
        if rows[-1] - rows[0] + 1 == len(rows):  # one block of rows (sorted regions): copied in chunks
            for first in range(0, len(rows), GATHER_ROWS):
                block = slice(rows[0] + first, rows[0] + min(first + GATHER_ROWS, len(rows)))
                out[block] = views[chosen[first : first + GATHER_ROWS]]
        else:
            out[rows] = views[chosen]
    return out


def track_values(
    path: PathLike, chromosomes: np.ndarray, starts: np.ndarray, width: int, sizes: dict[str, int]
) -> np.ndarray:
    """Per-base values of a bigWig track over each window (pyBigWig), N × width ``float64``: 0 where
    the track has no data and outside the chromosome. A window's chromosome missing from the track
    is an error (a naming mismatch such as 'chr1' and '1' is the usual cause)."""
    import pyBigWig

    try:
        track = pyBigWig.open(str(path))
    except (RuntimeError, OSError):
        track = None
    if track is None or not track.isBigWig():
        raise InputError(f"{path}: not a bigWig file")
    known = track.chroms()
    out = np.zeros((len(starts), width), dtype=np.float64)
    for row, (chromosome, start) in enumerate(zip(chromosomes.tolist(), starts.tolist())):
        if chromosome not in known:
            raise InputError(
                f"{path}: chromosome {chromosome!r} of the genome is not in the track "
                f"(it has {', '.join(list(known)[:5])}{' …' if len(known) > 5 else ''})"
            )
        low, high = max(int(start), 0), min(int(start) + width, sizes[chromosome], known[chromosome])
        if low < high:
            out[row, low - start : high - start] = track.values(chromosome, low, high, numpy=True)
    track.close()
    return np.nan_to_num(out, nan=0.0)
