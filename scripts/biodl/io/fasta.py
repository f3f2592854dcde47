"""Streaming FASTA reader that validates and encodes residues in one vectorised pass.

Why not ``Bio.SeqIO``: it builds a Python object per record and a string per
sequence, then encoding needs a second pass per record; on a 200 MB file that
is an order of magnitude slower than this reader (see ``benchmarks/encode.py``).
Here the file is read in fixed-size chunks, every byte goes through one
256-entry lookup table, headers are masked with a cumulative sum, and tokens
are written straight into a preallocated output, so peak memory is the output
plus one chunk. Untidy input is accepted: CRLF line ends, lower-case letters,
wrapped or space-broken sequence lines, UTF-8 ids.
"""

from __future__ import annotations

import logging
import mmap
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from biodl.alphabets import INVALID, WHITESPACE, Alphabet, lookup_table
from biodl.errors import InputError, where
from biodl.io.text import GZIP_MAGIC, check_fasta_encoding, open_binary
from biodl.progress import ByteProgress

GT = ord(">")
NEWLINE = ord("\n")
WHITESPACE_BYTES = b" \t\r\n\v\f"
WHITESPACE_CODES = np.frombuffer(WHITESPACE_BYTES, dtype=np.uint8)
OTHER_WHITESPACE = [bytes([b]) for b in b" \t\r\v\f"]
INVALID_BYTE = bytes([INVALID])
SPACES = bytes.maketrans(b"\t\r\v\f", b"    ")
HEADER_ID = re.compile(r"^[^\S\n]*(\S*).*$", re.MULTILINE)
DEFAULT_CHUNK_BYTES = 1 << 20
CONFIG_AMBIGUITY_ADVICE = (
    "set 'allow_ambiguous: true' in the dataset's config to read ambiguity codes as {ambiguity}"
)
log = logging.getLogger(__name__)


@dataclass
class FastaTokens:
    """Records of a FASTA file as flat tokens with record offsets."""

    path: str
    ids: list[str]
    lines: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """Number of residues per record."""
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.ids)

    def record(self, index: int) -> np.ndarray:
        """Tokens of one record."""
        return self.tokens[self.offsets[index] : self.offsets[index + 1]]

    def head(self, count: int) -> FastaTokens:
        """The first ``count`` records."""
        end = self.offsets[count]
        return FastaTokens(
            self.path, self.ids[:count], self.lines[:count], self.tokens[:end], self.offsets[: count + 1]
        )

    def tail(self, count: int) -> FastaTokens:
        """The records after the first ``count`` (their tokens copied, so the rest can be freed)."""
        start = self.offsets[count]
        return FastaTokens(
            self.path,
            self.ids[count:],
            self.lines[count:],
            self.tokens[start:].copy(),
            self.offsets[count:] - start,
        )

    def followed_by(self, other: FastaTokens) -> FastaTokens:
        """These records, then ``other``'s."""
        return FastaTokens(
            self.path,
            self.ids + other.ids,
            np.concatenate([self.lines, other.lines]),
            np.concatenate([self.tokens, other.tokens]),
            np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
        )


