"""Candidate (ended account, later account) pairs, without comparing everything with everything.

A pair becomes a candidate when the later account appeared within a window after the ended
account went (``CandidateConfig.window_days``, with a little ``slack`` before, for clock skew
and backup accounts made in advance) and at least one of these says they may be one actor:

* ``handle``: a shared blocking key of some handle of each (see :mod:`.keys`);
* ``name``: the same display-name skeleton;
* ``avatar``: the same avatar URL, or, where pictures were hashed, avatars within PDQ distance
  ``avatar_distance`` (a re-upload of the same picture gets a new URL);
* ``bio``: a shared run of three words in the bio, or the same whole bio when it is shorter;
* ``followees``/``followers``/``contacts``: accounts in common among whom they follow, who
  follows them, or whom they mention and repost (accounts that very many compared accounts
  share are ignored: everybody follows the news). ``min_shared`` are needed, or all there
  can be: an account seen following a single account (one that never posted, known only from
  the follow graph) shares at most that one, and it is its only evidence;
* ``promotion``: a post promoting the later account, by an account close to the ended one;
* ``style``: both ways round, the ended accounts whose writing is closest to a later account's,
  and the later accounts whose writing is closest to an ended account's (character n-gram
  cosine of at least ``min_style``), among those in each other's window;
* ``time``: a later account known only by its id (no handle, name, bio, avatar, posts or
  follows: an account seen only in a compliance list) has nothing to block on and no evidence
  but when it appeared, so each ended account is paired with the ``id_only_per_parent`` such
  accounts in its window that appeared closest to its end. They are rare (a few dozen in a
  world of 20,000), so this costs a few pairs per ended account.

Every "the few best" choice (neighbours, style) is made among in-window pairs only, so that
accounts from other months cannot take the places of the true successor.

:func:`all_pairs_in_window` is the brute-force reference the tests compare against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
from scipy import sparse

from .accounts import NO_TIME, AccountTable
from .index import shared_key_pairs
from .bulk_keys import handle_key_hashes
from .keys import hash_keys, is_default_avatar, name_keys


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
    TIME = 512


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    """How wide to look. ``window_days``: how long after an account ended a successor may
    appear; ``silent_window_days``: the same for accounts presumed ended because they fell
    silent (no suspension event: the true end is later than the last post seen, and a sample
    of tweets shows a returnee's first post late); ``slack_hours``: how long before (clock skew, accounts made in advance);
    ``max_postings``: keys shared by more accounts than this are too common to block on;
    ``min_shared``: neighbours in common needed for a neighbourhood candidate (fewer when
    one of the two has fewer usable neighbours: then all of them);
    ``max_neighbour_share``: neighbours shared by more than this fraction of the compared
    accounts (with at least 200) are ignored; ``neighbours_per_child``: how many ended accounts
    a later account may be paired with through neighbours (the ones it shares most with, by
    inverse-frequency weight, then the closest in time); ``style_per_child`` /
    ``style_per_parent``: how many closest writers to pair with each later / ended account
    (0 turns that direction off; per parent is off by default: on development worlds it
    added a third more pairs for 0.3% more true successors); ``min_style``: the least style
    cosine for a style pair. Template-written spam all writes alike, so a successor that
    changed handle and name can sit below other spam accounts' 10 closest writers or under a
    cosine of 0.35; 20 and 0.25 reach two more per development world (8% more pairs), and
    the soft assignment (:mod:`.assignment`) keeps the extra spam pairs claimed by other
    ended accounts from outranking true successors;
    ``id_only_per_parent``: how many later accounts known only by their id to pair with each
    ended account, closest in time first (0 turns it off)."""

    window_days: float = 30.0
    silent_window_days: float = 75.0
    slack_hours: float = 6.0
    max_postings: int = 200
    min_shared: int = 2
    max_neighbour_share: float = 0.1
    neighbours_per_child: int = 10
    style_per_child: int = 20
    style_per_parent: int = 0
    min_style: float = 0.25
    avatar_distance: int = 31
    id_only_per_parent: int = 3

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

    for source, hashes_of in (
        (Source.HANDLE, lambda rows: _handle_hashes(table, rows)),
        (Source.NAME, _row_by_row(lambda r: [k for d in {*table.display_names[r], table.display_name[r]} if d for k in name_keys(d)])),
        (Source.AVATAR, _row_by_row(lambda r: [f"avatar:{url}" for url in table.avatar_urls[r] if url and not is_default_avatar(url)])),
        (Source.BIO, _row_by_row(lambda r: bio_shingles(table.bio_key[r]))),
    ):
        collect(*_key_pairs(parents, children, hashes_of, config.max_postings), source)

    collect(*_avatar_pairs(table, parents, children, config.avatar_distance), Source.AVATAR)

    for source, sets in (
        (Source.FOLLOWEES, table.followees),
        (Source.FOLLOWERS, table.followers),
        (Source.CONTACTS, table.interacts_with),
    ):
        if sets:
            collect(*_shared_neighbours(table, parents, children, sets, config), source)

    if promotions:
        collect(*_promotion_pairs(table, parents, promotions), Source.PROMOTION)

    if table.style is not None and (config.style_per_child or config.style_per_parent):
        collect(*_style_pairs(table, parents, children, config), Source.STYLE)

    if config.id_only_per_parent:
        collect(*_id_only_pairs(table, parents, children, config), Source.TIME)

    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Candidates(empty, empty.copy(), empty.copy())
    pairs = np.array(sorted(found), dtype=np.int64)
    return Candidates(pairs[:, 0], pairs[:, 1], np.array([found[tuple(p)] for p in pairs.tolist()], dtype=np.int64))


def bio_shingles(bio_key: str) -> list[str]:
    """Runs of three words; a bio of one or two words is its own key (if not too short)."""
    words = bio_key.split()
    if len(words) < 3:
        whole = " ".join(words)
        return [f"bio:{whole}"] if len(whole.replace(" ", "")) >= 4 else []
    return [f"bio:{' '.join(words[i : i + 3])}" for i in range(len(words) - 2)]


def _no_pairs() -> tuple[np.ndarray, np.ndarray]:
    """An empty (rows, rows) result: what every pair source returns when it finds nothing."""
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _key_pairs(parents: np.ndarray, children: np.ndarray, hashes_of, max_postings: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing a key; ``hashes_of(rows)`` gives (row, key hash) for every key of every row.
    The children's keys are indexed (the cap counts children), the parents' looked up."""
    query_rows, query_hashes = hashes_of(parents)
    if not len(query_rows):
        return _no_pairs()
    child_rows, child_hashes = hashes_of(children)
    return shared_key_pairs(query_rows, query_hashes, child_rows, child_hashes, max_postings)


def _handle_hashes(table: AccountTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, key hash) for every blocking key of every handle of ``rows``, built in bulk
    (:mod:`.bulk_keys`: the same keys as ``handle_keys``, without a Python loop per key)."""
    owners, handles = [], []
    for row in rows.tolist():
        for handle in {*table.handles[row], table.handle[row]}:
            if handle:
                owners.append(row)
                handles.append(handle)
    if not handles:
        return _no_pairs()
    positions, hashes = handle_key_hashes(handles)
    return np.asarray(owners, dtype=np.int64)[positions], hashes


def _row_by_row(keys_of):
    """``hashes_of`` for keys made one row at a time (``keys_of(row)`` -> key strings)."""

    def hashes_of(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owners, hashes = [], []
        for row in rows.tolist():
            row_hashes = hash_keys(keys_of(row))
            owners.append(np.full(len(row_hashes), row, dtype=np.int64))
            hashes.append(row_hashes)
        if not owners:
            return _no_pairs()
        return np.concatenate(owners), np.concatenate(hashes)

    return hashes_of


def _neighbour_matrix(rows: np.ndarray, sets: list[frozenset[str]], config: CandidateConfig) -> tuple[sparse.csr_matrix, np.ndarray]:
    """0/1 matrix (rows x neighbours) of the usable neighbours of each row, and each usable
    neighbour's inverse-document-frequency weight. ``rows`` are distinct."""
    vocabulary: dict[str, int] = {}
    indptr, indices = [0], []
    for row in rows.tolist():
        for neighbour in sorted(sets[row]):  # sorted: the same float sums, hence the same ties, in every process
            indices.append(vocabulary.setdefault(neighbour, len(vocabulary)))
        indptr.append(len(indices))
    matrix = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), len(vocabulary)))
    degree = np.asarray(matrix.sum(axis=0)).ravel()
    too_common = degree > max(200, config.max_neighbour_share * len(rows))
    usable = (matrix @ sparse.diags((~too_common).astype(np.float32))).tocsr()
    usable.eliminate_zeros()
    # Rare neighbours say more: weight each by its inverse document frequency.
    weights = np.log1p(len(rows) / np.maximum(degree, 1)).astype(np.float32)
    return usable, weights


