"""`hydrawatch demo`: generate a world, load it, and show what was loaded beside its truth.
Later stages (detection, report, console) add their part here as they land."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
from rich.table import Table

from hydrawatch.ingest import ingest_paths
from hydrawatch.store.duck import Store

from .output import err, out

WORLD_FILES = ("tweets.jsonl", "tweets.jsonl.gz", "compliance.jsonl", "follows.csv")


def run_demo(
    *,
    db: Path | None,
    out_dir: Path,
    seed: int,
    accounts: int,
    network: int,
    days: int,
    generate: Callable,
) -> None:
    started = time.perf_counter()
    out.rule(f"[bold]1. A simulated platform[/bold] (seed {seed}, {accounts:,} accounts, {network:,} in the network, {days} days)")
    summary = generate(out_dir, seed=seed, accounts=accounts, network=network, days=days)
    truth = orjson.loads((out_dir / "truth" / "summary.json").read_bytes())["counts"]
    files = [out_dir / name for name in WORLD_FILES if (out_dir / name).exists()]
    out.print("wrote " + ", ".join(f"{f.name} ({f.stat().st_size / 1e6:,.1f} MB)" for f in files))

    db_path = db or Path("hydrawatch.duckdb")
    out.rule(f"[bold]2. Ingest[/bold] into {db_path}")
    with Store(db_path) as store:
        result = ingest_paths(store, files)
        for file in result.files:
            out.print(f"{file.status:>8}  {Path(file.path).name:<18} {file.format:<20} {file.records:>10,} records  {file.rejected:,} rejected  {file.message}")
        stats = store.stats()

    out.rule("[bold]3. What the store holds, against the world's truth[/bold]")
    table = Table()
    for column in ("table", "in store", "truth", ""):
        table.add_column(column, justify="right" if column in ("in store", "truth") else "left")
    for key in ("accounts", "posts", "profiles", "follows", "events", "suspended"):
        have, want = stats.get(key), truth.get(key)
        mark = "[green]ok[/green]" if have == want else "[red]differs[/red]"
        table.add_row(key, f"{have:,}", f"{want:,}" if want is not None else "-", mark)
    out.print(table)

    returns = _returnees_section(db_path, out_dir)
    _accounts_section(db_path, out_dir)
    _network_section(db_path, out_dir)
    _enforcement_section(db_path, out_dir)
    _report_section(db_path, out_dir)
    _console_section(db_path, out_dir, returns)
    err.print(f"demo finished in {time.perf_counter() - started:,.1f} s; store: {db_path}; world: {out_dir}")
    del summary


def _returnees_section(db_path: Path, world: Path):
    """4. Returning accounts, with their evidence, scored against the world's truth."""
    import csv

    from hydrawatch.evasion.detect import default_model_path
    from hydrawatch.pipeline import detect_returnees, save_identities

    out.rule("[bold]4. Suspended accounts that came back[/bold] (returnee detection)")
    if not default_model_path().exists():
        out.print("no trained returnee model is installed; run: hydrawatch train returnees")
        return
    from hydrawatch.pipeline import hash_avatars
    from hydrawatch.signals.imagesynth import SyntheticAvatarFetcher
    from hydrawatch.store import snapshots

    with Store(db_path) as store:
        urls = snapshots.avatar_urls(store.con)
        if urls:
            with err.status(f"hashing {len(urls):,} avatar pictures (the simulated platform's picture server) ..."):
                hash_avatars(store, SyntheticAvatarFetcher.from_world(world), urls)
        with err.status("scoring candidate pairs ..."):
            result = detect_returnees(store)
        save_identities(store, result)
    table = result.table
    with open(world / "truth" / "accounts.csv", newline="", encoding="utf-8") as handle:
        predecessor = {row["account_id"]: row["predecessor_id"] for row in csv.DictReader(handle)}
    correct = sum(predecessor.get(table.account_id[m.new]) == table.account_id[m.old] for m in result.matches)
    out.print(
        f"{len(result.candidates):,} candidate pairs scored; {len(result.matches):,} returns reported "
        f"(p >= 0.5), {correct:,} of them right by the world's truth; {len(result.lineages):,} lineages"
    )
    shown = sorted(result.matches, key=lambda m: (-m.probability, m.old))
    # two returns under a new handle, then the best ones, each shown once
    picks = [m for m in shown if not table.handle[m.new].startswith(table.handle[m.old][:4])][:2] + shown[:4]
    picks = list({(m.old, m.new): m for m in picks}.values())
    for match in picks[:4]:
        verdict = "right" if predecessor.get(table.account_id[match.new]) == table.account_id[match.old] else "wrong"
        out.print(f"[bold]@{table.handle[match.old]}[/bold] -> [bold]@{table.handle[match.new]}[/bold]  p = {match.probability:.3f}  ({verdict} by truth)", highlight=False)
        for item in [e for e in match.evidence if e.signal not in ("model", "candidate")][:4]:
            out.print(f"    - {item.description}", highlight=False, markup=False)
    longest = max(result.lineages, key=lambda lineage: len(lineage.rows), default=None)
    if longest is not None:
        chain = " -> ".join(f"@{table.handle[r]}" if table.handle[r] else table.account_id[r] for r in longest.rows)
        out.print(f"longest lineage: {chain}", highlight=False, markup=False)
    return result


