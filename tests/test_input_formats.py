"""Damaged archives, other text encodings and spreadsheet exports: read, or refused by name."""

from __future__ import annotations

import codecs
import gzip

import numpy as np
import pandas as pd
import pytest
from biodl.data.ingest import ingest_expression, ingest_sequences
from biodl.errors import InputError
from conftest import assert_no_outputs, write

FASTA = ">a\nACGTAC\n>b\nGGGA\n>c\nTTACG\n>d\nCCCC\n"
LABELS = "id\tlabel\na\tpos\nb\tneg\nc\tpos\nd\tneg\n"
MATRIX = "gene\tS1\tS2\tS3\tS4\ng1\t1.5\t2\t3\t4\ng2\t0\t5.25\t0\t7\n"
SHEET = "sample\tlabel\nS1\tA\nS2\tB\nS3\tA\nS4\tB\n"


def sequence_outputs(tmp_path):
    names = ("ids.tsv", "tokens.npy", "lengths.npy", "kmers.npz", "meta.json")
    return {name.split(".")[0]: tmp_path / "out" / name for name in names}


def expression_outputs(tmp_path):
    names = ("ids.tsv", "matrix.npy", "genes.tsv", "meta.json")
    return {name.split(".")[0]: tmp_path / "out" / name for name in names}


def ingest_dna(tmp_path, fasta_path, labels_path, **options):
    files = sequence_outputs(tmp_path)
    arguments = {"alphabet": "dna", "task": "binary", "label_columns": ["label"], **options}
    ingest_sequences(fasta=fasta_path, labels=labels_path, outputs=files, **arguments)
    return files


def ingest_matrix(tmp_path, matrix_path, sheet_path):
    files = expression_outputs(tmp_path)
    ingest_expression(
        matrix=matrix_path,
        samples=sheet_path,
        outputs=files,
        task="binary",
        label_columns=["label"],
        values="log",
    )
    return files


def refusal(call, tmp_path, outputs) -> str:
    """The one-line message of an ``InputError``, after checking that nothing was written."""
    with pytest.raises(InputError) as error:
        call()
    assert_no_outputs(outputs(tmp_path))
    message = str(error.value)
    assert "\n" not in message
    return message


