"""Per-account snapshots read from the store for the detectors: who an account is (handles,
names, bio, avatar, creation), what it does (posting hours, hashtags, text sample, whom it
mentions and reposts), whom it follows and who follows it, and when it ended (suspension or
deletion). Plain Arrow tables out; the detectors never see SQL.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

#: Accounts seen posting no later than this many days before the end of the data count as
#: "presumed suspended" when the store has no compliance events at all (exports such as the
#: Kaggle set name no suspensions; many of their accounts simply go silent).
PRESUMED_SILENCE_DAYS = 3.0
STYLE_POSTS = 60  # how many recent original posts make an account's text sample
MIN_AVATAR_QUALITY = 50  # PDQ hashes of nearly flat pictures are noise (signals.media.MIN_QUALITY)


def has_status_events(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) > 0 FROM account_status_history").fetchall()[0][0]


def ended_accounts(con: duckdb.DuckDBPyConnection, presumed_silence_days: float = PRESUMED_SILENCE_DAYS) -> pa.Table:
    """Accounts that are gone (suspended or deleted now), with when they went
    (``ended_at``) and how we know (``end_kind``: suspended, deleted, or silent when the store
    has no compliance events and the account stopped posting well before the data ends)."""
    if has_status_events(con):
        return con.sql(
            """
            SELECT platform, account_id, status AS end_kind, status_since AS ended_at
            FROM account_status WHERE status IN ('suspended', 'deleted') AND status_since IS NOT NULL
            """
        ).to_arrow_table()
    return con.sql(
        f"""
        WITH last AS (SELECT platform, account_id, max(created_at) AS last_post FROM posts GROUP BY ALL),
             span AS (SELECT max(created_at) AS data_end FROM posts)
        SELECT platform, account_id, 'silent' AS end_kind, last_post AS ended_at
        FROM last, span
        WHERE last_post < data_end - INTERVAL ({presumed_silence_days} * 86400) SECOND
        """
    ).to_arrow_table()


def account_snapshots(con: duckdb.DuckDBPyConnection, account_ids: pa.Table | None = None) -> pa.Table:
    """One row per account (all, or those in ``account_ids``: columns platform, account_id)."""
    selection = ""
    if account_ids is not None:
        con.register("_wanted", account_ids.select(["platform", "account_id"]))
        selection = "JOIN _wanted USING (platform, account_id)"
    hours = ", ".join(f"count_if(hour(p.created_at) = {h})::INTEGER" for h in range(24))
    try:
        return con.sql(
            f"""
            WITH wanted AS (SELECT a.* FROM accounts a {selection}),
            prof AS (
                SELECT p.platform, p.account_id,
                    arg_max(p.username, p.last_seen_at) AS handle,
                    list(DISTINCT p.username) FILTER (WHERE p.username IS NOT NULL) AS handles,
                    arg_max(p.display_name, p.last_seen_at) AS display_name,
                    list(DISTINCT p.display_name) FILTER (WHERE p.display_name IS NOT NULL) AS display_names,
                    arg_max(p.bio, p.last_seen_at) AS bio,
                    arg_max(p.location, p.last_seen_at) AS location,
                    arg_max(p.avatar_url, p.last_seen_at) AS avatar_url,
                    list(DISTINCT p.avatar_url) FILTER (WHERE p.avatar_url IS NOT NULL) AS avatar_urls,
                    min(p.created_at) AS created_at,
                    bool_or(p.protected) AS ever_protected
                FROM profiles p JOIN wanted USING (platform, account_id) GROUP BY ALL
            ),
            activity AS (
                SELECT p.platform, p.account_id, count(*) AS posts,
                    count_if(p.kind = 'repost') AS reposts, count_if(p.kind = 'reply') AS replies,
                    min(p.created_at) AS first_post_at, max(p.created_at) AS last_post_at,
                    list_value({hours}) AS hour_counts
                FROM posts p JOIN wanted USING (platform, account_id) GROUP BY ALL
            ),
            recent AS (
                SELECT p.platform, p.account_id, p.text, p.lang,
                       row_number() OVER (PARTITION BY p.platform, p.account_id ORDER BY p.created_at DESC, p.post_id) AS rn
                FROM posts p JOIN wanted USING (platform, account_id) WHERE p.kind <> 'repost'
            ),
            style AS (
                SELECT platform, account_id, string_agg(text, ' \n ') AS text_sample, mode(lang) AS lang
                FROM recent WHERE rn <= {STYLE_POSTS} GROUP BY ALL
            ),
            tags AS (
                SELECT p.platform, p.account_id, list(DISTINCT lower(e.value)) AS hashtags
                FROM posts p JOIN wanted USING (platform, account_id)
                JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
                WHERE e.kind = 'hashtag' AND p.kind <> 'repost' AND e.value <> '' GROUP BY ALL
            ),
            talks AS (
                SELECT platform, account_id, list(DISTINCT target) AS interacts_with FROM (
                    SELECT p.platform, p.account_id, e.target_account_id AS target
                    FROM posts p JOIN wanted USING (platform, account_id)
                    JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
                    WHERE e.kind = 'mention' AND e.target_account_id IS NOT NULL AND p.kind <> 'repost'
                    UNION ALL
                    SELECT p.platform, p.account_id, p.referenced_account_id
                    FROM posts p JOIN wanted USING (platform, account_id) WHERE p.referenced_account_id IS NOT NULL)
                WHERE target <> account_id GROUP BY ALL
            ),
            avatar_hashes AS (
                SELECT p.platform, p.account_id, list(DISTINCT h.hash) AS avatar_hashes
                FROM profiles p JOIN wanted USING (platform, account_id)
                JOIN media_hashes h ON h.url = p.avatar_url AND h.signal = 'pdq' AND h.quality >= {MIN_AVATAR_QUALITY}
                GROUP BY ALL
            ),
            last_metrics AS (
                SELECT m.platform, m.account_id, arg_max(m.followers_count, m.observed_at) AS followers_count
                FROM metrics m JOIN wanted USING (platform, account_id) GROUP BY ALL
            )
            SELECT w.platform, w.account_id,
                   coalesce(prof.handle, w.username) AS handle,
                   coalesce(prof.handles, CASE WHEN w.username IS NOT NULL THEN [w.username] ELSE [] END) AS handles,
                   prof.display_name, coalesce(prof.display_names, []) AS display_names, prof.bio, prof.location,
                   prof.avatar_url, coalesce(prof.avatar_urls, []) AS avatar_urls,
                   prof.created_at, w.first_seen_at, coalesce(prof.ever_protected, false) AS ever_protected,
                   coalesce(activity.posts, 0) AS posts, coalesce(activity.reposts, 0) AS reposts,
                   coalesce(activity.replies, 0) AS replies, activity.first_post_at, activity.last_post_at,
                   coalesce(activity.hour_counts, [0 for x in range(24)]) AS hour_counts,
                   coalesce(style.text_sample, '') AS text_sample, style.lang,
                   coalesce(tags.hashtags, []) AS hashtags, coalesce(talks.interacts_with, []) AS interacts_with,
                   last_metrics.followers_count, coalesce(avatar_hashes.avatar_hashes, []) AS avatar_hashes
            FROM wanted w
            LEFT JOIN prof USING (platform, account_id)
            LEFT JOIN activity USING (platform, account_id)
            LEFT JOIN style USING (platform, account_id)
            LEFT JOIN tags USING (platform, account_id)
            LEFT JOIN talks USING (platform, account_id)
            LEFT JOIN last_metrics USING (platform, account_id)
            LEFT JOIN avatar_hashes USING (platform, account_id)
            ORDER BY w.platform, w.account_id
            """
        ).to_arrow_table()
    finally:
        if account_ids is not None:
            con.unregister("_wanted")


def follow_edges(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every follow edge (source follows target) with its time when known."""
    return con.sql(
        "SELECT platform, source_account_id, target_account_id, created_at FROM follows"
    ).to_arrow_table()


