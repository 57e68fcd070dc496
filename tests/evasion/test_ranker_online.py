"""The ranker's contract (fit/predict_proba/contributions, calibration, save/load) and the
online matcher (finds mutated handles in the window, forgets reinstated accounts, reloads)."""

from __future__ import annotations

import numpy as np
import pytest

from hydrawatch.evasion.features import FEATURE_NAMES
from hydrawatch.evasion.online import Identity, NewAccount, OnlineMatcher
from hydrawatch.evasion.ranker import ReturneeRanker


def toy_pairs(n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(FEATURE_NAMES))).astype(np.float32)
    signal = X[:, FEATURE_NAMES.index("handle_edit_similarity")] + X[:, FEATURE_NAMES.index("followees_overlap")]
    y = (signal + rng.normal(0, 0.3, n) > 1.3).astype(int)
    X[rng.random(X.shape) < 0.05] = np.nan  # unknown signals happen
    return X, y


def test_ranker_is_calibrated_and_explains(tmp_path):
    X, y = toy_pairs()
    ranker = ReturneeRanker(n_estimators=80).fit(X[:2000], y[:2000], groups=np.arange(2000) // 10)
    p = ranker.predict_proba(X[2000:])[:, 1]
    assert p.shape == (1000,) and (0 <= p).all() and (p <= 1).all()
    for low, high in ((0.0, 0.2), (0.8, 1.01)):  # reliability at the ends
        inside = (p >= low) & (p < high)
        assert abs(p[inside].mean() - y[2000:][inside].mean()) < 0.1
    expected = ranker.calibrator_.predict(ranker.raw_proba(X[2000:]))  # the fast path is the isotonic map
    assert np.allclose(p, expected, rtol=0, atol=1e-12)
    explained = ranker.contributions(X[2000:2005])
    assert explained[0][0].feature in FEATURE_NAMES and abs(explained[0][0].log_odds) >= abs(explained[0][-1].log_odds)
    path = tmp_path / "m.json"
    ranker.save(path, {"note": "toy"})
    again = ReturneeRanker.load(path)
    assert np.allclose(again.predict_proba(X[2000:]), ranker.predict_proba(X[2000:]))
    assert again.trained_on_ == {"note": "toy"}


def test_a_bagged_ranker_averages_its_seeds_and_explains_exactly(tmp_path):
    X, y = toy_pairs()
    groups = np.arange(2000) // 10
    bagged = ReturneeRanker(n_estimators=40, bags=3).fit(X[:2000], y[:2000], groups=groups)
    singles = [ReturneeRanker(n_estimators=40, random_state=seed).fit(X[:2000], y[:2000], groups=groups) for seed in (0, 1, 2)]
    logit = np.mean([np.log(s.raw_proba(X[2000:]) / (1 - s.raw_proba(X[2000:]))) for s in singles], axis=0)
    assert np.allclose(bagged.raw_proba(X[2000:]), 1 / (1 + np.exp(-logit)), atol=1e-9)
    assert not np.allclose(singles[0].raw_proba(X[2000:]), singles[1].raw_proba(X[2000:]))  # the seeds differ
    shap = bagged.model_.predict(np.asarray(X[2000:2050], dtype=np.float32), pred_contrib=True)
    assert np.allclose(shap.sum(axis=1), logit[:50], atol=1e-6)  # contributions add up to the averaged log-odds
    path = tmp_path / "bagged.json"
    bagged.save(path)
    again = ReturneeRanker.load(path)
    assert again.bags == 3 and len(again.model_.boosters_) == 3
    assert np.allclose(again.predict_proba(X[2000:]), bagged.predict_proba(X[2000:]))
    single = tmp_path / "single.json"
    singles[0].save(single)
    import json
    assert "booster" in json.loads(single.read_text())  # one booster keeps the old layout


def test_a_model_saved_before_features_were_added_scores_its_own_columns(tmp_path):
    """A model file lists its features; one saved with fewer (the shipped sign-up ranker,
    saved before the time-provenance features) still loads and scores those columns only."""
    import json

    import lightgbm as lgb

    from hydrawatch.core.boosted import fit_calibrated

    X, y = toy_pairs()
    groups = np.arange(2000) // 10
    ranker = ReturneeRanker(n_estimators=40).fit(X[:2000], y[:2000], groups=groups)
    path = tmp_path / "m.json"
    ranker.save(path)
    assert json.loads(path.read_text())["features"] == list(FEATURE_NAMES)
    # what an older hydrawatch wrote: a model of the first columns only
    older = FEATURE_NAMES[:-2]
    ranker.model_, ranker.calibrator_ = fit_calibrated(lambda: lgb.LGBMClassifier(n_estimators=40, verbose=-1),
                                                       X[:2000, :len(older)], y[:2000], groups, 4)
    ranker.features_ = older
    ranker.save(path)
    loaded = ReturneeRanker.load(path)
    assert loaded.features_ == older
    wide = X[2000:].copy()
    wide[:, len(older):] = 7.0  # the newer columns do not reach the old model
    assert np.allclose(loaded.raw_proba(wide), ranker.model_.predict_proba(X[2000:, :len(older)])[:, 1])
    assert np.allclose(loaded.predict_proba(wide), loaded.predict_proba(X[2000:]))
    assert all(part.feature in older for part in loaded.contributions(wide[:3])[0])
    payload = json.loads(path.read_text())
    payload["features"] = [*older, "no_such_feature"]
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="features"):
        ReturneeRanker.load(path)


