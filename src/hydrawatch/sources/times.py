"""Timestamps as platforms write them, parsed to timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from hydrawatch.core.errors import BadRecordError

_TWITTER_V1 = "%a %b %d %H:%M:%S %z %Y"
_KAGGLE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def parse_iso(value: str) -> datetime:
    """ISO 8601 as the Twitter v2 API, ActivityPub and Telegram write it ('2015-03-01T12:34:56.000Z').
    A time without a zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise BadRecordError(f"not an ISO 8601 time: {value!r:.60}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_epoch(value: str | int | float) -> datetime:
    """Seconds since 1970 (milliseconds when the number is too large to be seconds)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise BadRecordError(f"not an epoch time: {value!r:.60}") from exc
    if seconds > 1e11:  # milliseconds (compliance-stream timestamp_ms)
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadRecordError(f"epoch time out of range: {value!r:.60}") from exc


def parse_any(value: object) -> datetime:
    """ISO 8601, epoch seconds/milliseconds, the Twitter v1.1 form, or the Kaggle 'M/D/YYYY H:MM'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_epoch(value)
    if not isinstance(value, str) or not value.strip():
        raise BadRecordError(f"missing or empty time: {value!r:.60}")
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return parse_epoch(text)
    if text[0].isdigit() and "-" in text[:5]:
        return parse_iso(text)
    return _parse_formats(text)


@lru_cache(maxsize=65536)
def _parse_formats(text: str) -> datetime:
    for fmt in (_TWITTER_V1, *_KAGGLE_FORMATS):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise BadRecordError(f"unrecognised time: {text!r:.60}")


def parse_optional(value: object) -> datetime | None:
    """Like parse_any, but None/empty gives None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_any(value)
