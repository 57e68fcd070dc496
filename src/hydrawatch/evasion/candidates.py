"""Candidate (ended account, later account) pairs, without comparing everything with everything.

A pair becomes a candidate when the later account appeared within a window after the ended
account went (``CandidateConfig.window_days``, with a little ``slack`` before, for clock skew
and backup accounts made in advance) and at least one of these says they may be one actor:

* ``handle``: a shared blocking key of some handle of each (see :mod:`.keys`);
* ``name``: the same display-name skeleton;
* ``avatar``: the same avatar URL, or, where pictures were hashed, avatars within PDQ distance
  ``avatar_distance`` (a re-upload of the same picture gets a new URL);
* ``bio``: a shared run of three words in the bio;
* ``followees``/``followers``/``contacts``: at least ``min_shared`` accounts in common among
  whom they follow, who follows them, or whom they mention and repost (accounts that very many
  compared accounts share are ignored: everybody follows the news);
* ``promotion``: a post promoting the later account, by an account close to the ended one;
* ``style``: among the ended accounts whose window covers it, the few whose writing style is
  closest to the later account's (character n-gram cosine of at least ``min_style``).

:func:`all_pairs_in_window` is the brute-force reference the tests compare against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
from scipy import sparse

from .accounts import NO_TIME, AccountTable
from .index import KeyIndex
from .keys import handle_keys, hash_keys, name_keys


class Source(IntFlag):
    HANDLE = 1
    NAME = 2
    AVATAR = 4
    BIO = 8
    FOLLOWEES = 16
    FOLLOWERS = 32
    CONTACTS = 64
    PROMOTION = 128
    STYLE = 256


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    """How wide to look. ``window_days``: how long after an account ended a successor may
    appear; ``silent_window_days``: the same for accounts presumed ended because they fell
    silent (no suspension event: the true end is later than the last post seen, and a sample
    of tweets shows a returnee's first post late); ``slack_hours``: how long before (clock skew, accounts made in advance);
    ``max_postings``: keys shared by more accounts than this are too common to block on;
    ``min_shared``: neighbours in common needed for a neighbourhood candidate;
    ``max_neighbour_share``: neighbours shared by more than this fraction of the compared
    accounts (with at least 200) are ignored; ``neighbours_per_child``: how many ended accounts
    a later account may be paired with through neighbours (the ones it shares most with)."""

    window_days: float = 30.0
    silent_window_days: float = 75.0
    slack_hours: float = 6.0
    max_postings: int = 200
    min_shared: int = 2
    max_neighbour_share: float = 0.1
    neighbours_per_child: int = 25
    style_per_child: int = 10
    min_style: float = 0.35
    avatar_distance: int = 31

    def __post_init__(self) -> None:
        if self.window_days <= 0:
            raise ValueError("window_days must be positive")


@dataclass
class Candidates:
    parent: np.ndarray  # row in the AccountTable
    child: np.ndarray
    sources: np.ndarray  # Source flags per pair

    def __len__(self) -> int:
        return len(self.parent)

    def pairs(self) -> set[tuple[int, int]]:
        return set(zip(self.parent.tolist(), self.child.tolist()))


def in_window(table: AccountTable, parent: np.ndarray, child: np.ndarray, config: CandidateConfig) -> np.ndarray:
    """Which pairs have the child appearing within the window after the parent ended."""
    ended = table.ended_at[parent]
    appeared = table.appeared_at[child]
    ok = (ended != NO_TIME) & (appeared != NO_TIME) & (parent != child)
    delta = appeared - ended
    window = np.where(table.silent[parent], config.silent_window_days, config.window_days) * 86400
    return ok & (delta >= -config.slack_hours * 3600) & (delta <= window)


def eligible_children(table: AccountTable, parents: np.ndarray, config: CandidateConfig) -> np.ndarray:
    """Rows that appeared late enough to succeed at least one parent."""
    if not len(parents):
        return np.zeros(0, dtype=np.int64)
    ended = table.ended_at[parents]
    earliest = ended.min() - config.slack_hours * 3600
    latest = ended.max() + max(config.window_days, config.silent_window_days) * 86400
    appeared = table.appeared_at
    return np.flatnonzero((appeared != NO_TIME) & (appeared >= earliest) & (appeared <= latest))


def generate(
    table: AccountTable,
    parents: np.ndarray,
    config: CandidateConfig = CandidateConfig(),
    promotions: list[tuple[int, int, int]] | None = None,
    children: np.ndarray | None = None,
) -> Candidates:
    """All candidate pairs for ``parents`` (rows with an ended_at). ``promotions`` are
    (promoter row, promoted row, epoch seconds) triples from the promotion detector."""
    parents = np.asarray(parents, dtype=np.int64)
    if children is None:
        children = eligible_children(table, parents, config)
    found: dict[tuple[int, int], int] = {}

    def collect(parent_rows: np.ndarray, child_rows: np.ndarray, source: Source) -> None:
        keep = in_window(table, parent_rows, child_rows, config)
        for p, c in zip(parent_rows[keep].tolist(), child_rows[keep].tolist()):
            found[(p, c)] = found.get((p, c), 0) | source

    for source, keys_of in (
        (Source.HANDLE, lambda r: [k for h in {*table.handles[r], table.handle[r]} if h for k in handle_keys(h)]),
        (Source.NAME, lambda r: [k for d in {*table.display_names[r], table.display_name[r]} if d for k in name_keys(d)]),
        (Source.AVATAR, lambda r: [f"avatar:{url}" for url in table.avatar_urls[r] if url and "default_profile" not in url]),
        (Source.BIO, lambda r: bio_shingles(table.bio_key[r])),
    ):
        collect(*_key_pairs(parents, children, keys_of, config.max_postings), source)

    collect(*_avatar_pairs(table, parents, children, config.avatar_distance), Source.AVATAR)

    for source, sets in (
        (Source.FOLLOWEES, table.followees),
        (Source.FOLLOWERS, table.followers),
        (Source.CONTACTS, table.interacts_with),
    ):
        if sets:
            collect(*_shared_neighbours(parents, children, sets, config), source)

    if promotions:
        collect(*_promotion_pairs(table, parents, promotions), Source.PROMOTION)

    if table.style is not None and config.style_per_child:
        collect(*_style_pairs(table, parents, children, config), Source.STYLE)

    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty.copy(), empty.copy())
    pairs = np.array(sorted(found), dtype=np.int64)
    return Candidates(pairs[:, 0], pairs[:, 1], np.array([found[tuple(p)] for p in pairs.tolist()], dtype=np.int64))


def bio_shingles(bio_key: str) -> list[str]:
    words = bio_key.split()
    return [f"bio:{' '.join(words[i : i + 3])}" for i in range(len(words) - 2)]


def _key_pairs(parents: np.ndarray, children: np.ndarray, keys_of, max_postings: int) -> tuple[np.ndarray, np.ndarray]:
    index = KeyIndex()
    child_rows, child_hashes = [], []
    for child in children.tolist():
        hashes = hash_keys(keys_of(child))
        child_rows.append(np.full(len(hashes), child, dtype=np.int64))
        child_hashes.append(hashes)
    if child_rows:
        index.add_many(np.concatenate(child_rows), np.concatenate(child_hashes))
    query_rows, query_hashes = [], []
    for parent in parents.tolist():
        hashes = hash_keys(keys_of(parent))
        query_rows.append(np.full(len(hashes), parent, dtype=np.int64))
        query_hashes.append(hashes)
    if not query_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return index.lookup_pairs(np.concatenate(query_rows), np.concatenate(query_hashes), max_postings)


def _shared_neighbours(parents: np.ndarray, children: np.ndarray, sets: list[frozenset[str]], config: CandidateConfig) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with at least min_shared neighbours in common, ignoring very common neighbours."""
    rows = np.concatenate([parents, children])
    vocabulary: dict[str, int] = {}
    indptr, indices = [0], []
    for row in rows.tolist():
        for neighbour in sets[row]:
            indices.append(vocabulary.setdefault(neighbour, len(vocabulary)))
        indptr.append(len(indices))
    if not indices:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    matrix = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocabulary)))
    degree = np.asarray((matrix > 0).sum(axis=0)).ravel()
    too_common = degree > max(200, config.max_neighbour_share * len(rows))
    # Rare neighbours say more: weight each by its inverse document frequency.
    weights = np.where(too_common, 0.0, np.log1p(len(rows) / np.maximum(degree, 1))).astype(np.float32)
    counts_matrix = matrix @ sparse.diags((~too_common).astype(np.float32))
    weighted = matrix @ sparse.diags(weights)
    shared = (counts_matrix[: len(parents)] @ counts_matrix[len(parents) :].T).tocsc()
    shared.sort_indices()
    scores = (weighted[: len(parents)] @ counts_matrix[len(parents) :].T).tocsc()
    scores.sort_indices()
    out_parent, out_child = [], []
    for column in range(shared.shape[1]):
        start, end = shared.indptr[column], shared.indptr[column + 1]
        if start == end:
            continue
        counts = shared.data[start:end]
        keep = counts >= config.min_shared
        if not keep.any():
            continue
        rows_here = shared.indices[start:end][keep]
        order = np.argsort(-scores.data[start:end][keep])[: config.neighbours_per_child]
        out_parent.append(parents[rows_here[order]])
        out_child.append(np.full(len(order), children[column], dtype=np.int64))
    if not out_parent:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_parent), np.concatenate(out_child)


