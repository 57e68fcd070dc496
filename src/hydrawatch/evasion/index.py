"""An inverted index from blocking-key hashes to row numbers, in sorted numpy arrays.

Millions of keys take 16 bytes each (an int64 hash and an int64 row), lookups are binary
searches that numpy runs for a whole batch at once, and new keys go to a small buffer that is
merged when it grows, so adding one account is cheap. :class:`BruteForceIndex` is the plain
reference it is tested against.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

#: Keys held by more rows than this are stop-keys, skipped by the online matcher and by batch
#: blocking alike (the benchmark passes the same value to both). Measured on 1M synthetic
#: suspended identities (benchmarks/returnee_matching.py, 2k queries): uncapped, recall@10 of
#: mutated handles 100 % with CPU p99 36 ms; 5000 -> 98.3 %, 7.0 ms; 2000 -> 96.3 %, 5.2 ms;
#: 500 -> 93.1 %, 3.4 ms (digit increments of very common stems are what a cap loses).
MAX_POSTINGS = 2000


class KeyIndex:
    """``add(row, hashes)`` then ``lookup(hashes)`` -> rows sharing any of them."""

    MERGE_EVERY = 50_000

    def __init__(self) -> None:
        self.hashes_ = np.zeros(0, dtype=np.int64)
        self.rows_ = np.zeros(0, dtype=np.int64)
        self._pending_hashes: list[np.ndarray] = []
        self._pending_rows: list[np.ndarray] = []
        self._pending = 0

    def __len__(self) -> int:
        return len(self.hashes_) + self._pending

    def add(self, row: int, hashes: np.ndarray) -> None:
        if len(hashes):
            self._pending_hashes.append(np.asarray(hashes, dtype=np.int64))
            self._pending_rows.append(np.full(len(hashes), row, dtype=np.int64))
            self._pending += len(hashes)
            if self._pending >= self.MERGE_EVERY:
                self.merge()

    def add_many(self, rows: np.ndarray, hashes: np.ndarray) -> None:
        """Add (row, hash) pairs in bulk (same length arrays)."""
        if len(hashes):
            self._pending_hashes.append(np.asarray(hashes, dtype=np.int64))
            self._pending_rows.append(np.asarray(rows, dtype=np.int64))
            self._pending += len(hashes)
            self.merge()

    def merge(self) -> None:
        if not self._pending:
            return
        hashes = np.concatenate([self.hashes_, *self._pending_hashes])
        rows = np.concatenate([self.rows_, *self._pending_rows])
        order = np.lexsort((rows, hashes))
        hashes, rows = hashes[order], rows[order]
        # a row listed twice under one key is one posting
        distinct = np.ones(len(hashes), dtype=bool)
        distinct[1:] = (hashes[1:] != hashes[:-1]) | (rows[1:] != rows[:-1])
        self.hashes_, self.rows_ = hashes[distinct], rows[distinct]
        self._pending_hashes, self._pending_rows, self._pending = [], [], 0

    def lookup(self, hashes: np.ndarray, max_postings: int | None = None) -> np.ndarray:
        """Distinct rows that share at least one key. Keys with more than ``max_postings``
        rows (keys everybody has) are skipped."""
        if max_postings is not None:
            self.merge()  # posting counts must include the pending buffer
        found = [self._lookup_sorted(np.asarray(hashes, dtype=np.int64), max_postings)]
        for pending_hashes, pending_rows in zip(self._pending_hashes, self._pending_rows):
            found.append(pending_rows[np.isin(pending_hashes, hashes)])
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def lookup_pairs(self, query_rows: np.ndarray, query_hashes: np.ndarray, max_postings: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For many queries at once: (query_row, indexed_row) pairs sharing a key, distinct."""
        self.merge()
        left = np.searchsorted(self.hashes_, query_hashes, side="left")
        right = np.searchsorted(self.hashes_, query_hashes, side="right")
        counts = right - left
        if max_postings is not None:
            counts = np.where(counts > max_postings, 0, counts)
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        repeated_queries = np.repeat(np.asarray(query_rows, dtype=np.int64), counts)
        starts = np.repeat(left, counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        hits = self.rows_[starts + offsets]
        pairs = np.unique(np.stack([repeated_queries, hits], axis=1), axis=0)
        return pairs[:, 0], pairs[:, 1]

    def _lookup_sorted(self, hashes: np.ndarray, max_postings: int | None) -> np.ndarray:
        left = np.searchsorted(self.hashes_, hashes, side="left")
        right = np.searchsorted(self.hashes_, hashes, side="right")
        pieces = [self.rows_[a:b] for a, b in zip(left.tolist(), right.tolist()) if b > a and (max_postings is None or b - a <= max_postings)]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)

    def nbytes(self) -> int:
        return self.hashes_.nbytes + self.rows_.nbytes + sum(a.nbytes for a in self._pending_hashes + self._pending_rows)

    def state(self) -> dict[str, np.ndarray]:
        self.merge()
        return {"hashes": self.hashes_, "rows": self.rows_}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> KeyIndex:
        index = cls()
        index.hashes_ = np.asarray(state["hashes"], dtype=np.int64)
        index.rows_ = np.asarray(state["rows"], dtype=np.int64)
        return index


class BruteForceIndex:
    """The obvious dict-of-sets version, kept as the test oracle for KeyIndex."""

    def __init__(self) -> None:
        self._rows: defaultdict[int, set[int]] = defaultdict(set)

    def add(self, row: int, hashes: np.ndarray) -> None:
        for key in np.asarray(hashes).tolist():
            self._rows[key].add(row)

    def lookup(self, hashes: np.ndarray, max_postings: int | None = None) -> np.ndarray:
        found: set[int] = set()
        for key in np.asarray(hashes).tolist():
            rows = self._rows.get(key, set())
            if max_postings is None or len(rows) <= max_postings:
                found |= rows
        return np.array(sorted(found), dtype=np.int64)
