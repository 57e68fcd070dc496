"""What the content classifier sees of a post: cleaned text, and hashed character n-grams of it.

Cleaning (:func:`clean_post`)
-----------------------------
The model must learn *what a post says*, not *which data set or year it came from*. Real
training data carries many tell-tale artefacts: one set anonymised mentions to ``@USER`` and
links to ``URL`` and wrote newlines as ``<LF>``; another stripped mentions, links, hashtags,
digits and punctuation altogether; one sampled only tweets with emoji; 2015 tweets have expanded
links while 2016 tweets have ``t.co`` ones; retweets cut at 140 characters end in ``…``. A
classifier given those would score the artefacts. So every post, in training and in use, is
reduced to the same thing:

1. cut to ``max_raw_chars`` first, so a 100 KB post costs no more than a long one;
2. drop ``RT @user:`` retweet marks, every ``@mention``, every link (``http(s)://``, ``www.``,
   ``pic.twitter.com/``, bare ``domain.tld/path``) and the placeholders ``@USER``, ``URL``,
   ``<LF>``. They are dropped rather than replaced by a placeholder word because even a
   placeholder's *presence* identifies a data set (one of them has no links or mentions at all);
3. drop the last word of a post ending in ``…`` (a retweet cut short mid-word);
4. :func:`hydrawatch.core.text.normalize_text` (NFKC, case folding, invisible characters,
   Arabic letter variants and diacritics);
5. keep letters only: digits, punctuation, ``#``, ``_``, emoji and symbols become spaces. Hashtag
   words stay as words (``#دولة_الخلافة`` -> ``دوله الخلافه``);
6. cut to ``max_chars`` at a word boundary.

What is lost is deliberate: emoji, digits and punctuation carry meaning, but in the training
data they mostly say which corpus a post came from.

Features (:class:`NgramHasher`)
-------------------------------
Character n-grams of ``min_n..max_n`` characters inside word boundaries (scikit-learn's
``char_wb``: each word is padded with one space on either side, so ``" dawl"`` marks a word
start), plus optionally whole words and word pairs. Each n-gram is hashed into
``2 ** n_features_log2`` buckets: no vocabulary to store, and nothing of the training text can
be read back from the model. Counts become ``1 + log(count)`` and each post's vector is scaled
to unit length, so long and short posts are comparable.

The hash is a polynomial hash over code points followed by MurmurHash3's 64-bit finaliser,
salted by n-gram kind and length. It is computed for a whole batch at once with numpy (prefix
sums of the polynomial, so every substring's hash is two array operations), which is what makes
the classifier several times faster than scikit-learn's ``HashingVectorizer``, whose n-gram
generation runs in Python. :meth:`NgramHasher.ngrams` is the plain-Python reference of the same
hash, used as the test oracle and to explain a score with the n-grams it contains.

Choosing parameters: 2**18 buckets keep collisions rare for the ~1-2 million distinct n-grams of
100k tweets while the float32 weights stay under 1 MB; n-grams of 2..5 characters cover Arabic
roots and English morphemes; longer n-grams add little once word features are on.
"""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hydrawatch.core.errors import ConfigError
from hydrawatch.core.text import NORMALIZATION_VERSION, normalize_text

__all__ = ["CLEANING_VERSION", "CleanPost", "FeatureConfig", "Ngram", "NgramHasher", "clean_post"]

#: Bump when a cleaning step changes: a model trained on other cleaning must be retrained.
CLEANING_VERSION = f"content-clean-1+{NORMALIZATION_VERSION}"

# --- cleaning -----------------------------------------------------------------------------------

# Everything that points elsewhere rather than says something: the retweet prefix, mentions,
# links, and the placeholders one data set put in their place. Each pattern runs only when a
# cheap substring test says it can match (most posts have no links, many no mentions).
_RETWEET_MARK = re.compile(r"\bRT\s*@\w+:?", re.IGNORECASE)  # "RT @x:", also inside quotes
_MENTION = re.compile(r"(?<![\w@])@\w+")  # including the placeholder @USER
_LINK = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
_BARE_LINK = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*", re.IGNORECASE)  # example.com/path
_LINK_PLACEHOLDER = re.compile(r"\bURL\b")


