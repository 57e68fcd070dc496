"""The calibrated network-account scorer: P(this active account belongs to the network | how it
stands to the seeds, what it writes, how it behaves).

Three learned parts, saved together in one JSON file (no pickle):

* the **own-text model** (:class:`~hydrawatch.accounts.text.TextModel` on an account's name,
  bio and original posts), which also weighs the seeds;
* the **tone model** (on what an account writes when replying to or quoting seeds);
* a **gradient-boosted tree model** (LightGBM) over the features of
  :mod:`hydrawatch.accounts.features`, with monotone constraints where more evidence must never
  lower the score (more reposts of seeds, a more network-like text), followed by **isotonic
  calibration** fitted on out-of-fold scores of unseen worlds, so that 0.8 means about 80 % of
  such accounts are network accounts (in worlds like the training ones).

Each score is explained: LightGBM's exact tree-SHAP contributions say how far each signal moved
the log-odds; :mod:`.evidence` puts them in words.

The text models' scores enter the tree model as features, so in training they must be
*cross-fitted* (each world's text scores come from text models that never saw that world); see
:mod:`hydrawatch.accounts.training`. ``fit`` here takes the finished feature matrix.

scikit-learn conventions: ``__init__`` stores parameters, ``fit`` returns self, learned state
ends in ``_``, ``predict_proba`` gives calibrated probabilities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from hydrawatch.core.boosted import BoosterClassifier, fit_calibrated, isotonic_from, monotone_booster

from .features import FEATURE_NAMES, FEATURES
from .text import TextModel

MODEL_VERSION = "account-scorer-1"
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    log_odds: float  # how far this signal moved the (uncalibrated) log-odds


class AccountScorer:
    """Fit on labelled accounts of simulated (or reviewed) worlds; predict calibrated
    probabilities with explanations.

    ``own_text`` and ``tone_text`` are fitted :class:`TextModel` s (the scorer needs them to
    compute features on new data). ``groups`` in :meth:`fit` (the world of each account) keep
    calibration honest: the calibration map is fitted on out-of-fold scores of unseen worlds.
    ``threshold`` is the default decision threshold on the calibrated probability.
    """

    def __init__(self, own_text: TextModel | None = None, tone_text: TextModel | None = None, n_estimators: int = 300,
                 learning_rate: float = 0.05, num_leaves: int = 15, min_child_samples: int = 40,
                 calibration_folds: int = 4, threshold: float = DEFAULT_THRESHOLD, random_state: int = 0):
        self.own_text = own_text
        self.tone_text = tone_text
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.random_state = random_state

    def _model(self) -> lgb.LGBMClassifier:
        params = {k: getattr(self, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "random_state")}
        return monotone_booster(params, [f.monotone for f in FEATURES])

    def fit(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> AccountScorer:
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int32)
        if X.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {X.shape[1]}")
        if y.min() == y.max():
            raise ValueError("training accounts need both network (1) and other (0) accounts")
        groups = np.arange(len(y)) % max(self.calibration_folds, 2) if groups is None else np.asarray(groups)
        self.model_, self.calibrator_ = fit_calibrated(self._model, X, y, groups, self.calibration_folds,
                                                       in_sample_if_one_group=True)
        self.n_train_accounts_ = int(len(y))
        self.n_train_network_ = int(y.sum())
        self.trained_on_ = {}
        return self

    def raw_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2) as in scikit-learn."""
        if len(X) == 0:
            return np.zeros((0, 2))
        calibrated = self.calibrator_.predict(self.raw_proba(X))
        return np.column_stack([1.0 - calibrated, calibrated])

    def contributions(self, X: np.ndarray) -> list[list[Contribution]]:
        """Per account, every feature's contribution to the log-odds, largest first."""
        X = np.asarray(X, dtype=np.float32)
        if len(X) == 0:
            return []
        shap = self.model_.predict(X, pred_contrib=True)
        explained = []
        for row, values in zip(shap, X):
            parts = [Contribution(name, float(v), float(c)) for name, v, c in zip(FEATURE_NAMES, values, row[:-1]) if c]
            explained.append(sorted(parts, key=lambda part: -abs(part.log_odds)))
        return explained

    # --- persistence --------------------------------------------------------------------

    _PARAMS = ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "calibration_folds", "threshold", "random_state")

    def save(self, path: Path, description: dict | None = None) -> None:
        """Write the scorer as JSON: the text models (float16 arrays, base64), LightGBM's text
        model, the calibration map, and a description of the training data."""
        if self.own_text is None or self.tone_text is None:
            raise ValueError("the scorer has no text models to save; pass own_text= and tone_text= fitted TextModels")
        payload = {
            "version": MODEL_VERSION,
            "features": list(FEATURE_NAMES),
            "params": {k: getattr(self, k) for k in self._PARAMS},
            "own_text": self.own_text.to_dict(),
            "tone_text": self.tone_text.to_dict(),
            "booster": self.model_.booster_.model_to_string(num_iteration=-1),
            "calibration": {"x": self.calibrator_.X_thresholds_.tolist(), "y": self.calibrator_.y_thresholds_.tolist()},
            "trained_on": description if description is not None else self.trained_on_,
            "n_train_accounts": self.n_train_accounts_,
            "n_train_network": self.n_train_network_,
        }
        Path(path).write_text(json.dumps(payload, separators=(",", ":")))

    @classmethod
    def load(cls, path: Path) -> AccountScorer:
        payload = json.loads(Path(path).read_text())
        if payload.get("features") != list(FEATURE_NAMES):
            raise ValueError(
                f"{path} was trained on other features ({payload.get('version')}); retrain it: hydrawatch train accounts"
            )
        scorer = cls(own_text=TextModel.from_dict(payload["own_text"]), tone_text=TextModel.from_dict(payload["tone_text"]),
                     **payload["params"])
        scorer.model_ = BoosterClassifier.from_text(payload["booster"])
        scorer.calibrator_ = isotonic_from(payload["calibration"])
        scorer.n_train_accounts_ = payload["n_train_accounts"]
        scorer.n_train_network_ = payload["n_train_network"]
        scorer.trained_on_ = payload.get("trained_on", {})
        return scorer
