"""Neighbourhood and writing-style candidates: against their brute-force definition, and the
cases that used to lose true successors (an account known only from the follow graph, places
of the "few best" taken by accounts from other months)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.evasion.candidates import (
    CandidateConfig,
    Source,
    _shared_neighbours,
    bio_shingles,
    eligible_children,
    generate,
    shared_neighbour_pairs_reference,
)
from hydrawatch.evasion.features import FEATURE_NAMES, pair_features

from .tables import account, make_table

people = st.lists(st.sampled_from([f"f{i}" for i in range(6)]), max_size=4, unique=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=st.lists(st.tuples(people, st.floats(0, 200)), min_size=1, max_size=6),
    new=st.lists(st.tuples(people, st.floats(-20, 1200)), min_size=1, max_size=8),
    min_shared=st.integers(1, 3),
)
def test_neighbour_candidates_equal_brute_force(old, new, min_shared):
    rows = [account(f"o{i}", appeared_hours=-500, ended_hours=t) for i, (_, t) in enumerate(old)]
    rows += [account(f"n{i}", appeared_hours=t) for i, (_, t) in enumerate(new)]
    rows += [account(f"f{i}") for i in range(6)]
    follows = [(f"o{i}", f) for i, (fs, _) in enumerate(old) for f in fs] + [(f"n{i}", f) for i, (fs, _) in enumerate(new) for f in fs]
    table = make_table(rows, follows)
    config = CandidateConfig(min_shared=min_shared, neighbours_per_child=10**6)
    parents = np.array([table.row_of[("twitter", f"o{i}")] for i in range(len(old))])
    children = eligible_children(table, parents, config)
    fast = set(zip(*(a.tolist() for a in _shared_neighbours(table, parents, children, table.followees, config))))
    assert fast == shared_neighbour_pairs_reference(table, parents, children, table.followees, config)


def test_account_known_only_by_one_follow_is_paired_through_it():
    """A suspended account that never posted and is seen following one account has one
    neighbour to give: a later account following it too is a candidate, a stranger is not."""
    rows = [account("ghost", "", appeared_hours=None, ended_hours=0), account("back", "deals_new", appeared_hours=3),
            account("stranger", "someone", appeared_hours=4), account("shop"), account("news")]
    table = make_table(rows, [("ghost", "shop"), ("back", "shop"), ("back", "news"), ("stranger", "news")])
    found = generate(table, np.array([table.row_of[("twitter", "ghost")]]), CandidateConfig())
    pairs = {(table.account_id[p], table.account_id[c]): s for p, c, s in zip(found.parent.tolist(), found.child.tolist(), found.sources.tolist())}
    assert set(pairs) == {("ghost", "back")} and pairs[("ghost", "back")] & Source.FOLLOWEES


def test_accounts_of_other_months_do_not_take_the_best_places():
    """Only in-window parents compete for a child's few neighbourhood (and style) places."""
    text = "the road is long #zephyr ~ keep going ~ " * 5
    shared = [f"f{i}" for i in range(5)]
    rows = [account("true", "a1", appeared_hours=-900, ended_hours=0, posts=5, text=text),
            *[account(f"old{i}", f"b{i}", appeared_hours=-9000, ended_hours=-3000 - i, posts=5, text=text) for i in range(3)],
            account("new", "c1", appeared_hours=2, posts=5, text=text), *[account(f) for f in shared]]
    follows = [("true", "f0"), ("true", "f1"), ("new", "f0"), ("new", "f1")]
    follows += [(f"old{i}", f) for i in range(3) for f in shared] + [("new", f) for f in shared[2:]]
    table = make_table(rows, follows)
    parents = np.array([table.row_of[("twitter", a)] for a in ("true", "old0", "old1", "old2")])
    found = generate(table, parents, CandidateConfig(neighbours_per_child=1, style_per_child=1))
    pairs = {(table.account_id[p], table.account_id[c]): s for p, c, s in zip(found.parent.tolist(), found.child.tolist(), found.sources.tolist())}
    assert set(pairs) == {("true", "new")}
    assert pairs[("true", "new")] & Source.FOLLOWEES and pairs[("true", "new")] & Source.STYLE


def test_style_candidates_per_parent_pick_its_closest_writer():
    text, other = "the road is long #zephyr ~ keep going ~ " * 5, "cheap followers fast, dm for promo 💰 " * 5
    rows = [account("old", "a1", appeared_hours=-900, ended_hours=0, posts=5, text=text),
            account("same", "zz9", appeared_hours=5, posts=5, text=text + " again"),
            account("spam", "yy8", appeared_hours=3, posts=5, text=other)]
    table = make_table(rows)
    parent = np.array([table.row_of[("twitter", "old")]])
    config = CandidateConfig(style_per_child=0, style_per_parent=1, min_style=0.0)
    found = generate(table, parent, config)
    assert [(table.account_id[p], table.account_id[c]) for p, c in zip(found.parent.tolist(), found.child.tolist())] == [("old", "same")]
    assert not len(generate(table, parent, CandidateConfig(style_per_child=0, style_per_parent=0)))


def test_short_bios_are_their_own_key():
    assert bio_shingles("متابعين بسرعه") == ["bio:متابعين بسرعه"]
    assert bio_shingles("hi") == [] and bio_shingles("") == []
    assert bio_shingles("mom of two kids") == ["bio:mom of two", "bio:of two kids"]


def test_the_stock_avatar_is_no_evidence():
    stock = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
    rows = [account("old", "abu_x12", appeared_hours=-900, ended_hours=0, avatar=stock),
            account("new", "abu_x13", appeared_hours=2, avatar=stock)]
    table = make_table(rows)
    found = generate(table, np.array([table.row_of[("twitter", "old")]]), CandidateConfig())
    assert len(found) == 1 and not found.sources[0] & Source.AVATAR
    x = dict(zip(FEATURE_NAMES, pair_features(table, found)[0].tolist()))
    assert math.isnan(x["same_avatar"])
