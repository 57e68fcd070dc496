"""Input formats. Each module reads one format into core records; :func:`detect` picks the
module for a file by looking at its first bytes (never by its name alone)."""

from __future__ import annotations

from pathlib import Path

from hydrawatch.core.errors import UnknownFormatError

from .activitypub import ActivityPubSource
from .base import BadRecord, ProblemLog, Sample, Source, read_sample
from .compliance import ComplianceSource
from .follows import FollowsCsvSource
from .kaggle import KaggleIsisSource
from .telegram import TelegramExportSource
from .twarc import TwarcFlatSource, TwarcPagesSource

#: Every record source, most specific sniff first. Registry names are stored with each ingest:
#: never rename one.
SOURCES: tuple[Source, ...] = (
    ComplianceSource(),
    TwarcPagesSource(),
    TwarcFlatSource(),
    TelegramExportSource(),
    ActivityPubSource(),
    FollowsCsvSource(),
    KaggleIsisSource(),
)

BY_NAME: dict[str, Source] = {source.name: source for source in SOURCES}


def formats_help() -> str:
    """One line per understood format, for --help and error messages."""
    return "\n".join(f"  {source.name}: {source.description}" for source in SOURCES)


def detect(path: Path, sample: Sample | None = None) -> Source:
    """The source that reads ``path``, or UnknownFormatError naming the formats understood."""
    sample = sample or read_sample(path)
    for source in SOURCES:
        if source.sniff(sample):
            return source
    if sample.head.startswith(b"PAR1"):
        raise UnknownFormatError(
            f"{path}: a Parquet file. hydrawatch imports its own Parquet exports as a whole folder "
            "(the folder with manifest.json that `hydrawatch export --out DIR` writes)."
        )
    what = "is empty" if not sample.head.strip() and not sample.is_dir else f"starts with {sample.first_line[:40]!r}"
    names = ", ".join([*(source.name for source in SOURCES), "hydrawatch-parquet"])
    raise UnknownFormatError(
        f"not a format hydrawatch understands (the file {what}). "
        f"Understood formats: {names}; `hydrawatch formats` describes each."
    )


__all__ = ["BY_NAME", "SOURCES", "BadRecord", "ProblemLog", "Sample", "Source", "detect", "formats_help", "read_sample"]
