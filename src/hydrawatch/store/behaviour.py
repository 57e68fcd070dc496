"""What a set of accounts does, post by post, read from the store for the role model
(:mod:`hydrawatch.network.roles`): kinds of posts, whom they reply to, how soon they repost
what, which links, hashtags and mentions they carry, the replies they receive, and their
protect/unprotect flips. Plain Arrow out; the features are computed outside SQL.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa


def _register(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> None:
    con.register("_behaviour_of", accounts.select(["platform", "account_id"]))


def account_posts(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> pa.Table:
    """Every post of ``accounts`` (columns platform, account_id): ``platform, account_id,
    post_id, kind, created_at, text`` (null for reposts: they repeat someone else's words),
    ``in_reply_to_account_id, referenced_account_id, reference_post_id`` (the post reposted,
    quoted or replied to) with its author's time ``reference_created_at`` and, for replies,
    whom that post itself answered (``reference_reply_to``), then the post's ``mentions``
    (account ids), ``hashtags`` (lower-cased), ``urls`` and ``media`` count."""
    _register(con, accounts)
    try:
        return con.sql(
            """
            WITH mine AS (
                SELECT p.* FROM posts p JOIN _behaviour_of USING (platform, account_id)
            ),
            ents AS (
                SELECT e.platform, e.post_id,
                       list(e.target_account_id ORDER BY e.position) FILTER (WHERE e.kind = 'mention' AND e.target_account_id IS NOT NULL) AS mentions,
                       list(lower(e.value) ORDER BY e.position) FILTER (WHERE e.kind = 'hashtag' AND e.value <> '') AS hashtags,
                       list(e.value ORDER BY e.position) FILTER (WHERE e.kind = 'url') AS urls,
                       count_if(e.kind = 'media') AS media
                FROM entities e JOIN mine m ON m.platform = e.platform AND m.post_id = e.post_id
                GROUP BY ALL
            )
            SELECT m.platform, m.account_id, m.post_id, m.kind, m.created_at,
                   CASE WHEN m.kind = 'repost' THEN NULL ELSE m.text END AS text,
                   m.in_reply_to_account_id, m.referenced_account_id,
                   coalesce(m.reposted_post_id, m.quoted_post_id, m.in_reply_to_post_id) AS reference_post_id,
                   r.created_at AS reference_created_at,
                   r.in_reply_to_account_id AS reference_reply_to,
                   coalesce(ents.mentions, []) AS mentions, coalesce(ents.hashtags, []) AS hashtags,
                   coalesce(ents.urls, []) AS urls, coalesce(ents.media, 0) AS media
            FROM mine m
            LEFT JOIN posts r ON r.platform = m.platform
                 AND r.post_id = coalesce(m.reposted_post_id, m.quoted_post_id, m.in_reply_to_post_id)
            LEFT JOIN ents ON ents.platform = m.platform AND ents.post_id = m.post_id
            ORDER BY m.platform, m.account_id, m.created_at, m.post_id
            """
        ).to_arrow_table()
    finally:
        con.unregister("_behaviour_of")


def replies_received(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> pa.Table:
    """Replies other accounts wrote to ``accounts``: ``platform, account_id`` (who was
    answered), ``replier_id``, ``created_at``."""
    _register(con, accounts)
    try:
        return con.sql(
            """
            SELECT p.platform, p.in_reply_to_account_id AS account_id, p.account_id AS replier_id, p.created_at
            FROM posts p JOIN _behaviour_of w ON w.platform = p.platform AND w.account_id = p.in_reply_to_account_id
            WHERE p.account_id <> p.in_reply_to_account_id
            """
        ).to_arrow_table()
    finally:
        con.unregister("_behaviour_of")


def reposts_received(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> pa.Table:
    """Reposts of ``accounts``' posts by others: ``platform, account_id`` (reposted),
    ``reposter_id``, ``post_id`` (the original), ``delay_seconds`` (repost time minus post time)."""
    _register(con, accounts)
    try:
        return con.sql(
            """
            SELECT p.platform, p.referenced_account_id AS account_id, p.account_id AS reposter_id,
                   p.reposted_post_id AS post_id, epoch(p.created_at) - epoch(o.created_at) AS delay_seconds
            FROM posts p JOIN _behaviour_of w ON w.platform = p.platform AND w.account_id = p.referenced_account_id
            LEFT JOIN posts o ON o.platform = p.platform AND o.post_id = p.reposted_post_id
            WHERE p.kind = 'repost' AND p.account_id <> p.referenced_account_id
            """
        ).to_arrow_table()
    finally:
        con.unregister("_behaviour_of")


def account_profiles(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> pa.Table:
    """Per account: ``username, bio, location, url`` (newest), ``ever_protected``, and how
    often it went public again (``unprotects``: outlets lock their account between releases)."""
    _register(con, accounts)
    try:
        return con.sql(
            """
            WITH prof AS (
                SELECT p.platform, p.account_id,
                       arg_max(p.username, p.last_seen_at) AS username, arg_max(p.bio, p.last_seen_at) AS bio,
                       arg_max(p.location, p.last_seen_at) AS location, arg_max(p.url, p.last_seen_at) AS url,
                       bool_or(coalesce(p.protected, false)) AS ever_protected
                FROM profiles p JOIN _behaviour_of USING (platform, account_id) GROUP BY ALL
            ),
            flips AS (
                SELECT e.platform, e.account_id, count_if(e.kind = 'user_unprotect') AS unprotects,
                       count_if(e.kind = 'user_protect') AS protects
                FROM events e JOIN _behaviour_of USING (platform, account_id) GROUP BY ALL
            )
            SELECT w.platform, w.account_id, coalesce(prof.username, a.username) AS username, prof.bio, prof.location, prof.url,
                   coalesce(prof.ever_protected, false) OR coalesce(flips.protects, 0) > 0 AS ever_protected,
                   coalesce(flips.unprotects, 0) AS unprotects
            FROM _behaviour_of w
            LEFT JOIN accounts a USING (platform, account_id)
            LEFT JOIN prof USING (platform, account_id)
            LEFT JOIN flips USING (platform, account_id)
            ORDER BY w.platform, w.account_id
            """
        ).to_arrow_table()
    finally:
        con.unregister("_behaviour_of")


def identity_groups(con: duckdb.DuckDBPyConnection, min_confidence: float = 0.5) -> pa.Table:
    """Accounts believed to be one actor (the ``identities`` table, filled by the returnee
    detector): ``identity_id, platform, account_id, position, confidence``."""
    return con.sql(
        "SELECT identity_id, platform, account_id, position, confidence FROM identities WHERE confidence >= $minimum "
        "ORDER BY identity_id, position",
        params={"minimum": min_confidence},
    ).to_arrow_table()
