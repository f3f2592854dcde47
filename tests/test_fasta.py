"""The FASTA reader: tokens on hand-written examples, untidy input accepted, bad input named."""

from __future__ import annotations

import numpy as np
import pytest
from Bio import SeqIO
from biodl.alphabets import DNA, PROTEIN, RNA, decode, lookup_table
from biodl.errors import InputError
from biodl.io.fasta import read_fasta, stream_fasta
from conftest import write


def test_tokens_on_hand_written_records(tmp_path):
    path = write(tmp_path / "a.fa", ">x\nACGT\n>y\nGGA\n")
    records = read_fasta(path, DNA)
    assert records.ids == ["x", "y"]
    assert records.tokens.tolist() == [1, 2, 3, 4, 3, 3, 1]
    assert records.offsets.tolist() == [0, 4, 7]
    assert records.lines.tolist() == [1, 3]


def test_untidy_input_is_accepted(tmp_path):
    text = ">r1 some description\r\nAC gt\r\nac\tGT\r\n\r\n>réd_ünïcode\r\nnnAC\r\n"
    records = read_fasta(write(tmp_path / "untidy.fa", text), DNA, allow_ambiguous=True)
    assert records.ids == ["r1", "réd_ünïcode"]
    assert decode(records.record(0), DNA) == "ACGTACGT"
    assert decode(records.record(1), DNA) == "NNAC"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("id1", "id1"),
        ("id1 desc", "id1"),
        ("id1\tdesc", "id1"),
        ("  id1 desc", "id1"),
        ("é1 x", "é1"),
        ("id1\r", "id1"),
    ],
)
def test_id_is_the_header_up_to_the_first_whitespace(tmp_path, header, expected):
    path = write(tmp_path / "h.fa", f">{header}\nACGT\n>other\nA\n")
    assert read_fasta(path, DNA).ids == [expected, "other"]


def test_gzipped_file_reads_like_plain(tmp_path):
    text = ">a\nACGTTGCA\n>b\nTTTT\n"
    plain = read_fasta(write(tmp_path / "p.fa", text), DNA)
    packed = read_fasta(write(tmp_path / "p.fa.gz", text), DNA)
    assert packed.ids == plain.ids
    np.testing.assert_array_equal(packed.tokens, plain.tokens)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 16, 1 << 20])
def test_chunk_size_does_not_change_the_result(tmp_path, chunk):
    rng = np.random.default_rng(0)
    records = [(f"r{i}", "".join(rng.choice(list("ACGT"), size=rng.integers(1, 90)))) for i in range(40)]
    text = "".join(
        f">{n}\n" + "\n".join(s[i : i + 13] for i in range(0, len(s), 13)) + "\n" for n, s in records
    )
    result = read_fasta(write(tmp_path / "c.fa", text), DNA, chunk_bytes=chunk)
    assert result.ids == [n for n, _ in records]
    assert [decode(result.record(i), DNA) for i in range(len(records))] == [s for _, s in records]


@pytest.mark.parametrize(("records", "chunk"), [(1, 5), (3, 64), (7, 1 << 20), (40, 16), (500, 64)])
def test_streamed_batches_hold_exactly_the_records_of_the_whole_file(tmp_path, records, chunk):
    rng = np.random.default_rng(2)
    text = "".join(
        f">r{i} note\n{''.join(rng.choice(list('ACGT'), size=rng.integers(1, 60)))}\n" for i in range(40)
    )
    path = write(tmp_path / "s.fa.gz", text)
    whole = read_fasta(path, DNA)
    batches = list(stream_fasta(path, DNA, records=records, chunk_bytes=chunk))
    assert [len(batch) for batch in batches[:-1]] == [records] * (len(batches) - 1)
    assert [item for batch in batches for item in batch.ids] == whole.ids
    np.testing.assert_array_equal(np.concatenate([batch.lines for batch in batches]), whole.lines)
    np.testing.assert_array_equal(np.concatenate([batch.lengths for batch in batches]), whole.lengths)
    np.testing.assert_array_equal(np.concatenate([batch.tokens for batch in batches]), whole.tokens)


