"""Shares read from the store for coordination detection: who shared which object when.

A *share* is one account putting one object in front of its audience at one time. What counts
as the object depends on the kind of coordination looked for:

* ``object``: the post a repost (retweet) or quote points at (``posts.reposted_post_id`` /
  ``posts.quoted_post_id``): co-retweet / co-quote coordination;
* ``url``: a link in an original, reply or quote post (entities of kind ``url``);
* ``hashtag``: a hashtag, lower-cased (``#Tag`` and ``#tag`` are one object);
* ``image``: an attached picture or video (entities of kind ``media``, by URL).

For ``url``, ``hashtag`` and ``image`` the entities of reposts are left out: a retweet carries
the entities of the post it repeats, and counting them again would turn every co-retweet into
a co-link as well (the QUT coordination-network-toolkit does the same).

Plain Arrow out (columns ``account_id``, ``object_id``, ``timestamp`` as UTC
``timestamp[us]``); the detector in :mod:`hydrawatch.network.coordination` never sees SQL.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from hydrawatch.core.errors import ConfigError

#: The kinds of object two accounts can be linked by, with the SQL that selects their shares.
SHARE_KINDS: dict[str, str] = {
    "object": """
        SELECT account_id, reposted_post_id AS object_id, created_at AS timestamp
        FROM posts WHERE reposted_post_id IS NOT NULL AND created_at IS NOT NULL {platform}
        UNION ALL
        SELECT account_id, quoted_post_id AS object_id, created_at AS timestamp
        FROM posts WHERE quoted_post_id IS NOT NULL AND created_at IS NOT NULL {platform}
    """,
    "url": """
        SELECT p.account_id, e.value AS object_id, p.created_at AS timestamp
        FROM entities e JOIN posts p USING (platform, post_id)
        WHERE e.kind = 'url' AND p.kind <> 'repost' AND p.created_at IS NOT NULL {platform_p}
    """,
    "hashtag": """
        SELECT p.account_id, lower(e.value) AS object_id, p.created_at AS timestamp
        FROM entities e JOIN posts p USING (platform, post_id)
        WHERE e.kind = 'hashtag' AND e.value <> '' AND p.kind <> 'repost' AND p.created_at IS NOT NULL {platform_p}
    """,
    "image": """
        SELECT p.account_id, e.value AS object_id, p.created_at AS timestamp
        FROM entities e JOIN posts p USING (platform, post_id)
        WHERE e.kind = 'media' AND p.kind <> 'repost' AND p.created_at IS NOT NULL {platform_p}
    """,
}

SHARES_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("object_id", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC"))]
)


def shares(con: duckdb.DuckDBPyConnection, by: str = "object", platform: str | None = None) -> pa.Table:
    """Every share of the given kind (see :data:`SHARE_KINDS`), optionally of one platform.

    Account and object ids are the store's ids; when a store holds several platforms, pass
    ``platform`` so that ids of different platforms cannot be confused."""
    if by not in SHARE_KINDS:
        raise ConfigError(f"unknown kind of shared object {by!r}; use one of: {', '.join(SHARE_KINDS)}")
    sql = SHARE_KINDS[by].format(
        platform="AND platform = $platform" if platform else "",
        platform_p="AND p.platform = $platform" if platform else "",
    )
    table = con.sql(sql, params={"platform": platform} if platform else None).to_arrow_table()
    return table.select(["account_id", "object_id", "timestamp"]).cast(SHARES_SCHEMA)
