"""Handle relations and blocking keys: each mutation kind is recognised, and the keys find
every pair the brute-force definition says they should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from hydrawatch.core.text import handle_skeleton
from hydrawatch.evasion.handles import affix, digit_change, relate, relate_many
from hydrawatch.evasion import index as index_module
from hydrawatch.evasion.index import BruteForceIndex, KeyIndex, among, shared_key_pairs
from hydrawatch.evasion.keys import handle_keys, hash_keys, name_keys


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("abu_x12", "abu_x13", "number raised by 1"),
        ("abuayisha102", "abuayisha108", "number raised by 6"),
        ("abu_x12", "abu_xl2", "look-alike"),
        ("abu_x12", "real_abu_x12", "'real_' added"),
        ("abu_x12_back", "abu_x12", "'_back' removed"),
        ("ummamal18", "ummamal81", "swapped"),
        ("omar_rashilal64", "omar_rasihlal64", "swapped"),
        ("omar_rashid64", "omar_rashd64", "one character changed"),
        ("Mosul_05", "emran_getu", "resembles"),
        ("SameOne", "sameone", "same handle"),
    ],
)
def test_relation_is_described(old, new, phrase):
    assert phrase in relate(old, new).describe(old, new)


def test_digit_change_and_affix_edges():
    assert digit_change("abu12", "abu13") == 1 and digit_change("abu12", "abv13") is None
    assert digit_change("abu1x2", "abu2x3") is None  # two numbers changed
    assert digit_change("abu1", "abu900") is None  # implausible jump
    assert affix("abu", "abu_new") == "_new" and affix("ab", "ab_new") is None


handles = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=3, max_size=15)


@settings(max_examples=200, deadline=None)
@given(olds=st.lists(st.one_of(handles, st.text(max_size=12), st.sampled_from(["", "abu_x12", "аbu_x13", "ابو_12", "🔥🔥"])), max_size=6),
       new=st.one_of(handles, st.text(max_size=12), st.sampled_from(["", "abu_x12", "real_abu_x12"])))
def test_relate_many_equals_relate(olds, new):
    assert relate_many(olds, new) == [relate(old, new) for old in olds]


@settings(max_examples=300, deadline=None)
@given(handle=handles, position=st.integers(min_value=0, max_value=20), char=st.sampled_from("abcxyz_79"))
def test_one_edit_always_shares_a_key(handle, position, char):
    """Insertion, deletion or substitution of one character (on the skeleton) never escapes
    the del keys: the SymSpell guarantee."""
    position %= len(handle)
    for mutated in (handle[:position] + char + handle[position:], handle[:position] + handle[position + 1 :],
                    handle[:position] + char + handle[position + 1 :]):
        a, b = handle_skeleton(handle), handle_skeleton(mutated)
        if len(a) < 4 or len(b) < 4 or Levenshtein.distance(a, b) > 1:
            continue
        assert set(handle_keys(handle)) & set(handle_keys(mutated)), (handle, mutated)


def test_keys_for_each_mutation_kind():
    pairs = [("abu_x12", "abu_x13"), ("ab0u_x12", "abou_x12"), ("abu_x12", "real_abu_x12"), ("abu_x12", "abu_x12_back"), ("abu_x12", "abu_xx12")]
    for old, new in pairs:
        assert set(handle_keys(old)) & set(handle_keys(new)), (old, new)
    assert not set(handle_keys("abu_x12")) & set(handle_keys("zed_qqq77"))
    assert name_keys("Abu Х 🔥") == name_keys("abu x")  # Cyrillic Х, emoji


times = st.one_of(st.none(), st.integers(0, 10).map(float))


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 50), st.lists(st.integers(-5, 40), max_size=6), st.integers(0, 10)), max_size=60),
       queries=st.lists(st.integers(-5, 40), max_size=8), cap=st.one_of(st.none(), st.integers(1, 5)), since=times, until=times,
       merge_every=st.sampled_from([7, 10_000]))
def test_key_index_matches_brute_force(entries, queries, cap, since, until, merge_every):
    """Including the time range searched inside each key, the cap counted within it, and
    postings still in the pending buffer (merge_every 10,000: never merged)."""
    fast, slow = KeyIndex(), BruteForceIndex()
    fast.MERGE_EVERY = merge_every
    for row, keys, time in entries:
        fast.add(row, np.array(keys, dtype=np.int64), float(time))
        slow.add(row, np.array(keys, dtype=np.int64), float(time))
    q = np.array(queries, dtype=np.int64)
    assert fast.lookup(q, cap, since, until).tolist() == slow.lookup(q, cap, since, until).tolist()
    fast.merge()
    assert fast.lookup(q, cap, since, until).tolist() == slow.lookup(q, cap, since, until).tolist()


@pytest.mark.parametrize("cores", [2, 3, 4, 8])
@pytest.mark.parametrize("timed", [False, True])
def test_parallel_sort_equals_one_sort(monkeypatch, cores, timed):
    """A large index is sorted in parts by the top bits of the hash, in threads: the same
    postings, in the same order, as one sort; repeated postings still kept once."""
    rng = np.random.default_rng(cores)
    hashes = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 3000, dtype=np.int64)
    hashes = np.concatenate([hashes, hashes[:500], rng.integers(-3, 3, 500)])  # shared keys, both signs near 0
    rows = rng.integers(0, 400, len(hashes))
    rows[3000:3200] = rows[:200]  # the same (key, row) twice
    times = rng.integers(0, 3, len(hashes)).astype(float) if timed else np.zeros(len(hashes))
    one = KeyIndex()
    one.add_many(rows, hashes, times)
    monkeypatch.setattr(index_module, "PARALLEL_SORT_FROM", 0)
    monkeypatch.setattr(index_module, "_usable_cores", lambda: cores)
    parted = KeyIndex()
    parted.add_many(rows[:2000], hashes[:2000], times[:2000])
    parted.add_many(rows[2000:], hashes[2000:], times[2000:])
    for mine, reference in zip(parted.state().values(), one.state().values()):
        assert np.array_equal(mine, reference)
    keys = np.lexsort((one.rows_, one.times_, one.hashes_))
    assert np.array_equal(keys, np.arange(len(keys)))  # the reference is sorted
    assert len(one) == len({(h, r, t) for h, r, t in zip(hashes.tolist(), rows.tolist(), times.tolist())})


@settings(max_examples=100, deadline=None)
@given(hashes=st.lists(st.integers(-2**63, 2**63 - 1) | st.integers(-40, 40), max_size=400),
       keys=st.lists(st.integers(-2**63, 2**63 - 1) | st.integers(-40, 40), max_size=20))
def test_among_is_isin(hashes, keys):
    """Both ways: the low-bits table (many hashes, few keys) and the plain binary search."""
    hashes, keys = np.array(hashes, dtype=np.int64), np.unique(np.array(keys, dtype=np.int64))
    assert among(hashes, keys).tolist() == np.flatnonzero(np.isin(hashes, keys)).tolist()


def test_among_through_the_table_with_colliding_low_bits():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(-2**63, 2**63 - 1, 300, dtype=np.int64))
    # hashes: some keys, some with a key's low 24 bits but other high bits (pass the table, fail the search), others
    twins = (keys[:100] ^ (rng.integers(1, 2**39, 100, dtype=np.int64) << 24))
    hashes = rng.permutation(np.concatenate([keys[::2], twins, rng.integers(-2**63, 2**63 - 1, 20_000, dtype=np.int64)]))
    assert len(hashes) > 16 * len(keys)
    assert among(hashes, keys).tolist() == np.flatnonzero(np.isin(hashes, keys)).tolist()
    assert len(among(hashes, keys)) == len(keys[::2])


@settings(max_examples=80, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 50), st.lists(st.integers(-5, 40), max_size=6)), max_size=60),
       queries=st.lists(st.tuples(st.integers(0, 9), st.integers(-8, 45)), max_size=30), cap=st.one_of(st.none(), st.integers(1, 5)))
def test_shared_key_pairs_equal_the_whole_index(entries, queries, cap):
    """Indexing only the keys some query has gives the pairs of the whole index: the cap still
    counts every posting of a key."""
    rows = np.array([row for row, keys in entries for _ in keys], dtype=np.int64)
    hashes = np.array([key for _, keys in entries for key in keys], dtype=np.int64)
    query_rows = np.array([q for q, _ in queries], dtype=np.int64)
    query_hashes = np.array([k for _, k in queries], dtype=np.int64)
    whole = KeyIndex()
    whole.add_many(rows, hashes)
    expected = whole.lookup_pairs(query_rows, query_hashes, cap)
    found = shared_key_pairs(query_rows, query_hashes, rows, hashes, cap)
    assert [a.tolist() for a in found] == [a.tolist() for a in expected]


def test_lookup_pairs_matches_single_lookups():
    index = KeyIndex()
    for row in range(30):
        index.add(row, hash_keys([f"k{row % 7}", f"j{row % 5}"]))
    queries = np.array([0, 0, 1, 1], dtype=np.int64)
    hashes = hash_keys(["k1", "j2", "k3", "nope"])
    q, hits = index.lookup_pairs(queries, hashes)
    expected = {(0, r) for r in range(30) if r % 7 == 1 or r % 5 == 2} | {(1, r) for r in range(30) if r % 7 == 3}
    assert set(zip(q.tolist(), hits.tolist())) == expected


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.text(max_size=30), min_size=1, max_size=100))
def test_small_and_large_batches_hash_alike(keys):
    """hash_keys loops in Python for a few keys and runs numpy over many: the same hashes."""
    one_by_one = [int(hash_keys([k])[0]) for k in keys]
    padded = keys * (70 // len(keys) + 1)  # over the small-batch size: the numpy path
    assert hash_keys(padded)[: len(keys)].tolist() == one_by_one == hash_keys(keys).tolist()


@settings(max_examples=60, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 50), st.lists(st.integers(-5, 40), max_size=6)), max_size=60),
       queries=st.lists(st.tuples(st.integers(0, 9), st.integers(-5, 40)), max_size=30), cap=st.one_of(st.none(), st.integers(1, 5)))
def test_lookup_pairs_matches_brute_force(entries, queries, cap):
    fast, slow = KeyIndex(), BruteForceIndex()
    for row, keys in entries:
        fast.add(row, np.array(keys, dtype=np.int64))
        slow.add(row, np.array(keys, dtype=np.int64))
    query_rows = np.array([q for q, _ in queries], dtype=np.int64)
    left, right = fast.lookup_pairs(query_rows, np.array([k for _, k in queries], dtype=np.int64), cap)
    expected = sorted({(q, int(r)) for q, k in queries for r in slow.lookup(np.array([k], dtype=np.int64), cap)})
    assert list(zip(left.tolist(), right.tolist())) == expected
