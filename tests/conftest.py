"""Shared helpers: writing small input files and checking that no output was left."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str | bytes) -> Path:
    """Write text or bytes (gzipped when the name ends in .gz) and return the path."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


@pytest.fixture
def root() -> Path:
    return ROOT


def assert_no_outputs(outputs: dict) -> None:
    """None of the output files exists."""
    left = [str(p) for p in outputs.values() if Path(p).exists()]
    assert not left, f"partial output left behind: {left}"


LONGEST_FIRST = ("test_workflow.py", "test_slurm.py", "test_real_data.py")  # modules of the longest runs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, the longest end-to-end runs at the head.

    With several workers fed one test at a time (``pytest -n 2 --maxschedchunk 1``)
    the short tests then fill in around the long ones instead of one long run
    finishing alone at the end.
    """

    def rank(item: pytest.Item) -> tuple[bool, int]:
        module = item.path.name
        return item.get_closest_marker("slow") is None, (
            LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)
        )

    items.sort(key=rank)
