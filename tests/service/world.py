"""A small store and review database for the service tests: a suspended account and its
return (with a promoter and a lineage), an account whose name, bio and posts are attack
strings, an account that went private and public again, two accounts renamed together, and a
case of every type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from hydrawatch.core.model import Case, Evidence
from hydrawatch.ingest import ingest_paths
from hydrawatch.review import ReviewStore, case_id_of
from hydrawatch.store.duck import Store
from builders import flat_tweet, jsonl, user

T0 = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)
XSS_NAME = '<script>alert("name")</script>'
XSS_BIO = '" onmouseover="alert(1)" x="'
XSS_POST = '<img src=x onerror=alert("post")> and <script>alert(2)</script>'
RTL_HANDLE = "evil\u202egnp.exe"
ZW_NAME = "Abu\u200b X"
ATTACK_STRINGS = (XSS_NAME, XSS_BIO, XSS_POST)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def tweet(tid: str, uid: str, username: str, text: str, when: datetime, name: str = "Some Name", created: datetime | None = None,
          bio: str = "bio text", mentions: list[tuple[str, str]] = (), **extra) -> dict:
    body = flat_tweet(tid, uid, username, text=text, when=iso(when), **extra)
    body["author"] = user(uid, username, name, description=bio, created_at=iso(created or T0 - timedelta(days=300)))
    body["entities"] = {"mentions": [{"start": 0, "end": 1, "username": h, "id": i} for h, i in mentions]} if mentions else {}
    return body


def build_world(folder: Path) -> dict:
    """Write and ingest the world; returns paths and the case ids."""
    folder.mkdir(parents=True, exist_ok=True)
    bio = "keep the lamp lit, the caravan moves on"
    tweets = [
        tweet("1", "1001", "abu_x12", "the caravan moves on and the lamp stays lit tonight", T0 - timedelta(days=3), "Abu X", bio=bio),
        tweet("2", "1001", "abu_x12", "new release soon brothers share widely", T0 - timedelta(days=2), "Abu X", bio=bio),
        tweet("3", "2002", "abu_x13", "back again the caravan moves on and the lamp stays lit", T0 + timedelta(hours=3), "Abu X",
              created=T0 + timedelta(hours=2), bio=bio),
        tweet("4", "3003", "shout_one", "follow the new account of our brother @abu_x13", T0 + timedelta(hours=4), "Shout",
              mentions=[("abu_x13", "2002")]),
        tweet("5", "3003", "shout_one", "spread @abu_x13 everyone", T0 + timedelta(hours=5), "Shout", mentions=[("abu_x13", "2002")]),
        tweet("6", "6666", RTL_HANDLE, XSS_POST, T0 + timedelta(hours=6), XSS_NAME, bio=XSS_BIO),
        tweet("7", "7777", "zw_name", "hello\u200b world \u202eevil", T0 + timedelta(hours=7), ZW_NAME),
        tweet("8", "3003", "shout_one", "the new video is out", T0 + timedelta(hours=8), "Shout",
              attachments={"media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/known.jpg"}]}),
        tweet("9", "8001", "lamp_news", "daily news", T0 - timedelta(days=5), "Lamp News"),
        tweet("10", "8002", "lamp_media", "daily media", T0 - timedelta(days=5), "Lamp Media"),
        tweet("11", "8001", "caravan_news", "we moved", T0 + timedelta(hours=9), "Caravan News"),
        tweet("12", "8002", "caravan_media", "we moved too", T0 + timedelta(hours=9, minutes=5), "Caravan Media"),
    ]
    (folder / "tweets.jsonl").write_bytes(jsonl(tweets))
    events = [{"user_suspend": {"user": {"id": "1001"}, "event_at": iso(T0)}},
              {"user_protect": {"user": {"id": "3003"}, "event_at": iso(T0 - timedelta(days=1))}},
              {"user_unprotect": {"user": {"id": "3003"}, "event_at": iso(T0 + timedelta(hours=7, minutes=50))}}]
    (folder / "compliance.jsonl").write_bytes(jsonl(events))
    store_path = folder / "store.duckdb"
    with Store(store_path) as store:
        ingest_paths(store, [folder / "tweets.jsonl", folder / "compliance.jsonl"])
        store.con.executemany("INSERT INTO identities VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            ("actor-1", "twitter", "1001", 0, 1.0, "returnee", "[]", T0),
            ("actor-1", "twitter", "2002", 1, 0.93, "returnee", "[]", T0),
        ])
    now = datetime.now(UTC)
    returnee = Case("returnee", "twitter", "2002", 0.93, "returnee", "returnee-ranker-1", now,
                    (Evidence("handle", "only the number in the handle changed (by 1)", 0.86),
                     Evidence("hours_after_end", "appeared 2.0 hours from the old account's end", 2.0)), ("1001",))
    network = Case("network_account", "twitter", "6666", 0.71, "accounts", "v1", now,
                   (Evidence("bio", f"bio says {XSS_BIO}", XSS_NAME), Evidence("post_id", "a post like the network's", "6")), ())
    threat = Case("threat", "twitter", "7777", 0.55, "threats", "v1", now,
                  (Evidence("text", "threat to staff", 0.9), Evidence("threat_post", "the post", "7")), ())
    known = Case("known_content", "twitter", "3003", 0.6, "hash-bank", "pdq-1", now,
                 (Evidence("matched_post", "the post whose picture matched", "8"), Evidence("pdq_distance", "PDQ distance to bank entry", 12),
                  Evidence("bank_pdq", "picture matches a known item (PDQ distance 20)", "https://pbs.twimg.com/profile_images/3003/a_normal.jpg", 0.92)), ())
    flip = Case("private_flip", "twitter", "3003", 0.5, "flips", "v1", now,
                (Evidence("public_hours_before_post", "went public 10 minutes before posting a video", 0.17),), ())
    rename = Case("mass_rename", "twitter", "8001", 0.8, "renames", "v1", now,
                  (Evidence("renamed_together", "2 accounts changed lamp_ to caravan_ within 5 minutes", 2),), ("8002",))
    review_path = folder / "review.sqlite"
    with ReviewStore(review_path) as review:
        review.upsert([returnee, network, threat, known, flip, rename],
                      labels={"2002": "@abu_x13", "6666": XSS_NAME, "7777": "@zw_name", "3003": "@shout_one", "8001": "@caravan_news"},
                      summaries={case_id_of(returnee): "@abu_x13 may be @abu_x12 returning, 2.0 h after suspended",
                                 case_id_of(network): f"{XSS_NAME} {RTL_HANDLE} posts like the network",
                                 case_id_of(threat): "@zw_name threatens staff",
                                 case_id_of(known): "@shout_one posted a known video still",
                                 case_id_of(flip): "@shout_one went public just before a release",
                                 case_id_of(rename): "@caravan_news and 1 more renamed together"})
    return {"store": store_path, "review": review_path, "returnee": case_id_of(returnee), "network": case_id_of(network),
            "threat": case_id_of(threat), "known_content": case_id_of(known), "private_flip": case_id_of(flip),
            "mass_rename": case_id_of(rename)}


def events_payload(objects: list[dict]) -> bytes:
    return b"\n".join(orjson.dumps(o) for o in objects)
