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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end runs first: with several workers (``pytest -n 2``) the short tests fill in around them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
