"""Expression ingest from TSV/CSV in both orientations and AnnData, and its bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from biodl.errors import InputError
from biodl.ingest import ingest_expression
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
        matrix_path,
        sheet_path,
        files,
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
        "{matrix}: record 'g2' (line 3): column 'S2' value is missing (NaN)",
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
        "{matrix}: record 'S4' (line 1): id has no row in {samples}",
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
