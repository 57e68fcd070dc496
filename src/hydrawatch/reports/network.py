"""Report sections about the network: communities and roles, coordinated sharing, migration."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from . import plots
from .builder import ReportContext, SectionUnavailable
from .model import Section, Table
from .queries import post_texts


def network_section(context: ReportContext) -> Section:
    from hydrawatch.network.pipeline import size_estimate, store_lists

    view = context.network
    found = context.communities
    members = view.members.ids
    if not members:
        raise SectionUnavailable("not available: no network accounts found (the store has no suspended or deleted accounts to start "
                                 "from; ingest compliance events, or give seeds: hydrawatch accounts --seeds FILE)")
    sizes = Counter(found.membership[a] for a in members if a in found.membership)
    groups = sorted((c for c, n in sizes.items() if n > 1), key=lambda c: (-sizes[c], c))
    section = Section("network", "The network: communities, roles, size",
                      intro="Network accounts start from the suspended and deleted accounts and grow by who they endorse and who "
                            "endorses them (or by the account scorer). Communities are found with Leiden over the interaction graph, "
                            "with accounts believed to be one actor merged first.")
    section.facts = [
        ("network accounts", f"{len(members):,} ({view.members.method})"),
        ("communities", f"{len(groups):,} of two or more accounts; largest: {', '.join(str(sizes[c]) for c in groups[:8]) or '-'}"),
        ("actors merged", f"{len(view.identity_groups):,} identity groups ({view.identity_source})"),
    ]
    lists = store_lists(context.store, view)
    # The same estimator as `hydrawatch size`: capture-recapture with each found account's post count.
    estimate = size_estimate(lists, store=context.store)
    section.facts.append(("estimated size", f"{estimate.estimate:,.0f} accounts (95% interval {estimate.low:,.0f} to {estimate.high:,.0f}; "
                                            f"{estimate.method}; {estimate.observed:,} seen on at least one of {len(lists)} lists)"))
    section.provenance.append(f"communities: {found.provenance}")
    section.provenance.append("size: capture-recapture over the lists " + ", ".join(f"{k} ({len(v):,})" for k, v in lists.items()))

    roles = context.role_rows
    role_of = {r["account_id"]: r for r in roles} if roles is not None else {}
    shown = groups[:20]
    if roles is None:
        section.notes.append("roles: not available: no trained role model is installed; run: hydrawatch train roles")
        section.figures.append(plots.bar_chart([f"c{c}" for c in shown], [sizes[c] for c in shown], "Accounts per community",
                                               alt="Bar chart of accounts per community", ylabel="accounts"))
    else:
        role_counts = Counter(r["role"] for r in roles)
        names = [role for role, _ in role_counts.most_common()]
        mix = Counter((found.membership.get(a), r["role"]) for a, r in role_of.items())
        per_community = {role: [mix[(community, role)] for community in shown] for role in names}
        section.figures.append(plots.stacked_bars([f"c{c}" for c in shown], per_community, "Communities by role",
                                                  alt="Stacked bars: accounts per community, split by role", ylabel="accounts",
                                                  caption="The 20 largest communities; each bar split by the roles of its accounts."))
        examples = []
        for role in names:
            best = sorted((r for r in roles if r["role"] == role), key=lambda r: (-r["confidence"], r["account_id"]))[:3]
            examples.append((role, role_counts[role], [context.label(r["account_id"]) for r in best],
                             [e["description"] for e in best[0]["evidence"]] if best else []))
        section.tables.append(Table("Roles", ("role", "accounts", "clearest examples", "evidence (clearest example)"), tuple(examples)))
        section.provenance.append(f"roles: {roles[0]['model'] if roles else 'role model'}")

    by_community: dict[int, list[str]] = defaultdict(list)
    for account, community in found.membership.items():
        if account in members:
            by_community[community].append(account)
    community_rows = []
    for community in shown:
        accounts = by_community[community]
        ranked = sorted(accounts, key=lambda a: (-(role_of[a]["confidence"] if a in role_of else 0.0), a))
        mix = Counter(role_of[a]["role"] for a in accounts if a in role_of)
        community_rows.append((f"c{community}", len(accounts), ", ".join(f"{n} {r}" for r, n in mix.most_common(4)) or "-",
                               [context.label(a) for a in ranked[:6]]))
    section.tables.append(Table("Communities", ("community", "accounts", "roles", "accounts shown"), tuple(community_rows)))
    section.figures.insert(0, _network_picture(context, members, found.membership))
    return section


def _network_picture(context: ReportContext, members: set[str], membership: dict[str, int]):
    interactions = context.network.interactions
    wanted = pa.array(sorted(members), pa.string())
    inside = interactions.filter(pc.and_(pc.is_in(interactions["source"], value_set=wanted), pc.is_in(interactions["target"], value_set=wanted)))
    sources, targets = inside["source"].to_pylist(), inside["target"].to_pylist()
    degree: Counter = Counter()
    pairs: dict[tuple[str, str], float] = defaultdict(float)
    for a, b in zip(sources, targets):
        if a in members and b in members and a != b:
            key = (a, b) if a < b else (b, a)
            pairs[key] += 1.0
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    limit = context.config.graph_nodes
    kept = set(sorted((a for a in members), key=lambda a: (-degree[a], a))[:limit])
    edges = [(a, b, w) for (a, b), w in pairs.items() if a in kept and b in kept]
    groups = {a: membership.get(a, -1) for a in kept}
    note = "" if len(members) <= limit else f" ({limit:,} best connected of {len(members):,} accounts)"
    return plots.network_plot(edges, groups, f"Interaction graph of the network{note}",
                              alt="Network picture: accounts as dots coloured by community, lines for interactions",
                              caption="Reposts, replies, mentions and follows among network accounts; colours are the largest communities.")


def coordination_section(context: ReportContext) -> Section:
    from hydrawatch.network.coordination import CoordinationConfig, coordinated_clusters, coordinated_edges, linking_objects
    from hydrawatch.store.shares import shares as store_shares

    config = CoordinationConfig(window_seconds=context.config.coordination_window, min_repetition=context.config.min_repetition)
    shares = store_shares(context.con, by="object")
    if shares.num_rows == 0:
        raise SectionUnavailable("not available: the store has no reposts or quotes to compare (coordination needs shared objects)")
    result = coordinated_edges(shares, config)
    clusters = coordinated_clusters(result.edges, linking_objects(shares, result.edges, config), config)
    section = Section("coordination", "Coordinated sharing",
                      intro=f"Pairs of accounts that reposted or quoted the same post within {config.window_seconds:g} seconds of each "
                            f"other, for at least {config.min_repetition} different posts; clusters are the groups those pairs form. "
                            "Same as: hydrawatch coordination --clusters.")
    section.facts = [
        ("shares compared", f"{shares.num_rows:,}"),
        ("coordinated pairs", f"{result.stats.edges:,} among {result.stats.accounts:,} accounts"),
        ("clusters", f"{len(clusters):,}" + (f"; largest {', '.join(str(c.size) for c in clusters[:8])}" if clusters else "")),
    ]
    section.provenance.append(str(config.provenance()))
    if not clusters:
        section.notes.append("No coordinated sharing at these settings.")
        return section
    shown = clusters[: context.config.top_clusters]
    texts = post_texts(context.con, sorted({obj for c in shown for obj, _ in c.objects[:3]}))
    rows = []
    for cluster in shown:
        objects = []
        for obj, pairs in cluster.objects[:3]:
            author, text = texts.get(obj, ("", ""))
            snippet = text if len(text) <= 140 else text[:139] + "\u2026"
            objects.append(f"{pairs} pairs: post {obj}" + (f" by {context.label(author)}" if author else "") + (f": {snippet}" if snippet else ""))
        rows.append((cluster.cluster, cluster.size, cluster.weight, [context.label(a) for a in cluster.accounts[:12]]
                     + ([f"... and {cluster.size - 12} more"] if cluster.size > 12 else []), objects))
    section.tables.append(Table("Largest clusters", ("cluster", "accounts", "weight", "members", "posts that tie them"), tuple(rows)))
    section.figures.append(plots.bar_chart([f"#{c.cluster}" for c in clusters[:30]], [c.size for c in clusters[:30]],
                                           "Coordinated clusters by size", alt="Bar chart of coordinated cluster sizes", ylabel="accounts"))
    weights = result.edges["weight"]
    if len(weights):
        section.notes.append(f"Strongest pair: {context.label(result.edges['account_a'][0].as_py())} and "
                             f"{context.label(result.edges['account_b'][0].as_py())}, {pc.max(weights).as_py()} posts shared within the window.")
    return section


def migration_section(context: ReportContext) -> Section:
    from hydrawatch.network.links import LinkResolver
    from hydrawatch.network.migration import destinations_over_time, platform_summary
    from hydrawatch.network.pipeline import network_migration
    from hydrawatch.store.snapshots import ended_accounts

    resolver = LinkResolver.from_csv(list(context.config.resolvers)) if context.config.resolvers else LinkResolver()
    members = context.network.members.ids
    result = network_migration(context.store, resolver, members or None)
    rows = result.rows
    if not rows:
        raise SectionUnavailable("not available: no links to other platforms or content stores in the network's posts or profiles")
    summary = platform_summary(rows)
    section = Section("migration", "Migration map",
                      intro="Where the network points its audience: links to other platforms (accounts, channels) and to content "
                            "stores (releases), from posts and profiles. Same as: hydrawatch migration.")
    section.facts = [
        ("links classified", f"{result.links_classified:,} of {result.links_seen:,}"),
        ("accounts pointing elsewhere", f"{len({r['account_id'] for r in rows}):,}"),
        ("destinations", f"{len({(r['destination_platform'], r['destination']) for r in rows}):,} on {len(summary)} platforms"),
        ("short links unresolved", f"{result.unresolved_short_links:,}" + (" (give --resolver FILE)" if result.unresolved_short_links else "")),
    ]
    section.provenance.append(str(result.provenance))
    source = ", ".join(sorted({r["platform"] for r in rows}))
    section.figures.append(plots.flow_map(source, len(members) if members else len({r["account_id"] for r in rows}),
                                          [(s["platform"], s["accounts"], s["kind"]) for s in summary[:14]],
                                          "Where the network points", alt="Migration map: the network and the platforms its accounts link to",
                                          caption="Band width: accounts linking to the platform. Dashed: content stores (releases)."))
    periods = destinations_over_time(rows, ended_accounts(context.con))
    if periods:
        starts = sorted({p["period_start"] for p in periods})
        top = [s["platform"] for s in summary if s["kind"] != "content_store"][:6] or [s["platform"] for s in summary[:6]]
        counts = {(p["period_start"], p["platform"]): p["accounts"] for p in periods}
        suspensions = {p["period_start"]: p["suspensions"] for p in periods}
        section.figures.append(plots.timeline(starts, {platform: [counts.get((s, platform), 0) for s in starts] for platform in top},
                                              "Accounts pointing to each platform, per week",
                                              alt="Lines of accounts linking to each platform per week, with suspensions as bars",
                                              ylabel="accounts", bars=("suspensions", [suspensions.get(s, 0) for s in starts])))
    section.tables.append(Table("Platforms", ("platform", "kind", "destinations", "accounts"),
                                tuple((s["platform"], s["kind"], s["destinations"], s["accounts"]) for s in summary)))
    by_destination: dict[tuple[str, str], dict] = {}
    for row in rows:
        entry = by_destination.setdefault((row["destination_platform"], row["destination"]),
                                          {"accounts": set(), "first": row["first_seen"], "kind": row["kind"]})
        entry["accounts"].add(row["account_id"])
        if row["first_seen"] is not None and (entry["first"] is None or row["first_seen"] < entry["first"]):
            entry["first"] = row["first_seen"]
    ranked = sorted(by_destination.items(), key=lambda item: (-len(item[1]["accounts"]), item[0]))[: context.config.top_destinations]
    section.tables.append(Table("Most shared destinations", ("destination", "platform", "accounts", "first seen", "linked by"),
                                tuple((dest, platform, len(e["accounts"]), f"{e['first']:%Y-%m-%d %H:%M}" if e["first"] else "-",
                                       [context.label(a) for a in sorted(e["accounts"])[:5]]) for (platform, dest), e in ranked)))
    return section
