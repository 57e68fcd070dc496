"""What every source shares: the Source protocol, bad-record reporting, and robust readers.

A source turns one input file (or export folder) into core records. It never stops at a bad
record: it reports the record's file, line and reason to a :class:`ProblemLog` and goes on,
so that good records around a bad one are never lost. Files that are unreadable as a whole
(not the format, truncated compression) are reported once and whatever was read before the
damage is kept.
"""

from __future__ import annotations

import csv
import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

from hydrawatch.core.model import Record, SourceRef

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
#: Lines longer than this are reported and skipped rather than read into memory. A real tweet
#: with its expansions is a few KB; a 50 MB line is still read and parsed.
DEFAULT_MAX_LINE_BYTES = 256 * 1024 * 1024
#: How many bad records a ProblemLog keeps in full; beyond that it only counts.
MAX_KEPT_PROBLEMS = 1000
EXCERPT_CHARS = 120


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read, with where it is and why."""

    source: SourceRef
    reason: str
    excerpt: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class ProblemLog:
    """Collects bad records of one ingest. Keeps the first few in full and counts the rest."""

    kept: list[BadRecord] = field(default_factory=list)
    count: int = 0
    max_kept: int = MAX_KEPT_PROBLEMS
    #: How far the reader has got in the file, in bytes on disk (compressed bytes for gzip);
    #: updated now and then by the readers, for progress bars.
    bytes_read: int = 0

    def bad(self, source: SourceRef, reason: str, raw: bytes | str | None = None) -> None:
        self.count += 1
        excerpt = _excerpt(raw)
        if len(self.kept) < self.max_kept:
            self.kept.append(BadRecord(source, reason, excerpt))
        log.debug("bad record at %s: %s", source, reason)


def _excerpt(raw: bytes | str | None) -> str:
    """A short, printable excerpt of a bad record. Short on purpose: inputs may hold harmful
    text that must not be echoed in bulk."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = raw[:EXCERPT_CHARS].replace("\n", "\\n").replace("\r", "\\r")
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


@dataclass(frozen=True, slots=True)
class Sample:
    """The start of an input, decompressed, for format sniffing."""

    path: Path
    head: bytes
    is_dir: bool = False

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace").lstrip("\ufeff")

    @property
    def first_line(self) -> str:
        return self.text.lstrip().split("\n", 1)[0].strip()


class Source(Protocol):
    """One input format. ``name`` is a stable registry name (stored with every ingest; never
    rename it); ``description`` is one line for ``--help`` and error messages."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, sample: Sample) -> bool:
        """True when the sample looks like this format."""
        ...

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        """Yield the records of ``path``, reporting bad ones to ``problems``."""
        ...


def read_sample(path: Path, size: int = 64 * 1024) -> Sample:
    """The start of a file, gunzipped if it is gzip: ``size`` bytes, or the whole first line
    when that is longer (a single huge record must still be recognised). Never raises on
    damaged input."""
    if path.is_dir():
        return Sample(path, b"", is_dir=True)
    with open_binary(path) as stream:
        head = stream.read(size)
        if b"\n" not in head.lstrip(b"\r\n \t") and len(head) == size:
            head += stream.readline(DEFAULT_MAX_LINE_BYTES)
    return Sample(path, head)


class _GzipStream(io.RawIOBase):
    """Gunzip a file, delivering every byte that can be decompressed even when the file is
    truncated or corrupt. Damage does not raise in the middle of a read: the stream simply
    ends, and :func:`stream_damage` says what went wrong. Because the compressed file is read
    in fixed blocks, what is delivered before damage does not depend on how the consumer reads
    (line by line or in big chunks), so the exact and the fast readers see the same bytes.
    Concatenated gzip members are read one after another, as gzip(1) does."""

    BLOCK = 1 << 20

    def __init__(self, path: Path):
        self.disk_file = open(path, "rb")
        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._offset = 0
        self._finished = False
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._offset >= len(self._pending) and not self._finished:
            self._pending, self._offset = self._decompress_next_block(), 0
        available = len(self._pending) - self._offset
        count = min(len(buffer), available)
        buffer[:count] = self._pending[self._offset : self._offset + count]
        self._offset += count
        return count

    def _decompress_next_block(self) -> bytes:
        compressed = self.disk_file.read(self.BLOCK)
        if not compressed:
            self._finished = True
            if not self._decompressor.eof:
                self.damage = "compressed data is truncated (the gzip stream ends early)"
            return b""
        output = []
        try:
            while compressed:
                output.append(self._decompressor.decompress(compressed))
                compressed = b""
                if self._decompressor.eof:
                    rest = self._decompressor.unused_data
                    if rest.strip(b"\0"):
                        if not rest.startswith(GZIP_MAGIC):
                            raise zlib.error("trailing garbage after the gzip data")
                        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        compressed = rest
        except zlib.error as exc:
            self._finished = True
            self.damage = f"compressed data is damaged ({exc})"
        return b"".join(output)

    def close(self) -> None:
        self.disk_file.close()
        super().close()


def stream_damage(stream: BinaryIO) -> str | None:
    """What went wrong with the compressed data behind a stream from open_binary, if anything."""
    return getattr(getattr(stream, "raw", None), "damage", None)


def disk_position(stream: BinaryIO) -> int:
    """How many bytes of the file on disk a stream from :func:`open_binary` has consumed."""
    raw = getattr(stream, "raw", None)
    disk_file = getattr(raw, "disk_file", None)
    try:
        return (disk_file or stream).tell()
    except (OSError, ValueError):
        return 0


def open_binary(path: Path, buffer_size: int = 1 << 20) -> BinaryIO:
    """Open a file for reading bytes, transparently gunzipping it when it is gzip (judged by
    its contents, whatever its name). A plain file that merely starts with the two gzip magic
    bytes is read as it is."""
    if _is_gzip(path):
        return io.BufferedReader(_GzipStream(path), buffer_size)  # type: ignore[return-value]
    return open(path, "rb", buffering=buffer_size)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as probe:
        head = probe.read(64 * 1024)
    if not head.startswith(GZIP_MAGIC):
        return False
    try:
        zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 1)
    except zlib.error:
        return False
    return True


def iter_lines(
    path: Path, problems: ProblemLog, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line_bytes)`` for each non-blank line, without the newline.

    Lines longer than ``max_line_bytes`` are reported and skipped without being held in
    memory. Truncated or corrupt gzip input is reported once; the lines before the damage are
    still yielded.
    """
    name = str(path)
    line_number = 0
    with open_binary(path) as stream:
        while True:
            line = stream.readline(max_line_bytes + 1)
            if not line:
                break
            line_number += 1
            if not line_number & 4095:
                problems.bytes_read = disk_position(stream)
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = stream.readline(1 << 20)
                problems.bad(SourceRef(name, line_number), f"line longer than {max_line_bytes:,} bytes; skipped")
                continue
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line_number, line
        report_damage(stream, name, line_number + 1, problems)


