"""The boundary between a rule script and the library: logging and one-line errors."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from biodl.errors import UserError


@contextmanager
def log_to(path: str | os.PathLike) -> Iterator[None]:
    """Send stdout, stderr and the library's logging to the rule's log file."""
    with open(path, "w", encoding="utf-8") as handle, redirect_stdout(handle), redirect_stderr(handle):
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            yield
        finally:
            root.removeHandler(handler)


def run_step(log: str | os.PathLike, function: Callable[..., object], **arguments: object) -> None:
    """Run one library function for a rule; user errors become one line and exit status 1."""
    console = sys.stderr
    with log_to(log):
        try:
            function(**arguments)
        except UserError as error:
            message = f"biodl: error: {error}"
            print(message, file=sys.stderr)
            print(message, file=console)
            raise SystemExit(1) from None
