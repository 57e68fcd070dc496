"""The store's tables, one place. Bump SCHEMA_VERSION whenever a table changes shape: a store
written by another version is refused with a message that says to re-ingest.

Every data row keeps where it came from: ``source_file`` (an ``ingests.file_id``) and
``source_line`` (1-based line, or the record's ordinal in single-document formats) plus, where a
line holds several records, ``source_pointer`` (a JSON pointer), so a case can cite its evidence.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

#: Column names and DuckDB types per data table, in order. The staging tables used during an
#: ingest, the Arrow batches and the Parquet export all follow these definitions.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts": (
        ("platform", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("username", "VARCHAR"),  # as first seen; the profile history lives in `profiles`
        ("first_seen_at", "TIMESTAMPTZ"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
    ),
    "profiles": (
        ("platform", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("version_hash", "VARCHAR"),
        ("valid_from", "TIMESTAMPTZ"),
        ("last_seen_at", "TIMESTAMPTZ"),
        ("username", "VARCHAR"),
        ("display_name", "VARCHAR"),
        ("bio", "VARCHAR"),
        ("location", "VARCHAR"),
        ("avatar_url", "VARCHAR"),
        ("url", "VARCHAR"),
        ("protected", "BOOLEAN"),
        ("verified", "BOOLEAN"),
        ("created_at", "TIMESTAMPTZ"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
    ),
    "metrics": (
        ("platform", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("observed_at", "TIMESTAMPTZ"),
        ("followers_count", "BIGINT"),
        ("following_count", "BIGINT"),
        ("post_count", "BIGINT"),
        ("listed_count", "BIGINT"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
    ),
    "posts": (
        ("platform", "VARCHAR"),
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMPTZ"),
        ("kind", "VARCHAR"),
        ("text", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("in_reply_to_post_id", "VARCHAR"),
        ("in_reply_to_account_id", "VARCHAR"),
        ("quoted_post_id", "VARCHAR"),
        ("reposted_post_id", "VARCHAR"),
        ("referenced_account_id", "VARCHAR"),
        ("conversation_id", "VARCHAR"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
        ("source_pointer", "VARCHAR"),
    ),
    "entities": (
        ("platform", "VARCHAR"),
        ("post_id", "VARCHAR"),
        ("position", "INTEGER"),
        ("kind", "VARCHAR"),
        ("value", "VARCHAR"),
        ("target_account_id", "VARCHAR"),
    ),
    "follows": (
        ("platform", "VARCHAR"),
        ("source_account_id", "VARCHAR"),
        ("target_account_id", "VARCHAR"),
        ("created_at", "TIMESTAMPTZ"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
    ),
    "events": (
        ("platform", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("event_at", "TIMESTAMPTZ"),
        ("profile_field", "VARCHAR"),
        ("new_value", "VARCHAR"),
        ("source_file", "INTEGER"),
        ("source_line", "BIGINT"),
    ),
    # Perceptual hashes of pictures (avatars, media) by URL, as fetched and hashed.
    "media_hashes": (
        ("url", "VARCHAR"),
        ("signal", "VARCHAR"),  # "pdq"
        ("hash", "VARCHAR"),  # ThreatExchange hex for PDQ
        ("quality", "INTEGER"),
        ("hashed_at", "TIMESTAMPTZ"),
    ),
    # Accounts believed to be one actor (filled by the returnee detector).
    "identities": (
        ("identity_id", "VARCHAR"),
        ("platform", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("position", "INTEGER"),  # order of the account in the actor's chain (0 = first known)
        ("confidence", "DOUBLE"),
        ("method", "VARCHAR"),
        ("evidence", "VARCHAR"),
        ("created_at", "TIMESTAMPTZ"),
    ),
}

#: The natural key of each table: re-ingesting a row with the same key adds nothing.
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "account_id"),
    "profiles": ("platform", "account_id", "version_hash"),
    "metrics": ("platform", "account_id", "observed_at"),
    "posts": ("platform", "post_id"),
    "entities": ("platform", "post_id", "position"),
    "follows": ("platform", "source_account_id", "target_account_id"),
    "events": ("platform", "account_id", "kind", "event_at", "profile_field", "new_value"),
    "identities": ("identity_id", "platform", "account_id"),
    "media_hashes": ("url", "signal"),
}

#: The profile fields that make a profile version; counts are observations, not identity.
PROFILE_IDENTITY = ("username", "display_name", "bio", "location", "avatar_url", "url", "protected", "verified")

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS ingests (
    file_id INTEGER PRIMARY KEY,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    format VARCHAR,
    ingested_at TIMESTAMPTZ,
    records BIGINT,
    rejected BIGINT,
    added VARCHAR          -- JSON: rows added per table
);
CREATE TABLE IF NOT EXISTS ingest_problems (
    file_id INTEGER,
    line BIGINT,
    pointer VARCHAR,
    reason VARCHAR,
    excerpt VARCHAR
);
"""

STATUS_EVENTS = {
    "user_suspend": "suspended",
    "user_unsuspend": "active",
    "user_protect": "protected",
    "user_unprotect": "active",
    "user_delete": "deleted",
    "user_undelete": "active",
}

_STATUS_CASE = " ".join(f"WHEN '{kind}' THEN '{status}'" for kind, status in STATUS_EVENTS.items())

VIEWS = f"""
-- Every status change, from the compliance events.
CREATE OR REPLACE VIEW account_status_history AS
SELECT platform, account_id, CASE kind {_STATUS_CASE} END AS status, event_at AS valid_from,
       kind AS cause, source_file, source_line
FROM events WHERE kind IN ({", ".join(f"'{k}'" for k in STATUS_EVENTS)});

-- The status of every account now: the latest status change (file order breaks ties), or
-- 'protected'/'active' from the latest profile when no event says otherwise.
CREATE OR REPLACE VIEW account_status AS
WITH latest_event AS (
    SELECT platform, account_id,
           arg_max(status, (valid_from, source_file, source_line)) AS status,
           max(valid_from) AS status_since
    FROM account_status_history GROUP BY ALL
), latest_profile AS (
    SELECT platform, account_id, arg_max(protected, last_seen_at) AS protected
    FROM profiles GROUP BY ALL
)
SELECT a.platform, a.account_id,
       coalesce(e.status, CASE WHEN p.protected THEN 'protected' ELSE 'active' END) AS status,
       e.status_since
FROM accounts a
LEFT JOIN latest_event e USING (platform, account_id)
LEFT JOIN latest_profile p USING (platform, account_id);

-- The newest profile version of every account that has one.
CREATE OR REPLACE VIEW current_profiles AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY platform, account_id
                                 ORDER BY last_seen_at DESC NULLS LAST, valid_from DESC NULLS LAST) AS rn
    FROM profiles)
WHERE rn = 1;
"""


def create_table_sql(table: str, name: str | None = None, temp: bool = False) -> str:
    columns = ", ".join(f"{column} {kind}" for column, kind in TABLES[table])
    return f"CREATE {'TEMP ' if temp else ''}TABLE IF NOT EXISTS {name or table} ({columns})"


def column_names(table: str) -> list[str]:
    return [column for column, _ in TABLES[table]]
