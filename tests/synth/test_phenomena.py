"""A small world contains every phenomenon of the founding case, and the truth says so."""

from __future__ import annotations

import difflib
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from hydrawatch.synth import WorldSummary

from .recount import top_level_tweets, truth_accounts, truth_rows

GROUPS = {"network", "news", "religious", "political", "counter", "researcher", "lookalike", "parody", "spam",
          "ordinary"}
ROLES = {"media", "scripture", "provincial", "amplifier", "shoutout", "recruiter", "fighter"}
MUTATIONS = {"digit_increment", "affix", "confusable", "typo", "new_handle_same_name", "new_handle_new_name"}
PLATFORMS = {"telegram", "diaspora", "friendica", "vk", "justpaste", "archive"}


def hours_between(earlier: str, later: str) -> float:
    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parse(later) - parse(earlier)).total_seconds() / 3600


@pytest.fixture(scope="module")
def world(small_world: WorldSummary) -> dict:
    folder = small_world.out_dir
    accounts = {row["account_id"]: row for row in truth_accounts(folder)}
    tweets = list(top_level_tweets(folder))
    events = []
    with open(small_world.compliance, encoding="utf-8") as lines:
        for line in lines:
            (kind, body), = json.loads(line).items()
            events.append((kind, body))
    return {"accounts": accounts, "tweets": tweets, "events": events, "folder": folder}


def test_every_group_role_and_mutation_exists(world: dict) -> None:
    rows = world["accounts"].values()
    assert {row["group"] for row in rows} == GROUPS
    assert {row["role"] for row in rows if row["group"] == "network"} == ROLES
    assert {row["role"] for row in rows if row["group"] != "network"} == {""}
    assert {row["mutation"] for row in rows if row["generation"] != "0"} == MUTATIONS
    assert {row["mutation"] for row in rows if row["group"] == "spam" and row["generation"] != "0"} <= MUTATIONS
    assert any(row["group"] == "spam" and row["generation"] != "0" for row in rows)
    communities = Counter(row["community"] for row in rows if row["group"] == "network" and row["generation"] == "0")
    assert len(communities) >= 3 and max(communities.values()) <= 60


def test_return_chains_are_consistent_and_fast(world: dict) -> None:
    accounts = world["accounts"]
    returnees = [row for row in accounts.values() if row["predecessor_id"]]
    assert max(int(row["generation"]) for row in returnees if row["group"] == "network") >= 2
    delays = []
    for row in returnees:
        predecessor = accounts[row["predecessor_id"]]
        assert predecessor["person_id"] == row["person_id"]
        assert int(row["generation"]) == int(predecessor["generation"]) + 1
        assert row["created_at"] > predecessor["created_at"]
        if predecessor["suspended_at"]:
            delays.append(hours_between(predecessor["suspended_at"], row["created_at"]))
    assert min(delays) > 0
    assert statistics.median(delays) < 24, "returns come almost immediately"


def test_mutations_do_what_they_say(world: dict) -> None:
    accounts = world["accounts"]
    renamed = {body["user"]["id"] for kind, body in world["events"]
               if kind == "user_profile_modification" and body["profile_field"] == "screen_name"}
    checked = Counter()
    for row in accounts.values():
        if not row["predecessor_id"] or row["predecessor_id"] in renamed:
            continue
        before = accounts[row["predecessor_id"]]
        old, new = before["username"].lower(), row["username"].lower()
        assert old != new
        if row["mutation"] == "digit_increment":
            # Same stem, other number (a 15-character handle loses its last letter to the digit).
            assert re.sub(r"\d+$", "", old).startswith(re.sub(r"\d+$", "", new))
        elif row["mutation"] == "new_handle_same_name":
            assert row["display_name"] == before["display_name"]
        elif row["mutation"] in ("typo", "affix", "confusable"):
            assert difflib.SequenceMatcher(None, old, new).ratio() >= 0.6, (old, new)
        checked[row["mutation"]] += 1
    assert len(checked) >= 5


def test_suspensions_intensify_and_have_one_mass_wave(world: dict, small_world: WorldSummary) -> None:
    network = {account for account, row in world["accounts"].items() if row["group"] == "network"}
    per_day = Counter(body["event_at"][:10] for kind, body in world["events"]
                      if kind == "user_suspend" and body["user"]["id"] in network)
    wave_day, wave_count = per_day.most_common(1)[0]
    others = [count for day, count in per_day.items() if day != wave_day]
    assert wave_count >= 4 * statistics.median(others)
    days = sorted(per_day)
    half = len(days) // 2
    first_half = sum(per_day[day] for day in days[:half] if day != wave_day)
    second_half = sum(per_day[day] for day in days[half:] if day != wave_day)
    assert second_half > first_half * 0.8  # fewer accounts left, yet the pace holds or grows


