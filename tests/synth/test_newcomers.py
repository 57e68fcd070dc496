"""Accounts keep appearing during the window, not only returnees: ordinary sign-ups and
first-time network recruits, some of them right after a suspension. And returnees do not
carry everything over."""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from hydrawatch.synth import WorldConfig, WorldSummary, generate

from .conftest import SMALL
from .recount import summary, top_level_tweets, truth_accounts, truth_rows

SIGNUP_GROUPS = {"ordinary", "news", "religious", "political", "counter", "researcher"}
START = "2015-01-01T00:00:00.000Z"
END = "2015-03-02T00:00:00.000Z"  # SMALL has 60 days


def hours(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() / 3600


@pytest.fixture(scope="module")
def world(small_world: WorldSummary) -> dict:
    folder = small_world.out_dir
    accounts = {row["account_id"]: row for row in truth_accounts(folder)}
    follows = []
    with open(small_world.follows, encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            source, target, created = line.rstrip("\n").split(",")
            follows.append((source, target, created))
    first_profile: dict[str, dict] = {}
    tweet_times = defaultdict(list)
    for tweet in top_level_tweets(folder):
        first_profile.setdefault(tweet["author_id"], tweet["author"])
        tweet_times[tweet["author_id"]].append(tweet["created_at"])
    return {"accounts": accounts, "follows": follows, "first_profile": first_profile, "tweet_times": tweet_times,
            "folder": folder, "counts": summary(folder)["counts"]}


def joined(world: dict, kind: str) -> list[dict[str, str]]:
    return [row for row in world["accounts"].values() if row["joined"] == kind]


def test_joined_says_how_every_account_came_to_exist(world: dict) -> None:
    rows = list(world["accounts"].values())
    assert {row["joined"] for row in rows} == {"initial", "signup", "recruit", "return", "mimic"}
    for row in rows:
        assert (row["joined"] == "return") == (row["generation"] != "0") == bool(row["predecessor_id"])
        assert (row["joined"] == "mimic") == bool(row["resembles"])
        assert (row["joined"] == "initial") == (row["created_at"] < START)
        assert START <= row["created_at"] < END or row["joined"] == "initial"
    counts = world["counts"]
    assert counts["signups"] == len(joined(world, "signup"))
    assert counts["recruits"] == len(joined(world, "recruit"))
    assert counts["returnees"] == len(joined(world, "return"))


def test_signups_are_many_ordinary_and_spread_over_the_window(world: dict) -> None:
    signups = joined(world, "signup")
    assert {row["group"] for row in signups} <= SIGNUP_GROUPS
    assert {"ordinary", "religious", "political"} <= {row["group"] for row in signups}
    assert all(row["generation"] == "0" and not row["predecessor_id"] for row in signups)
    eligible = sum(1 for row in world["accounts"].values() if row["group"] in SIGNUP_GROUPS)
    assert 0.2 < len(signups) / eligible < 0.3  # signup_fraction=0.25
    network_returnees = sum(1 for row in joined(world, "return") if row["group"] == "network")
    assert len(signups) > 3 * network_returnees, "new accounts are mostly ordinary sign-ups"
    per_third = Counter(int(3 * (hours(row["created_at"]) - hours(START)) / (60 * 24)) for row in signups)
    assert min(per_third[third] for third in range(3)) > 0.25 * len(signups)


def test_recruits_are_first_accounts_of_new_network_persons(world: dict) -> None:
    accounts = world["accounts"]
    recruits = joined(world, "recruit")
    assert len(recruits) == round(0.3 * SMALL["network"])
    earlier_of_person = defaultdict(list)
    for row in accounts.values():
        earlier_of_person[row["person_id"]].append(row["created_at"])
    for row in recruits:
        assert row["group"] == "network" and row["role"] and row["community"] != ""
        assert row["generation"] == "0" and row["predecessor_id"] == "" and row["mutation"] == ""
        assert min(earlier_of_person[row["person_id"]]) == row["created_at"], "nobody's successor"
    # Some of them come back after their own suspension, as generation 1 of a new person.
    recruit_ids = {row["account_id"] for row in recruits}
    assert any(row["predecessor_id"] in recruit_ids for row in accounts.values())


def test_some_recruits_join_hours_after_a_suspension_in_their_cell(world: dict) -> None:
    suspended = defaultdict(list)
    for row in world["accounts"].values():
        if row["group"] == "network" and row["suspended_at"]:
            suspended[row["community"]].append(hours(row["suspended_at"]))
    for times in suspended.values():
        times.sort()

    def since_cell_suspension(row: dict[str, str]) -> float:
        times = suspended[row["community"]]
        position = bisect.bisect_left(times, hours(row["created_at"]))
        return hours(row["created_at"]) - times[position - 1] if position else float("inf")

    recruits = [since_cell_suspension(row) for row in joined(world, "recruit")]
    returnees = [since_cell_suspension(row) for row in joined(world, "return") if row["group"] == "network"]
    within_a_day = sum(delay < 24 for delay in recruits) / len(recruits)
    assert within_a_day > 0.4, "a ban draws new supporters"
    assert sum(delay < 24 for delay in returnees) / len(returnees) > within_a_day, "returnees are faster still"


def test_recruits_look_like_the_network_and_are_sometimes_promoted(world: dict) -> None:
    accounts = world["accounts"]
    recruits = joined(world, "recruit")
    network_followees = Counter(source for source, target, _ in world["follows"]
                                if accounts[target]["group"] == "network")
    assert sum(network_followees[row["account_id"]] >= 3 for row in recruits) > 0.8 * len(recruits)
    returnees = [row for row in joined(world, "return") if row["group"] == "network"]
    recruit_median = sorted(network_followees[row["account_id"]] for row in recruits)[len(recruits) // 2]
    returnee_median = sorted(network_followees[row["account_id"]] for row in returnees)[len(returnees) // 2]
    assert recruit_median < 3 * max(returnee_median, 1), "not told apart by follow volume alone"
    promoted = [row for row in recruits if row["promoted_by"]]
    assert 0 < len(promoted) < len(recruits)
    welcomes = [tweet["text"] for tweet in top_level_tweets(world["folder"])
                if any(mention["id"] in {row["account_id"] for row in promoted}
                       for mention in tweet.get("entities", {}).get("mentions", []))
                and tweet["author_id"] in {p for row in promoted for p in row["promoted_by"].split(";")}]
    assert welcomes and not any("back after suspension" in text for text in welcomes)


def test_newcomers_act_only_after_they_exist(world: dict) -> None:
    accounts = world["accounts"]
    late = {account: row["created_at"] for account, row in accounts.items() if row["joined"] != "initial"}
    for source, target, created in world["follows"]:
        assert created >= late.get(source, "") and created >= late.get(target, "")
    for account, created in late.items():
        assert all(when >= created for when in world["tweet_times"].get(account, ()))
    posting = [account for account in late if accounts[account]["joined"] in ("signup", "recruit")
               and world["tweet_times"].get(account)]
    assert len(posting) > 0.5 * sum(1 for row in accounts.values() if row["joined"] in ("signup", "recruit"))


def test_avatars_are_never_uploaded_before_the_account_exists(world: dict) -> None:
    epoch_ms = 1288834974657
    checked = 0
    for account, profile in world["first_profile"].items():
        row = world["accounts"][account]
        url = profile["profile_image_url"]
        if "/profile_images/" not in url:
            continue
        uploaded_ms = (int(url.split("/")[-2]) >> 22) + epoch_ms
        assert uploaded_ms / 3_600_000 >= hours(row["created_at"]) - 1e-6, (row["joined"], url)
        checked += row["joined"] in ("signup", "recruit")
    assert checked > 100


def test_returnees_change_some_things_but_keep_some_continuity(world: dict) -> None:
    """Hard but not hopeless: a returnee with a new handle and a new name still shares its
    picture, bio wording or neighbours with its predecessor most of the time."""
    accounts, profiles = world["accounts"], world["first_profile"]
    avatars = {row["avatar_url"]: row["image_key"] for row in truth_rows(world["folder"], "avatars.csv")}
    followees, followers = defaultdict(set), defaultdict(set)
    for source, target, _ in world["follows"]:
        followees[source].add(target)
        followers[target].add(source)

    def words(bio: str) -> set[str]:
        return {word for word in bio.lower().replace("|", " ").split() if len(word) > 3}

    changed = Counter()
    kept = Counter()
    hardest = 0
    for row in accounts.values():
        if row["group"] != "network" or not row["predecessor_id"]:
            continue
        old, new = profiles.get(row["predecessor_id"]), profiles.get(row["account_id"])
        if old is None or new is None:
            continue
        same_image = avatars[old["profile_image_url"]] == avatars[new["profile_image_url"]]
        same_bio = bool(words(old["description"]) & words(new["description"]))
        neighbours = len(followees[row["account_id"]] & followees[row["predecessor_id"]]) + len(
            followers[row["account_id"]] & followers[row["predecessor_id"]])
        changed["image"] += not same_image
        changed["bio"] += old["description"] != new["description"]
        changed["few_refollows"] += len(followees[row["account_id"]] & followees[row["predecessor_id"]]) <= 1
        if row["mutation"] == "new_handle_new_name":
            hardest += 1
            kept["any"] += same_image or same_bio or neighbours >= 3
    assert min(changed.values()) >= 5, changed
    assert hardest >= 8 and kept["any"] >= 0.8 * hardest, (kept, hardest)


def test_no_newcomers_when_switched_off(tmp_path: Path) -> None:
    config = WorldConfig(seed=3, accounts=800, network=40, days=20, signup_fraction=0.0, recruit_fraction=0.0)
    generate(config, tmp_path)
    rows = truth_accounts(tmp_path)
    assert {row["joined"] for row in rows} <= {"initial", "return", "mimic"}
    assert all(row["created_at"] < START for row in rows if row["joined"] == "initial")
    counts = json.loads((tmp_path / "truth" / "summary.json").read_text(encoding="utf-8"))["counts"]
    assert counts["signups"] == counts["recruits"] == 0
