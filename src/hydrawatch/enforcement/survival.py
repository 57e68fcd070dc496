"""How long network accounts live: Kaplan-Meier curves of the time from creation to
suspension, by cohort, with confidence bands.

An account's lifetime runs from its creation to its suspension (or deletion, or presumed
silence when the store has no compliance events). Accounts still alive when the data ends
are *censored* there: we know only that they lived at least that long, which is what the
Kaplan-Meier estimator is for. Deleted accounts count as ended by default (the platform or
the owner took them down: either way the account stopped reaching anyone); pass
``deletions_end_life=False`` to censor them instead.

Only accounts created while the data was collected are measured by default
(``born_in_window``): an account created years before the window and seen only from its
first day has a life we cannot follow from birth (left truncation), and its hazard in the
window says little about how long young accounts last.

The estimator is statsmodels' ``SurvfuncRight``. Two kinds of interval come with each curve:
pointwise 95% confidence intervals (Greenwood, log transform) and a simultaneous 95% band
(Hall-Wellner): the whole true curve lies inside the band with 95% probability, which is
the right test for "does the estimate agree with the truth everywhere".
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .data import DAY, HOUR, EnforcementData, to_datetime

COHORTS = ("all", "generation", "week", "role")


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier curve: ``survival[i]`` is the probability of living beyond
    ``hours[i]``; the curve is a step function starting at (0, 1)."""

    label: str
    hours: np.ndarray
    survival: np.ndarray
    lower: np.ndarray  # pointwise 95%
    upper: np.ndarray
    band_lower: np.ndarray  # simultaneous 95% (Hall-Wellner); NaN where undefined
    band_upper: np.ndarray
    accounts: int
    ended: int

    def at(self, hours: np.ndarray | float) -> np.ndarray:
        """S(t) at the given times (right-continuous steps)."""
        index = np.searchsorted(self.hours, np.atleast_1d(np.asarray(hours, dtype=np.float64)), side="right") - 1
        return np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)

    @property
    def median_hours(self) -> float | None:
        """The first time the curve reaches 0.5 or below; None when it never does (more than
        half the accounts outlived the data)."""
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.hours[below[0]]) if below.size else None

    def share_ended_within(self, hours: float) -> float:
        return float(1.0 - self.at(hours)[0])

    def inside_band(self, truth: SurvivalCurve, upto_hours: float | None = None) -> float:
        """Share of the times where ``truth`` is inside this curve's simultaneous band
        (over this curve's event times up to ``upto_hours``; undefined band points skipped)."""
        keep = ~np.isnan(self.band_lower) & ~np.isnan(self.band_upper)
        if upto_hours is not None:
            keep &= self.hours <= upto_hours
        if not keep.any():
            return float("nan")
        # Compare just before each event time too: the truth's step can fall between ours.
        times = self.hours[keep]
        true_values = truth.at(times)
        inside = (true_values >= self.band_lower[keep] - 1e-9) & (true_values <= self.band_upper[keep] + 1e-9)
        return float(inside.mean())

    def to_dict(self, points: int | None = None) -> dict:
        hours, survival = self.hours, self.survival
        if points is not None and hours.size > points:
            pick = np.unique(np.linspace(0, hours.size - 1, points).astype(int))
            hours, survival = hours[pick], survival[pick]
        return {"label": self.label, "accounts": self.accounts, "ended": self.ended,
                "median_hours": self.median_hours,
                "curve": [[round(float(h), 3), round(float(s), 5)] for h, s in zip(hours, survival, strict=True)]}