def test_innocent_accounts_are_sometimes_suspended_and_restored(world: dict) -> None:
    accounts = world["accounts"]
    innocent = {"news", "religious", "political", "counter", "ordinary", "lookalike"}
    suspended = {body["user"]["id"] for kind, body in world["events"] if kind == "user_suspend"}
    restored = {body["user"]["id"] for kind, body in world["events"] if kind == "user_unsuspend"}
    assert any(accounts[account]["group"] in innocent for account in suspended)
    assert restored and all(accounts[account]["group"] in innocent for account in restored)
    assert any(accounts[account]["group"] == "spam" for account in suspended)


def test_protected_outlets_flip_public_around_releases(world: dict) -> None:
    releases = truth_rows(world["folder"], "releases.csv")
    assert releases
    releases_by_account = defaultdict(list)
    for release in releases:
        releases_by_account[release["account_id"]].append(release["released_at"])
    flips = 0
    for kind, body in world["events"]:
        if kind == "user_unprotect" and body["user"]["id"] in releases_by_account:
            soon = [when for when in releases_by_account[body["user"]["id"]] if 0 < hours_between(body["event_at"], when) < 2]
            flips += bool(soon)
    assert flips >= 3
    assert any(world["accounts"][account]["role"] == "media" for account in releases_by_account)


def test_amplifiers_retweet_releases_in_bursts(world: dict) -> None:
    releases = {row["post_id"]: row["released_at"] for row in truth_rows(world["folder"], "releases.csv")}
    within_half_hour = Counter()
    for tweet in world["tweets"]:
        for reference in tweet.get("referenced_tweets", []):
            if reference["type"] == "retweeted" and reference["id"] in releases:
                if hours_between(releases[reference["id"]], tweet["created_at"]) <= 0.5:
                    within_half_hour[reference["id"]] += 1
    assert sum(1 for count in within_half_hour.values() if count >= 3) >= len(releases) / 3
    release_texts = [tweet["text"] for tweet in world["tweets"] if tweet["id"] in releases]
    assert any("release" in text.lower() for text in release_texts) and any("إصدار" in text for text in release_texts)


def test_shoutouts_promote_returnees_by_handle_within_hours(world: dict) -> None:
    accounts = world["accounts"]
    mentions = defaultdict(list)
    for tweet in world["tweets"]:
        if "referenced_tweets" in tweet:
            continue
        for mention in tweet.get("entities", {}).get("mentions", []):
            mentions[(tweet["author_id"], mention["id"])].append((tweet["created_at"], mention["username"], tweet["text"]))
    promoted = [row for row in accounts.values() if row["promoted_by"]]
    assert promoted
    delays = []
    arabic = english = 0
    for row in promoted:
        # Returnees, and some first-time recruits ("welcome the brother").
        assert row["group"] == "network" and (row["generation"] != "0" or row["joined"] == "recruit")
        for promoter in row["promoted_by"].split(";"):
            assert accounts[promoter]["role"] == "shoutout"
            sightings = mentions[(promoter, row["account_id"])]
            assert sightings, "the promotion names the returnee"
            when, username, text = sightings[0]
            assert "@" + username in text
            delays.append(hours_between(row["created_at"], when))
            arabic += "الحساب الجديد" in text or "الأخ" in text
            english += "new account" in text.lower() or "brother" in text.lower()
    assert statistics.median(delays) < 6
    assert arabic and english
    assert any(row["username"] == username for row in promoted for _, username, _ in
               mentions[(row["promoted_by"].split(";")[0], row["account_id"])])


