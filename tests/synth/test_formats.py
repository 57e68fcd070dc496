"""The tweets, compliance and follows files have the shapes of the real formats."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from hydrawatch.synth import WorldSummary

from .recount import top_level_tweets, truth_accounts, tweet_lines, tweet_objects, user_objects

HANDLE = re.compile(r"^[A-Za-z0-9_]{4,15}$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TWITTER_EPOCH_MS = 1288834974657


def test_every_referenced_tweet_is_also_top_level(small_world: WorldSummary, small_world_pages: WorldSummary) -> None:
    for world in (small_world, small_world_pages):
        ids = set()
        referenced = set()
        for tweet in top_level_tweets(world.out_dir):
            ids.add(tweet["id"])
            referenced.update(reference["id"] for reference in tweet.get("referenced_tweets", []))
        assert referenced and referenced <= ids


def test_entity_offsets_match_the_text(small_world: WorldSummary, small_world_pages: WorldSummary) -> None:
    checked = 0
    for world in (small_world, small_world_pages):
        for tweet in tweet_objects(world.out_dir):
            text = tweet["text"]
            entities = tweet.get("entities", {})
            assert all(entities.values()), "empty entity lists are omitted"
            for mention in entities.get("mentions", []):
                assert text[mention["start"] : mention["end"]] == "@" + mention["username"]
                assert mention["id"].isdigit()
                checked += 1
            for hashtag in entities.get("hashtags", []):
                assert text[hashtag["start"] : hashtag["end"]] == "#" + hashtag["tag"]
            for url in entities.get("urls", []):
                assert text[url["start"] : url["end"]] == url["url"]
                assert url["url"].startswith("https://t.co/") and len(url["url"]) == 23
    assert checked > 1000


def test_flat_tweets_look_like_twarc2_flatten_output(small_world: WorldSummary) -> None:
    kinds = defaultdict(int)
    for tweet in tweet_lines(small_world.out_dir):
        assert CREATED_AT.match(tweet["created_at"])
        assert tweet["lang"] in {"en", "ar", "und"}
        assert set(tweet["public_metrics"]) == {"retweet_count", "reply_count", "like_count", "quote_count"}
        assert tweet["author"]["id"] == tweet["author_id"]
        assert set(tweet["__twarc"]) == {"url", "version", "retrieved_at"}
        assert set(tweet["author"]["public_metrics"]) == {"followers_count", "following_count", "tweet_count",
                                                           "listed_count"}
        for reference in tweet.get("referenced_tweets", []):
            kinds[reference["type"]] += 1
            assert reference["author"]["id"] == reference["author_id"]
            if reference["type"] == "retweeted":
                prefix = f"RT @{reference['author']['username']}: "
                full = prefix + reference["text"]
                assert tweet["text"] == full or (tweet["text"].endswith("…") and full.startswith(tweet["text"][:-1]))
                assert len(tweet["text"]) <= 140 or tweet["text"] == full
            elif reference["type"] == "replied_to":
                assert tweet["in_reply_to_user_id"] == reference["author_id"] == tweet["in_reply_to_user"]["id"]
                assert tweet["text"].startswith("@" + tweet["in_reply_to_user"]["username"] + " ")
                assert tweet["conversation_id"] == reference["conversation_id"]
            else:
                last = tweet["entities"]["urls"][-1]
                assert last["expanded_url"] == (f"https://twitter.com/{reference['author']['username']}"
                                                f"/status/{reference['id']}")
        if "attachments" in tweet:
            assert tweet["attachments"]["media"][0]["media_key"] == tweet["attachments"]["media_keys"][0]
    assert set(kinds) == {"retweeted", "quoted", "replied_to"}


def test_pages_look_like_api_v2_responses(small_world_pages: WorldSummary) -> None:
    for page in tweet_lines(small_world_pages.out_dir):
        assert set(page) == {"data", "includes", "meta", "__twarc"}
        assert 1 <= len(page["data"]) <= 100
        assert page["meta"]["result_count"] == len(page["data"])
        ids = [int(tweet["id"]) for tweet in page["data"]]
        assert page["meta"]["newest_id"] == str(max(ids)) and page["meta"]["oldest_id"] == str(min(ids))
        users = [user["id"] for user in page["includes"]["users"]]
        assert len(users) == len(set(users))
        authors = {tweet["author_id"] for tweet in page["data"] + page["includes"].get("tweets", [])}
        assert authors <= set(users)
        for tweet in page["data"]:
            assert "author" not in tweet
            for reference in tweet.get("referenced_tweets", []):
                assert set(reference) == {"type", "id"}


def test_ids_are_snowflakes_that_grow_with_time(small_world: WorldSummary) -> None:
    tweets = [(tweet["created_at"], int(tweet["id"])) for tweet in top_level_tweets(small_world.out_dir)]
    assert [tweet_id for _, tweet_id in sorted(tweets)] == sorted(tweet_id for _, tweet_id in tweets)
    accounts = [(row["created_at"], int(row["account_id"])) for row in truth_accounts(small_world.out_dir)]
    assert [account_id for _, account_id in sorted(accounts)] == sorted(account_id for _, account_id in accounts)
    first = min(tweets)
    assert (first[1] >> 22) + TWITTER_EPOCH_MS > 1420070400000 - 1000  # 2015-01-01


def test_handles_are_valid_and_never_shared(small_world: WorldSummary) -> None:
    owners: dict[str, str] = {}
    for row in truth_accounts(small_world.out_dir):
        assert HANDLE.match(row["username"]), row["username"]
        assert owners.setdefault(row["username"].lower(), row["account_id"]) == row["account_id"]
    with open(small_world.compliance, encoding="utf-8") as events:
        for line in events:
            (kind, body), = json.loads(line).items()
            if kind == "user_profile_modification" and body["profile_field"] == "screen_name":
                assert HANDLE.match(body["new_value"])
                assert owners.setdefault(body["new_value"].lower(), body["user"]["id"]) == body["user"]["id"]
    for user in user_objects(small_world.out_dir):
        assert HANDLE.match(user["username"])
        assert owners[user["username"].lower()] == user["id"]


def test_user_objects_show_the_profile_at_tweet_time(small_world: WorldSummary) -> None:
    renames = defaultdict(list)
    with open(small_world.compliance, encoding="utf-8") as events:
        for line in events:
            (kind, body), = json.loads(line).items()
            if kind == "user_profile_modification" and body["profile_field"] == "screen_name":
                renames[body["user"]["id"]].append((body["event_at"], body["new_value"]))
    initial = {row["account_id"]: row["username"] for row in truth_accounts(small_world.out_dir)}
    counts = defaultdict(list)
    checked = 0
    for tweet in top_level_tweets(small_world.out_dir):
        author = tweet["author"]
        expected = initial[author["id"]]
        for when, handle in renames.get(author["id"], []):
            if when <= tweet["created_at"]:
                expected = handle
        assert author["username"] == expected
        checked += author["id"] in renames
        counts[author["id"]].append((tweet["created_at"], author["public_metrics"]))
    assert checked > 10
    for series in counts.values():
        series.sort(key=lambda item: item[0])
        for (_, before), (_, after) in zip(series, series[1:]):
            assert after["followers_count"] >= before["followers_count"]
            assert after["tweet_count"] > before["tweet_count"] or after["tweet_count"] == before["tweet_count"]


def test_compliance_and_follows_shapes(small_world: WorldSummary) -> None:
    times = []
    with open(small_world.compliance, encoding="utf-8") as events:
        for line in events:
            (kind, body), = json.loads(line).items()
            assert kind in {"user_suspend", "user_unsuspend", "user_protect", "user_unprotect", "user_delete",
                            "user_undelete", "user_profile_modification"}
            assert CREATED_AT.match(body["event_at"]) and body["user"]["id"].isdigit()
            if kind == "user_profile_modification":
                assert body["profile_field"] in {"screen_name", "name", "description", "profile_image_url",
                                                 "location", "url"}
            times.append(body["event_at"])
    assert times == sorted(times)
    with open(small_world.follows, encoding="utf-8") as follows:
        assert follows.readline() == "source_id,target_id,created_at\n"
        for line in follows:
            source, target, created = line.rstrip("\n").split(",")
            assert source.isdigit() and target.isdigit() and source != target and CREATED_AT.match(created)
