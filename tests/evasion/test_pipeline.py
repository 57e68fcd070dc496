"""Returnee detection through the store: odd accounts never crash it, identities are saved
and replaced, and a clear successor is found with evidence."""

from __future__ import annotations

import numpy as np
import orjson
from builders import flat_tweet, jsonl, user

from hydrawatch.evasion.detect import ReturneeConfig
from hydrawatch.evasion.features import FEATURE_NAMES
from hydrawatch.evasion.ranker import ReturneeRanker
from hydrawatch.ingest import ingest_paths
from hydrawatch.pipeline import detect_returnees, save_identities


def handle_ranker() -> ReturneeRanker:
    """A small ranker that learned 'similar handle soon after the end means a return'."""
    rng = np.random.default_rng(1)
    X = np.full((2000, len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    sim, hours = rng.random(2000), rng.random(2000) * 700
    X[:, FEATURE_NAMES.index("handle_edit_similarity")] = sim
    X[:, FEATURE_NAMES.index("hours_after_end")] = hours
    y = ((sim > 0.75) & (hours < 48)).astype(int)
    return ReturneeRanker(n_estimators=60).fit(X, y, np.arange(2000) // 20)


def test_detect_and_save_identities(store, tmp_path):
    tweets = [
        flat_tweet("1", "100", "abu_x12", when="2015-03-01T10:00:00.000Z", author=user("100", "abu_x12", "Abu X", created_at="2014-01-01T00:00:00.000Z")),
        flat_tweet("2", "200", "abu_x13", when="2015-03-02T12:00:00.000Z", author=user("200", "abu_x13", "Abu X", created_at="2015-03-02T11:00:00.000Z")),
        # odd accounts: emoji-only handle, RTL-override name, empty bio, no posts (mention target only)
        flat_tweet("3", "300", "🔥🔥🔥", when="2015-03-02T13:00:00.000Z", author=user("300", "🔥🔥🔥", "\u202eevil\u202c", description="", created_at="2015-03-02T12:30:00.000Z")),
        flat_tweet("4", "400", "", when="2015-03-02T14:00:00.000Z", author=user("400", "", "", created_at="2015-03-02T13:00:00.000Z")),
    ]
    events = [
        {"user_suspend": {"user": {"id": "100"}, "event_at": "2015-03-02T09:00:00.000Z"}},
        {"user_suspend": {"user": {"id": "999"}, "event_at": "2015-03-02T09:00:00.000Z"}},  # nothing known but the id
    ]
    (tmp_path / "t.jsonl").write_bytes(jsonl(tweets))
    (tmp_path / "c.jsonl").write_bytes(jsonl(events))
    ingest_paths(store, [tmp_path / "t.jsonl", tmp_path / "c.jsonl"])
    result = detect_returnees(store, handle_ranker(), ReturneeConfig(threshold=0.5))
    pairs = {(result.table.account_id[m.old], result.table.account_id[m.new]) for m in result.matches}
    assert ("100", "200") in pairs
    match = next(m for m in result.matches if result.table.account_id[m.old] == "100")
    assert any("number raised by 1" in e.description for e in match.evidence)
    assert save_identities(store, result) >= 2
    rows = store.con.execute("SELECT account_id, position, evidence FROM identities ORDER BY identity_id, position").fetchall()
    assert [(a, p) for a, p, _ in rows][:2] == [("100", 0), ("200", 1)]
    assert orjson.loads(rows[1][2])  # the successor carries its evidence
    save_identities(store, result)  # replacing, not adding
    assert store.con.execute("SELECT count(*) FROM identities").fetchall()[0][0] == len(rows)


def test_equal_probabilities_rank_by_raw_score():
    """Isotonic calibration maps many weak pairs to one probability; the raw score orders them."""
    import numpy as np

    from hydrawatch.evasion.detect import _best_first

    probability = np.array([0.004, 0.004, 0.5, 0.004])
    raw = np.array([0.010, 0.030, 0.900, 0.020])
    assert _best_first(probability, raw).tolist() == [2, 1, 3, 0]
    assert _best_first(probability, None).tolist() == [2, 0, 1, 3]


def test_a_person_returning_twice_is_linked_step_by_step():
    """A -> B -> C where every pair scores 1.0 and the greedy pass took A -> C (highest raw
    score): the chain is read in the order the accounts appeared, A -> B and B -> C."""
    from types import SimpleNamespace

    from hydrawatch.evasion.detect import _repair_chains

    # accounts 0 = A, 1 = B, 2 = C, 3 = D (a fourth return), 4 = an unrelated new account
    table = SimpleNamespace(appeared_at=np.array([0.0, 10.0, 20.0, 30.0, 15.0]))
    parent = np.array([0, 0, 1, 0, 2, 1, 0])
    child = np.array([2, 1, 2, 3, 3, 3, 4])
    probability = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.99, 0.2])
    candidates = SimpleNamespace(parent=parent, child=child)
    # greedy took A -> C; then A -> D: a longer skip, as if A -> D came first
    assert sorted(_repair_chains(table, candidates, probability, 0.5, [0])) == [1, 2]  # A->B, B->C
    linked = _repair_chains(table, candidates, probability, 0.5, [3])  # A -> D with B and C between
    assert sorted((int(parent[i]), int(child[i])) for i in linked) == [(0, 1), (1, 2), (2, 3)]
    # a middle account already linked elsewhere, or below the threshold, leaves the link alone
    assert _repair_chains(table, candidates, probability, 0.5, [0, 5]) == [0, 5]
    assert _repair_chains(table, candidates, np.where(parent == 1, 0.3, probability), 0.5, [0]) == [0]
