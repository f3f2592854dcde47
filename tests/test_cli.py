"""The rule boundary: failures become one line in the log, and the run ends by repeating it once."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from biodl.cli import failed_jobs, print_failures, run_step
from biodl.errors import InputError


@dataclass
class FakeJob:
    log: list[str]
    rule: str = "ingest_sequences"
    input: list[str] = field(default_factory=lambda: ["data/a.fa", "data/a.tsv"])


def divide_by_zero() -> None:
    print("reading data/a.fa")
    _ = 1 / 0


def refuse_input() -> None:
    raise InputError("data/a.fa: record 'x' (line 3): empty sequence")


def test_an_unexpected_exception_is_one_line_with_the_traceback_kept_in_the_log(tmp_path, capsys):
    log = tmp_path / "ingest.log"
    with pytest.raises(SystemExit) as stop:
        run_step(FakeJob([str(log)]), divide_by_zero)
    assert stop.value.code == 1
    lines = log.read_text().splitlines()
    assert lines[0] == "reading data/a.fa"
    assert "Traceback (most recent call last):" in lines
    assert "ZeroDivisionError: division by zero" in lines
    assert lines[-1] == (
        "biodl: error: rule ingest_sequences failed on data/a.fa, data/a.tsv: "
        f"ZeroDivisionError: division by zero (traceback in {log})"
    )
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


def test_many_inputs_are_counted_not_listed(tmp_path):
    log = tmp_path / "x.log"
    job = FakeJob([str(log)], rule="compare", input=[f"r/{i}.tsv" for i in range(7)])
    with pytest.raises(SystemExit):
        run_step(job, divide_by_zero)
    assert (
        log.read_text()
        .splitlines()[-1]
        .startswith(
            "biodl: error: rule compare failed on r/0.tsv, r/1.tsv, r/2.tsv and 4 more: ZeroDivisionError"
        )
    )


def test_a_user_error_is_the_last_line_of_the_log_without_a_traceback(tmp_path):
    log = tmp_path / "ingest.log"
    with pytest.raises(SystemExit):
        run_step(FakeJob([str(log)]), refuse_input)
    assert log.read_text() == "biodl: error: data/a.fa: record 'x' (line 3): empty sequence\n"


SNAKEMAKE_LOG = """\
[Fri Dec  4 19:01:16 2026]
Error in rule ingest_sequences:
    message: None
    jobid: 1
    input: a.fa, a.tsv
    log: {first} (check log file(s) for error details)
Error in rule train:
    jobid: 7
    log: {second}, {third} (check log file(s) for error details)
Error in rule report:
    jobid: 9
Shutting down, this might take some time.
"""


def test_the_failure_summary_repeats_each_failed_jobs_line_once(tmp_path):
    first, second, third = tmp_path / "ingest.log", tmp_path / "train.log", tmp_path / "history.log"
    first.write_text("biodl: error: a.fa: record 'x' (line 3): empty sequence\n")
    second.write_text("epoch 1\nKilled\n")
    third.write_text("biodl: error: old\nbiodl: error: training diverged at epoch 3\n")
    snakemake_log = tmp_path / "run.snakemake.log"
    snakemake_log.write_text(SNAKEMAKE_LOG.format(first=first, second=second, third=third))
    assert failed_jobs([snakemake_log]) == [
        ("ingest_sequences", [str(first)]),
        ("train", [str(second), str(third)]),
        ("report", []),
    ]
    stream = io.StringIO()
    print_failures([str(snakemake_log)], stream)
    assert stream.getvalue().splitlines() == [
        "",
        "biodl: 3 jobs failed:",
        "biodl: error: a.fa: record 'x' (line 3): empty sequence",
        f"    (rule ingest_sequences, log {first})",
        "biodl: error: training diverged at epoch 3",
        f"    (rule train, log {second}, {third})",
        "biodl: error: rule report stopped without a biodl message",
        "    (rule report, no log)",
    ]
