"""Ingest: files in, store rows out. Composes ``sources`` (reading) and ``store`` (writing).

:func:`ingest_paths` expands folders, detects each file's format, and loads each file in its
own transaction. A file whose contents were ingested before (same SHA-256) is skipped, so
re-running an ingest adds nothing. Bad records are reported with file, line and reason and the
rest of the file is kept; a file in no known format is reported and the other files go on.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from hydrawatch.core.errors import HydrawatchError, UnknownFormatError
from hydrawatch.core.model import SourceRef
from hydrawatch.sources import SOURCES, BadRecord, ProblemLog, Sample, Source, detect, read_sample
from hydrawatch.sources.chunks import LineBlock, iter_line_blocks
from hydrawatch.sources.jsonlines import convert_json_line
from hydrawatch.sources.twarc import TwarcFlatSource, convert_flat_tweet
from hydrawatch.store.batches import RecordBatcher
from hydrawatch.store.duck import FileIngest, Problem, Store
from hydrawatch.store.parse_ahead import DEFAULT_PROCESSES, prepared_blocks
from hydrawatch.store.parquet import import_parquet, is_export_folder

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 250_000
DEFAULT_COMMIT_BYTES = 512 * 1024 * 1024  # input per transaction for big files (see Store.ingest_file)
#: Files at least this big get the fast twarc reader's parse-ahead processes (store.parse_ahead);
#: for smaller ones starting them costs more than it saves.
PARSE_AHEAD_MIN_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported while a file loads: which file, and how many of its bytes are read."""

    path: str
    format: str
    bytes_done: int
    bytes_total: int
    records: int


@dataclass
class FileResult:
    path: str
    #: "ingested"; "skipped" (contents ingested before); "ignored" (a file of no known format
    #: met while walking a folder); "failed" (a file given by name that could not be read)
    status: str
    format: str = ""
    records: int = 0
    rejected: int = 0
    added: dict[str, int] = field(default_factory=dict)
    problems: list[BadRecord] = field(default_factory=list)
    message: str = ""


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def added(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for result in self.files:
            for table, n in result.added.items():
                total[table] = total.get(table, 0) + n
        return total


def is_bundle(path: Path) -> bool:
    """A folder that is one input as a whole: a hydrawatch Parquet export, or an export that a
    folder-reading source (ActivityPub account export) recognises."""
    if not path.is_dir():
        return False
    if is_export_folder(path):
        return True
    sample = Sample(path, b"", is_dir=True)
    return any(getattr(source, "reads_folders", False) and source.sniff(sample) for source in SOURCES)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Inputs to ingest: each file as given; bundles as a whole; other folders walked in sorted
    order (hidden files skipped)."""
    for path in paths:
        if path.is_dir() and not is_bundle(path):
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yield from expand_paths(children)
        else:
            yield path


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes; for a folder, of its files' names and digests."""
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode() + b"\0" + file_sha256(child).encode())
        return digest.hexdigest()
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def ingest_paths(
    store: Store,
    paths: Iterable[Path | str],
    *,
    progress: Callable[[Progress], None] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    force_format: str | None = None,
    fast: bool = True,
    commit_bytes: int = DEFAULT_COMMIT_BYTES,
) -> IngestSummary:
    """Load every file under ``paths`` into ``store``; see the module docstring. ``fast=False``
    reads every file with the exact (reference) readers only; the result is the same.
    ``commit_bytes``: a file commits in batches of about this much input (0: one transaction
    per file, whatever its size; memory then grows with the file)."""
    summary = IngestSummary()
    given = [Path(p) for p in paths]
    for path in expand_paths(given):
        from_folder = path not in given
        summary.files.append(
            ingest_file(
                store,
                path,
                progress=progress,
                batch_rows=batch_rows,
                force_format=force_format,
                quiet_unknown=from_folder,
                fast=fast,
                commit_bytes=commit_bytes,
            )
        )
    return summary


def ingest_file(
    store: Store,
    path: Path,
    *,
    progress: Callable[[Progress], None] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    force_format: str | None = None,
    quiet_unknown: bool = False,
    fast: bool = True,
    commit_bytes: int = DEFAULT_COMMIT_BYTES,
) -> FileResult:
    """Load one file in one transaction (one per ``commit_bytes`` of input for big files);
    never raises for bad input, only reports it."""
    name = str(path)
    if not path.exists():
        return FileResult(name, "failed", message="no such file or folder")
    if is_export_folder(path):
        return _import_export_folder(store, path)
    try:
        source = _source_for(path, force_format)
    except UnknownFormatError as exc:
        return FileResult(name, "ignored" if quiet_unknown else "failed", message=str(exc))
    except OSError as exc:
        return FileResult(name, "failed", message=f"cannot read ({exc.strerror or exc})")

    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    digest: str | Callable[[], str]
    if store.has_ingested_size(size):
        # a file of this size was loaded before: it may be the same one, so check first
        digest = file_sha256(path)
        earlier = store.ingested(digest)
        if earlier is not None:
            return FileResult(
                name,
                "skipped",
                source.name,
                message=f"already ingested as {earlier.path} on {earlier.ingested_at:%Y-%m-%d %H:%M}; nothing to add",
            )
    else:
        # new contents for sure: hash while reading instead of reading the file twice in a row
        hashing = ThreadPoolExecutor(1, thread_name_prefix="sha256")
        digest = hashing.submit(file_sha256, path).result
        hashing.shutdown(wait=False)

    problems = ProblemLog()
    records = 0
    fast_twarc = fast and source.name == TwarcFlatSource.name
    processes = DEFAULT_PROCESSES if fast_twarc and size >= PARSE_AHEAD_MIN_BYTES else 0
    # With parse-ahead processes filling the cores, the folds here take what they leave.
    threads = store.threads((os.cpu_count() or 1) - processes) if processes else nullcontext()
    try:
        with threads, store.ingest_file(name, digest, size, source.name) as open_ingest:
            batcher = RecordBatcher(open_ingest.file_id)
            batches = _Batches(open_ingest, problems, commit_bytes)
            if fast_twarc:
                records = _read_twarc_fast(path, open_ingest, batcher, problems, progress, size, batches, processes)
            else:
                for record in source.read(path, problems):
                    batcher.add(record)
                    records += 1
                    if batcher.rows >= batch_rows:
                        open_ingest.append(batcher.take())
                        batches.maybe_commit()
                        if progress:
                            progress(Progress(name, source.name, problems.bytes_read, size, records))
            open_ingest.append(batcher.take())
            open_ingest.records = records
            open_ingest.rejected = problems.count
            open_ingest.problems = [
                Problem(p.source.line, p.source.pointer, p.reason, p.excerpt) for p in problems.kept
            ]
        added = getattr(open_ingest, "added", {})
    except HydrawatchError as exc:
        return FileResult(name, "failed", source.name, message=str(exc))
    if progress:
        progress(Progress(name, source.name, size, size, records))
    log.info("ingested %s (%s): %d records, %d rejected", name, source.name, records, problems.count)
    return FileResult(name, "ingested", source.name, records, problems.count, added, problems.kept)