def mention_posts(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Posts that name accounts (mentions), with the handles and ids they name, for the
    promotion detector; reposts included (re-sharing a shoutout spreads it)."""
    return con.sql(
        """
        SELECT p.platform, p.post_id, p.account_id, p.created_at, p.text,
               list(e.value ORDER BY e.position) AS handles,
               list(e.target_account_id ORDER BY e.position) AS targets
        FROM posts p JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
        WHERE e.kind = 'mention'
        GROUP BY ALL
        """
    ).to_arrow_table()


def self_announcements(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Original posts without mentions, for "I'm back, spread my new account" announcements."""
    return con.sql(
        """
        SELECT p.platform, p.post_id, p.account_id, p.created_at, p.text
        FROM posts p
        WHERE p.kind <> 'repost'
          AND NOT EXISTS (SELECT 1 FROM entities e WHERE e.platform = p.platform AND e.post_id = p.post_id AND e.kind = 'mention')
          AND regexp_matches(lower(p.text), 'account|back|حساب|عد')
        """
    ).to_arrow_table()


def appeared_between(con: duckdb.DuckDBPyConnection, start, end) -> pa.Table:
    """Accounts that appeared (created, or first seen/posting when creation is unknown)
    between two times: the possible successors of accounts that ended."""
    return con.sql(
        f"""
        WITH created AS (SELECT platform, account_id, min(created_at) AS created_at FROM profiles GROUP BY ALL),
             posted AS (SELECT platform, account_id, min(created_at) AS first_post FROM posts GROUP BY ALL)
        SELECT a.platform, a.account_id
        FROM accounts a LEFT JOIN created c USING (platform, account_id) LEFT JOIN posted p USING (platform, account_id)
        WHERE coalesce(c.created_at, p.first_post, a.first_seen_at) BETWEEN TIMESTAMPTZ '{start.isoformat()}' AND TIMESTAMPTZ '{end.isoformat()}'
        """
    ).to_arrow_table()


def follow_edges_touching(con: duckdb.DuckDBPyConnection, accounts: pa.Table) -> pa.Table:
    """Follow edges with either end in ``accounts`` (columns platform, account_id)."""
    con.register("_touching", accounts.select(["platform", "account_id"]))
    try:
        return con.sql(
            """
            SELECT f.platform, f.source_account_id, f.target_account_id, f.created_at FROM follows f
            WHERE EXISTS (SELECT 1 FROM _touching t WHERE t.platform = f.platform AND t.account_id = f.source_account_id)
               OR EXISTS (SELECT 1 FROM _touching t WHERE t.platform = f.platform AND t.account_id = f.target_account_id)
            """
        ).to_arrow_table()
    finally:
        con.unregister("_touching")


def avatar_urls(con: duckdb.DuckDBPyConnection, accounts: pa.Table | None = None, only_missing: bool = True) -> list[str]:
    """Avatar URLs (of ``accounts``, or of everyone) not yet hashed."""
    selection = ""
    if accounts is not None:
        con.register("_avatar_of", accounts.select(["platform", "account_id"]))
        selection = "JOIN _avatar_of USING (platform, account_id)"
    missing = "AND NOT EXISTS (SELECT 1 FROM media_hashes h WHERE h.url = p.avatar_url AND h.signal = 'pdq')" if only_missing else ""
    try:
        rows = con.execute(
            f"SELECT DISTINCT p.avatar_url FROM profiles p {selection} WHERE p.avatar_url IS NOT NULL AND p.avatar_url <> '' {missing} ORDER BY 1"
        ).fetchall()
    finally:
        if accounts is not None:
            con.unregister("_avatar_of")
    return [row[0] for row in rows]
