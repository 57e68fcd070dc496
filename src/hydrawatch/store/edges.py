"""Interaction edges between accounts, aggregated from the store, for graph analytics.

One row per (source, target, kind): source reposted / quoted / replied to / mentioned /
follows target, how many times, and when first and last. Direction matters: a repost is the
source endorsing the target; a reply may be an argument. Self-loops are dropped.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

KINDS = ("repost", "quote", "reply", "mention", "follow")


def interaction_edges(con: duckdb.DuckDBPyConnection, kinds: tuple[str, ...] = KINDS) -> pa.Table:
    parts = []
    if "repost" in kinds:
        parts.append(
            "SELECT platform, account_id AS source, referenced_account_id AS target, 'repost' AS kind, created_at "
            "FROM posts WHERE kind = 'repost' AND referenced_account_id IS NOT NULL"
        )
    if "quote" in kinds:
        parts.append(
            "SELECT platform, account_id, referenced_account_id, 'quote', created_at "
            "FROM posts WHERE quoted_post_id IS NOT NULL AND referenced_account_id IS NOT NULL"
        )
    if "reply" in kinds:
        parts.append(
            "SELECT platform, account_id, in_reply_to_account_id, 'reply', created_at "
            "FROM posts WHERE in_reply_to_account_id IS NOT NULL"
        )
    if "mention" in kinds:
        parts.append(
            "SELECT p.platform, p.account_id, e.target_account_id, 'mention', p.created_at "
            "FROM posts p JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id "
            "WHERE e.kind = 'mention' AND e.target_account_id IS NOT NULL AND p.kind NOT IN ('repost')"
        )
    if "follow" in kinds:
        parts.append("SELECT platform, source_account_id, target_account_id, 'follow', created_at FROM follows")
    union = " UNION ALL ".join(parts)
    return con.sql(
        f"""
        SELECT platform, source, target, kind, count(*) AS n, min(created_at) AS first_at, max(created_at) AS last_at
        FROM ({union}) WHERE source <> target
        GROUP BY ALL
        """
    ).to_arrow_table()
