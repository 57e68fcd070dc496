"""Return timing when a store has no compliance events and no lineages: accounts that post
under one display name with several handles (the Kaggle "How ISIS Uses Twitter" collection
has seven such names, e.g. abuayisha102/abuayisha108), and where the network's links point
over time (the shift from content stores such as justpaste.it to Telegram).

Both read posts only, so they work on a tweet collection as it is. A display-name group is a
lead for an analyst, not proof of one actor: common names collide (the returnee detector's
lineages are the stronger evidence when the store has them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import numpy as np

from .data import HOUR, to_datetime

# Destinations an analyst tracks; everything else is "other". Matched on the host's suffix.
DESTINATIONS = {
    "telegram.me": "telegram", "t.me": "telegram", "telegram.org": "telegram", "justpaste.it": "justpaste",
    "archive.org": "archive", "youtube.com": "youtube", "youtu.be": "youtube", "twitter.com": "twitter",
    "vk.com": "vk", "friendica": "friendica", "diasp": "diaspora", "dump.to": "content store",
    "sendvid.com": "content store", "google.com": "google", "goo.gl": "shortener", "bit.ly": "shortener",
    "ow.ly": "shortener", "linkis.com": "shortener", "t.co": "t.co (unexpanded)", "facebook.com": "facebook",
    "vid.me": "content store", "reuters.com": "news", "nytimes.com": "news", "dailymail.co.uk": "news",
    "middleeasteye.net": "news", "theguardian.com": "news", "independent.co.uk": "news", "thedailybeast.com": "news",
    "washingtonpost.com": "news", "aljazeera.com": "news", "bbc.co.uk": "news", "bbc.com": "news", "cnn.com": "news",
}


def destination(url: str) -> str:
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower().removeprefix("www.")
    for suffix, name in DESTINATIONS.items():
        if host == suffix or host.endswith("." + suffix) or (suffix in ("friendica", "diasp") and suffix in host):
            return name
    return "other" if host else "unknown"


def handle_groups(store, min_handles: int = 2) -> list[dict]:
    """Display names used by ``min_handles`` or more posting accounts, with each handle's
    first and last post and the gaps between consecutive handles (negative: they overlap).
    Groups ordered by their first post."""
    rows = store.con.sql(
        """
        WITH names AS (
            SELECT platform, account_id, lower(trim(arg_max(display_name, last_seen_at))) AS name,
                   arg_max(display_name, last_seen_at) AS display_name, arg_max(username, last_seen_at) AS handle
            FROM profiles GROUP BY ALL),
        activity AS (
            SELECT platform, account_id, epoch(min(created_at)) AS first_post, epoch(max(created_at)) AS last_post,
                   count(*) AS posts
            FROM posts GROUP BY ALL)
        SELECT n.name, n.display_name, n.handle, n.account_id, a.first_post, a.last_post, a.posts
        FROM names n JOIN activity a USING (platform, account_id)
        WHERE n.name IS NOT NULL AND n.name <> ''
        ORDER BY n.name, a.first_post
        """
    ).fetchall()
    by_name: dict[str, list[tuple]] = {}
    for row in rows:
        by_name.setdefault(row[0], []).append(row)
    groups = []
    for members in by_name.values():
        if len(members) < min_handles:
            continue
        handles = [{"handle": m[2], "account_id": m[3], "first_post": to_datetime(m[4]), "last_post": to_datetime(m[5]),
                    "posts": int(m[6])} for m in members]
        gaps = [round((members[i + 1][4] - members[i][5]) / HOUR, 1) for i in range(len(members) - 1)]
        groups.append({"label": members[0][1], "handles": handles, "gaps_hours": gaps,
                       "span_days": round((max(m[5] for m in members) - members[0][4]) / 86400, 1)})
    groups.sort(key=lambda g: g["handles"][0]["first_post"])
    return groups


def handle_group_timing(groups: list[dict]) -> dict:
    """Summary of the gaps between consecutive handles of the groups."""
    gaps = np.array([gap for group in groups for gap in group["gaps_hours"]], dtype=np.float64)
    if not gaps.size:
        return {"groups": len(groups), "handovers": 0}
    return {"groups": len(groups), "handovers": int(gaps.size),
            "median_gap_hours": round(float(np.median(gaps)), 1),
            "overlapping_handovers": int((gaps < 0).sum()),
            "within_2_days": int(((gaps >= 0) & (gaps <= 48)).sum())}


def outlink_shift(store, period: str = "month", accounts: list[str] | None = None) -> list[dict]:
    """Share of out-links per destination (telegram, justpaste, archive, ...) per ``period``
    (``week`` or ``month``) in posts that are not reposts (of ``accounts`` when given).
    Links to twitter.com itself are left out (they are retweet and status links)."""
    if period not in ("week", "month"):
        raise ValueError(f"period must be week or month, got {period!r}")
    where = ""
    if accounts is not None:
        import pyarrow as pa

        store.con.register("_outlink_accounts", pa.table({"account_id": pa.array(list(accounts), pa.string())}))
        where = "AND p.account_id IN (SELECT account_id FROM _outlink_accounts)"
    rows = store.con.sql(
        f"""
        SELECT strftime(date_trunc('{period}', p.created_at), '%Y-%m-%d') AS period, e.value
        FROM entities e JOIN posts p USING (platform, post_id)
        WHERE e.kind = 'url' AND p.kind <> 'repost' {where}
        ORDER BY 1
        """
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for when, url in rows:
        kind = destination(url)
        if kind == "twitter":
            continue
        counts.setdefault(when, {}).setdefault(kind, 0)
        counts[when][kind] += 1
    out = []
    for when in sorted(counts):
        total = sum(counts[when].values())
        out.append({"period": when, "links": total,
                    "shares": {k: round(v / total, 4) for k, v in sorted(counts[when].items())}})
    return out
