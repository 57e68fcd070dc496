"""The few store reads the report makes itself (everything else comes from the detectors'
public functions). Each takes a DuckDB connection and returns plain Python values."""

from __future__ import annotations

from datetime import datetime

import duckdb
import orjson


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    first, last = con.execute("SELECT min(created_at), max(created_at) FROM posts").fetchall()[0]
    return first, last


def activity_per_day(con: duckdb.DuckDBPyConnection) -> list[tuple[datetime, int, int, int]]:
    """``(day, posts, accounts posting, suspensions)`` per day of the data."""
    return con.execute(
        """
        WITH p AS (SELECT date_trunc('day', created_at) AS day, count(*) AS posts, count(DISTINCT account_id) AS posting
                   FROM posts WHERE created_at IS NOT NULL GROUP BY 1),
             s AS (SELECT date_trunc('day', event_at) AS day, count(*) AS suspensions
                   FROM events WHERE kind = 'user_suspend' AND event_at IS NOT NULL GROUP BY 1)
        SELECT coalesce(p.day, s.day) AS day, coalesce(posts, 0), coalesce(posting, 0), coalesce(suspensions, 0)
        FROM p FULL OUTER JOIN s USING (day) ORDER BY 1
        """
    ).fetchall()


def saved_lineages(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The returnee detector's saved identities (``hydrawatch returnees``), one dict per account
    in chain order: identity, platform, account_id, position, confidence, evidence (list),
    ended_at (when it was suspended or deleted, if it was), appeared_at, followers (latest)."""
    rows = con.execute(
        """
        WITH appeared AS (
            SELECT platform, account_id, min(coalesce(created_at, valid_from)) AS at FROM profiles GROUP BY ALL
        ), followers AS (
            SELECT platform, account_id, arg_max(followers_count, observed_at) AS n FROM metrics GROUP BY ALL
        )
        SELECT i.identity_id, i.platform, i.account_id, i.position, i.confidence, i.evidence,
               CASE WHEN s.status IN ('suspended', 'deleted') THEN s.status_since END AS ended_at,
               s.status, coalesce(ap.at, a.first_seen_at) AS appeared_at, f.n
        FROM identities i
        LEFT JOIN account_status s USING (platform, account_id)
        LEFT JOIN appeared ap USING (platform, account_id)
        LEFT JOIN accounts a USING (platform, account_id)
        LEFT JOIN followers f USING (platform, account_id)
        WHERE i.method = 'returnee'
        ORDER BY i.identity_id, i.position
        """
    ).fetchall()
    out = []
    for identity, platform, account, position, confidence, evidence, ended_at, status, appeared_at, followers in rows:
        out.append({
            "identity": identity, "platform": platform, "account_id": account, "position": position, "confidence": confidence,
            "evidence": orjson.loads(evidence) if evidence else [], "ended_at": ended_at, "status": status,
            "appeared_at": appeared_at, "followers": followers,
        })
    return out


def post_texts(con: duckdb.DuckDBPyConnection, post_ids: list[str]) -> dict[str, tuple[str, str]]:
    """``post_id -> (account_id, text)`` for the given posts."""
    if not post_ids:
        return {}
    rows = con.execute("SELECT post_id, any_value(account_id), any_value(text) FROM posts WHERE post_id IN (SELECT unnest(?)) GROUP BY 1",
                       [post_ids]).fetchall()
    return {post: (account, text or "") for post, account, text in rows}
