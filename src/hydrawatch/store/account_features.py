"""What network-account scoring reads from the store: who each account is and how it behaves,
what it writes (its own posts, and separately what it says when it replies to or quotes
someone), which hashtags it uses and where its links point. Interaction edges come from
:func:`hydrawatch.store.edges.interaction_edges`, ended accounts (the default seeds) from
:func:`hydrawatch.store.snapshots.ended_accounts`.

Plain Arrow tables out, one row per account or per (account, thing); the scorer in
:mod:`hydrawatch.accounts` never sees SQL.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

#: How many recent posts of each kind make an account's text documents: enough to read its
#: voice, few enough that a prolific account does not cost more than a few KB.
TEXT_POSTS = 40


def account_profiles(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per account: its latest handle, name and bio; when it was created, first seen,
    first and last posted; whether it was ever protected; how many posts of each kind it made;
    its follower count when last observed."""
    return con.sql(
        """
        WITH prof AS (
            SELECT platform, account_id,
                   arg_max(username, last_seen_at) AS handle,
                   arg_max(display_name, last_seen_at) AS display_name,
                   arg_max(bio, last_seen_at) AS bio,
                   min(created_at) AS created_at,
                   bool_or(coalesce(protected, false)) AS ever_protected
            FROM profiles GROUP BY ALL
        ),
        activity AS (
            SELECT platform, account_id, count(*) AS posts,
                   count_if(kind = 'original') AS originals, count_if(kind = 'repost') AS reposts,
                   count_if(kind = 'reply') AS replies, count_if(kind = 'quote') AS quotes,
                   min(created_at) AS first_post_at, max(created_at) AS last_post_at
            FROM posts GROUP BY ALL
        ),
        last_metrics AS (
            SELECT platform, account_id, arg_max(followers_count, observed_at) AS followers_count
            FROM metrics GROUP BY ALL
        )
        SELECT a.platform, a.account_id,
               coalesce(prof.handle, a.username, '') AS handle,
               coalesce(prof.display_name, '') AS display_name,
               coalesce(prof.bio, '') AS bio,
               prof.created_at, a.first_seen_at, activity.first_post_at, activity.last_post_at,
               coalesce(prof.ever_protected, false) AS ever_protected,
               coalesce(activity.posts, 0) AS posts, coalesce(activity.originals, 0) AS originals,
               coalesce(activity.reposts, 0) AS reposts, coalesce(activity.replies, 0) AS replies,
               coalesce(activity.quotes, 0) AS quotes, last_metrics.followers_count
        FROM accounts a
        LEFT JOIN prof USING (platform, account_id)
        LEFT JOIN activity USING (platform, account_id)
        LEFT JOIN last_metrics USING (platform, account_id)
        ORDER BY a.platform, a.account_id
        """
    ).to_arrow_table()


def data_span(con: duckdb.DuckDBPyConnection) -> tuple:
    """The first and last post time in the store (None, None when there are no posts)."""
    return tuple(con.execute("SELECT min(created_at), max(created_at) FROM posts").fetchall()[0])


def original_texts(con: duckdb.DuckDBPyConnection, limit: int = TEXT_POSTS) -> pa.Table:
    """Per account, its most recent original posts (not reposts, replies or quotes: those are
    read with their target, see :func:`directed_texts`) joined into one document."""
    return con.sql(
        f"""
        WITH recent AS (
            SELECT platform, account_id, text,
                   row_number() OVER (PARTITION BY platform, account_id ORDER BY created_at DESC, post_id) AS rn
            FROM posts WHERE kind = 'original' AND text IS NOT NULL AND text <> ''
        )
        SELECT platform, account_id, string_agg(text, ' \n ' ORDER BY rn) AS text, count(*) AS n
        FROM recent WHERE rn <= {int(limit)} GROUP BY ALL
        """
    ).to_arrow_table()


def directed_texts(con: duckdb.DuckDBPyConnection, limit: int = TEXT_POSTS) -> pa.Table:
    """Replies and quotes with the account they answer or quote (``target_account_id``), most
    recent first, at most ``limit`` per (account, target). What an account says *to* someone
    tells support from argument or reporting."""
    return con.sql(
        f"""
        WITH directed AS (
            SELECT platform, account_id, coalesce(in_reply_to_account_id, referenced_account_id) AS target_account_id,
                   kind, text, created_at, post_id
            FROM posts
            WHERE kind IN ('reply', 'quote') AND text IS NOT NULL AND text <> ''
              AND coalesce(in_reply_to_account_id, referenced_account_id) IS NOT NULL
        ),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY platform, account_id, target_account_id
                                         ORDER BY created_at DESC, post_id) AS rn
            FROM directed WHERE target_account_id <> account_id
        )
        SELECT platform, account_id, target_account_id, kind, text FROM ranked WHERE rn <= {int(limit)}
        """
    ).to_arrow_table()


def hashtag_uses(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Distinct hashtags (lower-cased) per account in its own posts (reposts carry someone
    else's hashtags), with how many posts used each."""
    return con.sql(
        """
        SELECT p.platform, p.account_id, lower(e.value) AS hashtag, count(DISTINCT p.post_id) AS n
        FROM posts p JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
        WHERE e.kind = 'hashtag' AND e.value <> '' AND p.kind <> 'repost'
        GROUP BY ALL
        """
    ).to_arrow_table()


def link_domains(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Per account and link domain (lower-cased, ``www.`` dropped), how many of its own posts
    link there; links to the platform's own posts (quoted tweets, photos) are left out."""
    return con.sql(
        r"""
        WITH links AS (
            SELECT p.platform, p.account_id, p.post_id,
                   lower(regexp_extract(e.value, '^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:www\.)?([^/:?#]+)', 1)) AS domain
            FROM posts p JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
            WHERE e.kind = 'url' AND p.kind <> 'repost'
        )
        SELECT platform, account_id, domain, count(DISTINCT post_id) AS n
        FROM links
        WHERE domain <> '' AND domain NOT IN ('twitter.com', 'mobile.twitter.com', 'x.com', 'pic.twitter.com')
        GROUP BY ALL
        """
    ).to_arrow_table()


def accounts_by_handle(con: duckdb.DuckDBPyConnection, handles: list[str]) -> pa.Table:
    """Accounts that have (or had) one of these handles, matched without case."""
    wanted = pa.table({"handle": pa.array([h.lower() for h in handles], pa.string())})
    con.register("_wanted_handles", wanted)
    try:
        return con.sql(
            """
            SELECT DISTINCT p.platform, p.account_id, lower(p.username) AS handle
            FROM profiles p JOIN _wanted_handles w ON lower(p.username) = w.handle
            UNION
            SELECT DISTINCT a.platform, a.account_id, lower(a.username)
            FROM accounts a JOIN _wanted_handles w ON lower(a.username) = w.handle
            """
        ).to_arrow_table()
    finally:
        con.unregister("_wanted_handles")
