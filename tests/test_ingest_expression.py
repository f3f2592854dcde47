"""Expression ingest from TSV/CSV in both orientations and AnnData, and its bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from biodl.data.ingest import ingest_expression
from biodl.errors import InputError
from conftest import assert_no_outputs, write

MATRIX = "gene\tS1\tS2\tS3\tS4\ng1\t1\t2\t3\t4\ng2\t0\t5\t0\t7\ng3\t9\t9\t9\t9\n"
SHEET = "sample\tlabel\tpatient\nS1\tA\tp1\nS2\tB\tp1\nS3\tA\tp2\nS4\tB\tp2\n"


def outputs(tmp_path):
    names = {"ids": "ids.tsv", "matrix": "matrix.npy", "genes": "genes.tsv", "meta": "meta.json"}
    return {key: tmp_path / "out" / name for key, name in names.items()}


def run(tmp_path, matrix=MATRIX, sheet=SHEET, name="matrix.tsv", **options):
    matrix_path = write(tmp_path / name, matrix) if isinstance(matrix, str) else matrix
    sheet_path = write(tmp_path / "samples.tsv", sheet) if sheet is not None else None
    files = outputs(tmp_path)
    ingest_expression(
        matrix=matrix_path,
        samples=sheet_path,
        outputs=files,
        task="binary",
        label_columns=["label"],
        group_column="patient",
        **options,
    )
    return files


def test_genes_by_samples_becomes_samples_by_genes(tmp_path):
    files = run(tmp_path)
    values = np.load(files["matrix"])
    assert values.shape == (4, 3) and values.dtype == np.float32
    assert values[:, 1].tolist() == [0, 5, 0, 7]
    index = pd.read_csv(files["ids"], sep="\t")
    assert index.columns.tolist() == ["id", "label", "group"]
    assert index["group"].tolist() == ["p1", "p1", "p2", "p2"]


def test_samples_by_genes_csv_reads_the_same(tmp_path):
    reference = np.load(run(tmp_path)["matrix"])
    transposed = "sample,g1,g2,g3\nS1,1,0,9\nS2,2,5,9\nS3,3,0,9\nS4,4,7,9\n"
    files = run(tmp_path, transposed, name="m.csv", orientation="samples_by_genes")
    np.testing.assert_array_equal(np.load(files["matrix"]), reference)


def test_anndata_with_labels_in_obs(tmp_path):
    anndata = pytest.importorskip("anndata")
    obs = pd.DataFrame(
        {"label": ["A", "B", "A", "B"], "patient": ["p1", "p1", "p2", "p2"]}, index=["S1", "S2", "S3", "S4"]
    )
    values = np.array([[1, 0, 9], [2, 5, 9], [3, 0, 9], [4, 7, 9]], dtype=np.float32)
    adata = anndata.AnnData(values, obs=obs, var=pd.DataFrame(index=["g1", "g2", "g3"]))
    path = tmp_path / "data.h5ad"
    adata.write_h5ad(path)
    files = run(tmp_path, matrix=path, sheet=None)
    np.testing.assert_array_equal(np.load(files["matrix"]), values)
    assert pd.read_csv(files["ids"], sep="\t")["label"].tolist() == ["A", "B", "A", "B"]


def test_log_values_may_be_negative(tmp_path):
    files = run(tmp_path, MATRIX.replace("\t7\n", "\t-0.5\n"), values="log")
    assert np.load(files["matrix"])[3, 1] == -0.5


BAD = [
    pytest.param(
        MATRIX.replace("\t5\t", "\tfive\t"),
        SHEET,
        "{matrix}: record 'g2' (line 3): column 'S2' value 'five' is not a number",
        id="non-numeric",
    ),
    pytest.param(
        MATRIX.replace("\t5\t", "\tNA\t"),
        SHEET,
        "{matrix}: record 'g2' (line 3): column 'S2' value is missing (NaN); set 'missing: drop_genes' "
        "or 'missing: impute' in the dataset's config to accept missing values",
        id="nan",
    ),
    pytest.param(
        MATRIX.replace("\t5\t", "\tinf\t"),
        SHEET,
        "{matrix}: record 'g2' (line 3): column 'S2' value is infinite",
        id="inf",
    ),
    pytest.param(
        MATRIX.replace("\t5\t", "\t-5\t"),
        SHEET,
        "{matrix}: record 'g2' (line 3): column 'S2' value is a negative count",
        id="negative",
    ),
    pytest.param(
        MATRIX + "g1\t1\t1\t1\t1\n",
        SHEET,
        "{matrix}: record 'g1' (line 5): duplicate gene id (first seen at line 2)",
        id="dup-gene",
    ),
    pytest.param(
        MATRIX.replace("S4\n", "S3\n", 1),
        SHEET,
        "{matrix}: line 1: duplicate sample id 'S3' in the header",
        id="dup-sample",
    ),
    pytest.param(
        MATRIX,
        SHEET + "S5\tA\tp3\n",
        "{samples}: record 'S5' (line 6): id is not in {matrix}",
        id="sheet-extra-sample",
    ),
    pytest.param(
        MATRIX,
        SHEET.replace("S4\tB\tp2\n", ""),
        "{matrix}: record 'S4' (line 1): id has no row in {samples} (1 of 4 samples are not in it; "
        "set 'use_samples: in_sheet' to use only the samples the sheet lists)",
        id="sample-without-row",
    ),
    pytest.param(
        MATRIX,
        SHEET.replace("\tB\t", "\tA\t"),
        "{samples}: label column 'label' has a single class 'A'; a classifier needs at least two",
        id="single-class",
    ),
    pytest.param("", SHEET, "{matrix}: file is empty", id="empty-matrix"),
    pytest.param(
        MATRIX,
        "sample\tlabel\nS1\tA\n",
        "{samples}: missing column 'patient' (found: sample, label)",
        id="missing-group-column",
    ),
]


@pytest.mark.parametrize(("matrix", "sheet", "message"), BAD)
def test_bad_expression_input(tmp_path, matrix, sheet, message):
    with pytest.raises(InputError) as error:
        run(tmp_path, matrix, sheet)
    assert str(error.value) == message.format(
        matrix=tmp_path / "matrix.tsv", samples=tmp_path / "samples.tsv"
    )
    assert_no_outputs(outputs(tmp_path))


def test_a_sheet_may_select_a_subset_of_the_samples_when_asked(tmp_path):
    sheet = SHEET.replace("S2\tB\tp1\n", "")
    files = run(tmp_path, sheet=sheet, use_samples="in_sheet")
    index = pd.read_csv(files["ids"], sep="\t")
    assert index["id"].tolist() == ["S1", "S3", "S4"]
    np.testing.assert_array_equal(np.load(files["matrix"])[:, 0], [1, 3, 4])  # g1 of S1, S3, S4
    meta = json.loads(files["meta"].read_text())
    assert meta["samples_left_out"] == 1 and meta["n_samples"] == 3
    assert meta["notes"] == [
        "1 of 4 samples of the matrix are not in the sample sheet and were left out (use_samples: in_sheet)"
    ]


def test_a_sheet_id_missing_from_the_matrix_is_an_error_even_for_a_subset(tmp_path):
    with pytest.raises(InputError, match=r"record 'S9' \(line 6\): id is not in"):
        run(tmp_path, sheet=SHEET + "S9\tA\tp3\n", use_samples="in_sheet")
    assert_no_outputs(outputs(tmp_path))


def test_drop_genes_drops_every_gene_with_a_missing_value_among_the_used_samples(tmp_path):
    matrix = MATRIX.replace("g1\t1\t2", "g1\t1\tNA").replace("g3\t9\t9\t9\t9", "g3\t9\t9\t9\t")
    files = run(tmp_path, matrix, missing="drop_genes")
    assert pd.read_csv(files["genes"], sep="\t")["gene"].tolist() == ["g2"]
    assert np.load(files["matrix"])[:, 0].tolist() == [0, 5, 0, 7]
    meta = json.loads(files["meta"].read_text())
    assert meta["missing"] == {
        "policy": "drop_genes",
        "values": 2,
        "genes_with_missing": 2,
        "genes_dropped": 2,
    }
    assert meta["notes"] == ["2 missing values in 2 genes: those genes were dropped (missing: drop_genes)"]
    # the only missing value sits in a sample the sheet leaves out: no gene is dropped
    subset = run(
        tmp_path,
        matrix.replace("\t9\t\n", "\t9\t9\n"),
        SHEET.replace("S2\tB\tp1\n", ""),
        missing="drop_genes",
        use_samples="in_sheet",
    )
    assert pd.read_csv(subset["genes"], sep="\t")["gene"].tolist() == ["g1", "g2", "g3"]


def test_every_gene_missing_is_an_error_for_drop_genes(tmp_path):
    matrix = "gene\tS1\tS2\tS3\tS4\ng1\t1\tNA\t3\t4\ng2\t\t5\t0\t7\n"
    with pytest.raises(InputError) as error:
        run(tmp_path, matrix, missing="drop_genes")
    assert (
        str(error.value)
        == f"{tmp_path / 'matrix.tsv'}: every one of 2 genes has a missing value; nothing is left"
    )


def test_impute_keeps_missing_values_for_the_features_stage(tmp_path):
    files = run(tmp_path, MATRIX.replace("\t5\t", "\tNA\t"), missing="impute")
    values = np.load(files["matrix"])
    assert np.isnan(values[1, 1]) and np.isfinite(np.delete(values.ravel(), 4)).all()
    meta = json.loads(files["meta"].read_text())
    assert meta["missing"]["values"] == 1 and meta["missing"]["genes_dropped"] == 0
    assert "imputed per gene with the median of the training partition" in meta["notes"][0]
