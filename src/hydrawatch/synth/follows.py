"""Who follows whom, and since when.

The background is sparse and heavy-tailed (popular accounts collect most follows, people
follow accounts in their own language). The network is dense inside its planted cells.
Sympathisers, journalists, counter-messengers and researchers follow network accounts (the
researchers follow a lot of them and rarely post). Accounts created during the window follow
and are followed only after their creation. Recruits follow their cell and a broad set of
popular network accounts (outlets and shoutout accounts). After a return, the new account
follows most of its predecessor's followees within hours (some returnees only a few, over
days; some also follow the popular network accounts, like recruits do) and the predecessor's
followers re-follow it over the following days: the follower-recovery curve an analyst would
measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import MS_PER_DAY, MS_PER_HOUR
from .config import WorldConfig
from .kinds import (
    ARABIC,
    COUNTER,
    ENGLISH,
    JOINED_RECRUIT,
    LOOKALIKE,
    MEDIA,
    NETWORK,
    NEWS,
    ORDINARY,
    PARODY,
    RESEARCHER,
    SHOUTOUT,
    SPAM,
)
from .population import AccountTable


@dataclass(frozen=True)
class FollowGraph:
    """Edges sorted by (created_ms, source, target); every (source, target) pair once."""

    source: np.ndarray
    target: np.ndarray
    created_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.source.size)


class _EdgeList:
    def __init__(self) -> None:
        self.sources: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self.times: list[np.ndarray] = []

    def add(self, sources: np.ndarray, targets: np.ndarray, times: np.ndarray) -> None:
        self.sources.append(np.asarray(sources, dtype=np.int64))
        self.targets.append(np.asarray(targets, dtype=np.int64))
        self.times.append(np.asarray(times, dtype=np.int64))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.sources:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(self.sources), np.concatenate(self.targets), np.concatenate(self.times)


def build_follows(config: WorldConfig, table: AccountTable, rng: np.random.Generator) -> FollowGraph:
    start_ms = int(config.start.timestamp() * 1000)
    end_ms = start_ms + config.days * MS_PER_DAY
    edges = _EdgeList()
    initial = config.accounts
    groups = table.group
    network = np.flatnonzero(groups[:initial] == NETWORK)

    def timed(sources: np.ndarray, targets: np.ndarray) -> None:
        edges.add(sources, targets, _edge_times(table, sources, targets, start_ms, end_ms, rng))

    _background(table, initial, config.follows_per_account, rng, timed)
    _cells(table, network, config.within_community_follow_probability, rng, timed)
    _around_network(table, initial, network, rng, timed)
    _decoys(table, initial, config.follows_per_account, rng, start_ms, end_ms, edges)
    hubs = _Hubs(table, end_ms)
    for recruit in np.flatnonzero(table.joined[:initial] == JOINED_RECRUIT).tolist():
        targets, times = hubs.follows(recruit, rng)
        edges.add(np.full(targets.size, recruit), targets, times)
    sources, targets, times = edges.arrays()
    sources, targets, times = _returns(config, table, sources, targets, times, rng, end_ms, hubs)
    return _finish(table, sources, targets, times, end_ms)


class _Hubs:
    """The popular network accounts (outlets and shoutout accounts of every generation) that
    newcomers to the network follow in bulk. A person's popularity carries over to their new
    accounts, so many newcomers follow the same few hubs."""

    MEAN_FOLLOWS = 6.0

    def __init__(self, table: AccountTable, end_ms: int) -> None:
        self.table = table
        self.end_ms = end_ms
        self.accounts = np.flatnonzero((table.group == NETWORK) & np.isin(table.role, (MEDIA, SHOUTOUT)))
        roots = np.asarray(table.person_root, dtype=np.int64)[table.person[self.accounts]]
        self.weights = table.base_followers[roots].astype(np.float64) + 20.0
        self.created = table.created_ms[self.accounts]
        self.ends = table.end_ms[self.accounts]

    def follows(self, account: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Hubs ``account`` follows within hours of its creation, and when."""
        created = int(self.table.created_ms[account])
        alive = np.flatnonzero((self.created <= created) & (self.ends > created))
        alive = alive[self.accounts[alive] != account]
        count = min(int(rng.poisson(self.MEAN_FOLLOWS)) + 2, alive.size)
        if count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        weights = self.weights[alive]
        chosen = rng.choice(alive, size=count, replace=False, p=weights / weights.sum())
        times = created + rng.lognormal(np.log(6 * MS_PER_HOUR), 1.2, count).astype(np.int64)
        horizon = min(int(self.table.end_ms[account]), self.end_ms)
        keep = (times < self.ends[chosen]) & (times < horizon)
        return self.accounts[chosen[keep]], times[keep]


