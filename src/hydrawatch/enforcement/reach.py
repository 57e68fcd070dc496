"""The network's reach over time, with the suspension waves marked.

Reach at time ``t`` is the sum of the followers of the network accounts alive at ``t``
(created, not yet ended). An account's followers at ``t`` are its last observed count at or
before ``t`` (its first observed count before that: counts ride on the posts that carry
them). Alongside: how many network accounts are alive, how many of them ended that day, and
how often outsiders reposted or quoted network posts.

A **suspension wave** is a day with far more suspensions than usual: more than
``wave_factor`` times the median of the days with any, and at least ``wave_min`` of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import DAY, EnforcementData, to_datetime


@dataclass(frozen=True)
class ReachCurve:
    """Per step (a day by default) from the start of the data: ``times`` are the step ends."""

    times: np.ndarray
    followers: np.ndarray
    active_accounts: np.ndarray
    ended: np.ndarray
    outsider_reposts: np.ndarray
    waves: np.ndarray  # step indices

    def to_rows(self) -> list[dict]:
        wave = set(self.waves.tolist())
        return [{"time": to_datetime(t).isoformat(), "followers": int(f), "active_accounts": int(a), "ended": int(e),
                 "outsider_reposts": int(r), "wave": i in wave}
                for i, (t, f, a, e, r) in enumerate(zip(self.times, self.followers, self.active_accounts, self.ended,
                                                        self.outsider_reposts, strict=True))]


def step_times(data: EnforcementData, step_seconds: float = DAY) -> np.ndarray:
    steps = max(int(np.ceil((data.data_end - data.data_start) / step_seconds)), 1)
    return data.data_start + step_seconds * np.arange(1, steps + 1)


def followers_matrix(data: EnforcementData, times: np.ndarray) -> np.ndarray:
    """(accounts x times) followers at each time, 0 where the account is not alive; accounts
    never observed count their generation's median of the observed ones."""
    followers = np.zeros((len(data), times.size))
    observed = np.array([data.followers.observed(row) for row in range(len(data))], dtype=bool)
    fallback = np.nanmedian([data.followers.first(row)[1] for row in np.flatnonzero(observed)]) if observed.any() else 0.0
    for row in range(len(data)):
        values = data.followers.at(row, times) if observed[row] else np.full(times.size, fallback)
        followers[row] = values
    return followers * alive_matrix(data, times)


def alive_matrix(data: EnforcementData, times: np.ndarray) -> np.ndarray:
    created = np.where(np.isnan(data.created_at), -np.inf, data.created_at)
    ended = np.where(data.ended, data.ended_at, np.inf)
    return (created[:, None] <= times[None, :]) & (times[None, :] < ended[:, None])


def reach_over_time(data: EnforcementData, step_seconds: float = DAY, wave_factor: float = 4.0,
                    wave_min: int = 10) -> ReachCurve:
    times = step_times(data, step_seconds)
    followers = followers_matrix(data, times).sum(axis=0)
    active = alive_matrix(data, times).sum(axis=0)
    edges = np.concatenate([[data.data_start], times])
    ended = np.histogram(data.ended_at[data.ended], bins=edges)[0]
    reposts = data.outsider_reposts if data.outsider_reposts is not None else np.zeros(0)
    outsider = np.histogram(reposts, bins=edges)[0]
    return ReachCurve(times, followers, active, ended, outsider, suspension_waves(ended, wave_factor, wave_min))


def suspension_waves(ended_per_step: np.ndarray, factor: float = 4.0, minimum: int = 10) -> np.ndarray:
    busy = ended_per_step[ended_per_step > 0]
    if busy.size == 0:
        return np.zeros(0, dtype=np.int64)
    threshold = max(factor * float(np.median(busy)), minimum)
    return np.flatnonzero(ended_per_step >= threshold)
