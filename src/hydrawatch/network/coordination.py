"""Coordinated sharing: accounts that keep sharing the same things at the same moment.

**Definition.** Two accounts are *linked by* an object O (a retweeted post, a URL, a hashtag,
an image) when both shared O at times at most ``window_seconds`` apart (inclusive). The
*weight* of the edge between them is the number of distinct objects that link them; edges
with weight ``>= min_repetition`` are kept. An account sharing O several times counts once per
object: the pair is linked by O if *any* of its shares of O lies within the window of any of
the other account's shares of O. Output rows are ``account_a, account_b, weight`` with
``account_a < account_b`` (string order). Clusters of coordinated accounts are the connected
components of the kept edges, each with the objects that tie it together.

This is the co-retweet / co-link / co-hashtag network of CooRTweet and of the QUT
coordination-network-toolkit, with one difference of counting: the toolkit weighs an edge by
the number of *messages* of one account that have a partner, so one account retweeting the
same post twice counts twice there (and its edges can be asymmetric); here it counts once.

**Choosing parameters.** Organic audiences share popular objects at the same moment too, so a
single co-share means little. ``min_repetition`` is what separates a network from a crowd: two
accounts that share 5 of the same objects within 60 s of each other are rarely a coincidence
unless the objects are viral. Short windows (10-60 s) find automation; minutes to an hour find
human-run networks following a call to action (at the cost of more crowd pairs).

Two implementations, one contract:

* :func:`coordinated_edges_reference`: the brute-force oracle (every pair of shares of every
  object), for tests only: quadratic in the shares of an object.
* :func:`coordinated_edges`: the fast one, in bounded memory and with threads; its method is
  described in :mod:`hydrawatch.network.cosharing`. It gives exactly the reference's table
  (tested on real data and on random inputs).

Inputs are Arrow tables ``account_id, object_id, timestamp`` (UTC ``timestamp[us]``): from a
CSV (:func:`hydrawatch.network.shares_csv.read_shares_csv`) or from the store
(:func:`hydrawatch.store.shares.shares`, by retweeted post, URL, hashtag or image).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hydrawatch.core.errors import ConfigError
from hydrawatch.network.cosharing import INT64_SAFE, count_pairs, linking_pairs, prepare_shares
from hydrawatch.network.shares_csv import SHARES_SCHEMA, parse_time_micros, read_shares_csv, shares_table

__all__ = [
    "SHARES_SCHEMA",
    "CoordinatedCluster",
    "CoordinationConfig",
    "CoordinationResult",
    "CoordinationStats",
    "coordinated_clusters",
    "coordinated_edges",
    "coordinated_edges_reference",
    "linking_objects",
    "parse_time_micros",
    "read_shares_csv",
    "shares_table",
]

log = logging.getLogger(__name__)

SIGNAL = "coordinated_sharing"
VERSION = 1

EDGES_SCHEMA = pa.schema([("account_a", pa.string()), ("account_b", pa.string()), ("weight", pa.int64())])
EVIDENCE_SCHEMA = pa.schema([("account_a", pa.string()), ("account_b", pa.string()), ("object_id", pa.string())])

MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class CoordinationConfig:
    """What counts as coordination, and how much memory and how many threads to use for it.

    ``window_seconds``: two shares of an object at most this far apart link their accounts
    (inclusive; 0 means the same microsecond). ``min_repetition``: keep pairs linked by at
    least this many distinct objects. The other fields change speed and memory, never results.
    """

    window_seconds: float
    min_repetition: int = 2
    batch_pairs: int = 4_000_000
    max_pairs_in_memory: int = 100_000_000
    workers: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.window_seconds, (int, float)) and math.isfinite(self.window_seconds)) or self.window_seconds < 0:
            raise ConfigError(f"window_seconds must be a number >= 0 (seconds between two shares), got {self.window_seconds!r}")
        if int(self.min_repetition) != self.min_repetition or self.min_repetition < 1:
            raise ConfigError(
                f"min_repetition must be an integer >= 1 (distinct objects linking a pair), got {self.min_repetition!r}; "
                "1 keeps every co-share, 2 or more separates networks from crowds"
            )
        if self.batch_pairs < 1 or self.max_pairs_in_memory < 1:
            raise ConfigError("batch_pairs and max_pairs_in_memory must be >= 1 (they bound memory, not results)")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers!r}")

    @property
    def window_micros(self) -> int:
        return window_micros(self.window_seconds)

    def provenance(self) -> dict:
        """Which signal and version, with which parameters: stored next to every score."""
        return {
            "signal": SIGNAL,
            "version": VERSION,
            "window_seconds": self.window_seconds,
            "min_repetition": self.min_repetition,
        }


def window_micros(window_seconds: float) -> int:
    """The window in integer microseconds, as both implementations compare it. Windows beyond
    2**62 microseconds (146,000 years: longer than any two times can differ) are capped there,
    so that the arithmetic stays in int64."""
    return min(int(round(window_seconds * MICROS)), INT64_SAFE)


@dataclass(frozen=True, slots=True)
class CoordinationStats:
    """What the fast implementation did: for logs and benchmarks."""

    shares: int
    accounts: int
    objects: int
    share_pairs: int  # pairs of shares within the window (before self pairs and de-duplication)
    passes: int
    batches: int
    edges: int


@dataclass(frozen=True, slots=True)
class CoordinationResult:
    """The kept edges (``account_a, account_b, weight``, strongest first, then by names), the
    configuration that produced them (its :attr:`provenance` goes with every score) and what
    the computation did."""

    edges: pa.Table  # account_a, account_b, weight; strongest first
    config: CoordinationConfig
    stats: CoordinationStats

    @property
    def provenance(self) -> dict:
        return self.config.provenance()


@dataclass(frozen=True, slots=True)
class CoordinatedCluster:
    """Accounts tied together by coordinated sharing, with the objects that tie them.

    ``objects`` lists ``(object_id, pairs)``: how many kept edges inside the cluster the object
    links, most linking first, so that a moderator sees the shared material first."""

    cluster: int
    accounts: tuple[str, ...]
    edges: int
    weight: int  # sum of the weights of the cluster's edges
    objects: tuple[tuple[str, int], ...]
    provenance: dict = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return len(self.accounts)


# --- the reference ----------------------------------------------------------------------


def coordinated_edges_reference(shares: pa.Table, window_seconds: float, min_repetition: int) -> pa.Table:
    """Brute force, for tests: every pair of shares of every object, ``|t_a - t_b| <= window``."""
    window = window_micros(window_seconds)
    by_object: dict[str, list[tuple[str, int]]] = defaultdict(list)
    times = shares["timestamp"].cast(pa.int64()).to_pylist()
    for account, obj, when in zip(shares["account_id"].to_pylist(), shares["object_id"].to_pylist(), times):
        by_object[obj].append((account, when))
    linking: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obj, found in by_object.items():
        for (account_a, time_a), (account_b, time_b) in itertools.combinations(found, 2):
            if account_a != account_b and abs(time_a - time_b) <= window:
                linking[(min(account_a, account_b), max(account_a, account_b))].add(obj)
    kept = [(a, b, len(objs)) for (a, b), objs in linking.items() if len(objs) >= min_repetition]
    return _edges_table([k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept])


def _edges_table(account_a, account_b, weight) -> pa.Table:
    table = pa.table(
        {"account_a": pa.array(account_a, pa.string()), "account_b": pa.array(account_b, pa.string()), "weight": pa.array(weight, pa.int64())},
        schema=EDGES_SCHEMA,
    )
    return table.sort_by([("weight", "descending"), ("account_a", "ascending"), ("account_b", "ascending")])


# --- the fast implementation --------------------------------------------------------------


def coordinated_edges(shares: pa.Table, config: CoordinationConfig) -> CoordinationResult:
    """Account pairs linked by at least ``config.min_repetition`` distinct objects shared within
    ``config.window_seconds`` of each other: exactly :func:`coordinated_edges_reference`, fast
    (see :mod:`hydrawatch.network.cosharing` for the method and its memory bound)."""
    prepared = prepare_shares(shares, config.window_micros, config.min_repetition)
    counted = count_pairs(prepared, config.min_repetition, config.batch_pairs, config.max_pairs_in_memory, config.workers)
    account_a, account_b = prepared.pair_names(counted.keys)
    edges = _edges_table(account_a, account_b, counted.weights)
    stats = CoordinationStats(
        shares=len(prepared.time),
        accounts=prepared.n_accounts,
        objects=len(prepared.object_names),
        share_pairs=counted.share_pairs,
        passes=counted.passes,
        batches=counted.batches,
        edges=edges.num_rows,
    )
    return CoordinationResult(edges=edges, config=config, stats=stats)


# --- evidence and clusters ----------------------------------------------------------------


def linking_objects(shares: pa.Table, edges: pa.Table, config: CoordinationConfig) -> pa.Table:
    """For each kept edge, the objects that link it (``account_a, account_b, object_id``): the
    evidence behind every weight. Re-runs the pair generation, keeping only the given pairs."""
    prepared = prepare_shares(shares, config.window_micros, config.min_repetition)
    keys, objects = linking_pairs(prepared, prepared.pair_keys(edges["account_a"], edges["account_b"]), config.batch_pairs)
    account_a, account_b = prepared.pair_names(keys)
    return pa.table(
        {"account_a": account_a, "account_b": account_b, "object_id": prepared.object_names.take(pa.array(objects, pa.int64()))},
        schema=EVIDENCE_SCHEMA,
    )


def coordinated_clusters(edges: pa.Table, evidence: pa.Table | None = None, config: CoordinationConfig | None = None, top_objects: int = 10) -> list[CoordinatedCluster]:
    """Connected components of the kept edges, largest first (ties by first account), each with
    the ``top_objects`` objects linking most of its edges (from :func:`linking_objects`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if edges.num_rows == 0:
        return []
    names = pc.unique(pa.concat_arrays([edges["account_a"].combine_chunks(), edges["account_b"].combine_chunks()])).sort()
    low = pc.index_in(edges["account_a"], value_set=names).to_numpy(zero_copy_only=False)
    high = pc.index_in(edges["account_b"], value_set=names).to_numpy(zero_copy_only=False)
    n = len(names)
    graph = coo_matrix((np.ones(len(low), dtype=np.int8), (low, high)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    weights = edges["weight"].to_numpy()
    members: dict[int, list[int]] = defaultdict(list)
    for account, label in enumerate(component):
        members[int(label)].append(account)
    edge_count = np.bincount(component[low], minlength=component.max() + 1)
    weight_sum = np.bincount(component[low], weights=weights, minlength=component.max() + 1)
    objects_by_label: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if evidence is not None and evidence.num_rows:
        evidence_low = pc.index_in(evidence["account_a"], value_set=names).to_numpy(zero_copy_only=False)
        for account, obj in zip(evidence_low, evidence["object_id"].to_pylist()):
            objects_by_label[int(component[account])][obj] += 1
    provenance = config.provenance() if config else {"signal": SIGNAL, "version": VERSION}
    ordered = sorted(members, key=lambda label: (-len(members[label]), members[label][0]))
    clusters = []
    for number, label in enumerate(ordered, start=1):
        objects = sorted(objects_by_label.get(label, {}).items(), key=lambda item: (-item[1], item[0]))[:top_objects]
        clusters.append(
            CoordinatedCluster(
                cluster=number,
                accounts=tuple(names[i].as_py() for i in members[label]),
                edges=int(edge_count[label]),
                weight=int(weight_sum[label]),
                objects=tuple(objects),
                provenance=provenance,
            )
        )
    return clusters
