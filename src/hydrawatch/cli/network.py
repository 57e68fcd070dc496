"""`hydrawatch graph export`, `communities`, `roles`, `size`, `migration`, `train roles`,
`eval network`: the shape of the network, thin over :mod:`hydrawatch.network`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption
from .output import OutputFormat, emit_object, emit_rows, err

DEFAULT_CACHE = Path(".hydrawatch-cache")

IdentitiesOption = Annotated[
    str,
    typer.Option("--identities", help="Accounts of one actor to merge before clustering: auto (the store's, else the returnee "
                 "detector when trained), store, detect, none."),
]
SeedsOption = Annotated[
    Path | None, typer.Option("--seeds", help="File of known network account ids (one per line), added to the suspended accounts.")
]


def _seeds(path: Path | None) -> list[str]:
    if path is None:
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(1)


def _seed_list(text: str) -> list[int]:
    try:
        return [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError as exc:
        raise typer.BadParameter("seeds are comma-separated integers, e.g. 1001,1002") from exc


graph_app = typer.Typer(help="Interaction graphs of the store: export for Gephi, igraph, pandas.", no_args_is_help=True)


@graph_app.command("export")
def graph_export(
    layer: Annotated[str, typer.Option(help="retweet, quote, mention, reply, follow, coaction (co-retweet within --window) or identity.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml, gexf (Gephi) or parquet (edge list).")] = "graphml",
    db: DbOption = None,
    network_only: Annotated[bool, typer.Option(help="Only edges among the network's accounts (suspended accounts and those they endorse).")] = False,
    window: Annotated[float, typer.Option(help="coaction: seconds within which two shares count as together.")] = 60.0,
    min_repetition: Annotated[int, typer.Option(help="coaction: distinct objects a pair must share.")] = 2,
) -> None:
    """Write one layer of the interaction graph (nodes: accounts with their handle; edges:
    weight = how often, first/last time)."""
    from hydrawatch.core.errors import ConfigError
    from hydrawatch.network.graphs import EXPORT_FORMATS, check_layer
    from hydrawatch.network.pipeline import export_graph, network_members
    from hydrawatch.store.duck import Store

    try:
        check_layer(layer)
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(f"unknown graph format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
        with Store(db, read_only=True) as store:
            accounts = network_members(store).ids if network_only else None
            options = {"window_seconds": window, "min_repetition": min_repetition} if layer == "coaction" else {}
            counts = export_graph(store, layer, out, fmt, accounts=accounts, **options)
    except (HydrawatchError, ValueError) as exc:
        raise _fail(exc) from exc
    err.print(f"{counts['layer']}: {counts['nodes']:,} nodes, {counts['edges']:,} edges -> {counts['file']} ({counts['format']})")


def register(app: typer.Typer, train_app: typer.Typer, eval_app: typer.Typer) -> None:
    app.add_typer(graph_app, name="graph")

    @app.command()
    def communities(
        db: DbOption = None,
        identities: IdentitiesOption = "auto",
        seeds: SeedsOption = None,
        resolution: Annotated[float, typer.Option(help="Leiden resolution: higher splits, lower merges.")] = 1.1,
        objective: Annotated[str, typer.Option(help="modularity or CPM.")] = "modularity",
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Communities of the network (Leiden over follows, reposts, quotes, mentions and replies;
        accounts of one actor merged first)."""
        from hydrawatch.network.communities import CommunityConfig
        from hydrawatch.network.pipeline import network_communities, network_view
        from hydrawatch.store.duck import Store
        from hydrawatch.store.outlinks import account_labels

        try:
            with Store(db, read_only=True) as store:
                with err.status("reading the network ..."):
                    view = network_view(store, _seeds(seeds), identities)
                found = network_communities(view, CommunityConfig(objective=objective, resolution=resolution))
                labels = account_labels(store.con)
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            raise _fail(exc) from exc
        names = dict(zip(labels["account_id"].to_pylist(), labels["username"].to_pylist()))
        if fmt is OutputFormat.table:
            rows = []
            for community, members in found.groups(min_size=2).items():
                shown = ", ".join(f"@{names.get(a) or a}" for a in members[:6])
                rows.append({"community": community, "accounts": len(members), "examples": shown + (" ..." if len(members) > 6 else "")})
            emit_rows(rows, ["community", "accounts", "examples"], fmt, title="communities")
            err.print(f"{len(found.membership):,} network accounts, {found.count:,} communities "
                      f"({sum(1 for n in found.sizes.values() if n == 1):,} accounts without ties); identities: {view.identity_source}")
        else:
            rows = [{"account_id": a, "username": names.get(a), "community": c} for a, c in sorted(found.membership.items(), key=lambda x: (x[1], x[0]))]
            emit_rows(rows, ["account_id", "username", "community"], fmt)

    @app.command()
    def roles(
        db: DbOption = None,
        model: Annotated[Path | None, typer.Option(help="A role model from `hydrawatch train roles` (default: the shipped one).")] = None,
        identities: IdentitiesOption = "auto",
        seeds: SeedsOption = None,
        evidence: Annotated[int, typer.Option(help="Evidence items per account.")] = 3,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """The role of each network account (media, scripture, provincial, amplifier, shoutout,
        recruiter, fighter, other) with its confidence, community and evidence."""
        from hydrawatch.network.pipeline import network_communities, network_role_features, network_view, role_rows
        from hydrawatch.network.roles import RoleModel
        from hydrawatch.store.duck import Store

        try:
            role_model = RoleModel.load(model)
            with Store(db, read_only=True) as store:
                with err.status("reading the network ..."):
                    view = network_view(store, _seeds(seeds), identities)
                    features = network_role_features(store, view.members.ids, interactions=view.interactions)
                found = network_communities(view)
            rows = role_rows(features, role_model, found, evidence)
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            raise _fail(exc) from exc
        rows.sort(key=lambda r: (r["community"] if r["community"] is not None else 1 << 30, r["role"], -r["confidence"]))
        columns = ["account_id", "username", "community", "role", "confidence", "evidence"]
        if fmt is OutputFormat.table:
            for row in rows:
                row["evidence"] = "; ".join(e["description"] for e in row["evidence"])
            emit_rows(rows, columns[1:], fmt, title="roles")
        elif fmt is OutputFormat.csv:
            for row in rows:
                row["evidence"] = "; ".join(e["description"] for e in row["evidence"])
            emit_rows(rows, columns, fmt)
        else:
            emit_rows(rows, columns, fmt)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["role"]] = counts.get(row["role"], 0) + 1
        err.print(f"{len(rows):,} network accounts: " + ", ".join(f"{n:,} {r}" for r, n in sorted(counts.items(), key=lambda x: -x[1])))

    @app.command()
    def size(
        more_lists: Annotated[list[Path] | None, typer.Argument(metavar="FILE", help="More list files, so that `--lists a.txt b.txt c.txt` works.",
                                                                  show_default=False)] = None,
        db: DbOption = None,
        lists: Annotated[list[Path] | None, typer.Option("--lists", help="Files of account ids (one per line, or a CSV with account_id), one list per file. "
                                                          "Without them, lists are derived from the store: suspended, promoted, amplified_release, linked_out.")] = None,
        seeds: SeedsOption = None,
        confidence: Annotated[float, typer.Option(help="Confidence level of the interval.")] = 0.95,
        covariates: Annotated[bool, typer.Option("--covariates/--no-covariates",
                                                 help="Model who is easy to find with each found account's post count in the store (covariate models); "
                                                      "--no-covariates: from the lists alone (log-linear models). Needs the store.")] = True,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """How big the whole network is, visible and not: capture-recapture over detection lists
        (with the store: covariate models, each found account's post count modelling who is easy to find;
        without: Chapman for two lists, log-linear models for three or more)."""
        from hydrawatch.network.pipeline import network_view, read_lists, size_estimate, store_lists
        from hydrawatch.store.duck import Store

        lists = [*(lists or ()), *(more_lists or ())]
        try:
            detection = read_lists(lists) if lists else None
            if detection is not None and (not covariates or db is None):
                found = size_estimate(detection, confidence)  # list files without a store: no covariates
            else:
                with Store(db, read_only=True) as store:
                    if detection is None:
                        with err.status("deriving detection lists from the store ..."):
                            detection = store_lists(store, network_view(store, _seeds(seeds), identities="none"))
                    found = size_estimate(detection, confidence, store=store if covariates else None)
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            raise _fail(exc) from exc
        result = found.as_dict()
        if fmt is OutputFormat.table:
            emit_object({k: result[k] for k in ("estimate", "low", "high", "method", "observed", "interval", "model", "lists", "overlaps")}, fmt)
            if not lists:
                err.print("[dim]lists derived from one store are not independent; the model's interactions measure their dependence[/dim]")
        else:
            emit_object(result, OutputFormat.json if fmt is OutputFormat.table else fmt)

    @app.command()
    def migration(
        db: DbOption = None,
        resolver: Annotated[list[Path] | None, typer.Option("--resolver", help="Files that resolve short links: CSV short_url,expanded_url, "
                                                             "or the twarc2 JSONL export itself (its entities know where each t.co leads).")] = None,
        network_only: Annotated[bool, typer.Option(help="Only accounts of the network (suspended accounts and those they endorse).")] = False,
        reposts: Annotated[bool, typer.Option(help="Count links passed on in reposts too.")] = True,
        summary: Annotated[bool, typer.Option(help="Print destinations per platform and per week instead of one row per (account, destination).")] = False,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Where accounts send their readers off-platform (Telegram, VK, Diaspora, Friendica, content
        stores): one row per (account, destination), with first time, timing before suspension, evidence."""
        from hydrawatch.network.links import LinkResolver
        from hydrawatch.network.migration import destinations_over_time, platform_summary
        from hydrawatch.network.pipeline import network_members, network_migration
        from hydrawatch.store.duck import Store
        from hydrawatch.store.outlinks import account_labels
        from hydrawatch.store.snapshots import ended_accounts

        try:
            table = LinkResolver.from_files(resolver) if resolver else LinkResolver()
            with Store(db, read_only=True) as store:
                accounts = network_members(store).ids if network_only else None
                result = network_migration(store, table, accounts, include_reposts=reposts)
                labels = account_labels(store.con)
                ended = ended_accounts(store.con)
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            raise _fail(exc) from exc
        names = dict(zip(labels["account_id"].to_pylist(), labels["username"].to_pylist()))
        if summary:
            emit_rows(platform_summary(result.rows), ["platform", "kind", "destinations", "accounts"], fmt, title="destinations by platform")
            emit_rows(destinations_over_time(result.rows, ended), ["period_start", "platform", "accounts", "new_destinations", "suspensions"], fmt,
                      title="by week")
            return
        rows = []
        for row in result.rows:
            rows.append({**row, "account_id": row["account_id"], "username": names.get(row["account_id"]),
                         "platform": row["destination_platform"],
                         "evidence": "; ".join(row["evidence"]) if fmt in (OutputFormat.table, OutputFormat.csv) else row["evidence"]})
        # The fields first (account_id, platform, destination, destination_url, first_seen,
        # evidence), then what helps a reader judge the row.
        columns = ["account_id", "platform", "destination", "destination_url", "first_seen", "evidence", "username", "posts", "reposts",
                   "in_profile", "hours_before_end", "name_similarity", "known_account"]
        if fmt is OutputFormat.table:
            columns = ["username", "platform", "destination", "first_seen", "posts", "hours_before_end"]
        emit_rows(rows, columns, fmt, title="migration")
        err.print(f"{len(rows):,} (account, destination) pairs from {result.links_classified:,} of {result.links_seen:,} links; "
                  f"{result.unresolved_short_links:,} short links unresolved (give --resolver)")

    @train_app.command("roles")
    def train_roles(
        seeds: Annotated[str, typer.Option(help="Seeds of the training worlds.")] = "601,602,603,604,605,606",
        accounts: Annotated[int, typer.Option(help="Accounts per training world.")] = 3000,
        network: Annotated[int, typer.Option(help="Network accounts per world.")] = 150,
        days: Annotated[int, typer.Option(help="Days per world.")] = 60,
        out: Annotated[Path | None, typer.Option(help="Model file (default: the installed package's).")] = None,
        cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
    ) -> None:
        """Train the role model on simulated worlds (never the ones you evaluate on)."""
        from hydrawatch.evaluation.returnees import WorldSpec, prepare_world
        from hydrawatch.network.evaluation import train_role_model
        from hydrawatch.network.roles import default_model_path

        cache.mkdir(parents=True, exist_ok=True)
        with err.status("generating and loading training worlds ..."):
            worlds = [prepare_world(WorldSpec(seed=s, accounts=accounts, network=network, days=days), cache) for s in _seed_list(seeds)]
        with err.status("fitting the role model ..."):
            model = train_role_model(worlds)
        path = out or default_model_path()
        model.save(path, {"worlds": [w.spec.name for w in worlds], "generator": "hydrawatch.synth"})
        err.print(f"role model: {model.n_train_:,} accounts {model.train_counts_}; out-of-fold macro-F1 {model.oof_macro_f1_:.3f} -> {path}")

    @eval_app.command("network")
    def eval_network(
        seeds: Annotated[str, typer.Option(help="Seeds of the evaluation worlds (not training seeds).")] = "701,702,703",
        accounts: Annotated[int, typer.Option(help="Accounts per world.")] = 3000,
        network: Annotated[int, typer.Option(help="Network accounts per world.")] = 150,
        days: Annotated[int, typer.Option(help="Days per world.")] = 60,
        model: Annotated[Path | None, typer.Option(help="Role model to evaluate (default: the shipped one).")] = None,
        cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
        fmt: FormatOption = OutputFormat.json,
    ) -> None:
        """Role macro-F1, community ARI, migration recall and the size experiment on held-out worlds."""
        from hydrawatch.evaluation.returnees import WorldSpec, prepare_world
        from hydrawatch.network.evaluation import evaluate_communities, evaluate_migration, evaluate_roles, evaluate_size
        from hydrawatch.network.roles import RoleModel

        role_model = RoleModel.load(model)
        cache.mkdir(parents=True, exist_ok=True)
        reports = []
        for seed in _seed_list(seeds):
            with err.status(f"world {seed} ..."):
                world = prepare_world(WorldSpec(seed=seed, accounts=accounts, network=network, days=days), cache)
                roles_report = evaluate_roles(world, role_model)
                roles_report.pop("confusion")
                reports.append({"roles": roles_report, "communities": evaluate_communities(world), "migration": evaluate_migration(world),
                                "size": evaluate_size(world, replicates=4)})
        emit_object({"worlds": reports}, OutputFormat.json if fmt is OutputFormat.table else fmt)
