"""Moderators' decisions as training labels for the returnee rankers.

A confirmed returnee case says "this new account is that ended account come back" (label 1);
a dismissed one says it is not (label 0). Escalated and open cases say nothing yet and are
left out (see :meth:`hydrawatch.review.ReviewStore.labelled`).

The rankers learn from pair features, not from case ids, so each decided pair is turned back
into the feature row the ranker scored: both accounts are looked up in the store the cases
came from, and :func:`~hydrawatch.evasion.features.pair_features` is computed exactly as at
detection time (same account table, promotions and candidate sources). Pairs whose accounts
the store does not hold (for example cases found by the live API before ``hydrawatch live
flush``) are reported as missing, not guessed.

These pairs are few next to the simulated worlds' tens of thousands; they matter most where
the simulation is wrong about the real platform (the dismissed look-alikes a world never
generates). Each decided pair is its own calibration group, so a decision never sits in the
same fold as itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from hydrawatch.evasion.candidates import Candidates
from hydrawatch.evasion.candidates import generate as generate_candidates
from hydrawatch.evasion.detect import ReturneeConfig
from hydrawatch.evasion.features import FEATURE_NAMES, pair_features
from hydrawatch.review import CaseType, ReviewStore
from hydrawatch.store.duck import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DecidedPair:
    """One moderator decision on a returnee case: ``label`` 1 = confirmed return."""

    case_id: str
    platform: str
    old_account_id: str
    new_account_id: str
    label: int


@dataclass
class FeedbackPairs:
    """Feature rows (``X``, in FEATURE_NAMES order) and labels of the decided pairs found in
    the store; ``sources`` are the candidate-source flags (which blocking keys found the pair,
    0 if none would have); ``missing`` are the decisions the store could not resolve."""

    X: np.ndarray
    y: np.ndarray
    sources: np.ndarray
    pairs: list[DecidedPair] = field(default_factory=list)
    missing: list[DecidedPair] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def confirmed(self) -> int:
        return int(self.y.sum())

    @property
    def dismissed(self) -> int:
        return int(len(self.y) - self.y.sum())


def decided_returnee_pairs(review: ReviewStore) -> list[DecidedPair]:
    """Confirmed (1) and dismissed (0) returnee cases as (old, new) account pairs, oldest
    decision first. A case without a related account cannot be a pair and is skipped."""
    pairs = []
    for case, label in review.labelled(CaseType.RETURNEE.value):
        if not case.related_account_ids:
            continue
        pairs.append(DecidedPair(case.case_id, case.platform, case.related_account_ids[0], case.subject_account_id, label))
    return sorted(pairs, key=lambda pair: pair.case_id)


def feedback_pairs(store: Store, decided: list[DecidedPair], config: ReturneeConfig = ReturneeConfig()) -> FeedbackPairs:
    """Feature rows of the decided pairs, computed from ``store`` as detection computes them.

    Pairs batch detection compares get exactly its rows. A pair with an account outside its
    table (a case from the live API, an account that appeared before any suspension) gets its
    row from a table widened to that account; corpus-wide features (style weights, who
    promoted whom nearby) can differ a little there, as they would had detection seen it."""
    from hydrawatch.pipeline import returnee_accounts

    empty = FeedbackPairs(np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64))
    if not decided:
        return empty
    base = returnee_accounts(store, config)
    inside = [pair for pair in decided if _keys(pair) <= base[0].row_of.keys()]
    outside = [pair for pair in decided if not _keys(pair) <= base[0].row_of.keys()]
    parts = [_rows(*base, inside, config)]
    if outside:
        wanted = set().union(*(_keys(pair) for pair in outside))
        parts.append(_rows(*_accounts_including(store, config, wanted), outside, config))
    found = [pair for part in parts for pair in part[3]]
    missing = [pair for part in parts for pair in part[4]]
    if not found:
        empty.missing = missing
        return empty
    X = np.vstack([part[0] for part in parts])
    y = np.concatenate([part[1] for part in parts])
    sources = np.concatenate([part[2] for part in parts])
    log.info("moderator feedback: %d decided pairs in the store (%d confirmed), %d missing", len(found), int(y.sum()), len(missing))
    return FeedbackPairs(X, y, sources, found, missing)


def _keys(pair: DecidedPair) -> set[tuple[str, str]]:
    return {(pair.platform, pair.old_account_id), (pair.platform, pair.new_account_id)}


def _rows(table, promotions, decided: list[DecidedPair], config: ReturneeConfig):
    """(X, y, sources, found, missing) of ``decided`` over one account table."""
    from hydrawatch.evasion.promotions import as_triples

    found, missing, parents, children = [], [], [], []
    for pair in decided:
        old = table.row_of.get((pair.platform, pair.old_account_id))
        new = table.row_of.get((pair.platform, pair.new_account_id))
        if old is None or new is None or old == new:
            missing.append(pair)
            continue
        found.append(pair)
        parents.append(old)
        children.append(new)
    parent_rows, child_rows = np.asarray(parents, dtype=np.int64), np.asarray(children, dtype=np.int64)
    if not found:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64), found, missing
    # The "sources" feature counts the blocking keys that proposed the pair: take them from
    # candidate generation, as detection does; a pair no key proposes has none.
    generated = generate_candidates(table, np.unique(parent_rows), config.candidates, as_triples(promotions))
    flags = dict(zip(zip(generated.parent.tolist(), generated.child.tolist()), generated.sources.tolist()))
    sources = np.asarray([flags.get((p, c), 0) for p, c in zip(parents, children)], dtype=np.int64)
    X = pair_features(table, Candidates(parent_rows, child_rows, sources), promotions)
    return X, np.asarray([pair.label for pair in found], dtype=np.int32), sources, found, missing


def _accounts_including(store: Store, config: ReturneeConfig, wanted: set[tuple[str, str]]):
    """:func:`hydrawatch.pipeline.returnee_accounts` with ``wanted`` added to its accounts."""
    import pyarrow as pa

    from hydrawatch.evasion.accounts import AccountTable
    from hydrawatch.evasion.promotions import find_promotions
    from hydrawatch.pipeline import returnee_accounts
    from hydrawatch.store import snapshots

    base, _ = returnee_accounts(store, config)
    keys = sorted(set(zip(base.platform, base.account_id)) | wanted)
    universe = pa.table({"platform": [k[0] for k in keys], "account_id": [k[1] for k in keys]})
    con = store.con
    table = AccountTable.from_snapshots(snapshots.account_snapshots(con, universe), snapshots.ended_accounts(con))
    table.attach_follows(snapshots.follow_edges_touching(con, universe))
    return table, find_promotions(table, snapshots.mention_posts(con), snapshots.self_announcements(con))


def read_feedback(store_path, review_path, config: ReturneeConfig = ReturneeConfig()) -> FeedbackPairs:
    """:func:`feedback_pairs` for the decisions in a review database and the store its cases
    came from (opened read-only)."""
    with ReviewStore(review_path) as review:
        decided = decided_returnee_pairs(review)
    with Store(store_path, read_only=True) as store:
        return feedback_pairs(store, decided, config)
