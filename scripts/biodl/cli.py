"""The boundary between a rule script and the library: logging, one-line errors, the failure summary."""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Protocol, TextIO

from biodl.errors import UserError

ERROR_PREFIX = "biodl: error: "
MAX_NAMED_INPUTS = 3
FAILED_RULE = re.compile(r"^Error in rule (\S+):")
FAILED_LOGS = re.compile(r"^\s+log: (.+?) \(check log file\(s\) for error details\)")


class Job(Protocol):
    """The parts of Snakemake's ``snakemake`` object a rule script hands to ``run_step``."""

    rule: str
    input: Sequence[str]
    log: Sequence[str]


@contextmanager
def log_to(path: str | os.PathLike) -> Iterator[TextIO]:
    """Send stdout, stderr and the library's logging to the rule's log file."""
    with open(path, "w", encoding="utf-8") as handle, redirect_stdout(handle), redirect_stderr(handle):
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            yield handle
        finally:
            root.removeHandler(handler)
            root.setLevel(level)


def unexpected_error_line(job: Job, error: BaseException) -> str:
    """One line for a failure that is not a known bad input: rule, inputs, exception, log."""
    inputs = [str(path) for path in job.input]
    named = ", ".join(inputs[:MAX_NAMED_INPUTS])
    if len(inputs) > MAX_NAMED_INPUTS:
        named += f" and {len(inputs) - MAX_NAMED_INPUTS} more"
    detail = " ".join(str(error).split()) or "no message"
    return (
        f"rule {job.rule} failed on {named or 'no input files'}: {type(error).__name__}: {detail} "
        f"(traceback in {job.log[0]})"
    )


def run_step(job: Job, function: Callable[..., object], **arguments: object) -> None:
    """Run one library function for a rule; any failure becomes one line in the log and exit status 1.

    The line is the last of the rule's log; ``print_failures`` shows it once at the end of
    Snakemake's output. Unexpected exceptions keep their traceback in the log above it.
    """
    with log_to(job.log[0]) as handle:
        try:
            function(**arguments)
        except UserError as error:
            print(f"{ERROR_PREFIX}{error}", file=handle, flush=True)
            raise SystemExit(1) from None
        except Exception as error:
            traceback.print_exc(file=handle)
            print(f"{ERROR_PREFIX}{unexpected_error_line(job, error)}", file=handle, flush=True)
            raise SystemExit(1) from None


def failed_jobs(snakemake_logs: Sequence[str | os.PathLike]) -> list[tuple[str, list[str]]]:
    """(rule, log files) of every job that Snakemake's logs report as failed, in order."""
    jobs: list[tuple[str, list[str]]] = []
    lines = [
        line
        for path in snakemake_logs
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    ]
    for line in lines:
        if match := FAILED_RULE.match(line):
            jobs.append((match.group(1), []))
        elif (match := FAILED_LOGS.match(line)) and jobs:
            jobs[-1][1].extend(path.strip() for path in match.group(1).split(","))
    # a retried job (the SLURM profile retries once) is reported once
    unique = dict.fromkeys((rule, tuple(logs)) for rule, logs in jobs)
    return [(rule, list(logs)) for rule, logs in unique]


def last_error_line(logs: list[str]) -> str | None:
    """The last biodl error line among a job's log files."""
    for path in logs:
        if not Path(path).is_file():
            continue
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        errors = [line for line in lines if line.startswith(ERROR_PREFIX)]
        if errors:
            return errors[-1]
    return None


def print_failures(snakemake_log: str | os.PathLike | Sequence[str], stream: TextIO = sys.stderr) -> None:
    """After a failed run: each failed job's biodl line, then where its log is.

    ``snakemake_log`` is what Snakemake hands to ``onerror``: its log file, or a list of them.
    """
    logs = [snakemake_log] if isinstance(snakemake_log, (str, os.PathLike)) else list(snakemake_log)
    jobs = failed_jobs(logs)
    if not jobs:
        return
    print(f"\nbiodl: {len(jobs)} job{'s' if len(jobs) > 1 else ''} failed:", file=stream)
    for rule, logs in jobs:
        line = last_error_line(logs)
        where = f"rule {rule}, log {', '.join(logs)}" if logs else f"rule {rule}, no log"
        print(line or f"{ERROR_PREFIX}rule {rule} stopped without a biodl message", file=stream)
        print(f"    ({where})", file=stream)
