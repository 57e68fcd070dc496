"""Data structures of the posting schedule: who is publicly visible when, recent posts to
pick references from, and the growing buffer of scheduled posts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import MS_PER_DAY, MS_PER_SECOND
from .kinds import GENERAL, NO_LINK, ORIGINAL
from .lifecycle import Timeline
from .population import AccountTable

_KEY_SHIFT = 42


class Visibility:
    """Whether an account's posts are public at a time: it exists, is not suspended or
    deleted, and is not in a gap (temporary suspension, deletion, protection)."""

    def __init__(self, table: AccountTable, timeline: Timeline, start_ms: int, end_ms: int) -> None:
        self.created = table.created_ms.copy()
        self.ends = np.minimum(table.end_ms, end_ms)
        self.start_ms = start_ms
        self.gaps = {account: sorted(spans) for account, spans in timeline.gaps.items()}
        self.has_gap = np.zeros(table.size, dtype=bool)
        if self.gaps:
            self.has_gap[np.fromiter(self.gaps, dtype=np.int64)] = True

    def mask(self, accounts: np.ndarray, times: np.ndarray) -> np.ndarray:
        accounts = np.asarray(accounts, dtype=np.int64)
        times = np.asarray(times, dtype=np.int64)
        visible = (times >= self.created[accounts]) & (times < self.ends[accounts]) & (times >= self.start_ms)
        for position in np.flatnonzero(visible & self.has_gap[accounts]).tolist():
            if self._in_gap(int(accounts[position]), int(times[position])):
                visible[position] = False
        return visible

    def at(self, account: int, time_ms: int) -> bool:
        if not (self.created[account] <= time_ms < self.ends[account] and time_ms >= self.start_ms):
            return False
        return not (self.has_gap[account] and self._in_gap(account, time_ms))

    def _in_gap(self, account: int, time_ms: int) -> bool:
        return any(start <= time_ms < end for start, end in self.gaps[account])


class TimePool:
    """Posts to reference, grouped by a key (a cell, or 0 for everyone), sorted by time.

    ``pick`` finds, for each requesting time, a post of the same key made between
    ``max_age_ms`` and one second before it, biased toward recent posts (``bias`` > 1 makes
    the most recent posts more likely, as retweets cluster right after the original)."""

    def __init__(self, posts: np.ndarray, times: np.ndarray, keys: np.ndarray | None, origin_ms: int) -> None:
        keys = np.zeros(posts.size, dtype=np.int64) if keys is None else np.asarray(keys, dtype=np.int64)
        self.origin_ms = origin_ms - 30 * MS_PER_DAY
        composite = (keys << _KEY_SHIFT) + (np.asarray(times, dtype=np.int64) - self.origin_ms)
        order = np.argsort(composite, kind="stable")
        self.posts = np.asarray(posts, dtype=np.int64)[order]
        self.composite = composite[order]

    def __len__(self) -> int:
        return int(self.posts.size)

    def pick(self, times: np.ndarray, keys: np.ndarray | None, max_age_ms: int, rng: np.random.Generator,
             bias: float = 2.0) -> np.ndarray:
        times = np.asarray(times, dtype=np.int64)
        if self.posts.size == 0 or times.size == 0:
            return np.full(times.size, -1, dtype=np.int64)
        keys = np.zeros(times.size, dtype=np.int64) if keys is None else np.asarray(keys, dtype=np.int64)
        base = keys << _KEY_SHIFT
        low = np.searchsorted(self.composite, base + (times - max_age_ms - self.origin_ms), side="left")
        high = np.searchsorted(self.composite, base + (times - MS_PER_SECOND - self.origin_ms), side="left")
        span = high - low
        offset = np.floor(rng.random(times.size) ** bias * span).astype(np.int64)
        position = np.clip(high - 1 - offset, 0, self.posts.size - 1)
        return np.where(span > 0, self.posts[position], -1)


@dataclass
class Posts:
    """The scheduled posts, sorted by time; ``ref`` indexes this same table."""

    time_ms: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    purpose: np.ndarray
    ref: np.ndarray
    target: np.ndarray
    link: np.ndarray
    release: np.ndarray
    photo: np.ndarray

    def __len__(self) -> int:
        return int(self.time_ms.size)


_COLUMNS: dict[str, tuple[type, int]] = {
    "time_ms": (np.int64, 0), "author": (np.int64, 0), "kind": (np.int8, ORIGINAL),
    "purpose": (np.int8, GENERAL), "ref": (np.int64, -1), "target": (np.int64, -1),
    "link": (np.int8, NO_LINK), "release": (np.int64, -1), "photo": (np.bool_, False),
}


class PostBuffer:
    """Batches of posts appended in any time order; ``ref`` values are buffer indices."""

    def __init__(self) -> None:
        self._batches: list[dict[str, np.ndarray]] = []
        self.size = 0

    def add(self, **columns: np.ndarray) -> int:
        """Append a batch; returns the buffer index of its first post."""
        count = int(np.asarray(columns["time_ms"]).size)
        batch = {}
        for name, (dtype, default) in _COLUMNS.items():
            value = columns.pop(name, None)
            batch[name] = np.full(count, default, dtype=dtype) if value is None else np.asarray(value, dtype=dtype)
        if columns:
            raise TypeError(f"unknown post columns {sorted(columns)}")
        first = self.size
        self._batches.append(batch)
        self.size += count
        return first

    def replace_column(self, name: str, values: np.ndarray) -> None:
        """Overwrite a whole column (buffer order) after resolving it."""
        offset = 0
        for batch in self._batches:
            size = batch[name].size
            batch[name] = np.asarray(values[offset : offset + size], dtype=_COLUMNS[name][0])
            offset += size

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([batch[name] for batch in self._batches]) if self._batches else np.zeros(0)

    def sorted_posts(self) -> tuple[Posts, np.ndarray]:
        """All posts sorted by time (ties in buffer order), and the map buffer index -> row."""
        columns = {name: self.column(name).astype(_COLUMNS[name][0]) for name in _COLUMNS}
        order = np.argsort(columns["time_ms"], kind="stable")
        row_of = np.empty(order.size, dtype=np.int64)
        row_of[order] = np.arange(order.size)
        sorted_columns = {name: values[order] for name, values in columns.items()}
        ref = sorted_columns["ref"]
        sorted_columns["ref"] = np.where(ref >= 0, row_of[np.maximum(ref, 0)], -1)
        return Posts(**sorted_columns), row_of
