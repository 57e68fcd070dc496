"""Capture-recapture with per-account covariates: Huggins' conditional likelihood.

The log-linear models of :mod:`hydrawatch.network.size` see only capture histories, so they
must *guess* the shape of the heterogeneity (busy accounts are found by every method, quiet
ones by none) from how often accounts are recaptured. When what makes an account easy to find
is observable for the accounts that were found (how much it posts, whether it was named in a
shoutout), the heterogeneity can be modelled instead of averaged over.

**Model** (Huggins 1989; Alho 1990). Account ``i`` is on list ``k`` with log-odds
``a_k + b . x_i``: a list effect ``a_k`` (each method has its own efficiency) and covariate
effects ``b`` shared by the lists (an account that is easy to find is easy for every method).
Written as a log-linear model per account, history ``h`` (which lists it is on, ``s_h`` of
them) has log-odds against the all-zero history ``H_h . a + s_h (x_i . b) + G_h . c``, where
``G_h`` are optional heterogeneity columns in ``s_h``, the Mth terms of the log-linear models
(Chao's lower bound, Poisson2; :data:`hydrawatch.network.size.HETEROGENEITY`, coefficients
``c >= 0``) for the heterogeneity the covariates do not explain. The likelihood is
conditional on being on at least one list, so only the found accounts and their covariates
are needed::

    L = prod_i P(h_i | x_i) / (1 - P(0 | x_i))

and the size is the Horvitz-Thompson sum ``N = sum_i 1 / (1 - P(0 | x_i))``: each found
account stands for ``1 / P(found)`` accounts like it. Without covariates this is the
log-linear model with the same terms (the same conditional multinomial), and with two lists
Lincoln-Petersen's ``n1 n2 / m``; the tests check both.

**Variance** (Huggins 1989): ``sum_i (1 - p*_i) / p*_i^2`` (the sampling of who was found)
plus ``D' I^-1 D`` (the parameters' uncertainty; ``D = dN/dtheta``, ``I`` the observed
information). The interval is Chao's (1987) log-normal interval on the unseen part
``f0 = N - r``: never below the ``r`` found, longer upward, as the uncertainty is; it stays
honest when ``f0`` is small, where a symmetric Wald interval would dip below ``r``.

**Model uncertainty.** The covariate sets (none, each covariate alone, all of them), each
without and with each heterogeneity term, are fitted and weighted by AIC (``exp(-dAIC / 2)``); the estimate is the weighted average and its
variance Buckland, Burnham & Augustin's (1997) unconditional one,
``(sum_m w_m sqrt(var_m + (N_m - N)^2))^2``, so choosing among covariate sets widens the
interval instead of being ignored.

**What it cannot do.** Heterogeneity the covariates do not explain (two accounts that post as
much, one far easier to find) still biases the estimate low, as any Mt model is biased;
lists that depend on each other beyond the covariates (a classifier trained on suspensions)
are assumed independent given the covariates. Covariates must be known for every found
account; the unfound need none.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

from hydrawatch.core.errors import ConfigError

from .size import HETEROGENEITY, SizeEstimate

log = logging.getLogger(__name__)

#: Models whose unseen count is more than this many times the found are discarded (as in the
#: log-linear models: the fit has run off).
MAX_RATIO = 50.0

#: Heterogeneity the covariates leave (two accounts that post as much, one far easier to find),
#: as the log-linear models' terms in ``s``, the number of lists a history is on (see
#: :data:`hydrawatch.network.size.HETEROGENEITY`); each coefficient is kept >= 0.
RESIDUAL_HETEROGENEITY = ("chao", "poisson2")


@dataclass(frozen=True, slots=True)
class CovariateFit:
    """One fitted model: its covariates, heterogeneity term, size estimate, variance and AIC."""

    covariates: tuple[str, ...]
    heterogeneity: str | None
    estimate: float
    variance: float
    aic: float
    params: np.ndarray


def _history_design(lists: int, heterogeneity: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every history (the all-zero one first), its number of lists ``s`` and its heterogeneity
    columns."""
    histories = np.array(list(itertools.product((0, 1), repeat=lists)), dtype=float)
    s = histories.sum(axis=1)
    het = np.column_stack(HETEROGENEITY[heterogeneity](s, lists)) if heterogeneity else np.zeros((len(histories), 0))
    return histories, s, het


