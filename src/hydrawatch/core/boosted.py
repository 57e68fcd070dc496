"""What the calibrated LightGBM models (returnee ranker, account scorer) share when they load
from their JSON files: a bare Booster behind the two calls they make, and the isotonic
calibration rebuilt from its stored points."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression


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
