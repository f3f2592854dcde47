"""Writing contract files so that a failure leaves nothing half-written."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from biodl.errors import InputError

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@contextmanager
def all_or_nothing(*paths: str | os.PathLike) -> Iterator[None]:
    """Create parent folders; if the block fails, remove every listed output."""
    for path in paths:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for path in paths:
            Path(path).unlink(missing_ok=True)
        raise


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save an array as ``.npy`` (readable with ``np.load(path, mmap_mode="r")``)."""
    with open(path, "wb") as handle:  # a handle, so numpy never appends '.npy' to the name
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)


def save_sparse(path: str | os.PathLike, matrix: sp.spmatrix) -> None:
    """Save a CSR matrix in ``scipy.sparse.save_npz`` layout with fixed zip timestamps.

    ``save_npz`` stamps the current time into the archive, so two identical runs
    would differ byte for byte; this writes the same members deterministically.
    """
    csr = sp.csr_matrix(matrix)
    save_arrays(
        path,
        indices=csr.indices,
        indptr=csr.indptr,
        format=np.array(b"csr"),
        shape=np.array(csr.shape),
        data=csr.data,
    )


def save_arrays(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Save named arrays as an ``.npz`` archive (``np.load`` reads it) with fixed zip timestamps."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save_json(path: str | os.PathLike, payload: object) -> None:
    """Save JSON with sorted keys and a trailing newline."""
    Path(path).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def save_table(path: str | os.PathLike, table: pd.DataFrame) -> None:
    """Save a tab-separated table without the index."""
    table.to_csv(path, sep="\t", index=False, lineterminator="\n")


def _renumber_shared_objects(node: object, numbers: dict[int, int]) -> object:
    """Replace Keras's ``shared_object_id`` values (memory addresses) by 1, 2, … in order of appearance.

    Objects that shared an id still share one, so the model loads the same.
    """
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "shared_object_id" and isinstance(value, int):
                result[key] = numbers.setdefault(value, len(numbers) + 1)
            else:
                result[key] = _renumber_shared_objects(value, numbers)
        return result
    if isinstance(node, list):
        return [_renumber_shared_objects(value, numbers) for value in node]
    return node


def save_reproducible_keras(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy a ``.keras`` archive with a fixed save date and fixed member times.

    Keras stamps the current time into ``metadata.json`` and the zip entries
    and memory addresses into ``config.json``, so two identical trainings would
    differ byte for byte; the weights are copied unchanged.
    """
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = "1980-01-01@00:00:00"
                data = json.dumps(metadata).encode("utf-8")
            elif member.filename == "config.json":
                data = json.dumps(_renumber_shared_objects(json.loads(data), {})).encode("utf-8")
            info = zipfile.ZipInfo(member.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = member.compress_type
            copy.writestr(info, data)


def _renumber_skops_ids(node: object, numbers: dict[int, int]) -> object:
    """Replace skops's object ids and the array members named after them (memory addresses) by
    1, 2, … in order of appearance; objects that shared an id still share one."""
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                result[key] = numbers.setdefault(value, len(numbers) + 1)
            elif key == "file" and isinstance(value, str) and value.removesuffix(".npy").isdigit():
                result[key] = f"{numbers.setdefault(int(value.removesuffix('.npy')), len(numbers) + 1)}.npy"
            else:
                result[key] = _renumber_skops_ids(value, numbers)
        return result
    if isinstance(node, list):
        return [_renumber_skops_ids(value, numbers) for value in node]
    return node


def save_estimators(path: str | os.PathLike, estimators: object) -> None:
    """Save fitted scikit-learn objects (in dicts and lists) with ``skops``, which loads them without
    running pickled code, as a byte-reproducible archive: skops names its members and object ids
    after memory addresses and stamps the time, so they are renumbered and the times fixed."""
    import io

    import skops.io

    numbers: dict[int, int] = {}
    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(estimators))) as original:
        schema = _renumber_skops_ids(json.loads(original.read("schema.json")), numbers)
        members = {"schema.json": json.dumps(schema, indent=2).encode("utf-8")}
        for name in original.namelist():
            if name != "schema.json":
                members[f"{numbers[int(name.removesuffix('.npy'))]}.npy"] = original.read(name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])


TRUSTED_MODULES = ("sklearn.", "numpy.", "scipy.")  # what a baseline's saved estimators are made of


def load_estimators(path: str | os.PathLike) -> object:
    """Load what :func:`save_estimators` saved, refusing a file that holds a type from outside
    scikit-learn, numpy, scipy and Python's containers (which skops trusts by default)."""
    import skops.io

    needed = skops.io.get_untrusted_types(file=path)
    untrusted = [name for name in needed if not name.startswith(TRUSTED_MODULES)]
    if untrusted:
        raise InputError(f"{path}: holds types that are not trusted ({', '.join(untrusted)})")
    return skops.io.load(path, trusted=needed)