class _Problem:
    """Account i's history h has log-odds ``H_h . a + s_h (x_i . b) + G_h . c`` against the
    all-zero history: list effects ``a``, covariate effects ``b`` (on every list alike: an
    easy account is easy for every method) and heterogeneity coefficients ``c >= 0``."""

    def __init__(self, y: np.ndarray, x: np.ndarray, heterogeneity: str | None):
        self.k = y.shape[1]
        self.x = x
        self.histories, self.s, self.het = _history_design(self.k, heterogeneity)
        index = (y @ (2 ** np.arange(self.k - 1, -1, -1))).astype(int)  # row of each account's history
        self.observed = index
        self.sizes = (self.k, x.shape[1], self.het.shape[1])

    def scores(self, theta: np.ndarray) -> np.ndarray:
        a, b, c = np.split(theta, np.cumsum(self.sizes)[:-1])
        base = self.histories @ a + self.het @ c  # per history
        return base[None, :] + np.outer(self.x @ b, self.s)  # accounts x histories

    def features(self, h: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.histories[h], self.s[h], self.het[h]

    def expected(self, weights: np.ndarray) -> np.ndarray:
        """Expected design row per account under history ``weights`` (accounts x histories)."""
        return np.hstack([weights @ self.histories, (weights @ self.s)[:, None] * self.x, weights @ self.het])

    def negative_loglik(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        scores = self.scores(theta)
        seen = scores[:, 1:]
        top = seen.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(seen - top).sum(axis=1))
        rows = np.arange(len(scores))
        loglik = float(np.sum(scores[rows, self.observed] - log_norm))
        weights = np.zeros_like(scores)
        weights[:, 1:] = np.exp(seen - log_norm[:, None])
        observed_row = np.hstack([self.histories[self.observed], self.s[self.observed][:, None] * self.x, self.het[self.observed]])
        gradient = (observed_row - self.expected(weights)).sum(axis=0)
        return -loglik, -gradient

    def size(self, theta: np.ndarray) -> tuple[float, float, np.ndarray]:
        """N = sum 1 / (1 - P0_i), the sampling part of its variance, and dN/dtheta."""
        scores = self.scores(theta)
        top = np.maximum(scores.max(axis=1, keepdims=True), 0.0)
        weights = np.exp(scores - top)
        weights /= weights.sum(axis=1, keepdims=True)  # P(h | account), the unseen history included
        unseen = weights[:, 0]
        found = 1.0 - unseen
        size = float(np.sum(1.0 / found))
        sampling = float(np.sum(unseen / found**2))
        # dP0/dtheta = -P0 E[Z]; d(1 / (1 - P0)) = dP0 / (1 - P0)^2
        gradient = -((unseen / found**2)[:, None] * self.expected(weights)).sum(axis=0)
        return size, sampling, gradient

    def information(self, theta: np.ndarray) -> np.ndarray:
        """Observed information by central differences of the analytic gradient."""
        size = len(theta)
        hessian = np.empty((size, size))
        for j in range(size):
            step = 1e-5 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += step
            down[j] -= step
            hessian[:, j] = (self.negative_loglik(up)[1] - self.negative_loglik(down)[1]) / (2 * step)
        return (hessian + hessian.T) / 2


def fit_covariate_model(y: np.ndarray, x: np.ndarray, heterogeneity: str | None = None, names: tuple[str, ...] = ()) -> CovariateFit | None:
    """Fit one model to capture histories ``y`` (found accounts x lists, 0/1) and covariates
    ``x`` (found accounts x covariates, centred). Heterogeneity coefficients are bounded at
    zero (Rcapture's ``neg = TRUE``); one that lands there is absent from the model, its
    information and its AIC. ``None`` if the fit does not converge or its information matrix is singular (a
    covariate that does not vary, a list that found everyone)."""
    problem = _Problem(y, x, heterogeneity)
    k, p, h = problem.sizes
    share = np.clip(y.mean(axis=0), 1e-3, 1 - 1e-3) * 0.5  # found shares overstate p: start lower
    theta0 = np.concatenate([np.log(share / (1 - share)), np.zeros(p), np.full(h, 0.1)])
    bounds = [(None, None)] * (k + p) + [(0.0, None)] * h
    result = minimize(problem.negative_loglik, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-8})
    theta = result.x
    if not np.all(np.isfinite(theta)):
        return None
    gradient = problem.negative_loglik(theta)[1]
    free = np.ones(len(theta), dtype=bool)
    free[k + p:] = theta[k + p:] > 1e-6
    if float(np.max(np.abs(gradient[free]))) > 1e-3 * max(1.0, len(y) ** 0.5):
        return None
    information = problem.information(theta)[np.ix_(free, free)]
    try:
        covariance = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) <= 0):
        return None
    size, sampling, derivative = problem.size(theta)
    derivative = derivative[free]
    variance = sampling + float(derivative @ covariance @ derivative)
    aic = 2 * float(result.fun) + 2 * int(free.sum())
    kept = heterogeneity if free[k + p:].any() else None
    return CovariateFit(names, kept, size, variance, aic, theta)


