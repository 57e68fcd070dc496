"""The online matcher against a brute-force reference: the rows it considers for a new
account are exactly the identities that share a key with it (not a stop-key among the
identities in the window) and ended within the window, and a common display name never crowds
the true predecessor out of the shortlist."""

from __future__ import annotations

import numpy as np
import pytest

from hydrawatch.evasion.keys import hash_keys
from hydrawatch.evasion.online import Identity, NewAccount, OnlineMatcher, _identity_key_hashes, _identity_keys

DAY = 86400.0
T0 = 1_700_000_000.0
STEMS = ("abu_omar", "umm_sara", "offerlion", "boostrose", "news_qamar", "follow_river")
NAMES = ("Best Deals 💰", "Abu Omar", "Umm Sara", "Follow Boost 🎁")


def small_world(seed: int, size: int = 600) -> tuple[list[Identity], list[NewAccount]]:
    """Dense handles (few stems plus digits, few names), suspensions over 120 days, and new
    accounts that are mutations of them created at any time."""
    rng = np.random.default_rng(seed)
    identities = [
        Identity("twitter" if rng.random() < 0.9 else "reddit", f"s{row}", (f"{rng.choice(STEMS)}{rng.integers(0, 400)}",),
                 (str(rng.choice(NAMES)),), ended_at=T0 + rng.uniform(0, 120) * DAY)
        for row in range(size)
    ]
    accounts = []
    for i in range(150):
        old = identities[int(rng.integers(size))]
        handle = old.handles[0] + str(rng.integers(0, 10)) if rng.random() < 0.5 else f"real_{old.handles[0]}"
        created = old.ended_at + rng.uniform(-0.5, 40) * DAY
        # the predecessor's id in the bio, for the tests' bookkeeping only (the matcher ignores bios when looking up)
        accounts.append(NewAccount("twitter", f"n{i}", handle, old.display_names[0] if rng.random() < 0.7 else "", old.account_id, created_at=created))
    return identities, accounts


def reference_candidates(matcher: OnlineMatcher, identities: list[Identity], account: NewAccount) -> set[int]:
    """Brute force: key sets intersected pair by pair; a key is a stop-key when more than
    ``max_postings`` identities that ended in the window hold it (any platform, reinstated or not)."""
    keys_of = [set(_identity_keys(i.handles, i.display_names, i.avatar_urls)) for i in identities]
    in_window = [-matcher.slack_hours * 3600 <= account.created_at - i.ended_at <= matcher.window_days * DAY for i in identities]
    holders: dict[str, int] = {}
    for keys, inside in zip(keys_of, in_window):
        for key in keys if inside else ():
            holders[key] = holders.get(key, 0) + 1
    cap = matcher.max_postings if matcher.max_postings is not None else float("inf")
    query_keys = {k for k in _identity_keys((account.handle,), (account.display_name,), (account.avatar_url,)) if holders.get(k, 0) <= cap}
    found = set()
    for row, identity in enumerate(identities):
        if in_window[row] and identity.platform == account.platform and keys_of[row] & query_keys and row not in matcher.removed_:
            found.add(row)
    return found


@pytest.mark.parametrize(("seed", "max_postings"), [(1, None), (2, 40), (3, 10), (6, 3)])
def test_candidates_equal_brute_force(seed, max_postings):
    identities, accounts = small_world(seed)
    matcher = OnlineMatcher(max_postings=max_postings)
    matcher.add_many(identities[:400])
    for identity in identities[400:]:  # the incremental path too (pending buffer)
        matcher.add_suspended(identity)
    matcher.remove("twitter", "s7")
    for account in accounts:
        assert set(matcher.candidates(account).tolist()) == reference_candidates(matcher, identities, account), account


