"""What if the platform enforced differently? Calibrate a simulator on the store, replay the
observed period under a changed policy, and compare reach and network size over time.

**Calibration** (:meth:`Calibration.from_data`), all from the store's network accounts:

* suspension hazard per day of the window (events over account-days at risk), separately for
  returnees and for first accounts in five follower bands (the few most followed accounts
  carry much of the reach and are often found faster), so intensifying enforcement and
  suspension waves are replayed as they happened, to the right accounts; inside each band a
  Cox proportional-hazards term on log followers (statsmodels ``PHReg``, calendar time,
  left-truncated at creation) tilts the hazard toward the bigger accounts, and the band's
  daily hazard is its Breslow baseline;
* return probability per lineage generation (Kaplan-Meier plateau, see
  :mod:`.returns`) and the observed return delays (resampled);
* follower recovery: a returnee's followers at age ``a`` are ``alpha(a) + beta(a) * F`` where
  ``F`` are its predecessor's followers when it ended, fitted by least squares over the
  observed lineage pairs at ages from one hour to sixty days;
* the accounts that were not anyone's successor (the first accounts and new recruits) with
  their creation times and their own observed follower counts over time;
* who is a hub (the third with most followers), which follow-graph cluster each account
  belongs to, and who promotes brand-new accounts (see :mod:`.data`).

**Replay** (:func:`simulate`): every first account and recruit appears when it did; its life
is drawn from the hazard; when it ends, its actor returns with the calibrated probability
after a resampled delay, as a new account whose followers follow the recovery model; and so
on, generation after generation. Under the baseline policy this reproduces the observed reach
curve (``benchmarks/enforcement.py`` measures how closely). Repeated runs give the
uncertainty (5th-95th percentile band).

**Policies** (:class:`Policy`, a small TOML file for ``hydrawatch simulate --policy``)::

    name = "catch returnees in 6 hours"
    suspension_speedup = 1.0          # every hazard times this
    returnee_detection_hours = 6      # a caught returnee is suspended within 6 h of creation
    returnee_detection_recall = 0.8   # ... and 80% of returnees are caught
    targeting = "small_clusters"      # or "hubs" or "none": who gets the hazard first
    targeting_strength = 2.0          # targeted hazard x s, the others x (3 - s) / 2
    promoter_hazard_multiplier = 3.0  # accounts that promote new accounts, suspended faster
    runs = 20                         # repetitions (uncertainty)
    seed = 1

The same knobs exist in the world generator (:class:`hydrawatch.synth.WorldConfig`, see
:func:`world_config_for`), so a policy can also be tried by re-running the generator; the
benchmark checks that both rank policies the same way.
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from hydrawatch.core.errors import ConfigError

from .data import DAY, HOUR, EnforcementData
from .reach import step_times
from .returns import DEFAULT_HORIZON_DAYS, return_dynamics, time_to_return

TARGETINGS = ("none", "hubs", "small_clusters")
# Ages (hours) at which follower recovery is fitted; linear in between, flat after the last.
RECOVERY_AGES = np.array([0.0, 1, 3, 6, 12, 24, 48, 96, 168, 336, 672, 1440])
MAX_GENERATIONS = 8
# Hubs (the ``hubs`` targeting policy): lineages whose first account has the third most followers.
HUB_QUANTILE = 2 / 3
# Follower bands of first accounts (quantiles of followers): each band, and the returnees, has
# its own day-by-day baseline hazard.
FOLLOWER_QUANTILES = (1 / 3, 2 / 3, 0.9, 0.97)
# Pseudo-events pulling a band's fallback multiplier toward 1 (a band of a dozen accounts is noisy).
SHRINK_EVENTS = 3.0


@dataclass(frozen=True)
class Policy:
    """An enforcement policy to replay (see the module docstring for each knob)."""

    name: str = "baseline"
    suspension_speedup: float = 1.0
    returnee_detection_hours: float | None = None
    returnee_detection_recall: float = 1.0
    targeting: str = "none"
    targeting_strength: float = 2.0
    promoter_hazard_multiplier: float = 1.0
    runs: int = 20
    seed: int = 1

    def __post_init__(self) -> None:
        if not (np.isfinite(self.suspension_speedup) and self.suspension_speedup >= 0):
            raise ConfigError(f"suspension_speedup must be a number >= 0 (2 = twice as fast), got {self.suspension_speedup}")
        hours = self.returnee_detection_hours
        if hours is not None and not (np.isfinite(hours) and hours > 0):
            raise ConfigError(f"returnee_detection_hours must be a positive number of hours (or left out), got {hours}")
        if not 0 <= self.returnee_detection_recall <= 1:
            raise ConfigError(f"returnee_detection_recall is a share in [0, 1], got {self.returnee_detection_recall}")
        if self.targeting not in TARGETINGS:
            raise ConfigError(f"targeting must be one of {TARGETINGS}, got {self.targeting!r}")
        if not 1.0 <= self.targeting_strength < 3.0:
            raise ConfigError(f"targeting_strength must be in [1, 3): targeted accounts get x s, the others x (3 - s) / 2; "
                              f"got {self.targeting_strength}")
        if not (np.isfinite(self.promoter_hazard_multiplier) and self.promoter_hazard_multiplier >= 0):
            raise ConfigError(f"promoter_hazard_multiplier must be >= 0, got {self.promoter_hazard_multiplier}")
        if not 1 <= self.runs <= 10_000:
            raise ConfigError(f"runs must be in 1..10000, got {self.runs}")

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """Read a policy file (TOML); unknown keys are an error, so typos do not pass silently."""
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the policy file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown policy key(s) {unknown}; known keys: {sorted(known)}")
        values.setdefault("name", Path(path).stem)
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def baseline(self) -> Policy:
        """The observed policy, with this policy's runs and seed."""
        return Policy(runs=self.runs, seed=self.seed)


