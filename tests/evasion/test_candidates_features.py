"""Candidate generation against its brute-force definition, every evidence signal on a pair
built to show it, and accounts with nothing but an id never crash anything."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from .tables import account, make_table

from hydrawatch.evasion.candidates import CandidateConfig, Source, all_pairs_in_window, generate, in_window
from hydrawatch.evasion.features import FEATURE_NAMES, describe, pair_features
from hydrawatch.evasion.keys import handle_keys, name_keys

handles = st.text(alphabet="abcdeiolsxz_0123", min_size=3, max_size=9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=st.lists(st.tuples(handles, st.floats(0, 200)), min_size=1, max_size=8),
    new=st.lists(st.tuples(handles, st.floats(-20, 1200)), min_size=1, max_size=12),
)
def test_key_candidates_equal_brute_force(old, new):
    """generate() finds exactly the in-window pairs that share a handle or name key."""
    rows = [account(f"o{i}", handle=h, name=h.upper(), appeared_hours=-500, ended_hours=t) for i, (h, t) in enumerate(old)]
    rows += [account(f"n{i}", handle=h, name="x" + h, appeared_hours=t) for i, (h, t) in enumerate(new)]
    table = make_table(rows)
    config = CandidateConfig(max_postings=10**9, style_per_child=0)
    parents = np.array([table.row_of[("twitter", f"o{i}")] for i in range(len(old))])
    found = generate(table, parents, config)
    keyed = {(p, c) for p, c, s in zip(found.parent.tolist(), found.child.tolist(), found.sources.tolist()) if s & (Source.HANDLE | Source.NAME)}

    def keys(row: int) -> set[str]:
        return set(handle_keys(table.handle[row])) | set(name_keys(table.display_name[row]))

    expected = {(p, c) for p, c in all_pairs_in_window(table, parents, config) if keys(p) & keys(c)}
    assert keyed == expected


def test_window_excludes_before_and_long_after():
    rows = [account("old", "abu_x12", ended_hours=0, appeared_hours=-100),
            account("before", "abu_x13", appeared_hours=-10), account("soon", "abu_x14", appeared_hours=3),
            account("late", "abu_x15", appeared_hours=24 * 40)]
    table = make_table(rows)
    parent = np.array([table.row_of[("twitter", "old")]])
    found = generate(table, parent, CandidateConfig())
    assert {table.account_id[c] for c in found.child.tolist()} == {"soon"}
    assert in_window(table, np.array([0, 0]), np.array([1, 2]), CandidateConfig()).tolist() == [False, True]


def feature_row(table, old: str, new: str, **kwargs):
    parent = np.array([table.row_of[("twitter", old)]])
    found = generate(table, parent, CandidateConfig(), **kwargs)
    index = [i for i, c in enumerate(found.child.tolist()) if table.account_id[c] == new]
    assert index, f"{new} is not a candidate of {old}"
    return dict(zip(FEATURE_NAMES, pair_features(table, found)[index[0]].tolist())), int(found.sources[index[0]])


def test_each_signal_on_a_pair_that_shows_it():
    text = "the road is long #zephyr ~ keep going ~ " * 5
    hours = [0] * 18 + [5, 9, 7, 3, 0, 0]
    rows = [
        account("old", "abu_x12", "Abu X", "keep the lamp lit in ras hilal", appeared_hours=-900, ended_hours=0,
                posts=30, text=text, hours=hours, avatar="https://img/a.jpg", hashtags=["zephyr"], contacts=["m1", "m2"]),
        account("new", "abu_x13", "Abu X", "keep the lamp lit in ras hilal again", appeared_hours=2,
                posts=10, text=text, hours=hours, avatar="https://img/a.jpg", hashtags=["zephyr"], contacts=["m1", "m2"]),
        account("f1"), account("f2"), account("f3"),
    ]
    follows = [("old", "f1"), ("old", "f2"), ("new", "f1"), ("new", "f2"), ("f3", "old"), ("f3", "new")]
    table = make_table(rows, follows)
    x, sources = feature_row(table, "old", "new")
    assert x["handle_digit_change"] == 1 and x["handle_edit_similarity"] > 0.8
    assert x["name_same"] == 1 and x["bio_similarity"] > 0.6 and x["same_avatar"] == 1
    assert 1.9 < x["hours_after_end"] < 2.1
    assert x["followees_shared"] == 2 and x["followees_overlap"] == 1.0 and x["followers_shared"] == 1
    assert x["contacts_shared"] == 2 and x["hashtags_overlap"] == 1.0
    assert x["style_similarity"] > 0.95 and x["hours_similarity"] > 0.99 and x["same_script"] == 1
    assert sources & Source.HANDLE and sources & Source.NAME and sources & Source.AVATAR and sources & Source.FOLLOWEES
    for name, value in x.items():
        assert describe(name, value)  # every signal has words for a moderator
    assert x["appeared_at_creation"] == 1 and x["end_recorded"] == 1


def test_how_the_times_are_known():
    """Without a creation time the new account appears at its first post; an end presumed
    from silence is not a recorded one: the ranker is told, to read the time gap."""
    rows = [account("old", "abu_x12", "Abu X", appeared_hours=-900, ended_hours=0, posts=5),
            account("new", "abu_x13", "Abu X", appeared_hours=300, posts=5)]
    rows[1]["created_at"] = None
    table = make_table(rows)
    table.end_kind[table.row_of[("twitter", "old")]] = "silent"
    x, _ = feature_row(table, "old", "new")
    assert x["appeared_at_creation"] == 0 and x["end_recorded"] == 0 and 299 < x["hours_after_end"] < 301
    assert describe("appeared_at_creation", 0.0) and describe("end_recorded", 0.0)


def test_a_shared_name_counts_the_accounts_that_bear_it():
    """name_sharers: how many accounts in the data bear the display name the pair shares (a
    common kunya says less than a name only these two have); unknown when the names differ."""
    rows = [account("old", "abu_x12", "Abu X", appeared_hours=-900, ended_hours=0),
            account("new", "abu_x13", "Abu X", appeared_hours=3),
            account("other", "abu_x99", "Abu Y", appeared_hours=5)]
    x, _ = feature_row(make_table(rows), "old", "new")
    assert x["name_same"] == 1 and x["name_sharers"] == 2
    rows += [account(f"namesake{i}", f"someone{i}", "ABU  X!", appeared_hours=-2000) for i in range(3)]  # same name once folded
    x, _ = feature_row(make_table(rows), "old", "new")
    assert x["name_sharers"] == 5
    x, _ = feature_row(make_table(rows), "old", "other")  # a look-alike handle, a different name
    assert x["name_same"] == 0 and math.isnan(x["name_sharers"])
    assert describe("name_sharers", 2.0) == "only these two accounts bear this display name"
    assert describe("name_sharers", 5.0) == "5 accounts bear this display name"


def test_accounts_with_nothing_but_an_id_are_scored_or_skipped():
    rows = [
        account("old", "", appeared_hours=None, ended_hours=0),  # id only, no appearance time
        account("old2", "🔥🔥", "‮evil‬", ended_hours=0, appeared_hours=-50),  # emoji-only handle, RTL override name
        account("new1", "", appeared_hours=1), account("new2", "x", "", "", appeared_hours=2),
        account("new3", "🔥🔥🔥", "‮evil‬", appeared_hours=3),
    ]
    table = make_table(rows)
    parents = np.array([table.row_of[("twitter", a)] for a in ("old", "old2")])
    found = generate(table, parents, CandidateConfig())
    X = pair_features(table, found)
    assert X.shape == (len(found), len(FEATURE_NAMES))
    assert all(describe(n, v) for row in X.tolist() for n, v in zip(FEATURE_NAMES, row) if not math.isnan(v))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ends=st.lists(st.floats(0, 400), min_size=1, max_size=6),
    id_only=st.lists(st.floats(-20, 1200), min_size=0, max_size=8),
    per_parent=st.integers(1, 4),
)
def test_id_only_children_are_paired_by_time_like_brute_force(ends, id_only, per_parent):
    """Each ended account gets the ``id_only_per_parent`` in-window accounts known only by
    their id that appeared closest to its end, and nothing else through ``time``."""
    rows = [account(f"o{i}", handle=f"old{i}x", appeared_hours=-500, ended_hours=t) for i, t in enumerate(ends)]
    rows += [account(f"n{i}", appeared_hours=t) for i, t in enumerate(id_only)]
    rows += [account("visible", handle="someone", appeared_hours=5)]  # has a handle: never a time pair
    table = make_table(rows)
    config = CandidateConfig(id_only_per_parent=per_parent, style_per_child=0)
    parents = np.array([table.row_of[("twitter", f"o{i}")] for i in range(len(ends))])
    found = generate(table, parents, config)
    timed = {(p, c) for p, c, s in zip(found.parent.tolist(), found.child.tolist(), found.sources.tolist()) if s & Source.TIME}
    expected = set()
    for parent in parents.tolist():
        inside = [c for p, c in all_pairs_in_window(table, np.array([parent]), config) if table.known_only_by_id(np.array([c]))[0]]
        inside.sort(key=lambda c: (abs(table.appeared_at[c] - table.ended_at[parent]), c))
        expected.update((parent, c) for c in inside[:per_parent])
    assert timed == expected