def _network_section(db_path: Path, world: Path) -> None:
    """6. The network: communities, roles, hidden size and where it migrates."""
    from collections import Counter

    from hydrawatch.network.links import LinkResolver
    from hydrawatch.network.migration import platform_summary
    from hydrawatch.network.pipeline import network_communities, network_migration, network_role_features, network_view, role_rows, size_estimate, store_lists
    from hydrawatch.network.roles import RoleModel, default_model_path

    out.rule("[bold]6. The network[/bold] (communities, roles, hidden size, migration)")
    with Store(db_path, read_only=True) as store:
        with err.status("reading the network ..."):
            view = network_view(store)
        found = network_communities(view)
        sizes = sorted((n for n in found.sizes.values() if n > 1), reverse=True)
        out.print(f"{len(view.members):,} network accounts ({view.members.method}); {len(sizes)} communities of "
                  f"{', '.join(str(n) for n in sizes[:12])}{' ...' if len(sizes) > 12 else ''} accounts (Leiden; identities: {view.identity_source})")
        if default_model_path().exists():
            with err.status("assigning roles ..."):
                features = network_role_features(store, view.members.ids, interactions=view.interactions)
                rows = role_rows(features, RoleModel.load(), found, evidence=2)
            counts = Counter(row["role"] for row in rows)
            out.print("roles: " + ", ".join(f"{n:,} {role}" for role, n in counts.most_common()))
            example = max((r for r in rows if r["role"] == "amplifier"), key=lambda r: r["confidence"], default=None)
            if example:
                out.print(f"  e.g. @{example['username']} amplifier ({example['confidence']:.2f}): "
                          + "; ".join(e["description"] for e in example["evidence"]), highlight=False, markup=False)
        else:
            out.print("no trained role model is installed; run: hydrawatch train roles")
        with err.status("estimating the network's size ..."):
            lists = store_lists(store, view)
            estimate = size_estimate(lists, store=store)
        out.print(f"size: {estimate.estimate:,.0f} accounts (95% interval {estimate.low:,.0f}-{estimate.high:,.0f}, {estimate.method}, "
                  f"{estimate.observed:,} on at least one of {len(lists)} lists: {', '.join(f'{k} {len(v):,}' for k, v in lists.items())})")
        resolver_file = world / "truth" / "shortlinks.csv"
        resolver = LinkResolver.from_csv(resolver_file) if resolver_file.exists() else LinkResolver()
        migration = network_migration(store, resolver, view.members.ids)
    summary = platform_summary(migration.rows)
    out.print("migration: " + ", ".join(f"{r['platform']} {r['destinations']:,} destinations from {r['accounts']:,} accounts" for r in summary[:6]))
    truth = world / "truth" / "summary.json"
    if truth.exists():
        counts = orjson.loads(truth.read_bytes())["counts"]
        out.print(f"[dim]truth: {counts.get('network_accounts', 0):,} network accounts, {counts.get('migrations', 0):,} (account, destination) pairs[/dim]")


