"""`hydrawatch report`: one self-contained HTML file for analysts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption
from .output import err


def register(app: typer.Typer) -> None:
    from hydrawatch.reports import SECTION_KEYS

    @app.command(epilog="Sections: " + ", ".join(SECTION_KEYS) + ". A section whose detector is not trained or not run yet "
                 "says which command makes it; the rest of the report is built anyway.")
    def report(
        out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
        db: DbOption = None,
        review_db: Annotated[
            Path | None,
            typer.Option("--review-db", help="Review database, for the decisions section (default: hydrawatch-review.sqlite if present).",
                         envvar="HYDRAWATCH_REVIEW_DB", show_default=False),
        ] = None,
        title: Annotated[str, typer.Option(help="Title at the top of the report.")] = "hydrawatch report",
        only: Annotated[list[str] | None, typer.Option("--section", help="Only this section (repeat for several).")] = None,
        top: Annotated[int, typer.Option(help="Rows in the accounts, lineages and destinations tables.")] = 20,
        resolver: Annotated[list[Path] | None, typer.Option("--resolver", help="CSV files short_url,expanded_url for the migration map.")] = None,
        window: Annotated[float, typer.Option(help="Coordination window in seconds.")] = 60.0,
    ) -> None:
        """An offline HTML report: the data, the network (communities, roles, size), the accounts
        most likely in it with their evidence, returnee lineages, coordinated clusters, the
        migration map, enforcement and review figures. One file with its plots inside: it loads
        nothing from the network and can be mailed or archived as it is."""
        from hydrawatch.reports import ReportConfig, build_report, write_report
        from hydrawatch.store.duck import Store

        unknown = sorted(set(only or ()) - set(SECTION_KEYS))
        if unknown:
            err.print(f"[red]error:[/red] unknown section {', '.join(unknown)}; choose from {', '.join(SECTION_KEYS)}")
            raise typer.Exit(2)
        if review_db is None and Path("hydrawatch-review.sqlite").exists():
            review_db = Path("hydrawatch-review.sqlite")
        try:
            config = ReportConfig(title=title, top_accounts=top, top_lineages=top, top_destinations=top, coordination_window=window,
                                  resolvers=tuple(resolver or ()))
            with Store(db, read_only=True) as store, err.status("building the report ..."):
                built = build_report(store, review_db, config, tuple(only) if only else None)
            size = write_report(built, out)
        except (HydrawatchError, OSError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
        for section in built.sections:
            mark = "[green]ok[/green]     " if section.available else "[yellow]missing[/yellow]"
            detail = f"{len(section.figures)} plots, {len(section.tables)} tables" if section.available else section.missing
            err.print(f"{mark} {section.key:<13} {escape(detail)}", highlight=False)
        err.print(f"wrote {out} ({size / 1e6:,.1f} MB)", highlight=False)
