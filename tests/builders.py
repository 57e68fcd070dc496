"""Small builders of valid input records, for parser tests."""

from __future__ import annotations

import orjson


def user(uid: str, username: str, name: str = "Some Name", **extra) -> dict:
    return {
        "id": uid,
        "username": username,
        "name": name,
        "description": extra.pop("description", "bio text"),
        "location": "",
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{uid}/a_normal.jpg",
        "protected": extra.pop("protected", False),
        "verified": False,
        "created_at": "2014-12-01T00:00:00.000Z",
        "public_metrics": {"followers_count": 10, "following_count": 5, "tweet_count": 3, "listed_count": 0},
        **extra,
    }


def flat_tweet(tid: str, uid: str, username: str, text: str = "hello #tag @other", when: str = "2015-01-02T03:04:05.000Z", **extra) -> dict:
    tweet = {
        "id": tid,
        "text": text,
        "created_at": when,
        "author_id": uid,
        "conversation_id": tid,
        "lang": "en",
        "entities": {
            "hashtags": [{"start": 6, "end": 10, "tag": "tag"}],
            "mentions": [{"start": 11, "end": 17, "username": "other", "id": "999"}],
            "urls": [{"start": 0, "end": 1, "url": "https://t.co/x", "expanded_url": "https://justpaste.it/abc"}],
        },
        "author": user(uid, username),
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.14.0", "retrieved_at": "2015-02-01T00:00:00+00:00"},
    }
    tweet.update(extra)
    return tweet


def jsonl(objects) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objects)


def reference(kind: str, tweet: dict) -> dict:
    """A referenced tweet as twarc2 flatten writes it: the tweet's fields merged into the reference."""
    return {"type": kind, **tweet}