def decompressed_size_hint(path: str | os.PathLike) -> int:
    """Upper estimate of the decompressed size, used to preallocate the token buffer."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        if handle.read(2) != GZIP_MAGIC or size < 4:
            return size
        handle.seek(-4, os.SEEK_END)
        (isize,) = struct.unpack("<I", handle.read(4))
    # ISIZE is the size modulo 2**32; fall back to a guess when it looks wrapped.
    return isize if isize >= size else 4 * size


def large_buffer(size: int) -> np.ndarray:
    """An uninitialised uint8 buffer backed by anonymous memory that asks for huge pages.

    First writes to fresh memory fault in one page at a time; with transparent
    huge pages each fault maps 2 MiB instead of 4 KiB. Pages never written are
    never mapped, so an over-estimated size costs nothing.
    """
    region = mmap.mmap(-1, max(size, 1))
    if hasattr(mmap, "MADV_HUGEPAGE"):
        region.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(region, dtype=np.uint8)


@dataclass
class _TokenSink:
    """Growable token buffer; pages never written are never touched."""

    buffer: np.ndarray
    used: int = 0
    lengths: list[np.ndarray] = field(default_factory=list)

    def reserve(self, extra: int) -> np.ndarray:
        """Return a writable view of ``extra`` free slots, growing if needed."""
        if self.used + extra > len(self.buffer):
            grown = large_buffer(max(2 * len(self.buffer), self.used + extra))
            grown[: self.used] = self.buffer[: self.used]
            self.buffer = grown
        return self.buffer[self.used : self.used + extra]


class _BlockParser:
    """Parses blocks that hold whole records, keeping line and record counters.

    The hot path is three C-level passes per block: ``bytes.translate`` with
    the 256-entry table (which also deletes whitespace and the masked headers),
    a search for whitespace positions (record lengths), and one regex over the
    joined header lines (ids).
    """

    def __init__(
        self, path: str, alphabet: Alphabet, allow_ambiguous: bool, size_hint: int, ambiguity_advice: str
    ):
        self.path = path
        self.ambiguity_advice = ambiguity_advice
        self.alphabet = alphabet
        self.allow_ambiguous = allow_ambiguous
        self.table = lookup_table(alphabet, allow_ambiguous)
        self.table_bytes = self.table.tobytes()
        self.sink = _TokenSink(large_buffer(size_hint))
        self.ids: list[str] = []
        self.lines: list[np.ndarray] = []
        self.lines_before = 0
        self.seen_header = False

    def parse(self, block: bytearray) -> None:
        """Validate and encode one block of complete records (the block is modified)."""
        if not block.endswith(b"\n"):
            block += b"\n"
        data = np.frombuffer(block, dtype=np.uint8)
        starts = self._record_starts(data)
        if not self.seen_header:
            self._check_leading_bytes(block, starts)
        newlines = np.flatnonzero(data == NEWLINE)
        if len(starts) == 0:
            self.lines_before += len(newlines)
            return
        self.seen_header = True
        header_ends = newlines[np.searchsorted(newlines, starts)]
        header_lines = self.lines_before + np.searchsorted(newlines, starts) + 1
        ids = self._parse_ids(data, starts, header_ends, header_lines)
        data[_ranges(starts, header_ends)] = NEWLINE
        lengths = self._record_lengths(block, data, starts, header_ends, newlines)
        tokens = block.translate(self.table_bytes, WHITESPACE_BYTES)
        if tokens.find(INVALID_BYTE) >= 0:
            self._raise_invalid_letter(data, starts, header_ends, newlines, ids)
        empty = np.flatnonzero(lengths == 0)
        if len(empty):
            first = empty[0]
            raise InputError(f"{where(self.path, ids[first], int(header_lines[first]))}: empty sequence")
        self.sink.reserve(len(tokens))[:] = np.frombuffer(tokens, dtype=np.uint8)
        self.sink.used += len(tokens)
        self.sink.lengths.append(lengths)
        self.ids.extend(ids)
        self.lines.append(header_lines)
        self.lines_before += len(newlines)

    @staticmethod
    def _record_starts(data: np.ndarray) -> np.ndarray:
        """Positions of '>' at the start of a line."""
        gts = np.flatnonzero(data == GT)
        at_line_start = (gts == 0) | (data[np.maximum(gts - 1, 0)] == NEWLINE)
        return gts[at_line_start]

    @staticmethod
    def _record_lengths(
        block: bytearray,
        data: np.ndarray,
        starts: np.ndarray,
        header_ends: np.ndarray,
        newlines: np.ndarray,
    ) -> np.ndarray:
        """Residues per record: bytes after the header line minus the whitespace among them."""
        bounds = np.append(starts, len(data))
        if any(byte in block for byte in OTHER_WHITESPACE):
            spaces = np.flatnonzero(np.isin(data, WHITESPACE_CODES))
            blank = np.diff(np.searchsorted(spaces, bounds))
            return np.diff(bounds) - blank
        breaks = np.searchsorted(newlines, bounds)
        return bounds[1:] - header_ends - (np.diff(breaks))

    def _check_leading_bytes(self, block: bytearray, starts: np.ndarray) -> None:
        """Reject sequence data before the first header."""
        lead = bytes(block[: starts[0]] if len(starts) else block)
        if lead.strip():
            stray = len(lead) - len(lead.lstrip())
            line = self.lines_before + lead.count(b"\n", 0, stray) + 1
            raise InputError(
                f"{where(self.path, line=line)}: sequence data before the first header "
                "(a record must start with a '>' line)"
            )

    def _parse_ids(
        self, data: np.ndarray, starts: np.ndarray, ends: np.ndarray, lines: np.ndarray
    ) -> list[str]:
        """Record ids: the header text up to the first whitespace, for all headers at once."""
        joined = data[_ranges(starts + 1, ends + 1)].tobytes().translate(SPACES)
        try:
            text = joined.decode("utf-8")
        except UnicodeDecodeError as error:
            line = int(lines[joined.count(b"\n", 0, error.start)])
            raise InputError(f"{where(self.path, line=line)}: header is not valid UTF-8") from None
        lines_of_text = text.split("\n")[: len(starts)]
        if not text.isascii() or "\n " in "\n" + text:
            ids = HEADER_ID.findall(text)[: len(starts)]
        elif " " in text:  # ASCII headers with descriptions: the id ends at the first space
            ids = [line.partition(" ")[0] for line in lines_of_text]
        else:
            ids = lines_of_text
        if "" in ids:
            line = int(lines[ids.index("")])
            raise InputError(f"{where(self.path, line=line)}: record header '>' has no id")
        return ids

    def _raise_invalid_letter(
        self,
        data: np.ndarray,
        starts: np.ndarray,
        header_ends: np.ndarray,
        newlines: np.ndarray,
        ids: list[str],
    ) -> None:
        """Raise an error naming the first letter outside the alphabet (headers already masked)."""
        codes = self.table[data]
        bad = int(np.flatnonzero(codes == INVALID)[0])
        record = int(np.searchsorted(starts, bad, side="right") - 1)
        seq_codes = codes[header_ends[record] : bad]
        position = int(np.count_nonzero(seq_codes != WHITESPACE)) + 1
        line = self.lines_before + int(np.searchsorted(newlines, bad)) + 1
        letter = bytes([data[bad]]).decode("latin-1")
        raise InputError(
            f"{where(self.path, ids[record], line)}: letter {letter!r} at position {position} "
            f"is not in the {self.alphabet.name} alphabet "
            f"({self.alphabet.describe(self.allow_ambiguous)}){self._ambiguity_hint(letter)}"
        )

    def _ambiguity_hint(self, letter: str) -> str:
        """How to accept an ambiguity code the config refuses."""
        if self.allow_ambiguous or letter.upper() not in self.alphabet.ambiguous_codes:
            return ""
        return "; " + self.ambiguity_advice.format(ambiguity=self.alphabet.ambiguity)

    def result(self) -> FastaTokens:
        """Assemble the records parsed so far."""
        if not self.seen_header:
            raise InputError(f"{self.path}: file is empty (no FASTA records)")
        lengths = np.concatenate(self.sink.lengths) if self.sink.lengths else np.zeros(0, dtype=np.int64)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return FastaTokens(
            path=self.path,
            ids=self.ids,
            lines=np.concatenate(self.lines) if self.lines else np.zeros(0, dtype=np.int64),
            tokens=self.sink.buffer[: self.sink.used],
            offsets=offsets,
        )

    def drain(self) -> FastaTokens:
        """The records parsed since the last drain (tokens copied out); the parser keeps its place."""
        records = self.result()
        records.tokens = records.tokens.copy()
        self.sink = _TokenSink(self.sink.buffer)
        self.ids, self.lines = [], []
        return records


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, end)`` for every pair, without a Python loop."""
    sizes = ends - starts
    offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
    return offsets + np.arange(int(sizes.sum()))