def report_damage(stream: BinaryIO, name: str, line_number: int, problems: ProblemLog) -> None:
    """Report damaged compressed input once, at the line where reading stopped."""
    damage = stream_damage(stream)
    if damage:
        problems.bad(SourceRef(name, line_number), f"{damage}; the rest of the file could not be read")


def iter_csv_rows(
    path: Path, problems: ProblemLog, max_record_lines: int = 500
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first_line_number, row)`` for each CSV row, the header first.

    Quoted fields may span lines. The reader splits records itself (a record ends where the
    count of quote characters is even) so that damage stays local: a record of the wrong width
    that spans several lines is most likely a stray quote that swallowed the lines after it, so
    its first line is reported and scanning resumes on the next line, recovering the good rows
    it swallowed. Invalid UTF-8 spoils only its own record; truncated gzip is reported once.
    Single-line rows of the wrong width are yielded for the caller to report with its reason.
    """
    name = str(path)
    lines = _physical_lines(path, problems)
    pending: list[tuple[int, bytes]] = []  # lines read ahead, to re-scan after a bad record
    header_width: int | None = None
    while True:
        if not pending:
            first = next(lines, None)
            if first is None:
                return
            pending.append(first)
        record = [pending.pop(0)]
        quotes = record[0][1].count(b'"')
        while quotes % 2 and len(record) < max_record_lines:
            nxt = pending.pop(0) if pending else next(lines, None)
            if nxt is None:
                break
            record.append(nxt)
            quotes += nxt[1].count(b'"')
        start = record[0][0]
        raw = b"".join(line for _, line in record)
        row = None if quotes % 2 else _parse_csv_record(raw)
        spans_lines = len(record) > 1
        if row is None or (spans_lines and header_width is not None and len(row) != header_width):
            if spans_lines:
                # Re-scan everything after the first line: it may hold good rows.
                pending[:0] = record[1:]
                problems.bad(SourceRef(name, start), "malformed CSV record (unbalanced quotes?)", record[0][1])
            else:
                problems.bad(SourceRef(name, start), "malformed CSV record", raw)
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if any(_has_surrogates(cell) for cell in row):
            problems.bad(SourceRef(name, start), "invalid UTF-8", raw)
            continue
        if header_width is None:
            if row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            header_width = len(row)
        yield start, row


def _physical_lines(path: Path, problems: ProblemLog) -> Iterator[tuple[int, bytes]]:
    """Every physical line with its number, newline kept (it may sit inside a quoted field)."""
    line_number = 0
    with open_binary(path) as stream:
        for line in stream:
            line_number += 1
            if not line_number & 4095:
                problems.bytes_read = disk_position(stream)
            yield line_number, line
        report_damage(stream, str(path), line_number + 1, problems)


def _parse_csv_record(raw: bytes) -> list[str] | None:
    """One CSV record's fields, or None when the text is not exactly one well-formed record."""
    text = raw.decode("utf-8", errors="surrogateescape")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    if len(rows) > 1 and all(not r for r in rows[1:]):
        rows = rows[:1]
    if len(rows) != 1:
        return [] if not rows else None
    return rows[0]


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


csv.field_size_limit(DEFAULT_MAX_LINE_BYTES)

__all__ = [
    "BadRecord",
    "ProblemLog",
    "Sample",
    "Source",
    "report_damage",
    "stream_damage",
    "iter_csv_rows",
    "iter_lines",
    "open_binary",
    "read_sample",
]
