"""The account scorer: calibrated probabilities, explanations, JSON round trip, the shipped
model, and scoring the hand-built platform end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hydrawatch.accounts import FEATURE_NAMES, AccountScorer, TextModel, default_model_path, score_accounts
from hydrawatch.accounts.batch import account_rows, network_account_cases, read_account_data
from hydrawatch.accounts.features import INDEX

from .small_platform import IDS, SEEDS, ingest


def _text_model(seed: int) -> TextModel:
    rng = np.random.default_rng(seed)
    words = ["release", "relay", "brothers", "coffee", "football", "news", "think", "twice"]
    documents = [" ".join(rng.choice(words, 6)) for _ in range(80)]
    labels = np.array([int(("release" in d) or ("brothers" in d)) for d in documents])
    return TextModel(n_features_log2=10).fit(documents, labels)


@pytest.fixture(scope="module")
def scorer() -> AccountScorer:
    """A small scorer that learned: network-like own text and reposts of seeds mean network."""
    rng = np.random.default_rng(3)
    n = 3000
    X = np.full((n, len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    text, reposts = rng.random(n), rng.poisson(1.0, n).astype(float)
    X[:, INDEX["own_text"]] = text
    X[:, INDEX["seed_reposts"]] = reposts
    X[:, INDEX["seed_replies"]] = rng.poisson(1.0, n)
    y = ((text + 0.2 * reposts + rng.normal(0, 0.2, n)) > 1.0).astype(int)
    return AccountScorer(_text_model(1), _text_model(2), n_estimators=60).fit(X, y, np.arange(n) % 5)


def test_probabilities_are_calibrated_and_explained(scorer):
    X = np.full((2, len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    X[:, INDEX["seed_reposts"]] = [0, 6]
    X[:, INDEX["own_text"]] = [0.05, 0.95]
    p = scorer.predict_proba(X)
    assert p.shape == (2, 2) and np.allclose(p.sum(axis=1), 1.0)
    assert p[1, 1] > 0.9 > 0.1 > p[0, 1]
    low, high = scorer.contributions(X)
    assert high[0].feature in ("own_text", "seed_reposts") and high[0].log_odds > 0
    assert all(c.log_odds < 0 for c in low if c.feature == "own_text")


def test_save_load_round_trip(scorer, tmp_path):
    path = tmp_path / "scorer.json"
    scorer.save(path, {"worlds": ["toy"]})
    loaded = AccountScorer.load(path)
    rng = np.random.default_rng(9)
    X = rng.random((50, len(FEATURE_NAMES))).astype(np.float32) * 4
    X[rng.random(X.shape) < 0.3] = np.nan
    np.testing.assert_allclose(loaded.predict_proba(X), scorer.predict_proba(X))
    assert [[(c.feature, round(c.log_odds, 9)) for c in row] for row in loaded.contributions(X)] == \
        [[(c.feature, round(c.log_odds, 9)) for c in row] for row in scorer.contributions(X)]
    documents = ["release brothers", "coffee football", ""]
    np.testing.assert_array_equal(loaded.own_text.decision_function(documents), scorer.own_text.decision_function(documents))
    assert loaded.trained_on_ == {"worlds": ["toy"]} and loaded.threshold == scorer.threshold
    payload = json.loads(path.read_text())
    assert payload["version"] == "account-scorer-1"


def test_a_model_for_other_features_is_refused(scorer, tmp_path):
    path = tmp_path / "scorer.json"
    scorer.save(path)
    payload = json.loads(path.read_text())
    payload["features"] = payload["features"][:-1]
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="hydrawatch train accounts"):
        AccountScorer.load(path)


def test_shipped_model_loads_small_and_described():
    path = default_model_path()
    if not path.exists():
        pytest.skip("no shipped model yet: hydrawatch train accounts")
    assert path.stat().st_size < 2_200_000
    scorer = AccountScorer.load(path)
    assert scorer.trained_on_["worlds"] and scorer.trained_on_["generator"] == "hydrawatch.synth"
    assert 0 < scorer.threshold < 1


def test_scoring_the_platform_end_to_end(scorer, tmp_path):
    from hydrawatch.store.duck import Store

    with Store(tmp_path / "store.duckdb") as store:
        ingest(store, tmp_path)
        data = read_account_data(store)
    seeds = np.flatnonzero(data.ended)
    assert sorted(data.account_id[r] for r in seeds) == sorted(IDS[n] for n in SEEDS)
    result = score_accounts(data, seeds, scorer, threshold=0.0)
    scored = {data.account_id[r] for r in result.rows}
    assert not scored & {IDS[n] for n in SEEDS}  # seeds and ended accounts are not scored
    rows = account_rows(result, evidence_lines=3)
    assert [set(r) >= {"account_id", "username", "score", "evidence"} for r in rows] == [True] * len(rows)
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)
    assert rows == sorted(rows, key=lambda r: -r["score"])
    full = account_rows(result, evidence_lines=None, limit=1)[0]["evidence"]
    assert full[-1]["signal"] == "model" and "account-scorer-1" in full[-1]["description"]
    assert any("raises" in e["description"] or "lowers" in e["description"] for e in full[:-1])
    cases, labels, summaries = network_account_cases(result)
    assert len(cases) == len(result) and all(c.case_type == "network_account" for c in cases)
    assert all(labels[c.subject_account_id].startswith("@") for c in cases)


def test_empty_and_seedless_stores_score_without_error(scorer, tmp_path):
    from hydrawatch.store.duck import Store

    with Store(tmp_path / "empty.duckdb") as store:
        data = read_account_data(store)
        assert len(data) == 0
        result = score_accounts(data, np.zeros(0, dtype=np.int64), scorer)
        assert len(result) == 0 and account_rows(result) == []
        events = tmp_path / "events.jsonl"
        events.write_text('{"user_suspend": {"user": {"id": "5"}, "event_at": "2015-01-02T00:00:00.000Z"}}\n')
        from hydrawatch.ingest import ingest_paths

        ingest_paths(store, [events])
        data = read_account_data(store)
    result = score_accounts(data, np.flatnonzero(data.ended), scorer)  # one seed known by its id only
    assert len(data) == 1 and len(result) == 0 and len(result.seeds) == 1