def lognormal_interval(estimate: float, variance: float, observed: int, confidence: float = 0.95) -> tuple[float, float]:
    """Chao's (1987) log-normal interval on the unseen part ``estimate - observed``."""
    unseen = estimate - observed
    if unseen <= 0 or variance <= 0:
        return float(max(estimate, observed)), float(max(estimate, observed))
    z = norm.ppf(0.5 + confidence / 2)
    spread = math.exp(z * math.sqrt(math.log(1 + variance / unseen**2)))
    return observed + unseen / spread, observed + unseen * spread


def covariate_size(lists: Mapping[str, Iterable[str]], covariates: Mapping[str, Mapping[str, float]], confidence: float = 0.95,
                   heterogeneity: Sequence[str] = RESIDUAL_HETEROGENEITY, subsets: Sequence[tuple[str, ...]] | None = None) -> SizeEstimate:
    """The covariate estimate (see the module docstring).

    ``covariates`` maps a covariate's name to its value for every account on any list
    (e.g. ``{"log_posts": {...}, "named_in_shoutout": {...}}``). ``subsets`` are the
    covariate sets fitted (default: none, each alone, and all); each is fitted without a
    heterogeneity term and with each of ``heterogeneity``, and the fits are averaged."""
    names = list(lists)
    sets = [set(lists[name]) for name in names]
    if len(sets) < 2:
        raise ConfigError(f"capture-recapture needs at least two lists, got {len(sets)}")
    accounts = sorted(set().union(*sets))
    if not accounts:
        raise ConfigError("every list is empty: nothing to estimate")
    unknown = [h for h in heterogeneity if h not in HETEROGENEITY]
    if unknown:
        raise ConfigError(f"unknown heterogeneity model(s) {unknown}; choose from {sorted(HETEROGENEITY)}")
    covariate_names = tuple(covariates)
    for name in covariate_names:
        missing = [a for a in accounts if a not in covariates[name]]
        if missing:
            raise ConfigError(f"covariate {name!r} has no value for {len(missing)} found account(s) (e.g. {missing[0]!r}); "
                              "give every account on a list a value, or drop the covariate")
    y = np.array([[account in s for s in sets] for account in accounts], dtype=float)
    # Centred and scaled so the optimiser sees comparable scales; the estimate does not depend on it.
    columns = {}
    for name in covariate_names:
        values = np.array([float(covariates[name][a]) for a in accounts])
        columns[name] = (values - values.mean()) / (values.std() or 1.0)
    if subsets is None:
        subsets = [()] + [(name,) for name in covariate_names] + ([covariate_names] if len(covariate_names) > 1 else [])
    fits: dict[tuple, CovariateFit] = {}
    for subset in dict.fromkeys(tuple(s) for s in subsets):
        unknown = [name for name in subset if name not in columns]
        if unknown:
            raise ConfigError(f"unknown covariate(s) {unknown} in a subset; the covariates given are {list(covariate_names)}")
        x = np.column_stack([columns[name] for name in subset]) if subset else np.zeros((len(accounts), 0))
        # Heterogeneity terms in s need three lists or more (with two, s = 2 is one cell, which
        # the list effects already fit), and Chao's columns start at s = 3.
        families = [f for f in heterogeneity if len(names) >= 3 and (f != "chao" or len(names) > 3)]
        for family in (None, *families):
            fit = fit_covariate_model(y, x, family, subset)
            # a family whose coefficients all fit at zero is the model without one: count it once
            if fit is not None and fit.estimate < MAX_RATIO * len(accounts):
                fits.setdefault((subset, fit.heterogeneity), fit)
    if not fits:
        raise ConfigError("no covariate model could be fitted (lists without overlaps, or a list that found every account); "
                          "add lists or drop the covariates")
    models = list(fits.values())
    best = min(models, key=lambda f: f.aic)
    weights = np.exp(-np.array([f.aic - best.aic for f in models]) / 2)
    weights /= weights.sum()
    sizes = np.array([f.estimate for f in models])
    estimate = float(weights @ sizes)
    variance = float(weights @ np.sqrt(np.array([f.variance for f in models]) + (sizes - estimate) ** 2)) ** 2
    observed = len(accounts)
    low, high = lognormal_interval(estimate, variance, observed, confidence)
    overlaps = {f"{names[i]}&{names[j]}": len(sets[i] & sets[j]) for i, j in itertools.combinations(range(len(names)), 2)}
    model = tuple(f"covariate:{name}" for name in best.covariates) + ((f"heterogeneity:{best.heterogeneity}",) if best.heterogeneity else ())
    log.info("covariate capture-recapture: %d lists, %d found, best model %s: N = %.0f [%.0f, %.0f]", len(names), observed, model, estimate, low, high)
    return SizeEstimate(estimate, low, high, "covariates", observed,
                        f"log-normal {confidence:.0%} on the unseen, Buckland's variance over {len(models)} model(s)",
                        model, best.aic, {name: len(s) for name, s in zip(names, sets)}, overlaps, len(models), best.estimate)