def _shared_neighbours(table: AccountTable, parents: np.ndarray, children: np.ndarray, sets: list[frozenset[str]],
                       config: CandidateConfig) -> tuple[np.ndarray, np.ndarray]:
    """For each later account, the in-window ended accounts sharing enough usable neighbours
    (``min_shared``, or every usable neighbour of the one that has fewer), best
    ``neighbours_per_child`` by summed neighbour weight, then by closeness in time."""
    empty = _no_pairs()
    if not len(parents) or not len(children):
        return empty
    rows = np.unique(np.concatenate([parents, children]))  # a row may be both: count it once
    usable, weights = _neighbour_matrix(rows, sets, config)
    if not usable.nnz:
        return empty
    sizes = np.asarray(usable.sum(axis=1)).ravel()
    parent_at, child_at = np.searchsorted(rows, parents), np.searchsorted(rows, children)
    old, new = usable[parent_at], usable[child_at]
    shared = (old @ new.T).tocsc()
    scores = ((old @ sparse.diags(weights)) @ new.T).tocsc()  # same sparsity pattern as shared
    shared.sort_indices()
    scores.sort_indices()
    parent_sizes, child_sizes = sizes[parent_at], sizes[child_at]
    out_parent, out_child = [], []
    for column in range(shared.shape[1]):
        start, end = shared.indptr[column], shared.indptr[column + 1]
        if start == end:
            continue
        rows_here = shared.indices[start:end]
        counts = shared.data[start:end]
        required = np.maximum(np.minimum(config.min_shared, np.minimum(parent_sizes[rows_here], child_sizes[column])), 1)
        keep = counts >= required
        if not keep.any():
            continue
        child = children[column]
        keep &= in_window(table, parents[rows_here], np.full(len(rows_here), child, dtype=np.int64), config)
        if not keep.any():
            continue
        rows_here, score = rows_here[keep], scores.data[start:end][keep]
        distance = np.abs(table.appeared_at[child] - table.ended_at[parents[rows_here]])
        order = np.lexsort((distance, -score))[: config.neighbours_per_child]
        out_parent.append(parents[rows_here[order]])
        out_child.append(np.full(len(order), child, dtype=np.int64))
    if not out_parent:
        return empty
    return np.concatenate(out_parent), np.concatenate(out_child)


