"""An independent, deliberately plain recount of a written world, for checking summary.json.

It reads the files back with json/csv only and applies the count semantics the ingest is
checked against; it shares no code with hydrawatch.synth.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

STATUS_EVENTS = {"user_suspend", "user_unsuspend", "user_protect", "user_unprotect", "user_delete", "user_undelete"}


def tweet_lines(folder: Path) -> Iterator[dict]:
    plain = folder / "tweets.jsonl"
    if plain.exists():
        with open(plain, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)
    else:
        with gzip.open(folder / "tweets.jsonl.gz", "rt", encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def top_level_tweets(folder: Path) -> Iterator[dict]:
    """Top-level tweets, whatever the format (flat lines or API pages)."""
    for line in tweet_lines(folder):
        if "data" in line:
            yield from line["data"]
        else:
            yield line


def user_objects(folder: Path) -> Iterator[dict]:
    """Every user object written anywhere."""
    for line in tweet_lines(folder):
        if "data" in line:
            yield from line["includes"].get("users", [])
            continue
        yield line["author"]
        if "in_reply_to_user" in line:
            yield line["in_reply_to_user"]
        for reference in line.get("referenced_tweets", []):
            yield reference["author"]
            if "in_reply_to_user" in reference:
                yield reference["in_reply_to_user"]


def tweet_objects(folder: Path) -> Iterator[dict]:
    """Every tweet object written anywhere (top level and referenced)."""
    for line in tweet_lines(folder):
        if "data" in line:
            yield from line["data"]
            yield from line["includes"].get("tweets", [])
        else:
            yield line
            yield from line.get("referenced_tweets", [])


def profile_state(user: dict) -> tuple:
    return (user["id"], user["username"], user["name"], user.get("description", ""), user.get("location", ""),
            user.get("profile_image_url", ""), user.get("url", ""), user.get("protected"), user.get("verified"))


def recount(folder: Path) -> dict[str, int]:
    folder = Path(folder)
    posts = {tweet["id"] for tweet in top_level_tweets(folder)}
    accounts: set[str] = set()
    for tweet in tweet_objects(folder):
        accounts.add(tweet["author_id"])
        if "in_reply_to_user_id" in tweet:
            accounts.add(tweet["in_reply_to_user_id"])
        for mention in tweet.get("entities", {}).get("mentions", []):
            accounts.add(mention["id"])
    profiles = set()
    for user in user_objects(folder):
        accounts.add(user["id"])
        profiles.add(profile_state(user))
    follows = set()
    with open(folder / "follows.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            follows.add((row["source_id"], row["target_id"]))
            accounts.add(row["source_id"])
            accounts.add(row["target_id"])
    events = set()
    last_status: dict[str, str] = {}
    dated = []
    with open(folder / "compliance.jsonl", encoding="utf-8") as handle:
        for position, line in enumerate(handle):
            events.add(line)
            (kind, body), = json.loads(line).items()
            accounts.add(body["user"]["id"])
            dated.append((body["event_at"], position, kind, body["user"]["id"]))
    for _, _, kind, account in sorted(dated):
        if kind in STATUS_EVENTS:
            last_status[account] = kind
    return {
        "posts": len(posts),
        "accounts": len(accounts),
        "follows": len(follows),
        "events": len(events),
        "profiles": len(profiles),
        "suspended": sum(1 for kind in last_status.values() if kind == "user_suspend"),
    }


def truth_accounts(folder: Path) -> list[dict[str, str]]:
    with open(Path(folder) / "truth" / "accounts.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def truth_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(Path(folder) / "truth" / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def summary(folder: Path) -> dict:
    return json.loads((Path(folder) / "truth" / "summary.json").read_text(encoding="utf-8"))
