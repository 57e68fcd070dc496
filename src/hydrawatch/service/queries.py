"""What the console and the API read from the store, as plain dicts. Each function takes an
open read-only connection (see :mod:`.storeview`) and keeps to indexed lookups or bounded
scans, so a page stays within the request's deadline on a large store."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import duckdb

_PROFILE_COLUMNS = ("username", "display_name", "bio", "location", "avatar_url", "url", "protected", "verified", "created_at",
                    "valid_from", "last_seen_at")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple | dict = ()) -> list[dict]:
    cursor = con.execute(sql, params if isinstance(params, dict) else list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _one(con, sql: str, params: list | tuple = ()) -> dict | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def has_table(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0] > 0


# --- one account ---------------------------------------------------------------------------


def account(con, platform: str, account_id: str) -> dict | None:
    """The account now: newest profile, status, creation, counts; None if the store does not
    know it."""
    base = _one(con, "SELECT platform, account_id, username AS first_username, first_seen_at FROM accounts "
                     "WHERE platform = ? AND account_id = ?", [platform, account_id])
    if base is None:
        return None
    profile = _one(con, f"SELECT {', '.join(_PROFILE_COLUMNS)} FROM current_profiles WHERE platform = ? AND account_id = ?",
                   [platform, account_id]) or {}
    status = _one(con, "SELECT status, status_since FROM account_status WHERE platform = ? AND account_id = ?", [platform, account_id]) or {}
    created = _one(con, "SELECT min(created_at) AS created_at FROM profiles WHERE platform = ? AND account_id = ?", [platform, account_id]) or {}
    metrics = _one(con, "SELECT followers_count, following_count, post_count FROM metrics WHERE platform = ? AND account_id = ? "
                        "ORDER BY observed_at DESC LIMIT 1", [platform, account_id]) or {}
    activity = _one(con, "SELECT count(*) AS posts_in_store, min(created_at) AS first_post_at, max(created_at) AS last_post_at "
                         "FROM posts WHERE platform = ? AND account_id = ?", [platform, account_id]) or {}
    out = {**base, **{k: profile.get(k) for k in _PROFILE_COLUMNS}, **status, **metrics, **activity}
    out["created_at"] = created.get("created_at") or profile.get("created_at")
    out["username"] = profile.get("username") or base["first_username"]
    return out


def profile_history(con, platform: str, account_id: str, limit: int = 50) -> list[dict]:
    return _rows(con, f"SELECT {', '.join(_PROFILE_COLUMNS)} FROM profiles WHERE platform = ? AND account_id = ? "
                      "ORDER BY valid_from NULLS FIRST, last_seen_at LIMIT ?", [platform, account_id, limit])


def status_history(con, platform: str, account_id: str) -> list[dict]:
    return _rows(con, "SELECT status, valid_from, cause FROM account_status_history WHERE platform = ? AND account_id = ? "
                      "ORDER BY valid_from", [platform, account_id])


def ended(con, platform: str, account_id: str) -> dict | None:
    """When and how the account ended (suspended or deleted), if it did."""
    return _one(con, "SELECT status AS end_kind, status_since AS ended_at FROM account_status "
                     "WHERE platform = ? AND account_id = ? AND status IN ('suspended', 'deleted')", [platform, account_id])


_POST_COLUMNS = "post_id, account_id, created_at, kind, text, lang, referenced_account_id, in_reply_to_account_id"


def recent_posts(con, platform: str, account_id: str, limit: int = 30) -> list[dict]:
    posts = _rows(con, f"SELECT {_POST_COLUMNS} FROM posts "
                       "WHERE platform = ? AND account_id = ? ORDER BY created_at DESC NULLS LAST LIMIT ?", [platform, account_id, limit])
    return _with_media(con, platform, posts)


def posts_by_id(con, platform: str, post_ids: list[str]) -> list[dict]:
    """The posts a case cites (a threat, a known-content match), oldest first; ids the store
    does not hold are left out."""
    if not post_ids:
        return []
    posts = _rows(con, f"SELECT {_POST_COLUMNS} FROM posts WHERE platform = ? AND post_id IN ({', '.join('?' for _ in post_ids)}) "
                       "ORDER BY created_at NULLS LAST, post_id", [platform, *post_ids])
    return _with_media(con, platform, posts)


def _with_media(con, platform: str, posts: list[dict]) -> list[dict]:
    if posts:
        ids = [p["post_id"] for p in posts]
        media: dict[str, list[str]] = defaultdict(list)
        for post_id, value in con.execute("SELECT post_id, value FROM entities WHERE platform = ? AND kind = 'media' AND post_id IN "
                                          f"({', '.join('?' for _ in ids)}) ORDER BY post_id, position", [platform, *ids]).fetchall():
            media[post_id].append(value)
        for post in posts:
            post["media"] = media.get(post["post_id"], [])
    return posts


def handle_changes(con, platform: str, account_ids: list[str]) -> list[dict]:
    """Every handle change of these accounts (a mass rename): account, handle before and
    after, and from when the new one was seen; newest first."""
    if not account_ids:
        return []
    marks = ", ".join("?" for _ in account_ids)
    return _rows(con, f"""
        SELECT account_id, before, after, changed_at FROM (
            SELECT account_id, lag(username) OVER (PARTITION BY account_id ORDER BY valid_from NULLS FIRST, last_seen_at) AS before,
                   username AS after, valid_from AS changed_at
            FROM profiles WHERE platform = ? AND account_id IN ({marks}) AND username IS NOT NULL)
        WHERE before IS NOT NULL AND before <> after ORDER BY changed_at DESC NULLS LAST, account_id""", [platform, *account_ids])


def texts(con, platform: str, account_id: str, limit: int = 200) -> list[str]:
    rows = con.execute("SELECT text FROM posts WHERE platform = ? AND account_id = ? AND kind <> 'repost' "
                       "ORDER BY created_at DESC NULLS LAST LIMIT ?", [platform, account_id, limit]).fetchall()
    return [r[0] for r in rows if r[0]]


def handles(con, platform: str, account_ids: list[str]) -> dict[str, str]:
    if not account_ids:
        return {}
    marks = ", ".join("?" for _ in account_ids)
    rows = con.execute(
        f"SELECT a.account_id, coalesce(p.username, a.username) FROM accounts a LEFT JOIN current_profiles p USING (platform, account_id) "
        f"WHERE a.platform = ? AND a.account_id IN ({marks})", [platform, *account_ids]).fetchall()
    return {account_id: handle for account_id, handle in rows if handle}


def neighbours(con, platform: str, account_id: str, limit: int = 12) -> dict[str, list[dict]]:
    """Whom the account follows and is followed by, and whom it talks to (mentions, reposts,
    replies) in both directions, with counts."""
    follows = _rows(con, "SELECT target_account_id AS account_id FROM follows WHERE platform = ? AND source_account_id = ? LIMIT ?",
                    [platform, account_id, limit])
    followers = _rows(con, "SELECT source_account_id AS account_id FROM follows WHERE platform = ? AND target_account_id = ? LIMIT ?",
                      [platform, account_id, limit])
    talks_to = _rows(con, """
        SELECT target AS account_id, count(*) AS n FROM (
            SELECT e.target_account_id AS target FROM posts p JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
            WHERE p.platform = $1 AND p.account_id = $2 AND e.kind = 'mention' AND e.target_account_id IS NOT NULL
            UNION ALL SELECT referenced_account_id FROM posts WHERE platform = $1 AND account_id = $2 AND referenced_account_id IS NOT NULL
            UNION ALL SELECT in_reply_to_account_id FROM posts WHERE platform = $1 AND account_id = $2 AND in_reply_to_account_id IS NOT NULL
        ) WHERE target <> $2 GROUP BY 1 ORDER BY n DESC, 1 LIMIT $3""", [platform, account_id, limit])
    talked_by = _rows(con, """
        SELECT source AS account_id, count(*) AS n FROM (
            SELECT p.account_id AS source FROM entities e JOIN posts p ON e.platform = p.platform AND e.post_id = p.post_id
            WHERE e.platform = $1 AND e.kind = 'mention' AND e.target_account_id = $2
            UNION ALL SELECT account_id FROM posts WHERE platform = $1 AND referenced_account_id = $2
            UNION ALL SELECT account_id FROM posts WHERE platform = $1 AND in_reply_to_account_id = $2
        ) WHERE source <> $2 GROUP BY 1 ORDER BY n DESC, 1 LIMIT $3""", [platform, account_id, limit])
    counts = _one(con, "SELECT (SELECT count(*) FROM follows WHERE platform = $1 AND source_account_id = $2) AS following,"
                       " (SELECT count(*) FROM follows WHERE platform = $1 AND target_account_id = $2) AS followers", [platform, account_id])
    out = {"follows": follows, "followers": followers, "talks_to": talks_to, "talked_to_by": talked_by}
    names = handles(con, platform, sorted({r["account_id"] for rows in out.values() for r in rows}))
    for rows in out.values():
        for row in rows:
            row["handle"] = names.get(row["account_id"])
    out["counts"] = [counts or {}]
    return out


def promoters(con, platform: str, account_id: str, known_handles: list[str], limit: int = 10) -> list[dict]:
    """Who promoted the account: authors of posts that mention it (by id, or by any of its
    handles) or repost it, with how often, when first, and one example post."""
    lowered = [h.lower().lstrip("@") for h in known_handles if h]
    handle_clause = f"OR lower(e.value) IN ({', '.join('?' for _ in lowered)})" if lowered else ""
    rows = _rows(con, f"""
        WITH pointing AS (
            SELECT p.account_id, p.created_at, p.text, p.kind FROM posts p
            JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
            WHERE p.platform = ? AND e.kind = 'mention' AND (e.target_account_id = ? {handle_clause})
            UNION ALL
            SELECT account_id, created_at, text, kind FROM posts WHERE platform = ? AND referenced_account_id = ?
        )
        SELECT account_id, count(*) AS posts, min(created_at) AS first_at, arg_min(text, created_at) AS example,
               count_if(kind = 'repost') AS reposts
        FROM pointing WHERE account_id <> ? GROUP BY 1 ORDER BY posts DESC, first_at LIMIT ?
        """, [platform, account_id, *lowered, platform, account_id, account_id, limit])
    names = handles(con, platform, [r["account_id"] for r in rows])
    for row in rows:
        row["handle"] = names.get(row["account_id"])
    return rows


def roles(con, platform: str, account_ids: list[str]) -> dict[str, dict]:
    """Network roles, when a role model has written them to the store (table ``account_roles``
    or ``roles`` with platform, account_id, role and optionally probability)."""
    for table in ("account_roles", "roles"):
        if has_table(con, table) and account_ids:
            columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
            if not {"platform", "account_id", "role"} <= columns:
                continue
            probability = "probability" if "probability" in columns else "NULL"
            marks = ", ".join("?" for _ in account_ids)
            return {r["account_id"]: r for r in _rows(
                con, f"SELECT account_id, role, {probability} AS probability FROM {table} WHERE platform = ? AND account_id IN ({marks})",
                [platform, *account_ids])}
    return {}


# --- identities and returns ----------------------------------------------------------------


def lineage(con, platform: str, account_ids: list[str]) -> list[dict]:
    """The chains of accounts (``identities``) that contain any of these accounts, each as a
    list of links in order with handle, status and confidence."""
    if not account_ids:
        return []
    marks = ", ".join("?" for _ in account_ids)
    chains = [r[0] for r in con.execute(f"SELECT DISTINCT identity_id FROM identities WHERE platform = ? AND account_id IN ({marks})",
                                        [platform, *account_ids]).fetchall()]
    return [_chain(con, identity_id) for identity_id in sorted(chains)]


def _chain(con, identity_id: str) -> dict:
    links = _rows(con, """
        SELECT i.platform, i.account_id, i.position, i.confidence, i.method, coalesce(p.username, a.username) AS handle,
               s.status, s.status_since, (SELECT min(created_at) FROM profiles x WHERE x.platform = i.platform AND x.account_id = i.account_id) AS created_at
        FROM identities i LEFT JOIN accounts a USING (platform, account_id) LEFT JOIN current_profiles p USING (platform, account_id)
        LEFT JOIN account_status s USING (platform, account_id)
        WHERE i.identity_id = ? ORDER BY i.position""", [identity_id])
    return {"identity_id": identity_id, "links": links, "weakest_link": min((link["confidence"] for link in links[1:]), default=None)}


def lineages(con, limit: int = 100, offset: int = 0) -> list[dict]:
    ids = [r[0] for r in con.execute(
        "SELECT identity_id FROM identities GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ? OFFSET ?", [limit, offset]).fetchall()]
    return [_chain(con, identity_id) for identity_id in ids]


def returnees(con, limit: int = 100, offset: int = 0) -> list[dict]:
    """Each believed return: the account before and the account after, with confidence and
    the time between the end of one and the start of the other."""
    rows = _rows(con, """
        WITH links AS (
            SELECT n.identity_id, o.platform, o.account_id AS old_account_id, n.account_id AS new_account_id, n.confidence, n.position
            FROM identities n JOIN identities o ON o.identity_id = n.identity_id AND o.position = n.position - 1
        )
        SELECT l.*, coalesce(po.username, ao.username) AS old_handle, coalesce(pn.username, an.username) AS new_handle,
               so.status AS old_status, so.status_since AS old_ended_at,
               (SELECT min(created_at) FROM profiles x WHERE x.platform = l.platform AND x.account_id = l.new_account_id) AS new_created_at
        FROM links l
        LEFT JOIN accounts ao ON ao.platform = l.platform AND ao.account_id = l.old_account_id
        LEFT JOIN accounts an ON an.platform = l.platform AND an.account_id = l.new_account_id
        LEFT JOIN current_profiles po ON po.platform = l.platform AND po.account_id = l.old_account_id
        LEFT JOIN current_profiles pn ON pn.platform = l.platform AND pn.account_id = l.new_account_id
        LEFT JOIN account_status so ON so.platform = l.platform AND so.account_id = l.old_account_id
        ORDER BY l.confidence DESC, l.identity_id, l.position LIMIT ? OFFSET ?""", [limit, offset])
    for row in rows:
        gap = None
        if isinstance(row["old_ended_at"], datetime) and isinstance(row["new_created_at"], datetime):
            gap = (row["new_created_at"] - row["old_ended_at"]).total_seconds() / 3600
        row["hours_after_end"] = round(gap, 2) if gap is not None else None
    return rows


# --- the whole store -----------------------------------------------------------------------


def dashboard(con) -> dict:
    """Counts and daily series: suspensions, deletions, returns (accounts that are a later
    link of an identity, by the day they appeared) and accounts posting per day."""
    totals = _one(con, """SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM posts) AS posts,
                          (SELECT count(*) FROM account_status WHERE status = 'suspended') AS suspended_now,
                          (SELECT count(*) FROM account_status WHERE status = 'deleted') AS deleted_now,
                          (SELECT count(DISTINCT identity_id) FROM identities) AS lineages,
                          (SELECT count(*) FROM identities WHERE position > 0) AS returns""") or {}
    series = {
        "suspensions": con.execute("SELECT CAST(event_at AS DATE) AS day, count(*) FROM events WHERE kind = 'user_suspend' "
                                   "AND event_at IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall(),
        "deletions": con.execute("SELECT CAST(event_at AS DATE) AS day, count(*) FROM events WHERE kind = 'user_delete' "
                                 "AND event_at IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall(),
        "returns": con.execute("""SELECT CAST(coalesce(c.created_at, a.first_seen_at) AS DATE) AS day, count(*)
                                  FROM identities i JOIN accounts a USING (platform, account_id)
                                  LEFT JOIN (SELECT platform, account_id, min(created_at) AS created_at FROM profiles GROUP BY ALL) c
                                  USING (platform, account_id)
                                  WHERE i.position > 0 AND coalesce(c.created_at, a.first_seen_at) IS NOT NULL GROUP BY 1 ORDER BY 1""").fetchall(),
        "posting_accounts": con.execute("SELECT CAST(created_at AS DATE) AS day, count(DISTINCT account_id) FROM posts "
                                        "WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall(),
    }
    return {"totals": totals, "series": {name: [(day.isoformat(), n) for day, n in rows] for name, rows in series.items()}}


def interaction_graph(con, top: int = 60, platform: str | None = None) -> dict:
    """The ``top`` accounts with the most interactions (reposting, mentioning, replying, or
    being reposted, mentioned, replied to), the ties among them (weight: how many such
    interactions), their status, and communities found by weighted label propagation on
    that graph."""
    where = "AND p.platform = $platform" if platform else ""
    params = {"top": top, **({"platform": platform} if platform else {})}
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pairs AS
        WITH ties AS (
            SELECT p.platform, p.account_id AS source, p.referenced_account_id AS target FROM posts p
            WHERE p.referenced_account_id IS NOT NULL {where}
            UNION ALL SELECT p.platform, p.account_id, p.in_reply_to_account_id FROM posts p WHERE p.in_reply_to_account_id IS NOT NULL {where}
            UNION ALL SELECT p.platform, p.account_id, e.target_account_id FROM posts p
            JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id
            WHERE e.kind = 'mention' AND e.target_account_id IS NOT NULL {where}
        )
        SELECT platform, source, target, count(*) AS weight FROM ties WHERE source <> target GROUP BY ALL""",
                {k: v for k, v in params.items() if k == "platform"})
    try:
        nodes = _rows(con, """
            WITH degree AS (
                SELECT platform, account_id, sum(weight) AS engagement FROM (
                    SELECT platform, source AS account_id, weight FROM _pairs UNION ALL SELECT platform, target, weight FROM _pairs)
                GROUP BY ALL ORDER BY engagement DESC, account_id LIMIT $top
            )
            SELECT d.platform, d.account_id, d.engagement, coalesce(cp.username, a.username) AS handle, s.status
            FROM degree d LEFT JOIN accounts a USING (platform, account_id) LEFT JOIN current_profiles cp USING (platform, account_id)
            LEFT JOIN account_status s USING (platform, account_id)
            ORDER BY d.engagement DESC, d.account_id""", {"top": top})
        con.register("_top", _arrow_pairs(nodes))
        try:
            edges = _rows(con, """
                SELECT p.platform, p.source, p.target, p.weight FROM _pairs p
                JOIN _top s ON s.platform = p.platform AND s.account_id = p.source
                JOIN _top t ON t.platform = p.platform AND t.account_id = p.target
                ORDER BY p.weight DESC, p.source, p.target LIMIT 3000""")
        finally:
            con.unregister("_top")
    finally:
        con.execute("DROP TABLE IF EXISTS _pairs")
    community = label_propagation([n["account_id"] for n in nodes], [(e["source"], e["target"], e["weight"]) for e in edges])
    for node in nodes:
        node["community"] = community.get(node["account_id"], 0)
    sizes: dict[int, int] = defaultdict(int)
    for node in nodes:
        sizes[node["community"]] += 1
    return {"nodes": nodes, "edges": edges,
            "communities": sorted(({"community": c, "accounts": n} for c, n in sizes.items()), key=lambda r: (-r["accounts"], r["community"]))}


