"""Everything network-account scoring knows about a store's accounts, indexed by row.

:class:`AccountData` is built from the plain Arrow tables that
:mod:`hydrawatch.store.account_features` (and :func:`hydrawatch.store.edges.interaction_edges`,
:func:`hydrawatch.store.snapshots.ended_accounts`) read; it holds the interaction graph as one
sparse count matrix per kind of edge, the accounts' text documents, hashtag and link counts,
and the profile and activity columns. Nothing here knows what a seed is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from .links import KIND_NAMES, link_kind

EDGE_KINDS = ("repost", "quote", "reply", "mention", "follow")
MISSING = np.nan


def _seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Timestamps as float epoch seconds, NaN where null."""
    micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64())
    values = np.asarray(micros.to_numpy(zero_copy_only=False), dtype=object)
    return np.array([np.nan if v is None else v / 1e6 for v in values], dtype=np.float64)


def _column(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


@dataclass
class AccountData:
    """Accounts by row (``row_of[(platform, account_id)]``)."""

    platform: list[str]
    account_id: list[str]
    handle: list[str]
    display_name: list[str]
    bio: list[str]
    created_at: np.ndarray  # epoch seconds, NaN unknown
    first_seen_at: np.ndarray
    first_post_at: np.ndarray
    last_post_at: np.ndarray
    ever_protected: np.ndarray  # bool
    posts: np.ndarray  # int counts by kind
    originals: np.ndarray
    reposts: np.ndarray
    replies: np.ndarray
    quotes: np.ndarray
    followers_count: np.ndarray  # float, NaN unknown
    data_start: float  # first and last post in the store (epoch seconds, NaN without posts)
    data_end: float
    row_of: dict[tuple[str, str], int] = field(default_factory=dict)
    ended: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    end_kind: list[str | None] = field(default_factory=list)
    edges: dict[str, sparse.csr_matrix] = field(default_factory=dict)  # kind -> (n, n) counts, source row -> target row
    has_follows: bool = False
    original_text: list[str] = field(default_factory=list)  # recent original posts, one document per account
    directed_source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # replies and quotes
    directed_target: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    directed_text: list[str] = field(default_factory=list)
    hashtag_names: list[str] = field(default_factory=list)
    hashtags: sparse.csr_matrix | None = None  # (n, hashtags): posts using each
    link_counts: np.ndarray | None = None  # (n, len(KIND_NAMES)): own posts linking to each kind of destination

    def __len__(self) -> int:
        return len(self.account_id)

    @property
    def own_text(self) -> list[str]:
        """What an account says about itself and in its own voice: name, bio, original posts."""
        return [f"{name}\n{bio}\n{text}".strip() for name, bio, text in zip(self.display_name, self.bio, self.original_text)]

    def rows(self, keys) -> np.ndarray:
        """Rows of (platform, account_id) keys, unknown keys skipped."""
        row_of = self.row_of
        return np.array([row_of[k] for k in keys if k in row_of], dtype=np.int64)

    def label(self, row: int) -> str:
        return f"@{self.handle[row]}" if self.handle[row] else self.account_id[row]

    @classmethod
    def from_tables(
        cls,
        profiles: pa.Table,
        edges: pa.Table,
        originals: pa.Table,
        directed: pa.Table,
        hashtags: pa.Table,
        domains: pa.Table,
        ended: pa.Table,
        span: tuple = (None, None),
    ) -> AccountData:
        """Assemble from the store's tables (see :mod:`hydrawatch.store.account_features`)."""
        n = profiles.num_rows
        start, end = span
        data = cls(
            platform=_column(profiles, "platform"),
            account_id=_column(profiles, "account_id"),
            handle=[h or "" for h in _column(profiles, "handle")],
            display_name=[d or "" for d in _column(profiles, "display_name")],
            bio=[b or "" for b in _column(profiles, "bio")],
            created_at=_seconds(profiles.column("created_at")),
            first_seen_at=_seconds(profiles.column("first_seen_at")),
            first_post_at=_seconds(profiles.column("first_post_at")),
            last_post_at=_seconds(profiles.column("last_post_at")),
            ever_protected=np.asarray(profiles.column("ever_protected").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool),
            posts=_ints(profiles, "posts"),
            originals=_ints(profiles, "originals"),
            reposts=_ints(profiles, "reposts"),
            replies=_ints(profiles, "replies"),
            quotes=_ints(profiles, "quotes"),
            followers_count=np.array([np.nan if v is None else float(v) for v in _column(profiles, "followers_count")]),
            data_start=start.timestamp() if start is not None else np.nan,
            data_end=end.timestamp() if end is not None else np.nan,
        )
        data.row_of = {(p, a): i for i, (p, a) in enumerate(zip(data.platform, data.account_id))}
        data.ended = np.zeros(n, dtype=bool)
        data.end_kind = [None] * n
        for platform, account_id, kind in zip(_column(ended, "platform"), _column(ended, "account_id"), _column(ended, "end_kind")):
            row = data.row_of.get((platform, account_id))
            if row is not None:
                data.ended[row] = True
                data.end_kind[row] = kind
        data._attach_edges(edges)
        data._attach_texts(originals, directed)
        data._attach_hashtags(hashtags)
        data._attach_links(domains)
        return data

    # --- assembly -----------------------------------------------------------------------

    def _pairs(self, table: pa.Table, source: str, target: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of both ends of each table row; rows with an unknown end are dropped
        (returned mask says which were kept)."""
        row_of = self.row_of
        platforms = _column(table, "platform")
        sources = [row_of.get(k, -1) for k in zip(platforms, _column(table, source))]
        targets = [row_of.get(k, -1) for k in zip(platforms, _column(table, target))]
        s, t = np.array(sources, dtype=np.int64), np.array(targets, dtype=np.int64)
        keep = (s >= 0) & (t >= 0)
        return s, t, keep

    def _attach_edges(self, edges: pa.Table) -> None:
        n = len(self)
        s, t, keep = self._pairs(edges, "source", "target")
        kinds = np.array(_column(edges, "kind"), dtype=object)
        counts = np.asarray(edges.column("n").to_numpy(zero_copy_only=False), dtype=np.float64)
        for kind in EDGE_KINDS:
            mask = keep & (kinds == kind) if len(kinds) else np.zeros(0, dtype=bool)
            matrix = sparse.csr_matrix((counts[mask], (s[mask], t[mask])), shape=(n, n))
            matrix.sum_duplicates()
            self.edges[kind] = matrix
        self.has_follows = bool(self.edges["follow"].nnz)

    def _attach_texts(self, originals: pa.Table, directed: pa.Table) -> None:
        text = [""] * len(self)
        for platform, account_id, body in zip(_column(originals, "platform"), _column(originals, "account_id"), _column(originals, "text")):
            row = self.row_of.get((platform, account_id))
            if row is not None:
                text[row] = body or ""
        self.original_text = text
        s, t, keep = self._pairs(directed, "account_id", "target_account_id")
        self.directed_source, self.directed_target = s[keep], t[keep]
        bodies = _column(directed, "text")
        self.directed_text = [b or "" for b, k in zip(bodies, keep.tolist()) if k]

    def _attach_hashtags(self, hashtags: pa.Table) -> None:
        rows = [self.row_of.get(k, -1) for k in zip(_column(hashtags, "platform"), _column(hashtags, "account_id"))]
        names = _column(hashtags, "hashtag")
        index: dict[str, int] = {}
        columns = [index.setdefault(name, len(index)) for name in names]
        r = np.array(rows, dtype=np.int64)
        c = np.array(columns, dtype=np.int64)
        counts = np.asarray(hashtags.column("n").to_numpy(zero_copy_only=False), dtype=np.float64)
        keep = r >= 0
        self.hashtag_names = list(index)
        self.hashtags = sparse.csr_matrix((counts[keep], (r[keep], c[keep])), shape=(len(self), len(index)))

    def _attach_links(self, domains: pa.Table) -> None:
        counts = np.zeros((len(self), len(KIND_NAMES)))
        kind_index = {name: i for i, name in enumerate(KIND_NAMES)}
        for platform, account_id, domain, n in zip(_column(domains, "platform"), _column(domains, "account_id"),
                                                   _column(domains, "domain"), _column(domains, "n")):
            kind = link_kind(domain or "")
            row = self.row_of.get((platform, account_id))
            if kind is not None and row is not None:
                counts[row, kind_index[kind]] += n
        self.link_counts = counts


def _ints(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
