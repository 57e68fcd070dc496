"""Decided cases as flat records, for CSV and JSONL: what was decided about whom, on what
evidence. Moderators' names and reasons stay out unless asked for (``with_decisions``): they are
internal records, not intelligence to share."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO

import orjson

from hydrawatch.core.errors import ConfigError

CASE_COLUMNS = ("case_id", "case_type", "state", "platform", "subject_account_id", "subject_label", "related_account_ids",
                "probability", "priority", "detector", "detector_version", "summary", "evidence", "created_at", "updated_at", "decided_at")
DECISION_COLUMNS = ("decided_by", "decision_reason")
STATES = ("open", "confirmed", "dismissed", "escalated")


def check_states(states: Sequence[str]) -> tuple[str, ...]:
    """``all`` or known states; raises ConfigError naming the valid ones."""
    if "all" in states:
        return STATES
    unknown = sorted(set(states) - set(STATES))
    if unknown:
        raise ConfigError(f"unknown case state {', '.join(unknown)}; use {', '.join(STATES)} or all")
    return tuple(states)


def decided_cases(review, states: Sequence[str] = ("confirmed",), case_type: str | None = None) -> list:
    """Cases of the review store in ``states`` (highest priority first within each state)."""
    found = []
    for state in check_states(states):
        found.extend(review.queue(state=state, case_type=case_type, limit=2**62))
    return found


def last_decisions(review) -> dict:
    """case_id -> its latest Decision."""
    latest = {}
    for decision in review.decisions():
        latest[decision.case_id] = decision
    return latest


def case_records(cases: Iterable, decisions: dict | None = None, with_decisions: bool = False) -> list[dict]:
    """One flat dict per case (columns :data:`CASE_COLUMNS`, plus :data:`DECISION_COLUMNS` when
    ``with_decisions``)."""
    decisions = decisions or {}
    records = []
    for case in cases:
        decision = decisions.get(case.case_id)
        record = {
            "case_id": case.case_id, "case_type": case.case_type, "state": case.state, "platform": case.platform,
            "subject_account_id": case.subject_account_id, "subject_label": case.subject_label,
            "related_account_ids": list(case.related_account_ids), "probability": round(case.probability, 6),
            "priority": round(case.priority, 6), "detector": case.detector, "detector_version": case.detector_version,
            "summary": case.summary, "evidence": [dict(e) for e in case.evidence], "created_at": case.created_at,
            "updated_at": case.updated_at, "decided_at": decision.decided_at if decision else None,
        }
        if with_decisions:
            record["decided_by"] = decision.actor if decision else None
            record["decision_reason"] = decision.reason if decision else None
        records.append(record)
    return records


def write_jsonl(records: Iterable[dict], out: IO[bytes]) -> int:
    count = 0
    for record in records:
        out.write(orjson.dumps(record) + b"\n")
        count += 1
    return count


def write_csv(records: Sequence[dict], out: IO[bytes], columns: Sequence[str] = CASE_COLUMNS) -> int:
    """CSV with lists joined by spaces and evidence as ``signal: description`` lines joined by
    `` | ``. Cells that a spreadsheet would run as a formula (starting ``= + - @``) are prefixed
    with ``'``: the data is written by the people being investigated."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in columns])
    out.write(text.getvalue().encode("utf-8"))
    return len(records)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Cells that start like a formula but cannot be one: a handle, a signed number.
_PLAIN = re.compile(r"@[\w.]{1,64}|[+-]?\d+(\.\d+)?")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            value = " | ".join(f"{e.get('signal', '')}: {e.get('description', '')}" for e in value)
        else:
            value = " ".join(str(v) for v in value)
    text = str(value)
    if text[:1] in _FORMULA_START and not _PLAIN.fullmatch(text):
        text = "'" + text
    return text