def _popularity(table: AccountTable, candidates: np.ndarray, language_boost: int | None) -> np.ndarray:
    weights = table.base_followers[candidates].astype(np.float64) + 5.0
    weights[table.group[candidates] == NEWS] *= 3.0
    if language_boost is not None:
        same = (table.language[candidates] == language_boost) | (table.language[candidates] == 2)
        weights *= np.where(same, 2.0, 0.4)
    return weights / weights.sum()


def _background(table: AccountTable, initial: int, mean_degree: float, rng: np.random.Generator, timed) -> None:
    groups = table.group[:initial]
    followers = np.flatnonzero(groups != NETWORK)
    degree = rng.poisson(mean_degree * rng.lognormal(-0.5, 1.0, followers.size))
    degree[groups[followers] == SPAM] *= 5
    candidates = np.flatnonzero((groups != NETWORK) & (groups != SPAM))
    for language in (ARABIC, ENGLISH):
        speakers = (table.language[followers] == language) | ((table.language[followers] == 2) & (language == ARABIC))
        sources = np.repeat(followers[speakers], degree[speakers])
        targets = rng.choice(candidates, size=sources.size, p=_popularity(table, candidates, language))
        timed(sources, targets)


def _cells(table: AccountTable, network: np.ndarray, probability: float, rng: np.random.Generator, timed) -> None:
    """Dense follows inside each planted cell; a few across cells and to the outlets."""
    communities = table.community[network]
    order = np.argsort(communities, kind="stable")
    members_sorted = network[order]
    boundaries = np.flatnonzero(np.diff(communities[order])) + 1
    for members in np.split(members_sorted, boundaries):
        k = members.size
        # A recruit knows fewer of its cell than the old hands do, and fewer of them know it.
        recruit = table.joined[members] == JOINED_RECRUIT
        scale = np.where(recruit, 0.25, 1.0)[:, None] * np.where(recruit, 0.5, 1.0)[None, :]
        linked = rng.random((k, k)) < probability * scale
        np.fill_diagonal(linked, False)
        source_index, target_index = np.nonzero(linked)
        timed(members[source_index], members[target_index])
    across = rng.poisson(3, network.size)
    sources = np.repeat(network, across)
    timed(sources, rng.choice(network, size=sources.size))
    hubs = network[np.isin(table.role[network], (MEDIA, SHOUTOUT))]
    to_hubs = rng.poisson(2, network.size)
    sources = np.repeat(network, to_hubs)
    timed(sources, rng.choice(hubs, size=sources.size))