def test_a_streamed_file_is_refused_as_a_whole_one_is(tmp_path):
    path = write(tmp_path / "bad.fa", ">a\nACGT\n>b\nACGT\n>c\nACXT\n")
    with pytest.raises(InputError, match=r"bad.fa: record 'c' \(line 6\): letter 'X' at position 3"):
        list(stream_fasta(path, DNA, records=1))
    with pytest.raises(InputError, match=r"empty.fa: file is empty \(no FASTA records\)$"):
        list(stream_fasta(write(tmp_path / "empty.fa", "\n\n"), DNA, records=4))


def test_matches_biopython_on_a_random_file(tmp_path):
    rng = np.random.default_rng(1)
    text = "".join(f">s{i}\n{''.join(rng.choice(list('ACGTacgt'), size=150))}\n" for i in range(300))
    path = write(tmp_path / "r.fa", text)
    table = lookup_table(DNA, False)
    expected = np.concatenate(
        [table[np.frombuffer(str(r.seq).encode(), np.uint8)] for r in SeqIO.parse(path, "fasta")]
    )
    np.testing.assert_array_equal(read_fasta(path, DNA).tokens, expected)


def test_rna_reads_u_and_t_as_the_same_token(tmp_path):
    records = read_fasta(write(tmp_path / "r.fa", ">a\nACGU\n>b\nACGT\n"), RNA)
    np.testing.assert_array_equal(records.record(0), records.record(1))
    assert decode(records.record(0), RNA) == "ACGU"


def test_protein_alphabet_and_ambiguity(tmp_path):
    records = read_fasta(write(tmp_path / "p.fa", ">p\nmkvX\n"), PROTEIN, allow_ambiguous=True)
    assert decode(records.record(0), PROTEIN) == "MKVX"
    assert records.record(0).tolist() == [11, 9, 18, 21]


@pytest.mark.parametrize(
    ("text", "allow", "message"),
    [
        (
            ">a\nACGT\n>b\nACXT\n",
            False,
            "{path}: record 'b' (line 4): letter 'X' at position 3 is not in the DNA alphabet "
            "(ACGT; ambiguity codes are not allowed)",
        ),
        (
            ">a\nACGT\nAC\n>b\nACNT\n",
            False,
            "{path}: record 'b' (line 5): letter 'N' at position 3 is not in the DNA alphabet "
            "(ACGT; ambiguity codes are not allowed); set 'allow_ambiguous: true' in the dataset's "
            "config to read ambiguity codes as N",
        ),
        (
            ">a\nACGT\nAC-T\n",
            True,
            "{path}: record 'a' (line 3): letter '-' at position 7 is not in the DNA alphabet "
            "(ACGT and ambiguity codes NRYSWKMBDHV)",
        ),
        (
            "ACGT\n>a\nACGT\n",
            False,
            "{path}: line 1: sequence data before the first header (a record must start with a '>' line)",
        ),
        (">a\nACGT\n>\nACGT\n", False, "{path}: line 3: record header '>' has no id"),
        (">a\nACGT\n>b\n\n>c\nAC\n", False, "{path}: record 'b' (line 3): empty sequence"),
        (">a\nACGT\n>b", False, "{path}: record 'b' (line 3): empty sequence"),
        ("", False, "{path}: file is empty (no FASTA records)"),
        ("\n\n  \n", False, "{path}: file is empty (no FASTA records)"),
    ],
)
def test_bad_fasta_names_file_record_and_line(tmp_path, text, allow, message):
    path = write(tmp_path / "bad.fa", text)
    with pytest.raises(InputError) as error:
        read_fasta(path, DNA, allow_ambiguous=allow, chunk_bytes=4)
    assert str(error.value) == message.format(path=path)
