"""Migration rows from link tables: one row per (account, destination), timing, identity hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from hydrawatch.network.links import LinkClassifier, LinkResolver
from hydrawatch.network.migration import account_destinations, destinations_over_time, link_identities, platform_summary

T = datetime(2015, 3, 1, 12, tzinfo=UTC)


def posted() -> pa.Table:
    return pa.table({
        "platform": ["twitter"] * 5,
        "account_id": ["1", "1", "2", "3", "3"],
        "post_id": ["p1", "p2", "p3", "p4", "p5"],
        "post_kind": ["original", "original", "repost", "original", "original"],
        "created_at": [T, T + timedelta(days=2), T + timedelta(hours=1), T + timedelta(days=9), T],
        "url": ["https://t.me/AbuWalid7", "https://telegram.me/abuwalid7", "https://t.me/abuwalid7", "https://bit.ly/x", "https://news.example/a"],
    })


def profiles() -> pa.Table:
    return pa.table({"platform": ["twitter"], "account_id": ["3"], "url": ["https://t.co/abc"], "first_seen": [T - timedelta(days=1)]})


def ended() -> pa.Table:
    return pa.table({"platform": ["twitter"], "account_id": ["1"], "ended_at": [T + timedelta(days=3)]})


def test_rows_per_account_and_destination():
    resolver = LinkResolver({"https://bit.ly/x": "https://justpaste.it/rel1", "https://t.co/abc": "https://vk.com/Walid"})
    result = account_destinations(posted(), profiles(), LinkClassifier(resolver), ended())
    rows = {(r["account_id"], r["destination"]): r for r in result.rows}
    assert set(rows) == {("1", "t.me/abuwalid7"), ("2", "t.me/abuwalid7"), ("3", "justpaste.it/rel1"), ("3", "vk.com/walid")}
    first = rows[("1", "t.me/abuwalid7")]
    assert first["posts"] == 2 and first["first_seen"] == T and first["last_seen"] == T + timedelta(days=2)
    assert first["hours_before_end"] == 72.0 and not first["via_repost_only"]
    assert rows[("2", "t.me/abuwalid7")]["via_repost_only"]
    assert rows[("3", "vk.com/walid")]["in_profile"] and "https://t.co/abc -> https://vk.com/Walid" in rows[("3", "vk.com/walid")]["evidence"][0]
    assert result.links_seen == 6 and result.links_classified == 5 and result.unresolved_short_links == 0
    without_reposts = account_destinations(posted(), None, LinkClassifier(resolver), include_reposts=False)
    assert {r["account_id"] for r in without_reposts.rows} == {"1", "3"}


def test_summary_timeline_and_identities():
    result = account_destinations(posted(), profiles(), LinkClassifier(), ended())
    summary = {r["platform"]: r for r in platform_summary(result.rows)}
    assert summary["telegram"] == {"platform": "telegram", "kind": "platform", "destinations": 1, "accounts": 2}
    timeline = destinations_over_time(result.rows, ended())
    assert timeline[0]["platform"] == "telegram" and timeline[0]["accounts"] == 2 and timeline[0]["new_destinations"] == 1
    assert timeline[0]["suspensions"] == 1
    assert result.unresolved_short_links == 2  # bit.ly and t.co, with no resolver table
    rows = link_identities(result.rows, {"1": "AbuWalid_07", "2": "someone_else"}, {("telegram", "abuwalid7"): "tg-42"})
    by_account = {r["account_id"]: r for r in rows}
    assert by_account["1"]["name_similarity"] > 80 > by_account["2"]["name_similarity"]
    assert by_account["1"]["known_account"] == "telegram:tg-42"
