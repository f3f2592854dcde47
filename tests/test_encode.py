"""Token matrices, pad/trim policies, reverse complement and k-mer profiles."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from biodl.alphabets import DNA, decode
from biodl.data.encode import kmer_counts, kmer_names, position_matrix, reverse_complement, token_matrix


def flat(*sequences: str):
    table = {c: i for i, c in enumerate("ACGTN", start=1)}
    tokens = np.array([table[c] for s in sequences for c in s], dtype=np.uint8)
    offsets = np.cumsum([0, *map(len, sequences)])
    return tokens, offsets


def rows(matrix):
    return [decode(row, DNA) for row in matrix]


def test_variable_length_pads_to_longest_on_the_right():
    matrix, lengths = token_matrix(*flat("ACGT", "GA"))
    assert matrix.tolist() == [[1, 2, 3, 4], [3, 1, 0, 0]]
    assert lengths.tolist() == [4, 2]
    assert matrix.dtype == np.uint8


@pytest.mark.parametrize(
    ("pad", "trim", "expected"),
    [
        ("right", "right", [[1, 2, 3], [3, 1, 0]]),
        ("left", "left", [[2, 3, 4], [0, 3, 1]]),
        ("right", "both", [[1, 2, 3], [3, 1, 0]]),
    ],
)
def test_fixed_length_pad_and_trim(pad, trim, expected):
    matrix, lengths = token_matrix(*flat("ACGT", "GA"), length=3, pad=pad, trim=trim)
    assert matrix.tolist() == expected
    assert lengths.tolist() == [3, 2]


def test_trim_both_keeps_the_centre():
    matrix, _ = token_matrix(*flat("AACGTTT"), length=3, trim="both")
    assert rows(matrix) == ["CGT"]


def test_reverse_complement_respects_padding():
    matrix, _ = token_matrix(*flat("AACG", "GTN"), length=5)
    assert rows(reverse_complement(matrix, DNA)) == ["CGTT", "NAC"]
    assert reverse_complement(matrix, DNA)[1, 3:].tolist() == [0, 0]
    left, _ = token_matrix(*flat("AACG", "GTN"), length=5, pad="left")
    result = reverse_complement(left, DNA, pad="left")
    assert rows(result) == ["CGTT", "NAC"]
    assert result[:, 0].tolist() == [0, 0]


def test_reverse_complement_twice_is_identity():
    rng = np.random.default_rng(2)
    matrix = rng.integers(1, 5, size=(20, 30)).astype(np.uint8)
    matrix[:, 25:] = 0
    np.testing.assert_array_equal(reverse_complement(reverse_complement(matrix, DNA), DNA), matrix)


def test_kmer_counts_match_a_plain_count():
    sequences = ["ACGTACGTNA", "AAAA", "GT"]
    matrix, _ = token_matrix(*flat(*sequences))
    counts = kmer_counts(matrix, 2, 4).toarray()
    names = kmer_names(2, "ACGT")
    for row, sequence in enumerate(sequences):
        for column, kmer in enumerate(names):
            expected = sum(sequence[i : i + 2] == kmer for i in range(len(sequence) - 1))
            assert counts[row, column] == expected, (sequence, kmer)


def test_kmer_names_are_in_column_order():
    assert kmer_names(2, "AC") == ["AA", "AC", "CA", "CC"]
    assert len(kmer_names(3, "ACGT")) == 64 == len(set(map("".join, product("ACGT", repeat=3))))


def test_position_labels_follow_the_sequence_layout():
    matrix = position_matrix(["HHEC", "CE"], "HEC", length=3, pad="left", trim="left")
    assert matrix.tolist() == [[1, 2, 3], [0, 3, 2]]
