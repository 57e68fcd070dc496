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


# --- pictures --------------------------------------------------------------------------

def _fetch_and_hash(job: tuple) -> tuple[str, str | None, int]:
    fetcher, url = job
    from hydrawatch.core.errors import BadRecordError
    from hydrawatch.signals.media import pdq_hash

    data = fetcher.fetch(url)
    if not data:
        return url, None, 0
    try:
        result = pdq_hash(data)
    except BadRecordError:
        return url, None, 0
    return url, result.hex, result.quality


def hash_avatars(store: Store, fetcher, urls: list[str] | None = None, workers: int = 2, progress=None) -> int:
    """Fetch and PDQ-hash avatar pictures not hashed yet; returns how many were stored.
    Pictures that cannot be fetched or decoded are remembered with no hash, so they are not
    fetched again."""
    from concurrent.futures import ProcessPoolExecutor

    urls = snapshots.avatar_urls(store.con) if urls is None else urls
    if not urls:
        return 0
    now = datetime.now(UTC)
    rows = []
    jobs = [(fetcher, url) for url in urls]
    if workers > 1 and len(jobs) > 200:
        with ProcessPoolExecutor(workers) as pool:
            for done, row in enumerate(pool.map(_fetch_and_hash, jobs, chunksize=64), 1):
                rows.append(row)
                if progress and done % 500 == 0:
                    progress(done, len(jobs))
    else:
        rows = [_fetch_and_hash(job) for job in jobs]
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            "INSERT INTO media_hashes SELECT ?, 'pdq', ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM media_hashes WHERE url = ? AND signal = 'pdq')",
            [(url, pdq, quality, now, url) for url, pdq, quality in rows],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return sum(1 for _, pdq, _ in rows if pdq)


# --- cases for review ------------------------------------------------------------------

def returnee_cases(result: ReturneeResult) -> tuple[list, dict[str, str], dict[str, str]]:
    """One case per reported return: the new account is the subject, the banned one related."""
    from hydrawatch.core.model import Case
    from hydrawatch.evasion.accounts import NO_TIME
    from hydrawatch.evasion.ranker import MODEL_VERSION
    from hydrawatch.review import CaseType, case_id_of

    table = result.table
    now = datetime.now(UTC)
    cases, labels, summaries = [], {}, {}
    for match in result.matches:
        new_id, old_id = table.account_id[match.new], table.account_id[match.old]
        case = Case(CaseType.RETURNEE.value, table.platform[match.new], new_id, match.probability, "returnee", MODEL_VERSION, now,
                    match.evidence, (old_id,))
        cases.append(case)
        labels[new_id] = f"@{table.handle[match.new]}" if table.handle[match.new] else new_id
        old_label = f"@{table.handle[match.old]}" if table.handle[match.old] else old_id
        hours = ""
        if NO_TIME not in (table.ended_at[match.old], table.appeared_at[match.new]):
            hours = f", {(table.appeared_at[match.new] - table.ended_at[match.old]) / 3600:,.1f} h after {table.end_kind[match.old] or 'the end'}"
        summaries[case_id_of(case)] = f"{labels[new_id]} may be {old_label} returning{hours}"
    return cases, labels, summaries
