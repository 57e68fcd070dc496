"""The content classifier: how likely a post is propaganda or support for a jihadist group.

A linear model over hashed character and word n-grams (:mod:`.content_features`) of the post's
cleaned text (mentions, links, digits, punctuation and emoji removed; Arabic folded), trained on
posts of pro-IS accounts against Arabic offensive/hate speech, Levantine political tweets and
English troll-farm tweets (:mod:`.content_data`). Arabic, English and mixed posts share one
model: character n-grams need no tokeniser and no language detection.

Scores
------
``predict_proba`` gives calibrated probabilities: the linear model's log-odds are mapped through
a sigmoid fitted (Platt scaling) on out-of-fold log-odds of held-out *accounts*, so 0.8 means
about 80 % of such posts in the training mix came from support accounts. The training mix has
about one positive in seven; on a real platform positives are far rarer, so a probability is a
ranking and a reason to look, not the chance that this post is propaganda there.

:meth:`ContentClassifier.score` adds what a moderator needs: the verdict at the model's
threshold, the model version and threshold (provenance), and the words and n-grams that pushed
the score up or down. Hashed features cannot be turned back into text, so the evidence re-reads
the post: it lists the post's own n-grams, each with its weight in the model.

Bad input never raises: an empty post, one of only emoji, links or digits is *skipped* with the
reason; a 100 KB post is cut (:class:`FeatureConfig.max_chars`) and the evidence says so.

Persistence: two files, ``NAME.npz`` (the weights as float32 arrays, compressed, loaded with
``allow_pickle=False``) and ``NAME.json`` (version, feature configuration, calibration,
threshold, a description of the training data with file digests and counts). Neither holds any
training text: hashing has no vocabulary.

scikit-learn conventions: ``__init__`` stores parameters, ``fit`` returns self, learned state
ends in ``_``, ``predict_proba`` returns an (n, 2) array.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedGroupKFold

from hydrawatch.core.errors import ConfigError, HydrawatchError
from hydrawatch.core.model import Evidence
from hydrawatch.core.text import script_counts

from .content_features import CLEANING_VERSION, CleanPost, FeatureConfig, NgramHasher, clean_post, weigh_reference

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_THRESHOLD",
    "THRESHOLD_GRID",
    "MODEL_VERSION",
    "SIGNAL",
    "ContentClassifier",
    "best_threshold",
    "ContentScore",
    "FeatureConfig",
    "default_model_path",
    "load_default_classifier",
]

#: Registry name of the signal (stored with scores; never rename).
SIGNAL = "content_ngram"
#: Version of the model *format and method*; a trained model's version adds a digest of its
#: weights, so two trainings never share a version string.
MODEL_VERSION = "content-ngram-1"
#: The threshold of a model saved before thresholds were chosen in training.
DEFAULT_THRESHOLD = 0.5
#: Candidate thresholds for :meth:`ContentClassifier.fit` to choose from.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
#: Posts are vectorised in batches of this many: big enough to amortise numpy calls, small
#: enough to stay in cache.
BATCH = 2048


class ModelFileError(HydrawatchError):
    """A saved content model is missing, damaged or of another version."""


@dataclass(frozen=True, slots=True)
class ContentScore:
    """One post's verdict. ``probability`` is None when the post was skipped (``skipped`` says
    why); ``evidence`` lists what drove the score, strongest first."""

    probability: float | None
    flagged: bool
    threshold: float
    model_version: str
    skipped: str | None = None
    truncated: bool = False
    evidence: tuple[Evidence, ...] = ()
    signal: str = SIGNAL

    def as_dict(self) -> dict:
        return {
            "signal": self.signal,
            "model_version": self.model_version,
            "threshold": self.threshold,
            "probability": None if self.probability is None else round(self.probability, 4),
            "flagged": self.flagged,
            "skipped": self.skipped,
            "truncated": self.truncated,
            "evidence": [
                {"description": e.description, "value": e.value, "contribution": e.contribution} for e in self.evidence
            ],
        }


class ContentClassifier:
    """Hashed n-gram linear classifier with Platt-calibrated probabilities.

    Parameters
    ----------
    features:
        How posts become vectors (:class:`FeatureConfig`).
    alpha:
        L2 regularisation of the SGD logistic regression. 1e-6..1e-5 suits ~100k posts; larger
        values give smoother, less confident models.
    epochs:
        Passes of SGD over the training posts.
    class_weight:
        ``"balanced"`` weighs positives up to the negatives' total, which the training mix
        (about 1:6) needs for the positive class to matter; ``None`` fits the mix as it is.
    calibration_folds:
        Folds (by group) for the out-of-fold log-odds the calibration is fitted on.
    threshold:
        Calibrated probability from which a post is flagged. ``None`` (the default) lets
        :meth:`fit` choose it: the value of :data:`THRESHOLD_GRID` with the highest macro-F1 on
        the calibration folds' out-of-fold probabilities, that is on accounts the fold's model
        did not see. It is learned from training data only (``threshold_``), never from the data
        a model is evaluated on. Label noise makes this matter: many posts of support accounts are
        ordinary, so the calibrated probability of a typical support post is well below 0.5 and
        0.5 trades recall away for little precision.
    """

    def __init__(self, features: FeatureConfig = FeatureConfig(), alpha: float = 2e-6, epochs: int = 15,
                 class_weight: str | None = "balanced", calibration_folds: int = 3,
                 threshold: float | None = None, random_state: int = 0):
        self.features = features
        self.alpha = alpha
        self.epochs = epochs
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.random_state = random_state

    @property
    def decision_threshold(self) -> float:
        """The threshold in force: ``threshold`` when set, else the one :meth:`fit` chose."""
        if self.threshold is not None:
            return float(self.threshold)
        chosen = getattr(self, "threshold_", None)
        if chosen is None:
            raise ConfigError("this classifier has no threshold yet: fit it, load a trained one, or pass threshold=")
        return chosen

    # --- vectors -------------------------------------------------------------------------------

    @property
    def hasher(self) -> NgramHasher:
        hasher = getattr(self, "_hasher", None)
        if hasher is None or hasher.config != self.features:
            hasher = self._hasher = NgramHasher(self.features)
        return hasher

    def clean(self, texts: Iterable[str | None]) -> list[CleanPost]:
        return [clean_post(text, self.features.max_chars) for text in texts]

    def vectorize(self, clean_texts: Sequence[str]) -> sp.csr_matrix:
        """Unit-length hashed n-gram vectors of already cleaned posts."""
        hasher = self.hasher
        parts = [hasher.transform(clean_texts[i : i + BATCH]) for i in range(0, len(clean_texts), BATCH)]
        if not parts:
            return sp.csr_matrix((0, self.features.n_features), dtype=np.float32)
        return parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")

    # --- training ---------------------------------------------------------------------------------

    def _linear(self) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss",
            alpha=self.alpha,
            max_iter=self.epochs,
            tol=None,  # a fixed number of passes: deterministic and quick
            class_weight=self.class_weight,
            average=True,  # averaged SGD: stable weights without a learning-rate search
            random_state=self.random_state,
        )

    def fit(self, texts: Sequence[str], y: Sequence[int], groups: Sequence[str] | None = None) -> ContentClassifier:
        """Fit on raw posts. ``groups`` (the account of each post) keep the calibration honest:
        it is fitted on log-odds of accounts the model did not see."""
        clean_texts = [c.text for c in self.clean(texts)]
        return self.fit_vectors(self.vectorize(clean_texts), y, groups)

    def fit_vectors(self, X: sp.csr_matrix, y: Sequence[int], groups: Sequence[str] | None = None) -> ContentClassifier:
        """Fit on vectors from :meth:`vectorize`. Rows with no features (skipped posts) are
        left out: the model never scores them."""
        y = np.asarray(y, dtype=np.int8)
        if X.shape != (len(y), self.features.n_features):
            raise ConfigError(f"expected {len(y)} rows of {self.features.n_features} features, got {X.shape}")
        usable = np.diff(X.indptr) > 0
        X, y = X[usable], y[usable]
        groups_array = np.asarray(groups)[usable] if groups is not None else np.arange(len(y))
        if len(y) == 0 or y.min() == y.max():
            raise ConfigError("training posts need both classes: propaganda (1) and other posts (0)")
        out_of_fold = np.zeros(len(y), dtype=np.float64)
        folds = min(self.calibration_folds, len(np.unique(groups_array[y == 1])), len(np.unique(groups_array[y == 0])))
        if folds < 2:
            raise ConfigError("calibration needs posts of at least two accounts per class; pass groups or more data")
        for train, held in StratifiedGroupKFold(n_splits=folds).split(X, y, groups_array):
            out_of_fold[held] = self._linear().fit(X[train], y[train]).decision_function(X[held])
        platt = LogisticRegression(C=1e4).fit(out_of_fold.reshape(-1, 1), y)
        self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        self.threshold_ = best_threshold(y, self._calibrate(out_of_fold))
        linear = self._linear().fit(X, y)
        self.coef_ = linear.coef_.ravel().astype(np.float32)
        self.intercept_ = float(linear.intercept_[0])
        self.n_train_posts_ = int(len(y))
        self.n_train_positive_ = int(y.sum())
        self.trained_on_: dict = {}
        self._set_version()
        return self

    def _set_version(self) -> None:
        digest = hashlib.sha256(self.coef_.tobytes() + np.float64(self.intercept_).tobytes()).hexdigest()
        self.version_ = f"{MODEL_VERSION}+{digest[:10]}"

    # --- scoring -----------------------------------------------------------------------------------

    def decision_function_vectors(self, X: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated log-odds (the linear model's)."""
        return np.asarray(X @ self.coef_, dtype=np.float64) + self.intercept_

    def _calibrate(self, log_odds: np.ndarray) -> np.ndarray:
        a, b = self.calibration_
        return expit(a * log_odds + b)

    def predict_proba_vectors(self, X: sp.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, (n, 2). Rows without features get NaN (skipped posts)."""
        p = self._calibrate(self.decision_function_vectors(X))
        p[np.diff(X.indptr) == 0] = np.nan
        return np.column_stack([1.0 - p, p])

    def predict_proba(self, texts: Sequence[str | None]) -> np.ndarray:
        """Calibrated probabilities of raw posts, shape (n, 2). A post with nothing to classify
        gets NaN in both columns; :meth:`score` says why."""
        return self.predict_proba_vectors(self.vectorize([c.text for c in self.clean(texts)]))

    def predict(self, texts: Sequence[str | None]) -> np.ndarray:
        """1 for posts flagged at the threshold, 0 otherwise (skipped posts included)."""
        p = self.predict_proba(texts)[:, 1]
        return np.where(np.isnan(p), 0, p >= self.decision_threshold).astype(np.int8)

    def score(self, texts: Sequence[str | None], explain: bool | str = "flagged", evidence_terms: int = 3) -> list[ContentScore]:
        """Verdicts with provenance. ``explain``: True for every scored post, ``"flagged"`` for
        posts at or above the threshold only (explaining is ~100x slower than scoring), False
        for none."""
        cleaned = self.clean(texts)
        threshold = self.decision_threshold
        probabilities = self.predict_proba_vectors(self.vectorize([c.text for c in cleaned]))[:, 1]
        scores = []
        for post, p in zip(cleaned, probabilities):
            if post.skip_reason or math.isnan(p):
                scores.append(ContentScore(None, False, threshold, self.version_, skipped=post.skip_reason or "no features", truncated=post.truncated))
                continue
            flagged = bool(p >= threshold)
            evidence: tuple[Evidence, ...] = ()
            if explain is True or (explain == "flagged" and flagged):
                evidence = tuple(self.explain(post, evidence_terms))
            scores.append(ContentScore(float(p), flagged, threshold, self.version_, truncated=post.truncated, evidence=evidence))
        return scores

    # --- evidence -------------------------------------------------------------------------------

    def contributions(self, clean_text: str) -> list[tuple[str, float, str, float]]:
        """Per distinct word of a cleaned post: ``(word, contribution, telling part, its
        contribution)``, largest absolute contribution first.

        A word's contribution is the sum over the n-grams inside it (a word pair counts half to
        each of its words) of weight x feature value, in log-odds; with the intercept they add
        up to the post's log-odds. A bucket shared by several n-grams of the post is split evenly
        among them. The *telling part* is the word's strongest n-gram of at least three letters
        pushing the same way as the word (empty when that is the word itself or there is none):
        it shows which piece of a long or inflected word the model knows.
        """
        grams = self.hasher.ngrams(clean_text)
        if not grams:
            return []
        counts: dict[int, int] = {}
        for gram in grams:
            counts[gram.bucket] = counts.get(gram.bucket, 0) + 1
        values = weigh_reference(counts)  # type: ignore[arg-type]
        words = clean_text.split(" ")
        per_word: dict[str, float] = {}
        per_part: dict[tuple[str, str], float] = {}
        weights = self.coef_[np.fromiter((gram.bucket for gram in grams), dtype=np.int64, count=len(grams))].tolist()
        for gram, weight in zip(grams, weights):
            share = weight * values[gram.bucket] / counts[gram.bucket]
            targets = (gram.word, gram.word + 1) if gram.kind == "pair" else (gram.word,)
            for position in targets:
                per_word[words[position]] = per_word.get(words[position], 0.0) + share / len(targets)
            if gram.kind == "char":
                part = gram.text.strip()
                if len(part) >= 3 and part != words[gram.word]:
                    key = (words[gram.word], part)
                    per_part[key] = per_part.get(key, 0.0) + share
        best_part: dict[str, tuple[str, float]] = {}
        for (word, part), value in per_part.items():
            if value * per_word[word] > 0 and abs(value) > abs(best_part.get(word, ("", 0.0))[1]):
                best_part[word] = (part, value)
        ranked = sorted(per_word.items(), key=lambda item: -abs(item[1]))
        return [(word, total, *best_part.get(word, ("", 0.0))) for word, total in ranked]

    def explain(self, post: CleanPost | str, terms: int = 3) -> list[Evidence]:
        """Evidence for one post (raw text or :func:`clean_post` output), in words a moderator
        reads: the words that raised the score most, the ones that lowered it, and notes on
        truncation and scripts."""
        if isinstance(post, str):
            post = clean_post(post, self.features.max_chars)
        evidence: list[Evidence] = []
        parts = self.contributions(post.text)
        raising = [p for p in parts if p[1] > 0][:terms]
        lowering = [p for p in parts if p[1] < 0][: max(1, terms // 2)]
        for word, total, gram, gram_value in raising:
            detail = f'; strongest piece "{gram}"' if gram else ""
            evidence.append(Evidence(SIGNAL, f'"{word}" raised the score (+{total:.2f} log-odds{detail})', word, round(total, 4)))
        for word, total, gram, gram_value in lowering:
            evidence.append(Evidence(SIGNAL, f'"{word}" lowered the score ({total:.2f} log-odds)', word, round(total, 4)))
        if post.truncated:
            evidence.append(Evidence(SIGNAL, f"long post ({post.original_chars:,} characters): only its first part was read "
                                     f"({len(post.text):,} characters of cleaned text)", post.original_chars))
        scripts = script_counts(post.text)
        if len(scripts) > 1:
            total_letters = sum(scripts.values())
            mix = ", ".join(f"{name} {100 * n / total_letters:.0f}%" for name, n in sorted(scripts.items(), key=lambda kv: -kv[1]))
            evidence.append(Evidence(SIGNAL, f"mixed scripts: {mix}", mix))
        return evidence

    # --- persistence ------------------------------------------------------------------------------

    def save(self, path: Path, description: dict | None = None) -> tuple[Path, Path]:
        """Write ``path`` with suffix ``.npz`` (weights) and ``.json`` (everything else)."""
        weights, meta = _paths(path)
        weights.parent.mkdir(parents=True, exist_ok=True)
        with weights.open("wb") as stream:
            np.savez_compressed(stream, coef=self.coef_, intercept=np.asarray([self.intercept_], dtype=np.float64))
        payload = {
            "version": self.version_,
            "format": MODEL_VERSION,
            "signal": SIGNAL,
            "cleaning": CLEANING_VERSION,
            "features": asdict(self.features),
            "params": {k: getattr(self, k) for k in ("alpha", "epochs", "class_weight", "calibration_folds", "threshold", "random_state")},
            "calibration": {"slope": self.calibration_[0], "intercept": self.calibration_[1]},
            "threshold_chosen": self.threshold_,
            "weights_file": weights.name,
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "n_train_posts": self.n_train_posts_,
            "n_train_positive": self.n_train_positive_,
            "trained_on": description if description is not None else self.trained_on_,
        }
        meta.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return weights, meta

    @classmethod
    def load(cls, path: Path) -> ContentClassifier:
        weights, meta = _paths(path)
        if not meta.exists() or not weights.exists():
            raise ModelFileError(f"no content model at {meta} (+ {weights.name}); train one: hydrawatch train content")
        try:
            payload = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{meta} is not a content model ({exc}); retrain: hydrawatch train content") from exc
        if payload.get("format") != MODEL_VERSION:
            raise ModelFileError(f"{meta} is a {payload.get('format')!r} model; this hydrawatch reads {MODEL_VERSION!r}. Retrain: hydrawatch train content")
        if payload.get("cleaning") != CLEANING_VERSION:
            log.warning("%s was trained with cleaning %s, this hydrawatch cleans with %s; scores may differ until you retrain",
                        meta, payload.get("cleaning"), CLEANING_VERSION)
        if hashlib.sha256(weights.read_bytes()).hexdigest() != payload.get("weights_sha256"):
            raise ModelFileError(f"{weights} does not match {meta.name} (checksum); copy both files of one training together")
        try:
            features = FeatureConfig(**payload["features"])
            model = cls(features=features, **payload["params"])
            with np.load(weights, allow_pickle=False) as arrays:
                model.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
                model.intercept_ = float(arrays["intercept"][0])
            slope, intercept = payload["calibration"]["slope"], payload["calibration"]["intercept"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{meta} is incomplete or damaged ({exc}); retrain: hydrawatch train content") from exc
        if model.coef_.shape != (features.n_features,):
            raise ModelFileError(f"{weights} holds {model.coef_.shape} weights, {meta.name} says {features.n_features}")
        model.calibration_ = (float(slope), float(intercept))
        model.threshold_ = float(payload.get("threshold_chosen", DEFAULT_THRESHOLD))
        model.n_train_posts_ = payload.get("n_train_posts", 0)
        model.n_train_positive_ = payload.get("n_train_positive", 0)
        model.trained_on_ = payload.get("trained_on", {})
        model._set_version()
        if model.version_ != payload.get("version"):
            raise ModelFileError(f"{weights} does not give the version {meta.name} records; retrain: hydrawatch train content")
        return model


def best_threshold(y: np.ndarray, probabilities: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> float:
    """The threshold of ``grid`` with the highest macro-F1 of ``probabilities`` against ``y``
    (ties: the higher threshold, which flags fewer posts). Used on out-of-fold probabilities."""
    y = np.asarray(y, dtype=bool)
    flags = probabilities[None, :] >= grid[:, None]  # (thresholds, posts)
    true_pos = (flags & y).sum(axis=1)
    false_pos = (flags & ~y).sum(axis=1)
    false_neg = y.sum() - true_pos
    true_neg = (~y).sum() - false_pos
    f1_pos = 2 * true_pos / np.maximum(2 * true_pos + false_pos + false_neg, 1)
    f1_neg = 2 * true_neg / np.maximum(2 * true_neg + false_neg + false_pos, 1)
    macro = (f1_pos + f1_neg) / 2
    return float(grid[len(grid) - 1 - int(np.argmax(macro[::-1]))])


def _paths(path: Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.suffix in (".npz", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".npz"), path.with_name(path.name + ".json")


def default_model_path() -> Path:
    """The model shipped inside the package (``hydrawatch/signals/models/content-ngram``)."""
    return Path(str(resources.files("hydrawatch.signals") / "models" / "content-ngram"))


def load_default_classifier() -> ContentClassifier:
    return ContentClassifier.load(default_model_path())
