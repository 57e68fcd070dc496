"""The live spool: every event the API accepted, kept append-only in its own SQLite file.

Why a separate file: the event API must answer in milliseconds whatever else runs. The
analytical store (DuckDB) allows one writing process and may be busy with a batch job for
minutes; the review database is written by moderators and detectors. The spool is written by
the API alone, in WAL mode, one short transaction per request.

Besides the raw events (table ``events``, which refuses updates and deletes), the spool keeps
what the online matcher needs to remember between requests and restarts: the last known
profile of every account seen in the stream (``profiles``: a suspension event names only an
account id, the matcher needs its handles and names), and the returnee cases found, until
they are written to the review database (``cases``).

``hydrawatch live flush`` (:func:`hydrawatch.live.flush.flush_spool`) writes the events not
flushed before to JSONL files, one per input format, and ingests them into the store with the
normal ingest path; ``flushes`` records how far it got.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from hydrawatch.core.errors import ConfigError, HydrawatchError

SPOOL_SCHEMA_VERSION = 1
DEFAULT_SPOOL = "hydrawatch-live.sqlite"

#: The input formats the API accepts, named as ingest names them (hydrawatch formats).
KINDS = ("twarc2-flat", "twarc2-pages", "twitter-compliance")

_SCHEMA = f"""
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
INSERT OR IGNORE INTO meta VALUES ('spool_schema_version', '{SPOOL_SCHEMA_VERSION}');
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    sender TEXT NOT NULL,
    body BLOB NOT NULL          -- the object as received, compact JSON
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the live spool is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the live spool is append-only'); END;
CREATE TABLE IF NOT EXISTS flushes (
    flush_id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    files TEXT NOT NULL,        -- JSON list
    flushed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS profiles (
    platform TEXT NOT NULL,
    account_id TEXT NOT NULL,
    handles TEXT NOT NULL,       -- JSON list, newest last
    display_names TEXT NOT NULL, -- JSON list, newest last
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT '',
    created_at REAL,             -- epoch seconds, when the platform says
    observed_at REAL,
    queried INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, account_id)
);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    found_at TEXT NOT NULL,
    written_at TEXT
);
CREATE INDEX IF NOT EXISTS cases_unwritten ON cases (written_at) WHERE written_at IS NULL;
"""


class SpoolError(HydrawatchError):
    """The spool cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class SpooledEvent:
    seq: int
    kind: str
    body: bytes


@dataclass(frozen=True, slots=True)
class KnownProfile:
    """What the stream said last about an account."""

    platform: str
    account_id: str
    handles: tuple[str, ...]
    display_names: tuple[str, ...]
    bio: str
    avatar_url: str
    created_at: float | None
    observed_at: float | None
    queried: bool