def test_network_migrates_and_telegram_grows(world: dict) -> None:
    rows = truth_rows(world["folder"], "migration.csv")
    assert {row["platform"] for row in rows} == PLATFORMS
    shortlinks = {row["short_url"]: row["expanded_url"] for row in truth_rows(world["folder"], "shortlinks.csv")}
    destinations = {row["destination"] for row in rows}
    platform_of = {row["destination"]: row["platform"] for row in rows}
    found = set()
    # Per half of the window: (Telegram links, links to any migration platform), top-level posts.
    links_by_half = {False: Counter(), True: Counter()}
    middle = sorted(tweet["created_at"] for tweet in world["tweets"])[len(world["tweets"]) // 2]
    for tweet in world["tweets"]:
        for url in tweet.get("entities", {}).get("urls", []):
            expanded = shortlinks.get(url["expanded_url"], url["expanded_url"])
            bare = expanded.split("://", 1)[1].replace("telegram.me/", "t.me/")
            if bare in destinations:
                found.add(bare)
            platform = platform_of.get(bare, "")
            if platform in ("telegram", "diaspora", "friendica", "vk") and "referenced_tweets" not in tweet:
                links_by_half[tweet["created_at"] >= middle][platform == "telegram"] += 1
    assert len(found) >= len(destinations) * 0.8
    assert any(destination.startswith("t.me/") for destination in found)
    assert any(url.split("://", 1)[1].startswith("shrt.example") or "example/" in url for url in shortlinks)
    telegram_share = {half: links[True] / sum(links.values()) for half, links in links_by_half.items()}
    assert telegram_share[True] > telegram_share[False] + 0.1


def test_renames_and_the_mass_rename_burst(world: dict) -> None:
    accounts = world["accounts"]
    renames = [(body["event_at"], body["user"]["id"]) for kind, body in world["events"]
               if kind == "user_profile_modification" and body["profile_field"] == "screen_name"]
    per_day = Counter(when[:10] for when, account in renames if accounts[account]["group"] == "network")
    (_, burst), (_, runner_up) = per_day.most_common(2)
    assert burst >= 4 and burst >= 2 * runner_up, per_day.most_common(3)
    fields = {body["profile_field"] for kind, body in world["events"] if kind == "user_profile_modification"}
    assert {"screen_name", "description"} <= fields


def test_hard_negatives_behave_like_themselves(world: dict, small_world: WorldSummary) -> None:
    accounts = world["accounts"]
    group_of = {account: row["group"] for account, row in accounts.items()}
    quoted_network_by_news = replies_to_network_by_counter = religious_migration = 0
    for tweet in world["tweets"]:
        author_group = group_of[tweet["author_id"]]
        for reference in tweet.get("referenced_tweets", []):
            target_group = group_of[reference["author_id"]]
            if reference["type"] == "quoted" and author_group == "news" and target_group == "network":
                quoted_network_by_news += 1
            if reference["type"] == "replied_to" and author_group == "counter" and target_group == "network":
                replies_to_network_by_counter += 1
        if author_group == "religious" and "t.me" in json.dumps(tweet.get("entities", {})):
            religious_migration += 1
    assert quoted_network_by_news and replies_to_network_by_counter and not religious_migration
    mention_of_org = Counter(group_of[tweet["author_id"]] for tweet in world["tweets"]
                             if "Zephyr Relay" in tweet["text"] or "رابطة زفير" in tweet["text"])
    assert mention_of_org["news"] and mention_of_org["counter"] and mention_of_org["network"]
    researcher_follows = Counter()
    with open(small_world.follows, encoding="utf-8") as follows:
        next(follows)
        for line in follows:
            source, target, _ = line.split(",")
            if group_of[source] == "researcher" and group_of[target] == "network":
                researcher_follows[source] += 1
    assert researcher_follows and min(researcher_follows.values()) >= 10


def test_parodies_and_decoys_appear_after_the_suspension_they_mimic(world: dict) -> None:
    accounts = world["accounts"]
    mimics = [row for row in accounts.values() if row["resembles"]]
    assert {row["group"] for row in mimics} == {"parody", "lookalike"}
    for row in mimics:
        target = accounts[row["resembles"]]
        assert target["group"] == "network"
        assert target["suspended_at"] or target["status_at_end"] == "deleted"
        if target["suspended_at"]:
            assert row["created_at"] > target["suspended_at"]


def test_returnees_keep_their_style(world: dict) -> None:
    accounts = world["accounts"]
    avatars = {row["avatar_url"]: row["image_key"] for row in truth_rows(world["folder"], "avatars.csv")}
    avatar_of = {}
    for tweet in world["tweets"]:
        avatar_of.setdefault(tweet["author_id"], tweet["author"]["profile_image_url"])
    same_image = new_url = same_language = 0
    returnees = [row for row in accounts.values() if row["predecessor_id"]]
    for row in returnees:
        predecessor = row["predecessor_id"]
        same_language += row["language"] == accounts[predecessor]["language"]
        if row["account_id"] in avatar_of and predecessor in avatar_of:
            new_url += avatar_of[row["account_id"]] != avatar_of[predecessor]
            same_image += avatars[avatar_of[row["account_id"]]] == avatars[avatar_of[predecessor]]
    # Most keep their language; a few change their language mix.
    assert 0.75 * len(returnees) <= same_language < len(returnees)
    assert same_image >= 10 and new_url >= same_image


def test_network_members_rarely_share_a_display_name_by_chance(world: dict) -> None:
    """Display names repeat among one person's accounts, seldom between two network members
    (as in the real Kaggle collection), while ordinary users keep their common namesakes."""
    first_names: dict[str, dict[str, str]] = defaultdict(dict)
    for row in world["accounts"].values():
        if row["joined"] == "initial" and row["group"] in ("network", "ordinary") and row["role"] != "media":
            first_names[row["group"]][row["person_id"]] = row["display_name"]

    def shared(names: dict[str, str]) -> float:
        counts = Counter(names.values())
        return sum(1 for name in names.values() if counts[name] > 1) / len(names)

    assert len(first_names["network"]) >= 80
    assert shared(first_names["network"]) < 0.2
    assert shared(first_names["ordinary"]) > 0.4