def kaplan_meier(durations_hours: np.ndarray, ended: np.ndarray, label: str = "all", alpha: float = 0.05) -> SurvivalCurve:
    """Kaplan-Meier estimate from durations (hours) and whether each ended (True) or was
    censored (False)."""
    import statsmodels.api as sm

    durations = np.asarray(durations_hours, dtype=np.float64)
    status = np.asarray(ended, dtype=np.float64)
    keep = ~np.isnan(durations)
    durations, status = np.maximum(durations[keep], 0.0), status[keep]
    if durations.size == 0:
        empty = np.zeros(0)
        return SurvivalCurve(label, empty, empty, empty, empty, empty, empty, 0, 0)
    if status.sum() == 0:
        # No event: the curve stays at 1 (statsmodels needs an event).
        times = np.array([durations.max()])
        one = np.ones(1)
        return SurvivalCurve(label, times, one, one, one, one, one, int(durations.size), 0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # statsmodels warns about log(0) and 0/0 at the tail of the band; those points are NaN.
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.SurvfuncRight(durations, status)
        times = np.asarray(fit.surv_times, dtype=np.float64)
        survival = np.asarray(fit.surv_prob, dtype=np.float64)
        se = np.asarray(fit.surv_prob_se, dtype=np.float64)
        lower, upper = _log_log_interval(survival, se, alpha)
        band_lower, band_upper = fit.simultaneous_cb(alpha=alpha, method="hw", transform="log")
    return SurvivalCurve(label, times, survival, lower, upper, np.asarray(band_lower, dtype=np.float64),
                         np.asarray(band_upper, dtype=np.float64), int(durations.size), int(status.sum()))


def _log_log_interval(survival: np.ndarray, se: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval on the log(-log S) scale (stays inside [0, 1])."""
    from scipy.stats import norm

    z = norm.ppf(1 - alpha / 2)
    with np.errstate(all="ignore"):
        theta = np.log(-np.log(survival))
        spread = z * se / (survival * np.abs(np.log(survival)))
        lower = np.exp(-np.exp(theta + spread))
        upper = np.exp(-np.exp(theta - spread))
    lower = np.where(np.isfinite(lower), lower, survival)
    upper = np.where(np.isfinite(upper), upper, survival)
    return lower, upper


def lifetimes(data: EnforcementData, born_in_window: bool = True,
              deletions_end_life: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, lifetime hours, ended) of the measured accounts."""
    rows = np.flatnonzero(~np.isnan(data.created_at))
    if born_in_window:
        rows = rows[data.born_in_window[rows]]
    ended = data.ended[rows]
    if not deletions_end_life:
        ended &= data.end_kind[rows] != "deleted"
    stop = np.where(data.ended[rows], data.ended_at[rows], data.data_end)
    hours = (stop - data.created_at[rows]) / HOUR
    return rows, hours, ended


def survival_curve(data: EnforcementData, born_in_window: bool = True, deletions_end_life: bool = True) -> SurvivalCurve:
    """One Kaplan-Meier curve over every measured account."""
    _, hours, ended = lifetimes(data, born_in_window, deletions_end_life)
    return kaplan_meier(hours, ended, "all")


def survival_by_cohort(data: EnforcementData, by: str = "generation", roles: Mapping[str, str] | None = None,
                       born_in_window: bool = True, min_accounts: int = 5) -> dict[str, SurvivalCurve]:
    """Curves per cohort: ``generation`` (place in the returnee lineage: 0 = first known
    account, 3+ pooled), ``week`` (ISO week of creation), ``role`` (network role, from the
    ``roles`` mapping of account id to role, e.g. ``hydrawatch roles`` output) or ``all``.
    Cohorts with fewer than ``min_accounts`` accounts are left out."""
    if by not in COHORTS:
        raise ValueError(f"cohort must be one of {COHORTS}, got {by!r}")
    rows, hours, ended = lifetimes(data, born_in_window)
    if by == "all":
        labels = np.full(rows.size, "all", dtype=object)
    elif by == "generation":
        labels = np.array([f"generation {min(int(p), 3)}{'+' if p >= 3 else ''}" for p in data.position[rows]], dtype=object)
    elif by == "week":
        labels = np.array([to_datetime(t).strftime("%G-W%V") for t in data.created_at[rows]], dtype=object)
    else:
        if roles is None:
            raise ValueError("cohort 'role' needs roles: a mapping of account id to role (see `hydrawatch roles`)")
        labels = np.array([roles.get(a, "unknown") for a in data.account_id[rows]], dtype=object)
    curves = {}
    for label in sorted(set(labels.tolist())):
        pick = labels == label
        if pick.sum() >= min_accounts:
            curves[label] = kaplan_meier(hours[pick], ended[pick], label)
    return curves


@dataclass(frozen=True)
class LifetimeSummary:
    median_lifetime_hours: float | None
    share_suspended_within_2_days: float
    accounts: int
    ended: int


def lifetime_summary(curve: SurvivalCurve) -> LifetimeSummary:
    """The headline numbers: median lifetime and the Conway figure (share of accounts
    suspended within two days of creation, 1 - S(48 h))."""
    return LifetimeSummary(curve.median_hours, curve.share_ended_within(2 * DAY / HOUR), curve.accounts, curve.ended)
