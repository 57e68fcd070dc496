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

In context of the author
------------------------
The data's labels belong to accounts, not posts: every post of a support account counts as
support, and about a third of them are ordinary (sport, greetings, other news) with nothing in
their text to tell. A post is therefore also scored *in context*
(:meth:`ContentClassifier.predict_proba_in_context`): a small second stage, a logistic
regression on the post's own log-odds, the mean log-odds of the author's *other* posts weighed
by ``n / (n + context_prior)`` (n other posts), and that weight. It is fitted in :meth:`fit` on
out-of-fold log-odds of the training accounts, where each post's context is drawn from a
random number of its author's other posts (:data:`CONTEXT_SIZES`: one to all), so it is right
for a new account with two posts as for an old one with hundreds. Posts without a known author,
and authors with no other scored post, keep the post-alone probability and threshold. The
post-alone score stays available (``post_probability``) and is what ``classify --no-context``
prints; the evidence of an in-context score says how much the author's other posts moved it.

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
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedGroupKFold

from hydrawatch.core.errors import ConfigError, HydrawatchError
from hydrawatch.core.model import Evidence
from hydrawatch.core.text import script_counts

from .content_features import CLEANING_VERSION, CleanPost, FeatureConfig, NgramHasher, clean_post, weigh_reference

log = logging.getLogger(__name__)