class Spool:
    """One spool file. Thread-safe: one connection, used under a lock (requests are short)."""

    def __init__(self, path: str | Path = DEFAULT_SPOOL):
        self.path = str(path)
        self._con: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def __enter__(self) -> Spool:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> Spool:
        if self._con is None:
            try:
                self._con = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
                self._con.executescript(_SCHEMA)
            except sqlite3.Error as exc:
                raise SpoolError(f"cannot open the live spool {self.path}: {exc}") from exc
            version = self._con.execute("SELECT value FROM meta WHERE key = 'spool_schema_version'").fetchone()[0]
            if int(version) != SPOOL_SCHEMA_VERSION:
                raise ConfigError(f"{self.path} is live spool v{version}; this hydrawatch uses v{SPOOL_SCHEMA_VERSION}: flush it with the "
                                  "hydrawatch that wrote it, then start a new spool file")
        return self

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    @property
    def con(self) -> sqlite3.Connection:
        if self._con is None:
            raise SpoolError("the live spool is not open")
        return self._con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            con = self.con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # --- writing (the API) --------------------------------------------------------------

    @staticmethod
    def append(con: sqlite3.Connection, events: Iterable[tuple[str, bytes]], sender: str) -> None:
        """Append events ``(kind, compact JSON)`` inside a :meth:`transaction`."""
        now = _now()
        con.executemany("INSERT INTO events (received_at, kind, sender, body) VALUES (?, ?, ?, ?)",
                        [(now, kind, sender, body) for kind, body in events])

    @staticmethod
    def remember(con: sqlite3.Connection, profiles: Iterable[KnownProfile]) -> None:
        con.executemany(
            "INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, account_id) DO UPDATE SET"
            " handles = excluded.handles, display_names = excluded.display_names, bio = excluded.bio,"
            " avatar_url = excluded.avatar_url, created_at = coalesce(excluded.created_at, profiles.created_at),"
            " observed_at = excluded.observed_at, queried = max(profiles.queried, excluded.queried)",
            [(p.platform, p.account_id, orjson.dumps(p.handles).decode(), orjson.dumps(p.display_names).decode(), p.bio,
              p.avatar_url, p.created_at, p.observed_at, int(p.queried)) for p in profiles],
        )

    @staticmethod
    def add_cases(con: sqlite3.Connection, cases: Iterable[tuple[str, dict]]) -> None:
        con.executemany("INSERT OR REPLACE INTO cases (case_id, body, found_at) VALUES (?, ?, ?)",
                        [(case_id, orjson.dumps(body).decode(), _now()) for case_id, body in cases])

    # --- reading ------------------------------------------------------------------------

    def profile(self, platform: str, account_id: str) -> KnownProfile | None:
        with self._lock:
            row = self.con.execute(
                "SELECT platform, account_id, handles, display_names, bio, avatar_url, created_at, observed_at, queried"
                " FROM profiles WHERE platform = ? AND account_id = ?", (platform, account_id)
            ).fetchone()
        if row is None:
            return None
        return KnownProfile(row[0], row[1], tuple(orjson.loads(row[2])), tuple(orjson.loads(row[3])), row[4], row[5], row[6], row[7], bool(row[8]))

    def unwritten_cases(self, limit: int = 500) -> list[tuple[str, dict]]:
        with self._lock:
            rows = self.con.execute("SELECT case_id, body FROM cases WHERE written_at IS NULL ORDER BY found_at LIMIT ?", (limit,)).fetchall()
        return [(case_id, orjson.loads(body)) for case_id, body in rows]

    def mark_written(self, case_ids: list[str]) -> None:
        with self.transaction() as con:
            con.executemany("UPDATE cases SET written_at = ? WHERE case_id = ?", [(_now(), c) for c in case_ids])

    def last_flushed_seq(self) -> int:
        with self._lock:
            return self.con.execute("SELECT coalesce(max(last_seq), 0) FROM flushes").fetchone()[0]

    def events_after(self, seq: int, batch: int = 10_000) -> Iterator[SpooledEvent]:
        """Events with a sequence number above ``seq``, in order, read in batches."""
        while True:
            with self._lock:
                rows = self.con.execute("SELECT seq, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                yield SpooledEvent(row[0], row[1], bytes(row[2]))
            seq = rows[-1][0]

    def record_flush(self, first_seq: int, last_seq: int, files: list[str]) -> None:
        with self.transaction() as con:
            con.execute("INSERT INTO flushes (first_seq, last_seq, files, flushed_at) VALUES (?, ?, ?, ?)",
                        (first_seq, last_seq, orjson.dumps(files).decode(), _now()))

    def stats(self) -> dict:
        with self._lock:
            con = self.con
            by_kind = dict(con.execute("SELECT kind, count(*) FROM events GROUP BY 1").fetchall())
            last_seq = con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            flushed = con.execute("SELECT coalesce(max(last_seq), 0) FROM flushes").fetchone()[0]
            profiles = con.execute("SELECT count(*) FROM profiles").fetchone()[0]
            cases = con.execute("SELECT count(*), count(written_at) FROM cases").fetchone()
        return {"events": sum(by_kind.values()), "by_kind": by_kind, "last_seq": last_seq, "flushed_up_to": flushed,
                "unflushed": last_seq - flushed, "profiles": profiles, "cases": cases[0], "cases_unwritten": cases[0] - cases[1]}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
