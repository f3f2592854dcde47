"""Time-course ingest: rows in any order become a (series × time × gene) cube; bad input stops."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.data.ingest import ingest_timecourse
from biodl.errors import InputError
from biodl.workflow.layout import ingest_arguments
from conftest import assert_no_outputs, write
from snakemake.utils import validate


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


def run(tmp_path, rows, sheet=None, task="forecasting", **options):
    values = write(tmp_path / "tc.tsv", "\n".join(rows) + "\n")
    sheet_path = write(tmp_path / "series.tsv", sheet) if sheet else None
    files = outputs(tmp_path)
    ingest_timecourse(
        values=values, series=sheet_path, outputs=files, task=task, label_columns=["label"], **options
    )
    return files


def meta(files):
    return json.loads(files["meta"].read_text())


def with_values(rows, series, gene, value):
    """The rows with every value of one series and gene replaced; ``None`` drops those rows."""
    kept = [rows[0]]
    for row in rows[1:]:
        s, t, g, _ = row.split("\t")
        if (s, g) != (series, gene):
            kept.append(row)
        elif value is not None:
            kept.append(f"{s}\t{t}\t{g}\t{value}")
    return kept


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
        (
            long_table(times=(0, 1, 3)),
            "{path}: series 's1' is irregularly sampled (step 1 then 2 at time 1); "
            "set resample: <step> to interpolate onto a regular grid",
        ),
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


def test_defaults_record_no_filling(tmp_path):
    files = run(tmp_path, long_table())
    assert meta(files)["interpolated"] == 0
    assert meta(files)["resampled_step"] is None


def gappy_table():
    """g1 of s1 lacks time 1 (NA) and time 3 (no row); g2 of s2 lacks its first and last time (NA)."""
    rows = ["series\ttime\tgene\tvalue"]
    values = {
        ("s1", "g1"): ["0", "NA", "20", None, "60"],
        ("s1", "g2"): ["1", "2", "3", "4", "5"],
        ("s2", "g1"): ["7", "7", "7", "7", "7"],
        ("s2", "g2"): ["", "8", "9", "10", "NaN"],
    }
    for (s, g), cells in values.items():
        rows += [f"{s}\t{t}\t{g}\t{v}" for t, v in enumerate(cells) if v is not None]
    return rows


def test_interpolate_fills_gaps_linearly_in_time_and_ends_with_the_nearest_value(tmp_path):
    files = run(tmp_path, gappy_table(), missing="interpolate")
    cube = np.load(files["values"])
    assert cube[0, :, 0].tolist() == [0, 10, 20, 40, 60]
    assert cube[0, :, 1].tolist() == [1, 2, 3, 4, 5]
    assert cube[1, :, 1].tolist() == [8, 8, 9, 10, 10]
    assert meta(files)["interpolated"] == 4


def test_interpolate_follows_uneven_observations(tmp_path):
    rows = [
        r
        for r in long_table(series=("s1",), times=(0, 1, 2, 3, 4))
        if r not in {"s1\t1\tg1\t10", "s1\t2\tg1\t20"}
    ]
    rows = [r.replace("s1\t3\tg1\t30", "s1\t3\tg1\t90") for r in rows]
    cube = np.load(run(tmp_path, rows, missing="interpolate")["values"])
    assert cube[0, :, 0].tolist() == [0, 30, 60, 90, 40]


def test_missing_reject_keeps_the_errors(tmp_path):
    path = tmp_path / "tc.tsv"
    with pytest.raises(InputError) as error:
        run(tmp_path, gappy_table(), missing="reject")
    assert str(error.value) == f"{path}: record 's1' (line 3): column 'value' value 'NA' is missing"
    assert_no_outputs(outputs(tmp_path))
    absent_row_only = [r.replace("\tNA", "\t10") for r in gappy_table() if not r.startswith("s2\t")]
    with pytest.raises(InputError) as error:
        run(tmp_path, absent_row_only, missing="reject")
    assert str(error.value) == f"{path}: series 's1' has no value for gene 'g1' at time 3"
    assert_no_outputs(outputs(tmp_path))


def test_interpolate_still_rejects(tmp_path):
    path = tmp_path / "tc.tsv"
    cases = [
        (
            with_values(long_table(), "s2", "g2", "NA"),
            f"{path}: series 's2' has no observed value for gene 'g2'; it cannot be interpolated",
        ),
        (
            with_values(long_table(), "s1", "g1", None),
            f"{path}: series 's1' has no observed value for gene 'g1'; it cannot be interpolated",
        ),
        (
            [*long_table()[:3], "s1\t1\tg1\tabc", *long_table()[4:]],
            f"{path}: record 's1' (line 4): column 'value' value 'abc' is not a finite number",
        ),
        (
            [*long_table()[:3], "s1\t1\tg1\tinf", *long_table()[4:]],
            f"{path}: record 's1' (line 4): column 'value' value 'inf' is not a finite number",
        ),
        (
            [*long_table()[:3], "s1\tNA\tg1\t1", *long_table()[4:]],
            f"{path}: record 's1' (line 4): column 'time' value 'NA' is missing",
        ),
    ]
    for rows, message in cases:
        with pytest.raises(InputError) as error:
            run(tmp_path, rows, missing="interpolate")
        assert str(error.value) == message
        assert_no_outputs(outputs(tmp_path))


def irregular_table():
    times = (0, 1, 2.5, 3, 4)
    rows = ["series\ttime\tgene\tvalue"]
    for s_index, s in enumerate(("s1", "s2")):
        for t in times:
            rows += [
                f"{s}\t{t}\t{g}\t{100 * s_index + (1 + g_index) * t**2}"
                for g_index, g in enumerate(("g1", "g2"))
            ]
    return times, rows


def test_resample_interpolates_onto_a_regular_grid(tmp_path):
    times, rows = irregular_table()
    files = run(tmp_path, rows, resample=1)
    cube = np.load(files["values"])
    grid = np.arange(5.0)
    assert pd.read_csv(files["times"], sep="\t")["time"].tolist() == grid.tolist()
    for s_index in range(2):
        for g_index in range(2):
            observed = 100 * s_index + (1 + g_index) * np.square(times)
            np.testing.assert_allclose(cube[s_index, :, g_index], np.interp(grid, times, observed), rtol=1e-6)
    assert meta(files)["resampled_step"] == 1


def test_resample_stops_at_the_last_grid_point_within_the_series(tmp_path):
    files = run(tmp_path, long_table(times=(0, 1, 2, 3, 4)), resample=1.5)
    assert pd.read_csv(files["times"], sep="\t")["time"].tolist() == [0, 1.5, 3]
    assert np.load(files["values"])[1, :, 1].tolist() == [101, 116, 131]


def test_resample_comes_after_missing_values(tmp_path):
    _, rows = irregular_table()
    rows[3] = rows[3].rsplit("\t", 1)[0] + "\tNA"
    with pytest.raises(InputError, match="value 'NA' is missing"):
        run(tmp_path, rows, resample=1)
    files = run(tmp_path, rows, missing="interpolate", resample=1)
    assert meta(files)["interpolated"] == 1
    np.testing.assert_allclose(np.load(files["values"])[0, :, 0], [0, 2.5, 5, 9, 16], rtol=1e-6)


def test_irregular_sampling_without_resample_names_the_option(tmp_path):
    _, rows = irregular_table()
    with pytest.raises(InputError) as error:
        run(tmp_path, rows)
    assert str(error.value) == (
        f"{tmp_path / 'tc.tsv'}: series 's1' is irregularly sampled (step 1 then 1.5 at time 1); "
        "set resample: <step> to interpolate onto a regular grid"
    )
    assert_no_outputs(outputs(tmp_path))


def test_config_defaults_and_options_reach_the_ingest(root):
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    config["datasets"]["timecourse_classes"].update(missing="interpolate", resample=0.5)
    validate(config, str(root / "config/schema.yaml"))
    defaults = ingest_arguments(config["datasets"]["timecourse_forecast"])
    assert (defaults["missing"], defaults["resample"]) == ("reject", None)
    options = ingest_arguments(config["datasets"]["timecourse_classes"])
    assert (options["missing"], options["resample"]) == ("interpolate", 0.5)
