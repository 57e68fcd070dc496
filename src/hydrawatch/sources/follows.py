"""Follow edges as CSV: ``source_id,target_id[,created_at][,platform]`` with a header row.

``source_id`` follows ``target_id``. ``created_at`` is optional (ISO 8601 or epoch seconds);
``platform`` defaults to ``twitter``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from hydrawatch.core.errors import BadRecordError
from hydrawatch.core.model import Follow, Record, SourceRef

from .base import ProblemLog, Sample, iter_csv_rows
from .jsonlines import reason_for
from .times import parse_optional

DEFAULT_PLATFORM = "twitter"
REQUIRED = ("source_id", "target_id")
OPTIONAL = ("created_at", "platform")


def _header(line: str) -> list[str]:
    return [cell.strip().strip('"').lower() for cell in line.split(",")]


class FollowsCsvSource:
    name: ClassVar[str] = "follows-csv"
    description: ClassVar[str] = "follow edges CSV with header source_id,target_id[,created_at][,platform]"

    def sniff(self, sample: Sample) -> bool:
        header = _header(sample.first_line)
        return header[:2] == list(REQUIRED) and all(h in OPTIONAL for h in header[2:])

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        name = str(path)
        rows = iter_csv_rows(path, problems)
        header: list[str] | None = None
        for line, row in rows:
            if header is None:
                header = [cell.strip().lower() for cell in row]
                continue
            ref = SourceRef(name, line)
            try:
                yield _follow(dict(zip(header, row)), len(row), len(header), ref)
            except (BadRecordError, ValueError) as exc:
                problems.bad(ref, reason_for(exc), ",".join(row))


def _follow(cells: dict[str, str], width: int, expected: int, ref: SourceRef) -> Follow:
    if width != expected:
        raise BadRecordError(f"expected {expected} columns, found {width}")
    source_id = cells["source_id"].strip()
    target_id = cells["target_id"].strip()
    if not source_id or not target_id:
        raise BadRecordError("empty source_id or target_id")
    platform = (cells.get("platform") or "").strip() or DEFAULT_PLATFORM
    return Follow(platform, source_id, target_id, parse_optional(cells.get("created_at")), ref)
