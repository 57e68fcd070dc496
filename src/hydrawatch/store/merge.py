"""Fold one file's staged rows into the store's tables, adding only what is new.

Run inside the file's transaction (see :meth:`Store.ingest_file`). Each table is de-duplicated
on its natural key (``schema.KEYS``), both within the file (a retweeted post is expanded in
every retweet) and against what the store already holds (a post seen in two exports).
Profile observations fold into versions: one row per distinct set of identity fields with the
first and last time it was seen; counts go to ``metrics``.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from .batches import STAGE_SCHEMAS
from .schema import PROFILE_IDENTITY

#: Work tables a fold creates (dropped when it ends).
_WORK_TABLES = ("new_posts", "file_versions", "file_accounts")


def fold_stage_into_tables(con: duckdb.DuckDBPyConnection, staged: dict[str, list[pa.Table]]) -> dict[str, int]:
    """Insert the staged rows (Arrow tables per staging table, see ``batches.STAGE_SCHEMAS``)
    that are new; return how many rows each table gained. The staged tables are scanned where
    they are, registered as ``stage_<name>`` for the length of the fold."""
    before = {t: _count(con, t) for t in ("accounts", "profiles", "metrics", "posts", "entities", "follows", "events")}
    for name, schema in STAGE_SCHEMAS.items():
        table = pa.concat_tables(staged.get(name) or [schema.empty_table()])
        if name == "posts":  # a row number to choose rows by (an Arrow scan has no rowid)
            table = table.append_column("hw_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
        con.register(f"stage_{name}", table)
    try:
        _fold_posts(con)
        _fold_profiles(con)
        _fold_follows(con)
        _fold_events(con)
        _fold_accounts(con)  # last: it gathers ids from every other staged table
    finally:
        for name in STAGE_SCHEMAS:
            con.unregister(f"stage_{name}")
        for table in _WORK_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    return {t: _count(con, t) - n for t, n in before.items()}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _fold_posts(con: duckdb.DuckDBPyConnection) -> None:
    # A post may be staged many times (every retweet expands the original). Keep one row per
    # post, preferring the top-level occurrence (no pointer), then the earliest line. Rows are
    # chosen by their number (carrying whole rows through the aggregate is 2-3x slower) and
    # copied once, straight into ``posts`` (new_posts holds only keys and row numbers).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE new_posts AS
        SELECT s.platform, s.post_id, arg_min(s.hw_row, (s.source_pointer IS NOT NULL, s.source_line, s.source_pointer)) AS hw_row
        FROM stage_posts s
        WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = s.platform AND p.post_id = s.post_id)
        GROUP BY s.platform, s.post_id
        """
    )
    con.execute("INSERT INTO posts SELECT * EXCLUDE (hw_row) FROM stage_posts WHERE hw_row IN (SELECT hw_row FROM new_posts)")
    con.execute(
        """
        INSERT INTO entities
        SELECT platform, post_id, position, any_value(kind), any_value(value), any_value(target_account_id)
        FROM stage_entities e
        WHERE EXISTS (SELECT 1 FROM new_posts n WHERE n.platform = e.platform AND n.post_id = e.post_id)
        GROUP BY platform, post_id, position
        """
    )


