"""`hydrawatch coordination`: accounts that keep sharing the same things within seconds."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption
from .output import OutputFormat, emit_rows, err


class ShareKind(StrEnum):
    """What counts as the same object in the store (see :mod:`hydrawatch.store.shares`)."""

    object = "object"
    url = "url"
    hashtag = "hashtag"
    image = "image"


EDGE_COLUMNS = ["account_a", "account_b", "weight"]
CLUSTER_COLUMNS = ["cluster", "size", "edges", "weight", "accounts", "objects"]


def register(app: typer.Typer) -> None:
    from hydrawatch.network import SHARES_CSV_CONTRACT

    @app.command(
        epilog=f"INPUT: {SHARES_CSV_CONTRACT} INPUT may also be a store file (DuckDB); without INPUT, shares are read "
        "from the store given by --db. With a store, --by says what counts as the same object."
    )
    def coordination(
        input_path: Annotated[
            Path | None,
            typer.Argument(metavar="INPUT", help="A shares CSV or a store file; omit it to read the store (--db).", show_default=False),
        ] = None,
        window: Annotated[float, typer.Option("--window", help="Seconds: two shares at most this far apart link their accounts.")] = 60.0,
        min_repetition: Annotated[
            int, typer.Option("--min-repetition", help="Keep account pairs linked by at least this many distinct objects.")
        ] = 2,
        by: Annotated[
            ShareKind,
            typer.Option("--by", help="With the store: what counts as the same object (reposted/quoted post, url, hashtag, image)."),
        ] = ShareKind.object,
        platform: Annotated[str | None, typer.Option(help="With the store: only this platform's accounts.")] = None,
        clusters: Annotated[
            bool, typer.Option("--clusters", help="Print clusters of coordinated accounts (with the objects tying them) instead of edges.")
        ] = False,
        workers: Annotated[int, typer.Option(help="Threads for the pair counting.")] = 2,
        show_problems: Annotated[int, typer.Option(help="How many bad CSV rows to list.")] = 10,
        db: DbOption = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Coordinated sharing: pairs of accounts that shared the same objects within --window
        seconds of each other, at least --min-repetition times (weight = distinct objects),
        strongest first; or, with --clusters, the groups they form."""
        from hydrawatch.network.coordination import (
            CoordinationConfig,
            coordinated_clusters,
            coordinated_edges,
            linking_objects,
        )

        if input_path is not None and input_path.is_file() and is_store_file(input_path):
            input_path, db = None, input_path
        if input_path is not None and (by is not ShareKind.object or platform):
            err.print("[dim]--by and --platform apply to the store; a CSV says what its objects are[/dim]")
        try:
            config = CoordinationConfig(window_seconds=window, min_repetition=min_repetition, workers=workers)
            shares = _read_shares(input_path, db, by.value, platform, show_problems)
            with err.status("counting co-shares ..."):
                result = coordinated_edges(shares, config)
                found = coordinated_clusters(result.edges, linking_objects(shares, result.edges, config), config) if clusters else None
        except (HydrawatchError, FileNotFoundError, IsADirectoryError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
        if found is None:
            emit_rows(_edge_rows(result.edges), EDGE_COLUMNS, fmt, title="coordinated pairs")
            err.print(f"{result.stats.edges:,} pairs among {result.stats.accounts:,} accounts ({shares.num_rows:,} shares, {result.stats.share_pairs:,} co-shares within {window:g} s)")
        else:
            emit_rows(_cluster_rows(found, fmt), CLUSTER_COLUMNS, fmt, title="coordinated clusters")
            err.print(f"{len(found):,} clusters, {result.stats.edges:,} pairs ({shares.num_rows:,} shares)")


def is_store_file(path: Path) -> bool:
    """Is ``path`` a DuckDB database (its header carries the magic bytes ``DUCK`` at offset 8)?"""
    with open(path, "rb") as stream:
        return stream.read(12)[8:12] == b"DUCK"


def _read_shares(input_path: Path | None, db: Path | None, by: str, platform: str | None, show_problems: int):
    """Shares from the CSV at ``input_path`` (bad rows listed on stderr), else from the store."""
    if input_path is not None:
        from hydrawatch.network.shares_csv import read_shares_csv
        from hydrawatch.sources.base import ProblemLog

        if not input_path.exists():
            raise FileNotFoundError(f"no such file: {input_path}")
        problems = ProblemLog()
        shares = read_shares_csv(input_path, problems)
        for problem in problems.kept[:show_problems]:
            err.print(f"[yellow]bad row[/yellow] {problem}", highlight=False)
        if problems.count > show_problems:
            err.print(f"  ... and {problems.count - show_problems:,} more bad rows in {input_path}")
        if problems.count:
            err.print(f"[dim]{problems.count:,} bad rows skipped, {shares.num_rows:,} shares read[/dim]")
        return shares
    from hydrawatch.store.duck import Store
    from hydrawatch.store.shares import shares as store_shares

    with Store(db, read_only=True) as store:
        return store_shares(store.con, by=by, platform=platform)


def _edge_rows(edges):
    for a, b, weight in zip(edges["account_a"].to_pylist(), edges["account_b"].to_pylist(), edges["weight"].to_pylist()):
        yield {"account_a": a, "account_b": b, "weight": weight}


def _cluster_rows(clusters, fmt: OutputFormat) -> list[dict]:
    flat = fmt in (OutputFormat.table, OutputFormat.csv)
    rows = []
    for cluster in clusters:
        objects = [{"object_id": obj, "pairs": n} for obj, n in cluster.objects]
        rows.append(
            {
                "cluster": cluster.cluster,
                "size": cluster.size,
                "edges": cluster.edges,
                "weight": cluster.weight,
                "accounts": " ".join(cluster.accounts) if flat else list(cluster.accounts),
                "objects": " ".join(f"{o['object_id']}({o['pairs']})" for o in objects) if flat else objects,
            }
        )
    return rows
