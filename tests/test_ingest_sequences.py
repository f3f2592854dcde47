"""Sequence ingest: the contract files, and every bad input stopped with no output left."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from biodl.data.ingest import ingest_sequences
from biodl.errors import InputError
from conftest import assert_no_outputs, write

FASTA = ">a\nACGTAC\n>b\nGGGA\n>c\nTTACG\n>d\nCCCC\n"
LABELS = "id\tlabel\na\tpos\nb\tneg\nc\tpos\nd\tneg\n"


def outputs(tmp_path, per_position=False):
    names = {
        "ids": "ids.tsv",
        "tokens": "tokens.npy",
        "lengths": "lengths.npy",
        "kmers": "kmers.npz",
        "meta": "meta.json",
    }
    if per_position:
        names["positions"] = "positions.npy"
    return {key: tmp_path / "out" / name for key, name in names.items()}


def run(tmp_path, fasta=FASTA, labels=LABELS, **options):
    fasta_path = write(tmp_path / "seqs.fa", fasta)
    labels_path = write(tmp_path / "labels.tsv", labels) if labels is not None else None
    files = outputs(tmp_path, options.get("task") == "per_position")
    arguments = {"alphabet": "dna", "task": "binary", "label_columns": ["label"], **options}
    ingest_sequences(fasta=fasta_path, labels=labels_path, outputs=files, **arguments)
    return files, fasta_path, labels_path


def test_group_and_given_partition_columns_reach_ids_tsv(tmp_path):
    labels = "id\tlabel\tdonor\tsplit\na\tpos\tx\ttrain\nb\tneg\tx\ttrain\nc\tpos\ty\ttest\nd\tneg\ty\ttest\n"
    files, _, _ = run(tmp_path, labels=labels, group_column="donor", partition_column="split")
    index = pd.read_csv(files["ids"], sep="\t")
    assert index.columns.tolist() == ["id", "label", "group", "given_partition", "length"]
    assert index["given_partition"].tolist() == ["train", "train", "test", "test"]


def test_writes_the_tokens_contract(tmp_path):
    files, _, _ = run(tmp_path, length={"mode": "fixed", "size": 5}, kmer_k=1)
    tokens = np.load(files["tokens"], mmap_mode="r")
    assert tokens.dtype == np.uint8 and tokens.shape == (4, 5)
    assert tokens[1].tolist() == [3, 3, 3, 1, 0]
    assert np.load(files["lengths"]).tolist() == [5, 4, 5, 4]
    index = pd.read_csv(files["ids"], sep="\t")
    assert index.columns.tolist() == ["id", "label", "length"]
    assert index["id"].tolist() == ["a", "b", "c", "d"]
    assert index["length"].tolist() == [6, 4, 5, 4]
    kmers = sp.load_npz(files["kmers"]).toarray()
    assert kmers[0].tolist() == [2, 1, 1, 1]  # ACGTA after trimming to 5
    meta = json.loads(files["meta"].read_text())
    assert meta["classes"] == {"label": ["neg", "pos"]}
    assert meta["length"] == {"mode": "fixed", "size": 5, "pad": "right", "trim": "right", "width": 5}


def test_labels_in_any_order_follow_the_fasta_order(tmp_path):
    files, _, _ = run(tmp_path, labels="id\tlabel\nd\tneg\nc\tpos\nb\tneg\na\tpos\n")
    assert pd.read_csv(files["ids"], sep="\t")["label"].tolist() == ["pos", "neg", "pos", "neg"]


def test_crlf_labels_and_padded_cells_are_accepted(tmp_path):
    files, _, _ = run(tmp_path, labels="id\tlabel\r\na\tpos \r\nb\tneg\r\nc\tpos\r\nd\tneg\r\n")
    assert pd.read_csv(files["ids"], sep="\t")["label"].tolist() == ["pos", "neg", "pos", "neg"]


def test_rerun_gives_identical_bytes(tmp_path):
    first, _, _ = run(tmp_path)
    saved = {k: p.read_bytes() for k, p in first.items()}
    second, _, _ = run(tmp_path)
    assert {k: p.read_bytes() for k, p in second.items()} == saved


def test_per_position_labels_are_encoded(tmp_path):
    labels = "id\tstates\na\tHHHEEC\nb\tCCCC\nc\tHHEEC\nd\tECEC\n"
    files, _, _ = run(
        tmp_path, labels=labels, task="per_position", label_columns=["states"], position_classes="HEC"
    )
    positions = np.load(files["positions"])
    assert positions.shape == (4, 6)
    assert positions[0].tolist() == [1, 1, 1, 2, 2, 3]
    assert positions[1].tolist() == [3, 3, 3, 3, 0, 0]


def test_multilabel_and_regression_and_generation(tmp_path):
    run(
        tmp_path,
        labels="id\tm1\tm2\na\t1\t0\nb\t0\t1\nc\t1\t1\nd\t0\t0\n",
        task="multilabel",
        label_columns=["m1", "m2"],
    )
    run(
        tmp_path,
        labels="id\tscore\na\t1.5\nb\t-2\nc\t0\nd\t3e2\n",
        task="regression",
        label_columns=["score"],
    )
    files, _, _ = run(tmp_path, labels=None, task="generation", label_columns=[])
    assert pd.read_csv(files["ids"], sep="\t").columns.tolist() == ["id", "length"]


BAD = [
    pytest.param(
        FASTA + ">a\nAC\n",
        LABELS,
        {},
        "{fasta}: record 'a' (line 9): duplicate id (first seen at line 1)",
        id="duplicate-fasta-id",
    ),
    pytest.param(
        FASTA,
        LABELS + "b\tpos\n",
        {},
        "{labels}: record 'b' (line 6): duplicate id (first seen at line 3)",
        id="duplicate-label-id",
    ),
    pytest.param(
        FASTA,
        LABELS + "e\tpos\n",
        {},
        "{labels}: record 'e' (line 6): id is not in {fasta}",
        id="label-without-sequence",
    ),
    pytest.param(
        FASTA + ">e\nAAAA\n",
        LABELS,
        {},
        "{fasta}: record 'e' (line 9): id has no row in {labels}",
        id="sequence-without-label",
    ),
    pytest.param(
        FASTA,
        "id\tlabel\na\tpos\nb\tpos\nc\tpos\nd\tpos\n",
        {},
        "{labels}: label column 'label' has a single class 'pos'; a classifier needs at least two",
        id="single-class",
    ),
    pytest.param(
        FASTA,
        "id\tlabel\na\tx\nb\ty\nc\tz\nd\tx\n",
        {},
        "{labels}: label column 'label' has 3 classes (x, y, z); a binary task needs exactly two",
        id="binary-with-three-classes",
    ),
    pytest.param(
        FASTA,
        "id\tlabel\na\tpos\nb\t\nc\tpos\nd\tneg\n",
        {},
        "{labels}: record 'b' (line 3): empty value in column 'label'",
        id="empty-label",
    ),
    pytest.param(
        FASTA,
        "id\tclass\na\tpos\n",
        {},
        "{labels}: missing column 'label' (found: id, class)",
        id="missing-column",
    ),
    pytest.param(FASTA, "", {}, "{labels}: file is empty", id="empty-labels"),
    pytest.param(
        FASTA,
        "id\tlabel\n",
        {},
        "{labels}: file is empty (a header line but no records)",
        id="header-only-labels",
    ),
    pytest.param(
        FASTA,
        "id\tscore\na\t1\nb\tNaN\nc\t2\nd\t3\n",
        {"task": "regression", "label_columns": ["score"]},
        "{labels}: record 'b' (line 3): column 'score' value 'NaN' is not a finite number",
        id="regression-nan",
    ),
    pytest.param(
        FASTA,
        "id\tm1\na\t1\nb\t2\nc\t0\nd\t0\n",
        {"task": "multilabel", "label_columns": ["m1"]},
        "{labels}: record 'b' (line 3): column 'm1' value '2' is not 0 or 1 (multilabel columns are "
        "indicators)",
        id="multilabel-not-indicator",
    ),
    pytest.param(
        FASTA,
        "id\ts\na\tHHHEEC\nb\tCCC\nc\tHHEEC\nd\tECEC\n",
        {"task": "per_position", "label_columns": ["s"], "position_classes": "HEC"},
        "{labels}: record 'b' (line 3): column 's' has 3 labels for a sequence of 4 residues",
        id="per-position-length",
    ),
    pytest.param(
        FASTA,
        "id\ts\na\tHHHEEC\nb\tCCXC\nc\tHHEEC\nd\tECEC\n",
        {"task": "per_position", "label_columns": ["s"], "position_classes": "HEC"},
        "{labels}: record 'b' (line 3): column 's' label 'X' at position 3 is not one of 'HEC'",
        id="per-position-letter",
    ),
    pytest.param(
        ">a\nACGU\n",
        None,
        {"task": "generation", "label_columns": []},
        "{fasta}: record 'a' (line 2): letter 'U' at position 4 is not in the DNA alphabet "
        "(ACGT; ambiguity codes are not allowed)",
        id="rna-letter-in-dna",
    ),
]


@pytest.mark.parametrize(("fasta", "labels", "options", "message"), BAD)
def test_bad_input_stops_with_one_line_and_no_output(tmp_path, fasta, labels, options, message):
    fasta_path = tmp_path / "seqs.fa"
    labels_path = tmp_path / "labels.tsv"
    with pytest.raises(InputError) as error:
        run(tmp_path, fasta=fasta, labels=labels, **options)
    text = str(error.value)
    assert text == message.format(fasta=fasta_path, labels=labels_path)
    assert "\n" not in text
    assert_no_outputs(outputs(tmp_path, per_position=True))
