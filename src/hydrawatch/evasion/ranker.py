"""The calibrated returnee ranker: P(the later account is the ended account's return | evidence).

A gradient-boosted tree model (LightGBM) over the pair features, with monotone constraints
where more evidence must never lower the score (more shared followers, a more similar
handle), followed by isotonic calibration fitted on held-out pairs so that a score of 0.8 means
about 80 % of such pairs are returns. Each score is explained: LightGBM's exact tree SHAP
contributions say how much each signal pushed the log-odds, which the evidence lists in words.

scikit-learn conventions: ``__init__`` stores parameters, ``fit`` returns self, learned state
ends in ``_``, ``predict_proba`` gives calibrated probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from hydrawatch.core.boosted import (
    BaggedBoosters,
    BoosterClassifier,
    fit_calibrated,
    isotonic_from,
    model_strings,
    monotone_booster,
    read_model_json,
    write_model_json,
)

from .features import FEATURE_NAMES, FEATURES

MODEL_VERSION = "returnee-ranker-1"


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    log_odds: float  # how far this signal moved the (uncalibrated) log-odds


class ReturneeRanker:
    """Fit on labelled candidate pairs; predict calibrated probabilities with explanations.

    ``groups`` (for example the world or the parent account of each pair) keep calibration
    folds honest: the calibration map is fitted on out-of-fold scores of unseen groups.
    ``bags``: boosters with seeds ``random_state``, ``random_state + 1``, ... whose log-odds are
    averaged (:class:`~hydrawatch.core.boosted.BaggedBoosters`); 1 is a single booster.
    """

    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 31,
                 min_child_samples: int = 20, calibration_folds: int = 4, random_state: int = 0, bags: int = 1):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.bags = bags

    #: the features the model was fitted on, in its column order: every feature for a fitted
    #: model; a loaded one keeps its file's list, which may be a prefix-compatible subset of
    #: FEATURE_NAMES (a model saved before features were added), and scores those columns only.
    features_: tuple[str, ...] = FEATURE_NAMES
    _columns_: np.ndarray | None = None  # positions of features_ in FEATURE_NAMES (None: all, in order)

    def _model(self) -> lgb.LGBMClassifier | BaggedBoosters:
        params = {k: getattr(self, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "random_state")}
        monotone = [f.monotone for f in FEATURES]
        if self.bags <= 1:
            return monotone_booster(params, monotone)
        return BaggedBoosters([monotone_booster({**params, "random_state": self.random_state + bag}, monotone)
                               for bag in range(self.bags)])

    def _columns(self, X: np.ndarray) -> np.ndarray:
        """``X`` (columns in FEATURE_NAMES order) as the model's columns."""
        X = np.asarray(X, dtype=np.float32)
        return X if self._columns_ is None else X[:, self._columns_]

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> ReturneeRanker:
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int32)
        if X.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {X.shape[1]}")
        if y.min() == y.max():
            raise ValueError("training pairs need both returns (1) and non-returns (0)")
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        self.model_, self.calibrator_ = fit_calibrated(self._model, X, y, groups, self.calibration_folds)
        self.features_, self._columns_ = FEATURE_NAMES, None
        self.n_train_pairs_ = int(len(y))
        self.n_train_returns_ = int(y.sum())
        return self

    def raw_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self._columns(X))[:, 1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2) as in scikit-learn."""
        # The isotonic map is piecewise linear between its thresholds and clipped outside
        # them: np.interp computes exactly that, without IsotonicRegression.predict's input
        # validation (half a millisecond a call, as much as the trees for an online query).
        calibrated = self.calibrate(self.raw_proba(X))
        return np.column_stack([1.0 - calibrated, calibrated])

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Raw scores (:meth:`raw_proba`) to calibrated probabilities."""
        calibrator = self.calibrator_
        return np.interp(raw, calibrator.X_thresholds_, calibrator.y_thresholds_)

    def contributions(self, X: np.ndarray) -> list[list[Contribution]]:
        """Per pair, every feature's contribution to the log-odds, largest first."""
        X = self._columns(X)
        shap = self.model_.predict(X, pred_contrib=True)
        explained = []
        for row, values in zip(shap, X):
            parts = [Contribution(name, float(v), float(c)) for name, v, c in zip(self.features_, values, row[:-1]) if c]
            explained.append(sorted(parts, key=lambda part: -abs(part.log_odds)))
        return explained

    # --- persistence --------------------------------------------------------------------

    def save(self, path: Path, description: dict | None = None) -> None:
        """Write the model as JSON: LightGBM's text model, the calibration map, and a
        description of the training data. No pickle: safe to load from anywhere. Compressed
        by the path's suffix (the shipped model is ``.json.xz``: five boosters, 1.8 MB not 5.4)."""
        payload = {
            "version": MODEL_VERSION,
            "features": list(self.features_),
            "params": {k: getattr(self, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "calibration_folds", "random_state", "bags")},
            **_booster_texts(model_strings(self.model_)),
            "calibration": {"x": self.calibrator_.X_thresholds_.tolist(), "y": self.calibrator_.y_thresholds_.tolist()},
            "trained_on": description or {},
            "n_train_pairs": self.n_train_pairs_,
            "n_train_returns": self.n_train_returns_,
        }
        write_model_json(path, payload)

    @classmethod
    def load(cls, path: Path) -> ReturneeRanker:
        payload = read_model_json(path)
        features = payload.get("features") or []
        if not features or any(name not in FEATURE_NAMES for name in features) or len(set(features)) != len(features):
            raise ValueError(
                f"{path} was trained on other features ({payload.get('version')}); retrain it: hydrawatch train returnees"
            )
        ranker = cls(**payload["params"])
        ranker.features_ = tuple(features)
        columns = np.array([FEATURE_NAMES.index(name) for name in features], dtype=np.int64)
        ranker._columns_ = None if ranker.features_ == FEATURE_NAMES else columns
        ranker.model_ = BoosterClassifier.from_text(payload.get("boosters") or payload["booster"])
        ranker.calibrator_ = isotonic_from(payload["calibration"])
        ranker.n_train_pairs_ = payload["n_train_pairs"]
        ranker.n_train_returns_ = payload["n_train_returns"]
        ranker.trained_on_ = payload.get("trained_on", {})
        return ranker


def _booster_texts(texts: list[str]) -> dict[str, str | list[str]]:
    """One booster under "booster" (the layout of every model saved before bags), several under "boosters"."""
    return {"booster": texts[0]} if len(texts) == 1 else {"boosters": texts}