def _avatar_pairs(table: AccountTable, parents: np.ndarray, children: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose avatar pictures are within PDQ distance ``threshold`` (multi-index search)."""
    from hydrawatch.signals.media import PdqIndex

    index = PdqIndex()
    for child in children.tolist():
        for pdq in table.avatar_hashes[child]:
            index.add(pdq, child)
    if not len(index):
        return _no_pairs()
    index.build()
    out_parent, out_child = [], []
    for parent in parents.tolist():
        for pdq in table.avatar_hashes[parent]:
            for child, _ in index.query(pdq, threshold):
                out_parent.append(parent)
                out_child.append(child)
    return np.array(out_parent, dtype=np.int64), np.array(out_child, dtype=np.int64)


def _style_pairs(table: AccountTable, parents: np.ndarray, children: np.ndarray, config: CandidateConfig) -> tuple[np.ndarray, np.ndarray]:
    """The closest writers both ways: each later account's ``style_per_child`` closest ended
    accounts and each ended account's ``style_per_parent`` closest later accounts, among
    accounts with posts in each other's window."""
    parents = parents[table.posts[parents] > 0]
    children = children[table.posts[children] > 0]
    empty = _no_pairs()
    if not len(children) or not len(parents):
        return empty
    found = []
    if config.style_per_child:
        found.append(_closest_writers(table, parents, children, config, config.style_per_child, per_child=True))
    if config.style_per_parent:
        found.append(_closest_writers(table, parents, children, config, config.style_per_parent, per_child=False))
    return np.concatenate([p for p, _ in found]), np.concatenate([c for _, c in found])


def _closest_writers(table: AccountTable, parents: np.ndarray, children: np.ndarray, config: CandidateConfig, k: int,
                     per_child: bool, chunk: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """For each query (a later account if ``per_child``, else an ended one), its ``k`` most
    similar in-window accounts of the other side with cosine >= ``min_style``. Queries go
    chunk by chunk in time order against the slice of the other side whose times can be in
    window, so the dense similarity block stays small."""
    longest = max(config.window_days, config.silent_window_days) * 86400
    slack = config.slack_hours * 3600
    children = children[np.argsort(table.appeared_at[children], kind="stable")]
    parents = parents[np.argsort(table.ended_at[parents], kind="stable")]
    appeared, ended = table.appeared_at[children], table.ended_at[parents]
    queries = children if per_child else parents
    silent = table.silent
    out_parent, out_child = [], []
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        if per_child:
            first, last = appeared[start : start + chunk][[0, -1]]
            low, high = np.searchsorted(ended, first - longest, side="left"), np.searchsorted(ended, last + slack, side="right")
            pool = parents[low:high]
            block_parents, block_children = pool, block
        else:
            first, last = ended[start : start + chunk][[0, -1]]
            low, high = np.searchsorted(appeared, first - slack, side="left"), np.searchsorted(appeared, last + longest, side="right")
            pool = children[low:high]
            block_parents, block_children = block, pool
        if not len(pool):
            continue
        similarity = (table.style[block] @ table.style[pool].T).toarray()
        # in-window mask, (block x pool), parents along one axis and children along the other
        delta = table.appeared_at[block_children][None, :] - table.ended_at[block_parents][:, None]
        window = np.where(silent[block_parents], config.silent_window_days, config.window_days)[:, None] * 86400
        inside = (delta >= -slack) & (delta <= window)
        if per_child:
            inside = inside.T
        similarity[~inside | (similarity < config.min_style)] = -1.0
        take = min(k, len(pool))
        best = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
        rows = np.repeat(np.arange(len(block)), take)
        cols = best.ravel()
        keep = similarity[rows, cols] >= config.min_style
        if per_child:
            out_child.append(block[rows[keep]])
            out_parent.append(pool[cols[keep]])
        else:
            out_parent.append(block[rows[keep]])
            out_child.append(pool[cols[keep]])
    if not out_parent:
        return _no_pairs()
    return np.concatenate(out_parent), np.concatenate(out_child)


def _id_only_pairs(table: AccountTable, parents: np.ndarray, children: np.ndarray, config: CandidateConfig) -> tuple[np.ndarray, np.ndarray]:
    """Each parent's ``id_only_per_parent`` in-window children known only by their id,
    closest in time to its end first (ties: the earlier in ``children``)."""
    children = children[table.known_only_by_id(children)]
    if not len(children) or not len(parents):
        return _no_pairs()
    appeared = table.appeared_at[children]
    out_parent, out_child = [], []
    for parent in parents.tolist():
        rows = np.full(len(children), parent, dtype=np.int64)
        inside = np.flatnonzero(in_window(table, rows, children, config))
        if not len(inside):
            continue
        distance = np.abs(appeared[inside] - table.ended_at[parent])
        nearest = inside[np.argsort(distance, kind="stable")[: config.id_only_per_parent]]
        out_parent.append(np.full(len(nearest), parent, dtype=np.int64))
        out_child.append(children[nearest])
    if not out_parent:
        return _no_pairs()
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


def shared_neighbour_pairs_reference(table: AccountTable, parents: np.ndarray, children: np.ndarray, sets: list[frozenset[str]],
                                     config: CandidateConfig = CandidateConfig()) -> set[tuple[int, int]]:
    """What :func:`_shared_neighbours` finds, pair by pair with Python sets: the test oracle.
    Exact when no child has more than ``neighbours_per_child`` qualifying parents."""
    rows = sorted(set(np.asarray(parents).tolist()) | set(np.asarray(children).tolist()))
    degree: dict[str, int] = {}
    for row in rows:
        for neighbour in sets[row]:
            degree[neighbour] = degree.get(neighbour, 0) + 1
    limit = max(200, config.max_neighbour_share * len(rows))
    usable = {row: {n for n in sets[row] if degree[n] <= limit} for row in rows}
    found = set()
    for child in np.asarray(children).tolist():
        for parent in np.asarray(parents).tolist():
            shared = len(usable[parent] & usable[child])
            needed = max(1, min(config.min_shared, len(usable[parent]), len(usable[child])))
            if shared >= needed and in_window(table, np.array([parent]), np.array([child]), config)[0]:
                found.add((parent, child))
    return found


def all_pairs_in_window(table: AccountTable, parents: np.ndarray, config: CandidateConfig = CandidateConfig()) -> set[tuple[int, int]]:
    """Every (parent, child) pair inside the time window: the brute-force reference."""
    children = eligible_children(table, parents, config)
    found: set[tuple[int, int]] = set()
    for parent in np.asarray(parents).tolist():
        rows = np.full(len(children), parent, dtype=np.int64)
        keep = in_window(table, rows, children, config)
        found.update((parent, int(c)) for c in children[keep])
    return found