def _accounts_section(db_path: Path, world: Path) -> None:
    """5. The rest of the network among the accounts still active, seeded by the suspensions,
    checked against the world's truth."""
    import csv

    from hydrawatch.accounts.batch import account_rows, detect_network_accounts
    from hydrawatch.accounts.detect import default_model_path
    from hydrawatch.accounts.training import HARD_NEGATIVES

    out.rule("[bold]5. The rest of the network[/bold] (account scoring, seeded by the suspensions)")
    if not default_model_path().exists():
        out.print("no trained account scorer is installed; run: hydrawatch train accounts")
        return
    with Store(db_path, read_only=True) as store, err.status("scoring active accounts ..."):
        result, _ = detect_network_accounts(store)
    with open(world / "truth" / "accounts.csv", newline="", encoding="utf-8") as handle:
        group = {row["account_id"]: row["group"] for row in csv.DictReader(handle)}
    flagged = [result.data.account_id[int(result.rows[p])] for p in result.flagged().tolist()]
    network = sum(group.get(a) == "network" for a in flagged)
    hard = sum(group.get(a) in HARD_NEGATIVES for a in flagged)
    out.print(f"{len(flagged):,} of {len(result):,} active accounts at p >= {result.threshold:.2f}, {network:,} of them "
              f"network accounts by the world's truth, {hard:,} news, religious, political, counter-messaging or "
              f"research accounts; {len(result.seeds):,} suspended or deleted seeds, {result.seeds.effective:,.0f} after "
              "weighing how network-like each one's own posts read", highlight=False)
    for row in account_rows(result, evidence_lines=None, limit=4):
        label = f"@{row['username']}" if row["username"] else row["account_id"]
        verdict = group.get(row["account_id"], "unknown")
        out.print(f"[bold]{label}[/bold]  p = {row['score']:.3f}  ({verdict} by truth)", highlight=False)
        for item in [e for e in row["evidence"] if e["signal"] != "model"][:4]:
            out.print(f"    - {item['description']}", highlight=False, markup=False)


def _enforcement_section(db_path: Path, world: Path) -> None:
    """7. Is the platform winning? Lifetimes, returns and follower recovery, against the truth."""
    from hydrawatch.enforcement import enforcement_summary, read_enforcement_data

    out.rule("[bold]7. Enforcement[/bold] (lifetimes, returns, follower recovery)")
    with Store(db_path, read_only=True) as store, err.status("measuring enforcement ..."):
        data = read_enforcement_data(store)
        summary = enforcement_summary(data)

    def hours(value) -> str:
        return "-" if value is None else f"{value:,.1f} h"

    recovery = ", ".join("-" if r is None else f"{r:.2f}" for r in summary["follower_recovery_by_generation"])
    out.print(f"{summary['accounts']:,} accounts ({summary['population']}): median lifetime {hours(summary['median_lifetime_hours'])}, "
              f"{summary['share_suspended_within_2_days']:.1%} suspended within 2 days; "
              f"return probability {summary['return_probability']:.2f}, median time to return {hours(summary['median_time_to_return_hours'])}; "
              f"follower recovery by generation: {recovery or '-'}", highlight=False)


def _report_section(db_path: Path, world: Path) -> None:
    """8. Everything above as one offline HTML file."""
    from hydrawatch.reports import ReportConfig, build_report, write_report

    out.rule("[bold]8. The report[/bold]")
    resolver = world / "truth" / "shortlinks.csv"
    config = ReportConfig(title="hydrawatch demo report", resolvers=(resolver,) if resolver.exists() else ())
    path = db_path.with_name("hydrawatch-report.html")
    with Store(db_path, read_only=True) as store, err.status("building the report ..."):
        built = build_report(store, None, config)
    size = write_report(built, path)
    missing = [s.key for s in built.sections if not s.available]
    plots = sum(len(s.figures) for s in built.sections)
    out.print(f"wrote {path} ({size / 1e6:,.1f} MB, {len(built.sections)} sections, {plots} plots"
              + (f"; not available: {', '.join(missing)}" if missing else "") + "); it opens offline in any browser",
              highlight=False, markup=False)


def _console_section(db_path: Path, world: Path, returns) -> None:
    """The end: the returns as review cases, a login made for this run, and the console's URL."""
    import secrets

    out.rule("[bold]The moderator console[/bold]")
    try:
        from hydrawatch.review.users import Users
    except ImportError:  # pragma: no cover - the web extra is missing
        out.print("the console needs the web extra: pip install -e '.[web]'")
        return
    from hydrawatch.review import ReviewStore

    review_db = db_path.with_name("hydrawatch-review.sqlite")
    name = f"demo-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(15)
    with ReviewStore(review_db) as review:
        if returns is not None:
            from hydrawatch.pipeline import returnee_cases

            cases, labels, summaries = returnee_cases(returns)
            counts = review.upsert(cases, labels, summaries)
            out.print(f"review cases in {review_db}: {counts['added']:,} added, {counts['updated']:,} updated")
        Users(review).add(name, "moderator", password, actor="demo")
    out.print(f"start it:  hydrawatch serve --db {db_path} --review-db {review_db} --synthetic-media {world}", highlight=False, markup=False)
    out.print("console:   http://127.0.0.1:8000/", highlight=False, markup=False)
    out.print(f"login:     {name}  password: {password}   (a moderator made for this run; shown once)", highlight=False, markup=False)
