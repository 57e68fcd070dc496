"""Communities of the network: who belongs with whom, by the Leiden algorithm.

**Graph.** Accounts of the network, linked when one reposted, quoted, mentioned, replied to or
followed the other (undirected; a link's weight is the sum of the weights of the layers in
which the pair interacts, each layer counting once however often: a pair that follows *and*
reposts each other weighs more than one that only follows). Accounts that the returnee
detector believes to be one actor (the ``identity`` layer) are merged first: a returnee
lives for days and cannot gather the ties of its first account, but its actor has them, and
the actor's community is given to each of its accounts. Without identities, short-lived
accounts are clustered on their own few ties, which costs accuracy (measured in
benchmarks/network.py).

**Algorithm.** Leiden (Traag, Waltman & van Eck 2019, igraph's implementation) maximising
modularity at ``resolution`` 1.1 by default (a little above 1 so that two small cells tied by
a few hub follows are not merged: modularity's resolution limit), or the Constant Potts Model (``objective="CPM"``)
whose resolution is a density threshold: groups denser than it are kept apart whatever the
size of the rest of the graph, so small cells are not merged into big ones (modularity's
resolution limit). For CPM the weights are divided by their mean so that ``resolution``
reads as "a fraction of an average tie". Leiden is randomised: it runs ``restarts`` times
from seeded generators and keeps the partition of highest quality, so a result depends only
on the data and ``seed``.

**Choosing parameters.** On seven simulated worlds modularity at 1.1 on actors recovered the
planted cells with adjusted Rand index 0.96-1.0 (0.94-1.0 at 1.0 and 1.2); raise the
resolution to split large groups, lower it to merge. CPM needs a resolution near the density
of the sparsest real group (0.4 of an average tie gave ARI ~0.8 on the same worlds).
"""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pyarrow as pa

from hydrawatch.core.errors import ConfigError

log = logging.getLogger(__name__)

VERSION = "leiden-actors-1"
# Reposts say most about who belongs with whom (members repost their own cell first), replies
# least (they include arguments); tuned on training worlds (seeds 501, 601, 602).
DEFAULT_LAYER_WEIGHTS: Mapping[str, float] = {"follow": 1.0, "repost": 2.0, "quote": 1.0, "mention": 1.0, "reply": 0.5}


@dataclass(frozen=True, slots=True)
class CommunityConfig:
    objective: str = "modularity"  # or "CPM"
    resolution: float = 1.1
    restarts: int = 8
    seed: int = 0
    layer_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LAYER_WEIGHTS))
    merge_identities: bool = True

    def __post_init__(self) -> None:
        if self.objective not in ("modularity", "CPM"):
            raise ConfigError(f"objective must be 'modularity' or 'CPM', got {self.objective!r}")
        if not self.resolution > 0:
            raise ConfigError(f"resolution must be > 0, got {self.resolution}")
        if self.restarts < 1:
            raise ConfigError("restarts must be >= 1")

    def provenance(self) -> dict:
        return {"signal": "communities", "version": VERSION, "objective": self.objective, "resolution": self.resolution,
                "restarts": self.restarts, "seed": self.seed, "layers": dict(self.layer_weights),
                "merge_identities": self.merge_identities}


@dataclass(frozen=True, slots=True)
class Communities:
    """``membership``: account -> community (0 is the largest; accounts without any tie
    inside the network get their own community each). ``actor_of``: account -> the actor
    (identity) it was merged into."""

    membership: dict[str, int]
    sizes: dict[int, int]
    quality: float
    actor_of: dict[str, str]
    provenance: dict

    @property
    def count(self) -> int:
        return len(self.sizes)

    def groups(self, min_size: int = 2) -> dict[int, list[str]]:
        found: defaultdict[int, list[str]] = defaultdict(list)
        for account, community in self.membership.items():
            if self.sizes[community] >= min_size:
                found[community].append(account)
        return {c: sorted(members) for c, members in sorted(found.items())}