def _avatar_pairs(table: AccountTable, parents: np.ndarray, children: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose avatar pictures are within PDQ distance ``threshold`` (multi-index search)."""
    from hydrawatch.signals.media import PdqIndex

    index = PdqIndex()
    for child in children.tolist():
        for pdq in table.avatar_hashes[child]:
            index.add(pdq, child)
    if not len(index):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    index.build()
    out_parent, out_child = [], []
    for parent in parents.tolist():
        for pdq in table.avatar_hashes[parent]:
            for child, _ in index.query(pdq, threshold):
                out_parent.append(parent)
                out_child.append(child)
    return np.array(out_parent, dtype=np.int64), np.array(out_child, dtype=np.int64)


def _style_pairs(table: AccountTable, parents: np.ndarray, children: np.ndarray, config: CandidateConfig, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Each later account's closest ended accounts by writing style, chunk by chunk over the
    later accounts in time order, comparing only with parents whose window can cover them."""
    with_text = children[table.posts[children] > 0]
    parents = parents[table.posts[parents] > 0]
    if not len(with_text) or not len(parents):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    with_text = with_text[np.argsort(table.appeared_at[with_text], kind="stable")]
    parents = parents[np.argsort(table.ended_at[parents], kind="stable")]
    ended = table.ended_at[parents]
    out_parent, out_child = [], []
    for start in range(0, len(with_text), chunk):
        block = with_text[start : start + chunk]
        first, last = table.appeared_at[block].min(), table.appeared_at[block].max()
        low = np.searchsorted(ended, first - max(config.window_days, config.silent_window_days) * 86400, side="left")
        high = np.searchsorted(ended, last + config.slack_hours * 3600, side="right")
        pool = parents[low:high]
        if not len(pool):
            continue
        similarity = (table.style[block] @ table.style[pool].T).toarray()
        k = min(config.style_per_child, len(pool))
        best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(len(block)), k)
        cols = best.ravel()
        keep = similarity[rows, cols] >= config.min_style
        out_child.append(block[rows[keep]])
        out_parent.append(pool[cols[keep]])
    if not out_parent:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_parent), np.concatenate(out_child)


