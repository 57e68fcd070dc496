"""An inverted index from blocking-key hashes to row numbers, in sorted numpy arrays.

Millions of keys take 24 bytes each (an int64 hash, an int64 row and a float64 time), lookups
are binary searches that numpy runs for a whole batch at once, and new keys go to a small
buffer that is merged when it grows, so adding one account is cheap. :class:`BruteForceIndex`
is the plain reference it is tested against.

Each posting carries a time (for the online matcher, when the identity was suspended), and
the postings of one key are sorted by it. A lookup limited to a time range binary-searches
that range inside each key, so a key held by 20,000 identities over a year costs only the
~1,700 of them suspended in the last 30 days, and the stop-key cap counts those, not the year.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Keys held by more rows than this are stop-keys, skipped by batch blocking (the benchmark's
#: default ``--max-postings``): digit increments of very common stems are what a cap loses.
MAX_POSTINGS = 2000

#: The online matcher's stop-key cap, counted on the postings inside the query's time window
#: (30 days of a year's suspensions: the same 2000 skipped keys held by ~24,000 identities when
#: it counted all of them). Measured on 1M synthetic suspended identities, 5k queries, CPU time
#: on a machine at load 5-7 (benchmarks/returnee_matching.py world, cap in window): 2000 ->
#: recall@10 97.7 %, CPU p99 3.3 ms; uncapped -> 99.8 %, 4.9-5.4 ms. The old cap on all
#: postings: 2000 -> 96.3 %; uncapped 100 % at p99 38 ms.
ONLINE_MAX_POSTINGS = 2000

_EMPTY = np.zeros(0, dtype=np.int64)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a 1-D array: np.unique's result, by one sort. (numpy 2.3+'s
    np.unique goes through a hash table first, 6x slower on the 4.5M candidate pairs of a
    10,000-account batch.)"""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


_FILTER_BITS = 24  # a 16 MB table of the keys' low bits: 10,000 handles' ~160,000 keys fill 1 %
_LOW_BITS = np.int64((1 << _FILTER_BITS) - 1)


class KeyFilter:
    """Which hashes are among some sorted distinct keys. With ``table``, a table of the keys'
    low bits turns most other hashes away before the binary search: worth its 16 MB when many
    hashes are asked about, or when one filter serves many pieces (``handle_key_hashes(only=)``)."""

    def __init__(self, keys: np.ndarray, table: bool = True) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.table: np.ndarray | None = None
        if table and 0 < len(self.keys) < (1 << _FILTER_BITS) // 8:
            self.table = np.zeros(1 << _FILTER_BITS, dtype=bool)
            self.table[self.keys & _LOW_BITS] = True

    def positions(self, hashes: np.ndarray) -> np.ndarray:
        """Positions of the ``hashes`` that are among the keys."""
        hashes = np.asarray(hashes, dtype=np.int64)
        if not len(self.keys) or not len(hashes):
            return np.zeros(0, dtype=np.int64)
        maybe = np.flatnonzero(self.table[hashes & _LOW_BITS]) if self.table is not None else np.arange(len(hashes))
        candidates = hashes[maybe]
        at = np.minimum(np.searchsorted(self.keys, candidates), len(self.keys) - 1)
        return maybe[self.keys[at] == candidates]