def _source_for(path: Path, force_format: str | None) -> Source:
    from hydrawatch.sources import BY_NAME, formats_help

    if force_format:
        if force_format not in BY_NAME:
            raise UnknownFormatError(f"unknown format {force_format!r}; understood formats:\n{formats_help()}")
        return BY_NAME[force_format]
    return detect(path, read_sample(path))


def _import_export_folder(store: Store, path: Path) -> FileResult:
    name = str(path)
    try:
        result = import_parquet(store, path)
    except HydrawatchError as exc:
        return FileResult(name, "failed", "hydrawatch-parquet", message=str(exc))
    if result.skipped:
        return FileResult(name, "skipped", "hydrawatch-parquet", message="this export was imported before; nothing to add")
    return FileResult(name, "ingested", "hydrawatch-parquet", sum(result.added.values()), 0, result.added)


class _Batches:
    """Commits a file's staged rows every ``commit_bytes`` of input (see FileIngest.checkpoint)."""

    def __init__(self, open_ingest: FileIngest, problems: ProblemLog, commit_bytes: int):
        self.open_ingest, self.problems, self.commit_bytes = open_ingest, problems, commit_bytes
        self.last = 0

    def maybe_commit(self) -> None:
        if self.commit_bytes and self.problems.bytes_read - self.last >= self.commit_bytes:
            self.open_ingest.checkpoint()
            self.last = self.problems.bytes_read


def _read_twarc_fast(
    path: Path,
    open_ingest: FileIngest,
    batcher: RecordBatcher,
    problems: ProblemLog,
    progress: Callable[[Progress], None] | None,
    size: int,
    batches: _Batches,
    processes: int,
) -> int:
    """twarc2 flattened tweets through the fast reader, with the exact reader for whatever the
    fast reader leaves (odd types, invalid JSON or UTF-8): the same rows either way.
    ``processes``: parse-ahead processes (0: parse here)."""
    name = str(path)
    records = 0
    reader_log = _HeldProblems()
    blocks = (_ReadBlock(block, reader_log.take(), reader_log.bytes_read) for block in iter_line_blocks(path, reader_log))
    prepared = prepared_blocks(blocks, lambda read: read.block, open_ingest.file_id, processes=processes)
    with closing(prepared):
        for read, pieces in prepared:
            read.report(problems)
            for prepared_piece in pieces:
                piece = prepared_piece.piece
                exact_lines: set[int] | None = None  # None: the whole piece
                if prepared_piece.staged is not None:
                    open_ingest.stage_twarc_table(prepared_piece.staged)
                    records += prepared_piece.records
                    exact_lines = set(prepared_piece.exact_lines.tolist())
                    if not exact_lines:
                        continue
                for line_number, line in piece.lines():
                    if (exact_lines is None or line_number in exact_lines) and line.strip():
                        for record in convert_json_line(line, SourceRef(name, line_number), problems, convert_flat_tweet):
                            batcher.add(record)
                            records += 1
            open_ingest.append(batcher.take())
            batches.maybe_commit()
            if progress:
                progress(Progress(name, TwarcFlatSource.name, problems.bytes_read, size, records))
    _report_held(reader_log.take(), reader_log.bytes_read, problems)  # reported at the end of the file
    return records


class _HeldProblems(ProblemLog):
    """What the block reader reports (over-long lines, damaged gzip), held until the block
    that follows it is staged: reading ahead then changes neither the order of the problems
    nor which of them the log keeps."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[SourceRef, str, bytes | str | None]] = []

    def bad(self, source: SourceRef, reason: str, raw: bytes | str | None = None) -> None:
        self.held.append((source, reason, raw))

    def take(self) -> list[tuple[SourceRef, str, bytes | str | None]]:
        held, self.held = self.held, []
        return held


@dataclass(frozen=True, slots=True)
class _ReadBlock:
    """A block as read, with the problems reported before it and how far the file was read."""

    block: LineBlock
    held: list[tuple[SourceRef, str, bytes | str | None]]
    bytes_read: int

    def report(self, problems: ProblemLog) -> None:
        _report_held(self.held, self.bytes_read, problems)


def _report_held(held: list[tuple[SourceRef, str, bytes | str | None]], bytes_read: int, problems: ProblemLog) -> None:
    for source, reason, raw in held:
        problems.bad(source, reason, raw)
    problems.bytes_read = bytes_read