def read_fasta(
    path: str | os.PathLike,
    alphabet: Alphabet,
    allow_ambiguous: bool = False,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ambiguity_advice: str = CONFIG_AMBIGUITY_ADVICE,
) -> FastaTokens:
    """Read a plain or gzipped FASTA file into validated tokens, streaming in chunks.

    Raises ``InputError`` naming the file, record and line for a missing header,
    an empty sequence or a letter outside ``alphabet``; an ambiguity code that is not allowed
    gets ``ambiguity_advice`` (``{ambiguity}`` becomes the alphabet's ambiguity letter).
    """
    path = str(path)
    size_hint = decompressed_size_hint(check_not_empty(path))
    parser = _BlockParser(path, alphabet, allow_ambiguous, size_hint, ambiguity_advice)
    for block in record_blocks(path, chunk_bytes, ByteProgress(log, path, size_hint)):
        parser.parse(block)
    return parser.result()


def stream_fasta(
    path: str | os.PathLike,
    alphabet: Alphabet,
    allow_ambiguous: bool = False,
    *,
    records: int,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ambiguity_advice: str = CONFIG_AMBIGUITY_ADVICE,
) -> Iterator[FastaTokens]:
    """The records of a FASTA file, validated as :func:`read_fasta` does, in consecutive batches
    of ``records`` (the last one may be shorter); memory holds one batch and one chunk of the file,
    whatever the file's size."""
    path = str(path)
    check_not_empty(path)
    parser = _BlockParser(path, alphabet, allow_ambiguous, 2 * chunk_bytes, ambiguity_advice)
    carried: FastaTokens | None = None
    for block in record_blocks(path, chunk_bytes, ByteProgress(log, path, decompressed_size_hint(path))):
        parser.parse(block)
        if len(parser.ids) + (len(carried) if carried else 0) < records:
            continue
        carried = parser.drain() if carried is None else carried.followed_by(parser.drain())
        while len(carried) >= records:
            yield carried.head(records)
            carried = carried.tail(records)
    last = parser.drain()  # raises for a file without records
    if carried is not None:
        last = carried.followed_by(last)
    if len(last):
        yield last


def check_not_empty(path: str) -> str:
    """The path, if the file is not empty."""
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: file is empty (no FASTA records)")
    return path


def record_blocks(path: str, chunk_bytes: int, progress: ByteProgress) -> Iterator[bytearray]:
    """The file's text (gzip or not, checked to be UTF-8 text) in blocks of whole records."""
    pending = bytearray()
    searched = 0
    with open_binary(path) as handle:
        head = handle.read(chunk_bytes)
        pending += head[check_fasta_encoding(head, path) :]
        while chunk := handle.read(chunk_bytes):
            progress.add(len(chunk))
            pending += chunk
            cut = pending.rfind(b"\n>", max(searched - 1, 0)) + 1
            searched = len(pending)
            if cut > 0:
                yield pending[:cut]
                del pending[:cut]
                searched = len(pending)
    if pending:
        yield pending
