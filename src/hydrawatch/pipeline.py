"""Compose the stages: read what a detector needs from the store, run it, write back.

Detectors never touch the store; these functions are the only place that does both.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from hydrawatch.evasion.accounts import AccountTable
from hydrawatch.evasion.detect import ReturneeConfig, ReturneeResult, find_returnees
from hydrawatch.evasion.promotions import PromotionLink, find_promotions
from hydrawatch.evasion.ranker import ReturneeRanker
from hydrawatch.store import snapshots
from hydrawatch.store.duck import Store

log = logging.getLogger(__name__)


def returnee_accounts(store: Store, config: ReturneeConfig = ReturneeConfig()) -> tuple[AccountTable, list[PromotionLink]]:
    """The accounts returnee detection compares: every ended account and every account that
    appeared while one of them could have come back, with their follows and promotions."""
    con = store.con
    ended = snapshots.ended_accounts(con)
    universe = ended.select(["platform", "account_id"])
    if ended.num_rows:
        times = ended.column("ended_at")
        start = pc.min(times).as_py() - timedelta(hours=config.candidates.slack_hours)
        end = pc.max(times).as_py() + timedelta(days=max(config.candidates.window_days, config.candidates.silent_window_days))
        later = snapshots.appeared_between(con, start, end)
        universe = pa.concat_tables([universe, later]).group_by(["platform", "account_id"]).aggregate([])
    log.info("returnee detection over %d ended and later accounts", universe.num_rows)
    table = AccountTable.from_snapshots(snapshots.account_snapshots(con, universe), ended)
    table.attach_follows(snapshots.follow_edges_touching(con, universe))
    promotions = find_promotions(table, snapshots.mention_posts(con), snapshots.self_announcements(con))
    return table, promotions


def detect_returnees(store: Store, ranker: ReturneeRanker | None = None, config: ReturneeConfig = ReturneeConfig()) -> ReturneeResult:
    table, promotions = returnee_accounts(store, config)
    return find_returnees(table, ranker, promotions, config)


def save_identities(store: Store, result: ReturneeResult) -> int:
    """Replace the returnee detector's identities in the store with this result's lineages."""
    table = result.table
    now = datetime.now(UTC)
    rows = []
    matches_by_new = {m.new: m for m in result.matches}
    for lineage in result.lineages:
        for position, row in enumerate(lineage.rows):
            match = matches_by_new.get(row)
            confidence = 1.0 if position == 0 else lineage.probabilities[position - 1]
            evidence = [] if match is None else [
                {"signal": e.signal, "description": e.description, "contribution": e.contribution} for e in match.evidence
            ]
            rows.append(
                (lineage.identity_id, table.platform[row], table.account_id[row], position, confidence, "returnee", orjson.dumps(evidence).decode(), now)
            )
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM identities WHERE method = 'returnee'")
        if rows:
            con.executemany("INSERT INTO identities VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)