def _strip_noise(text: str) -> str:
    if "@" in text:
        text = _MENTION.sub(" ", _RETWEET_MARK.sub(" ", text))
    if "/" in text or "www." in text:
        text = _LINK.sub(" ", text)
        if "/" in text:
            text = _BARE_LINK.sub(" ", text)
    if "<LF>" in text:
        text = text.replace("<LF>", " ")
    if "URL" in text:
        text = _LINK_PLACEHOLDER.sub(" ", text)
    return text


# A post that ends in "…" was cut short mid-word; the last, partial word is noise (a partial
# link, or half a word that would make n-grams no real text contains).
_CUT_SHORT = re.compile(r"\S*…\s*$")


class _LettersTable(dict[int, "int | str"]):
    """``str.translate`` table: letters stay, everything else becomes a space. Filled per code
    point on first use (a table over all of Unicode would take a second to build)."""

    def __missing__(self, cp: int) -> int | str:
        value: int | str = cp if chr(cp).isalpha() else " "
        if len(self) < 300_000:  # bounded for adversarial input
            self[cp] = value
        return value


_LETTERS = _LettersTable()


@dataclass(frozen=True, slots=True)
class CleanPost:
    """A post as the model sees it. ``text`` is lower-case letters and single spaces; it is
    empty when nothing is left to classify, and ``skip_reason`` then says why."""

    text: str
    original_chars: int
    truncated: bool
    skip_reason: str | None = None


def _skip_reason(raw: str) -> str:
    if not raw.strip():
        return "empty post"
    stripped = _strip_noise(raw)
    if not stripped.strip():
        return "only links and mentions, no text"
    if any(unicodedata.category(ch) == "So" for ch in stripped):
        return "no words to classify (emoji or symbols only)"
    return "no words to classify (digits, punctuation or symbols only)"


def clean_post(raw: str | None, max_chars: int = 2000, max_raw_chars: int | None = None) -> CleanPost:
    """Reduce a post to the letters the model reads (see the module docstring). Never raises."""
    raw = raw if isinstance(raw, str) else ""
    original = len(raw)
    max_raw_chars = max_raw_chars or 8 * max_chars
    truncated = original > max_raw_chars
    if truncated:
        raw = raw[:max_raw_chars]
    text = raw
    if "&" in text:
        text = html.unescape(text)
    text = _strip_noise(text)
    if "…" in text:
        text = _CUT_SHORT.sub("", text)
    text = " ".join(normalize_text(text).translate(_LETTERS).split())
    if len(text) > max_chars:
        truncated = True
        cut = text.rfind(" ", 0, max_chars + 1)
        text = text[: cut if cut > 0 else max_chars]
    if not text:
        return CleanPost("", original, truncated, _skip_reason(raw))
    return CleanPost(text, original, truncated)


# --- hashing --------------------------------------------------------------------------------------

_MASK = (1 << 64) - 1
_BASE = 0x100000001B3  # FNV-1a's 64-bit prime: odd, so invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_FMIX_1 = 0xFF51AFD7ED558CCD
_FMIX_2 = 0xC4CEB9FE1A85EC53
_SALT_CHAR = 0x9E3779B97F4A7C15  # times n, for character n-grams of length n
_SALT_WORD = 0x632BE59BD9B4E019
_SALT_PAIR = 0x8CB92BA72F3D8DD7
_PAIR_MULT = 0xD6E8FEB86659FD93


def _fmix(k: int) -> int:
    """MurmurHash3's 64-bit finaliser: spreads the polynomial hash over all bits."""
    k ^= k >> 33
    k = (k * _FMIX_1) & _MASK
    k ^= k >> 33
    k = (k * _FMIX_2) & _MASK
    return k ^ (k >> 33)


def _fmix_array(k: np.ndarray) -> np.ndarray:
    k = k ^ (k >> np.uint64(33))
    k = k * np.uint64(_FMIX_1)
    k = k ^ (k >> np.uint64(33))
    k = k * np.uint64(_FMIX_2)
    return k ^ (k >> np.uint64(33))


def _power_table(base: int, size: int) -> np.ndarray:
    table = np.empty(size, dtype=np.uint64)
    table[0] = 1
    np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=table[1:])
    return table


