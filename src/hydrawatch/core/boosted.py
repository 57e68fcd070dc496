"""What the calibrated LightGBM models (returnee ranker, account scorer) share: the booster
settings, fitting with out-of-fold isotonic calibration, and, when they load from their JSON
files, a bare Booster behind the two calls they make and the calibration rebuilt from its points."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold


class BoosterClassifier:
    """``predict_proba`` and ``predict`` (with SHAP contributions) on a Booster loaded from text."""

    def __init__(self, booster: lgb.Booster):
        self.booster_ = booster

    @classmethod
    def from_text(cls, model_str: str) -> BoosterClassifier:
        return cls(lgb.Booster(model_str=model_str))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = self.booster_.predict(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray, pred_contrib: bool = False) -> np.ndarray:
        return self.booster_.predict(X, pred_contrib=pred_contrib)


def isotonic_from(calibration: dict) -> IsotonicRegression:
    """The calibrator saved as ``{"x": [...], "y": [...]}`` (its thresholds), fitted again."""
    return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(calibration["x"], calibration["y"])


def monotone_booster(params: dict, monotone: list[int]) -> lgb.LGBMClassifier:
    """The gradient-boosted trees both models use: bagged rows and columns, monotone where a
    signal can only push one way, one thread (deterministic; no OpenMP spinning on a busy
    machine). ``params``: n_estimators, learning_rate, num_leaves, min_child_samples, random_state."""
    return lgb.LGBMClassifier(**params, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                              monotone_constraints=monotone, n_jobs=1, verbose=-1)


def fit_calibrated(make_model, X: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int,
                   in_sample_if_one_group: bool = False):
    """Fit ``make_model()`` on everything and an isotonic calibrator on out-of-fold scores
    (GroupKFold, so a group never scores itself). With fewer than two groups the calibrator
    sees in-sample scores when ``in_sample_if_one_group``; otherwise GroupKFold refuses."""
    out_of_fold = np.zeros(len(y), dtype=np.float64)
    folds = min(folds, len(np.unique(groups)))
    in_sample = in_sample_if_one_group and folds < 2
    if not in_sample:
        for train, held in GroupKFold(n_splits=folds).split(X, y, groups):
            out_of_fold[held] = make_model().fit(X[train], y[train]).predict_proba(X[held])[:, 1]
    model = make_model().fit(X, y)
    if in_sample:
        out_of_fold = model.predict_proba(X)[:, 1]
    return model, IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(out_of_fold, y)