def _around_network(table: AccountTable, initial: int, network: np.ndarray, rng: np.random.Generator, timed) -> None:
    groups = table.group[:initial]
    ordinary = np.flatnonzero(groups == ORDINARY)
    hub_weight = np.where(np.isin(table.role[network], (MEDIA, SHOUTOUT)), 2.0, 1.0)
    hub_weight /= hub_weight.sum()
    # Sympathisers and the curious: ordinary accounts that follow some network accounts.
    sympathisers = rng.choice(ordinary, size=max(20, ordinary.size // 60), replace=False)
    degree = rng.poisson(5, sympathisers.size) + 1
    sources = np.repeat(sympathisers, degree)
    timed(sources, rng.choice(network, size=sources.size, p=hub_weight))
    # Journalists and counter-messengers watch a handful; researchers watch very many. Each
    # picks among the network accounts still there when it joins (it may join late).
    by_end = network[np.argsort(table.end_ms[network], kind="stable")]
    ends = table.end_ms[by_end]
    for group, mean in ((NEWS, 5), (COUNTER, 8)):
        watchers = np.flatnonzero(groups == group)
        sources = np.repeat(watchers, rng.poisson(mean, watchers.size))
        first = np.searchsorted(ends, table.created_ms[sources], side="right")
        picked = first + (rng.random(sources.size) * (by_end.size - first)).astype(np.int64)
        there = picked < by_end.size
        timed(sources[there], by_end[picked[there]])
    researchers = np.flatnonzero(groups == RESEARCHER)
    for researcher in researchers.tolist():
        share = rng.uniform(0.2, 0.4)
        still_there = by_end[np.searchsorted(ends, table.created_ms[researcher], side="right"):]
        count = min(int(share * network.size), 400, still_there.size)
        targets = rng.choice(still_there, size=count, replace=False)
        timed(np.full(count, researcher), targets)


def _decoys(table: AccountTable, initial: int, mean_degree: float, rng: np.random.Generator,
            start_ms: int, end_ms: int, edges: _EdgeList) -> None:
    """Parodies and look-alike decoys created during the window: a few follows both ways,
    all after their creation (and after the other account's)."""
    late = np.arange(initial, table.size)
    late = late[np.isin(table.group[late], (PARODY, LOOKALIKE))]
    if late.size == 0:
        return
    background = np.flatnonzero(table.group[:initial] == ORDINARY)
    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for account in late.tolist():
        created = int(table.created_ms[account])
        horizon = min(int(table.end_ms[account]), end_ms)
        if horizon - created < MS_PER_HOUR:
            continue
        out_targets = rng.choice(background, size=int(rng.poisson(mean_degree * 2)) + 1)
        in_sources = rng.choice(background, size=int(rng.poisson(3)))
        sources += [np.full(out_targets.size, account), in_sources]
        targets += [out_targets, np.full(in_sources.size, account)]
    if sources:
        all_sources, all_targets = np.concatenate(sources), np.concatenate(targets)
        edges.add(all_sources, all_targets, _edge_times(table, all_sources, all_targets, start_ms, end_ms, rng))


def _edge_times(table: AccountTable, sources: np.ndarray, targets: np.ndarray, start_ms: int,
                end_ms: int, rng: np.random.Generator) -> np.ndarray:
    """Mostly before the window (the graph as found), a tenth during it; always while both
    accounts exist. A follow involving an account created during the window comes after that
    creation, and soon after it when the newcomer is the follower (a new account follows a
    batch of accounts first). Pairs that never coexist get ``end_ms``, which drops them."""
    source_created = table.created_ms[sources]
    target_created = table.created_ms[targets]
    earliest = np.maximum(source_created, target_created)
    latest = np.minimum(np.minimum(table.end_ms[sources], table.end_ms[targets]), end_ms) - 1
    newcomer = earliest >= start_ms
    before = (rng.random(sources.size) < 0.9) & ~newcomer
    upper = np.where(before, np.minimum(latest, start_ms), latest)
    lower = np.where(before, earliest, np.maximum(earliest, start_ms))
    lower = np.minimum(lower, upper)
    share = rng.random(sources.size)
    share = np.where(newcomer & (source_created >= target_created), share**3, share)
    times = lower + (share * (upper - lower)).astype(np.int64)
    return np.where(latest > earliest, times, end_ms)


def _returns(config: WorldConfig, table: AccountTable, sources: np.ndarray, targets: np.ndarray,
             times: np.ndarray, rng: np.random.Generator, end_ms: int, hubs: _Hubs) -> tuple[np.ndarray, ...]:
    """Follow recovery of each returnee, in creation order so chains build on each other.
    Friends are followed (and follow back) from whichever account they have at the time: a
    returnee finds the new accounts of its suspended friends too."""
    returnees = np.flatnonzero(table.predecessor >= 0)
    if returnees.size == 0:
        return sources, targets, times
    lineage = np.zeros(table.size, dtype=bool)
    lineage[table.predecessor[returnees]] = True
    lineage[returnees] = True
    current = _CurrentAccount(table, lineage)
    by_target: dict[int, list[int]] = {}
    by_source: dict[int, list[int]] = {}
    # Only follows that happened (pairs that never coexisted carry ``end_ms``).
    keep = (lineage[targets] | lineage[sources]) & (times < end_ms)
    for source, target in zip(sources[keep].tolist(), targets[keep].tolist(), strict=True):
        if lineage[target]:
            by_target.setdefault(target, []).append(source)
        if lineage[source]:
            by_source.setdefault(source, []).append(target)
    added_sources: list[int] = []
    added_targets: list[int] = []
    added_times: list[int] = []
    groups = table.group
    for account in returnees[np.argsort(table.created_ms[returnees], kind="stable")].tolist():
        predecessor = int(table.predecessor[account])
        created = int(table.created_ms[account])
        horizon = min(int(table.end_ms[account]), end_ms)
        network = groups[account] == NETWORK
        base_probability = config.refollow_probability if network else config.refollow_probability * 0.4
        followers = sorted(set(by_target.get(predecessor, ())))
        followees = sorted(set(by_source.get(predecessor, ())))
        draws = rng.random(len(followers))
        delays = rng.lognormal(np.log(config.refollow_delay_median_days * MS_PER_DAY), 1.0, len(followers))
        for follower, draw, delay in zip(followers, draws.tolist(), delays.tolist(), strict=True):
            follower_group = groups[follower]
            probability = base_probability
            if follower_group == RESEARCHER:
                probability = 0.8
            elif follower_group == NETWORK:
                probability = min(1.0, base_probability * 1.4)
                delay /= 3
            at = created + int(delay)
            if draw >= probability or at >= horizon:
                continue
            follower = current.at(follower, at)
            if follower >= 0 and not current.same_person(follower, account):
                added_sources.append(follower)
                added_targets.append(account)
                added_times.append(at)
                by_target.setdefault(account, []).append(follower)
        # Most returnees restore their followees at once; some only a few, over days.
        sparse = rng.random() < config.returnee_sparse_follow_probability
        refollow, median_delay = (0.2, 2 * MS_PER_DAY) if sparse else (0.8, 3 * MS_PER_HOUR)
        draws = rng.random(len(followees))
        delays = rng.lognormal(np.log(median_delay), 1.0, len(followees))
        for followee, draw, delay in zip(followees, draws.tolist(), delays.tolist(), strict=True):
            at = created + int(delay)
            if draw >= refollow or at >= horizon:
                continue
            followee = current.at(followee, at)
            if followee >= 0 and not current.same_person(followee, account):
                added_sources.append(account)
                added_targets.append(followee)
                added_times.append(at)
                by_source.setdefault(account, []).append(followee)
        if network and rng.random() < config.returnee_hub_follow_probability:
            hub_targets, hub_times = hubs.follows(account, rng)
            added_sources.extend([account] * hub_targets.size)
            added_targets.extend(hub_targets.tolist())
            added_times.extend(hub_times.tolist())
            by_source.setdefault(account, []).extend(hub_targets.tolist())
    return (np.concatenate([sources, np.asarray(added_sources, dtype=np.int64)]),
            np.concatenate([targets, np.asarray(added_targets, dtype=np.int64)]),
            np.concatenate([times, np.asarray(added_times, dtype=np.int64)]))


class _CurrentAccount:
    """The account a person has at a given time (people with several accounts have one at a
    time, with gaps between a suspension and the return)."""

    def __init__(self, table: AccountTable, lineage: np.ndarray) -> None:
        self.created = table.created_ms
        self.ends = table.end_ms
        self.person = table.person
        accounts = np.flatnonzero(lineage)
        self.accounts_of: dict[int, list[int]] = {}
        for account in accounts[np.argsort(self.created[accounts], kind="stable")].tolist():
            self.accounts_of.setdefault(int(self.person[account]), []).append(account)

    def at(self, account: int, at_ms: int) -> int:
        """``account`` if it is there at ``at_ms``, else its person's account then, or -1."""
        if self.created[account] <= at_ms < self.ends[account]:
            return account
        for other in self.accounts_of.get(int(self.person[account]), ()):
            if self.created[other] <= at_ms < self.ends[other]:
                return other
        return -1

    def same_person(self, first: int, second: int) -> bool:
        return bool(self.person[first] == self.person[second])


def _finish(table: AccountTable, sources: np.ndarray, targets: np.ndarray, times: np.ndarray,
            end_ms: int) -> FollowGraph:
    valid = (sources != targets) & (times < end_ms)
    sources, targets, times = sources[valid], targets[valid], times[valid]
    # Keep the earliest follow of each pair.
    by_time = np.argsort(times, kind="stable")
    sources, targets, times = sources[by_time], targets[by_time], times[by_time]
    key = sources * table.size + targets
    _, first = np.unique(key, return_index=True)
    sources, targets, times = sources[first], targets[first], times[first]
    order = np.lexsort((targets, sources, times))
    return FollowGraph(sources[order], targets[order], times[order])
