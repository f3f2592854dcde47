"""Time-course ingest: rows in any order become a (series × time × gene) cube; bad input stops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from biodl.errors import InputError
from biodl.ingest import ingest_timecourse
from conftest import assert_no_outputs, write


def long_table(series=("s1", "s2"), times=(0, 1, 2), genes=("g1", "g2")):
    rows = ["series\ttime\tgene\tvalue"]
    for s_index, s in enumerate(series):
        for t in times:
            for g_index, g in enumerate(genes):
                rows.append(f"{s}\t{t}\t{g}\t{100 * s_index + 10 * t + g_index}")
    return rows


def outputs(tmp_path):
    names = {
        "ids": "ids.tsv",
        "values": "values.npy",
        "times": "times.tsv",
        "genes": "genes.tsv",
        "meta": "meta.json",
    }
    return {key: tmp_path / "out" / name for key, name in names.items()}


def run(tmp_path, rows, sheet=None, task="forecasting"):
    values = write(tmp_path / "tc.tsv", "\n".join(rows) + "\n")
    sheet_path = write(tmp_path / "series.tsv", sheet) if sheet else None
    files = outputs(tmp_path)
    ingest_timecourse(values, sheet_path, files, task=task, label_columns=["label"])
    return files


def test_rows_in_any_order_are_sorted_into_a_cube(tmp_path):
    rows = long_table()
    shuffled = [rows[0], *np.random.default_rng(0).permutation(rows[1:]).tolist()]
    files = run(tmp_path, shuffled)
    cube = np.load(files["values"])
    assert cube.shape == (2, 3, 2)
    assert cube[1, 2].tolist() == [120, 121]
    assert pd.read_csv(files["times"], sep="\t")["time"].tolist() == [0, 1, 2]


def test_series_sheet_gives_labels(tmp_path):
    files = run(tmp_path, long_table(), "series\tlabel\ns1\tslow\ns2\tfast\n", task="series_classification")
    assert pd.read_csv(files["ids"], sep="\t")["label"].tolist() == ["slow", "fast"]


def test_forecasting_sheet_needs_no_labels(tmp_path):
    files = run(tmp_path, long_table(), "series\tbatch\ns1\tb1\ns2\tb2\n")
    assert pd.read_csv(files["ids"], sep="\t").columns.tolist() == ["id"]


def test_bad_timecourses(tmp_path):
    cases = [
        (
            [*long_table(), "s1\t1\tg2\t5"],
            "{path}: record 's1' (line 14): duplicated time point 1 for gene 'g2' (first at line 5)",
        ),
        (
            long_table(series=("s1",)) + long_table(series=("s2",), times=(0, 1, 2, 3))[1:],
            "{path}: series 's2' has 4 time points but series 's1' has 3; "
            "all series must have the same length",
        ),
        (long_table(times=(0, 1, 3)), "{path}: series 's1' is irregularly sampled (step 1 then 2 at time 1)"),
        (
            [r for r in long_table() if r != "s2\t1\tg2\t111"],
            "{path}: series 's2' has no value for gene 'g2' at time 1",
        ),
        (
            [*long_table()[:3], "s1\t1\tg1\tNA", *long_table()[4:]],
            "{path}: record 's1' (line 4): column 'value' value 'NA' is missing",
        ),
        (
            [*long_table()[:3], "s1\tlate\tg1\t1", *long_table()[4:]],
            "{path}: record 's1' (line 4): column 'time' value 'late' is not a finite number",
        ),
        (["series\ttime\tgene\tvalue"], "{path}: file is empty (a header line but no records)"),
    ]
    for rows, message in cases:
        with pytest.raises(InputError) as error:
            run(tmp_path, rows)
        assert str(error.value) == message.format(path=tmp_path / "tc.tsv")
        assert_no_outputs(outputs(tmp_path))
