"""Homology groups for leakage-free sequence splits.

Method (named in the split report): exact duplicates are grouped by hashing
their tokens; near duplicates are found with MinHash locality-sensitive
hashing over k-mer sets (``datasketch``, as in Mash-style sketching) and
confirmed by pairwise alignment with cd-hit's definition of identity:
identical aligned residues divided by the length of the shorter sequence.
Pairs at or above the identity threshold are linked, and the connected
components (single linkage) become groups that a split keeps in one
partition.

The candidate pairs are aligned by parasail's SIMD semi-global alignment
(global with free end gaps; ``sg_stats_scan``), in chunks over a pool of
threads (the C calls release the GIL), with progress in the log. Its scores
equal Biopython's ``PairwiseAligner`` with the same scoring (kept as
``aligner="biopython"`` for comparison); where several alignments are
co-optimal the two may pick different ones, whose identity counts can differ
by a residue or two.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import parasail
import scipy.sparse as sp
from Bio.Align import PairwiseAligner, substitution_matrices
from datasketch import MinHash, MinHashLSH
from scipy.sparse.csgraph import connected_components

NUM_PERM = 128
SKETCH_SEED = 1
MIN_LSH_THRESHOLD = 0.02
ALIGNERS = ("parasail", "biopython")
CHUNK_PAIRS = 500
PROGRESS_EVERY = 10_000
DNA_SCORES = {"match": 2, "mismatch": -3, "open": -5, "extend": -2}
PROTEIN_GAPS = {"open": -11, "extend": -1}

log = logging.getLogger("biodl.data.homology")


@dataclass
class HomologyResult:
    """Group per sequence, and every aligned candidate pair with its identity."""

    groups: np.ndarray
    pairs: np.ndarray
    identities: np.ndarray
    lsh_threshold: float
    identity: float = 0.0
    kmer: int = 0


def lsh_threshold(identity: float, k: int) -> float:
    """MinHash Jaccard threshold with margin for pairs at ``identity``.

    With substitutions spread evenly a fraction ``identity**k`` of k-mers
    survives, so the k-mer Jaccard is about ``s / (2 - s)``; half of it leaves
    room for indels and clustered differences.
    """
    shared = identity**k
    return max(MIN_LSH_THRESHOLD, 0.5 * shared / (2 - shared))


def identity_floor(threshold: float, k: int) -> float:
    """Identity at which evenly spread substitutions give a k-mer Jaccard of ``threshold``.

    Pairs below this identity may escape the candidate search; above it they
    are proposed with high probability.
    """
    shared = 2 * threshold / (1 + threshold)
    return shared ** (1 / k)


def _kmer_sets(matrix: np.ndarray, k: int, alphabet_size: int) -> list[np.ndarray]:
    """Distinct k-mer codes of each row (windows over padding or ambiguity skipped)."""
    from biodl.data.encode import kmer_counts

    counts = kmer_counts(matrix, k, alphabet_size)
    return [counts.indices[counts.indptr[i] : counts.indptr[i + 1]] for i in range(counts.shape[0])]


def make_aligner(protein: bool) -> PairwiseAligner:
    """Global aligner with free end gaps, so a fragment aligns inside its parent."""
    aligner = PairwiseAligner()
    aligner.mode = "global"
    gaps = PROTEIN_GAPS if protein else DNA_SCORES
    if protein:
        aligner.substitution_matrix = substitution_matrices.load("BLOSUM62")
    else:
        aligner.match_score, aligner.mismatch_score = DNA_SCORES["match"], DNA_SCORES["mismatch"]
    aligner.open_gap_score, aligner.extend_gap_score = gaps["open"], gaps["extend"]
    aligner.end_insertion_score = aligner.end_deletion_score = 0
    return aligner


def pair_identity(aligner: PairwiseAligner, first: str, second: str) -> float:
    """Identical aligned residues over the length of the shorter sequence (cd-hit's identity)."""
    alignment = aligner.align(first, second)[0]
    return alignment.counts().identities / min(len(first), len(second))


def biopython_identities(texts: list[str], pairs: np.ndarray, protein: bool) -> np.ndarray:
    """Identity of each pair by Biopython's ``PairwiseAligner``, one pair at a time (the reference)."""
    aligner = make_aligner(protein)
    return np.array([pair_identity(aligner, texts[i], texts[j]) for i, j in pairs], dtype=np.float64)


def parasail_scoring(letters: str, protein: bool) -> tuple[object, int, int]:
    """Substitution matrix and gap penalties of :func:`make_aligner` in parasail's terms.

    parasail charges ``open`` for a gap's first position and ``extend`` for
    each further one, as Biopython's open and extend scores do, with the sign
    flipped.
    """
    if protein:
        return parasail.blosum62, -PROTEIN_GAPS["open"], -PROTEIN_GAPS["extend"]
    matrix = parasail.matrix_create(letters, DNA_SCORES["match"], DNA_SCORES["mismatch"])
    return matrix, -DNA_SCORES["open"], -DNA_SCORES["extend"]


def _matches(first: str, second: str, matrix: object, open_: int, extend: int) -> int:
    """Identical residues in the best semi-global alignment; 32-bit lanes when 16 bits saturate."""
    result = parasail.sg_stats_scan_16(first, second, open_, extend, matrix)
    if result.saturated:
        result = parasail.sg_stats_scan_32(first, second, open_, extend, matrix)
    return result.matches


def parasail_identities(
    texts: list[str], pairs: np.ndarray, letters: str, protein: bool, threads: int = 1
) -> np.ndarray:
    """Identity of each pair by parasail, in chunks over ``threads`` threads, with progress logged."""
    matrix, open_, extend = parasail_scoring(letters, protein)
    shorter = np.array([min(len(texts[i]), len(texts[j])) for i, j in pairs], dtype=np.float64)

    def chunk(rows: np.ndarray) -> np.ndarray:
        return np.array([_matches(texts[i], texts[j], matrix, open_, extend) for i, j in rows])

    matches = _in_chunks(chunk, pairs, threads)
    return matches / np.maximum(shorter, 1)


def _in_chunks(work: Callable[[np.ndarray], np.ndarray], pairs: np.ndarray, threads: int) -> np.ndarray:
    """``work`` over chunks of ``pairs`` on a thread pool, results in order, progress in the log."""
    chunks = [pairs[start : start + CHUNK_PAIRS] for start in range(0, len(pairs), CHUNK_PAIRS)]
    results, done, reported, started = [], 0, 0, time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for rows, result in zip(chunks, pool.map(work, chunks), strict=True):
            results.append(result)
            done += len(rows)
            if done - reported >= PROGRESS_EVERY or done == len(pairs):
                reported = done
                seconds = time.perf_counter() - started
                log.info(
                    "aligned %d of %d pairs in %.1f s (%.0f pairs/s, %d threads)",
                    done,
                    len(pairs),
                    seconds,
                    done / max(seconds, 1e-9),
                    threads,
                )
    return np.concatenate(results) if results else np.zeros(0, dtype=np.float64)


def candidate_pairs(matrix: np.ndarray, k: int, alphabet_size: int, threshold: float) -> np.ndarray:
    """Pairs (i < j) whose MinHash estimate of k-mer Jaccard reaches ``threshold``.

    LSH banding proposes pairs; the sketches' own Jaccard estimate then drops
    the banding's false positives before any alignment is paid for.
    """
    sketches = MinHash.bulk(
        _kmer_sets(matrix, k, alphabet_size), num_perm=NUM_PERM, seed=SKETCH_SEED, hashfunc=int
    )
    index = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    found: set[tuple[int, int]] = set()
    for item, sketch in enumerate(sketches):
        for other in index.query(sketch):
            if sketches[other].jaccard(sketch) >= threshold:
                found.add((other, item))
        index.insert(item, sketch)
    return np.array(sorted(found), dtype=np.int64).reshape(-1, 2)


def homology_groups(
    matrix: np.ndarray,
    letters: str,
    identity: float,
    k: int,
    alphabet_size: int,
    protein: bool = False,
    threads: int = 1,
    aligner: str = "parasail",
) -> HomologyResult:
    """Group sequences that are identical or at least ``identity`` alike.

    ``aligner`` is ``"parasail"`` (SIMD, over ``threads`` threads) or
    ``"biopython"`` (one pair at a time; the reference the first is checked
    against).
    """
    rows = [bytes(row[row != 0]) for row in matrix]
    threshold = lsh_threshold(identity, k)
    started = time.perf_counter()
    pairs = candidate_pairs(matrix, k, alphabet_size, threshold)
    log.info(
        "%d candidate pairs among %d sequences (MinHash, k=%d, Jaccard >= %.3f) in %.1f s",
        len(pairs),
        len(rows),
        k,
        threshold,
        time.perf_counter() - started,
    )
    table = np.frombuffer(("\0" + letters).encode(), dtype=np.uint8)
    texts = [table[np.frombuffer(row, dtype=np.uint8)].tobytes().decode() for row in rows]
    same = np.array([rows[i] == rows[j] for i, j in pairs], dtype=bool)
    identities = np.ones(len(pairs), dtype=np.float64)
    identities[~same] = pair_identities(texts, pairs[~same], letters, protein, threads, aligner)
    groups = linked_groups(rows, pairs, identities, identity)
    return HomologyResult(groups, pairs, identities, threshold, identity, k)


def linked_groups(
    rows: list[bytes], pairs: np.ndarray, identities: np.ndarray, identity: float
) -> np.ndarray:
    """Single-linkage groups of pairs at or above ``identity`` and of exact duplicates."""
    linked = [pairs[identities >= identity], _exact_duplicate_pairs(rows)]
    edges = np.concatenate(linked) if any(len(x) for x in linked) else np.zeros((0, 2), np.int64)
    return _components(len(rows), edges)


def pair_identities(
    texts: list[str], pairs: np.ndarray, letters: str, protein: bool, threads: int, aligner: str
) -> np.ndarray:
    """Identity of each pair with the chosen aligner (see :data:`ALIGNERS`)."""
    if aligner == "biopython":
        return biopython_identities(texts, pairs, protein)
    if aligner == "parasail":
        return parasail_identities(texts, pairs, letters, protein, threads)
    raise ValueError(f"unknown aligner {aligner!r} (known: {', '.join(ALIGNERS)})")


def save_homology(path: str | os.PathLike, result: HomologyResult) -> None:
    """Write groups, aligned pairs, identities and thresholds as one ``.npz`` file."""
    from biodl.io.outputs import save_arrays

    save_arrays(
        path,
        groups=result.groups,
        pairs=result.pairs,
        identities=result.identities,
        lsh_threshold=np.array(result.lsh_threshold),
        identity=np.array(result.identity),
        kmer=np.array(result.kmer),
    )


def load_homology(path: str | os.PathLike) -> HomologyResult:
    """Read a :func:`save_homology` file."""
    with np.load(path, allow_pickle=False) as saved:
        return HomologyResult(
            groups=saved["groups"],
            pairs=saved["pairs"].reshape(-1, 2),
            identities=saved["identities"],
            lsh_threshold=float(saved["lsh_threshold"]),
            identity=float(saved["identity"]),
            kmer=int(saved["kmer"]),
        )


def _exact_duplicate_pairs(rows: list[bytes]) -> np.ndarray:
    first_seen: dict[bytes, int] = {}
    pairs = []
    for item, row in enumerate(rows):
        if row in first_seen:
            pairs.append((first_seen[row], item))
        else:
            first_seen[row] = item
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected components of the graph on ``n`` nodes with ``edges``."""
    graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def merge_groups(*labellings: np.ndarray) -> np.ndarray:
    """Join several groupings: items sharing a group in any of them end up together."""
    n = len(labellings[0])
    edges = []
    for labels in labellings:
        order = np.argsort(labels, kind="stable")
        same = labels[order][1:] == labels[order][:-1]
        edges.append(np.stack([order[:-1][same], order[1:][same]], axis=1))
    return _components(n, np.concatenate(edges))