def _promotion_pairs(table: AccountTable, parents: np.ndarray, promotions: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(parent, promoted) when the promoter is close to the parent: follows it, is followed by
    it, talks to it, or is the parent itself announcing its successor."""
    close_to: dict[str, list[int]] = {}
    for parent in parents.tolist():
        own = table.account_id[parent]
        close_to.setdefault(own, []).append(parent)
        for neighbour in table.followers[parent] | table.followees[parent] if table.followers else ():
            close_to.setdefault(neighbour, []).append(parent)
        for neighbour in table.interacts_with[parent]:
            close_to.setdefault(neighbour, []).append(parent)
    out_parent, out_child = [], []
    for promoter, promoted, _ in promotions:
        for parent in close_to.get(table.account_id[promoter], ()):
            out_parent.append(parent)
            out_child.append(promoted)
    return np.array(out_parent, dtype=np.int64), np.array(out_child, dtype=np.int64)


def all_pairs_in_window(table: AccountTable, parents: np.ndarray, config: CandidateConfig = CandidateConfig()) -> set[tuple[int, int]]:
    """Every (parent, child) pair inside the time window: the brute-force reference."""
    children = eligible_children(table, parents, config)
    found: set[tuple[int, int]] = set()
    for parent in np.asarray(parents).tolist():
        rows = np.full(len(children), parent, dtype=np.int64)
        keep = in_window(table, rows, children, config)
        found.update((parent, int(c)) for c in children[keep])
    return found


