"""Homology groups for leakage-free sequence splits.

Method (named in the split report): exact duplicates are grouped by hashing
their tokens; near duplicates are found with MinHash locality-sensitive
hashing over k-mer sets (``datasketch``, as in Mash-style sketching) and
confirmed by pairwise alignment (Biopython ``PairwiseAligner``) with
cd-hit's definition of identity: identical aligned residues divided by the
length of the shorter sequence. Pairs at or above the identity threshold are
linked, and the connected components (single linkage) become groups that a
split keeps in one partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from Bio.Align import PairwiseAligner, substitution_matrices
from datasketch import MinHash, MinHashLSH
from scipy.sparse.csgraph import connected_components

NUM_PERM = 128
SKETCH_SEED = 1
MIN_LSH_THRESHOLD = 0.02


@dataclass
class HomologyResult:
    """Group per sequence, and every aligned candidate pair with its identity."""

    groups: np.ndarray
    pairs: np.ndarray
    identities: np.ndarray
    lsh_threshold: float


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
    from biodl.encode import kmer_counts

    counts = kmer_counts(matrix, k, alphabet_size)
    return [counts.indices[counts.indptr[i] : counts.indptr[i + 1]] for i in range(counts.shape[0])]


def make_aligner(protein: bool) -> PairwiseAligner:
    """Global aligner with free end gaps, so a fragment aligns inside its parent."""
    aligner = PairwiseAligner()
    aligner.mode = "global"
    if protein:
        aligner.substitution_matrix = substitution_matrices.load("BLOSUM62")
        aligner.open_gap_score, aligner.extend_gap_score = -11, -1
    else:
        aligner.match_score, aligner.mismatch_score = 2, -3
        aligner.open_gap_score, aligner.extend_gap_score = -5, -2
    aligner.end_insertion_score = aligner.end_deletion_score = 0
    return aligner


def pair_identity(aligner: PairwiseAligner, first: str, second: str) -> float:
    """Identical aligned residues over the length of the shorter sequence (cd-hit's identity)."""
    alignment = aligner.align(first, second)[0]
    return alignment.counts().identities / min(len(first), len(second))


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
) -> HomologyResult:
    """Group sequences that are identical or at least ``identity`` alike."""
    n = len(matrix)
    rows = [bytes(row[row != 0]) for row in matrix]
    threshold = lsh_threshold(identity, k)
    pairs = candidate_pairs(matrix, k, alphabet_size, threshold)
    table = np.frombuffer(("\0" + letters).encode(), dtype=np.uint8)
    texts = [table[np.frombuffer(row, dtype=np.uint8)].tobytes().decode() for row in rows]
    aligner = make_aligner(protein)
    identities = np.array(
        [1.0 if rows[i] == rows[j] else pair_identity(aligner, texts[i], texts[j]) for i, j in pairs],
        dtype=np.float64,
    )
    linked = [pairs[identities >= identity], _exact_duplicate_pairs(rows)]
    edges = np.concatenate(linked) if any(len(x) for x in linked) else np.zeros((0, 2), np.int64)
    return HomologyResult(_components(n, edges), pairs, identities, threshold)


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
