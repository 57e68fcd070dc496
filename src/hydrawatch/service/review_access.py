"""The review database as request threads use it: one SQLite connection per thread (a
connection shared across threads would interleave their transactions), opened on first use
and closed when the app stops."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Users


class _RequestReviewStore(ReviewStore):
    """A ReviewStore whose connection skips the schema script: the schema was made once when
    the app started, and the script takes the write lock, which a batch job writing cases may
    hold (reads do not wait for it in WAL mode)."""

    def open(self) -> ReviewStore:
        if self._con is None:
            self._con = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self._con.row_factory = sqlite3.Row
        return self


class ReviewAccess:
    def __init__(self, path: Path, hasher=None):
        self.path = path
        self.hasher = hasher
        self._local = threading.local()
        self._opened: list[ReviewStore] = []
        self._lock = threading.Lock()
        with ReviewStore(path) as review:  # create or migrate once, before any request
            Users(review, hasher)

    def review(self) -> ReviewStore:
        store = getattr(self._local, "review", None)
        if store is None:
            store = _RequestReviewStore(self.path).open()
            self._local.review = store
            with self._lock:
                self._opened.append(store)
        return store

    def users(self) -> Users:
        users = getattr(self._local, "users", None)
        if users is None:
            users = Users(self.review(), self.hasher, migrate=False)
            self._local.users = users
        return users

    def close(self) -> None:
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()
        self._local = threading.local()
