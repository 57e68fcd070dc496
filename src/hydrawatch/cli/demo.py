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

    _returnees_section(db_path, out_dir)
    err.print(f"demo finished in {time.perf_counter() - started:,.1f} s; store: {db_path}; world: {out_dir}")
    del summary


def _returnees_section(db_path: Path, world: Path) -> None:
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
    picks = [m for m in shown if not table.handle[m.new].startswith(table.handle[m.old][:4])][:2] + shown[:2]
    for match in picks[:4]:
        verdict = "right" if predecessor.get(table.account_id[match.new]) == table.account_id[match.old] else "wrong"
        out.print(f"[bold]@{table.handle[match.old]}[/bold] -> [bold]@{table.handle[match.new]}[/bold]  p = {match.probability:.3f}  ({verdict} by truth)", highlight=False)
        for item in [e for e in match.evidence if e.signal not in ("model", "candidate")][:4]:
            out.print(f"    - {item.description}", highlight=False, markup=False)
    longest = max(result.lineages, key=lambda lineage: len(lineage.rows), default=None)
    if longest is not None:
        chain = " -> ".join(f"@{table.handle[r]}" if table.handle[r] else table.account_id[r] for r in longest.rows)
        out.print(f"longest lineage: {chain}", highlight=False, markup=False)
