"""Links that accounts put in front of their readers, read from the store for the out-link and
migration analysis (:mod:`hydrawatch.network.migration`): every URL in a post and every
profile (bio) URL, with who, when, and where it came from. Plain Arrow out; the classifier
of destinations never sees SQL.

A repost carries the links of the post it repeats; those rows are kept (``post_kind`` says
``repost``) because passing a channel on is part of a migration too, but they name the
reposter, not the author of the announcement.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


def posted_links(con: duckdb.DuckDBPyConnection, platform: str | None = None) -> pa.Table:
    """One row per URL entity of a post: ``platform, account_id, post_id, post_kind, created_at,
    url`` (the URL as the source gave it: expanded where the export expanded it)."""
    where = "AND p.platform = $platform" if platform else ""
    return con.sql(
        f"""
        SELECT p.platform, p.account_id, p.post_id, p.kind AS post_kind, p.created_at, e.value AS url,
               p.source_file, p.source_line
        FROM entities e JOIN posts p ON p.platform = e.platform AND p.post_id = e.post_id
        WHERE e.kind = 'url' AND e.value IS NOT NULL AND e.value <> '' {where}
        ORDER BY p.created_at, p.post_id, e.position
        """,
        params={"platform": platform} if platform else None,
    ).to_arrow_table()


def profile_links(con: duckdb.DuckDBPyConnection, platform: str | None = None) -> pa.Table:
    """Every distinct profile URL an account showed: ``platform, account_id, url, first_seen``
    (the earliest profile version that carried it)."""
    where = "AND platform = $platform" if platform else ""
    return con.sql(
        f"""
        SELECT platform, account_id, url, min(coalesce(valid_from, last_seen_at)) AS first_seen,
               arg_min(source_file, coalesce(valid_from, last_seen_at)) AS source_file,
               arg_min(source_line, coalesce(valid_from, last_seen_at)) AS source_line
        FROM profiles WHERE url IS NOT NULL AND url <> '' {where}
        GROUP BY ALL ORDER BY first_seen, account_id
        """,
        params={"platform": platform} if platform else None,
    ).to_arrow_table()


def account_labels(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """``platform, account_id, username`` (the newest handle known) for every account."""
    return con.sql(
        """
        SELECT a.platform, a.account_id, coalesce(c.username, a.username) AS username
        FROM accounts a LEFT JOIN current_profiles c USING (platform, account_id)
        """
    ).to_arrow_table()