def _arrow_pairs(nodes: list[dict]):
    import pyarrow as pa

    return pa.table({"platform": pa.array([n["platform"] for n in nodes], pa.string()),
                     "account_id": pa.array([n["account_id"] for n in nodes], pa.string())})


def label_propagation(nodes: list[str], edges: list[tuple[str, str, float]], rounds: int = 30) -> dict[str, int]:
    """Communities by weighted label propagation (deterministic: nodes in the given order,
    ties to the smallest label), numbered 1, 2, ... by size."""
    neighbours: dict[str, dict[str, float]] = {n: {} for n in nodes}
    for source, target, weight in edges:
        if source in neighbours and target in neighbours:
            neighbours[source][target] = neighbours[source].get(target, 0.0) + weight
            neighbours[target][source] = neighbours[target].get(source, 0.0) + weight
    label = {n: i for i, n in enumerate(nodes)}
    for _ in range(rounds):
        changed = False
        for node in nodes:
            if not neighbours[node]:
                continue
            score: dict[int, float] = defaultdict(float)
            for other, weight in neighbours[node].items():
                score[label[other]] += weight
            best = min(score, key=lambda lab: (-score[lab], lab))
            if score[best] > score.get(label[node], 0.0) and best != label[node]:
                label[node] = best
                changed = True
        if not changed:
            break
    sizes: dict[int, int] = defaultdict(int)
    for lab in label.values():
        sizes[lab] += 1
    order = {lab: i + 1 for i, lab in enumerate(sorted(sizes, key=lambda lab: (-sizes[lab], lab)))}
    return {node: order[lab] for node, lab in label.items()}
