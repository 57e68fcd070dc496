"""Twitter compliance-stream events, one JSON object per line.

Accepted shapes (all seen in the wild)::

    {"user_suspend": {"user": {"id": "123"}, "event_at": "2015-03-01T12:00:00.000Z"}}
    {"data": {"user_suspend": {"user": {"id": "123"}, "event_at": "..."}}}        # v2 stream
    {"user_suspend": {"user": {"id": 123, "id_str": "123"}, "timestamp_ms": "..."}}  # v1.1
    {"user_profile_modification": {"user": {"id": "123"}, "profile_field": "screen_name",
                                   "new_value": "abu_x13", "event_at": "..."}}
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from hydrawatch.core.errors import BadRecordError
from hydrawatch.core.model import Event, EventKind, Record, SourceRef

from .base import ProblemLog, Sample
from .jsonlines import as_id, opt_str, read_json_lines, sample_objects
from .times import parse_any

PLATFORM = "twitter"
KINDS = {kind.value: kind for kind in EventKind}


def _event_body(obj: dict) -> tuple[EventKind, dict]:
    if "data" in obj and isinstance(obj["data"], dict):
        obj = obj["data"]
    for key, body in obj.items():
        kind = KINDS.get(key)
        if kind is not None:
            if not isinstance(body, dict):
                raise BadRecordError(f"{key} event body is not an object")
            return kind, body
    raise BadRecordError(f"no known compliance event kind among keys {sorted(obj)[:5]}")


class ComplianceSource:
    name: ClassVar[str] = "twitter-compliance"
    description: ClassVar[str] = (
        "Twitter compliance-stream events (user_suspend, user_protect, user_delete, "
        "user_profile_modification, ...), one JSON object per line"
    )

    def sniff(self, sample: Sample) -> bool:
        for obj in sample_objects(sample):
            try:
                _event_body(obj)
            except BadRecordError:
                continue
            return True
        return False

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        return read_json_lines(path, problems, convert_event)


def convert_event(obj: dict, source: SourceRef, problems: ProblemLog | None = None) -> list[Record]:
    kind, body = _event_body(obj)
    user = body.get("user")
    if not isinstance(user, dict):
        raise BadRecordError(f"{kind.value} event has no user object")
    account_id = as_id(user.get("id_str") or user.get("id"), "event user id")
    when = body.get("event_at") or body.get("timestamp_ms") or body.get("date")
    if when is None:
        raise BadRecordError(f"{kind.value} event has no event_at time")
    field = new_value = None
    if kind is EventKind.PROFILE_MODIFICATION:
        field = opt_str(body.get("profile_field"))
        new_value = opt_str(body.get("new_value"))
        if not field:
            raise BadRecordError("user_profile_modification event has no profile_field")
    return [Event(PLATFORM, account_id, kind, parse_any(when), field, new_value, source)]
