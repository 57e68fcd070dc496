"""What enforcement analytics read from a store: the network's accounts, when each was created
and ended, the returnee lineages that join them, and their follower counts over time.

This module is the only one in :mod:`hydrawatch.enforcement` that runs SQL (the store is
imported lazily); the estimators and the simulator work on the arrays of
:class:`EnforcementData`, so tests build one by hand with :meth:`EnforcementData.from_rows`.

Times are seconds since the Unix epoch (float64), NaN for "unknown" or "never".

Which accounts are "the network" (``population``):

* ``scored`` -- the account scorer (:mod:`hydrawatch.accounts`): ended accounts whose own posts
  read like the network's, plus active accounts it flags, plus ended accounts with nothing to
  read whose follows are mostly with those; and every account of their lineages.
* ``ended`` -- every suspended or deleted account (presumed-silent ones when the store has no
  compliance events) and every account of their lineages: the fallback when nothing is scored.
  It mixes in spam and mistaken suspensions, and misses network accounts that were never
  caught, so lifetimes read shorter than they are.
* ``auto`` -- ``scored`` when a trained scorer and posts are available, else ``ended``.

An explicit set of account ids overrides all three.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from hydrawatch.core.errors import ConfigError

log = logging.getLogger(__name__)

POPULATIONS = ("auto", "scored", "ended")
HOUR = 3600.0
DAY = 86400.0


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=UTC)


@dataclass(frozen=True)
class FollowerSeries:
    """Follower counts observed over time, per account row: the observations of row ``i`` are
    ``times[offsets[i]:offsets[i + 1]]`` (sorted) and ``counts[...]``."""

    offsets: np.ndarray
    times: np.ndarray
    counts: np.ndarray

    @classmethod
    def empty(cls, rows: int) -> FollowerSeries:
        return cls(np.zeros(rows + 1, dtype=np.int64), np.zeros(0), np.zeros(0))

    @classmethod
    def from_observations(cls, rows: int, row: np.ndarray, times: np.ndarray, counts: np.ndarray) -> FollowerSeries:
        order = np.lexsort((times, row))
        row, times, counts = row[order], times[order], counts[order].astype(np.float64)
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.add.at(offsets, row + 1, 1)
        return cls(np.cumsum(offsets), times.astype(np.float64), counts)

    def observed(self, row: int) -> bool:
        return bool(self.offsets[row + 1] > self.offsets[row])

    def at(self, row: int, when: np.ndarray | float) -> np.ndarray:
        """Followers of ``row`` at ``when``: the last observation at or before it (the first
        observation before any; NaN when the account was never observed)."""
        low, high = self.offsets[row], self.offsets[row + 1]
        when = np.atleast_1d(np.asarray(when, dtype=np.float64))
        if high == low:
            return np.full(when.shape, np.nan)
        times, counts = self.times[low:high], self.counts[low:high]
        index = np.searchsorted(times, when, side="right") - 1
        return counts[np.maximum(index, 0)]

    def first(self, row: int) -> tuple[float, float]:
        low, high = self.offsets[row], self.offsets[row + 1]
        return (float(self.times[low]), float(self.counts[low])) if high > low else (np.nan, np.nan)

    def last(self, row: int) -> tuple[float, float]:
        low, high = self.offsets[row], self.offsets[row + 1]
        return (float(self.times[high - 1]), float(self.counts[high - 1])) if high > low else (np.nan, np.nan)


@dataclass(frozen=True)
class EnforcementData:
    """The network's accounts (one row each) with what enforcement analytics need.

    ``position`` is the account's place in its returnee lineage (0 = first known account, the
    "generation"); ``successor``/``predecessor`` are rows (-1 for none). ``cluster`` is a
    small-integer group id of the follow graph (-1 unknown) and ``promoter`` marks accounts
    that promote brand-new network accounts ("follow the brother"); both feed the simulator's
    targeting policies."""

    account_id: np.ndarray  # object (str)
    created_at: np.ndarray
    ended_at: np.ndarray
    end_kind: np.ndarray  # object: suspended, deleted, silent or ""
    lineage: np.ndarray  # object: identity id or ""
    position: np.ndarray
    predecessor: np.ndarray
    successor: np.ndarray
    followers: FollowerSeries
    data_start: float
    data_end: float
    population: str
    cluster: np.ndarray | None = None
    promoter: np.ndarray | None = None
    outsider_reposts: np.ndarray | None = None  # times of reposts of network posts by others

    def __len__(self) -> int:
        return int(self.account_id.size)

    @property
    def ended(self) -> np.ndarray:
        return ~np.isnan(self.ended_at)

    @property
    def born_in_window(self) -> np.ndarray:
        """Accounts created while the data was being collected (their whole life is seen)."""
        return self.created_at >= self.data_start

    @classmethod
    def from_rows(cls, account_id: Iterable[str], created_at: Iterable[float], ended_at: Iterable[float],
                  data_start: float, data_end: float, *, end_kind: Iterable[str] | None = None,
                  lineages: Iterable[Iterable[str]] = (), followers: Iterable[tuple[str, float, float]] = (),
                  cluster: Iterable[int] | None = None, promoter: Iterable[bool] | None = None,
                  outsider_reposts: Iterable[float] | None = None, population: str = "given") -> EnforcementData:
        """Build from plain values: ``lineages`` are account-id chains in return order,
        ``followers`` (account_id, time, count) observations."""
        ids = np.array(list(account_id), dtype=object)
        row_of = {account: row for row, account in enumerate(ids.tolist())}
        created = np.asarray(list(created_at), dtype=np.float64)
        ended = np.asarray(list(ended_at), dtype=np.float64)
        kinds = np.array(list(end_kind) if end_kind is not None else
                         ["suspended" if not np.isnan(t) else "" for t in ended], dtype=object)
        lineage = np.full(ids.size, "", dtype=object)
        position = np.zeros(ids.size, dtype=np.int64)
        predecessor = np.full(ids.size, -1, dtype=np.int64)
        successor = np.full(ids.size, -1, dtype=np.int64)
        for number, chain in enumerate(lineages):
            rows = [row_of[a] for a in chain if a in row_of]
            for place, row in enumerate(rows):
                lineage[row] = f"lineage-{number}"
                position[row] = place
                if place:
                    predecessor[row] = rows[place - 1]
                    successor[rows[place - 1]] = row
        observations = list(followers)
        if observations:
            kept = [(row_of[a], t, c) for a, t, c in observations if a in row_of]
            arrays = np.array(kept, dtype=np.float64).reshape(-1, 3)
            series = FollowerSeries.from_observations(ids.size, arrays[:, 0].astype(np.int64), arrays[:, 1], arrays[:, 2])
        else:
            series = FollowerSeries.empty(ids.size)
        return cls(ids, created, ended, kinds, lineage, position, predecessor, successor, series, float(data_start),
                   float(data_end), population,
                   None if cluster is None else np.asarray(list(cluster), dtype=np.int64),
                   None if promoter is None else np.asarray(list(promoter), dtype=bool),
                   None if outsider_reposts is None else np.sort(np.asarray(list(outsider_reposts), dtype=np.float64)))


# --- reading a store ------------------------------------------------------------------------


def read_enforcement_data(store, population: str = "auto", accounts: Iterable[str] | None = None,
                          platform: str | None = None) -> EnforcementData:
    """Read the network's accounts of an open :class:`hydrawatch.store.duck.Store`.

    ``accounts`` (ids) overrides ``population`` (see the module docstring)."""
    if population not in POPULATIONS:
        raise ConfigError(f"population must be one of {POPULATIONS}, got {population!r}")
    con = store.con
    span = con.sql(
        "SELECT min(t), max(t) FROM (SELECT created_at AS t FROM posts UNION ALL SELECT event_at FROM events "
        "UNION ALL SELECT observed_at FROM metrics)"
    ).fetchall()[0]
    if span[0] is None:
        raise ConfigError("the store holds no posts, events or metrics: ingest data first (hydrawatch ingest PATH)")
    data_start, data_end = span[0].timestamp(), span[1].timestamp()
    chains = _lineages(con)
    in_chain = {account: chain for chain in chains for account in chain}
    if accounts is not None:
        members, used = set(accounts), "given"
    else:
        members, used = _population(store, population)
    for account in list(members):
        members.update(in_chain.get(account, ()))
    if not members:
        raise ConfigError("no network accounts to measure: the store names no suspended or deleted accounts and "
                          "nothing is scored; give the accounts explicitly (--accounts FILE)")
    ids = sorted(members)
    lives = _lives(con, ids, platform)
    row_of = {account: row for row, account in enumerate(ids)}
    data = EnforcementData.from_rows(
        ids, [lives.get(a, (np.nan,) * 3)[0] for a in ids], [lives.get(a, (np.nan,) * 3)[1] for a in ids],
        data_start, data_end, end_kind=[lives.get(a, ("", "", ""))[2] or "" for a in ids],
        lineages=[c for c in chains if any(a in row_of for a in c)], population=used)
    followers = _followers(con, ids, row_of)
    cluster = _clusters(con, ids, row_of)
    promoter = _promoters(con, ids, row_of)
    reposts = _outsider_reposts(con, ids)
    return EnforcementData(data.account_id, data.created_at, data.ended_at, data.end_kind, data.lineage, data.position,
                           data.predecessor, data.successor, followers, data_start, data_end, used, cluster, promoter,
                           reposts)


def _register_ids(con, ids: list[str]) -> None:
    import pyarrow as pa

    con.register("_enforcement_ids", pa.table({"account_id": pa.array(ids, pa.string())}))


def _lineages(con) -> list[list[str]]:
    rows = con.sql(
        "SELECT identity_id, list(account_id ORDER BY position) FROM identities WHERE method = 'returnee' "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [list(chain) for _, chain in rows if len(chain) > 1]


def _population(store, population: str) -> tuple[set[str], str]:
    from hydrawatch.store.snapshots import ended_accounts

    ended = ended_accounts(store.con)["account_id"].to_pylist()
    if population in ("auto", "scored"):
        scored = _scored_population(store, strict=population == "scored")
        if scored is not None:
            return scored, "scored"
    return set(ended), "ended"


def _scored_population(store, strict: bool) -> set[str] | None:
    """Ended accounts that read like the network and active accounts the scorer flags."""
    try:
        from hydrawatch.accounts.batch import detect_network_accounts

        scores, _ = detect_network_accounts(store)
    except (ConfigError, ImportError, ValueError) as exc:
        if strict:
            raise ConfigError(f"cannot score network accounts ({exc}); use --population ended") from exc
        log.info("no network scores (%s): measuring every ended account", exc)
        return None
    data = scores.data
    ids = np.asarray(data.account_id, dtype=object)
    own = scores.own_text_score
    ended = np.flatnonzero(np.asarray(data.ended) & ~np.isnan(own) & (own >= 0.5))
    flagged = scores.rows[scores.flagged()]
    members = set(ids[ended].tolist()) | set(ids[flagged].tolist())
    unread = np.flatnonzero(np.asarray(data.ended) & np.isnan(own))
    members |= _follow_network(store.con, ids[unread].tolist(), members)
    if not members:
        if strict:
            raise ConfigError("the account scorer flags no network account; use --population ended")
        return None
    return members


def _follow_network(con, candidates: list[str], members: set[str], min_edges: int = 2, min_share: float = 0.5) -> set[str]:
    """Ended accounts with nothing to read (suspended before they posted much) that live in
    the network's follow graph: at least ``min_edges`` follows to or from members, and at
    least ``min_share`` of their follows. Quickly suspended accounts are the short lives the
    Kaplan-Meier curve must not miss; spam that was suspended as fast follows elsewhere."""
    import pyarrow as pa

    if not candidates:
        return set()
    con.register("_enforcement_candidates", pa.table({"account_id": pa.array(candidates, pa.string())}))
    con.register("_enforcement_members", pa.table({"account_id": pa.array(sorted(members), pa.string())}))
    rows = con.sql(
        """
        WITH edges AS (
            SELECT source_account_id AS account_id, target_account_id AS other FROM follows
            WHERE source_account_id IN (SELECT account_id FROM _enforcement_candidates)
            UNION ALL
            SELECT target_account_id, source_account_id FROM follows
            WHERE target_account_id IN (SELECT account_id FROM _enforcement_candidates))
        SELECT account_id, count(*) AS edges,
               count(*) FILTER (WHERE other IN (SELECT account_id FROM _enforcement_members)) AS with_members
        FROM edges GROUP BY 1
        """
    ).fetchall()
    return {account for account, edges, with_members in rows
            if with_members >= min_edges and with_members >= min_share * edges}


def _lives(con, ids: list[str], platform: str | None) -> dict[str, tuple[float, float, str]]:
    """account -> (created_at, ended_at, end_kind). Creation is the profile's ``created_at``
    (the first post when no profile says)."""
    from hydrawatch.store.snapshots import ended_accounts

    _register_ids(con, ids)
    where = "" if platform is None else f"AND platform = '{platform}'"
    created = dict(con.sql(
        f"""
        WITH p AS (SELECT account_id, min(created_at) AS created FROM profiles JOIN _enforcement_ids USING (account_id)
                   WHERE true {where} GROUP BY 1),
             f AS (SELECT account_id, min(created_at) AS first_post FROM posts JOIN _enforcement_ids USING (account_id)
                   WHERE true {where} GROUP BY 1)
        SELECT i.account_id, epoch(coalesce(p.created, f.first_post))
        FROM _enforcement_ids i LEFT JOIN p USING (account_id) LEFT JOIN f USING (account_id)
        """
    ).fetchall())
    ended = ended_accounts(con)
    ends = {a: (t.timestamp(), k) for a, t, k in zip(ended["account_id"].to_pylist(), ended["ended_at"].to_pylist(),
                                                     ended["end_kind"].to_pylist(), strict=True)}
    out = {}
    for account in ids:
        when, kind = ends.get(account, (np.nan, ""))
        born = created.get(account)
        out[account] = (snowflake_time(account) if born is None else float(born), when, kind)
    return out


# Twitter ids since November 2010 are snowflakes: the top bits are milliseconds since this epoch.
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657
SNOWFLAKE_MIN_ID = 1 << 32


def snowflake_time(account_id: str) -> float:
    """Creation time encoded in a snowflake id (seconds), NaN for other ids. Accounts
    suspended before they ever posted have no profile: their id still dates them."""
    if not account_id.isdigit() or int(account_id) < SNOWFLAKE_MIN_ID:
        return np.nan
    return ((int(account_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000.0


def _followers(con, ids: list[str], row_of: dict[str, int]) -> FollowerSeries:
    _register_ids(con, ids)
    rows = con.sql(
        "SELECT account_id, epoch(observed_at), followers_count FROM metrics JOIN _enforcement_ids USING (account_id) "
        "WHERE followers_count IS NOT NULL"
    ).fetchall()
    if not rows:
        return FollowerSeries.empty(len(ids))
    row = np.array([row_of[r[0]] for r in rows], dtype=np.int64)
    return FollowerSeries.from_observations(len(ids), row, np.array([r[1] for r in rows], dtype=np.float64),
                                            np.array([r[2] for r in rows], dtype=np.float64))


def _clusters(con, ids: list[str], row_of: dict[str, int]) -> np.ndarray:
    """Communities of the follow graph among the network's accounts (Leiden, modularity)."""
    import igraph

    _register_ids(con, ids)
    edges = con.sql(
        "SELECT f.source_account_id, f.target_account_id FROM follows f "
        "JOIN _enforcement_ids s ON s.account_id = f.source_account_id "
        "JOIN _enforcement_ids t ON t.account_id = f.target_account_id"
    ).fetchall()
    cluster = np.full(len(ids), -1, dtype=np.int64)
    if not edges:
        return cluster
    graph = igraph.Graph(n=len(ids), edges=[(row_of[s], row_of[t]) for s, t in edges], directed=False)
    graph.simplify()
    parts = graph.community_leiden(objective_function="modularity", n_iterations=4)
    membership = np.asarray(parts.membership, dtype=np.int64)
    degree = np.asarray(graph.degree())
    cluster[degree > 0] = membership[degree > 0]
    return cluster


