"""Run network-account scoring over a store: read what it needs, resolve the seeds, score, and
turn the flagged accounts into review cases.

This is the composition layer of this detector (store -> accounts -> review), the part of
``hydrawatch.pipeline`` that belongs to account scoring; the scoring itself
(:mod:`.detect`) never touches the store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hydrawatch.core.errors import ConfigError
from hydrawatch.core.model import Case

from .data import AccountData
from .detect import DETECTOR, AccountScores, score_accounts
from .scorer import MODEL_VERSION, AccountScorer

log = logging.getLogger(__name__)


def read_account_data(store) -> AccountData:
    """Everything account scoring needs from a :class:`hydrawatch.store.duck.Store`."""
    from hydrawatch.store import account_features as queries
    from hydrawatch.store.edges import interaction_edges
    from hydrawatch.store.snapshots import ended_accounts

    con = store.con
    return AccountData.from_tables(
        profiles=queries.account_profiles(con),
        edges=interaction_edges(con),
        originals=queries.original_texts(con),
        directed=queries.directed_texts(con),
        hashtags=queries.hashtag_uses(con),
        domains=queries.link_domains(con),
        ended=ended_accounts(con),
        span=queries.data_span(con),
    )


def read_seed_file(path: Path) -> list[str]:
    """One account id or ``@handle`` per line; blank lines and ``#`` comments skipped."""
    try:
        # "\n" only: splitlines() would also break inside a comment at U+2028 and friends
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise ConfigError(f"cannot read the seed file {path}: {exc.strerror}") from exc
    entries = [line.split("#", 1)[0].strip() for line in lines]
    return [entry for entry in entries if entry]


def resolve_seeds(store, data: AccountData, entries: Iterable[str]) -> tuple[np.ndarray, list[str]]:
    """Rows of the seed entries (ids, or ``@handles`` matched case-insensitively against every
    handle an account ever had), and the entries that matched nothing."""
    from hydrawatch.store.account_features import accounts_by_handle

    entries = list(entries)
    handles = [e[1:] for e in entries if e.startswith("@")]
    by_handle: dict[str, list[tuple[str, str]]] = {}
    if handles:
        found = accounts_by_handle(store.con, handles)
        for platform, account_id, handle in zip(*(found.column(c).to_pylist() for c in ("platform", "account_id", "handle"))):
            by_handle.setdefault(handle, []).append((platform, account_id))
    ids_by_account: dict[str, list[int]] = {}
    for row, account_id in enumerate(data.account_id):
        ids_by_account.setdefault(account_id, []).append(row)
    rows: list[int] = []
    unknown: list[str] = []
    for entry in entries:
        if entry.startswith("@"):
            keys = by_handle.get(entry[1:].lower(), [])
            matched = [data.row_of[k] for k in keys if k in data.row_of]
        else:
            matched = ids_by_account.get(entry, [])
        rows.extend(matched)
        if not matched:
            unknown.append(entry)
    return np.unique(np.array(rows, dtype=np.int64)), unknown


def detect_network_accounts(store, scorer: AccountScorer | None = None, seed_entries: list[str] | None = None,
                            threshold: float | None = None) -> tuple[AccountScores, list[str]]:
    """Score a store's active accounts. Seeds: ``seed_entries`` (ids or @handles) when given,
    else the store's ended accounts (suspended or deleted; presumed-silent ones when the store
    has no compliance events). Returns the scores and the seed entries that matched nothing."""
    data = read_account_data(store)
    if seed_entries is None:
        seed_rows, unknown, origin = np.flatnonzero(data.ended), [], "ended accounts"
        if not seed_rows.size:
            log.warning("the store names no ended accounts; scoring without seeds (give --seeds FILE)")
    else:
        seed_rows, unknown = resolve_seeds(store, data, seed_entries)
        origin = "seed file"
        if not seed_rows.size:
            raise ConfigError("none of the seeds is in the store: check the ids and @handles, one per line")
    return score_accounts(data, seed_rows, scorer, threshold, origin), unknown


def account_rows(scores: AccountScores, evidence_lines: int | None = 5, minimum: float = 0.0, limit: int | None = None) -> list[dict]:
    """Output rows (best first): ``account_id``, ``username``, ``score``, ``evidence`` (joined
    text of the strongest ``evidence_lines`` signals, or the full list of dicts when None)."""
    order = [p for p in scores.ranked().tolist() if scores.probability[p] >= minimum]
    if limit is not None:
        order = order[:limit]
    scores.explain(order)
    data = scores.data
    rows = []
    for position in order:
        row = int(scores.rows[position])
        evidence = [e for e in scores.evidence(position) if e.signal != "model"]
        rows.append({
            "platform": data.platform[row],
            "account_id": data.account_id[row],
            "username": data.handle[row],
            "score": round(float(scores.probability[position]), 4),
            "evidence": "; ".join(e.description for e in evidence[:evidence_lines]) if evidence_lines is not None else [
                {"signal": e.signal, "description": e.description, "value": e.value, "contribution": e.contribution}
                for e in scores.evidence(position)
            ],
        })
    return rows


def network_account_cases(scores: AccountScores) -> tuple[list[Case], dict[str, str], dict[str, str]]:
    """One ``network_account`` review case per account at or above the threshold."""
    from hydrawatch.review import CaseType, case_id_of

    data = scores.data
    now = datetime.now(UTC)
    flagged = scores.flagged().tolist()
    scores.explain(flagged)
    cases, labels, summaries = [], {}, {}
    for position in flagged:
        row = int(scores.rows[position])
        probability = float(scores.probability[position])
        case = Case(CaseType.NETWORK_ACCOUNT.value, data.platform[row], data.account_id[row], probability, DETECTOR,
                    MODEL_VERSION, now, scores.evidence(position))
        cases.append(case)
        labels[data.account_id[row]] = data.label(row)
        top = next((e.description for e in scores.evidence(position) if e.signal != "model"), "")
        summaries[case_id_of(case)] = f"{data.label(row)} may belong to the seeds' network (p = {probability:.2f}): {top}"
    return cases, labels, summaries
