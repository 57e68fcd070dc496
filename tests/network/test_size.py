"""Capture-recapture against hand-computed values and exactly known populations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chi2

from hydrawatch.core.errors import ConfigError
from hydrawatch.network.size import _forward_selection, capture_histories, chapman, estimate_size, loglinear


def test_chapman_matches_hand_computation():
    # n1 = 100, n2 = 80, m = 40: N = 101 * 81 / 41 - 1; var = 101 * 81 * 60 * 40 / (41^2 * 42)
    found = chapman(100, 80, 40)
    assert found.estimate == pytest.approx(101 * 81 / 41 - 1)
    assert found.observed == 140
    variance = 101 * 81 * 60 * 40 / (41**2 * 42)
    unseen = found.estimate - 140
    spread = math.exp(1.959964 * math.sqrt(math.log(1 + variance / unseen**2)))
    assert found.low == pytest.approx(140 + unseen / spread, rel=1e-5)
    assert found.high == pytest.approx(140 + unseen * spread, rel=1e-5)
    assert round(found.estimate, 1) == 198.5 and round(found.low, 1) == 173.9 and round(found.high, 1) == 241.2


def test_chapman_complete_overlap_and_bad_input():
    same = chapman(50, 50, 50)
    assert same.estimate == pytest.approx(50.0) and same.low == same.high == pytest.approx(50.0)
    with pytest.raises(ConfigError, match="overlap"):
        chapman(10, 5, 6)


def _lists_from_cells(cells: dict[tuple[int, ...], int]) -> dict[str, set[str]]:
    k = len(next(iter(cells)))
    lists = {f"l{i}": set() for i in range(k)}
    serial = itertools.count()
    for history, count in cells.items():
        for _ in range(count):
            account = f"a{next(serial)}"
            for i, on in enumerate(history):
                if on:
                    lists[f"l{i}"].add(account)
    return lists


def _expected_cells(total: float, p: list[float], interaction: dict[tuple[int, int], float] | None = None) -> dict[tuple[int, ...], float]:
    """Expected counts of a log-linear model: main effects from p, optional pairwise terms."""
    cells = {}
    for history in itertools.product((0, 1), repeat=len(p)):
        log_mu = sum(math.log(q if on else 1 - q) for q, on in zip(p, history))
        for (i, j), beta in (interaction or {}).items():
            log_mu += beta * history[i] * history[j]
        cells[history] = math.exp(log_mu)
    scale = total / sum(cells.values())
    return {h: v * scale for h, v in cells.items()}


def test_loglinear_recovers_an_exactly_independent_population():
    # Counts are multiples of an independence table, so the independence model fits exactly.
    expected = _expected_cells(1.0, [0.5, 0.5, 0.5])
    cells = {h: round(v * 8000) for h, v in expected.items() if any(h)}  # 1000 per observed cell
    found = estimate_size(_lists_from_cells(cells))
    assert found.method == "log-linear"
    assert found.observed == 7000
    assert found.estimate == pytest.approx(8000, rel=1e-4)  # the unseen cell is 1000 too
    assert found.model == ()
    assert found.low < 8000 < found.high


def test_loglinear_finds_a_dependence_between_two_lists():
    expected = _expected_cells(4000.0, [0.3, 0.4, 0.5], {(0, 1): 1.0})
    cells = {h: v for h, v in expected.items() if any(h)}
    scale = 1.0 / min(cells.values())  # make every count large and exactly proportional
    counts = {h: round(v * scale * 50) for h, v in cells.items()}
    truth = expected[(0, 0, 0)] * scale * 50 + sum(counts.values())
    found = loglinear(_lists_from_cells(counts))
    assert "l0*l1" in found.model
    assert found.estimate == pytest.approx(truth, rel=0.01)
    # Chapman on the two dependent lists alone is biased low: positive dependence.
    l0, l1 = (set(v) for k, v in _lists_from_cells(counts).items() if k in ("l0", "l1"))
    assert chapman(len(l0), len(l1), len(l0 & l1)).estimate < 0.9 * truth


def test_capture_histories_counts_patterns():
    names, histories, counts = capture_histories({"a": {"x", "y"}, "b": {"y", "z"}})
    table = {tuple(int(v) for v in h): int(c) for h, c in zip(histories, counts)}
    assert names == ["a", "b"] and table == {(0, 1): 1, (1, 0): 1, (1, 1): 1}


def test_simulated_lists_interval_covers_truth_mostly():
    rng = np.random.default_rng(3)
    total, covered = 800, 0
    for _ in range(4):
        lists = {f"l{k}": {i for i in range(total) if rng.random() < 0.35} for k in range(3)}
        found = estimate_size(lists)
        covered += found.low <= total <= found.high
        assert abs(found.estimate / total - 1) < 0.3
    assert covered >= 3


def test_needs_two_lists():
    with pytest.raises(ConfigError, match="two non-empty lists"):
        estimate_size({"only": {"a"}, "empty": set()})


def test_chao_lower_bound_matches_its_closed_form():
    # Five exchangeable lists (every history with s captures has the same count): the Chao
    # log-linear model's unseen count is exactly (K - 1)/K * f1^2 / (2 f2) (Rivest & Baillargeon 2007).
    per_history = {1: 60, 2: 12, 3: 6, 4: 4, 5: 3}  # more s >= 3 than independence predicts: heterogeneity
    cells = {h: per_history[sum(h)] for h in itertools.product((0, 1), repeat=5) if any(h)}
    f1, f2 = 5 * 60, 10 * 12
    observed = sum(cells.values())
    found = loglinear(_lists_from_cells(cells), heterogeneity=("chao",))
    assert found.model == ("heterogeneity:chao",)
    assert found.estimate == pytest.approx(observed + 4 / 5 * f1**2 / (2 * f2), rel=1e-6)
    assert found.low < found.estimate < found.high


def _heterogeneous_lists(rng: np.random.Generator, total: int, lists: int, rate: float, sigma: float) -> dict[str, set[int]]:
    """Lists drawn like the benchmark's: account i on list k with probability
    1 - exp(-rate * w_i * e_k), log-normal catchabilities w and list efficiencies e."""
    w = rng.lognormal(0.0, sigma, total)
    w /= w.mean()
    drawn = {}
    for k in range(lists):
        p = 1.0 - np.exp(-rate * w * rng.lognormal(0.0, 0.4))
        drawn[f"l{k}"] = set(np.flatnonzero(rng.random(total) < p).tolist())
    return drawn


def test_heterogeneity_models_correct_the_independence_bias():
    rng = np.random.default_rng(11)
    total, errors, independence_errors, covered = 1000, [], [], 0
    for _ in range(6):
        lists = _heterogeneous_lists(rng, total, lists=5, rate=0.13, sigma=0.5)
        found = estimate_size(lists)
        errors.append(found.estimate / total - 1)
        covered += found.low <= total <= found.high
        independence_errors.append(loglinear(lists, heterogeneity=()).estimate / total - 1)
    # Ignoring heterogeneity underestimates (the quiet accounts are missed by every list);
    # the heterogeneity models move the estimate up, most of the way back.
    assert np.mean(independence_errors) < -0.1
    assert np.mean(errors) > np.mean(independence_errors) + 0.04
    assert abs(np.mean(errors)) < 0.1
    assert covered >= 4


def test_no_chance_interactions_between_conditionally_independent_lists():
    # Heterogeneous but otherwise independent lists: AIC alone adds a pairwise interaction
    # nearly every time; the Bonferroni-guarded forward selection rarely does.
    rng = np.random.default_rng(5)
    aic_only_level = 10 * (1 - chi2.cdf(2.0, 1))  # a 2-unit gain in deviance: AIC's rule, over 10 pairs
    guarded = aic_only = 0
    for _ in range(8):
        _, histories, counts = capture_histories(_heterogeneous_lists(rng, 800, 5, 0.15, 0.4))
        observed = int(counts.sum())
        guarded += bool(_forward_selection(histories, counts, observed, 50.0, "chao")[0].model.interactions)
        aic_only += bool(_forward_selection(histories, counts, observed, 50.0, "chao", level=aic_only_level)[0].model.interactions)
    assert guarded <= 2 and aic_only >= 6


def test_unknown_heterogeneity_model_is_refused():
    lists = {f"l{k}": {1, 2, 3, k + 10} for k in range(3)}
    with pytest.raises(ConfigError, match="choose from"):
        loglinear(lists, heterogeneity=("rasch",))
