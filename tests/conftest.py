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


def item_dataset(folder: Path, columns: dict, meta: dict, arrays: dict) -> dict:
    """The files a training or baseline run reads: ids.tsv (ids 'r0', 'r1', … and ``columns``),
    meta.json, one .npy per array and split.tsv cycling 6 train, 2 valid, 2 test items.

    Returns the paths by name ('ids', 'meta', 'split' and each array's name).
    """
    import numpy as np
    import pandas as pd
    from biodl.io.outputs import save_array, save_json

    folder.mkdir(parents=True, exist_ok=True)
    n = len(next(iter(arrays.values())))
    ids = [f"r{i}" for i in range(n)]
    pd.DataFrame({"id": ids, **columns}).to_csv(folder / "ids.tsv", sep="\t", index=False)
    save_json(folder / "meta.json", meta)
    partition = np.array(["train"] * 6 + ["valid"] * 2 + ["test"] * 2)[np.arange(n) % 10]
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(folder / "split.tsv", sep="\t", index=False)
    paths = {"ids": folder / "ids.tsv", "meta": folder / "meta.json", "split": folder / "split.tsv"}
    for name, values in arrays.items():
        save_array(folder / f"{name}.npy", values)
        paths[name] = folder / f"{name}.npy"
    return paths


def with_datasets(config: dict, datasets: dict) -> None:
    """Replace the config's datasets; models and baselines keep only the listed datasets that remain."""
    config["datasets"] = datasets
    for section in ("models", "baselines"):
        for name, settings in list(config.get(section, {}).items()):
            if "datasets" not in settings:
                continue
            settings["datasets"] = [d for d in settings["datasets"] if d in datasets]
            if not settings["datasets"]:
                del config[section][name]
    interpreted = (config.get("interpret") or {}).get("datasets")
    if interpreted is not None and not [d for d in interpreted if d in datasets]:
        config["interpret"] = {"enabled": False}


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