def world_config_for(policy: Policy, base):
    """The :class:`hydrawatch.synth.WorldConfig` that re-runs ``base`` under ``policy``."""
    return replace(base, suspension_hazard=base.suspension_hazard * policy.suspension_speedup,
                   returnee_detection_hours=policy.returnee_detection_hours,
                   returnee_detection_recall=policy.returnee_detection_recall, targeting=policy.targeting,
                   targeting_strength=policy.targeting_strength,
                   promoter_hazard_multiplier=policy.promoter_hazard_multiplier)


@dataclass(frozen=True)
class Calibration:
    """Everything the simulator draws from (see the module docstring)."""

    data_start: float
    data_end: float
    hour_edges: np.ndarray  # hourly grid over the window
    stratum_cumulative_hazard: np.ndarray  # baseline per stratum (follower bands, then returnees), at hour_edges
    stratum: np.ndarray  # per data row: its follower band (first accounts and their lineages), or returnee
    follower_coefficient: float  # log hazard ratio per unit of log(1 + followers of the lineage's first account)
    risk: np.ndarray  # per data row: its hazard relative to the baseline
    returnee_multiplier: float
    return_probability: np.ndarray  # by generation of the ended account
    delays_hours: np.ndarray
    recovery_alpha: np.ndarray  # at RECOVERY_AGES
    recovery_beta: np.ndarray
    # The accounts that start lineages (not anyone's successor in the data).
    seed_rows: np.ndarray
    seed_created: np.ndarray
    hub: np.ndarray  # per data row
    targeted_cluster: np.ndarray  # per data row: in the smallest clusters
    promoter: np.ndarray  # per data row
    data: EnforcementData = field(repr=False)

    @classmethod
    def from_data(cls, data: EnforcementData, horizon_days: float = DEFAULT_HORIZON_DAYS) -> Calibration:
        edges = np.arange(data.data_start, data.data_end + HOUR, HOUR)
        days = step_times(data, DAY)
        day_edges = np.concatenate([[data.data_start], days])
        returnee = data.predecessor >= 0
        first_followers = np.array([data.followers.first(row)[1] for row in range(len(data))])
        root_followers = _root_values(data, first_followers)
        known = root_followers[~np.isnan(root_followers)]
        hub_cut = np.quantile(known, HUB_QUANTILE) if known.size else np.inf
        # Within each stratum, proportional hazards on log followers of the lineage's first
        # account (bigger accounts are found faster even inside a band: over a few months
        # that decides which accounts, and so how much reach, survive).
        covariate = np.log1p(np.where(np.isnan(root_followers), np.median(known) if known.size else 0.0,
                                      root_followers))
        cuts = np.quantile(known, FOLLOWER_QUANTILES) if known.size else np.full(len(FOLLOWER_QUANTILES), np.inf)
        band = np.where(np.isnan(root_followers), 0, np.searchsorted(cuts, root_followers, side="right"))
        groups = len(FOLLOWER_QUANTILES) + 1
        strata = np.where(returnee, groups, band)
        coefficient = _follower_coefficient(data, covariate, strata)
        risk = np.exp(coefficient * (covariate - covariate.mean()))
        # Each stratum's own day-by-day baseline hazard (Breslow: events over risk-weighted
        # account-days), so a replay reproduces intensifying enforcement and suspension waves;
        # on days a stratum has (almost) no one at risk, the pooled first-account hazard.
        index = np.clip(np.searchsorted(day_edges, edges[:-1], side="right") - 1, 0, day_edges.size - 2)
        # (strata x days) ends and risk-weighted account-days; the first accounts' pooled hazard
        # is the sum over the band strata (every stratum but the last, the returnees).
        events, exposure = map(np.array, zip(*(_events_and_exposure(data, strata == value, day_edges, risk)
                                               for value in range(groups + 1)), strict=True))
        first_events, first_exposure = events[:groups].sum(axis=0), exposure[:groups].sum(axis=0)
        pooled_daily = np.divide(first_events, first_exposure, out=np.zeros_like(first_events), where=first_exposure > 0)
        cumulative = np.zeros((groups + 1, edges.size))
        for value in range(groups + 1):
            ratio = (events[value].sum() + SHRINK_EVENTS) / (float((pooled_daily * exposure[value]).sum()) + SHRINK_EVENTS)
            own = np.where(exposure[value] > 0.5,
                           np.divide(events[value], exposure[value], out=np.zeros_like(events[value]), where=exposure[value] > 0),
                           pooled_daily * ratio)
            cumulative[value] = np.concatenate([[0.0], np.cumsum((own / DAY)[index] * np.diff(edges))])
        # For the summary only: the returnees' hazard over the first accounts'.
        first_rate = first_events.sum() / first_exposure.sum() if first_exposure.sum() > 0 else 0.0
        returnee_exposure = exposure[groups].sum()
        returnee_multiplier = (events[groups].sum() / returnee_exposure) / first_rate if returnee_exposure > 0 and first_rate > 0 else 1.0
        returns = return_dynamics(data, horizon_days)
        pooled = returns.return_probability if np.isfinite(returns.return_probability) else 0.0
        by_generation = [pooled if p is None else p for p in returns.return_probability_by_generation]
        probability = np.array((by_generation or [pooled]) + [by_generation[-1] if by_generation else pooled]
                               * (MAX_GENERATIONS + 1), dtype=np.float64)[: MAX_GENERATIONS + 1]
        _, hours, returned = time_to_return(data)
        delays = hours[returned & (hours <= horizon_days * 24)]
        alpha, beta = _fit_recovery(data)
        seeds = np.flatnonzero(~returnee)
        # An account with no known creation time was there when the data began.
        seed_created = np.where(np.isnan(data.created_at[seeds]), data.data_start, data.created_at[seeds])
        return cls(data.data_start, data.data_end, edges, cumulative, strata, coefficient, risk,
                   float(returnee_multiplier), probability, delays if delays.size else np.array([1.0]), alpha, beta,
                   seeds, seed_created, ~np.isnan(root_followers) & (root_followers >= hub_cut),
                   _small_clusters(data), _inherited(data, data.promoter), data)

    def hazard_summary(self) -> dict:
        days = (self.data_end - self.data_start) / DAY
        return {"mean_daily_hazard_first_accounts": round(float(self.stratum_cumulative_hazard[0, -1] / days), 5),
                "returnee_hazard_multiplier": round(self.returnee_multiplier, 3),
                "hazard_ratio_per_doubling_of_followers": round(float(2.0 ** self.follower_coefficient), 3),
                "return_probability_by_generation": [round(float(p), 3) for p in self.return_probability[:5]],
                "median_return_delay_hours": round(float(np.median(self.delays_hours)), 2),
                "recovery_at_7_days": {"alpha": round(float(np.interp(168, RECOVERY_AGES, self.recovery_alpha)), 2),
                                       "beta": round(float(np.interp(168, RECOVERY_AGES, self.recovery_beta)), 4)}}


