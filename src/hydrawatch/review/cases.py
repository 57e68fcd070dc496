"""Cases for humans to decide, their decisions, and an append-only audit log, in SQLite.

Why SQLite and not the analytical store: the console must never wait on a batch job, and
DuckDB lets one process write a file at a time. Review state is small, transactional and
read-mostly; SQLite in WAL mode suits it.

A case is a detector's proposal: a type, a subject account, related accounts, a calibrated
probability, the evidence, and which detector and version made it. Its ``case_id`` is a
digest of type, subject and related accounts, so re-running a detector updates open cases
instead of duplicating them, and never reopens a case a person has decided. Every decision is
recorded with who, when and why; the audit log is hash-chained and the database refuses to
change or delete its rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from hydrawatch.core.errors import ConfigError, HydrawatchError
from hydrawatch.core.model import Case, Evidence

DEFAULT_REVIEW_DB = "hydrawatch-review.sqlite"
REVIEW_SCHEMA_VERSION = 1


class CaseType(StrEnum):
    """What a case proposes. The values are stored: never rename one.

    What each type's ``related_account_ids`` and evidence hold, so the console can lay it out:

    * ``returnee``: the subject is a new account, ``related_account_ids[0]`` the ended account
      it may be (side by side, handle diff, time since the end, lineage).
    * ``network_account``: the subject may belong to a network; related accounts are the
      network accounts it is closest to.
    * ``known_content``: the subject posted content matching a hash bank (PDQ, MinHash);
      cite the matching posts (see :data:`CITED_POST_SIGNALS`) so their media is shown, blurred.
    * ``threat``: a post of the subject threatens platform staff; cite the post. Always first
      in the queue (:data:`TOP_PRIORITY`).
    * ``private_flip``: the subject went from protected to public (often just before a
      release); the console shows its status history.
    * ``mass_rename``: the subject and ``related_account_ids`` changed handles together; the
      console shows each account's handles before and after.
    """

    RETURNEE = "returnee"
    NETWORK_ACCOUNT = "network_account"
    KNOWN_CONTENT = "known_content"
    THREAT = "threat"
    PRIVATE_FLIP = "private_flip"
    MASS_RENAME = "mass_rename"

    @property
    def label(self) -> str:
        """How people call it (console, reports)."""
        return CASE_TYPE_LABELS[self]


CASE_TYPE_LABELS = {
    CaseType.RETURNEE: "returnee",
    CaseType.NETWORK_ACCOUNT: "network account",
    CaseType.KNOWN_CONTENT: "known-content match",
    CaseType.THREAT: "threat to staff",
    CaseType.PRIVATE_FLIP: "private-to-public flip",
    CaseType.MASS_RENAME: "mass rename",
}

#: Evidence signals whose value names what the case is about: a post id (a threatening post,
#: a post whose text or media matched a hash bank) or a picture URL (a matched avatar). Signals
#: starting with ``bank_`` (hash-bank matches: ``bank_pdq``, ``bank_text_minhash``) count too.
#: The console shows these posts and pictures, media blurred.
CITED_POST_SIGNALS = frozenset({"post", "post_id", "threat_post", "matched_post", "threat_cues"})
CITED_SIGNAL_PREFIXES = ("bank_",)


def cited_items(evidence: Iterable[dict]) -> tuple[list[str], list[str]]:
    """(post ids, picture URLs) that a case's evidence cites, first mention first."""
    posts: dict[str, None] = {}
    pictures: dict[str, None] = {}
    for item in evidence:
        signal, value = str(item.get("signal") or ""), item.get("value")
        if value in (None, "") or not (signal in CITED_POST_SIGNALS or signal.startswith(CITED_SIGNAL_PREFIXES)):
            continue
        text = str(value)
        if text.startswith(("http://", "https://")):
            pictures[text] = None
        elif not isinstance(value, float):  # a score, not an id
            posts[text] = None
    return list(posts), list(pictures)


class CaseState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"


