"""`hydrawatch export [parquet|stix|pdq|cases]`: the store as Parquet (a round trip), and decided
cases for sharing and records: STIX 2.1, PDQ hash lists (ThreatExchange), CSV/JSONL."""

from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption
from .output import OutputFormat, emit_rows, err


class ExportKind(StrEnum):
    parquet = "parquet"
    stix = "stix"
    pdq = "pdq"
    cases = "cases"


EPILOG = (
    "KINDS: parquet (default): every table of the store as Parquet plus a manifest, into the folder --out; "
    "`hydrawatch ingest FOLDER` reads it back. "
    "stix: confirmed cases as a STIX 2.1 bundle (user-account observables, indicators, returnee links, lineage groupings), TLP-marked. "
    "pdq: PDQ hashes of the pictures confirmed cases' accounts showed (avatars) and posted, one `pdq HEX` line each (ThreatExchange signal file), or CSV with --layout csv. "
    "cases: the cases themselves as JSONL or CSV (from --out's suffix, or --as-format). "
    "--out - writes to standard output. Exports other than parquet are recorded in the review audit log."
)


@contextmanager
def _output(out: Path):
    if str(out) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        with open(partial, "wb") as handle:
            yield handle
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    @app.command(epilog=EPILOG)
    def export(
        kind: Annotated[ExportKind, typer.Argument(help="What to export (see below).")] = ExportKind.parquet,
        out: Annotated[Path, typer.Option("--out", help="File to write (a folder for parquet; - for standard output).")] = ...,
        db: DbOption = None,
        review_db: Annotated[
            Path, typer.Option("--review-db", help="Review database with the decided cases.", envvar="HYDRAWATCH_REVIEW_DB")
        ] = Path("hydrawatch-review.sqlite"),
        state: Annotated[list[str] | None, typer.Option("--state", help="Case states to export (repeat; or all). Default: confirmed.")] = None,
        case_type: Annotated[str | None, typer.Option("--type", help="Only this case type (returnee, network_account, ...).")] = None,
        tlp: Annotated[str, typer.Option(help="stix: TLP marking of every object (white, green, amber, red).")] = "amber",
        producer: Annotated[str, typer.Option(help="stix: the organisation named as the bundle's creator.")] = "hydrawatch",
        min_quality: Annotated[int, typer.Option(help="pdq: leave out hashes of lower PDQ quality (flat pictures match by accident).")] = 50,
        layout: Annotated[str, typer.Option(help="pdq: threatexchange (`pdq HEX` lines) or csv (with accounts and urls).")] = "threatexchange",
        pictures: Annotated[str, typer.Option(help="pdq: all, avatars (profile pictures) or posts (posted media).")] = "all",
        as_format: Annotated[str | None, typer.Option("--as-format", help="cases: jsonl or csv (default: from --out's suffix, else jsonl).")] = None,
        with_decisions: Annotated[bool, typer.Option(help="cases: include who decided and why (internal records; off by default).")] = False,
        actor: Annotated[str | None, typer.Option("--as", help="Who exports (recorded in the audit log). Default: your login name.")] = None,
    ) -> None:
        """Export the store (Parquet) or decided cases (STIX 2.1, PDQ hash list, CSV/JSONL)."""
        if kind is ExportKind.parquet:
            _export_parquet(out, db)
            return
        from hydrawatch.intel import StixConfig, export_cases, export_pdq, export_stix
        from hydrawatch.review import ReviewStore

        states = tuple(state or ("confirmed",))
        try:
            if not review_db.exists():
                raise HydrawatchError(f"no review database at {review_db}: decide cases first (hydrawatch cases, hydrawatch decide, "
                                      "or the console), or give --review-db FILE")
            if layout not in ("threatexchange", "csv"):
                raise HydrawatchError(f"--layout must be threatexchange or csv, got {layout!r}")
            fmt = as_format or ("csv" if out.suffix.lower() == ".csv" else "jsonl")
            if fmt not in ("csv", "jsonl"):
                raise HydrawatchError(f"--as-format must be csv or jsonl, got {fmt!r}")
            with ReviewStore(review_db) as review:
                if kind is ExportKind.cases:
                    with _output(out) as handle:
                        counts = export_cases(review, handle, fmt, states, case_type, with_decisions)
                else:
                    with _maybe_store(db, required=kind is ExportKind.pdq) as store, _output(out) as handle:
                        if kind is ExportKind.stix:
                            counts = export_stix(review, handle, store, states, case_type, StixConfig(tlp=tlp, producer=producer))
                        else:
                            counts = export_pdq(review, handle, store, states, case_type, min_quality, layout, pictures)
                review.audit(actor or _login(), f"export_{kind.value}", "stdout" if str(out) == "-" else str(out.resolve()), {"states": list(states), "type": case_type, **counts})
        except (HydrawatchError, OSError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
            raise typer.Exit(1) from exc
        err.print(f"{kind.value}: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()) + ("" if str(out) == "-" else f" -> {out}"),
                  highlight=False, markup=False)


@contextmanager
def _maybe_store(db: Path | None, required: bool):
    """The store, read-only, when it exists (stix uses it for handles; pdq needs it)."""
    from hydrawatch.store.duck import Store, default_db_path

    path = db or default_db_path()
    if not required and not Path(path).exists():
        err.print(f"[dim]no store at {path}: accounts are exported by id alone (give --db for handles and names)[/dim]")
        yield None
        return
    with Store(path, read_only=True) as store:
        yield store


def _login() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _export_parquet(out: Path, db: Path | None) -> None:
    from hydrawatch.store.duck import Store
    from hydrawatch.store.parquet import export_parquet

    try:
        with Store(db, read_only=True) as store:
            manifest = export_parquet(store, out)
    except HydrawatchError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    rows = [{"table": t, "rows": e["rows"], "file": str(out / e["file"])} for t, e in manifest["tables"].items()]
    emit_rows(rows, ["table", "rows", "file"], OutputFormat.table, title=f"export {manifest['export_id'][:12]}")
