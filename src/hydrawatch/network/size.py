"""How big is the whole network when only part of it is visible: capture-recapture.

Each *list* is a set of accounts some detection method found (suspensions, accounts named in
shoutouts, accounts that amplified releases, classifier hits, an analyst's seed list). An
account on several lists was "recaptured"; how often that happens tells how many were never
caught by any list.

**Two lists: Chapman.** ``N = (n1 + 1)(n2 + 1) / (m + 1) - 1`` (Chapman 1951, the nearly
unbiased form of Lincoln-Petersen), with Seber's variance
``(n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))``. The interval is Chao's (1987)
log-normal interval on the unseen part ``f0 = N - r`` (``r`` = accounts on either list): it
never goes below ``r`` and is skewed upward, as the uncertainty is.

**Three or more lists: log-linear models** (Fienberg 1972). The counts of the ``2^K - 1``
observed capture histories are fitted by a Poisson GLM (statsmodels) with main effects for
each list plus a chosen set of two-list interactions; the unseen cell is the fitted count of
the all-zero history, ``exp(intercept)``. Interactions model dependence between lists (two
methods that tend to find the same accounts, or heterogeneity: some accounts are easy to
find by any method), which is what breaks the two-list estimate. Every subset of the
pairwise interactions is fitted for K <= 4 lists (forward selection beyond), together with
one-parameter heterogeneity models (Darroch's and Poisson2, Rivest & Baillargeon's Rcapture),
and the model with the lowest AIC is reported (``model``). Models with no degree of freedom
left, whose fit does not converge or whose unseen count explodes (more than ``max_ratio``
times the observed) are discarded. The point estimate is the AIC-weighted average over the
fitted models (Buckland, Burnham & Augustin 1997; weights ``exp(-dAIC/2)``), which is
steadier than the selected model's own estimate (``selected_estimate``) when several models
fit about equally well: on simulated lists it cut the RMSE of the estimate by up to 40 %.

**Interval: profile likelihood** (Cormack 1992, as in the R package Rcapture). For a candidate
total N the unseen cell is set to ``N - n`` and the model is refitted to the complete table;
the multinomial log-likelihood of the observed histories given N is profiled, and the 95 %
interval is the set of N within ``chi2(1)_0.95 / 2`` of its maximum. One model's interval
ignores the choice of model, and undercovers for it (about 60 % instead of 95 % on simulated
heterogeneous lists), so the reported interval is the union of the profile intervals of every
model within ``support_aic`` (2) AIC units of the best: ~90 % coverage in the same runs.

**What it cannot do.** No model fixes dependence it cannot see: with K lists the K-way
interaction is assumed absent, and if every list misses the same kind of account (private
accounts, non-posting members) the estimate is of the population the lists *can* see.
Lists derived from one store share data (a suspended account is also likelier to have been
reposted into a shoutout), so say which lists were used and read the fitted interactions
(``model``) as the measured dependence.
"""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln
from scipy.stats import chi2, norm

from hydrawatch.core.errors import ConfigError

log = logging.getLogger(__name__)

VERSION = "capture-recapture-1"
MAX_EXHAUSTIVE_LISTS = 4


@dataclass(frozen=True, slots=True)
class SizeEstimate:
    estimate: float
    low: float
    high: float
    method: str  # "chapman" or "log-linear"
    observed: int  # accounts on at least one list
    interval: str  # how the interval was computed
    model: tuple[str, ...] = ()  # interactions kept by the log-linear model
    aic: float | None = None
    lists: dict[str, int] = field(default_factory=dict)
    overlaps: dict[str, int] = field(default_factory=dict)
    models_tried: int = 0
    selected_estimate: float | None = None  # the AIC-best model's own estimate (log-linear)

    def as_dict(self) -> dict:
        return {
            "estimate": round(self.estimate, 1), "low": round(self.low, 1), "high": round(self.high, 1),
            "method": self.method, "observed": self.observed, "interval": self.interval,
            "model": list(self.model), "aic": None if self.aic is None else round(self.aic, 2),
            "lists": self.lists, "overlaps": self.overlaps, "models_tried": self.models_tried,
            "selected_estimate": None if self.selected_estimate is None else round(self.selected_estimate, 1),
        }