def among(hashes: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions of the ``hashes`` that are among the sorted distinct ``keys`` (15.8M hashes
    against 160,000 keys: 0.4 s); the low-bits table only when there are many more hashes than keys."""
    return KeyFilter(keys, table=len(hashes) > 16 * len(keys)).positions(hashes)


def shared_key_pairs(query_rows: np.ndarray, query_hashes: np.ndarray, rows: np.ndarray, hashes: np.ndarray,
                     max_postings: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``KeyIndex`` of (rows, hashes), then ``lookup_pairs`` of the queries: the same pairs, but
    only the postings of keys some query has are indexed (a key's cap counts all its postings
    either way), so 10,000 queries against 1M handles sort 1.8M postings instead of 15.8M."""
    kept = among(hashes, distinct(np.asarray(query_hashes, dtype=np.int64)))
    index = KeyIndex()
    index.add_many(np.asarray(rows, dtype=np.int64)[kept], np.asarray(hashes, dtype=np.int64)[kept])
    return index.lookup_pairs(query_rows, query_hashes, max_postings)


#: Postings from which :func:`_sorted_postings` sorts in parts (below it one sort is quicker).
PARALLEL_SORT_FROM = 1_000_000
_PART_BITS = 4  # 16 parts by the top bits of the hash: cache-sized sorts, shared among threads


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # a process pinned to one core gets one thread
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _sorted_postings(hashes: np.ndarray, rows: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The postings sorted by (hash, time, row). A large index is first split by the top bits of
    the hash (a radix pass), then the parts are sorted apart, in threads on several cores (numpy
    sorts without the GIL): 15.8M postings of 1M handles, 1.6 s on 2 cores, 2.3 s on one,
    instead of 2.8 s for one lexsort and its gathers."""
    timed = bool(times.any())
    if len(hashes) < PARALLEL_SORT_FROM:
        order = np.lexsort((rows, times, hashes)) if timed else np.lexsort((rows, hashes))
        return hashes[order], rows[order], times[order]
    # the top bits of the hash with the sign flipped number the parts in ascending hash order
    part_of = ((hashes.view(np.uint64) >> np.uint64(64 - _PART_BITS)) ^ np.uint64(1 << (_PART_BITS - 1))).astype(np.uint8)
    by_part = np.argsort(part_of, kind="stable")  # a radix sort on one byte
    bounds = np.concatenate(([0], np.cumsum(np.bincount(part_of, minlength=1 << _PART_BITS)))).tolist()
    del part_of
    columns = [hashes[by_part], rows[by_part]] + ([times[by_part]] if timed else [])
    del by_part

    def sort_part(part: int) -> None:
        piece = slice(bounds[part], bounds[part + 1])
        part_hashes, part_rows = columns[0][piece], columns[1][piece]
        order = np.lexsort((part_rows, columns[2][piece], part_hashes)) if timed else np.lexsort((part_rows, part_hashes))
        for column in columns:
            column[piece] = column[piece][order]

    with ThreadPoolExecutor(min(_usable_cores(), 4)) as pool:
        list(pool.map(sort_part, range(1 << _PART_BITS)))
    return columns[0], columns[1], columns[2] if timed else np.zeros(len(hashes))


class KeyIndex:
    """``add(row, hashes, time)`` then ``lookup(hashes, since=, until=)`` -> rows sharing any
    of them whose posting time lies in [since, until]."""

    MERGE_EVERY = 50_000

    def __init__(self) -> None:
        self.hashes_ = np.zeros(0, dtype=np.int64)
        self.rows_ = np.zeros(0, dtype=np.int64)
        self.times_ = np.zeros(0, dtype=np.float64)
        self._pending_hashes: list[np.ndarray] = []
        self._pending_rows: list[np.ndarray] = []
        self._pending_times: list[np.ndarray] = []
        self._pending = 0
        self._pending_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.hashes_) + self._pending

    def add(self, row: int, hashes: np.ndarray, time: float = 0.0) -> None:
        if len(hashes):
            self.add_many(np.full(len(hashes), row, dtype=np.int64), hashes, np.full(len(hashes), time, dtype=np.float64), merge=False)

    def add_many(self, rows: np.ndarray, hashes: np.ndarray, times: np.ndarray | None = None, merge: bool = True) -> None:
        """Add (row, hash, time) postings in bulk (same length arrays; times default to 0)."""
        if not len(hashes):
            return
        self._pending_hashes.append(np.asarray(hashes, dtype=np.int64))
        self._pending_rows.append(np.asarray(rows, dtype=np.int64))
        self._pending_times.append(np.zeros(len(hashes)) if times is None else np.asarray(times, dtype=np.float64))
        self._pending += len(hashes)
        self._pending_arrays = None
        if merge or self._pending >= self.MERGE_EVERY:
            self.merge()

    def merge(self) -> None:
        if not self._pending:
            return
        hashes = np.concatenate([self.hashes_, *self._pending_hashes])
        rows = np.concatenate([self.rows_, *self._pending_rows])
        times = np.concatenate([self.times_, *self._pending_times])
        hashes, rows, times = _sorted_postings(hashes, rows, times)
        # a row listed twice under one key (at one time) is one posting
        repeated = (hashes[1:] == hashes[:-1]) & (rows[1:] == rows[:-1]) & (times[1:] == times[:-1])
        if repeated.any():
            keep = np.concatenate(([True], ~repeated))
            hashes, rows, times = hashes[keep], rows[keep], times[keep]
        self.hashes_, self.rows_, self.times_ = hashes, rows, times
        self._pending_hashes, self._pending_rows, self._pending_times, self._pending = [], [], [], 0
        self._pending_arrays = None

    def lookup(self, hashes: np.ndarray, max_postings: int | None = None, since: float | None = None,
               until: float | None = None) -> np.ndarray:
        """Distinct rows that share at least one key, at a time within [since, until] (either
        end open when None). Keys with more than ``max_postings`` such postings (keys everybody
        has) are skipped."""
        found = self.lookup_each(hashes, max_postings, since, until)
        if not found:
            return np.zeros(0, dtype=np.int64)
        return distinct(np.concatenate(found) if len(found) > 1 else found[0])

    def lookup_each(self, hashes: np.ndarray, max_postings: int | None = None, since: float | None = None,
                    until: float | None = None) -> list[np.ndarray]:
        """As :meth:`lookup`, the rows of each given key apart (in the order given, possibly
        repeated, nothing for a stop-key)."""
        hashes = np.asarray(hashes, dtype=np.int64)
        left, right = self._ranges(hashes, since, until)
        if self._pending:
            return self._lookup_with_pending(hashes, left, right, max_postings, since, until)
        counts = right - left
        usable = (counts > 0) & (counts <= max_postings) if max_postings is not None else counts > 0
        return [self.rows_[left[i] : right[i]] if usable[i] else _EMPTY for i in range(len(hashes))]

    def _ranges(self, keys: np.ndarray, since: float | None, until: float | None) -> tuple[np.ndarray, np.ndarray]:
        """[left, right) of each key's postings in the sorted arrays, narrowed to the time range."""
        left = np.searchsorted(self.hashes_, keys, side="left")
        right = np.searchsorted(self.hashes_, keys, side="right")
        if since is None and until is None:
            return left, right
        # one binary search per key for both ends: "first time > until" is "first time >= the
        # next float after until"
        bounds = np.array([-np.inf if since is None else since, np.inf if until is None else np.nextafter(until, np.inf)])
        for i in np.flatnonzero(right > left).tolist():
            start = int(left[i])
            low, high = np.searchsorted(self.times_[start : int(right[i])], bounds).tolist()  # sorted within a key
            left[i], right[i] = start + low, start + high
        return left, right

    def _lookup_with_pending(self, keys: np.ndarray, left: np.ndarray, right: np.ndarray, max_postings: int | None,
                             since: float | None, until: float | None) -> list[np.ndarray]:
        """The same, counting the unmerged postings too; postings are distinct (key, row, time)."""
        distinct_keys, key_at = np.unique(keys, return_inverse=True)
        first = np.zeros(len(distinct_keys), dtype=np.int64)
        first[key_at[::-1]] = np.arange(len(keys))[::-1]  # one range per distinct key
        left, right = left[first], right[first]
        counts = np.maximum(right - left, 0)
        key_of = np.repeat(np.arange(len(distinct_keys)), counts)
        positions = np.concatenate([np.arange(a, b) for a, b in zip(left.tolist(), right.tolist()) if b > a] or [_EMPTY])
        if self._pending_arrays is None:
            self._pending_arrays = (np.concatenate(self._pending_hashes), np.concatenate(self._pending_rows), np.concatenate(self._pending_times))
        pending_hashes, pending_rows, pending_times = self._pending_arrays
        found = np.isin(pending_hashes, distinct_keys)
        if since is not None:
            found &= pending_times >= since
        if until is not None:
            found &= pending_times <= until
        postings = np.stack([
            np.concatenate([key_of, np.searchsorted(distinct_keys, pending_hashes[found])]),
            np.concatenate([self.rows_[positions], pending_rows[found]]),
            np.concatenate([self.times_[positions], pending_times[found]]).view(np.int64),
        ], axis=1)
        postings = np.unique(postings, axis=0)  # sorted by key, then row
        per_key = np.bincount(postings[:, 0], minlength=len(distinct_keys))
        bounds = np.concatenate([[0], np.cumsum(per_key)])
        usable = per_key <= max_postings if max_postings is not None else np.ones(len(distinct_keys), dtype=bool)
        return [postings[bounds[k] : bounds[k + 1], 1] if usable[k] else _EMPTY for k in key_at.tolist()]

    def lookup_pairs(self, query_rows: np.ndarray, query_hashes: np.ndarray, max_postings: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For many queries at once: (query_row, indexed_row) pairs sharing a key, distinct
        (posting times are not looked at)."""
        self.merge()
        # sorted needles: each binary search starts where the last ended (3x fewer cache misses)
        by_hash = np.argsort(query_hashes)
        query_rows = np.asarray(query_rows, dtype=np.int64)[by_hash]
        query_hashes = np.asarray(query_hashes, dtype=np.int64)[by_hash]
        left = np.searchsorted(self.hashes_, query_hashes, side="left")
        right = np.searchsorted(self.hashes_, query_hashes, side="right")
        counts = right - left
        if max_postings is not None:
            counts = np.where(counts > max_postings, 0, counts)
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        repeated_queries = np.repeat(query_rows, counts)
        offsets = np.arange(total)
        offsets += np.repeat(left - (np.cumsum(counts) - counts), counts)  # start of its key's postings
        hits = self.rows_[offsets]
        # distinct pairs, sorted by query then row: one 1-D sort of query * span + row when it
        # fits in int64 (np.unique over rows of a 2-D array is several times slower)
        span = int(hits.max()) + 1
        if int(repeated_queries.max()) < np.iinfo(np.int64).max // span - 1 and repeated_queries.min() >= 0:
            combined = distinct(repeated_queries * span + hits)
            return combined // span, combined % span
        pairs = np.unique(np.stack([repeated_queries, hits], axis=1), axis=0)
        return pairs[:, 0], pairs[:, 1]

    def nbytes(self) -> int:
        pending = self._pending_hashes + self._pending_rows + self._pending_times
        return self.hashes_.nbytes + self.rows_.nbytes + self.times_.nbytes + sum(a.nbytes for a in pending)

    def state(self) -> dict[str, np.ndarray]:
        self.merge()
        return {"hashes": self.hashes_, "rows": self.rows_, "times": self.times_}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> KeyIndex:
        """The index saved by :meth:`state`. A state without ``times`` (saved before postings had
        times) gets time 0 everywhere; to give it times, ``add_many`` its postings with them instead."""
        index = cls()
        index.hashes_ = np.asarray(state["hashes"], dtype=np.int64)
        index.rows_ = np.asarray(state["rows"], dtype=np.int64)
        index.times_ = np.asarray(state["times"], dtype=np.float64) if "times" in state else np.zeros(len(index.hashes_))
        return index


class BruteForceIndex:
    """The obvious dict-of-sets version, kept as the test oracle for KeyIndex."""

    def __init__(self) -> None:
        self._postings: defaultdict[int, set[tuple[int, float]]] = defaultdict(set)

    def add(self, row: int, hashes: np.ndarray, time: float = 0.0) -> None:
        for key in np.asarray(hashes).tolist():
            self._postings[key].add((row, float(time)))

    def lookup(self, hashes: np.ndarray, max_postings: int | None = None, since: float | None = None,
               until: float | None = None) -> np.ndarray:
        found: set[int] = set()
        for key in set(np.asarray(hashes).tolist()):
            postings = [(row, time) for row, time in self._postings.get(key, set())
                        if (since is None or time >= since) and (until is None or time <= until)]
            if max_postings is None or len(postings) <= max_postings:
                found |= {row for row, _ in postings}
        return np.array(sorted(found), dtype=np.int64)
