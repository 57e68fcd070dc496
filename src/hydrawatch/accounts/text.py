"""Account-level text models: does what an account writes read like the network's?

One document per account (its bio and recent original posts; or, for the *tone* model, what
it wrote when replying to or quoting seed accounts), as hashed character 2-4-grams (no
tokeniser and no language detection: Arabic, English and mixed text share one model),
weighted by sublinear TF times IDF and L2-normalised, then a logistic regression.

Why account-level and not post-level: a single post says little (news quotes the network's
words, counter-messengers name its outlets), an account's body of posts says much more, and
the labels we have (network or not) are labels of accounts.

Why two models: the same words mean different things in different places. "The Relay
released a new video" is support in an outlet's post and reporting in a journalist's quote;
"brother, think twice" in a reply to a network account is argument. The tone model is trained
only on replies and quotes *to seeds*, so it learns how supporters talk to the network (praise,
prayers, "spread it") against how critics and reporters do.

Hashing keeps no vocabulary (nothing of the training text is stored) and makes the model a
fixed size: ``2**n_features_log2`` IDF weights and coefficients, saved as float16. With 2**16
features the collisions between the few hundred thousand distinct n-grams of a platform cost
little; raise it for real corpora with far richer vocabularies.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from hydrawatch.core.text import normalize_text

_URL = re.compile(r"https?://\S+|\bwww\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w{1,30}")


def clean_document(text: str, max_chars: int) -> str:
    """Links and @handles out (random short links and names are not words), the rest folded
    by :func:`hydrawatch.core.text.normalize_text` and cut at ``max_chars``."""
    if not text:
        return ""
    text = _MENTION.sub(" @ ", _URL.sub(" ", text[: max_chars * 2]))
    return normalize_text(text)[:max_chars]


def _readable(cleaned: str) -> bool:
    """Whether a cleaned document has anything to read: a letter, a digit or a symbol such
    as an emoji (a lone "@" left by a removed handle is nothing)."""
    return any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in cleaned)


#: Stripped from both ends of a word shown as evidence ("account." and "account" are one word).
_EDGE_PUNCTUATION = ".,;:!?\"'()[]{}«»“”‘’…،؛؟"

_PRIME = np.uint64(1_000_003)
_BATCH_CHARS = 2_000_000  # characters hashed at once: bounds the memory of the n-gram arrays


def _mix(values: np.ndarray) -> np.ndarray:
    """The 64-bit finaliser of MurmurHash3 (array arithmetic wraps modulo 2**64)."""
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> np.uint64(33))
    values = values * np.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> np.uint64(33))


def hash_ngrams(documents: Sequence[str], min_n: int, max_n: int, n_features: int) -> sparse.csr_matrix:
    """Counts of hashed character n-grams (``min_n`` to ``max_n`` code points, spaces
    included), one row per document: the n-gram's code points are combined by a polynomial
    hash, finalised, and taken modulo ``n_features``. Vectorised over a whole batch of
    documents (a separator that no n-gram may contain keeps documents apart), about a
    hundred times faster than a Python loop over n-grams; :func:`hash_ngrams_reference` is
    that loop, the test oracle."""
    blocks: list[sparse.csr_matrix] = []
    batch: list[str] = []
    size = 0
    for document in [*documents, None]:
        if document is not None:
            batch.append(document)
            size += len(document) + 1
        if batch and (document is None or size >= _BATCH_CHARS):
            blocks.append(_hash_batch(batch, min_n, max_n, n_features))
            batch, size = [], 0
    if not blocks:
        return sparse.csr_matrix((0, n_features), dtype=np.float32)
    return sparse.vstack(blocks, format="csr")


def _hash_batch(documents: list[str], min_n: int, max_n: int, n_features: int) -> sparse.csr_matrix:
    # Code points with a 0 after each document; 0 never occurs in cleaned text.
    joined = "\0".join(d.replace("\0", " ") for d in documents) + "\0"
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    separator = points == 0
    document_of = np.concatenate([[0], np.cumsum(separator)[:-1]])
    separators_before = np.concatenate([[0], np.cumsum(separator)])
    rows, columns = [], []
    for n in range(min_n, max_n + 1):
        starts = points.size - n + 1
        if starts <= 0:
            continue
        hashed = np.full(starts, np.uint64(n))
        for offset in range(n):
            hashed = hashed * _PRIME + points[offset : offset + starts]
        clean = (separators_before[n : n + starts] - separators_before[:starts]) == 0
        rows.append(document_of[:starts][clean])
        columns.append((_mix(hashed[clean]) % np.uint64(n_features)).astype(np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    counts = sparse.csr_matrix((np.ones(r.size, dtype=np.float32), (r, c)), shape=(len(documents), n_features))
    counts.sum_duplicates()
    return counts


def hash_ngrams_reference(documents: Sequence[str], min_n: int, max_n: int, n_features: int) -> np.ndarray:
    """The same counts by a plain loop over every n-gram of every document (dense; tests only)."""
    out = np.zeros((len(documents), n_features), dtype=np.float32)
    mask = (1 << 64) - 1
    for row, document in enumerate(documents):
        for n in range(min_n, max_n + 1):
            for start in range(len(document) - n + 1):
                value = n
                for ch in document[start : start + n]:
                    value = (value * 1_000_003 + ord(ch)) & mask
                out[row, int(_mix(np.array([value], dtype=np.uint64))[0] % np.uint64(n_features))] += 1
    return out


class TextModel:
    """Hashed character n-gram TF-IDF + logistic regression over account documents.

    ``C`` is the inverse L2 strength of the regression: documents of thousands of characters
    are well described, so moderate values (1-4) generalise across worlds better than a nearly
    unregularised fit. Empty documents get NaN (unknown), never 0.5.
    """

    def __init__(self, n_features_log2: int = 16, min_n: int = 2, max_n: int = 4, C: float = 2.0,
                 max_chars: int = 8000, random_state: int = 0):
        self.n_features_log2 = n_features_log2
        self.min_n = min_n
        self.max_n = max_n
        self.C = C
        self.max_chars = max_chars
        self.random_state = random_state

    # --- vectors ------------------------------------------------------------------------

    def counts(self, documents: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Sublinear term frequencies of the documents' hashed n-grams, and which documents
        are empty. Compute once and pass to :meth:`fit_counts` / :meth:`decision_counts` when
        the same documents are used several times (cross-fitting)."""
        cleaned = [clean_document(d, self.max_chars) for d in documents]
        counts = hash_ngrams(cleaned, self.min_n, self.max_n, 2**self.n_features_log2)
        counts.data = 1.0 + np.log(counts.data)  # sublinear TF: the 50th "relay" adds little
        empty = np.array([not _readable(c) for c in cleaned], dtype=bool)
        return counts, empty

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        weighted = counts @ sparse.diags(self.idf_.astype(np.float32))
        return normalize(weighted, norm="l2", copy=False).tocsr()

    # --- fit / predict ------------------------------------------------------------------

    def fit(self, documents: Sequence[str], y: np.ndarray) -> TextModel:
        return self.fit_counts(*self.counts(documents), y)

    def fit_counts(self, counts: sparse.csr_matrix, empty: np.ndarray, y: np.ndarray) -> TextModel:
        y = np.asarray(y, dtype=np.int32)
        if counts.shape[0] != len(y):
            raise ValueError(f"{counts.shape[0]} documents for {len(y)} labels")
        keep = ~np.asarray(empty, dtype=bool)
        if y[keep].min(initial=1) == y[keep].max(initial=0):
            raise ValueError("the text model needs non-empty documents of both classes (network and not)")
        counts = counts[keep]
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        n = int(keep.sum())
        self.idf_ = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float16).astype(np.float32)
        # dual: far fewer documents than hashed features, where the dual problem is the smaller one
        model = LogisticRegression(C=self.C, max_iter=2000, solver="liblinear", dual=True, random_state=self.random_state)
        model.fit(self._weigh(counts), y[keep])
        self.coef_ = model.coef_.ravel().astype(np.float16).astype(np.float32)
        self.intercept_ = float(model.intercept_[0])
        self.n_train_documents_ = int(n)
        self.n_train_positive_ = int(y[keep].sum())
        return self

    def decision_function(self, documents: Sequence[str]) -> np.ndarray:
        """Log-odds per document, NaN for empty documents."""
        return self.decision_counts(*self.counts(documents))

    def decision_counts(self, counts: sparse.csr_matrix, empty: np.ndarray) -> np.ndarray:
        if counts.shape[0] == 0:
            return np.zeros(0)
        scores = self._weigh(counts) @ self.coef_ + self.intercept_
        scores = np.asarray(scores, dtype=np.float64).ravel()
        scores[empty] = np.nan
        return scores

    def predict_proba(self, documents: Sequence[str]) -> np.ndarray:
        """(n, 2) probabilities; rows of empty documents are NaN."""
        return _as_proba(self.decision_function(documents))

    def predict_proba_counts(self, counts: sparse.csr_matrix, empty: np.ndarray) -> np.ndarray:
        return _as_proba(self.decision_counts(counts, empty))

    def telling_words(self, document: str, k: int = 3) -> list[str]:
        """The words of a document that pushed its score up most (each word's character
        n-grams, weighed by the model): evidence a moderator can check against the posts."""
        cleaned = clean_document(document, self.max_chars)
        stripped = (w.strip(_EDGE_PUNCTUATION) for w in cleaned.split())
        words = list(dict.fromkeys(w for w in stripped if sum(ch.isalpha() for ch in w) >= 3))
        if not words:
            return []
        counts = hash_ngrams([f" {w} " for w in words], self.min_n, self.max_n, 2**self.n_features_log2)
        weighted = counts @ sparse.diags(self.idf_ * self.coef_)
        push = np.asarray(weighted.sum(axis=1)).ravel() / np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1.0)
        order = np.argsort(-push, kind="stable")
        return [words[i] for i in order[:k] if push[i] > 0]

    # --- persistence --------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "params": {k: getattr(self, k) for k in ("n_features_log2", "min_n", "max_n", "C", "max_chars", "random_state")},
            "idf": _pack(self.idf_),
            "coef": _pack(self.coef_),
            "intercept": self.intercept_,
            "n_train_documents": self.n_train_documents_,
            "n_train_positive": self.n_train_positive_,
        }

    @classmethod
    def from_dict(cls, payload: dict) -> TextModel:
        model = cls(**payload["params"])
        size = 2**model.n_features_log2
        model.idf_ = _unpack(payload["idf"], size)
        model.coef_ = _unpack(payload["coef"], size)
        model.intercept_ = float(payload["intercept"])
        model.n_train_documents_ = int(payload["n_train_documents"])
        model.n_train_positive_ = int(payload["n_train_positive"])
        return model


def _as_proba(log_odds: np.ndarray) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-log_odds))
    return np.column_stack([1.0 - p, p])


def _pack(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f2").tobytes()).decode("ascii")


def _unpack(text: str, size: int) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(text), dtype="<f2")
    if values.size != size:
        raise ValueError(f"a text model array holds {values.size} values, expected {size}; the model file is damaged")
    return values.astype(np.float32)
