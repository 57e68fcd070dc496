"""Compose the network stages over a store: read what each needs, run it, return rows.

Like :mod:`hydrawatch.pipeline` for the returnee detector, this is the one place of the
network package that opens store queries (``hydrawatch.store.*``, imported lazily); the
algorithms in the sibling modules never see SQL. Every function takes an open
:class:`hydrawatch.store.duck.Store`.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .communities import CommunityConfig, Communities, find_communities
from .graphs import LAYERS, check_layer, empty_edges, layer_edges, pair_edges, restrict, to_igraph
from .links import LinkClassifier, LinkResolver
from .membership import Membership, MembershipConfig, endorsement_members, with_scored
from .migration import MigrationResult, account_destinations
from .role_features import RoleFeatures, role_features
from .size import SizeEstimate, estimate_size

log = logging.getLogger(__name__)

IDENTITY_SOURCES = ("auto", "store", "detect", "none")


def _interactions(store) -> pa.Table:
    from hydrawatch.store.edges import interaction_edges

    return interaction_edges(store.con)


@dataclass
class NetworkView:
    """What the network stages share: the interaction edges, the members, the actors."""

    interactions: pa.Table
    members: Membership
    identity_groups: list[list[str]]
    identity_source: str


def network_members(store, seeds: Iterable[str] = (), config: MembershipConfig = MembershipConfig(), interactions: pa.Table | None = None,
                    use_scorer: bool = True) -> Membership:
    """The network's accounts: the core of the ended (suspended/deleted) accounts plus
    ``seeds``, then either the accounts the account scorer flags (when ``hydrawatch.accounts``
    has a trained model and ``use_scorer``) or the accounts the core endorses and is endorsed
    by (see :mod:`hydrawatch.network.membership`)."""
    from hydrawatch.store.snapshots import ended_accounts

    interactions = interactions if interactions is not None else _interactions(store)
    ended = ended_accounts(store.con)["account_id"].to_pylist()
    if use_scorer:
        scored = _scorer_flags(store)
        if scored is not None:
            core = endorsement_members(interactions, [*ended, *seeds], MembershipConfig(config.core_links, rounds=0))
            return with_scored(core, scored)
    return endorsement_members(interactions, [*ended, *seeds], config)


def _scorer_flags(store) -> dict[str, float] | None:
    """Accounts the account scorer flags (id -> probability), or None without a trained one."""
    try:
        from hydrawatch.accounts.batch import detect_network_accounts
        from hydrawatch.accounts.detect import default_model_path
    except ImportError:
        return None
    if not default_model_path().exists():
        return None
    from hydrawatch.core.errors import HydrawatchError

    try:
        scores, _ = detect_network_accounts(store)
    except (HydrawatchError, FileNotFoundError) as exc:
        log.warning("account scorer failed (%s); using the suspended accounts and endorsement instead", exc)
        return None
    flagged = scores.flagged().tolist()
    return {scores.data.account_id[int(scores.rows[p])]: float(scores.probability[p]) for p in flagged}


def identity_groups(store, source: str = "auto", ranker_path: Path | None = None) -> tuple[list[list[str]], str]:
    """Accounts believed to be one actor: the store's ``identities`` (written by
    ``hydrawatch returnees``), or a fresh run of the returnee detector (``detect``, or ``auto``
    when the store has none and a trained ranker exists), or none. Returns the groups and
    where they came from."""
    if source not in IDENTITY_SOURCES:
        raise ValueError(f"identities must be one of {', '.join(IDENTITY_SOURCES)}, got {source!r}")
    if source == "none":
        return [], "none"
    if source in ("auto", "store"):
        from hydrawatch.store.behaviour import identity_groups as stored

        table = stored(store.con)
        groups: defaultdict[str, list[str]] = defaultdict(list)
        for identity, account in zip(table["identity_id"].to_pylist(), table["account_id"].to_pylist()):
            groups[identity].append(account)
        found = [g for g in groups.values() if len(g) > 1]
        if found or source == "store":
            return found, "store identities"
    from hydrawatch.evasion.detect import default_model_path
    from hydrawatch.evasion.ranker import ReturneeRanker

    path = ranker_path or default_model_path()
    if not Path(path).exists():
        if source == "detect":
            raise FileNotFoundError(f"no trained returnee model at {path}; train one: hydrawatch train returnees")
        log.info("no identities in the store and no returnee model: communities are found account by account")
        return [], "none (no returnee model)"
    from hydrawatch.pipeline import detect_returnees

    result = detect_returnees(store, ReturneeRanker.load(path))
    table = result.table
    return [[table.account_id[r] for r in lineage.rows] for lineage in result.lineages], "returnee detector"


def network_view(store, seeds: Iterable[str] = (), identities: str = "auto", membership: MembershipConfig = MembershipConfig(),
                 ranker_path: Path | None = None, use_scorer: bool = True) -> NetworkView:
    interactions = _interactions(store)
    members = network_members(store, seeds, membership, interactions, use_scorer)
    groups, source = identity_groups(store, identities, ranker_path)
    return NetworkView(interactions, members, groups, source)


def network_communities(view: NetworkView, config: CommunityConfig = CommunityConfig()) -> Communities:
    return find_communities(view.interactions, view.members.ids, view.identity_groups, config)


# --- graphs -------------------------------------------------------------------------------


def graph_layer(store, layer: str, accounts: set[str] | None = None, window_seconds: float = 60.0, min_repetition: int = 2,
                interactions: pa.Table | None = None) -> pa.Table:
    """One layer's edge table (``source, target, weight, first_at, last_at``), among
    ``accounts`` when given."""
    check_layer(layer)
    if layer == "coaction":
        from hydrawatch.store.shares import shares

        from .coordination import CoordinationConfig, coordinated_edges

        found = coordinated_edges(shares(store.con, "object"), CoordinationConfig(window_seconds=window_seconds, min_repetition=min_repetition))
        edges = pair_edges(found.edges["account_a"], found.edges["account_b"], found.edges["weight"])
    elif layer == "identity":
        groups, _ = identity_groups(store, "store")
        sources, targets = [], []
        for group in groups:
            ordered = sorted(group)
            sources += ordered[:-1]
            targets += ordered[1:]
        edges = pair_edges(sources, targets, [1.0] * len(sources)) if sources else empty_edges()
    else:
        edges = layer_edges(interactions if interactions is not None else _interactions(store), layer)
    return restrict(edges, accounts) if accounts is not None else edges


def export_graph(store, layer: str, path: Path, fmt: str, accounts: set[str] | None = None,
                 node_attributes: Mapping[str, Mapping[str, object]] | None = None, **layer_options) -> dict:
    """Write one layer as GraphML, GEXF or Parquet; returns counts for the caller to print."""
    from hydrawatch.store.outlinks import account_labels

    from .graphs import is_directed, write_graph

    edges = graph_layer(store, layer, accounts, **layer_options)
    labels = account_labels(store.con)
    names = dict(zip(labels["account_id"].to_pylist(), labels["username"].to_pylist()))
    attributes = {"label": names, **(node_attributes or {})}
    graph = to_igraph(edges, is_directed(layer), nodes=sorted(accounts) if accounts else None, node_attributes=attributes)
    # Accounts known only by id (no profile seen) are labelled with the id, as Gephi would.
    graph.vs["label"] = [label or name for label, name in zip(graph.vs["label"], graph.vs["name"])]
    write_graph(graph, path, fmt, description=f"hydrawatch {layer} layer")
    return {"layer": layer, "format": fmt, "nodes": graph.vcount(), "edges": graph.ecount(), "file": str(path)}


# --- roles --------------------------------------------------------------------------------


def network_role_features(store, members: set[str], classifier: LinkClassifier | None = None, interactions: pa.Table | None = None) -> RoleFeatures:
    from hydrawatch.store import behaviour

    accounts = pa.table({"platform": pa.array(_platforms_of(store, members)), "account_id": pa.array(sorted(members))})
    con = store.con
    interactions = interactions if interactions is not None else _interactions(store)
    follows = interactions.filter(pc.equal(interactions["kind"], "follow"))
    return role_features(
        behaviour.account_posts(con, accounts), behaviour.account_profiles(con, accounts), behaviour.replies_received(con, accounts),
        behaviour.reposts_received(con, accounts), follows, members, classifier or LinkClassifier(),
    )


def _platforms_of(store, accounts: set[str]) -> list[str]:
    rows = dict(store.con.execute("SELECT account_id, min(platform) FROM accounts GROUP BY account_id").fetchall())
    return [rows.get(a, "twitter") for a in sorted(accounts)]


def role_rows(features: RoleFeatures, model, communities: Communities | None = None, evidence: int = 4) -> list[dict]:
    """``account_id, username, community, role, confidence, evidence`` per account."""
    from .roles import MODEL_VERSION

    rows = []
    for verdict, username in zip(model.predict(features, evidence), features.usernames):
        rows.append({
            "account_id": verdict.account_id,
            "username": username,
            "community": communities.membership.get(verdict.account_id) if communities else None,
            "role": verdict.role,
            "confidence": round(verdict.confidence, 4),
            "evidence": [{"feature": e.feature, "description": e.description, "contribution": e.contribution} for e in verdict.evidence],
            "model": MODEL_VERSION,
        })
    return rows


# --- migration ----------------------------------------------------------------------------


def network_migration(store, resolver: LinkResolver | None = None, accounts: set[str] | None = None, include_reposts: bool = True) -> MigrationResult:
    from hydrawatch.store.outlinks import posted_links, profile_links
    from hydrawatch.store.snapshots import ended_accounts

    from hydrawatch.store.outlinks import account_labels

    from .migration import link_identities

    con = store.con
    result = account_destinations(posted_links(con), profile_links(con), LinkClassifier(resolver or LinkResolver()), ended_accounts(con),
                                  include_reposts=include_reposts, accounts=accounts)
    labels = account_labels(con)
    handles, on_platform = {}, {}
    for platform, account, username in zip(*(labels[c].to_pylist() for c in ("platform", "account_id", "username"))):
        if username:
            handles.setdefault(account, username)
            on_platform[(platform, username.lower().lstrip("@"))] = account
    link_identities(result.rows, handles, on_platform)
    return result


# --- size ---------------------------------------------------------------------------------


def store_lists(store, view: NetworkView, classifier: LinkClassifier | None = None) -> dict[str, set[str]]:
    """Detection lists derived from the store, each restricted to the network's accounts:

    * ``suspended``: members that were suspended or deleted (the platform's own detection);
    * ``promoted``: members named in a shoutout ("follow the brother's new account");
    * ``amplified_release``: members that reposted a release (a content-store link) within
      30 minutes;
    * ``linked_out``: members that posted a migration or content-store link.

    They are not independent (one behaviour shows in several), which the log-linear model's
    interactions measure; see :mod:`hydrawatch.network.size`."""
    from hydrawatch.signals.promotion import score_promotion
    from hydrawatch.store.snapshots import ended_accounts, mention_posts

    con = store.con
    members = view.members.ids
    lists: dict[str, set[str]] = {"suspended": set(ended_accounts(con)["account_id"].to_pylist()) & members}
    promoted: set[str] = set()
    mentions = mention_posts(con)
    for text, targets in zip(mentions["text"].to_pylist(), mentions["targets"].to_pylist()):
        named = [t for t in targets if t]
        if named and text and score_promotion(text, tuple(named)).is_promotion():
            promoted.update(named)
    lists["promoted"] = promoted & members
    features = network_role_features(store, members, classifier, view.interactions)
    lists["amplified_release"] = {a for a, c in zip(features.account_ids, features.counts) if c["release_bursts"] > 0}
    lists["linked_out"] = {a for a, c in zip(features.account_ids, features.counts) if c["releases"] + c["platform_links"] > 0}
    return lists


def read_lists(paths: Iterable[Path]) -> dict[str, set[str]]:
    """Lists from files: one account id per line, or a CSV with an ``account_id`` column."""
    import csv

    lists = {}
    for path in paths:
        path = Path(path)
        with open(path, newline="", encoding="utf-8") as handle:
            first = handle.readline()
            handle.seek(0)
            if "account_id" in [c.strip() for c in first.split(",")]:
                ids = {row["account_id"].strip() for row in csv.DictReader(handle) if row.get("account_id")}
            else:
                ids = {line.strip() for line in handle if line.strip() and not line.startswith("#")}
        name = path.stem
        while name in lists:
            name += "_"
        lists[name] = ids
    return lists


def size_covariates(store, accounts: Iterable[str]) -> dict[str, dict[str, float]]:
    """What makes an account easier to find, for the covariate size models: ``log_posts``,
    ``log(1 + posts)`` in the store (busy accounts are found by every method more often).
    Accounts the store has no posts for get 0."""
    from hydrawatch.store.snapshots import account_snapshots

    snapshots = account_snapshots(store.con)
    posts = dict(zip(snapshots["account_id"].to_pylist(), snapshots["posts"].to_pylist()))
    return {"log_posts": {a: math.log1p(posts.get(a) or 0) for a in accounts}}


def size_estimate(lists: Mapping[str, set[str]], confidence: float = 0.95,
                  covariates: Mapping[str, Mapping[str, float]] | None = None, store=None) -> SizeEstimate:
    """:func:`hydrawatch.network.size.estimate_size`; given a ``store`` and no ``covariates``,
    with the found accounts' :func:`size_covariates` from it (as ``hydrawatch size``, the
    demo and the report estimate it)."""
    if covariates is None and store is not None:
        covariates = size_covariates(store, set().union(*lists.values()))
    return estimate_size(lists, confidence, covariates)


__all__ = ["LAYERS", "NetworkView", "network_view", "network_members", "identity_groups", "network_communities", "graph_layer",
           "export_graph", "network_role_features", "role_rows", "network_migration", "store_lists", "read_lists", "size_covariates", "size_estimate"]
