"""What happens after a suspension: does the actor come back, how fast, and with how many of
its followers.

**Time to return.** For every ended network account, the time from its end to the creation
of the next account of its lineage (the returnee detector's identities). Accounts that ended
shortly before the data stops may still come back, so the time is censored at the end of the
data and estimated with Kaplan-Meier: ``F(t) = 1 - S(t)`` is the share back within ``t``.

**Probability of return** is where ``F`` levels off: ``F(horizon)`` with a horizon of 14 days
by default (almost every return happens within days; a longer horizon costs precision on
recent suspensions, a shorter one misses slow returns). The **median time to return** is the
median among those who return: the first ``t`` with ``F(t) >= F(horizon) / 2``.

**Follower recovery** per generation: for each pair (account at lineage position ``k``, its
successor), followers of the successor divided by followers of the predecessor *at the same
age* (the younger of the two lives; a predecessor created before the data began is compared
through its first observed count). The list's entry ``k`` is the median ratio of
generation ``k + 1`` to ``k``: Berger and Perez's returning account went from over 2,000
followers to about 700 to under 40, ratios of about 0.35 and 0.06.

**Downtime** of an actor: the total time between the end of one account and the creation
of the next, summed over its lineage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import DAY, HOUR, EnforcementData
from .survival import SurvivalCurve, kaplan_meier

DEFAULT_HORIZON_DAYS = 14.0


@dataclass(frozen=True)
class ReturnDynamics:
    ended: int
    returned: int
    return_probability: float
    median_time_to_return_hours: float | None
    return_probability_by_generation: list[float | None]
    not_returned: SurvivalCurve  # S(t): share not back within t hours
    delays_hours: np.ndarray  # observed delays of the returns seen
    median_downtime_hours: float | None
    horizon_days: float

    def to_dict(self) -> dict:
        return {"ended": self.ended, "returned": self.returned, "return_probability": self.return_probability,
                "median_time_to_return_hours": self.median_time_to_return_hours,
                "return_probability_by_generation": self.return_probability_by_generation,
                "median_downtime_hours": self.median_downtime_hours, "horizon_days": self.horizon_days}


def time_to_return(data: EnforcementData, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, hours from end to the successor's creation or to the end of data, returned)."""
    if rows is None:
        rows = np.flatnonzero(data.ended)
    successor = data.successor[rows]
    returned = successor >= 0
    back_at = np.where(returned, data.created_at[np.maximum(successor, 0)], data.data_end)
    hours = np.maximum(back_at - data.ended_at[rows], 0.0) / HOUR
    # A successor with no known creation time counts as back at once.
    hours = np.where(np.isnan(hours) & returned, 0.0, hours)
    return rows, hours, returned


def _plateau(curve: SurvivalCurve, horizon_hours: float) -> float:
    if curve.accounts == 0:
        return float("nan")
    return float(1.0 - curve.at(horizon_hours)[0])


def return_dynamics(data: EnforcementData, horizon_days: float = DEFAULT_HORIZON_DAYS) -> ReturnDynamics:
    rows, hours, returned = time_to_return(data)
    curve = kaplan_meier(hours, returned, "not returned")
    horizon = horizon_days * DAY / HOUR
    probability = _plateau(curve, horizon)
    median = None
    if curve.accounts and probability > 0:
        reached = np.flatnonzero(1.0 - curve.survival >= probability / 2 - 1e-12)
        median = float(curve.hours[reached[0]]) if reached.size else None
    by_generation: list[float | None] = []
    for generation in range(int(data.position[rows].max()) + 1 if rows.size else 0):
        pick = data.position[rows] == generation
        if pick.sum() < 5:
            by_generation.append(None)
            continue
        by_generation.append(round(_plateau(kaplan_meier(hours[pick], returned[pick]), horizon), 4))
    return ReturnDynamics(int(rows.size), int(returned.sum()), round(probability, 4) if np.isfinite(probability) else float("nan"),
                          median, by_generation, curve, hours[returned], _median_downtime(data), horizon_days)


def _median_downtime(data: EnforcementData) -> float | None:
    totals: dict[str, float] = {}
    for row in np.flatnonzero((data.successor >= 0) & data.ended).tolist():
        gap = max(data.created_at[data.successor[row]] - data.ended_at[row], 0.0) / HOUR
        if np.isfinite(gap):
            totals[data.lineage[row]] = totals.get(data.lineage[row], 0.0) + gap
    return float(np.median(list(totals.values()))) if totals else None


@dataclass(frozen=True)
class FollowerRecovery:
    generation: int  # the predecessor's place: ratio of generation + 1 to generation
    pairs: int
    median_ratio: float | None
    quartiles: tuple[float, float] | None
    median_predecessor_followers: float | None
    median_successor_followers: float | None

    def to_dict(self) -> dict:
        return {"generation": self.generation, "pairs": self.pairs, "median_ratio": self.median_ratio,
                "quartiles": self.quartiles, "median_predecessor_followers": self.median_predecessor_followers,
                "median_successor_followers": self.median_successor_followers}


def recovery_pairs(data: EnforcementData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predecessor rows, followers of the predecessor, of the successor) at the same age."""
    rows, before, after = [], [], []
    followers = data.followers
    for row in np.flatnonzero(data.successor >= 0).tolist():
        successor = int(data.successor[row])
        if not (followers.observed(row) and followers.observed(successor)):
            continue
        successor_last, _ = followers.last(successor)
        age = successor_last - data.created_at[successor]
        if not np.isfinite(age):
            continue
        predecessor_end = data.ended_at[row] if data.ended[row] else followers.last(row)[0]
        age = min(age, predecessor_end - data.created_at[row]) if np.isfinite(data.created_at[row]) else age
        age = max(age, 0.0)
        rows.append(row)
        before.append(float(followers.at(row, data.created_at[row] + age)[0]) if np.isfinite(data.created_at[row])
                      else followers.first(row)[1])
        after.append(float(followers.at(successor, data.created_at[successor] + age)[0]))
    return np.asarray(rows, dtype=np.int64), np.asarray(before), np.asarray(after)


def follower_recovery(data: EnforcementData, max_generation: int = 5) -> list[FollowerRecovery]:
    """Median follower ratio of generation k+1 to k, for k = 0.. (see the module docstring)."""
    rows, before, after = recovery_pairs(data)
    out = []
    generations = data.position[rows] if rows.size else np.zeros(0, dtype=np.int64)
    top = min(int(generations.max()) if generations.size else -1, max_generation)
    for generation in range(top + 1):
        pick = (generations == generation) & (before > 0)
        if not pick.any():
            out.append(FollowerRecovery(generation, 0, None, None, None, None))
            continue
        ratio = after[pick] / before[pick]
        out.append(FollowerRecovery(generation, int(pick.sum()), round(float(np.median(ratio)), 4),
                                    (round(float(np.quantile(ratio, 0.25)), 4), round(float(np.quantile(ratio, 0.75)), 4)),
                                    float(np.median(before[pick])), float(np.median(after[pick]))))
    return out
