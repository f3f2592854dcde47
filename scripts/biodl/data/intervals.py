"""Genome-anchored datasets: windows of a reference genome around regions, their labels and background.

A dataset of ``kind: intervals`` names a genome and one region file per class or task. Each region
gives one window of ``window`` bp centred on its summit (narrowPeak) or middle, read on the
region's strand (``-`` windows are reverse complements). Positions past a chromosome's ends are
padding (token 0), never shifted. Background windows, when asked for, come from one explicit method:

- ``gc_matched``: random windows of the positives' chromosomes whose GC fraction falls in the same
  bin as a positive's, one chromosome at a time (so a chromosome split keeps the ratio);
- ``flanks``: the windows ``flank`` bp either side of each positive;
- ``shuffled``: ``per_positive`` dinucleotide shuffles of each positive (same GC, same dinucleotide
  counts, motifs destroyed); a shuffled copy shares its positive's coordinates and group.

No background window drawn from the genome overlaps a region of any set, reaches past a chromosome
end, or is more than a tenth ambiguous (N). A window carries a set's label when a region of that
set covers its centre.
Overlapping windows share a ``group``, so no split puts two overlapping windows in different
partitions. The ingest writes the sequence contract (``tokens.npy`` …) and, in ``ids.tsv``, each
window's chromosome, start, end, strand, origin (its set, or ``background``) and GC fraction.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biodl.alphabets import DNA, PAD, complement_table
from biodl.data import encode
from biodl.errors import InputError
from biodl.io.genome import Genome, Regions, read_regions, track_values, window_tokens
from biodl.io.outputs import all_or_nothing, save_array, save_json, save_sparse, save_table

PathLike = str | os.PathLike
log = logging.getLogger("biodl.data.intervals")

BACKGROUND = "background"
MAX_AMBIGUOUS = 0.1  # background windows with more N than this are not drawn
CANDIDATE_ROUNDS = 20  # draws of random windows per chromosome before a GC bin is given up
GC_TOKENS = (2, 3)  # C, G


@dataclass
class Windows:
    """Windows in one table: chromosome, start, strand, origin (set name or background), and for a
    dinucleotide-shuffled copy of a window its number (−1 for the genome's own windows)."""

    chromosomes: np.ndarray
    starts: np.ndarray
    strands: np.ndarray
    origins: np.ndarray
    shuffles: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.shuffles is None:
            self.shuffles = np.full(len(self.starts), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def concat(cls, parts: list[Windows]) -> Windows:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, rows: np.ndarray) -> Windows:
        return Windows(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def region_windows(regions: Regions, name: str, width: int, use_summit: bool) -> Windows:
    """One window per region, centred on its summit or middle; repeated windows kept once."""
    starts = regions.centres(use_summit) - width // 2
    frame = pd.DataFrame({"c": regions.chromosomes, "s": starts, "t": regions.strands})
    keep = ~frame.duplicated().to_numpy()
    return Windows(
        regions.chromosomes[keep], starts[keep], regions.strands[keep], np.full(int(keep.sum()), name, object)
    )


def covered_centres(windows: Windows, width: int, regions: Regions) -> np.ndarray:
    """Whether a region of ``regions`` covers each window's centre position."""
    centres = windows.starts + width // 2
    covered = np.zeros(len(windows), dtype=bool)
    for chromosome in np.unique(windows.chromosomes):
        rows = np.flatnonzero(windows.chromosomes == chromosome)
        covered[rows] = furthest_end(regions, chromosome, centres[rows]) > centres[rows]
    return covered


def overlaps_any(chromosome: str, starts: np.ndarray, width: int, sets: list[Regions]) -> np.ndarray:
    """Whether each window ``[start, start + width)`` of ``chromosome`` overlaps a region of any set."""
    hit = np.zeros(len(starts), dtype=bool)
    for regions in sets:
        hit |= furthest_end(regions, chromosome, starts + width - 1) > starts
    return hit


def furthest_end(regions: Regions, chromosome: str, positions: np.ndarray) -> np.ndarray:
    """The furthest end of the regions of ``chromosome`` that start at or before each position
    (−1 where none does): a region covers the position, or reaches past a point, when that end does."""
    on = regions.chromosomes == chromosome
    if not on.any():
        return np.full(len(positions), -1, dtype=np.int64)
    order = np.argsort(regions.starts[on], kind="stable")
    starts, reach = regions.starts[on][order], np.maximum.accumulate(regions.ends[on][order])
    last = np.searchsorted(starts, positions, side="right") - 1
    return np.where(last >= 0, reach[np.maximum(last, 0)], -1)


def gc_fraction(tokens: np.ndarray) -> np.ndarray:
    """G+C over the unambiguous bases of each row (NaN for a row without any)."""
    counted = (tokens >= 1) & (tokens <= 4)
    gc = np.isin(tokens, GC_TOKENS).sum(axis=1)
    total = counted.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, gc / np.maximum(total, 1), np.nan)


def usable_background(tokens: np.ndarray) -> np.ndarray:
    """Rows with no padding and at most MAX_AMBIGUOUS ambiguous bases."""
    ambiguous = (tokens == DNA.ambiguity_token).mean(axis=1)
    return ~(tokens == PAD).any(axis=1) & (ambiguous <= MAX_AMBIGUOUS)


def gc_bin(gc: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width GC bin of each fraction (0 … bins−1)."""
    return np.minimum((np.nan_to_num(gc) * bins).astype(np.int64), bins - 1)


def gc_matched_background(
    genome: Genome,
    positives: Windows,
    positive_gc: np.ndarray,
    width: int,
    sets: list[Regions],
    per_positive: int,
    bins: int,
    rng: np.random.Generator,
) -> tuple[Windows, int]:
    """Random windows matched to the positives' GC bins, chromosome by chromosome.

    Returns the windows and the number of positives' matches no candidate could fill.
    """
    parts, unmatched = [], 0
    for chromosome in dict.fromkeys(positives.chromosomes.tolist()):
        rows = np.flatnonzero(positives.chromosomes == chromosome)
        wanted = np.repeat(gc_bin(positive_gc[rows], bins), per_positive)
        strands = np.repeat(positives.strands[rows], per_positive)
        chosen, missing = _draw_matched(genome, chromosome, wanted, width, sets, bins, rng)
        unmatched += missing
        taken = np.flatnonzero(chosen >= 0)
        parts.append(
            Windows(
                np.full(len(taken), chromosome, object),
                chosen[taken],
                strands[taken],
                np.full(len(taken), BACKGROUND, object),
            )
        )
    return Windows.concat(parts), unmatched


def _draw_matched(
    genome: Genome,
    chromosome: str,
    wanted: np.ndarray,
    width: int,
    sets: list[Regions],
    bins: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """A start for each wanted GC bin (−1 where none was found in CANDIDATE_ROUNDS draws)."""
    size = genome.sizes[chromosome]
    chosen = np.full(len(wanted), -1, dtype=np.int64)
    if size < width:
        return chosen, len(wanted)
    used: set[int] = set()
    for _ in range(CANDIDATE_ROUNDS):
        open_rows = np.flatnonzero(chosen < 0)
        if not len(open_rows):
            break
        starts = rng.integers(0, size - width + 1, size=max(4 * len(open_rows), 64))
        starts = starts[~overlaps_any(chromosome, starts, width, sets)]
        tokens = window_tokens(genome, np.full(len(starts), chromosome, object), starts, width)
        good = usable_background(tokens)
        starts, candidate_bins = starts[good], gc_bin(gc_fraction(tokens[good]), bins)
        for start, found in zip(starts.tolist(), candidate_bins.tolist()):
            if start in used:
                continue
            waiting = open_rows[wanted[open_rows] == found]
            waiting = waiting[chosen[waiting] < 0]
            if len(waiting):
                chosen[waiting[0]] = start
                used.add(start)
    return chosen, int((chosen < 0).sum())


def flank_background(
    genome: Genome, positives: Windows, width: int, flank: int, sets: list[Regions]
) -> Windows:
    """The windows ``flank`` bp upstream and downstream of each positive, where usable."""
    chromosomes = np.concatenate([positives.chromosomes, positives.chromosomes])
    starts = np.concatenate([positives.starts - flank, positives.starts + flank])
    strands = np.concatenate([positives.strands, positives.strands])
    keep = np.zeros(len(starts), dtype=bool)
    for chromosome in np.unique(chromosomes):
        rows = np.flatnonzero(chromosomes == chromosome)
        inside = (starts[rows] >= 0) & (starts[rows] + width <= genome.sizes[chromosome])
        keep[rows] = inside & ~overlaps_any(chromosome, starts[rows], width, sets)
    candidates = Windows(chromosomes, starts, strands, np.full(len(starts), BACKGROUND, object)).take(
        np.flatnonzero(keep)
    )
    tokens = window_tokens(genome, candidates.chromosomes, candidates.starts, width)
    candidates = candidates.take(np.flatnonzero(usable_background(tokens)))
    frame = pd.DataFrame({"c": candidates.chromosomes, "s": candidates.starts})
    return candidates.take(np.flatnonzero(~frame.duplicated().to_numpy()))


def shuffled_background(positives: Windows, per_positive: int) -> Windows:
    """``per_positive`` dinucleotide-shuffled copies of each region window (their tokens are drawn
    by :func:`oriented_tokens`); each keeps its window's coordinates, so it shares its group."""
    copies = np.repeat(np.arange(len(positives)), per_positive)
    shuffled = positives.take(copies)
    shuffled.origins = np.full(len(copies), BACKGROUND, object)
    shuffled.shuffles = np.tile(np.arange(per_positive), len(positives))
    return shuffled


def oriented_tokens(genome: Genome, windows: Windows, width: int, seed: int = 0) -> np.ndarray:
    """Window tokens read on each window's strand (``-``: the reverse complement); a shuffled copy
    is the dinucleotide shuffle of its window's bases (padding kept in place), seeded by ``seed``,
    the window and the copy's number."""
    tokens = window_tokens(genome, windows.chromosomes, windows.starts, width)
    minus = windows.strands == "-"
    tokens[minus] = complement_table(DNA)[tokens[minus, ::-1]]
    for row in np.flatnonzero(windows.shuffles >= 0).tolist():
        bases = np.flatnonzero(tokens[row] != PAD)
        key = [
            seed,
            int(windows.starts[row]) + width,
            int(windows.shuffles[row]),
            *windows.chromosomes[row].encode(),
        ]
        tokens[row, bases] = encode.dinucleotide_shuffle(tokens[row, bases], np.random.default_rng(key))
    return tokens


def overlap_groups(windows: Windows, width: int) -> np.ndarray:
    """A group name per window: windows that overlap, directly or through others, share one."""
    order = np.lexsort((windows.starts, windows.chromosomes.astype(str)))
    groups = np.empty(len(windows), dtype=object)
    chromosome, reach, number = None, None, -1
    for row in order.tolist():
        start = int(windows.starts[row])
        if windows.chromosomes[row] != chromosome or start >= reach:
            chromosome, number = windows.chromosomes[row], number + 1
            reach = start + width
        reach = max(reach, start + width)
        groups[row] = f"{chromosome}:{number}"
    return groups


def window_ids(windows: Windows, width: int) -> np.ndarray:
    """``chrom:start-end(strand)`` of each window (0-based start, exclusive end, as in BED), with
    ``~shuffle<k>`` after it for the k-th shuffled copy."""
    rows = zip(
        windows.chromosomes.tolist(),
        windows.starts.tolist(),
        windows.strands.tolist(),
        windows.shuffles.tolist(),
    )
    return np.array(
        [f"{c}:{s}-{s + width}({t})" + (f"~shuffle{k}" if k >= 0 else "") for c, s, t, k in rows],
        dtype=object,
    )


def label_windows(
    windows: Windows, width: int, sets: dict[str, Regions], task: str
) -> tuple[Windows, pd.DataFrame, int]:
    """Label columns of the windows for ``task``; windows of two sets at once are dropped (counted).

    multilabel, and binary with one set against background: a 0/1 column per set, whether a region
    of that set covers the window's centre (the same window from two sets is kept once), so the
    positive class of a binary task is always ``1``, the set; multiclass, and binary with two sets:
    one column ``label`` holding the window's set (or ``background``), after dropping windows whose
    centre a region of another set also covers.
    """
    covered = {name: covered_centres(windows, width, regions) for name, regions in sets.items()}
    for hit in covered.values():  # a shuffled copy carries no region's label, wherever it came from
        hit[windows.shuffles >= 0] = False
    if task in ("multilabel", "regression") or (task == "binary" and len(sets) == 1):
        keys = pd.DataFrame(
            {"c": windows.chromosomes, "s": windows.starts, "t": windows.strands, "k": windows.shuffles}
        )
        keep = np.flatnonzero(~keys.duplicated().to_numpy())
        labels = pd.DataFrame({name: np.where(hit[keep], "1", "0") for name, hit in covered.items()})
        return windows.take(keep), labels, 0
    hits = np.sum([covered[name] for name in sets], axis=0)
    own = np.array([covered[o][i] if o in covered else False for i, o in enumerate(windows.origins.tolist())])
    ambiguous = hits - own > 0
    keep = np.flatnonzero(~ambiguous)
    labels = pd.DataFrame({"label": windows.origins[keep].astype(str)})
    return windows.take(keep), labels, int(ambiguous.sum())


TRACK_SUMMARIES = {"mean": np.mean, "sum": np.sum, "max": np.max}


def track_targets(
    tracks: dict[str, PathLike],
    windows: Windows,
    width: int,
    sizes: dict[str, int],
    summary: str,
    bins: int | None,
) -> pd.DataFrame:
    """Regression targets from bigWig tracks: each track's values over each window (read on the
    window's strand) summarised by ``summary``, whole or per bin of ``width // bins`` bp (a profile;
    columns ``<track>.<bin>``, bin 0 at the window's 5' end)."""
    columns = {}
    for name, path in tracks.items():
        values = track_values(path, windows.chromosomes, windows.starts, width, sizes)
        minus = windows.strands == "-"
        values[minus] = values[minus, ::-1]
        if bins is None:
            columns[name] = TRACK_SUMMARIES[summary](values, axis=1)
            continue
        per_bin = values.reshape(len(values), bins, width // bins)
        for index, binned in enumerate(TRACK_SUMMARIES[summary](per_bin, axis=2).T):
            columns[f"{name}.{index}"] = binned
    return pd.DataFrame({name: np.round(values, 6) for name, values in columns.items()})


def ingest_intervals(
    *,
    genome: PathLike,
    regions: dict[str, PathLike],
    outputs: dict[str, PathLike],
    task: str,
    window: int,
    centre: str = "summit",
    negatives: dict | None = None,
    kmer_k: int = 4,
    tracks: dict[str, PathLike] | None = None,
    track_summary: str = "mean",
    track_bins: int | None = None,
) -> None:
    """Genome + region sets (+ bigWig tracks for regression) → the sequence contract (ids.tsv,
    tokens, lengths, k-mers, meta.json)."""
    negatives = {
        "method": "none",
        "per_positive": 1,
        "flank": 1000,
        "gc_bins": 20,
        "seed": 0,
        **(negatives or {}),
    }
    reference = Genome(genome)
    sets = {name: read_regions(path, reference.sizes, genome) for name, path in regions.items()}
    positives = Windows.concat(
        [region_windows(found, name, window, centre == "summit") for name, found in sets.items()]
    )
    background, unmatched = _background(reference, positives, window, sets, negatives)
    windows, labels, ambiguous = label_windows(Windows.concat([positives, background]), window, sets, task)
    order = np.lexsort(
        (windows.shuffles, windows.strands.astype(str), windows.starts, windows.chromosomes.astype(str))
    )
    windows, labels = windows.take(order), labels.iloc[order].reset_index(drop=True)
    if task == "regression":
        labels = track_targets(tracks or {}, windows, window, reference.sizes, track_summary, track_bins)
    if ambiguous:
        log.warning("%d windows lie in regions of two sets and were left out", ambiguous)
    tokens = oriented_tokens(reference, windows, window, negatives["seed"])
    index = _window_table(windows, labels, tokens, window)
    _check_classes(index, labels, task, regions)
    meta = _interval_meta(task, list(labels.columns), index, window, kmer_k, genome, regions, negatives)
    if task == "regression":
        meta["intervals"]["tracks"] = {
            "files": {name: str(path) for name, path in (tracks or {}).items()},
            "summary": track_summary,
            "bins": track_bins,
        }
    meta["intervals"].update({"ambiguous_dropped": ambiguous, "gc_unmatched": unmatched})
    with all_or_nothing(*outputs.values()):
        save_table(outputs["ids"], index)
        save_array(outputs["tokens"], tokens)
        save_array(outputs["lengths"], (tokens != PAD).sum(axis=1).astype(np.int32))
        save_sparse(outputs["kmers"], encode.kmer_counts(tokens, kmer_k, DNA.size))
        save_json(outputs["meta"], meta)


def _background(
    reference: Genome,
    positives: Windows,
    window: int,
    sets: dict[str, Regions],
    negatives: dict,
) -> tuple[Windows, int]:
    """The background windows of the configured method (none: an empty table) and the unmatched count."""
    method = negatives["method"]
    if method == "gc_matched":
        rng = np.random.default_rng(negatives["seed"])
        return gc_matched_background(
            reference,
            positives,
            # GC is the same on either strand: the forward windows suffice
            gc_fraction(window_tokens(reference, positives.chromosomes, positives.starts, window)),
            window,
            list(sets.values()),
            negatives["per_positive"],
            negatives["gc_bins"],
            rng,
        )
    if method == "flanks":
        return flank_background(reference, positives, window, negatives["flank"], list(sets.values())), 0
    if method == "shuffled":
        return shuffled_background(positives, negatives["per_positive"]), 0
    return positives.take(np.array([], dtype=np.int64)), 0


def _window_table(windows: Windows, labels: pd.DataFrame, tokens: np.ndarray, width: int) -> pd.DataFrame:
    """ids.tsv of an interval dataset, in window order: id, labels, group, coordinates, origin, GC, length."""
    index = pd.DataFrame({"id": window_ids(windows, width)})
    for column in labels.columns:
        index[column] = labels[column].to_numpy()
    index["group"] = overlap_groups(windows, width)
    index["chromosome"] = windows.chromosomes
    index["start"] = windows.starts
    index["end"] = windows.starts + width
    index["strand"] = windows.strands
    index["origin"] = windows.origins
    index["gc"] = np.round(gc_fraction(tokens), 4)
    index["length"] = (tokens != PAD).sum(axis=1)
    return index


def _check_classes(
    index: pd.DataFrame, labels: pd.DataFrame, task: str, regions: dict[str, PathLike]
) -> None:
    """Refuse a task its windows cannot train: one class, or not two classes for a binary task."""
    files = ", ".join(str(path) for path in regions.values())
    if task == "regression":
        flat = [column for column in labels.columns if index[column].nunique() < 2]
        if flat:
            raise InputError(
                f"{files}: track target {flat[0]!r} has one value over every window; check the track"
            )
        return
    if task == "multilabel":
        for column in labels.columns:
            if index[column].nunique() < 2:
                raise InputError(
                    f"{files}: every window has the same label {index[column].iat[0]!r} for set {column!r}"
                )
        return
    if "label" not in index:  # binary: one set against background
        column = labels.columns[0]
        if index[column].nunique() < 2:
            raise InputError(f"{files}: binary task on one region set needs background windows (negatives)")
        return
    found = sorted(index["label"].unique())
    if len(found) < 2:
        raise InputError(
            f"{files}: every window is {found[0]!r}; add a region set or background windows (negatives)"
        )
    if task == "binary" and len(found) != 2:
        raise InputError(
            f"{files}: a binary task needs exactly two classes, the windows have {', '.join(found)}"
        )


def _interval_meta(
    task: str,
    label_columns: list[str],
    index: pd.DataFrame,
    window: int,
    kmer_k: int,
    genome: PathLike,
    regions: dict[str, PathLike],
    negatives: dict,
) -> dict:
    """meta.json of an interval dataset: the sequence contract and where its windows came from."""
    gc = index.groupby(index["origin"] == BACKGROUND)["gc"].describe()[["count", "mean", "50%"]]
    return {
        "kind": "sequences",
        "task": task,
        "alphabet": DNA.name,
        "vocabulary": DNA.vocabulary(True),
        "pad_token": PAD,
        "length": {"mode": "fixed", "size": window, "pad": "right", "trim": "right", "width": window},
        "label_columns": label_columns,
        "classes": {}
        if task == "regression"
        else {column: sorted(index[column].unique()) for column in label_columns},
        "kmer": {"k": kmer_k, "letters": DNA.letters},
        "position_classes": None,
        "intervals": {
            "genome": str(genome),
            "regions": {name: str(path) for name, path in regions.items()},
            "window": window,
            "negatives": negatives,
            "windows": len(index),
            "gc": {
                ("background" if is_background else "regions"): {
                    "n": int(row["count"]),
                    "mean": round(float(row["mean"]), 4),
                    "median": round(float(row["50%"]), 4),
                }
                for is_background, row in gc.iterrows()
            },
        },
    }
