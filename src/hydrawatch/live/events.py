"""Events in, returnee cases out: what ``POST /api/v1/events`` does, without HTTP.

A payload is one JSON object, a JSON array of objects, or newline-delimited JSON (NDJSON).
Each object is what ingest reads from a file line: a twarc2 flattened tweet, a twarc2 API
response page, or a compliance-stream event. Objects are parsed with the same converters as
ingest (:func:`~hydrawatch.sources.twarc.convert_flat_tweet`,
:func:`~hydrawatch.sources.twarc.convert_page`,
:func:`~hydrawatch.sources.compliance.convert_event`); one that fails is reported with its
position and reason, and the others go on.

Then, in order:

* every accepted object is appended to the spool (so ``hydrawatch live flush`` can ingest it);
* every user object updates the account's last known profile;
* ``user_suspend`` / ``user_delete`` add the account, as last known, to the online matcher
  (an account the stream never showed is looked up in the store in the background);
  ``user_unsuspend`` / ``user_undelete`` take it out again;
* an account seen for the first time whose creation is recent (``new_account_days`` before
  the tweet that shows it) is a sign-up: the matcher is asked whether it is a suspended
  account returning, and a match at or above ``case_threshold`` becomes a ``returnee`` case.
  A renamed recent account is asked again under its new handle.

Cases are returned to the caller at once and handed to the review database by a background
writer (:class:`CaseWriter`), so a busy review database never slows the API.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from hydrawatch.core.errors import BadRecordError, ConfigError
from hydrawatch.core.model import Case, Event, EventKind, Evidence, ProfileVersion, SourceRef
from hydrawatch.evasion.online import Identity, NewAccount
from hydrawatch.sources.compliance import convert_event
from hydrawatch.sources.jsonlines import RECORD_ERRORS, reason_for
from hydrawatch.sources.twarc import convert_flat_tweet, convert_page

from .matcher import LiveMatcher
from .spool import KnownProfile, Spool

log = logging.getLogger(__name__)

DETECTOR = "returnee-online"
DETECTOR_VERSION = "online-1"
ENDING = (EventKind.SUSPEND, EventKind.DELETE)
RETURNING = (EventKind.UNSUSPEND, EventKind.UNDELETE)


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """``new_account_days``: how soon after its creation an account first seen in the stream
    counts as a sign-up worth matching; ``case_threshold``: the matcher probability (or, with
    no trained sign-up ranker, handle similarity) from which a match becomes a case;
    ``max_events``: objects accepted per request; ``profile_cache``: profiles kept in memory
    (the rest are read back from the spool)."""

    new_account_days: float = 30.0
    case_threshold: float = 0.5
    similarity_threshold: float = 0.75
    max_events: int = 10_000
    profile_cache: int = 200_000

    def __post_init__(self) -> None:
        if not 0 < self.new_account_days <= 3650:
            raise ConfigError(f"new_account_days must be in (0, 3650], got {self.new_account_days}")
        for name in ("case_threshold", "similarity_threshold"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} is a probability: between 0 and 1, got {value}")
        if self.max_events < 1:
            raise ConfigError(f"max_events must be at least 1, got {self.max_events}")


class PayloadError(BadRecordError):
    """The request body is not JSON, a JSON array or NDJSON of objects at all."""


@dataclass
class EventsResult:
    received: int = 0
    accepted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    sign_ups_checked: int = 0
    suspensions: int = 0
    cases: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"received": self.received, "accepted": self.accepted, "by_kind": self.by_kind, "rejected": self.rejected,
                "sign_ups_checked": self.sign_ups_checked, "suspensions": self.suspensions, "cases": self.cases}


def split_payload(body: bytes) -> list[tuple[int, object]]:
    """The objects of a payload with their 1-based position (array index or NDJSON line).
    Lines that are not JSON come back as :class:`BadRecordError` values."""
    text = body.strip()
    if not text:
        raise PayloadError("the request body is empty: send a JSON object, a JSON array of objects, or NDJSON")
    if text[:1] in (b"[", b"{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
            if text[:1] == b"[":
                raise PayloadError("the request body is not valid JSON") from None
        if isinstance(value, list):
            return list(enumerate(value, 1))
        if isinstance(value, dict):
            return [(1, value)]
    items: list[tuple[int, object]] = []
    for number, line in enumerate(text.split(b"\n"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            items.append((number, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            items.append((number, BadRecordError(f"not valid JSON ({str(exc).splitlines()[0][:80]})")))
    return items


def kind_of(obj: dict) -> str:
    if isinstance(obj.get("data"), list):
        return "twarc2-pages"
    if "text" in obj and "id" in obj:
        return "twarc2-flat"
    return "twitter-compliance"


def convert(obj: dict, kind: str, source: SourceRef) -> list:
    if kind == "twarc2-flat":
        return convert_flat_tweet(obj, source)
    if kind == "twarc2-pages":
        from hydrawatch.sources.base import ProblemLog

        problems = ProblemLog()
        records = convert_page(obj, source, problems)
        if problems.count:
            raise BadRecordError(problems.kept[0].reason if problems.kept else "bad tweet in the page")
        return records
    return convert_event(obj, source)


class LiveEvents:
    """The event pipeline of one serving process (thread-safe)."""

    def __init__(self, spool: Spool, matcher: LiveMatcher, config: LiveConfig = LiveConfig()):
        self.spool = spool
        self.matcher = matcher
        self.config = config
        self._profiles: OrderedDict[tuple[str, str], KnownProfile] = OrderedDict()
        self._lock = threading.Lock()
        self.case_written = threading.Condition()

    # --- profiles -----------------------------------------------------------------------

    def _known(self, key: tuple[str, str]) -> KnownProfile | None:
        found = self._profiles.get(key)
        if found is not None:
            self._profiles.move_to_end(key)
            return found
        found = self.spool.profile(*key)
        if found is not None:
            self._cache(found)
        return found

    def _cache(self, profile: KnownProfile) -> None:
        key = (profile.platform, profile.account_id)
        self._profiles[key] = profile
        self._profiles.move_to_end(key)
        while len(self._profiles) > self.config.profile_cache:
            self._profiles.popitem(last=False)

    # --- the pipeline -------------------------------------------------------------------

    def process(self, body: bytes, sender: str) -> EventsResult:
        result = EventsResult()
        items = split_payload(body)
        result.received = len(items)
        if len(items) > self.config.max_events:
            raise PayloadError(f"{len(items):,} objects in one request; send at most {self.config.max_events:,} per request")
        parsed: list[tuple[str, bytes, list]] = []
        for position, obj in items:
            if isinstance(obj, BadRecordError):
                result.rejected.append({"position": position, "reason": str(obj)})
                continue
            if not isinstance(obj, dict):
                result.rejected.append({"position": position, "reason": f"expected a JSON object, found {type(obj).__name__}"})
                continue
            kind = kind_of(obj)
            try:
                records = convert(obj, kind, SourceRef("api", position))
            except RECORD_ERRORS as exc:
                result.rejected.append({"position": position, "reason": reason_for(exc)})
                continue
            parsed.append((kind, orjson.dumps(obj), records))
            result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
        result.accepted = len(parsed)
        if not parsed:
            return result
        with self._lock:
            changed: dict[tuple[str, str], KnownProfile] = {}
            found: list[tuple[str, dict]] = []
            for _, _, records in parsed:
                for record in records:
                    if isinstance(record, ProfileVersion):
                        self._on_profile(record, changed, found, result)
                    elif isinstance(record, Event):
                        self._on_event(record, changed, found, result)
            with self.spool.transaction() as con:
                Spool.append(con, [(kind, raw) for kind, raw, _ in parsed], sender)
                Spool.remember(con, changed.values())
                if found:
                    Spool.add_cases(con, found)
        if found:
            result.cases = [body for _, body in found]
            with self.case_written:
                self.case_written.notify_all()
        return result

    def _on_profile(self, profile: ProfileVersion, changed: dict, found: list, result: EventsResult) -> None:
        key = (profile.platform, profile.account_id)
        before = changed.get(key) or self._known(key)
        observed = profile.observed_at.timestamp() if profile.observed_at else None
        created = profile.created_at.timestamp() if profile.created_at else (before.created_at if before else None)
        handles = _with(before.handles if before else (), profile.username)
        names = _with(before.display_names if before else (), profile.display_name)
        queried = before.queried if before else False
        renamed = before is not None and bool(profile.username) and profile.username != (before.handles[-1] if before.handles else None)
        after = KnownProfile(profile.platform, profile.account_id, handles, names,
                             profile.bio if profile.bio is not None else (before.bio if before else ""),
                             profile.avatar_url if profile.avatar_url is not None else (before.avatar_url if before else ""),
                             created, observed if observed is not None else (before.observed_at if before else None), queried)
        if self._is_sign_up(after, observed) and (not queried or renamed):
            self._match(after, found, result)
            after = _replace(after, queried=True)
        changed[key] = after
        self._cache(after)

    def _is_sign_up(self, profile: KnownProfile, seen_at: float | None) -> bool:
        if profile.created_at is None:
            return False
        reference = seen_at if seen_at is not None else datetime.now(UTC).timestamp()
        age = reference - profile.created_at
        return -3600.0 <= age <= self.config.new_account_days * 86400

    def _on_event(self, event: Event, changed: dict, found: list, result: EventsResult) -> None:
        key = (event.platform, event.account_id)
        when = event.event_at.timestamp() if event.event_at else datetime.now(UTC).timestamp()
        if event.kind in ENDING:
            result.suspensions += 1
            known = changed.get(key) or self._known(key)
            if known is None or not (known.handles or known.display_names):
                self.matcher.look_up_later(event.platform, event.account_id, when)
                return
            self.matcher.add(Identity(event.platform, event.account_id, known.handles, known.display_names, known.bio,
                                      (known.avatar_url,) if known.avatar_url else (), when))
        elif event.kind in RETURNING:
            self.matcher.remove(event.platform, event.account_id)
        elif event.kind is EventKind.PROFILE_MODIFICATION and event.new_value:
            known = changed.get(key) or self._known(key)
            if known is None:
                return
            fields = {"screen_name": "username", "username": "username", "name": "display_name", "description": "bio"}
            target = fields.get((event.profile_field or "").lower())
            if target is None:
                return
            update = ProfileVersion(event.platform, event.account_id, event.event_at, **{target: event.new_value})
            self._on_profile(update, changed, found, result)

    def _match(self, profile: KnownProfile, found: list, result: EventsResult) -> None:
        result.sign_ups_checked += 1
        account = NewAccount(profile.platform, profile.account_id, profile.handles[-1] if profile.handles else "",
                             profile.display_names[-1] if profile.display_names else "", profile.bio, profile.avatar_url,
                             profile.created_at or 0.0)
        matches = self.matcher.query(account, limit=1)
        if not matches:
            return
        best = matches[0]
        threshold = self.config.case_threshold if self.matcher.matcher.ranker is not None else self.config.similarity_threshold
        if best.probability < threshold:
            return
        found.append(case_for(account, best, self.matcher.matcher.ranker is not None))


def case_for(account: NewAccount, match, ranked: bool) -> tuple[str, dict]:
    """A returnee case (its id and the JSON the API answers with) for a sign-up and its best
    match."""
    from hydrawatch.review import CaseType, case_id_of

    case = Case(CaseType.RETURNEE.value, account.platform, account.account_id, float(match.probability), DETECTOR, DETECTOR_VERSION,
                datetime.now(UTC), tuple(match.evidence), (match.old_account_id,))
    case_id = case_id_of(case)
    new_label = f"@{account.handle}" if account.handle else account.account_id
    old_label = f"@{match.old_handle}" if match.old_handle else match.old_account_id
    score = "probability" if ranked else "handle similarity"
    body = {
        "case_id": case_id, "case_type": case.case_type, "platform": case.subject_platform,
        "subject_account_id": case.subject_account_id, "subject_label": new_label,
        "related_account_ids": list(case.related_account_ids), "related_label": old_label,
        "probability": round(case.probability, 6), "score": score, "detector": DETECTOR, "detector_version": DETECTOR_VERSION,
        "summary": f"{new_label} may be {old_label} returning ({_when(match)})",
        "evidence": [{"signal": e.signal, "description": e.description, "value": _plain(e.value), "contribution": e.contribution}
                     for e in case.evidence],
    }
    return case_id, body


def case_from_body(body: dict) -> Case:
    evidence = tuple(Evidence(e["signal"], e["description"], e.get("value"), e.get("contribution")) for e in body["evidence"])
    return Case(body["case_type"], body["platform"], body["subject_account_id"], body["probability"], body["detector"],
                body["detector_version"], datetime.now(UTC), evidence, tuple(body["related_account_ids"]))


def _when(match) -> str:
    for item in match.evidence:
        if item.signal == "hours_after_end" and isinstance(item.value, (int, float)):
            return f"signed up {item.value:,.1f} h after the suspension"
    return "signed up after the suspension"


def _plain(value):
    if isinstance(value, float) and value != value:
        return None
    return value


def _with(values: tuple[str, ...], value: str | None) -> tuple[str, ...]:
    if not value:
        return values
    if values and values[-1] == value:
        return values
    return (*[v for v in values if v != value], value)[-8:]


def _replace(profile: KnownProfile, **changes) -> KnownProfile:
    from dataclasses import replace

    return replace(profile, **changes)


class CaseWriter:
    """Moves cases from the spool to the review database in the background, retrying while
    the review database is locked."""

    def __init__(self, events: LiveEvents, review_path: str, interval: float = 0.5):
        self.events = events
        self.review_path = review_path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.last_error = ""
        self._idle = threading.Event()

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="hydrawatch-case-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.events.case_written:
            self.events.case_written.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.write_pending()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.write_pending()
            with self.events.case_written:
                self.events.case_written.wait(self.interval)

    def write_pending(self) -> int:
        """Write every unwritten case now; returns how many were written."""
        import sqlite3

        from hydrawatch.review import ReviewStore

        pending = self.events.spool.unwritten_cases()
        if not pending:
            self._idle.set()
            return 0
        self._idle.clear()
        labels = {body["subject_account_id"]: body["subject_label"] for _, body in pending}
        summaries = {case_id: body["summary"] for case_id, body in pending}
        try:
            with ReviewStore(self.review_path) as review:
                review.upsert([case_from_body(body) for _, body in pending], labels, summaries, actor=DETECTOR)
        except (sqlite3.Error, ConfigError) as exc:
            self.last_error = str(exc)
            log.warning("review database busy or unusable (%s); %d cases wait in the spool", exc, len(pending))
            return 0
        self.events.spool.mark_written([case_id for case_id, _ in pending])
        self.written += len(pending)
        self.last_error = ""
        return len(pending)