def test_ranker_refuses_one_class_and_wrong_width():
    X, y = toy_pairs(200)
    with pytest.raises(ValueError, match="both"):
        ReturneeRanker().fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="features"):
        ReturneeRanker().fit(X[:, :3], y)


def test_online_matcher_finds_returns_in_window(tmp_path):
    matcher = OnlineMatcher()
    matcher.add_many([
        Identity("twitter", "1", ("abu_x12",), ("Abu X",), "keep the lamp lit", (), 1_000_000.0),
        Identity("twitter", "2", ("zed_other",), ("Zed",), "", (), 1_000_000.0),
    ])
    matcher.add_suspended(Identity("twitter", "3", ("qamar_news",), (), "", (), 1_000_000.0))
    soon = NewAccount("twitter", "9", "abu_x13", "Abu X", "keep the lamp lit", "", 1_000_000.0 + 3600)
    best = matcher.query(soon)
    assert best and best[0].old_account_id == "1"
    assert any("number raised by 1" in e.description for e in best[0].evidence)
    late = NewAccount("twitter", "9", "abu_x13", "Abu X", "", "", 1_000_000.0 + 86400 * 90)
    assert matcher.query(late) == []  # outside the window
    assert matcher.query(NewAccount("twitter", "8", "qamar_newz", created_at=1_000_000.0 + 60))[0].old_account_id == "3"
    assert matcher.remove("twitter", "1")
    assert "1" not in [m.old_account_id for m in matcher.query(soon)]
    path = tmp_path / "index.npz"
    matcher.save(path)
    loaded = OnlineMatcher.load(path)
    assert len(loaded) == len(matcher) == 2
    assert [m.old_account_id for m in loaded.query(soon)] == [m.old_account_id for m in matcher.query(soon)]


def test_online_matcher_handles_odd_input():
    matcher = OnlineMatcher()
    matcher.add_suspended(Identity("twitter", "1", ("",), ("",), "", (), 0.0))
    matcher.add_suspended(Identity("twitter", "2", ("🔥🔥",), ("‮evil‬",), "", (), 0.0))
    for account in (NewAccount("twitter", "9", ""), NewAccount("twitter", "9", "🔥🔥", "‮evil‬"), NewAccount("twitter", "9", "x" * 500)):
        assert isinstance(matcher.query(account), list)