PROMOTION_HOURS = 48.0


def _promoters(con, ids: list[str], row_of: dict[str, int]) -> np.ndarray:
    """Accounts that mention brand-new network accounts (created within two days) at least
    twice: the shoutout accounts that announce returnees."""
    _register_ids(con, ids)
    rows = con.sql(
        f"""
        WITH born AS (SELECT account_id, min(created_at) AS created FROM profiles JOIN _enforcement_ids USING (account_id) GROUP BY 1)
        SELECT p.account_id, count(DISTINCT e.target_account_id) AS promoted
        FROM entities e JOIN posts p USING (platform, post_id)
        JOIN born b ON b.account_id = e.target_account_id
        JOIN _enforcement_ids s ON s.account_id = p.account_id
        WHERE e.kind = 'mention' AND p.kind <> 'repost' AND e.target_account_id <> p.account_id
          AND p.created_at BETWEEN b.created AND b.created + INTERVAL {int(PROMOTION_HOURS)} HOUR
        GROUP BY 1 HAVING count(DISTINCT e.target_account_id) >= 2
        """
    ).fetchall()
    promoter = np.zeros(len(ids), dtype=bool)
    for account, _ in rows:
        promoter[row_of[account]] = True
    return promoter


def _outsider_reposts(con, ids: list[str]) -> np.ndarray:
    _register_ids(con, ids)
    rows = con.sql(
        "SELECT epoch(p.created_at) FROM posts p JOIN _enforcement_ids n ON n.account_id = p.referenced_account_id "
        "WHERE p.kind IN ('repost', 'quote') AND p.account_id NOT IN (SELECT account_id FROM _enforcement_ids) "
        "ORDER BY 1"
    ).fetchall()
    return np.array([r[0] for r in rows], dtype=np.float64)