def _poly(s: str) -> int:
    """Sum of code point * BASE_INV**position, modulo 2**64: the hash both implementations use."""
    h, power = 0, 1
    for ch in s:
        h = (h + ord(ch) * power) & _MASK
        power = (power * _BASE_INV) & _MASK
    return h


@functools.lru_cache(maxsize=1 << 18)
def _char_bucket(gram: str, bits: int) -> int:
    """Bucket of a character n-gram (cached: the same n-grams recur in every post)."""
    return _fmix(_poly(gram) ^ ((len(gram) * _SALT_CHAR) & _MASK)) >> (64 - bits)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How posts become vectors. Stored with every model; a model only works with its own.

    ``min_n``/``max_n``: character n-gram lengths (inside word boundaries). ``word_ngrams``: 0
    for none, 1 for words, 2 for words and word pairs. ``max_chars``: cleaned text beyond this
    is not read (a 100 KB post is scored on its start, and the evidence says so).
    """

    n_features_log2: int = 18
    min_n: int = 2
    max_n: int = 5
    word_ngrams: int = 2
    max_chars: int = 2000

    def __post_init__(self) -> None:
        if not 10 <= self.n_features_log2 <= 24:
            raise ConfigError(f"n_features_log2 must be between 10 and 24, not {self.n_features_log2} (18 is a good default)")
        if not 1 <= self.min_n <= self.max_n <= 12:
            raise ConfigError(f"character n-gram lengths need 1 <= min_n <= max_n <= 12, got {self.min_n}..{self.max_n}")
        if self.word_ngrams not in (0, 1, 2):
            raise ConfigError(f"word_ngrams is 0 (none), 1 (words) or 2 (words and pairs), not {self.word_ngrams}")
        if self.max_chars < 16:
            raise ConfigError(f"max_chars must be at least 16, not {self.max_chars}")

    @property
    def n_features(self) -> int:
        return 1 << self.n_features_log2


@dataclass(frozen=True, slots=True)
class Ngram:
    """One n-gram occurrence in a cleaned post: its text, kind (``char``, ``word``, ``pair``),
    bucket, and the index of the word it lies in (a pair: its first word)."""

    text: str
    kind: str
    bucket: int
    word: int


class NgramHasher:
    """Hashed character (and word) n-gram vectors of cleaned posts. Stateless."""

    def __init__(self, config: FeatureConfig = FeatureConfig()):
        self.config = config
        self._shift = np.uint64(64 - config.n_features_log2)
        self._pow = np.ones(1, dtype=np.uint64)
        self._pow_inv = np.ones(1, dtype=np.uint64)

    # --- reference: one post, plain Python ----------------------------------------------------

    def _bucket(self, key: int) -> int:
        return _fmix(key) >> (64 - self.config.n_features_log2)

    def ngrams(self, text: str) -> list[Ngram]:
        """Every n-gram occurrence of a cleaned post, in plain Python. The test oracle of
        :meth:`transform`, and how evidence finds the n-grams behind a score."""
        config = self.config
        found: list[Ngram] = []
        words = text.split(" ") if text else []
        word_hashes = []
        for position, word in enumerate(words):
            padded = f" {word} "
            for n in range(config.min_n, config.max_n + 1):
                for start in range(len(padded) - n + 1):
                    gram = padded[start : start + n]
                    if gram == " ":
                        continue
                    found.append(Ngram(gram, "char", _char_bucket(gram, config.n_features_log2), position))
            word_hash = _poly(word)
            word_hashes.append(word_hash)
            if config.word_ngrams >= 1:
                found.append(Ngram(word, "word", self._bucket(word_hash ^ _SALT_WORD), position))
        if config.word_ngrams >= 2:
            for position in range(len(words) - 1):
                key = ((word_hashes[position] * _PAIR_MULT + word_hashes[position + 1]) & _MASK) ^ _SALT_PAIR
                found.append(Ngram(f"{words[position]} {words[position + 1]}", "pair", self._bucket(key), position))
        return found

    def reference_counts(self, text: str) -> Counter[int]:
        return Counter(gram.bucket for gram in self.ngrams(text))

    # --- fast: a batch at once, numpy ------------------------------------------------------------

    def _powers(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        """``BASE**i`` and ``BASE_INV**i`` modulo 2**64 for i < length (grown on demand)."""
        if len(self._pow) < length:
            size = max(length, 2 * len(self._pow))
            self._pow = _power_table(_BASE, size)
            self._pow_inv = _power_table(_BASE_INV, size)
        return self._pow[:length], self._pow_inv[:length]

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw n-gram counts per post (rows) and bucket (columns), for cleaned posts."""
        config = self.config
        n_docs = len(texts)
        if n_docs == 0:
            return sp.csr_matrix((0, config.n_features), dtype=np.float32)
        # Each post becomes " w1 w2 ... " (padded) and posts are joined by NUL, which no window
        # may contain. Code points as uint64; all arithmetic below wraps modulo 2**64.
        joined = "\0".join(f" {t} " for t in texts)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        length = len(codes)
        lengths = np.fromiter((len(t) + 3 for t in texts), dtype=np.int64, count=n_docs)  # +2 pad, +1 NUL
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)[:length]
        power, power_inv = self._powers(length)
        prefix = np.zeros(length + 1, dtype=np.uint64)
        np.cumsum(codes * power_inv, out=prefix[1:])
        is_space = codes == 32
        is_nul = codes == 0
        spaces = np.zeros(length + 1, dtype=np.int32)
        np.cumsum(is_space, out=spaces[1:])
        nuls = np.zeros(length + 1, dtype=np.int32)
        np.cumsum(is_nul, out=nuls[1:])

        rows: list[np.ndarray] = []
        buckets: list[np.ndarray] = []
        for n in range(config.min_n, config.max_n + 1):
            if n > length:
                break
            start = np.arange(length - n + 1)
            end = start + n
            ok = nuls[end] == nuls[start]
            if n >= 3:  # a space may only be the first or last character (word padding)
                ok &= spaces[end - 1] == spaces[start + 1]
            elif n == 1:
                ok &= ~is_space
            else:  # n == 2: only an empty post's padding is two spaces
                ok &= ~(is_space[start] & is_space[start + 1])
            start = start[ok]
            key = (prefix[start + n] - prefix[start]) * power[start]
            key ^= np.uint64((n * _SALT_CHAR) & _MASK)
            rows.append(doc_of[start])
            buckets.append(_fmix_array(key))
        if config.word_ngrams:
            # A word runs from after a space to before the next space or NUL.
            boundary = np.flatnonzero(is_space | is_nul)
            word_start = boundary[:-1] + 1
            word_end = boundary[1:]
            real = word_end > word_start
            word_start, word_end = word_start[real], word_end[real]
            word_hash = (prefix[word_end] - prefix[word_start]) * power[word_start]
            word_doc = doc_of[word_start]
            rows.append(word_doc)
            buckets.append(_fmix_array(word_hash ^ np.uint64(_SALT_WORD)))
            if config.word_ngrams >= 2 and len(word_hash) > 1:
                same_doc = word_doc[1:] == word_doc[:-1]
                pair = (word_hash[:-1][same_doc] * np.uint64(_PAIR_MULT) + word_hash[1:][same_doc]) ^ np.uint64(_SALT_PAIR)
                rows.append(word_doc[:-1][same_doc])
                buckets.append(_fmix_array(pair))
        row = np.concatenate(rows)
        column = (np.concatenate(buckets) >> self._shift).astype(np.int32)
        data = np.ones(len(row), dtype=np.float32)
        matrix = sp.csr_matrix((data, (row, column)), shape=(n_docs, config.n_features), dtype=np.float32)
        matrix.sum_duplicates()
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Unit-length ``1 + log(count)`` vectors of cleaned posts; an empty post is all zeros."""
        matrix = self.counts(texts)
        return weigh(matrix)


def weigh(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Sublinear term frequency (``1 + log(count)``) and unit length per row, in place."""
    np.log(counts.data, out=counts.data)
    counts.data += 1.0
    row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=counts.data.astype(np.float64) ** 2, minlength=counts.shape[0]))
    norms[norms == 0] = 1.0
    counts.data /= norms[row_of].astype(np.float32)
    return counts


def weigh_reference(counts: Counter[int]) -> dict[int, float]:
    """:func:`weigh` for one post's bucket counts, in plain Python."""
    weights = {bucket: 1.0 + math.log(count) for bucket, count in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {bucket: w / norm for bucket, w in weights.items()}
