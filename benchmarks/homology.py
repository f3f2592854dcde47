"""Benchmark: the homology split's pairwise alignment, Biopython one pair at a time vs parasail on threads.

The data are seeded gene families, generated here (no download): random
ancestral genes of about 1 kb, four subfamily ancestors per gene (4 %
substitutions, a few indels) and members of each subfamily (1–4 %
substitutions, a few indels; one in ten a 60–90 % fragment). At identity 0.9
and k-mer 8, MinHash proposes about 100,000 candidate pairs, most of them
within a family, many of them near the threshold. Both methods align the same
candidate pairs (the MinHash search is shared and timed once); the table
gives seconds, pairs, pairs/s, how many identities differ from Biopython's
and whether the single-linkage groups are the same.

    python benchmarks/homology.py                  # Biopython timed on a 2,000-pair sample, extrapolated
    python benchmarks/homology.py --full           # Biopython on every pair (about 15 minutes here)
    python benchmarks/homology.py --n 600 --sample 300
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import parasail
from biodl.alphabets import DNA
from biodl.data.homology import (
    biopython_identities,
    candidate_pairs,
    linked_groups,
    lsh_threshold,
    make_aligner,
    parasail_identities,
    parasail_scoring,
)

SUBFAMILIES = 4
FAMILY_SIZE = 80


def mutate(rng: np.random.Generator, gene: np.ndarray, substitution: float, indel: float) -> np.ndarray:
    """A copy of ``gene`` (tokens 1–4) with substitutions and single-base insertions and deletions."""
    copy = gene.copy()
    hits = rng.random(len(copy)) < substitution
    copy[hits] = (copy[hits] + rng.integers(0, 3, hits.sum())) % 4 + 1
    deleted = rng.random(len(copy)) < indel / 2
    inserted = np.flatnonzero(rng.random(len(copy)) < indel / 2)
    copy = np.insert(copy, inserted, rng.integers(1, 5, len(inserted)).astype(np.uint8))
    keep = np.ones(len(copy), bool)
    keep[np.flatnonzero(deleted)] = False
    return copy[keep]


def family_genes(n: int, length: int, seed: int) -> np.ndarray:
    """``n`` seeded genes in families of :data:`FAMILY_SIZE`, as a zero-padded token matrix."""
    rng = np.random.default_rng(seed)
    genes: list[np.ndarray] = []
    while len(genes) < n:
        ancestor = rng.integers(1, 5, int(rng.integers(0.9 * length, 1.1 * length))).astype(np.uint8)
        subfamilies = [mutate(rng, ancestor, 0.04, 0.005) for _ in range(SUBFAMILIES)]
        for member in range(min(FAMILY_SIZE, n - len(genes))):
            gene = mutate(rng, subfamilies[member % SUBFAMILIES], rng.uniform(0.01, 0.04), 0.003)
            if rng.random() < 0.1:
                start = int(rng.integers(0, len(gene) // 10))
                gene = gene[start : start + int(rng.uniform(0.6, 0.9) * len(gene))]
            genes.append(gene)
    order = rng.permutation(len(genes))
    matrix = np.zeros((len(genes), max(len(g) for g in genes)), dtype=np.uint8)
    for row, gene in enumerate(genes[i] for i in order):
        matrix[row, : len(gene)] = gene
    return matrix


def same_partition(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two labellings put the same items together."""
    pairs = {(a, b) for a, b in zip(first.tolist(), second.tolist(), strict=True)}
    return len(pairs) == len(set(first.tolist())) == len(set(second.tolist()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3110)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--identity", type=float, default=0.9)
    parser.add_argument("--kmer", type=int, default=8)
    parser.add_argument("--sample", type=int, default=2000, help="pairs Biopython aligns (without --full)")
    parser.add_argument("--full", action="store_true", help="Biopython aligns every candidate pair")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    arguments = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs")

    tokens = family_genes(arguments.n, arguments.length, seed=0)
    rows = [bytes(row[row != 0]) for row in tokens]
    texts = ["".join(DNA.letters[t - 1] for t in row) for row in rows]
    lengths = [len(t) for t in texts]
    print(f"{len(texts)} genes, {min(lengths)}–{max(lengths)} bp (median {int(np.median(lengths))})")

    started = time.perf_counter()
    threshold = lsh_threshold(arguments.identity, arguments.kmer)
    pairs = candidate_pairs(tokens, arguments.kmer, DNA.size, threshold)
    search = time.perf_counter() - started
    print(f"MinHash candidate search: {len(pairs)} pairs in {search:.1f} s (shared by both methods)\n")

    results = {}
    for threads in arguments.threads:
        started = time.perf_counter()
        identities = parasail_identities(texts, pairs, DNA.letters, False, threads)
        results[f"parasail sg_stats_scan_16, {threads} thread{'s' * (threads > 1)}"] = (
            time.perf_counter() - started,
            len(pairs),
            identities,
        )
    new = next(iter(results.values()))[2]

    chosen = np.arange(len(pairs))
    if not arguments.full:
        chosen = np.sort(
            np.random.default_rng(1).choice(len(pairs), min(arguments.sample, len(pairs)), False)
        )
    started = time.perf_counter()
    old = biopython_identities(texts, pairs[chosen], False)
    seconds = time.perf_counter() - started
    label = "Biopython PairwiseAligner, one pair at a time"
    if not arguments.full:
        label += f" (timed on {len(chosen)} random pairs, extrapolated)"
        seconds *= len(pairs) / len(chosen)

    reference_groups = None
    if arguments.full:
        reference_groups = linked_groups(rows, pairs, old, arguments.identity)
    print(
        "| method | seconds (alignment) | seconds (with search) | pairs aligned | pairs/s | "
        "identities ≠ Biopython | threshold decisions ≠ | groups | groups identical |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|---|")
    table = {label: (seconds, len(pairs), None)} | results
    for name, (spent, count, identities) in table.items():
        if identities is None:
            differ = decided = "–"
            groups = reference_groups
            verdict = "reference" if arguments.full else "not compared (sample; use --full)"
        else:
            delta = identities[chosen] != old
            differ = f"{delta.sum()} of {len(chosen)}"
            decided = str(
                int(((identities[chosen] >= arguments.identity) != (old >= arguments.identity)).sum())
            )
            groups = linked_groups(rows, pairs, identities, arguments.identity)
            verdict = (
                "not compared"
                if reference_groups is None
                else ("yes" if same_partition(groups, reference_groups) else "no")
            )
        n_groups = "–" if groups is None else str(len(np.unique(groups)))
        print(
            f"| {name} | {spent:.1f} | {spent + search:.1f} | {count} | {count / spent:.0f} | "
            f"{differ} | {decided} | {n_groups} | {verdict} |"
        )
    delta = new[chosen] - old
    if (delta != 0).any():
        differing = pairs[chosen][delta != 0]
        residues = np.abs(delta[delta != 0]) * [min(lengths[i], lengths[j]) for i, j in differing]
        print(
            f"\n{len(differing)} identities differ, by {residues.min():.0f}–{residues.max():.0f} residues; "
            f"alignment scores equal in {equal_scores(texts, differing)} of them "
            "(co-optimal alignments with different identity counts)"
        )


def equal_scores(texts: list[str], pairs: np.ndarray) -> int:
    """Pairs whose optimal score is the same by Biopython and by parasail."""
    aligner = make_aligner(False)
    matrix, open_, extend = parasail_scoring(DNA.letters, False)
    return sum(
        round(aligner.score(texts[i], texts[j]))
        == parasail.sg_scan_16(texts[i], texts[j], open_, extend, matrix).score
        for i, j in pairs
    )


if __name__ == "__main__":
    main()