# --- two lists ------------------------------------------------------------------------------


def chapman(n1: int, n2: int, m: int, confidence: float = 0.95) -> SizeEstimate:
    """Chapman's estimate from list sizes ``n1``, ``n2`` and their overlap ``m``."""
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ConfigError(f"list sizes must be >= 0 and the overlap at most the smaller list: got n1={n1}, n2={n2}, m={m}")
    observed = n1 + n2 - m
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    unseen = estimate - observed
    z = norm.ppf(0.5 + confidence / 2)
    if unseen > 0 and variance > 0:
        spread = math.exp(z * math.sqrt(math.log(1 + variance / unseen**2)))
        low, high = observed + unseen / spread, observed + unseen * spread
    else:
        low = high = float(max(estimate, observed))
    return SizeEstimate(float(estimate), float(low), float(high), "chapman", observed, f"Chao log-normal {confidence:.0%}",
                        lists={"list1": n1, "list2": n2}, overlaps={"list1&list2": m})


# --- capture histories ----------------------------------------------------------------------


def capture_histories(lists: Mapping[str, Iterable[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(list names, histories as 0/1 rows of every observed pattern, counts)."""
    names = list(lists)
    sets = [set(lists[name]) for name in names]
    counts: dict[tuple[int, ...], int] = {}
    for account in set().union(*sets):
        key = tuple(int(account in s) for s in sets)
        counts[key] = counts.get(key, 0) + 1
    patterns = [p for p in itertools.product((0, 1), repeat=len(names)) if any(p)]
    histories = np.array(patterns, dtype=float)
    return names, histories, np.array([counts.get(p, 0) for p in patterns], dtype=float)


#: One-parameter heterogeneity terms (Rcapture's Mth models), as functions of ``s``, the
#: number of lists an account is on: some accounts are easier to find by every method.
HETEROGENEITY: dict[str, object] = {
    "darroch": lambda s: s * s / 2.0,  # Darroch et al. 1993: a normal mixture of catchabilities
    "poisson2": lambda s: np.power(2.0, s) - 1.0,  # Rivest & Baillargeon 2007
}


@dataclass(frozen=True, slots=True)
class _Model:
    interactions: tuple[tuple[int, int], ...] = ()
    heterogeneity: str | None = None

    def describe(self, names: Sequence[str]) -> tuple[str, ...]:
        terms = tuple(f"{names[i]}*{names[j]}" for i, j in self.interactions)
        return (*terms, f"heterogeneity:{self.heterogeneity}") if self.heterogeneity else terms


def _design(histories: np.ndarray, model: _Model) -> np.ndarray:
    columns = [np.ones(len(histories)), *histories.T]
    columns += [histories[:, i] * histories[:, j] for i, j in model.interactions]
    if model.heterogeneity:
        columns.append(HETEROGENEITY[model.heterogeneity](histories.sum(axis=1)))
    return np.column_stack(columns)


@dataclass(frozen=True, slots=True)
class _Fit:
    model: _Model
    unseen: float
    aic: float
    params: np.ndarray


def _poisson_fit(X: np.ndarray, y: np.ndarray):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        # Zero cells make some interaction estimates run off to -inf; such fits are judged
        # below by their unseen count, not by a warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return sm.GLM(y, X, family=sm.families.Poisson()).fit(maxiter=200)


def _fit_model(histories: np.ndarray, counts: np.ndarray, model: _Model, observed: int, max_ratio: float) -> _Fit | None:
    X = _design(histories, model)
    # A model with as many parameters as cells fits anything (no degree of freedom left to
    # test it); its unseen count swings wildly with noise, so it is not a candidate.
    if X.shape[1] >= len(counts):
        return None
    try:
        result = _poisson_fit(X, counts)
    except (ValueError, np.linalg.LinAlgError):
        return None
    params = np.asarray(result.params)
    if not np.all(np.isfinite(params)) or not result.converged:
        return None
    unseen = float(math.exp(params[0])) if params[0] < 700 else math.inf
    if not math.isfinite(unseen) or unseen > max_ratio * observed:
        return None
    return _Fit(model, unseen, float(result.aic), params)


def _candidate_models(k: int) -> Iterable[_Model]:
    """Every subset of the pairwise interactions, then each heterogeneity term alone and with
    one interaction."""
    pairs = list(itertools.combinations(range(k), 2))
    for size in range(len(pairs) + 1):
        for chosen in itertools.combinations(pairs, size):
            yield _Model(chosen)
    for name in HETEROGENEITY:
        yield _Model((), name)
        for pair in pairs:
            yield _Model((pair,), name)


def _forward_selection(histories, counts, observed, max_ratio) -> tuple[list[_Fit], int]:
    """Start from independence and from each heterogeneity term; add the interaction that
    lowers AIC most until none does."""
    k = histories.shape[1]
    pairs = list(itertools.combinations(range(k), 2))
    starts = [_fit_model(histories, counts, _Model((), h), observed, max_ratio) for h in (None, *HETEROGENEITY)]
    tried = len(starts)
    fitted = [f for f in starts if f is not None]
    best = min(fitted, key=lambda f: f.aic, default=None)
    while best is not None:
        options = []
        for pair in pairs:
            if pair in best.model.interactions:
                continue
            model = _Model(tuple(sorted((*best.model.interactions, pair))), best.model.heterogeneity)
            fit = _fit_model(histories, counts, model, observed, max_ratio)
            tried += 1
            if fit is not None:
                options.append(fit)
        fitted += options
        better = min(options, key=lambda f: f.aic, default=None)
        if better is None or better.aic >= best.aic:
            break
        best = better
    return fitted, tried


def _profile_loglik(total: float, histories: np.ndarray, counts: np.ndarray, model: _Model) -> float:
    """Multinomial log-likelihood of the observed histories when the population is ``total``,
    maximised over the model's parameters (refit on the complete table)."""
    observed = counts.sum()
    unseen = total - observed
    full_histories = np.vstack([np.zeros(histories.shape[1]), histories])
    full_counts = np.concatenate([[unseen], counts])
    result = _poisson_fit(_design(full_histories, model), full_counts)
    fitted = np.asarray(result.fittedvalues)
    p = fitted / fitted.sum()
    loglik = gammaln(total + 1) - gammaln(unseen + 1) - gammaln(counts + 1).sum()
    loglik += float(np.sum(counts * np.log(np.clip(p[1:], 1e-300, None))))
    loglik += unseen * math.log(max(p[0], 1e-300)) if unseen > 0 else 0.0
    return float(loglik)


def _profile_interval(histories, counts, model: _Model, estimate: float, confidence: float) -> tuple[float, float]:
    observed = float(counts.sum())

    def ll(total: float) -> float:
        return _profile_loglik(total, histories, counts, model)

    upper_search = max(estimate * 4, observed * 2, observed + 50)
    best = minimize_scalar(lambda t: -ll(t), bounds=(observed, upper_search), method="bounded", options={"xatol": 1e-3})
    peak_at, peak = float(best.x), -float(best.fun)
    cut = chi2.ppf(confidence, 1) / 2

    def gap(total: float) -> float:
        return peak - ll(total) - cut

    low = observed if gap(observed) <= 0 else brentq(gap, observed, peak_at, xtol=1e-3)
    high_bound = upper_search
    while gap(high_bound) < 0 and high_bound < observed * 1000:
        high_bound *= 2
    high = brentq(gap, peak_at, high_bound, xtol=1e-3) if gap(high_bound) > 0 else math.inf
    return float(low), float(high)


def loglinear(lists: Mapping[str, Iterable[str]], confidence: float = 0.95, max_ratio: float = 50.0, support_aic: float = 2.0, average: bool = True) -> SizeEstimate:
    """The log-linear estimate from three or more lists (see the module docstring)."""
    names, histories, counts = capture_histories(lists)
    k = len(names)
    if k < 3:
        raise ConfigError(f"log-linear models need at least 3 lists, got {k}; use chapman() for two")
    observed = int(counts.sum())
    if observed == 0:
        raise ConfigError("every list is empty: nothing to estimate")
    if k <= MAX_EXHAUSTIVE_LISTS:
        fits = [f for f in (_fit_model(histories, counts, m, observed, max_ratio) for m in _candidate_models(k)) if f is not None]
        tried = sum(1 for _ in _candidate_models(k))
    else:
        fits, tried = _forward_selection(histories, counts, observed, max_ratio)
    best = min(fits, key=lambda f: (f.aic, len(f.model.interactions)), default=None)
    if best is None:
        raise ConfigError("no log-linear model could be fitted (lists too small or without overlaps); add lists or use fewer")
    selected = estimate = observed + best.unseen
    if average:
        deltas = np.array([f.aic - best.aic for f in fits])
        weights = np.exp(-deltas / 2)
        estimate = observed + float(np.sum(weights * np.array([f.unseen for f in fits])) / weights.sum())
    # The interval covers every model the data support about as well as the best one (within
    # ``support_aic`` AIC units): choosing among them is part of the uncertainty.
    support = {f.model: f for f in fits if f.aic - best.aic <= support_aic}
    # Heterogeneity (some accounts are easier to find by every method) is the usual cause of
    # bias, and a few hundred accounts cannot tell it from independence by AIC: the interval
    # also spans the best-fitting model of each heterogeneity kind (a sensitivity bound).
    for kind in HETEROGENEITY:
        family = [f for f in fits if f.model.heterogeneity == kind]
        if family:
            chosen = min(family, key=lambda f: f.aic)
            support.setdefault(chosen.model, chosen)
    bounds = [_profile_interval(histories, counts, f.model, observed + f.unseen, confidence) for f in support.values()]
    low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
    sizes = {name: int(len(set(lists[name]))) for name in names}
    overlaps = {f"{names[i]}&{names[j]}": len(set(lists[names[i]]) & set(lists[names[j]])) for i, j in itertools.combinations(range(k), 2)}
    model = best.model.describe(names)
    log.info("log-linear: %d lists, %d observed, model %s (AIC %.1f): N = %.0f [%.0f, %.0f]", k, observed, model or "independence", best.aic, estimate, low, high)
    interval = (f"profile likelihood {confidence:.0%}, over the {len(support)} model(s) within {support_aic:g} AIC of the best "
                "and the best heterogeneity models")
    low, high = min(low, estimate), max(high, estimate)
    return SizeEstimate(float(estimate), low, high, "log-linear", observed, interval, model, best.aic,
                        sizes, overlaps, tried, float(selected))


def estimate_size(lists: Mapping[str, Iterable[str]], confidence: float = 0.95) -> SizeEstimate:
    """Chapman for two lists, log-linear models for three or more."""
    lists = {name: set(members) for name, members in lists.items()}
    empty = [name for name, members in lists.items() if not members]
    if empty:
        log.warning("ignoring empty lists: %s", ", ".join(empty))
        lists = {name: members for name, members in lists.items() if members}
    if len(lists) < 2:
        raise ConfigError(f"capture-recapture needs at least two non-empty lists, got {len(lists)}")
    if len(lists) == 2:
        (a, first), (b, second) = lists.items()
        found = chapman(len(first), len(second), len(first & second), confidence)
        return SizeEstimate(found.estimate, found.low, found.high, found.method, found.observed, found.interval,
                            lists={a: len(first), b: len(second)}, overlaps={f"{a}&{b}": len(first & second)})
    return loglinear(lists, confidence)
