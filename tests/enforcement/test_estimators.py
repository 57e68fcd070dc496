"""Survival, returns and recovery on hand-made tables, against brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.enforcement.data import DAY, HOUR, EnforcementData
from hydrawatch.enforcement.reach import reach_over_time, suspension_waves
from hydrawatch.enforcement.returns import follower_recovery, return_dynamics
from hydrawatch.enforcement.survival import kaplan_meier, lifetime_summary, survival_by_cohort, survival_curve

START = 1_420_070_400.0  # 2015-01-01


def product_limit(durations: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier estimator written out: at each event time, multiply by 1 - d/n."""
    times = np.unique(durations[ended])
    survival, value = [], 1.0
    for t in times:
        at_risk = (durations >= t).sum()
        deaths = ((durations == t) & ended).sum()
        value *= 1 - deaths / at_risk
        survival.append(value)
    return times, np.array(survival)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 200), st.booleans()), min_size=1, max_size=60))
def test_kaplan_meier_matches_the_product_limit_formula(rows):
    durations = np.array([float(d) for d, _ in rows])
    ended = np.array([e for _, e in rows])
    curve = kaplan_meier(durations, ended)
    if not ended.any():
        assert np.all(curve.survival == 1.0)
        return
    times, survival = product_limit(durations, ended)
    np.testing.assert_allclose(curve.at(times), survival, atol=1e-12)
    assert np.all((curve.lower <= curve.survival + 1e-12) & (curve.survival <= curve.upper + 1e-12))


def test_median_lifetime_and_share_within_two_days():
    # Lives in hours: 10, 30 (ended), 60, 100 (ended), 200 (censored at the end of data).
    created = START + np.array([0, 0, 0, 0, 0.0]) * HOUR
    ended = START + np.array([10, 30, 60, 100, np.nan]) * HOUR
    data = EnforcementData.from_rows(list("abcde"), created, ended, START, START + 200 * HOUR)
    summary = lifetime_summary(survival_curve(data))
    # S drops to 0.8, 0.6, 0.4 at 10, 30, 60 hours: the median is 60 h.
    assert summary.median_lifetime_hours == pytest.approx(60.0)
    assert summary.share_suspended_within_2_days == pytest.approx(0.4)
    assert summary.accounts == 5 and summary.ended == 4


def test_accounts_older_than_the_data_are_left_out_by_default():
    data = EnforcementData.from_rows(["old", "young"], [START - 100 * DAY, START], [START + HOUR, START + 2 * HOUR],
                                     START, START + 10 * DAY)
    assert survival_curve(data).accounts == 1
    assert survival_curve(data, born_in_window=False).accounts == 2


def lineage_world() -> EnforcementData:
    """Three actors: a returns twice (after 2 h, then 6 h), b once (after 4 h), c never."""
    rows = {  # account: (created hours, ended hours)
        "a0": (-500, 10), "a1": (12, 40), "a2": (46, np.nan),
        "b0": (-500, 20), "b1": (24, np.nan),
        "c0": (-500, 30),
    }
    ids = list(rows)
    followers = [("a0", START + 5 * HOUR, 1000), ("a1", START + 13 * HOUR, 300), ("a1", START + 39 * HOUR, 400),
                 ("a2", START + 60 * HOUR, 40), ("b0", START + 1 * HOUR, 500), ("b1", START + 30 * HOUR, 100)]
    return EnforcementData.from_rows(ids, [START + rows[a][0] * HOUR for a in ids], [START + rows[a][1] * HOUR for a in ids],
                                     START, START + 30 * DAY, lineages=[["a0", "a1", "a2"], ["b0", "b1"]],
                                     followers=followers)


def test_return_probability_and_time_to_return():
    returns = return_dynamics(lineage_world())
    # Four ended accounts (a0, a1, b0, c0), three came back: no censoring in a 30-day window.
    assert returns.ended == 4 and returns.returned == 3
    assert returns.return_probability == pytest.approx(0.75)
    assert sorted(returns.delays_hours.tolist()) == [2.0, 4.0, 6.0]
    assert returns.median_time_to_return_hours == pytest.approx(4.0)
    assert returns.return_probability_by_generation == [None, None]  # fewer than 5 per generation


def test_follower_recovery_compares_the_same_age():
    recovery = follower_recovery(lineage_world())
    first = recovery[0]
    assert first.generation == 0 and first.pairs == 2
    # a1 at its last observed age vs a0's first count (a0 is older than the data): 400/1000;
    # b1 100/500.
    assert first.median_ratio == pytest.approx((0.4 + 0.2) / 2)
    # a2 is seen at 14 h old; a1 had 300 followers at 14 h old (its 400 came later).
    assert recovery[1].pairs == 1 and recovery[1].median_ratio == pytest.approx(round(40 / 300, 4))


def test_cohorts_by_generation_and_week():
    data = lineage_world()
    by_generation = survival_by_cohort(data, "generation", min_accounts=1, born_in_window=False)
    assert set(by_generation) == {"generation 0", "generation 1", "generation 2"}
    with pytest.raises(ValueError, match="needs roles"):
        survival_by_cohort(data, "role")


def test_reach_counts_followers_of_alive_accounts_and_marks_waves():
    data = lineage_world()
    reach = reach_over_time(data)
    # Day 1 ends 24 h after the start: a1 (300, seen at 13 h), b1 (created at 24 h; its first
    # count, 100, carried back) and c0 (never observed: the median first count, 300) are alive.
    assert reach.active_accounts[0] == 3
    assert reach.followers[0] == 300 + 100 + 300
    assert reach.ended[0] == 2 and reach.ended[1] == 2  # a0, b0; then c0, a1
    assert suspension_waves(np.array([1, 2, 1, 40, 1]), 4.0, 10).tolist() == [3]
