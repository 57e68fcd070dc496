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
    err.print(f"demo finished in {time.perf_counter() - started:,.1f} s; store: {db_path}; world: {out_dir}")
    del summary
