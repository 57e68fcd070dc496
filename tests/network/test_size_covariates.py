"""Covariate capture-recapture (Huggins' conditional likelihood) against closed forms, the
log-linear models it generalises, and populations with known heterogeneity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from hydrawatch.core.errors import ConfigError
from hydrawatch.network.size import estimate_size, loglinear
from hydrawatch.network.size_covariates import _MixtureProblem, _Problem, covariate_size, fit_covariate_model

from .test_size import _expected_cells, _lists_from_cells


def test_two_lists_without_covariates_is_lincoln_petersen():
    # Mt's conditional MLE from two lists is N = n1 n2 / m, with variance
    # n1 n2 (n1 - m)(n2 - m) / m^3 (Seber 1982, 3.2.1): n1 = 100, n2 = 80, m = 40 -> 200 and 75.
    lists = {"a": set(range(100)), "b": set(range(60, 140))}
    fit = fit_covariate_model(np.array([[i in lists["a"], i in lists["b"]] for i in range(140)], dtype=float), np.zeros((140, 0)))
    assert fit.estimate == pytest.approx(200.0, rel=1e-5)
    assert fit.variance == pytest.approx(100 * 80 * 60 * 40 / 40**3, rel=1e-3)
    found = covariate_size(lists, {})
    assert found.method == "covariates" and found.observed == 140
    assert found.estimate == pytest.approx(200.0, rel=1e-5)
    assert 140 < found.low < 200 < found.high


def test_without_covariates_it_is_the_loglinear_independence_model():
    expected = _expected_cells(1.0, [0.5, 0.5, 0.5])
    lists = _lists_from_cells({h: round(v * 8000) for h, v in expected.items() if any(h)})
    found = covariate_size(lists, {}, heterogeneity=())
    assert found.estimate == pytest.approx(8000, rel=1e-4)
    uneven = _lists_from_cells({(1, 0, 0): 50, (0, 1, 0): 40, (0, 0, 1): 30, (1, 1, 0): 12, (1, 0, 1): 9, (0, 1, 1): 7, (1, 1, 1): 3})
    assert covariate_size(uneven, {}, heterogeneity=()).estimate == pytest.approx(loglinear(uneven, heterogeneity=()).estimate, rel=1e-4)


def test_chao_term_matches_the_closed_form_lower_bound():
    # Five exchangeable lists: Chao's model gives f0 = (K - 1)/K * f1^2 / (2 f2), as the
    # log-linear one does (tests/network/test_size.py).
    per_history = {1: 60, 2: 12, 3: 6, 4: 4, 5: 3}
    cells = {h: per_history[sum(h)] for h in itertools.product((0, 1), repeat=5) if any(h)}
    y = np.array([h for h, n in cells.items() for _ in range(n)], dtype=float)
    fit = fit_covariate_model(y, np.zeros((len(y), 0)), "chao")
    assert fit.heterogeneity == "chao"
    assert fit.estimate == pytest.approx(len(y) + 4 / 5 * (5 * 60) ** 2 / (2 * 10 * 12), rel=1e-5)


@pytest.mark.parametrize("heterogeneity", [None, "chao", "poisson2"])
def test_gradients_match_finite_differences(heterogeneity):
    rng = np.random.default_rng(2)
    y = (rng.random((60, 5)) < 0.3).astype(float)
    y = y[y.any(axis=1)]
    x = rng.normal(size=(len(y), 2))
    problem = _Problem(y, x, heterogeneity)
    theta = rng.normal(scale=0.3, size=sum(problem.sizes))
    assert problem.negative_loglik(theta)[1] == pytest.approx(approx_fprime(theta, lambda t: problem.negative_loglik(t)[0], 1e-6), abs=1e-3)
    assert problem.size(theta)[2] == pytest.approx(approx_fprime(theta, lambda t: problem.size(t)[0], 1e-6), rel=1e-3, abs=1e-3)


def _covariate_lists(rng: np.random.Generator, total: int, rate: float, latent: float = 0.0) -> tuple[dict[str, set[int]], dict[str, dict[int, float]]]:
    """Five lists; an account's detection rate grows with an observed activity covariate and,
    when ``latent`` > 0, with an unobserved log-normal factor of that spread."""
    activity = rng.normal(0.0, 1.0, total)
    w = np.exp(0.8 * activity + (latent * rng.normal(0.0, 1.0, total) if latent else 0.0))
    w /= w.mean()
    lists = {}
    for k in range(5):
        p = 1.0 - np.exp(-rate * w * rng.lognormal(0.0, 0.4))
        lists[f"l{k}"] = set(np.flatnonzero(rng.random(total) < p).tolist())
    return lists, {"activity": dict(enumerate(activity.tolist()))}


def test_covariates_model_the_heterogeneity_the_lists_hide():
    rng = np.random.default_rng(7)
    total, errors, independence, covered = 1000, [], [], 0
    for _ in range(5):
        lists, covariates = _covariate_lists(rng, total, 0.12)
        found = estimate_size(lists, covariates=covariates)
        assert found.method == "covariates" and any(term.startswith("covariate:activity") for term in found.model)
        errors.append(found.estimate / total - 1)
        covered += found.low <= total <= found.high
        independence.append(covariate_size(lists, {}, heterogeneity=()).estimate / total - 1)
    assert np.mean(independence) < -0.15  # busy accounts are recaptured, quiet ones never seen
    assert abs(np.mean(errors)) < 0.06
    assert covered >= 4


def test_missing_covariate_values_are_refused_with_a_fix():
    lists = {"a": {1, 2, 3}, "b": {2, 3, 4}, "c": {3, 4, 5}}
    with pytest.raises(ConfigError, match="no value for 1 found account"):
        covariate_size(lists, {"activity": {1: 0.0, 2: 1.0, 3: 2.0, 4: 0.5}})
    with pytest.raises(ConfigError, match="choose from"):
        covariate_size(lists, {}, heterogeneity=("rasch",))


def test_per_list_slopes_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    y = (rng.random((80, 4)) < 0.35).astype(float)
    y = y[y.any(axis=1)]
    problem = _Problem(y, rng.normal(size=(len(y), 2)), "poisson2", interactions=((0, 1),), per_list=True)
    theta = rng.normal(scale=0.3, size=sum(problem.sizes))
    assert problem.negative_loglik(theta)[1] == pytest.approx(approx_fprime(theta, lambda t: problem.negative_loglik(t)[0], 1e-6), abs=1e-3)
    assert problem.size(theta)[2] == pytest.approx(approx_fprime(theta, lambda t: problem.size(t)[0], 1e-6), rel=1e-3, abs=1e-3)


@pytest.mark.parametrize("options", [{}, {"interactions": ((0, 1),)}, {"per_list": True}, {"heterogeneity": "poisson2"}])
def test_logit_normal_gradients_match_finite_differences(options):
    rng = np.random.default_rng(5)
    y = (rng.random((70, 5)) < 0.3).astype(float)
    y = y[y.any(axis=1)]
    problem = _MixtureProblem(y, rng.normal(size=(len(y), 2)), options.pop("heterogeneity", None), **options)
    theta = rng.normal(scale=0.3, size=len(problem.bounded))
    theta[-1] = 0.7  # sigma
    assert problem.negative_loglik(theta)[1] == pytest.approx(approx_fprime(theta, lambda t: problem.negative_loglik(t)[0], 1e-6), rel=1e-5, abs=1e-3)
    assert problem.size(theta)[2] == pytest.approx(approx_fprime(theta, lambda t: problem.size(t)[0], 1e-6), rel=1e-3, abs=1e-3)


def test_logit_normal_at_zero_spread_is_the_model_without_it():
    rng = np.random.default_rng(6)
    y = (rng.random((90, 4)) < 0.35).astype(float)
    y = y[y.any(axis=1)]
    x = rng.normal(size=(len(y), 1))
    plain, mixture = _Problem(y, x, None), _MixtureProblem(y, x, None)
    theta = rng.normal(scale=0.3, size=sum(plain.sizes))
    with_zero = np.append(theta, 0.0)
    assert mixture.negative_loglik(with_zero)[0] == pytest.approx(plain.negative_loglik(theta)[0], rel=1e-10)
    assert mixture.size(with_zero)[0] == pytest.approx(plain.size(theta)[0], rel=1e-10)


def test_logit_normal_model_sees_hidden_heterogeneity():
    # Heterogeneity no covariate explains biases the models without it low; the random-effect
    # model fits a spread, fits better and supports a larger total, and averaging it in
    # lowers the bias.
    rng = np.random.default_rng(11)
    total, errors, without_it = 1500, [], []
    for _ in range(3):
        lists, covariates = _covariate_lists(rng, total, 0.12, latent=0.7)
        accounts = sorted(set().union(*lists.values()))
        y = np.array([[a in s for s in lists.values()] for a in accounts], dtype=float)
        x = np.array([covariates["activity"][a] for a in accounts])[:, None]
        plain, mixture = fit_covariate_model(y, x), fit_covariate_model(y, x, "logit-normal")
        assert mixture.heterogeneity == "logit-normal" and mixture.params[-1] > 0.2
        assert mixture.aic < plain.aic and mixture.estimate > plain.estimate
        errors.append(covariate_size(lists, covariates, per_list_slopes=False).estimate / total - 1)
        without_it.append(covariate_size(lists, covariates, heterogeneity=("chao", "poisson2"), per_list_slopes=False).estimate / total - 1)
    assert np.mean(without_it) < -0.1
    assert abs(np.mean(errors)) < abs(np.mean(without_it)) - 0.05


def test_heterogeneity_at_its_boundary_widens_the_interval_not_the_estimate():
    # Exactly independent lists: Poisson2's coefficient fits at zero (the boundary), so its
    # fit is the model without it; its boundary variance counts the coefficient's uncertainty
    # (the Wald variance with it free: never below the model-without's, by the Schur
    # complement), and averaged in it widens the interval and leaves the estimate alone.
    expected = _expected_cells(1.0, [0.3, 0.4, 0.5])
    lists = _lists_from_cells({h: round(v * 2000) for h, v in expected.items() if any(h)})
    accounts = sorted(set().union(*lists.values()))
    y = np.array([[a in members for members in lists.values()] for a in accounts], dtype=float)
    x = np.zeros((len(y), 0))
    plain, at_zero = fit_covariate_model(y, x), fit_covariate_model(y, x, "poisson2")
    assert at_zero.heterogeneity is None and at_zero.estimate == pytest.approx(plain.estimate, rel=1e-6)
    assert plain.boundary_variance is None and at_zero.at_boundary == 1
    problem = _Problem(y, x, "poisson2")
    _, sampling, derivative = problem.size(at_zero.params)
    assert at_zero.boundary_variance == pytest.approx(sampling + derivative @ np.linalg.inv(problem.information(at_zero.params)) @ derivative, rel=1e-6)
    assert at_zero.boundary_variance > 1.05 * plain.variance
    wide = covariate_size(lists, {}, heterogeneity=("poisson2",))
    narrow = covariate_size(lists, {}, heterogeneity=("poisson2",), boundary_uncertainty=False)
    assert wide.estimate == pytest.approx(narrow.estimate, rel=1e-6) == pytest.approx(plain.estimate, rel=1e-6)
    assert wide.low < narrow.low < narrow.estimate < narrow.high < wide.high
    assert wide.models_tried == 2 and narrow.models_tried == 1


def test_a_fitted_heterogeneity_term_has_no_boundary_variance():
    per_history = {1: 60, 2: 12, 3: 6, 4: 4, 5: 3}
    cells = {h: per_history[sum(h)] for h in itertools.product((0, 1), repeat=5) if any(h)}
    y = np.array([h for h, n in cells.items() for _ in range(n)], dtype=float)
    fit = fit_covariate_model(y, np.zeros((len(y), 0)), "chao")
    assert fit.heterogeneity == "chao" and fit.boundary_variance is None and fit.at_boundary == 0