def test_bulk_identity_keys_equal_per_identity_keys():
    identities, _ = small_world(4, size=300)
    identities.append(Identity("twitter", "odd", ("", "абу_x12", "abu_x12"), ("", "Abu 🔥"), avatar_urls=("https://x/a.jpg", "")))
    serial = [sorted(set(hash_keys(_identity_keys(i.handles, i.display_names, i.avatar_urls)).tolist())) for i in identities]
    owners, hashes = _identity_key_hashes(identities)
    bulk: list[set[int]] = [set() for _ in identities]
    for owner, value in zip(owners.tolist(), hashes.tolist()):
        bulk[owner].add(value)
    assert [sorted(values) for values in bulk] == serial


@pytest.mark.parametrize("predecessor_first", [True, False])
def test_common_display_name_does_not_crowd_out_the_predecessor(predecessor_first):
    """200 identities share the display name; the predecessor differs by one digit. With the
    shortlist scored by max(handle, name) all 201 tied at 1.0 and the row order decided."""
    crowd = [Identity("twitter", f"c{i}", (f"shop_{i:03d}_deals",), ("Best Deals 💰",), ended_at=T0) for i in range(200)]
    predecessor = Identity("twitter", "old", ("offerlion4",), ("Best Deals 💰",), ended_at=T0)
    matcher = OnlineMatcher()
    matcher.add_many([predecessor, *crowd] if predecessor_first else [*crowd, predecessor])
    found = matcher.query(NewAccount("twitter", "new", "offerlion5", "Best Deals 💰", created_at=T0 + 3600), limit=10)
    assert found and found[0].old_account_id == "old"


def test_online_recall_matches_the_reference_on_a_dense_world():
    """Every new account whose predecessor is among the reference candidates and differs from
    it by an affix or a digit finds it in its top 10."""
    identities, accounts = small_world(5)
    matcher = OnlineMatcher()
    matcher.add_many(identities)
    rows = {identity.account_id: row for row, identity in enumerate(identities)}
    checked = 0
    for account in accounts:
        old = identities[rows[account.bio]]
        if rows[old.account_id] in reference_candidates(matcher, identities, account):
            checked += 1
            assert old.account_id in [m.old_account_id for m in matcher.query(account, limit=10)], account
    assert checked > 50


def test_shortlist_takes_the_best_of_several_handles():
    """An identity known under several handles (and one empty) is shortlisted by its closest one."""
    crowd = [Identity("twitter", f"c{i}", (f"shop_{i:03d}_deals",), ("Best Deals 💰",), ended_at=T0) for i in range(60)]
    several = Identity("twitter", "old", ("", "zzz_qqq", "offerlion4"), ("Best Deals 💰",), ended_at=T0)
    matcher = OnlineMatcher()
    matcher.add_many([*crowd[:30], several, *crowd[30:]])
    found = matcher.query(NewAccount("twitter", "new", "offerlion5", "Best Deals 💰", created_at=T0 + 3600), limit=3)
    assert found and found[0].old_account_id == "old"


def test_saved_matcher_answers_alike_after_an_identity_ended_again(tmp_path):
    """Postings are saved without their times (ended_at of their row); an identity re-added
    with a new end time leaves postings out of order, which loading sorts again. (Uncapped: until
    then its old postings still count towards the stop-key cap, after loading they do not.)"""
    identities, accounts = small_world(7, size=300)
    matcher = OnlineMatcher(max_postings=None)
    matcher.add_many(identities)
    moved = identities[5]
    matcher.add_suspended(Identity(moved.platform, moved.account_id, moved.handles, moved.display_names, ended_at=moved.ended_at + 50 * DAY))
    accounts.append(NewAccount("twitter", "late", moved.handles[0] + "1", created_at=moved.ended_at + 50 * DAY + 3600))
    path = tmp_path / "matcher.npz"
    matcher.save(path)
    loaded = OnlineMatcher.load(path)
    for account in accounts:
        assert loaded.candidates(account).tolist() == matcher.candidates(account).tolist(), account
    assert "s5" in [m.old_account_id for m in loaded.query(accounts[-1], limit=10)]
