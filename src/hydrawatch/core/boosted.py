"""What the calibrated LightGBM models (returnee ranker, account scorer) share: the booster
settings, fitting with out-of-fold isotonic calibration, and, when they load from their JSON
files, a bare Booster behind the two calls they make and the calibration rebuilt from its points.
Model files are JSON, compressed by their suffix (:func:`write_model_json`, :func:`read_model_json`)."""

from __future__ import annotations

import gzip
import json
import lzma
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold


class BoosterClassifier:
    """``predict_proba`` and ``predict`` (with SHAP contributions) on Boosters loaded from text:
    one, or a bag of them (:class:`BaggedBoosters`), whose log-odds are averaged."""

    def __init__(self, boosters: lgb.Booster | list[lgb.Booster]):
        self.boosters_ = boosters if isinstance(boosters, list) else [boosters]
        self.booster_ = self.boosters_[0]

    @classmethod
    def from_text(cls, model_str: str | list[str]) -> BoosterClassifier:
        texts = model_str if isinstance(model_str, list) else [model_str]
        return cls([lgb.Booster(model_str=text) for text in texts])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return _proba(self.boosters_, X)

    def predict(self, X: np.ndarray, pred_contrib: bool = False) -> np.ndarray:
        return _average(self.boosters_, X, True) if pred_contrib else _proba(self.boosters_, X)[:, 1]

    def model_strings(self) -> list[str]:
        return [booster.model_to_string() for booster in self.boosters_]


class BaggedBoosters(BoosterClassifier):
    """Boosters (``models``) that differ only in their random seed (other rows and columns in each
    tree's bag), fitted in threads (LightGBM trains without the GIL). Scores average the
    boosters' log-odds; SHAP contributions average likewise, so they still add up to the
    score exactly. Averaging seeds keeps a single seed's quirks (a split that happens to read
    a missing signal as evidence against) out of a pair's score."""

    def __init__(self, models: list[lgb.LGBMClassifier], threads: int = 2):
        self.models = models
        self.threads = threads

    def fit(self, X: np.ndarray, y: np.ndarray) -> BaggedBoosters:
        with ThreadPoolExecutor(max_workers=max(1, self.threads)) as pool:
            self.models = list(pool.map(lambda model: model.fit(X, y), self.models))
        BoosterClassifier.__init__(self, [model.booster_ for model in self.models])
        return self


def _proba(boosters: list[lgb.Booster], X: np.ndarray) -> np.ndarray:
    if len(boosters) == 1:
        p = boosters[0].predict(X)
    else:
        p = 1.0 / (1.0 + np.exp(-_average(boosters, X, False, raw_score=True)))
    return np.column_stack([1.0 - p, p])


def _average(boosters: list[lgb.Booster], X: np.ndarray, pred_contrib: bool, raw_score: bool = False) -> np.ndarray:
    if len(boosters) == 1:
        return boosters[0].predict(X, pred_contrib=pred_contrib, raw_score=raw_score)
    total = boosters[0].predict(X, pred_contrib=pred_contrib, raw_score=raw_score)
    for booster in boosters[1:]:
        total = total + booster.predict(X, pred_contrib=pred_contrib, raw_score=raw_score)
    return total / len(boosters)


def model_strings(model) -> list[str]:
    """The text of every booster of a fitted model (LightGBM's own classifier, a bag, or one
    loaded from text)."""
    if hasattr(model, "model_strings"):
        return model.model_strings()
    return [model.booster_.model_to_string()]


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


def write_model_json(path: Path, payload: dict) -> None:
    """``payload`` as JSON at ``path``: gzip for ``.gz``, xz for ``.xz`` (a shipped model's tree
    text shrinks to a third), plain otherwise. Compressed bytes are reproducible (no time stamp)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(payload).encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    elif path.suffix == ".xz":
        data = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
    path.write_bytes(data)


def read_model_json(path: Path) -> dict:
    """What :func:`write_model_json` wrote."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    elif path.suffix == ".xz":
        data = lzma.decompress(data)
    return json.loads(data)