class Action(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"
    REOPEN = "reopen"


_STATE_AFTER = {Action.CONFIRM: CaseState.CONFIRMED, Action.DISMISS: CaseState.DISMISSED,
                Action.ESCALATE: CaseState.ESCALATED, Action.REOPEN: CaseState.OPEN}

#: How much a case type weighs in the queue: priority = severity x probability. Known
#: propaganda content first, then returns and the rest.
SEVERITY = {CaseType.THREAT: 10.0, CaseType.KNOWN_CONTENT: 4.0, CaseType.RETURNEE: 3.0,
            CaseType.NETWORK_ACCOUNT: 2.0, CaseType.PRIVATE_FLIP: 2.0, CaseType.MASS_RENAME: 1.5}
#: Types that come before every other case whatever their probability (a person may be in
#: danger): their priority is raised above the highest any other type can reach.
TOP_PRIORITY = frozenset({CaseType.THREAT})
_TOP_PRIORITY_FLOOR = 1.0 + max(weight for case_type, weight in SEVERITY.items() if case_type not in TOP_PRIORITY)


class ReviewError(HydrawatchError):
    """A review operation that cannot be done (unknown case, invalid transition)."""


@dataclass(frozen=True, slots=True)
class StoredCase:
    case_id: str
    case_type: str
    platform: str
    subject_account_id: str
    related_account_ids: tuple[str, ...]
    probability: float
    priority: float
    state: str
    detector: str
    detector_version: str
    evidence: tuple[dict, ...]
    created_at: str
    updated_at: str
    subject_label: str
    summary: str


@dataclass(frozen=True, slots=True)
class Decision:
    case_id: str
    actor: str
    action: str
    reason: str
    decided_at: str


def case_id_of(case: Case) -> str:
    key = "|".join([case.case_type, case.subject_platform, case.subject_account_id, *sorted(case.related_account_ids)])
    return "case-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def priority_of(case_type: str, probability: float) -> float:
    """Severity x calibrated probability; top-priority types (threats to staff) are lifted
    above anything else, and among themselves still ordered by probability."""
    try:
        kind = CaseType(case_type)
    except ValueError as exc:
        raise ReviewError(f"unknown case type {case_type!r}; use one of: {', '.join(t.value for t in CaseType)}") from exc
    priority = SEVERITY[kind] * probability
    if kind in TOP_PRIORITY:
        priority += _TOP_PRIORITY_FLOOR
    return round(priority, 6)


_SCHEMA = f"""
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR IGNORE INTO meta VALUES ('schema_version', '{REVIEW_SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    case_type TEXT NOT NULL,
    platform TEXT NOT NULL,
    subject_account_id TEXT NOT NULL,
    related_account_ids TEXT NOT NULL,  -- JSON list
    probability REAL NOT NULL,
    priority REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    detector TEXT NOT NULL,
    detector_version TEXT NOT NULL,
    evidence TEXT NOT NULL,  -- JSON list of {{signal, description, value, contribution}}
    subject_label TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_queue ON cases (state, priority DESC);
CREATE INDEX IF NOT EXISTS cases_subject ON cases (platform, subject_account_id);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES cases (case_id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


class ReviewStore:
    """Cases, decisions and the audit log in one SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | Path = DEFAULT_REVIEW_DB):
        self.path = str(path)
        self._con: sqlite3.Connection | None = None

    def __enter__(self) -> ReviewStore:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> ReviewStore:
        if self._con is None:
            self._con = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self._con.row_factory = sqlite3.Row
            self._con.executescript(_SCHEMA)
            version = self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            if int(version) != REVIEW_SCHEMA_VERSION:
                raise ConfigError(f"{self.path} has review schema v{version}; this hydrawatch uses v{REVIEW_SCHEMA_VERSION}")
        return self

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> sqlite3.Connection:
        if self._con is None:
            raise ReviewError("the review store is not open")
        return self._con

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # --- writing ------------------------------------------------------------------------

    def upsert(self, cases: Iterable[Case], labels: dict[str, str] | None = None, summaries: dict[str, str] | None = None,
               actor: str = "detector") -> dict[str, int]:
        """Add new cases and refresh open ones (probability, evidence); decided cases stay as
        they were decided. Returns counts of added, updated and kept cases."""
        labels, summaries = labels or {}, summaries or {}
        now = _now()
        counts = {"added": 0, "updated": 0, "unchanged_decided": 0}
        with self._transaction() as con:
            for case in cases:
                case_id = case_id_of(case)
                evidence = json.dumps([_evidence_dict(e) for e in case.evidence], ensure_ascii=False)
                row = con.execute("SELECT state FROM cases WHERE case_id = ?", (case_id,)).fetchone()
                values = (case.probability, priority_of(case.case_type, case.probability), case.detector, case.detector_version,
                          evidence, labels.get(case.subject_account_id, ""), summaries.get(case_id, summaries.get(case.subject_account_id, "")))
                if row is None:
                    con.execute(
                        "INSERT INTO cases (case_id, case_type, platform, subject_account_id, related_account_ids, probability, priority,"
                        " detector, detector_version, evidence, subject_label, summary, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (case_id, case.case_type, case.subject_platform, case.subject_account_id,
                         json.dumps(list(case.related_account_ids)), *values, now, now),
                    )
                    counts["added"] += 1
                    self._audit(con, actor, "case_created", case_id, {"type": case.case_type, "probability": case.probability})
                elif row["state"] == CaseState.OPEN:
                    con.execute(
                        "UPDATE cases SET probability = ?, priority = ?, detector = ?, detector_version = ?, evidence = ?,"
                        " subject_label = ?, summary = ?, updated_at = ? WHERE case_id = ?",
                        (*values, now, case_id),
                    )
                    counts["updated"] += 1
                else:
                    counts["unchanged_decided"] += 1
        return counts

    def decide(self, case_id: str, actor: str, action: str, reason: str = "") -> StoredCase:
        """Record a person's decision on a case (confirm, dismiss, escalate, reopen)."""
        try:
            verb = Action(action)
        except ValueError as exc:
            raise ReviewError(f"unknown action {action!r}; use one of: {', '.join(a.value for a in Action)}") from exc
        if not actor:
            raise ReviewError("a decision needs the name of who made it")
        now = _now()
        with self._transaction() as con:
            row = con.execute("SELECT state FROM cases WHERE case_id = ?", (case_id,)).fetchone()
            if row is None:
                raise ReviewError(f"no case {case_id}")
            if verb is Action.REOPEN and row["state"] == CaseState.OPEN:
                raise ReviewError(f"{case_id} is already open")
            state = _STATE_AFTER[verb]
            con.execute("UPDATE cases SET state = ?, updated_at = ? WHERE case_id = ?", (state.value, now, case_id))
            con.execute("INSERT INTO decisions (case_id, actor, action, reason, decided_at) VALUES (?, ?, ?, ?, ?)",
                        (case_id, actor, verb.value, reason, now))
            self._audit(con, actor, f"case_{verb.value}", case_id, {"from": row["state"], "to": state.value, "reason": reason})
        return self.get(case_id)

    def audit(self, actor: str, action: str, obj: str, details: dict | None = None) -> None:
        """Record something else worth auditing (logins, user changes, exports)."""
        with self._transaction() as con:
            self._audit(con, actor, action, obj, details or {})

    def _audit(self, con: sqlite3.Connection, actor: str, action: str, obj: str, details: dict) -> None:
        previous = con.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        previous_hash = previous[0] if previous else "genesis"
        at = _now()
        body = json.dumps([at, actor, action, obj, details, previous_hash], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(body.encode()).hexdigest()
        con.execute("INSERT INTO audit_log (at, actor, action, object, details, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (at, actor, action, obj, json.dumps(details, ensure_ascii=False, sort_keys=True), previous_hash, digest))

    # --- reading ------------------------------------------------------------------------

    def get(self, case_id: str) -> StoredCase:
        row = self.con.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        if row is None:
            raise ReviewError(f"no case {case_id}")
        return _stored(row)

    def queue(self, state: str | None = "open", case_type: str | None = None, min_probability: float = 0.0,
              search: str | None = None, limit: int = 100, offset: int = 0) -> list[StoredCase]:
        """Cases by priority, highest first."""
        clauses, params = ["probability >= ?"], [min_probability]
        if state:
            clauses.append("state = ?")
            params.append(state)
        if case_type:
            clauses.append("case_type = ?")
            params.append(case_type)
        if search:
            clauses.append("(subject_label LIKE ? OR subject_account_id LIKE ? OR summary LIKE ?)")
            params += [f"%{search}%"] * 3
        rows = self.con.execute(
            f"SELECT * FROM cases WHERE {' AND '.join(clauses)} ORDER BY priority DESC, created_at, case_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_stored(row) for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for case_type, state, n in self.con.execute("SELECT case_type, state, count(*) FROM cases GROUP BY 1, 2"):
            out.setdefault(case_type, {})[state] = n
        return out

    def decisions(self, case_id: str | None = None) -> list[Decision]:
        query = "SELECT case_id, actor, action, reason, decided_at FROM decisions"
        rows = self.con.execute(query + (" WHERE case_id = ? ORDER BY decision_id" if case_id else " ORDER BY decision_id"),
                                (case_id,) if case_id else ()).fetchall()
        return [Decision(*row) for row in rows]

    def audit_entries(self, limit: int = 100, obj: str | None = None) -> list[dict]:
        query = "SELECT seq, at, actor, action, object, details, hash FROM audit_log"
        rows = self.con.execute(query + (" WHERE object = ?" if obj else "") + " ORDER BY seq DESC LIMIT ?",
                                ((obj, limit) if obj else (limit,))).fetchall()
        return [dict(row) | {"details": json.loads(row["details"])} for row in rows]

    def verify_audit_chain(self) -> bool:
        """Recompute the hash chain: False if any row was altered outside hydrawatch."""
        previous_hash = "genesis"
        for row in self.con.execute("SELECT at, actor, action, object, details, previous_hash, hash FROM audit_log ORDER BY seq"):
            if row["previous_hash"] != previous_hash:
                return False
            body = json.dumps([row["at"], row["actor"], row["action"], row["object"], json.loads(row["details"]), previous_hash],
                              sort_keys=True, ensure_ascii=False)
            if hashlib.sha256(body.encode()).hexdigest() != row["hash"]:
                return False
            previous_hash = row["hash"]
        return True

    def labelled(self, case_type: str) -> list[tuple[StoredCase, int]]:
        """Decided cases as training labels: confirmed = 1, dismissed = 0 (escalated cases are
        not labels: someone else decides them)."""
        rows = self.con.execute("SELECT * FROM cases WHERE case_type = ? AND state IN ('confirmed', 'dismissed')", (case_type,)).fetchall()
        return [(_stored(row), int(row["state"] == CaseState.CONFIRMED)) for row in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _evidence_dict(evidence: Evidence) -> dict:
    value = evidence.value
    if isinstance(value, float) and value != value:  # NaN: unknown, and not valid JSON
        value = None
    elif not (isinstance(value, (int, float, str)) or value is None):
        value = str(value)
    return {"signal": evidence.signal, "description": evidence.description, "value": value, "contribution": evidence.contribution}


def _stored(row: sqlite3.Row) -> StoredCase:
    return StoredCase(
        row["case_id"], row["case_type"], row["platform"], row["subject_account_id"], tuple(json.loads(row["related_account_ids"])),
        row["probability"], row["priority"], row["state"], row["detector"], row["detector_version"],
        tuple(json.loads(row["evidence"])), row["created_at"], row["updated_at"], row["subject_label"], row["summary"],
    )
