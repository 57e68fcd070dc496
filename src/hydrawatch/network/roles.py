"""The role of each network account, with a calibrated probability and the evidence for it.

Roles: ``media`` (an outlet publishing numbered releases), ``scripture`` (quotes and
reflections), ``provincial`` (local news of a region), ``amplifier`` (reposts everything,
within minutes of a release), ``shoutout`` (promotes new and returning accounts),
``recruiter`` (answers outsiders' questions), ``fighter`` (live reports from the field), and
``other`` (an account in the network set that does none of these, or a false member).

**Model.** Two stages, both trained on simulated worlds (never the ones it is measured on):

1. a vocabulary model: TF-IDF over the words of the account's own posts and bio (sublinear
   term frequency, ``max_words`` most frequent words seen in at least ``min_df`` accounts),
   then multinomial logistic regression; its class probabilities become 8 features;
2. a gradient-boosted tree model (LightGBM, multiclass, balanced class weights) over the
   behaviour features of :mod:`hydrawatch.network.role_features` plus those 8.

The vocabulary features of the training accounts are *out of fold* (each training world is
scored by a vocabulary model fitted on the other worlds) so that the trees learn how much to
trust words on accounts they were not fitted on. Calibration: temperature scaling (one
parameter, fitted on out-of-fold scores of whole held-out worlds), which keeps the ranking of
roles and makes "confidence 0.8" right about 80 % of the time.

**Evidence.** LightGBM's exact tree SHAP contributions to the predicted role's score say which
features pushed the account toward it; the strongest are written as the sentences of
:data:`hydrawatch.network.role_features.FEATURES`, the vocabulary ones with the account's
most telling words.

scikit-learn conventions: ``__init__`` stores parameters, ``fit`` returns self, learned state
ends in ``_``, ``predict_proba`` gives calibrated probabilities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from hydrawatch.core.boosted import read_model_json, write_model_json

from .role_features import FEATURE_NAMES, RoleFeatures

log = logging.getLogger(__name__)

MODEL_VERSION = "role-model-1"
ROLES: tuple[str, ...] = ("media", "scripture", "provincial", "amplifier", "shoutout", "recruiter", "fighter", "other")
NETWORK_ROLES: tuple[str, ...] = ROLES[:-1]
TEXT_FEATURES: tuple[str, ...] = tuple(f"words_{role}" for role in ROLES)
ALL_FEATURES: tuple[str, ...] = (*FEATURE_NAMES, *TEXT_FEATURES)
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def default_model_path() -> Path:
    return Path(__file__).parent / "models" / "role-model.json.gz"


class VocabularyModel:
    """TF-IDF + multinomial logistic regression over account documents."""

    def __init__(self, max_words: int = 4000, min_df: int = 3, C: float = 4.0):
        self.max_words = max_words
        self.min_df = min_df
        self.C = C

    def fit(self, documents: list[str], y: np.ndarray) -> VocabularyModel:
        counter = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, min_df=min(self.min_df, max(len(documents) - 1, 1)),
                                  max_features=self.max_words)
        counts = counter.fit_transform(documents)
        self.vocabulary_ = {word: int(i) for word, i in counter.vocabulary_.items()}
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        self.idf_ = np.log((1 + len(documents)) / (1 + df)) + 1.0
        model = LogisticRegression(C=self.C, max_iter=2000)
        model.fit(self._weigh(counts), y)
        coef = np.zeros((len(ROLES), counts.shape[1]))
        intercept = np.full(len(ROLES), -30.0)  # roles absent from training are never predicted
        for row, label in enumerate(model.classes_):
            if len(model.classes_) == 2:  # binary: sklearn keeps one row; softmax of (-z/2, z/2)
                sign = 1.0 if row == 1 else -1.0
                coef[label] = sign * model.coef_[0] / 2
                intercept[label] = sign * model.intercept_[0] / 2
            else:
                coef[label] = model.coef_[row]
                intercept[label] = model.intercept_[row]
        self.coef_, self.intercept_ = coef, intercept
        return self

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = counts.astype(np.float64).tocsr()
        weighted.data = 1.0 + np.log(weighted.data)
        weighted = weighted.multiply(self.idf_[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ weighted

    def transform(self, documents: list[str]) -> sp.csr_matrix:
        counter = CountVectorizer(token_pattern=TOKEN_PATTERN, lowercase=True, vocabulary=self.vocabulary_)
        return self._weigh(counter.transform(documents))

    def predict_proba(self, documents: list[str]) -> np.ndarray:
        scores = self.transform(documents) @ self.coef_.T + self.intercept_
        scores = np.asarray(scores)
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def telling_words(self, document: str, role: int, top: int = 4) -> list[str]:
        """The words of ``document`` that raise ``role`` most."""
        row = self.transform([document])
        words = {i: w for w, i in self.vocabulary_.items()}
        weights = row.multiply(self.coef_[role][None, :]).tocsr()
        order = np.argsort(-weights.data)[:top]
        return [words[weights.indices[i]] for i in order if weights.data[i] > 0]

    def to_json(self) -> dict:
        return {"max_words": self.max_words, "min_df": self.min_df, "C": self.C,
                "vocabulary": sorted(self.vocabulary_, key=self.vocabulary_.get),
                "idf": self.idf_.round(6).tolist(), "coef": self.coef_.round(5).tolist(), "intercept": self.intercept_.round(5).tolist()}

    @classmethod
    def from_json(cls, payload: dict) -> VocabularyModel:
        model = cls(payload["max_words"], payload["min_df"], payload["C"])
        model.vocabulary_ = {w: i for i, w in enumerate(payload["vocabulary"])}
        model.idf_ = np.asarray(payload["idf"])
        model.coef_ = np.asarray(payload["coef"])
        model.intercept_ = np.asarray(payload["intercept"])
        return model


@dataclass(frozen=True, slots=True)
class RoleEvidence:
    feature: str
    description: str
    contribution: float  # how far it moved the role's (uncalibrated) log-odds


@dataclass(frozen=True, slots=True)
class RoleVerdict:
    account_id: str
    role: str
    confidence: float
    probabilities: dict[str, float]
    evidence: tuple[RoleEvidence, ...]


class RoleModel:
    """Predict the role of each account from :class:`RoleFeatures`; see the module docstring."""

    def __init__(self, n_estimators: int = 200, learning_rate: float = 0.05, num_leaves: int = 15,
                 min_child_samples: int = 10, folds: int = 4, random_state: int = 0,
                 max_words: int = 4000, min_df: int = 3, C: float = 4.0):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.folds = folds
        self.random_state = random_state
        self.max_words = max_words
        self.min_df = min_df
        self.C = C

    def _trees(self) -> lgb.LGBMClassifier:
        return lgb.LGBMClassifier(
            objective="multiclass", n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            num_leaves=self.num_leaves, min_child_samples=self.min_child_samples, subsample=0.8, subsample_freq=1,
            colsample_bytree=0.8, class_weight="balanced", random_state=self.random_state, n_jobs=1, verbose=-1,
        )

    def _vocabulary(self) -> VocabularyModel:
        return VocabularyModel(self.max_words, self.min_df, self.C)

    @staticmethod
    def labels(roles: list[str]) -> np.ndarray:
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are {', '.join(ROLES)}")
        return np.array([ROLES.index(r) for r in roles], dtype=np.int32)

    def fit(self, features: RoleFeatures, roles: list[str], groups: np.ndarray) -> RoleModel:
        """``roles[i]`` is the true role of ``features.account_ids[i]``; ``groups[i]`` its
        world (folds keep a world together)."""
        y = self.labels(roles)
        groups = np.asarray(groups)
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            raise ValueError("training needs accounts from at least two worlds (groups) for out-of-fold calibration")
        folds = min(self.folds, n_groups)
        splitter = GroupKFold(n_splits=folds)
        text = np.zeros((len(y), len(ROLES)))
        for train, held in splitter.split(features.X, y, groups):
            model = self._vocabulary().fit([features.documents[i] for i in train], y[train])
            text[held] = model.predict_proba([features.documents[i] for i in held])
        X = np.hstack([features.X, text]).astype(np.float32)
        out_of_fold = np.zeros((len(y), len(ROLES)))
        for train, held in splitter.split(X, y, groups):
            trees = self._trees().fit(X[train], y[train])
            out_of_fold[held] = _full_proba(trees, X[held])
        self.temperature_ = _fit_temperature(out_of_fold, y)
        self.vocabulary_model_ = self._vocabulary().fit(features.documents, y)
        trees = self._trees().fit(X, y)
        self.booster_ = trees.booster_
        self.classes_ = [int(k) for k in trees.classes_]
        self.n_train_ = int(len(y))
        self.train_counts_ = {ROLES[k]: int((y == k).sum()) for k in range(len(ROLES))}
        self.oof_macro_f1_ = float(_macro_f1(y, out_of_fold.argmax(axis=1)))
        return self

    def _matrix(self, features: RoleFeatures) -> np.ndarray:
        text = self.vocabulary_model_.predict_proba(features.documents) if len(features.documents) else np.zeros((0, len(ROLES)))
        return np.hstack([features.X, text]).astype(np.float32)

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated scores over every role (roles never seen in training: -30)."""
        raw = np.asarray(self.booster_.predict(X, raw_score=True)).reshape(len(X), len(self.classes_))
        full = np.full((len(X), len(ROLES)), -30.0)
        full[:, self.classes_] = raw
        return full

    def predict_proba(self, features: RoleFeatures) -> np.ndarray:
        """Calibrated probabilities, shape (accounts, len(ROLES))."""
        X = self._matrix(features)
        if not len(X):
            return np.zeros((0, len(ROLES)))
        return _softmax(self.raw_scores(X) / self.temperature_)

    def predict(self, features: RoleFeatures, evidence: int = 4) -> list[RoleVerdict]:
        X = self._matrix(features)
        if not len(X):
            return []
        probabilities = _softmax(self.raw_scores(X) / self.temperature_)
        contributions = np.asarray(self.booster_.predict(X, pred_contrib=True)).reshape(len(X), len(self.classes_), len(ALL_FEATURES) + 1)
        verdicts = []
        for row in range(len(X)):
            best = int(probabilities[row].argmax())
            parts = contributions[row, self.classes_.index(best), :-1] if best in self.classes_ else np.zeros(len(ALL_FEATURES))
            # Another role's vocabulary score only says "not that role": not evidence to show.
            shown = [i for i in np.argsort(-parts) if parts[i] > 0 and ALL_FEATURES[i] not in TEXT_FEATURES or ALL_FEATURES[i] == TEXT_FEATURES[best]]
            order = [i for i in shown if parts[i] > 0][:evidence]
            items = tuple(RoleEvidence(ALL_FEATURES[i], self._describe(features, row, i, best), round(float(parts[i]), 3)) for i in order)
            verdicts.append(RoleVerdict(features.account_ids[row], ROLES[best], float(probabilities[row, best]),
                                        {r: round(float(p), 4) for r, p in zip(ROLES, probabilities[row])}, items))
        return verdicts

    def _describe(self, features: RoleFeatures, row: int, feature: int, role: int) -> str:
        name = ALL_FEATURES[feature]
        if name in TEXT_FEATURES:
            about = ROLES[TEXT_FEATURES.index(name)]
            words = self.vocabulary_model_.telling_words(features.documents[row], ROLES.index(about))
            quoted = ", ".join(f"'{w}'" for w in words) if words else "its words"
            return f"vocabulary typical of {about} accounts ({quoted}; p = {features_text_value(self, features, row, role):.2f})"
        return features.describe(row, name)

    # --- persistence --------------------------------------------------------------------

    def save(self, path: Path, description: dict | None = None) -> None:
        """JSON: LightGBM's text model, the vocabulary model, the temperature. No pickle."""
        payload = {
            "version": MODEL_VERSION,
            "roles": list(ROLES),
            "features": list(ALL_FEATURES),
            "params": {k: getattr(self, k) for k in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples", "folds",
                                                     "random_state", "max_words", "min_df", "C")},
            "booster": self.booster_.model_to_string(),
            "classes": self.classes_,
            "vocabulary_model": self.vocabulary_model_.to_json(),
            "temperature": self.temperature_,
            "trained_on": description or {},
            "n_train": self.n_train_,
            "train_counts": self.train_counts_,
            "oof_macro_f1": self.oof_macro_f1_,
        }
        # the shipped model is gzipped: ~1 MB instead of ~3 MB of tree text in the repository
        write_model_json(Path(path), payload)

    @classmethod
    def load(cls, path: Path | None = None) -> RoleModel:
        path = Path(path) if path else default_model_path()
        if not path.exists():
            raise FileNotFoundError(f"no role model at {path}; train one: hydrawatch train roles")
        payload = read_model_json(path)
        if payload.get("features") != list(ALL_FEATURES) or payload.get("roles") != list(ROLES):
            raise ValueError(f"{path} was trained on other features or roles ({payload.get('version')}); retrain it: hydrawatch train roles")
        model = cls(**payload["params"])
        model.booster_ = lgb.Booster(model_str=payload["booster"])
        model.classes_ = [int(k) for k in payload["classes"]]
        model.vocabulary_model_ = VocabularyModel.from_json(payload["vocabulary_model"])
        model.temperature_ = float(payload["temperature"])
        model.n_train_ = payload["n_train"]
        model.train_counts_ = payload["train_counts"]
        model.oof_macro_f1_ = payload.get("oof_macro_f1")
        model.trained_on_ = payload.get("trained_on", {})
        return model


