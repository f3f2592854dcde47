"""Token matrices, reverse complements and k-mer count profiles.

Everything works on whole arrays (rows processed in blocks to bound memory);
there is no per-base Python loop.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import scipy.sparse as sp

from biodl.alphabets import PAD, Alphabet, complement_table

PadSide = Literal["right", "left"]
TrimSide = Literal["right", "left", "both"]
ROW_BLOCK = 16384


def token_matrix(
    tokens: np.ndarray,
    offsets: np.ndarray,
    length: int | None = None,
    pad: PadSide = "right",
    trim: TrimSide = "right",
) -> tuple[np.ndarray, np.ndarray]:
    """Lay flat tokens out as an (N × L) uint8 matrix and return it with the kept lengths.

    ``length=None`` pads every record to the longest one. Longer records lose
    residues at the ``trim`` end(s); shorter ones get padding (token 0) at ``pad``.
    """
    lengths = np.diff(offsets)
    width = int(lengths.max()) if length is None else int(length)
    kept = np.minimum(lengths, width)
    excess = lengths - kept
    skip = {"right": np.zeros_like(excess), "left": excess, "both": excess // 2}[trim]
    source_start = offsets[:-1] + skip
    target_start = np.zeros_like(kept) if pad == "right" else width - kept
    matrix = np.zeros((len(lengths), width), dtype=np.uint8)
    columns = np.arange(width)
    for first in range(0, len(lengths), ROW_BLOCK):
        rows = slice(first, first + ROW_BLOCK)
        shift = columns[None, :] - target_start[rows, None]
        inside = (shift >= 0) & (shift < kept[rows, None])
        matrix[rows][inside] = tokens[(source_start[rows, None] + shift)[inside]]
    return matrix, kept.astype(np.int32)


def one_hot(tokens: np.ndarray, alphabet_size: int) -> np.ndarray:
    """uint8 tokens → float32 one-hot over letters (padding, token 0, becomes all zeros), as the
    models' ``OneHot`` layer encodes them."""
    return np.eye(alphabet_size + 1, dtype=np.float32)[tokens][..., 1:]


def position_matrix(
    labels: list[str],
    classes: str,
    length: int,
    pad: PadSide = "right",
    trim: TrimSide = "right",
) -> np.ndarray:
    """Per-position label strings as an (N × L) uint8 matrix: class index + 1, 0 for padding."""
    table = np.zeros(256, dtype=np.uint8)
    for index, letter in enumerate(classes, start=1):
        table[ord(letter)] = index
    flat = np.frombuffer("".join(labels).encode("ascii"), dtype=np.uint8)
    offsets = np.zeros(len(labels) + 1, dtype=np.int64)
    np.cumsum([len(label) for label in labels], out=offsets[1:])
    matrix, _ = token_matrix(table[flat], offsets, length, pad, trim)
    return matrix


def reverse_complement(matrix: np.ndarray, alphabet: Alphabet, pad: PadSide = "right") -> np.ndarray:
    """Reverse complement of every row, keeping padding on the same side."""
    complemented = complement_table(alphabet)[matrix]
    lengths = np.count_nonzero(matrix != PAD, axis=1)
    width = matrix.shape[1]
    columns = np.arange(width)[None, :]
    if pad == "right":
        source = lengths[:, None] - 1 - columns
    else:
        source = (width - 1) - (columns - (width - lengths[:, None]))
    inside = (source >= 0) & (source < width) & (matrix != PAD)
    result = np.zeros_like(matrix)
    rows = np.broadcast_to(np.arange(len(matrix))[:, None], matrix.shape)
    result[inside] = complemented[rows[inside], source[inside]]
    return result


def kmer_counts(matrix: np.ndarray, k: int, alphabet_size: int) -> sp.csr_matrix:
    """Sparse (N × alphabet_size**k) counts of k-mers over canonical letters.

    Windows that touch padding or an ambiguity token are skipped. Column
    ``c`` is the k-mer whose letters, in base ``alphabet_size``, spell ``c``.
    """
    return pattern_counts(matrix, tuple(range(k)), alphabet_size)


def gapped_kmer_masks(k: int, span: int) -> list[tuple[int, ...]]:
    """Every placement of ``k`` informative positions within ``span``, the first at offset 0.

    Anchoring the first position counts each gapped pattern once per occurrence;
    the contiguous k-mer is the mask ``(0, 1, …, k − 1)``.
    """
    return [(0, *rest) for rest in itertools.combinations(range(1, span), k - 1)]