def _fold_profiles(con: duckdb.DuckDBPyConnection) -> None:
    identity = ", ".join(PROFILE_IDENTITY)
    # md5 over the identity fields, with NULL and '' kept apart.
    digest = " || chr(31) || ".join(
        f"coalesce(CAST({column} AS VARCHAR), chr(0))" for column in PROFILE_IDENTITY
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE file_versions AS
        SELECT platform, account_id, md5({digest}) AS version_hash, valid_from, last_seen_at,
               {identity}, created_at, source_file, source_line
        FROM (  -- the digest of each version once, not of each observation
            SELECT platform, account_id, min(observed_at) AS valid_from, max(observed_at) AS last_seen_at,
                   {identity}, min(created_at) AS created_at,
                   min(source_file) AS source_file, min(source_line) AS source_line
            FROM stage_profiles
            GROUP BY platform, account_id, {identity})
        """
    )
    con.execute(
        """
        UPDATE profiles SET
            valid_from = CASE WHEN f.valid_from < profiles.valid_from OR profiles.valid_from IS NULL
                              THEN f.valid_from ELSE profiles.valid_from END,
            last_seen_at = CASE WHEN f.last_seen_at > profiles.last_seen_at OR profiles.last_seen_at IS NULL
                                THEN f.last_seen_at ELSE profiles.last_seen_at END,
            created_at = coalesce(profiles.created_at, f.created_at)
        FROM file_versions f
        WHERE profiles.platform = f.platform AND profiles.account_id = f.account_id
          AND profiles.version_hash = f.version_hash
        """
    )
    con.execute(
        f"""
        INSERT INTO profiles
        SELECT f.platform, f.account_id, f.version_hash, f.valid_from, f.last_seen_at, {", ".join("f." + c for c in PROFILE_IDENTITY)},
               f.created_at, f.source_file, f.source_line
        FROM file_versions f
        WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.platform = f.platform AND p.account_id = f.account_id
                          AND p.version_hash = f.version_hash)
        """
    )
    con.execute(
        """
        INSERT INTO metrics
        SELECT platform, account_id, observed_at,
               arg_min(followers_count, source_line), arg_min(following_count, source_line),
               arg_min(post_count, source_line), arg_min(listed_count, source_line),
               min(source_file), min(source_line)
        FROM stage_profiles s
        WHERE observed_at IS NOT NULL
          AND (followers_count IS NOT NULL OR following_count IS NOT NULL OR post_count IS NOT NULL
               OR listed_count IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.platform = s.platform AND m.account_id = s.account_id
                          AND m.observed_at = s.observed_at)
        GROUP BY platform, account_id, observed_at
        """
    )


def _fold_follows(con: duckdb.DuckDBPyConnection) -> None:
    # The same edge listed twice keeps its earliest known time.
    con.execute(
        """
        INSERT INTO follows
        SELECT platform, source_account_id, target_account_id, min(created_at),
               min(source_file), min(source_line)
        FROM stage_follows s
        WHERE NOT EXISTS (SELECT 1 FROM follows f WHERE f.platform = s.platform
                          AND f.source_account_id = s.source_account_id AND f.target_account_id = s.target_account_id)
        GROUP BY platform, source_account_id, target_account_id
        """
    )


def _fold_events(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        INSERT INTO events
        SELECT platform, account_id, kind, event_at, profile_field, new_value, min(source_file), min(source_line)
        FROM stage_events s
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.platform = s.platform AND e.account_id = s.account_id
                          AND e.kind = s.kind AND e.event_at IS NOT DISTINCT FROM s.event_at
                          AND e.profile_field IS NOT DISTINCT FROM s.profile_field
                          AND e.new_value IS NOT DISTINCT FROM s.new_value)
        GROUP BY platform, account_id, kind, event_at, profile_field, new_value
        """
    )


def _fold_accounts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE file_accounts AS
        WITH seen AS (
            SELECT platform, account_id, username, seen_at, source_file, source_line FROM stage_accounts
            UNION ALL SELECT platform, account_id, username, observed_at, source_file, source_line FROM stage_profiles
            UNION ALL SELECT platform, account_id, NULL, created_at, source_file, source_line FROM stage_posts
            UNION ALL SELECT platform, source_account_id, NULL, created_at, source_file, source_line FROM stage_follows
            UNION ALL SELECT platform, target_account_id, NULL, created_at, source_file, source_line FROM stage_follows
            UNION ALL SELECT platform, account_id, NULL, event_at, source_file, source_line FROM stage_events
        )
        SELECT platform, account_id,
               -- the first username seen; a line can name an account twice (a mention, a
               -- profile): the earliest line, then the smallest name, so row order cannot matter
               arg_min(username, (coalesce(seen_at, TIMESTAMPTZ '9999-12-31'), source_file, source_line, username))
                   FILTER (WHERE username IS NOT NULL) AS username,
               min(seen_at) AS first_seen_at, min(source_file) AS source_file, min(source_line) AS source_line
        FROM seen GROUP BY platform, account_id
        """
    )
    con.execute(
        """
        UPDATE accounts SET
            first_seen_at = CASE WHEN f.first_seen_at < accounts.first_seen_at OR accounts.first_seen_at IS NULL
                                 THEN f.first_seen_at ELSE accounts.first_seen_at END,
            username = coalesce(accounts.username, f.username)
        FROM file_accounts f
        WHERE accounts.platform = f.platform AND accounts.account_id = f.account_id
          AND (f.first_seen_at < accounts.first_seen_at OR (accounts.username IS NULL AND f.username IS NOT NULL)
               OR (accounts.first_seen_at IS NULL AND f.first_seen_at IS NOT NULL))
        """
    )
    con.execute(
        """
        INSERT INTO accounts
        SELECT f.platform, f.account_id, f.username, f.first_seen_at, f.source_file, f.source_line
        FROM file_accounts f
        WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.platform = f.platform AND a.account_id = f.account_id)
        """
    )
