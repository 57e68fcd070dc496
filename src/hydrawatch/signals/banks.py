"""Known-content banks: hash lists of propaganda already identified elsewhere, and matching a
store's pictures and posts against them.

Two signal types, with stable registry names (stored in bank files; never renamed):

``pdq``
    PDQ picture hashes in ThreatExchange/GIFCT hex (:mod:`.media`), matched by Hamming
    distance, default threshold 31 of 256 bits (ThreatExchange's).
``text_minhash``
    MinHash signatures of a post's text, for near-duplicates: the same release statement
    re-posted with a different link, a word changed, a hashtag added.

MinHash
-------
A text becomes the set of its character 5-grams ("shingles") after the content classifier's
cleaning (:func:`.content_features.clean_post`: no links, mentions, digits or punctuation,
Arabic folded), so a copy with other links or emoji is still the same text. Each shingle is
hashed (CRC-32) and passed through ``num_perm`` random affine maps ``(a * x + b) mod p`` (p the
Mersenne prime 2**61 - 1), keeping each map's minimum. Two signatures agree in a position with
probability equal to the Jaccard similarity of the two shingle sets, so the share of equal
positions estimates it with standard error ``sqrt(J (1 - J) / num_perm)``: about 0.035 at
J = 0.8 with the default 128. More permutations give a tighter estimate and cost linearly.

The fast index (:class:`MinHashIndex`) cuts a signature into ``bands`` of ``rows`` positions and
looks up each band exactly (LSH). With 32 bands of 4 rows, two signatures that differ in fewer
than 32 positions share at least one whole band, so every pair at estimated similarity above
1 - 31/128 = 0.758 is *always* found: with the default threshold of 0.8 the index returns exactly
what brute force (:func:`match_text_reference`) returns. Lower thresholds still work, with a
small chance of missing a pair (the tests check what the index returns against brute force).

Bank files
----------
A bank is a tab-separated file (``signal_type``, ``signal_value``, ``tags``, ``source``) that
``hydrawatch banks import`` appends to. It reads:

* CSV or TSV with a header naming the type and value columns (``signal_type``/``type`` and
  ``signal_value``/``signal``/``hash``/``value``; optional ``tags``/``label``), as ThreatExchange
  and Hasher-Matcher-Actioner exports have them; type names ``pdq``, ``text_minhash``, and
  ``text`` (raw text: hashed on import, the text itself is not stored);
* a plain list of PDQ hex hashes, one per line (optionally followed by a comma and tags).
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hydrawatch.core.errors import BadRecordError, ConfigError

from .content_features import clean_post
from .media import DEFAULT_THRESHOLD as PDQ_THRESHOLD
from .media import PdqIndex, hamming, hex_to_bits

__all__ = [
    "Bank", "BankEntry", "MinHasher", "MinHashIndex", "PDQ", "TEXT_MINHASH", "match_text_reference", "read_hash_list",
]

PDQ = "pdq"
TEXT_MINHASH = "text_minhash"
SIGNAL_TYPES = (PDQ, TEXT_MINHASH)
VERSION = "banks-1"
#: Estimated Jaccard similarity of shingle sets from which two texts are the same content.
DEFAULT_TEXT_THRESHOLD = 0.8
#: Texts with fewer cleaned characters than this are not hashed: too short to be known content.
MIN_TEXT_CHARS = 40
_MERSENNE = (1 << 61) - 1
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class MinHasher:
    """MinHash signatures of texts (see the module docstring for the maths).

    ``num_perm``: signature length (more: tighter estimate, linear cost). ``shingle``: characters
    per shingle; 5 suits short posts in Arabic and English. ``seed`` fixes the permutations: two
    signatures are only comparable if made with the same ``num_perm``, ``shingle`` and ``seed``,
    which :attr:`version` records.
    """

    def __init__(self, num_perm: int = 128, shingle: int = 5, seed: int = 1):
        if num_perm < 16 or num_perm % 8:
            raise ConfigError(f"num_perm must be a multiple of 8 and at least 16, not {num_perm} (128 is a good default)")
        if not 2 <= shingle <= 12:
            raise ConfigError(f"shingle must be between 2 and 12 characters, not {shingle}")
        self.num_perm = num_perm
        self.shingle = shingle
        self.seed = seed
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, 1 << 32, size=num_perm, dtype=np.uint64)
        self._b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64)

    @property
    def version(self) -> str:
        return f"minhash-{self.num_perm}-{self.shingle}-{self.seed}"

    def shingles(self, text: str | None) -> set[int]:
        """CRC-32 of every character shingle of the cleaned text (empty when too short)."""
        cleaned = clean_post(text).text
        if len(cleaned) < MIN_TEXT_CHARS:
            return set()
        k = self.shingle
        return {zlib.crc32(cleaned[i : i + k].encode()) for i in range(len(cleaned) - k + 1)}

    def signature(self, text: str | None) -> np.ndarray | None:
        """uint32 signature of ``num_perm`` values, or None for a text too short to hash."""
        hashed = self.shingles(text)
        if not hashed:
            return None
        x = np.fromiter(hashed, dtype=np.uint64, count=len(hashed))
        # a, x < 2**32, so a * x < 2**64: no overflow before the modulus.
        values = ((np.outer(self._a, x) % np.uint64(_MERSENNE)) + self._b[:, None]) % np.uint64(_MERSENNE)
        return (values.min(axis=1) & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        """Estimated Jaccard similarity: the share of equal positions."""
        return float(np.mean(a == b))

    @staticmethod
    def to_hex(signature: np.ndarray) -> str:
        return signature.astype(">u4").tobytes().hex()

    def from_hex(self, value: str) -> np.ndarray:
        value = value.strip().lower()
        if len(value) != 8 * self.num_perm or not _HEX.match(value):
            raise BadRecordError(f"a {self.version} signature is {8 * self.num_perm} hex digits, got {len(value)}")
        return np.frombuffer(bytes.fromhex(value), dtype=">u4").astype(np.uint32)


def match_text_reference(query: np.ndarray, bank: Sequence[np.ndarray], threshold: float = DEFAULT_TEXT_THRESHOLD) -> list[tuple[int, float]]:
    """Brute force: every bank position at estimated similarity >= threshold (the oracle)."""
    found = [(i, MinHasher.similarity(query, item)) for i, item in enumerate(bank)]
    return [(i, s) for i, s in found if s >= threshold]


class MinHashIndex:
    """LSH over signatures: ``bands`` x ``rows`` must equal the signature length."""

    def __init__(self, num_perm: int = 128, bands: int = 32):
        if num_perm % bands:
            raise ConfigError(f"bands ({bands}) must divide num_perm ({num_perm}); 32 bands of 4 rows suit 128")
        self.bands = bands
        self.rows = num_perm // bands
        self._tables: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]
        self._signatures: list[np.ndarray] = []
        self._ids: list[object] = []

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, signature: np.ndarray, item_id: object) -> None:
        position = len(self._ids)
        self._signatures.append(signature)
        self._ids.append(item_id)
        for band, table in enumerate(self._tables):
            table.setdefault(signature[band * self.rows : (band + 1) * self.rows].tobytes(), []).append(position)

    def query(self, signature: np.ndarray, threshold: float = DEFAULT_TEXT_THRESHOLD) -> list[tuple[object, float]]:
        """``(item_id, estimated similarity)`` at or above ``threshold``, most similar first."""
        candidates: set[int] = set()
        for band, table in enumerate(self._tables):
            candidates.update(table.get(signature[band * self.rows : (band + 1) * self.rows].tobytes(), ()))
        found = [(self._ids[i], MinHasher.similarity(signature, self._signatures[i])) for i in candidates]
        return sorted(((i, s) for i, s in found if s >= threshold), key=lambda pair: -pair[1])


# --- bank entries and files -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankEntry:
    """One known item: its signal type, value (PDQ hex or MinHash hex), tags and source."""

    signal_type: str
    signal_value: str
    tags: str = ""
    source: str = ""


def _normalise(signal_type: str, value: str, hasher: MinHasher) -> tuple[str, str] | None:
    signal_type = signal_type.strip().lower().replace("-", "_")
    value = value.strip()
    if signal_type in ("pdq", "photo_pdq", "pdq_hash"):
        hex_to_bits(value)  # raises BadRecordError with a how-to-fix message
        return PDQ, value.lower()
    if signal_type in (TEXT_MINHASH, "minhash"):
        hasher.from_hex(value)
        return TEXT_MINHASH, value.lower()
    if signal_type in ("text", "raw_text"):
        signature = hasher.signature(value)
        return None if signature is None else (TEXT_MINHASH, MinHasher.to_hex(signature))
    raise BadRecordError(f"unknown signal type {signal_type!r}; use pdq, text_minhash or text")


_TYPE_COLUMNS = ("signal_type", "type", "hash_type")
_VALUE_COLUMNS = ("signal_value", "signal", "hash", "value", "hash_value")
_TAG_COLUMNS = ("tags", "label", "labels", "tag")


def read_hash_list(path: Path, hasher: MinHasher | None = None) -> tuple[list[BankEntry], list[str]]:
    """Entries of a hash list (formats in the module docstring) and problems by line. Never
    raises on a bad line; raises ConfigError when the file has no recognisable layout."""
    hasher = hasher or MinHasher()
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return [], []
    delimiter = "\t" if "\t" in lines[0] else ","
    first = [c.strip().lower() for c in lines[0].split(delimiter)]
    entries: list[BankEntry] = []
    problems: list[str] = []
    source = Path(path).name
    if any(c in _VALUE_COLUMNS for c in first):
        reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
        columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
        type_col = next((columns[c] for c in _TYPE_COLUMNS if c in columns), None)
        value_col = next(columns[c] for c in _VALUE_COLUMNS if c in columns)
        tag_col = next((columns[c] for c in _TAG_COLUMNS if c in columns), None)
        rows: Iterator[tuple[int, str, str, str]] = (
            (n, (row.get(type_col) or "") if type_col else PDQ, row.get(value_col) or "", (row.get(tag_col) or "") if tag_col else "")
            for n, row in enumerate(reader, start=2)
        )
    else:
        if not _HEX.match(first[0]) or len(first[0]) != 64:
            raise ConfigError(f"{path}: not a hash list. Give a CSV/TSV with a header (signal_type, signal_value[, tags]) "
                              "or one PDQ hex hash (64 digits) per line")
        rows = ((n, PDQ, line.split(delimiter)[0], ",".join(line.split(delimiter)[1:])) for n, line in enumerate(lines, start=1))
    for line_number, signal_type, value, tags in rows:
        try:
            normalised = _normalise(signal_type, value, hasher)
        except BadRecordError as exc:
            problems.append(f"{source}:{line_number}: {exc}")
            continue
        if normalised is None:
            problems.append(f"{source}:{line_number}: text too short to hash (under {MIN_TEXT_CHARS} letters after cleaning)")
            continue
        entries.append(BankEntry(normalised[0], normalised[1], tags.strip(), source))
    return entries, problems


BANK_COLUMNS = ("signal_type", "signal_value", "tags", "source")


class Bank:
    """Known items of both types, with their indexes. ``load``/``save`` use the bank's TSV file."""

    def __init__(self, entries: Iterable[BankEntry] = (), hasher: MinHasher | None = None):
        self.hasher = hasher or MinHasher()
        self.entries: list[BankEntry] = []
        self._keys: set[tuple[str, str]] = set()
        self.add(entries)

    def add(self, entries: Iterable[BankEntry]) -> int:
        """Add entries not already in the bank; returns how many were new."""
        added = 0
        for entry in entries:
            key = (entry.signal_type, entry.signal_value)
            if key not in self._keys:
                self._keys.add(key)
                self.entries.append(entry)
                added += 1
        self._pdq = self._text = None
        return added

    def counts(self) -> dict[str, int]:
        return {t: sum(1 for e in self.entries if e.signal_type == t) for t in SIGNAL_TYPES}

    @classmethod
    def load(cls, path: Path) -> Bank:
        path = Path(path)
        if not path.exists():
            return cls()
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream, delimiter="\t")
            if tuple(reader.fieldnames or ()) != BANK_COLUMNS:
                raise ConfigError(f"{path} is not a hydrawatch bank (columns {', '.join(BANK_COLUMNS)}); import hash lists with: hydrawatch banks import FILE")
            return cls(BankEntry(r["signal_type"], r["signal_value"], r["tags"] or "", r["source"] or "") for r in reader)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter="\t", lineterminator="\n")
            writer.writerow(BANK_COLUMNS)
            writer.writerows((e.signal_type, e.signal_value, e.tags, e.source) for e in self.entries)

    # --- matching ------------------------------------------------------------------------------

    def _pdq_index(self) -> PdqIndex:
        if self._pdq is None:
            self._pdq = PdqIndex()
            for position, entry in enumerate(self.entries):
                if entry.signal_type == PDQ:
                    self._pdq.add(entry.signal_value, position)
            self._pdq.build()
        return self._pdq

    def _text_index(self) -> MinHashIndex:
        if self._text is None:
            self._text = MinHashIndex(self.hasher.num_perm)
            for position, entry in enumerate(self.entries):
                if entry.signal_type == TEXT_MINHASH:
                    self._text.add(self.hasher.from_hex(entry.signal_value), position)
        return self._text

    def match_pdq(self, pdq_hex: str, threshold: int = PDQ_THRESHOLD) -> list[tuple[BankEntry, int]]:
        """Bank entries within ``threshold`` bits of a picture's PDQ hash, nearest first."""
        found = self._pdq_index().query(pdq_hex, threshold) if self.counts()[PDQ] else []
        return [(self.entries[int(position)], distance) for position, distance in sorted(found, key=lambda p: p[1])]

    def match_text(self, text: str | None, threshold: float = DEFAULT_TEXT_THRESHOLD) -> list[tuple[BankEntry, float]]:
        """Bank entries whose text is a near-duplicate of ``text`` (estimated Jaccard >= threshold)."""
        if not self.counts()[TEXT_MINHASH]:
            return []
        signature = self.hasher.signature(text)
        if signature is None:
            return []
        return [(self.entries[int(position)], s) for position, s in self._text_index().query(signature, threshold)]

    def match_pdq_reference(self, pdq_hex: str, threshold: int = PDQ_THRESHOLD) -> list[tuple[BankEntry, int]]:
        """Brute force over every PDQ entry (the oracle of :meth:`match_pdq`)."""
        found = [(e, hamming(pdq_hex, e.signal_value)) for e in self.entries if e.signal_type == PDQ]
        return sorted(((e, d) for e, d in found if d <= threshold), key=lambda p: p[1])
