"""The vectorised key builder against the per-handle one: the same key hashes for every
handle, on the numpy path (printable ASCII) and the per-handle path (everything else)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.evasion.bulk_keys import MAX_FAST_LENGTH, handle_key_hashes
from hydrawatch.evasion.keys import _PREFIXES, _SUFFIXES, handle_keys, hash_keys

VARIED = [
    "", "a", "ab", "abc", "@", "@@abu_x12", "@_@abc", "Abu_X12", "ABU.X12", "abu-x-12", "abu_x12_back", "real_abu_x12",
    "the_real_abu", "the_realabu", "iam_abu", "im_abu", "xabu", "x_abu", "abu_x", "abux", "abu2", "abu_2", "abu12_ii",
    "abu_again_back_new", "official-real-abc-2", "_._abc_1_", "123", "12345678", "abc123", "a1b2c3", "newnew_abc",
    "iii", "iiii", "iabc_ii", "ii_abc", "rnrn", "arnb", "rrnn", "vvv", "vvvv", "avvvvvb", "vvrn", "Il1i_lI1", "0o0O",
    "x_x_x", "re_re_re_abc", "mr_dr_abc", "abc_xx", "abc_v2", "abc_acc_account", "the_", "real_12", "qwertyuiopasdfghjklzxcvbnm",
    "a" * 24, "a" * 25, "ab" * 12 + "c", "x" * MAX_FAST_LENGTH, "x" * (MAX_FAST_LENGTH + 1), "abu x12", "abu\tx", "abu\x00x12",
    "ابو_عمر", "ابو_عمر12", "أبو_عمر", "🔥🔥", "🔥abu_x12🔥", "аbu_x12", "ΑΒΥ_x12", "ａｂｕ_ｘ12", "abu\u200b_x12", "ab\u0301u",
    "Straße_12", "İstanbul_1", "ﷺabc", "\ud800abc", "@abu\n12", "abu12\n",
]

ascii_handles = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCRNVI_.-@0123456789rnvv", max_size=30)
affixed = st.builds(lambda p, core, s: p + core + s, st.sampled_from(["", *_PREFIXES, *(p + "_" for p in _PREFIXES)]),
                    ascii_handles, st.sampled_from(["", *_SUFFIXES, *("_" + s for s in _SUFFIXES)]))


def per_handle(handles: list[str]) -> list[list[int]]:
    return [sorted(set(hash_keys(handle_keys(h)).tolist())) for h in handles]


def bulk(handles: list[str], **options) -> list[list[int]]:
    owners, hashes = handle_key_hashes(handles, **options)
    found: list[list[int]] = [[] for _ in handles]
    for owner, value in zip(owners.tolist(), hashes.tolist()):
        found[owner].append(value)
    assert all(len(values) == len(set(values)) for values in found), "a key listed twice for one handle"
    return [sorted(values) for values in found]


def test_varied_handles_get_the_same_keys():
    assert bulk(VARIED) == per_handle(VARIED)


@settings(max_examples=200, deadline=None)
@given(handles=st.lists(st.one_of(ascii_handles, affixed, st.text(max_size=20)), max_size=40))
def test_generated_handles_get_the_same_keys(handles):
    assert bulk(handles, chunk=7) == per_handle(handles)


def test_workers_give_the_same_keys():
    handles = [f"{p}abu_{i % 977}{s}" for i, (p, s) in enumerate(zip(_PREFIXES * 8000, _SUFFIXES * 5000))][:100_000]
    one = handle_key_hashes(handles)
    two = handle_key_hashes(handles, workers=2)
    order_one, order_two = np.lexsort(one[::-1]), np.lexsort(two[::-1])
    assert np.array_equal(one[0][order_one], two[0][order_two]) and np.array_equal(one[1][order_one], two[1][order_two])


def test_only_keeps_the_keys_asked_for():
    """``only=``: per handle, exactly its keys that are among the given ones, in one thread and
    in several (pieces of 7 handles; the slow path's handles too)."""
    handles = (VARIED * 30)[:2000]
    everything = per_handle(handles)
    rng = np.random.default_rng(3)
    pool = sorted({value for values in everything for value in values})
    only = np.array(sorted(rng.choice(pool, len(pool) // 3, replace=False).tolist()), dtype=np.int64)
    wanted = set(only.tolist())
    expected = [[value for value in values if value in wanted] for values in everything]
    assert bulk(handles, only=only, chunk=7) == expected
    many = (handles * 60)[:120_000]  # over the threaded size
    assert bulk(many, only=only, workers=2) == (expected * 60)[:120_000]