__all__ = [
    "CONTEXT_SIZES",
    "DEFAULT_THRESHOLD",
    "InContext",
    "THRESHOLD_GRID",
    "MODEL_VERSION",
    "SIGNAL",
    "ContentClassifier",
    "best_threshold",
    "ContentScore",
    "FeatureConfig",
    "author_totals",
    "sample_contexts",
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
#: Signal name of the evidence line saying how the author's other posts moved a score.
CONTEXT_SIGNAL = "content_author_context"
#: Numbers of the author's other posts a training post's context is drawn from (None: all).
CONTEXT_SIZES: tuple[int | None, ...] = (1, 2, 3, 5, 10, 20, 50, None)
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
    post_probability: float | None = None  # the post alone (equal to probability without context)
    author_posts: int = 0  # the author's other scored posts the score used (0: post alone)

    def as_dict(self) -> dict:
        return {
            "signal": self.signal,
            "model_version": self.model_version,
            "threshold": self.threshold,
            "probability": None if self.probability is None else round(self.probability, 4),
            "post_probability": None if self.post_probability is None else round(self.post_probability, 4),
            "author_posts": self.author_posts,
            "flagged": self.flagged,
            "skipped": self.skipped,
            "truncated": self.truncated,
            "evidence": [
                {"description": e.description, "value": e.value, "contribution": e.contribution} for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class InContext:
    """Scores of a batch of posts in context of their authors (arrays, one entry per post).

    ``probability`` is the in-context probability where ``in_context`` and the post-alone one
    elsewhere; ``threshold`` is the one that applies to each post; NaN marks skipped posts.
    ``others`` counts the author's other scored posts and ``others_probability`` is their mean
    log-odds, calibrated (NaN without context).
    """

    probability: np.ndarray
    post_probability: np.ndarray
    threshold: np.ndarray
    in_context: np.ndarray
    others: np.ndarray
    others_probability: np.ndarray

    @property
    def flagged(self) -> np.ndarray:
        return np.where(np.isnan(self.probability), False, np.nan_to_num(self.probability) >= self.threshold)


def author_totals(log_odds: np.ndarray, authors: Sequence[str | None],
                  into: dict[str, tuple[float, int]] | None = None) -> dict[str, tuple[float, int]]:
    """Sum and count of the log-odds of each known author's scored posts (NaN: skipped, None:
    no author). ``into``: totals of earlier batches, added to in place, so that a stream scored
    in context sums every author's posts batch by batch."""
    totals: dict[str, tuple[float, int]] = {} if into is None else into
    for author, value in zip(authors, log_odds.tolist()):
        if author is None or math.isnan(value):
            continue
        total, count = totals.get(author, (0.0, 0))
        totals[author] = (total + value, count + 1)
    return totals


def _others(log_odds: np.ndarray, authors: Sequence[str | None], totals: dict[str, tuple[float, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean log-odds and number of each post's author's *other* scored posts (the post's own
    score is taken out of its author's total; 0 and 0 without an author)."""
    mean = np.zeros(len(log_odds))
    count = np.zeros(len(log_odds))
    for i, (author, value) in enumerate(zip(authors, log_odds.tolist())):
        if author is None or author not in totals:
            continue
        total, n = totals[author]
        if not math.isnan(value):
            total, n = total - value, n - 1
        if n > 0:
            mean[i], count[i] = total / n, n
    return mean, count


def sample_contexts(log_odds: np.ndarray, authors: Sequence[str | None], rng: np.random.Generator,
                    context_sizes: Sequence[int | None] = CONTEXT_SIZES) -> tuple[np.ndarray, np.ndarray]:
    """Training contexts: for each scored post (log-odds not NaN) of a known author (None or
    ``""``: unknown), the mean log-odds of k of the author's other scored posts, k drawn from
    ``context_sizes`` (None: all). Vectorised: the author's posts are shuffled and a post's k
    others are the k that follow it in that cyclic order."""
    mean = np.zeros(len(log_odds))
    count = np.zeros(len(log_odds))
    authors = np.array(["" if a is None else str(a) for a in authors], dtype=object)
    known = np.flatnonzero((authors != "") & ~np.isnan(log_odds))
    if len(known) == 0:
        return mean, count
    order = known[np.lexsort((rng.random(len(known)), authors[known]))]
    keys = authors[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    start_of = np.repeat(starts, sizes)
    size_of = np.repeat(sizes, sizes)
    position = np.arange(len(order)) - start_of
    choice = rng.integers(len(context_sizes), size=len(order))
    wanted = np.array([size if size is not None else 1 << 30 for size in context_sizes])[choice]
    k = np.minimum(wanted, size_of - 1)
    values = log_odds[order]
    # cumulative sums over each author's posts taken twice, so "the k after me" never wraps
    doubled = np.concatenate([np.r_[0.0, np.cumsum(np.concatenate([values[a:a + n], values[a:a + n]]))] for a, n in zip(starts, sizes)])
    offsets = np.repeat(np.r_[0, np.cumsum(2 * sizes + 1)[:-1]], sizes)
    first = offsets + position + 1
    sums = doubled[first + k] - doubled[first]
    has = k > 0
    mean[order[has]] = sums[has] / k[has]
    count[order[has]] = k[has]
    return mean, count


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
        0.5 trades recall away for little precision. A set threshold applies to in-context
        scores too.
    context_prior:
        Pseudo-posts of no information an author's mean is weighed against: n other posts
        count n / (n + context_prior).
    """

    def __init__(self, features: FeatureConfig = FeatureConfig(), alpha: float = 2e-6, epochs: int = 15,
                 class_weight: str | None = "balanced", calibration_folds: int = 3,
                 threshold: float | None = None, random_state: int = 0, context_prior: float = 5.0):
        self.features = features
        self.alpha = alpha
        self.epochs = epochs
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.threshold = threshold
        self.random_state = random_state
        self.context_prior = context_prior

    @property
    def decision_threshold(self) -> float:
        """The threshold in force: ``threshold`` when set, else the one :meth:`fit` chose."""
        if self.threshold is not None:
            return float(self.threshold)
        chosen = getattr(self, "threshold_", None)
        if chosen is None:
            raise ConfigError("this classifier has no threshold yet: fit it, load a trained one, or pass threshold=")
        return chosen

    @property
    def context_threshold(self) -> float:
        """The threshold of in-context scores: ``threshold`` when set, else the one :meth:`fit`
        chose for them."""
        if self.threshold is not None:
            return float(self.threshold)
        return float(self.context_threshold_)

    @property
    def has_context(self) -> bool:
        """Whether this model has a context stage (models trained without authors do not)."""
        return getattr(self, "context_", None) is not None

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

    def fit(self, texts: Sequence[str], y: Sequence[int], groups: Sequence[str] | None = None,
            authors: Sequence[str | None] | None = None) -> ContentClassifier:
        """Fit on raw posts. ``groups`` (the account of each post) keep the calibration honest:
        it is fitted on log-odds of accounts the model did not see. ``authors`` (None where not
        known) train the context stage; every post of an author must be in one group."""
        clean_texts = [c.text for c in self.clean(texts)]
        return self.fit_vectors(self.vectorize(clean_texts), y, groups, authors)

    def fit_vectors(self, X: sp.csr_matrix, y: Sequence[int], groups: Sequence[str] | None = None,
                    authors: Sequence[str | None] | None = None) -> ContentClassifier:
        """Fit on vectors from :meth:`vectorize`. Rows with no features (skipped posts) are
        left out: the model never scores them."""
        y = np.asarray(y, dtype=np.int8)
        if X.shape != (len(y), self.features.n_features):
            raise ConfigError(f"expected {len(y)} rows of {self.features.n_features} features, got {X.shape}")
        if authors is not None and len(authors) != len(y):
            raise ConfigError(f"expected {len(y)} authors (None where unknown), got {len(authors)}")
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
        self.context_ = None
        self.context_threshold_ = self.threshold_
        if authors is not None:
            self._fit_context(out_of_fold, y, [a for a, keep in zip(authors, usable.tolist()) if keep])
        linear = self._linear().fit(X, y)
        self.coef_ = linear.coef_.ravel().astype(np.float32)
        self.intercept_ = float(linear.intercept_[0])
        self.n_train_posts_ = int(len(y))
        self.n_train_positive_ = int(y.sum())
        self.trained_on_: dict = {}
        self._set_version()
        return self

    def _fit_context(self, out_of_fold: np.ndarray, y: np.ndarray, authors: Sequence[str | None]) -> None:
        """The context stage, on out-of-fold log-odds (the calibration folds hold whole groups,
        so a post and its author's other posts were scored by a model that saw none of them).
        Left out (``context_`` None) when too few posts of either class have a context."""
        mean, count = sample_contexts(out_of_fold, authors, np.random.default_rng(self.random_state))
        has = count > 0
        if min(int(y[has].sum()), int((1 - y[has]).sum())) < 10:
            log.info("no context stage: too few posts of known authors in one of the classes")
            return
        features = self._context_features(out_of_fold[has], mean[has], count[has])
        stage = LogisticRegression(C=1e4).fit(features, y[has])
        self.context_ = (*(float(c) for c in stage.coef_.ravel()), float(stage.intercept_[0]))
        self.context_threshold_ = best_threshold(y[has], self._context_probability(features))

    def _context_features(self, log_odds: np.ndarray, mean_others: np.ndarray, others: np.ndarray) -> np.ndarray:
        weight = others / (others + self.context_prior)
        return np.column_stack([log_odds, mean_others * weight, weight])

    def _context_probability(self, features: np.ndarray) -> np.ndarray:
        *weights, intercept = self.context_
        return expit(features @ np.asarray(weights) + intercept)

    def _set_version(self) -> None:
        context = np.asarray(self.context_ if self.has_context else [], dtype=np.float64).tobytes()
        digest = hashlib.sha256(self.coef_.tobytes() + np.float64(self.intercept_).tobytes() + context).hexdigest()
        self.version_ = f"{MODEL_VERSION}+{digest[:10]}"

    # --- scoring -----------------------------------------------------------------------------------

    def decision_function_vectors(self, X: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated log-odds (the linear model's)."""
        return np.asarray(X @ self.coef_, dtype=np.float64) + self.intercept_

    def log_odds_vectors(self, X: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated log-odds, NaN for rows without features (skipped posts)."""
        values = self.decision_function_vectors(X)
        values[np.diff(X.indptr) == 0] = np.nan
        return values

    def _calibrate(self, log_odds: np.ndarray) -> np.ndarray:
        a, b = self.calibration_
        return expit(a * log_odds + b)

    def predict_proba_vectors(self, X: sp.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, (n, 2). Rows without features get NaN (skipped posts)."""
        p = self._calibrate(self.log_odds_vectors(X))
        return np.column_stack([1.0 - p, p])

    def predict_proba_in_context(self, X: sp.csr_matrix, authors: Sequence[str | None],
                                 totals: dict[str, tuple[float, int]] | None = None) -> InContext:
        """Probabilities of posts in context of their authors' other posts (see the module
        docstring). ``totals`` (:func:`author_totals`) hold every post of the authors when the
        posts come in several batches; by default they are this batch's."""
        return self.in_context(self.log_odds_vectors(X), authors, totals)

    def in_context(self, log_odds: np.ndarray, authors: Sequence[str | None],
                   totals: dict[str, tuple[float, int]] | None = None) -> InContext:
        """:meth:`predict_proba_in_context` from log-odds already computed (:meth:`log_odds`;
        NaN for skipped posts), so that a stream read twice is hashed once."""
        if len(authors) != len(log_odds):
            raise ConfigError(f"expected {len(log_odds)} authors (None where unknown), got {len(authors)}")
        if not self.has_context or all(author is None for author in authors):
            return self.combine(log_odds, np.zeros(len(log_odds)), np.zeros(len(log_odds)))
        mean, others = _others(log_odds, authors, totals if totals is not None else author_totals(log_odds, authors))
        return self.combine(log_odds, mean, others)

    def combine(self, log_odds: np.ndarray, mean_others: np.ndarray, others: np.ndarray) -> InContext:
        """In-context scores from each post's log-odds and its author's other posts' mean
        log-odds and count (0: no context, the post alone)."""
        post = self._calibrate(log_odds)
        in_context = (others > 0) & ~np.isnan(log_odds) & self.has_context
        probability = post.copy()
        if in_context.any():
            features = self._context_features(log_odds[in_context], mean_others[in_context], others[in_context])
            probability[in_context] = self._context_probability(features)
        threshold = np.where(in_context, self.context_threshold, self.decision_threshold)
        others_probability = np.where(in_context, self._calibrate(mean_others), np.nan)
        return InContext(probability, post, threshold, in_context, np.where(in_context, others, 0), others_probability)

    def predict_proba(self, texts: Sequence[str | None]) -> np.ndarray:
        """Calibrated probabilities of raw posts, shape (n, 2). A post with nothing to classify
        gets NaN in both columns; :meth:`score` says why."""
        return self.predict_proba_vectors(self.vectorize([c.text for c in self.clean(texts)]))

    def log_odds(self, texts: Sequence[str | None]) -> np.ndarray:
        """Uncalibrated log-odds of raw posts, NaN for skipped ones: what :func:`author_totals`
        adds up in a first pass over a stream scored in context."""
        return self.log_odds_vectors(self.vectorize([c.text for c in self.clean(texts)]))

    def predict(self, texts: Sequence[str | None]) -> np.ndarray:
        """1 for posts flagged at the threshold, 0 otherwise (skipped posts included)."""
        p = self.predict_proba(texts)[:, 1]
        return np.where(np.isnan(p), 0, p >= self.decision_threshold).astype(np.int8)

    def score(self, texts: Sequence[str | None], explain: bool | str = "flagged", evidence_terms: int = 3,
              authors: Sequence[str | None] | None = None, totals: dict[str, tuple[float, int]] | None = None,
              log_odds: np.ndarray | None = None) -> list[ContentScore]:
        """Verdicts with provenance. ``explain``: True for every scored post, ``"flagged"`` for
        posts at or above the threshold only (explaining is ~100x slower than scoring), False
        for none. With ``authors`` (None where unknown) posts are scored in context of their
        authors' other posts (this batch's, or all of ``totals``); without, each post alone.
        ``log_odds``: these posts' :meth:`log_odds` when a first pass computed them already."""
        cleaned = self.clean(texts)
        if log_odds is None:
            log_odds = self.log_odds_vectors(self.vectorize([c.text for c in cleaned]))
        if authors is None:
            authors = [None] * len(cleaned)
        scored = self.in_context(log_odds, authors, totals)
        scores = []
        for i, post in enumerate(cleaned):
            p, threshold = float(scored.probability[i]), float(scored.threshold[i])
            if post.skip_reason or math.isnan(p):
                scores.append(ContentScore(None, False, self.decision_threshold, self.version_, skipped=post.skip_reason or "no features",
                                           truncated=post.truncated))
                continue
            flagged = bool(p >= threshold)
            evidence: list[Evidence] = []
            if explain is True or (explain == "flagged" and flagged):
                if scored.in_context[i]:
                    evidence.append(self._context_evidence(p, float(scored.post_probability[i]), int(scored.others[i]),
                                                           float(scored.others_probability[i])))
                evidence.extend(self.explain(post, evidence_terms))
            scores.append(ContentScore(p, flagged, threshold, self.version_, truncated=post.truncated, evidence=tuple(evidence),
                                       post_probability=float(scored.post_probability[i]), author_posts=int(scored.others[i])))
        return scores

    @staticmethod
    def _context_evidence(p: float, post_p: float, others: int, others_p: float) -> Evidence:
        change = float(logit(min(max(p, 1e-9), 1 - 1e-9)) - logit(min(max(post_p, 1e-9), 1 - 1e-9)))
        way = "raised" if change >= 0 else "lowered"
        return Evidence(CONTEXT_SIGNAL, f"the author's {others:,} other posts (typical score {others_p:.2f}) {way} this post's "
                        f"score from {post_p:.2f} to {p:.2f} ({change:+.2f} log-odds)", others, round(change, 4))

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
            "params": {k: getattr(self, k) for k in ("alpha", "epochs", "class_weight", "calibration_folds", "threshold", "random_state",
                                                     "context_prior")},
            "calibration": {"slope": self.calibration_[0], "intercept": self.calibration_[1]},
            "threshold_chosen": self.threshold_,
            "context": None if not self.has_context else {
                "weights": {"post_log_odds": self.context_[0], "others_mean_x_weight": self.context_[1], "weight": self.context_[2]},
                "intercept": self.context_[3],
                "threshold_chosen": self.context_threshold_,
            },
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
            context = payload.get("context")
            if context is not None:
                w = context["weights"]
                model.context_ = (float(w["post_log_odds"]), float(w["others_mean_x_weight"]), float(w["weight"]), float(context["intercept"]))
                model.context_threshold_ = float(context["threshold_chosen"])
            else:
                model.context_ = None
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{meta} is incomplete or damaged ({exc}); retrain: hydrawatch train content") from exc
        if model.coef_.shape != (features.n_features,):
            raise ModelFileError(f"{weights} holds {model.coef_.shape} weights, {meta.name} says {features.n_features}")
        model.calibration_ = (float(slope), float(intercept))
        model.threshold_ = float(payload.get("threshold_chosen", DEFAULT_THRESHOLD))
        if model.context_ is None:
            model.context_threshold_ = model.threshold_
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