def truncated_gzip(text: str) -> bytes:
    data = gzip.compress(text.encode() * 200, mtime=0)
    return data[: len(data) // 2]


def corrupt_gzip(text: str) -> bytes:
    data = bytearray(gzip.compress(text.encode() * 200, mtime=0))
    data[20:40] = b"\xff" * 20
    return bytes(data)


def test_a_truncated_gzip_fasta_is_named(tmp_path):
    fasta = tmp_path / "seqs.fa.gz"
    fasta.write_bytes(truncated_gzip(FASTA))
    labels = write(tmp_path / "labels.tsv", LABELS)
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == (
        f"{fasta}: gzip file is truncated (Compressed file ended before the end-of-stream marker was "
        "reached); download or copy it again"
    )


@pytest.mark.parametrize("damage", [truncated_gzip, corrupt_gzip], ids=["truncated", "corrupt"])
def test_a_damaged_gzip_table_is_named(tmp_path, damage):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = tmp_path / "labels.tsv.gz"
    labels.write_bytes(damage(LABELS))
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    word = "truncated" if damage is truncated_gzip else "corrupt"
    assert message.startswith(f"{labels}: gzip file is {word} (")
    assert message.endswith("); download or copy it again")


def test_a_damaged_gzip_matrix_is_named(tmp_path):
    matrix = tmp_path / "matrix.tsv.gz"
    matrix.write_bytes(corrupt_gzip(MATRIX))
    sheet = write(tmp_path / "samples.tsv", SHEET)
    message = refusal(lambda: ingest_matrix(tmp_path, matrix, sheet), tmp_path, expression_outputs)
    assert message.startswith(f"{matrix}: gzip file is corrupt (")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_a_table_with_a_wide_byte_order_mark_is_read(tmp_path, codec):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = write(tmp_path / "labels.tsv", LABELS.encode(codec))
    files = ingest_dna(tmp_path, fasta, labels)
    assert pd.read_csv(files["ids"], sep="\t")["label"].tolist() == ["pos", "neg", "pos", "neg"]


def test_a_utf8_byte_order_mark_is_skipped_in_fasta_and_tables(tmp_path):
    fasta = write(tmp_path / "seqs.fa", codecs.BOM_UTF8 + FASTA.encode())
    labels = write(tmp_path / "labels.tsv", codecs.BOM_UTF8 + LABELS.encode())
    files = ingest_dna(tmp_path, fasta, labels)
    assert pd.read_csv(files["ids"], sep="\t")["id"].tolist() == ["a", "b", "c", "d"]


@pytest.mark.parametrize(("codec", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_wide_fasta_is_refused_by_name(tmp_path, codec, name):
    fasta = write(tmp_path / "seqs.fa", FASTA.encode(codec))
    labels = write(tmp_path / "labels.tsv", LABELS)
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == f"{fasta}: file is {name} text; save it as UTF-8 (e.g. `iconv -f {name} -t UTF-8`)"


def test_utf16_without_a_byte_order_mark_is_refused_by_name(tmp_path):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = write(tmp_path / "labels.tsv", LABELS.encode("utf-16-le"))
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == (
        f"{labels}: file looks like UTF-16 text without a byte-order mark (it contains NUL bytes); "
        "save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)"
    )


def test_latin1_text_is_refused_with_its_line_and_byte(tmp_path):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = write(tmp_path / "labels.tsv", "id\tlabel\na\tpos\nb\tnég\nc\tpos\nd\tneg\n".encode("latin-1"))
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == (
        f"{labels}: line 3: not valid UTF-8 text (byte 0xe9; Latin-1 or Windows-1252?); "
        "save it as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8`)"
    )


def test_an_excel_csv_with_semicolons_and_decimal_commas_is_read(tmp_path):
    excel = "gene;S1;S2;S3;S4\r\ng1;1,5;2;3;4\r\ng2;0;5,25;0;7\r\n"
    matrix = write(tmp_path / "matrix.csv", codecs.BOM_UTF8 + excel.encode())
    sheet = write(tmp_path / "samples.tsv", SHEET)
    from_excel = np.load(ingest_matrix(tmp_path, matrix, sheet)["matrix"])
    plain = write(tmp_path / "plain.tsv", MATRIX)
    expected = np.load(ingest_matrix(tmp_path / "plain", plain, sheet)["matrix"])
    np.testing.assert_array_equal(from_excel, expected)
    assert from_excel[0].tolist() == [1.5, 0.0]


def test_regression_labels_with_decimal_commas_are_read(tmp_path):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = write(tmp_path / "labels.csv", "id;score\na;0,5\nb;-1,25\nc;2\nd;,75\n")
    files = ingest_dna(tmp_path, fasta, labels, task="regression", label_columns=["score"])
    assert pd.read_csv(files["ids"], sep="\t")["score"].tolist() == [0.5, -1.25, 2.0, 0.75]


def test_a_tsv_that_is_comma_separated_gets_a_hint(tmp_path):
    fasta = write(tmp_path / "seqs.fa", FASTA)
    labels = write(tmp_path / "labels.tsv", LABELS.replace("\t", ","))
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == (
        f"{labels}: missing column 'id' (found: id,label); the header looks comma-separated: "
        "name the file *.csv"
    )


def test_n_is_refused_by_default_with_the_key_that_allows_it(tmp_path):
    fasta = write(tmp_path / "seqs.fa", FASTA.replace("GGGA", "GGNA"))
    labels = write(tmp_path / "labels.tsv", LABELS)
    message = refusal(lambda: ingest_dna(tmp_path, fasta, labels), tmp_path, sequence_outputs)
    assert message == (
        f"{fasta}: record 'b' (line 4): letter 'N' at position 3 is not in the DNA alphabet "
        "(ACGT; ambiguity codes are not allowed); set 'allow_ambiguous: true' in the dataset's config "
        "to read ambiguity codes as N"
    )
    files = ingest_dna(tmp_path, fasta, labels, allow_ambiguous=True)
    assert np.load(files["tokens"])[1].tolist()[:4] == [3, 3, 5, 1]
