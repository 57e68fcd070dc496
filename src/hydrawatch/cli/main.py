"""The ``hydrawatch`` command. Thin: parse options, call the library, print."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from hydrawatch import __version__
from hydrawatch.core.errors import HydrawatchError

from .output import OutputFormat, emit_object, emit_rows, err

app = typer.Typer(
    name="hydrawatch",
    help="Find banned propaganda networks that come back: load platform exports, detect returnees, "
    "map the network, measure enforcement.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

from .options import DbOption, FormatOption  # noqa: E402


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hydrawatch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens (to stderr).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
    return typer.Exit(code)


def _store(db: Path | None, read_only: bool = False):
    from hydrawatch.store.duck import Store

    return Store(db, read_only=read_only)


# --- ingest --------------------------------------------------------------------------------


@app.command(
    epilog="Formats are detected from each file's contents; gzip is read transparently.",
)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load (folders are walked).", show_default=False)],
    db: DbOption = None,
    source_format: Annotated[
        str | None, typer.Option("--source-format", help="Skip detection and read every file as this format (see `hydrawatch formats`).")
    ] = None,
    show_problems: Annotated[int, typer.Option(help="How many bad records to list per file.")] = 10,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Load platform exports into the store. Bad records are reported (file, line, why) and skipped;
    the good ones are kept. Re-ingesting the same file adds nothing."""
    from hydrawatch.ingest import Progress as IngestProgress
    from hydrawatch.ingest import ingest_paths

    with _store(db) as store, _progress() as bar:
        tasks: dict[str, int] = {}

        def report(p: IngestProgress) -> None:
            if p.path not in tasks:
                tasks[p.path] = bar.add_task(Path(p.path).name, total=p.bytes_total or None)
            bar.update(tasks[p.path], completed=p.bytes_done)

        try:
            summary = ingest_paths(store, paths, progress=report, force_format=source_format)
        except HydrawatchError as exc:
            raise _fail(exc) from exc

    rows = []
    ignored = [result for result in summary.files if result.status == "ignored"]
    for result in summary.files:
        if result.status == "ignored":
            continue
        rows.append(
            {
                "file": result.path if fmt is not OutputFormat.table else Path(result.path).name,
                "format": result.format,
                "status": result.status,
                "records": result.records,
                "rejected": result.rejected,
                "new_posts": result.added.get("posts", 0),
                "new_accounts": result.added.get("accounts", 0),
                "message": result.message,
            }
        )
        for problem in result.problems[:show_problems]:
            err.print(f"[yellow]bad record[/yellow] {problem}", highlight=False, markup=True)
        if result.rejected > show_problems:
            err.print(f"  ... and {result.rejected - show_problems:,} more bad records in {result.path} (see: hydrawatch problems)")
    columns = ["file", "format", "status", "records", "rejected", "new_posts", "new_accounts"]
    if ignored:
        names = ", ".join(Path(r.path).name for r in ignored[:5]) + (", ..." if len(ignored) > 5 else "")
        err.print(f"[dim]ignored {len(ignored)} file(s) of no known format in the folders given: {names}[/dim]")
    if fmt is OutputFormat.table:
        emit_rows(rows, columns, fmt, title="ingest")
        for result in summary.files:
            if result.message and result.status != "ignored":
                colour = "red" if result.status == "failed" else "dim"
                err.print(f"[{colour}]{result.status}[/{colour}] {result.path}: {result.message}", highlight=False)
    else:
        emit_rows(rows, [*columns, "message"], fmt)
    if summary.failed:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@app.command()
def formats() -> None:
    """List the input formats ingest understands."""
    from hydrawatch.sources import SOURCES

    rows = [{"name": s.name, "description": s.description} for s in SOURCES]
    rows.append({"name": "hydrawatch-parquet", "description": "a folder written by `hydrawatch export` (Parquet + manifest.json)"})
    emit_rows(rows, ["name", "description"], OutputFormat.table)


# --- store ---------------------------------------------------------------------------------


@app.command()
def stats(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Counts per table and platform, and how many accounts are suspended now."""
    try:
        with _store(db, read_only=True) as store:
            counts = store.stats()
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    if fmt is OutputFormat.table:
        by_platform = counts.pop("by_platform")
        emit_object(counts, fmt)
        rows = [{"platform": p, **c} for p, c in by_platform.items()]
        emit_rows(rows, ["platform", "accounts", "posts", "profiles", "follows", "events"], fmt, title="by platform")
    else:
        emit_object(counts, fmt)


@app.command()
def problems(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Bad records reported by earlier ingests: file, line, reason."""
    try:
        with _store(db, read_only=True) as store:
            rows = [dict(zip(("file", "line", "pointer", "reason"), r)) for r in store.problems(limit)]
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    emit_rows(rows, ["file", "line", "pointer", "reason"], fmt, title="bad records")


# --- synthetic worlds ---------------------------------------------------------------------


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the world to.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    accounts: Annotated[int, typer.Option(help="Initial accounts of every kind.")] = 20_000,
    network: Annotated[int, typer.Option(help="Initial network accounts among them.")] = 600,
    days: Annotated[int, typer.Option(help="Days of activity.")] = 120,
    tweets_format: Annotated[str, typer.Option(help="flat (twarc2 flatten) or pages (API responses).")] = "flat",
    gzip: Annotated[bool, typer.Option(help="gzip the tweets file.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Generate a simulated platform with ground truth, in the formats ingest reads."""
    summary = _generate_world(out, seed=seed, accounts=accounts, network=network, days=days, tweets_format=tweets_format, gzip=gzip)
    emit_object({"out": str(out), **summary.counts}, fmt)


def _generate_world(out: Path, **config):
    from hydrawatch.synth import WorldConfig, generate

    try:
        world = WorldConfig(**config)
    except HydrawatchError as exc:
        raise _fail(exc, 2) from exc
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"), console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return generate(world, out, progress=report)


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(
    db: DbOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the generated world.")] = Path("demo-world"),
    seed: Annotated[int, typer.Option(help="Random seed of the world.")] = 2014,
    accounts: Annotated[int, typer.Option(help="Initial accounts of every kind.")] = 20_000,
    network: Annotated[int, typer.Option(help="Initial network accounts.")] = 600,
    days: Annotated[int, typer.Option(help="Days of activity.")] = 120,
) -> None:
    """Generate a world, load it, and show what was loaded next to the world's truth."""
    from .demo import run_demo

    try:
        run_demo(db=db, out_dir=out, seed=seed, accounts=accounts, network=network, days=days, generate=_generate_world)
    except HydrawatchError as exc:
        raise _fail(exc) from exc


from .accounts import register as _register_accounts  # noqa: E402
from .coordination import register as _register_coordination  # noqa: E402
from .exports import register as _register_exports  # noqa: E402
from .media import register as _register_media  # noqa: E402
from .network import register as _register_network  # noqa: E402
from .enforcement import register as _register_enforcement  # noqa: E402
from .report import register as _register_report  # noqa: E402
from .content import register as _register_content  # noqa: E402
from .review import register as _register_review  # noqa: E402
from .returnees import eval_app, register as _register_returnees, train_app  # noqa: E402
from .service import register as _register_service  # noqa: E402

_register_returnees(app)
_register_media(app)
_register_coordination(app)
_register_content(app, train_app, eval_app)
_register_review(app)
_register_service(app)
_register_accounts(app, train_app, eval_app)
_register_network(app, train_app, eval_app)
_register_enforcement(app)
_register_report(app)
_register_exports(app)
from .post_signals import register as _register_post_signals  # noqa: E402

_register_post_signals(app)
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")


if __name__ == "__main__":
    app()
