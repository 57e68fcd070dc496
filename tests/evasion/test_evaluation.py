"""Pooling the returnee evaluation over several worlds."""

from __future__ import annotations

import pytest

from hydrawatch.evaluation.returnees import pooled


def _report(returns: int, mrr: float, kinds: dict[str, tuple[int, float]], flagged: int, true_flags: int, recall_cands: float) -> dict:
    return {"true_returns": returns, "mrr": mrr, "returns_by_kind": {k: n for k, (n, _) in kinds.items()},
            "mrr_by_kind": {k: m for k, (_, m) in kinds.items()}, "flagged": flagged, "true_flags": true_flags,
            "candidate_recall": recall_cands}


def test_pooled_weighs_each_world_by_its_returns():
    a = _report(100, 0.99, {"typo": (60, 1.0), "new_handle_new_name": (40, 0.975)}, flagged=95, true_flags=94, recall_cands=1.0)
    b = _report(300, 0.95, {"typo": (100, 0.98), "affix": (200, 0.935)}, flagged=290, true_flags=280, recall_cands=0.97)
    out = pooled([a, b])
    assert out["true_returns"] == 400 and out["worlds"] == 2
    assert out["mrr"] == pytest.approx((100 * 0.99 + 300 * 0.95) / 400)
    assert out["mrr_by_kind"] == pytest.approx({"affix": 0.935, "new_handle_new_name": 0.975, "typo": (60 * 1.0 + 100 * 0.98) / 160})
    assert out["precision"] == pytest.approx(374 / 385) and out["recall"] == pytest.approx(374 / 400)
    assert out["candidate_recall"] == pytest.approx((100 + 300 * 0.97) / 400)
    assert (out["mrr_lowest_world"], out["mrr_highest_world"], out["worlds_below_0.98"]) == (0.95, 0.99, 1)
