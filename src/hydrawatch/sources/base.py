"""What every source shares: the Source protocol, bad-record reporting, and robust readers.

A source turns one input file (or export folder) into core records. It never stops at a bad
record: it reports the record's file, line and reason to a :class:`ProblemLog` and goes on,
so that good records around a bad one are never lost. Files that are unreadable as a whole
(not the format, truncated compression) are reported once and whatever was read before the
damage is kept.
"""

from __future__ import annotations

import csv
import gzip
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


class TruncatedInputError(Exception):
    """Raised inside readers when compressed input ends early; callers report it."""


def read_sample(path: Path, size: int = 64 * 1024) -> Sample:
    """The first ``size`` bytes of a file, gunzipped if it is gzip. Never raises on damage."""
    if path.is_dir():
        return Sample(path, b"", is_dir=True)
    with open(path, "rb") as raw:
        head = raw.read(size)
    if head.startswith(GZIP_MAGIC):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            head = decompressor.decompress(head, size)
        except zlib.error:
            head = b""
    return Sample(path, head)


class _GuardedGzip(io.RawIOBase):
    """A gzip stream whose truncation or corruption surfaces as TruncatedInputError."""

    def __init__(self, path: Path):
        self.disk_file = open(path, "rb")
        self._gz = gzip.GzipFile(fileobj=self.disk_file, mode="rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            return self._gz.readinto(buffer)
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise TruncatedInputError(f"compressed data is damaged or truncated ({exc})") from exc

    def close(self) -> None:
        self._gz.close()
        self.disk_file.close()
        super().close()


def disk_position(stream: BinaryIO) -> int:
    """How many bytes of the file on disk a stream from :func:`open_binary` has consumed."""
    raw = getattr(stream, "raw", None)
    disk_file = getattr(raw, "disk_file", None)
    try:
        return (disk_file or stream).tell()
    except (OSError, ValueError):
        return 0


def open_binary(path: Path, buffer_size: int = 1 << 20) -> BinaryIO:
    """Open a file for reading bytes, transparently gunzipping it when it starts with the gzip
    magic number (whatever its name)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return io.BufferedReader(_GuardedGzip(path), buffer_size)  # type: ignore[return-value]
    return open(path, "rb", buffering=buffer_size)


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
        try:
            while True:
                line = stream.readline(max_line_bytes + 1)
                if not line:
                    return
                line_number += 1
                if not line_number & 4095:
                    problems.bytes_read = disk_position(stream)
                if len(line) > max_line_bytes and not line.endswith(b"\n"):
                    while line and not line.endswith(b"\n"):  # skip the rest of the long line
                        line = stream.readline(1 << 20)
                    problems.bad(
                        SourceRef(name, line_number),
                        f"line longer than {max_line_bytes:,} bytes; skipped",
                    )
                    continue
                line = line.rstrip(b"\r\n")
                if line.strip():
                    yield line_number, line
        except TruncatedInputError as exc:
            problems.bad(
                SourceRef(name, line_number + 1),
                f"{exc}; the rest of the file could not be read",
            )


def iter_csv_rows(path: Path, problems: ProblemLog) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first_line_number, row)`` for each CSV row, header included.

    Quoted fields may span lines. Invalid UTF-8 is reported per row (the row is skipped) and
    does not disturb the rows around it; truncated gzip is reported once.
    """
    name = str(path)
    stream = open_binary(path)
    # surrogateescape keeps undecodable bytes as lone surrogates, so one bad byte sequence
    # spoils one row and not the whole stream.
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    first_line = 1
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.bad(SourceRef(name, first_line), f"malformed CSV: {exc}")
                first_line = reader.line_num + 1
                continue
            if first_line == 1 and row and row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            start = first_line
            first_line = reader.line_num + 1
            if not start & 4095:
                problems.bytes_read = disk_position(stream)
            if any(_has_surrogates(cell) for cell in row):
                problems.bad(SourceRef(name, start), "invalid UTF-8", ",".join(row).encode("utf-8", "replace"))
                continue
            if row:
                yield start, row
    except TruncatedInputError as exc:
        problems.bad(SourceRef(name, first_line), f"{exc}; the rest of the file could not be read")
    finally:
        text.close()


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
    "TruncatedInputError",
    "iter_csv_rows",
    "iter_lines",
    "open_binary",
    "read_sample",
]