def features_text_value(model: RoleModel, features: RoleFeatures, row: int, role: int) -> float:
    """The vocabulary model's probability of ``role`` for one account."""
    return float(model.vocabulary_model_.predict_proba([features.documents[row]])[0, role])


def _full_proba(trees: lgb.LGBMClassifier, X: np.ndarray) -> np.ndarray:
    """Probabilities over every role, also when a fold's training data lacked some."""
    proba = trees.predict_proba(X)
    full = np.full((len(X), len(ROLES)), 1e-6)
    full[:, trees.classes_] = proba
    return full / full.sum(axis=1, keepdims=True)


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def _fit_temperature(probabilities: np.ndarray, y: np.ndarray) -> float:
    logits = np.log(np.clip(probabilities, 1e-9, 1.0))

    def loss(t: float) -> float:
        p = _softmax(logits / t)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))))

    return float(minimize_scalar(loss, bounds=(0.2, 10.0), method="bounded").x)


def _macro_f1(y: np.ndarray, predicted: np.ndarray, labels: tuple[int, ...] | None = None) -> float:
    from sklearn.metrics import f1_score

    labels = labels if labels is not None else tuple(range(len(NETWORK_ROLES)))
    return f1_score(y, predicted, labels=list(labels), average="macro", zero_division=0)