def _events_and_exposure(data: EnforcementData, rows_mask: np.ndarray, day_edges: np.ndarray,
                         risk: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ends per day and account-days at risk (each account's days times its ``risk``)."""
    rows = np.flatnonzero(rows_mask & ~np.isnan(data.created_at))
    start = np.maximum(data.created_at[rows], data.data_start)
    stop = np.where(data.ended[rows], data.ended_at[rows], data.data_end)
    lows, highs = day_edges[:-1], day_edges[1:]
    overlap = np.clip(np.minimum(stop[:, None], highs[None, :]) - np.maximum(start[:, None], lows[None, :]), 0, None)
    if risk is not None:
        overlap *= risk[rows, None]
    exposure = overlap.sum(axis=0) / DAY
    ended = data.ended[rows] & (data.ended_at[rows] >= data.data_start)
    events = np.histogram(data.ended_at[rows][ended], bins=day_edges)[0].astype(np.float64)
    return events, exposure


def _follower_coefficient(data: EnforcementData, covariate: np.ndarray, strata: np.ndarray) -> float:
    """Cox partial-likelihood coefficient of ``covariate`` on the hazard of ending, on calendar
    time (entries at creation or the start of the data, so accounts already alive are
    left-truncated), one baseline per stratum. 0 when there is too little to fit."""
    from statsmodels.duration.hazard_regression import PHReg

    rows = np.flatnonzero(~np.isnan(data.created_at))
    entry = (np.maximum(data.created_at[rows], data.data_start) - data.data_start) / DAY
    stop = (np.where(data.ended[rows], data.ended_at[rows], data.data_end) - data.data_start) / DAY
    status = (data.ended[rows] & (data.ended_at[rows] >= data.data_start)).astype(np.float64)
    keep = stop > entry
    if status[keep].sum() < 20 or np.ptp(covariate[rows][keep]) == 0:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = PHReg(stop[keep], covariate[rows][keep, None], status=status[keep], entry=entry[keep],
                       strata=strata[rows][keep], ties="efron").fit()
    value = float(fitted.params[0])
    return value if np.isfinite(value) else 0.0


def _fit_recovery(data: EnforcementData) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``alpha + beta * F`` of a successor's followers at each age."""
    rows = np.flatnonzero((data.successor >= 0) & data.ended)
    alpha = np.zeros(RECOVERY_AGES.size)
    beta = np.zeros(RECOVERY_AGES.size)
    if rows.size == 0:
        return alpha, beta
    successors = data.successor[rows]
    predecessor_end = np.array([data.followers.at(r, data.ended_at[r] - 1)[0] for r in rows])
    fitted = False
    for index, age in enumerate(RECOVERY_AGES):
        at = data.created_at[successors] + age * HOUR
        stop = np.where(data.ended[successors], data.ended_at[successors], data.data_end)
        alive = (at < stop) & ~np.isnan(predecessor_end)
        values = np.array([data.followers.at(s, t)[0] for s, t in zip(successors[alive], at[alive], strict=True)])
        x = predecessor_end[alive]
        ok = ~np.isnan(values)
        if ok.sum() < 5:
            if fitted:
                alpha[index], beta[index] = alpha[index - 1], beta[index - 1]
            continue
        design = np.column_stack([np.ones(ok.sum()), x[ok]])
        solution = np.linalg.lstsq(design, values[ok], rcond=None)[0]
        beta[index] = max(float(solution[1]), 0.0)
        alpha[index] = max(float(np.mean(values[ok] - beta[index] * x[ok])), 0.0)
        fitted = True
    return alpha, beta


def _root_values(data: EnforcementData, values: np.ndarray) -> np.ndarray:
    """Each row's value at the first account of its lineage."""
    root = np.arange(len(data))
    for _ in range(MAX_GENERATIONS + 2):
        has = data.predecessor[root] >= 0
        if not has.any():
            break
        root = np.where(has, data.predecessor[root], root)
    return values[root]


def _inherited(data: EnforcementData, flags: np.ndarray | None) -> np.ndarray:
    if flags is None:
        return np.zeros(len(data), dtype=bool)
    return _root_values(data, flags.astype(bool))


def _small_clusters(data: EnforcementData) -> np.ndarray:
    """Rows in the smallest follow-graph clusters that together hold a third of the clustered
    first accounts (lineages inherit their first account's cluster)."""
    if data.cluster is None:
        return np.zeros(len(data), dtype=bool)
    cluster = _root_values(data, data.cluster)
    firsts = (data.predecessor < 0) & (cluster >= 0)
    if not firsts.any():
        return np.zeros(len(data), dtype=bool)
    ids, sizes = np.unique(cluster[firsts], return_counts=True)
    order = np.argsort(sizes, kind="stable")
    small = ids[order][np.cumsum(sizes[order]) <= firsts.sum() / 3]
    return np.isin(cluster, small) & (cluster >= 0)


@dataclass(frozen=True)
class SimulatedReach:
    """Reach (followers of alive network accounts) and alive accounts per day, per run."""

    policy: Policy
    times: np.ndarray
    reach: np.ndarray  # runs x days
    accounts: np.ndarray  # runs x days

    def summary(self) -> dict:
        mean = self.reach.mean(axis=0)
        return {"policy": self.policy.name, "runs": int(self.reach.shape[0]),
                "mean_reach": round(float(mean.mean()), 1),
                "final_reach": round(float(mean[-1]), 1),
                "final_reach_band": [round(float(np.quantile(self.reach[:, -1], q)), 1) for q in (0.05, 0.95)],
                "mean_accounts": round(float(self.accounts.mean()), 1),
                "final_accounts": round(float(self.accounts[:, -1].mean()), 1)}

    def rows(self) -> list[dict]:
        from .data import to_datetime

        low, high = np.quantile(self.reach, [0.05, 0.95], axis=0)
        mean, accounts = self.reach.mean(axis=0), self.accounts.mean(axis=0)
        return [{"policy": self.policy.name, "time": to_datetime(t).isoformat(), "reach": round(float(m), 1),
                 "reach_low": round(float(lo), 1), "reach_high": round(float(hi), 1), "accounts": round(float(a), 2)}
                for t, m, lo, hi, a in zip(self.times, mean, low, high, accounts, strict=True)]


def simulate(calibration: Calibration, policy: Policy) -> SimulatedReach:
    """Replay the observed period ``policy.runs`` times under ``policy``."""
    data = calibration.data
    times = step_times(data, DAY)
    rng = np.random.default_rng(policy.seed)
    reach = np.zeros((policy.runs, times.size))
    accounts = np.zeros((policy.runs, times.size))
    seed_followers = _seed_followers(calibration, times)
    for run in range(policy.runs):
        reach[run], accounts[run] = _one_run(calibration, policy, times, seed_followers, rng)
    return SimulatedReach(policy, times, reach, accounts)


def _seed_followers(calibration: Calibration, times: np.ndarray) -> np.ndarray:
    """Followers of each lineage-starting account at each time (as observed, carried on)."""
    data = calibration.data
    observed = [data.followers.first(r)[1] for r in calibration.seed_rows if data.followers.observed(r)]
    fallback = float(np.median(observed)) if observed else 0.0
    out = np.empty((calibration.seed_rows.size, times.size))
    for index, row in enumerate(calibration.seed_rows.tolist()):
        out[index] = data.followers.at(row, times) if data.followers.observed(row) else fallback
    return out


def _weights(calibration: Calibration, policy: Policy, rows: np.ndarray, generation: int) -> np.ndarray:
    weight = float(policy.suspension_speedup) * calibration.risk[rows]
    if policy.targeting != "none":
        targeted = calibration.hub[rows] if policy.targeting == "hubs" else calibration.targeted_cluster[rows]
        weight *= np.where(targeted, policy.targeting_strength, (3.0 - policy.targeting_strength) / 2.0)
    if policy.promoter_hazard_multiplier != 1.0:
        weight *= np.where(calibration.promoter[rows], policy.promoter_hazard_multiplier, 1.0)
    return weight


def _ends(calibration: Calibration, created: np.ndarray, weight: np.ndarray, strata: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """Draw end times from each stratum's stepped hazard times ``weight``; inf when alive at
    the end of the data."""
    edges = calibration.hour_edges
    start = np.clip(created, edges[0], edges[-1])
    exponential = rng.exponential(1.0, created.size)
    ends = np.full(created.size, np.inf)
    for stratum in np.unique(strata).tolist():
        pick = strata == stratum
        cumulative = calibration.stratum_cumulative_hazard[stratum]
        with np.errstate(divide="ignore"):
            target = np.interp(start[pick], edges, cumulative) + exponential[pick] / weight[pick]
        # np.interp on a flat stretch picks its first point; that point can precede the start.
        found = np.maximum(np.interp(target, cumulative, edges), start[pick])
        ends[pick] = np.where(target >= cumulative[-1], np.inf, found)
    return ends


def _one_run(calibration: Calibration, policy: Policy, times: np.ndarray, seed_followers: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    rows = calibration.seed_rows
    created = calibration.seed_created
    ends = _ends(calibration, created, _weights(calibration, policy, rows, 0), calibration.stratum[rows], rng)
    alive = (created[:, None] <= times[None, :]) & (times[None, :] < ends[:, None])
    reach = (seed_followers * alive).sum(axis=0)
    accounts = alive.sum(axis=0).astype(np.float64)
    # Followers each ended account had when it ended (what its successor can win back).
    at_end = np.array([np.interp(e, times, f) if np.isfinite(e) else 0.0 for e, f in zip(ends, seed_followers, strict=True)])
    generation = 0
    while rows.size and generation < MAX_GENERATIONS:
        ended = np.isfinite(ends) & (ends < calibration.data_end)
        comes_back = ended & (rng.random(rows.size) < calibration.return_probability[generation])
        delays = rng.choice(calibration.delays_hours, size=int(comes_back.sum())) * HOUR
        rows, previous = rows[comes_back], at_end[comes_back]
        created = ends[comes_back] + delays
        inside = created < calibration.data_end
        rows, previous, created = rows[inside], previous[inside], created[inside]
        generation += 1
        if not rows.size:
            break
        returnee_stratum = np.full(rows.size, calibration.stratum_cumulative_hazard.shape[0] - 1)
        ends = _ends(calibration, created, _weights(calibration, policy, rows, generation), returnee_stratum, rng)
        if policy.returnee_detection_hours is not None:
            caught = rng.random(rows.size) < policy.returnee_detection_recall
            quick = created + rng.random(rows.size) * policy.returnee_detection_hours * HOUR
            ends = np.where(caught, np.minimum(ends, quick), ends)
        age_hours = np.clip((times[None, :] - created[:, None]) / HOUR, 0.0, None)
        followers = (np.interp(age_hours, RECOVERY_AGES, calibration.recovery_alpha)
                     + np.interp(age_hours, RECOVERY_AGES, calibration.recovery_beta) * previous[:, None])
        alive = (created[:, None] <= times[None, :]) & (times[None, :] < ends[:, None])
        reach += (followers * alive).sum(axis=0)
        accounts += alive.sum(axis=0)
        end_age = np.clip((np.where(np.isfinite(ends), ends, calibration.data_end) - created) / HOUR, 0.0, None)
        at_end = (np.interp(end_age, RECOVERY_AGES, calibration.recovery_alpha)
                  + np.interp(end_age, RECOVERY_AGES, calibration.recovery_beta) * previous)
    return reach, accounts


def compare_policies(data: EnforcementData, policies: list[Policy]) -> dict[str, SimulatedReach]:
    """Calibrate once and simulate the baseline and each policy (same runs and seed)."""
    calibration = Calibration.from_data(data)
    first = policies[0] if policies else Policy()
    out = {"baseline": simulate(calibration, first.baseline())}
    for policy in policies:
        out[policy.name] = simulate(calibration, policy)
    return out
