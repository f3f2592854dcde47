"""Opening input files: gzip detection, damaged archives and text encodings as named errors.

Every reader of user files opens them here, so a truncated download, a file
saved as UTF-16 by a spreadsheet or a Windows-1252 export fails with one line
that says which of these it is, instead of a Python traceback.

Read where the intent is unambiguous: a UTF-8 byte-order mark (Excel's
"CSV UTF-8") is skipped; tables with a UTF-16 or UTF-32 byte-order mark are
decoded by it. Refused with a named error: UTF-16/UTF-32 FASTA (the FASTA
reader works on bytes), UTF-16/UTF-32 without a byte-order mark, and text
that is not UTF-8 (Latin-1, Windows-1252), whose letters cannot be told apart
from UTF-8 by looking at the bytes alone.
"""

from __future__ import annotations

import codecs
import gzip
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from biodl.errors import InputError, where

GZIP_MAGIC = b"\x1f\x8b"
# UTF-32 marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "UTF-32", "utf-32"),
    (codecs.BOM_UTF8, "UTF-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "UTF-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "UTF-16", "utf-16"),
)
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
SAVE_AS_UTF8 = "save it as UTF-8 (e.g. `iconv -f {name} -t UTF-8`)"


class _CheckedReader:
    """A binary handle whose reads turn gzip damage into an ``InputError`` naming the file."""

    def __init__(self, handle: BinaryIO, path: str | os.PathLike):
        self.handle = handle
        self.path = path

    def read(self, size: int = -1) -> bytes:
        try:
            return self.handle.read(size)
        except GZIP_ERRORS as error:
            raise InputError(f"{self.path}: {damaged_gzip(error)}") from None


def damaged_gzip(error: BaseException) -> str:
    """The message for a gzip stream that cannot be read to its end."""
    detail = str(error) or type(error).__name__
    if isinstance(error, EOFError):
        return f"gzip file is truncated ({detail}); download or copy it again"
    return f"gzip file is corrupt ({detail}); download or copy it again"


@contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[_CheckedReader]:
    """Open a plain or gzipped file for binary reading (gzip detected by its magic bytes)."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    opener = gzip.open if compressed else open
    with opener(path, "rb") as handle:
        yield _CheckedReader(handle, path)


def read_bytes(path: str | os.PathLike) -> bytes:
    """The whole (decompressed) content of a file."""
    with open_binary(path) as handle:
        return handle.read()


def byte_order_mark(head: bytes) -> tuple[bytes, str, str] | None:
    """The byte-order mark ``head`` starts with: (mark, name, Python codec), or None."""
    for mark, name, codec in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return mark, name, codec
    return None


def reject_wide_text(head: bytes, path: str | os.PathLike) -> None:
    """Refuse UTF-16/UTF-32 text without a byte-order mark (NUL bytes among ASCII letters)."""
    if b"\x00" in head[:4096]:
        name = "UTF-32" if b"\x00\x00\x00" in head[:4096] else "UTF-16"
        raise InputError(
            f"{path}: file looks like {name} text without a byte-order mark (it contains NUL bytes); "
            + SAVE_AS_UTF8.format(name=name)
        )


def check_fasta_encoding(head: bytes, path: str | os.PathLike) -> int:
    """Bytes to skip at the start of a FASTA file (a UTF-8 mark); refuse UTF-16/UTF-32."""
    mark = byte_order_mark(head)
    if mark is not None and mark[1] != "UTF-8":
        raise InputError(f"{path}: file is {mark[1]} text; {SAVE_AS_UTF8.format(name=mark[1])}")
    reject_wide_text(head, path)
    return len(mark[0]) if mark else 0


def read_text(path: str | os.PathLike) -> str:
    """Decode a whole text file: UTF-8 (mark optional) or UTF-16/UTF-32 with a mark."""
    data = read_bytes(path)
    mark = byte_order_mark(data)
    if mark is not None:
        _, name, codec = mark
        try:
            return data.decode(codec)
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not valid {name} text ({error.reason})") from None
    reject_wide_text(data, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        raise InputError(
            f"{where(path, line=line)}: not valid UTF-8 text (byte 0x{byte}; Latin-1 or Windows-1252?); "
            + SAVE_AS_UTF8.format(name="WINDOWS-1252")
        ) from None
