"""Build small AccountTables directly, without a store, for unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from hydrawatch.evasion.accounts import AccountTable

T0 = datetime(2015, 3, 1, tzinfo=UTC)


def account(account_id: str, handle: str = "", name: str = "", bio: str = "", appeared_hours: float | None = 0.0,
            ended_hours: float | None = None, posts: int = 0, text: str = "", hours: list[int] | None = None,
            avatar: str = "", hashtags=(), contacts=()) -> dict:
    appeared = None if appeared_hours is None else T0 + timedelta(hours=appeared_hours)
    return {
        "platform": "twitter", "account_id": account_id, "handle": handle or None, "handles": [handle] if handle else [],
        "display_name": name or None, "display_names": [name] if name else [], "bio": bio or None, "location": None,
        "avatar_url": avatar or None, "avatar_urls": [avatar] if avatar else [], "created_at": appeared,
        "first_seen_at": appeared, "ever_protected": False, "posts": posts, "reposts": 0, "replies": 0,
        "first_post_at": appeared if posts else None, "last_post_at": appeared if posts else None,
        "hour_counts": hours or [0] * 24, "text_sample": text, "lang": None, "hashtags": list(hashtags),
        "interacts_with": list(contacts), "followers_count": 0, "_ended": ended_hours,
    }


def make_table(rows: list[dict], follows: list[tuple[str, str]] = ()) -> AccountTable:
    ended = [(r["account_id"], T0 + timedelta(hours=r["_ended"])) for r in rows if r["_ended"] is not None]
    snapshot = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "_ended"} for r in rows])
    snapshot = snapshot.set_column(snapshot.schema.get_field_index("hour_counts"), "hour_counts", pa.array([r["hour_counts"] for r in rows], pa.list_(pa.int32())))
    ended_table = pa.table({
        "platform": ["twitter"] * len(ended), "account_id": [a for a, _ in ended], "end_kind": ["suspended"] * len(ended),
        "ended_at": pa.array([t for _, t in ended], pa.timestamp("us", tz="UTC")),
    })
    table = AccountTable.from_snapshots(snapshot, ended_table)
    table.attach_follows(pa.table({
        "platform": ["twitter"] * len(follows), "source_account_id": [s for s, _ in follows],
        "target_account_id": [t for _, t in follows], "created_at": pa.array([None] * len(follows), pa.timestamp("us", tz="UTC")),
    }))
    return table
