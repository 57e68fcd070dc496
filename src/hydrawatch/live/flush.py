"""Move spooled events into the store: JSONL files in the formats ingest reads, then the normal
ingest path (the same readers, the same de-duplication, the same bookkeeping).

A flush covers the events after the last recorded flush, up to the newest. Its files are named
by that range (``live-000000000001-000000004096-twitter-compliance.jsonl``), and their
contents depend on the range alone, so a flush interrupted between writing, ingesting and
recording is simply done again: ingest skips a file whose contents it has seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hydrawatch.ingest import FileResult, ingest_file
from hydrawatch.store.duck import Store

from .spool import KINDS, Spool

log = logging.getLogger(__name__)


@dataclass
class FlushResult:
    first_seq: int = 0
    last_seq: int = 0
    events: int = 0
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]


def write_flush_files(spool: Spool, out_dir: Path) -> tuple[int, int, int, list[tuple[str, Path]]]:
    """The unflushed events as JSONL files, one per format; returns (first seq, last seq,
    events, [(format, path)])."""
    out_dir.mkdir(parents=True, exist_ok=True)
    after = spool.last_flushed_seq()
    first = last = count = 0
    handles: dict[str, object] = {}
    tmp_of = {kind: out_dir / f".live-after-{after:012d}-{kind}.jsonl.tmp" for kind in KINDS}
    try:
        for event in spool.events_after(after):  # streamed: a spool may hold millions
            first = first or event.seq
            last = event.seq
            count += 1
            if event.kind not in handles:
                handles[event.kind] = open(tmp_of[event.kind], "wb")
            handles[event.kind].write(event.body + b"\n")
    finally:
        for handle in handles.values():
            handle.close()
    written = []
    for kind in KINDS:
        if kind in handles:
            path = out_dir / f"live-{first:012d}-{last:012d}-{kind}.jsonl"
            tmp_of[kind].replace(path)
            written.append((kind, path))
    return first, last, count, written


def flush_spool(spool: Spool, store: Store, out_dir: Path) -> FlushResult:
    """Write the unflushed events and ingest them; the flush is recorded only when every file
    was ingested (or had been before)."""
    first, last, count, written = write_flush_files(spool, out_dir)
    result = FlushResult(first, last, count)
    for kind, path in written:
        result.files.append(ingest_file(store, path, force_format=kind))
    if written and not result.failed:
        spool.record_flush(first, last, [str(path) for _, path in written])
        log.info("flushed events %d-%d (%d) into %s", first, last, count, store.path)
    return result