def gapped_kmer_counts(matrix: np.ndarray, k: int, span: int, alphabet_size: int) -> sp.csr_matrix:
    """Sparse counts of gapped k-mers (k letters within ``span`` positions), one block per mask.

    The feature space of gkm-SVM (Ghandi et al. 2014) made explicit: block m of
    ``alphabet_size**k`` columns counts the letters at the offsets of
    ``gapped_kmer_masks(k, span)[m]``.
    """
    blocks = [pattern_counts(matrix, mask, alphabet_size) for mask in gapped_kmer_masks(k, span)]
    return sp.hstack(blocks, format="csr")


def pattern_counts(matrix: np.ndarray, offsets: tuple[int, ...], alphabet_size: int) -> sp.csr_matrix:
    """Sparse (N × alphabet_size**len(offsets)) counts of the letters found at ``offsets`` of every window.

    Windows that touch padding or an ambiguity token are skipped.
    """
    n_rows, width = matrix.shape
    k = len(offsets)
    n_windows = max(width - offsets[-1], 0)
    blocks = []
    for first in range(0, n_rows, ROW_BLOCK):
        block = matrix[first : first + ROW_BLOCK].astype(np.int64) - 1
        valid = (block >= 0) & (block < alphabet_size)
        codes = np.zeros((len(block), n_windows), dtype=np.int64)
        usable = np.ones((len(block), n_windows), dtype=bool)
        for offset in offsets:
            codes = codes * alphabet_size + block[:, offset : offset + n_windows]
            usable &= valid[:, offset : offset + n_windows]
        rows = np.broadcast_to(np.arange(len(block))[:, None], codes.shape)[usable]
        counts = sp.coo_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, codes[usable])),
            shape=(len(block), alphabet_size**k),
        )
        blocks.append(counts.tocsr())
    if not blocks:
        return sp.csr_matrix((0, alphabet_size**k), dtype=np.float32)
    result = sp.vstack(blocks, format="csr")
    result.sum_duplicates()
    return result


def kmer_names(k: int, letters: str) -> list[str]:
    """Column names of :func:`kmer_counts` in order."""
    names = [""]
    for _ in range(k):
        names = [prefix + letter for prefix in names for letter in letters]
    return names


def dinucleotide_shuffle(tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random sequence with exactly the dinucleotide counts, first and last letter of ``tokens``.

    Altschul & Erickson (1985), as MEME's fasta-shuffle-letters -kmer 2 does it: a random last
    edge is chosen out of every letter so that the last edges lead to the final letter (a spanning
    arborescence, drawn again until one is found), the other edges of each letter are shuffled and
    the Eulerian walk from the first letter reads the new sequence. (tangermeme's shuffle needs
    PyTorch, which the data stage does not install.)
    """
    n = len(tokens)
    if n < 3:
        return np.array(tokens, copy=True)
    following: dict[int, list[int]] = {}
    for source, target in zip(tokens[:-1].tolist(), tokens[1:].tolist()):
        following.setdefault(source, []).append(target)
    final = int(tokens[-1])
    while True:
        last_edge = {v: int(rng.integers(len(edges))) for v, edges in following.items() if v != final}
        if all(_reaches(v, final, following, last_edge) for v in last_edge):
            break
    walks: dict[int, list[int]] = {}
    for vertex, edges in following.items():
        keep = list(edges)
        closing = keep.pop(last_edge[vertex]) if vertex in last_edge else None
        rng.shuffle(keep)
        walks[vertex] = keep + ([closing] if closing is not None else [])
    out = np.empty(n, dtype=tokens.dtype)
    out[0] = current = int(tokens[0])
    used = dict.fromkeys(walks, 0)
    for position in range(1, n):
        current = walks[current][used[current]]
        used[out[position - 1]] += 1
        out[position] = current
    return out


def _reaches(vertex: int, final: int, following: dict[int, list[int]], last_edge: dict[int, int]) -> bool:
    """Whether the chosen last edges lead from ``vertex`` to ``final`` without a cycle."""
    seen = set()
    while vertex != final:
        if vertex in seen:
            return False
        seen.add(vertex)
        vertex = following[vertex][last_edge[vertex]]
    return True