@contextmanager
def _seeded(seed: int):
    """igraph draws from Python's ``random`` module: seed a private generator, restore after."""
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)


def actors(accounts: Iterable[str], identity_groups: Iterable[Iterable[str]] = ()) -> dict[str, str]:
    """Account -> actor id: the smallest account id of its identity group (union-find over
    groups, so chains sharing an account become one actor), or the account itself."""
    parent: dict[str, str] = {a: a for a in accounts}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for group in identity_groups:
        present = sorted(a for a in group if a in parent)
        for other in present[1:]:
            ra, rb = find(present[0]), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {a: find(a) for a in parent}


def actor_graph(interactions: pa.Table, actor_of: Mapping[str, str], layer_weights: Mapping[str, float]) -> tuple[ig.Graph, list[str]]:
    """The undirected weighted graph of actors (see the module docstring)."""
    names = sorted(set(actor_of.values()))
    index = {name: i for i, name in enumerate(names)}
    pair_layers: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
    for source, target, kind in zip(interactions["source"].to_pylist(), interactions["target"].to_pylist(), interactions["kind"].to_pylist()):
        if kind not in layer_weights:
            continue
        a, b = actor_of.get(source), actor_of.get(target)
        if a is None or b is None or a == b:
            continue
        i, j = index[a], index[b]
        pair_layers[(min(i, j), max(i, j))].add(f"{kind}:{'f' if i < j else 'b'}")
    edges = sorted(pair_layers)
    weights = [sum(layer_weights[tag.split(":", 1)[0]] for tag in pair_layers[e]) for e in edges]
    graph = ig.Graph(n=len(names), edges=edges, directed=False)
    graph.vs["name"] = names
    graph.es["weight"] = weights
    return graph, names


def find_communities(
    interactions: pa.Table,
    accounts: Iterable[str],
    identity_groups: Iterable[Iterable[str]] = (),
    config: CommunityConfig = CommunityConfig(),
) -> Communities:
    """Leiden communities of ``accounts`` over their interactions (rows ``source, target,
    kind``; edges leaving the set are ignored)."""
    accounts = sorted(set(accounts))
    actor_of = actors(accounts, identity_groups if config.merge_identities else ())
    graph, names = actor_graph(interactions, actor_of, config.layer_weights)
    if graph.vcount() == 0:
        return Communities({}, {}, 0.0, {}, config.provenance())
    weights = np.asarray(graph.es["weight"], dtype=float) if graph.ecount() else np.zeros(0)
    if config.objective == "CPM" and weights.size:
        weights = weights / weights.mean()
    best, best_quality = None, -np.inf
    for restart in range(config.restarts):
        with _seeded(config.seed * 1000 + restart):
            partition = graph.community_leiden(objective_function=config.objective, weights=weights.tolist() if weights.size else None,
                                               resolution=config.resolution, n_iterations=-1)
        quality = partition.quality if config.objective == "CPM" else graph.modularity(partition.membership, weights=weights.tolist() if weights.size else None, resolution=config.resolution)
        if quality > best_quality + 1e-12:
            best, best_quality = partition.membership, quality
    # Renumber: largest community (in accounts) first, ties by smallest member id.
    actor_community = {names[i]: c for i, c in enumerate(best)}
    by_account = {a: actor_community[actor_of[a]] for a in accounts}
    counts = Counter(by_account.values())
    first_member: dict[int, str] = {}
    for a in accounts:
        first_member.setdefault(by_account[a], a)
    order = sorted(counts, key=lambda c: (-counts[c], first_member[c]))
    renumber = {c: i for i, c in enumerate(order)}
    membership = {a: renumber[c] for a, c in by_account.items()}
    sizes = {renumber[c]: n for c, n in counts.items()}
    log.info("communities: %d accounts, %d actors, %d communities (%d with 2+ accounts)", len(accounts), graph.vcount(), len(sizes), sum(1 for n in sizes.values() if n > 1))
    return Communities(membership, dict(sorted(sizes.items())), float(best_quality), actor_of, config.provenance())
