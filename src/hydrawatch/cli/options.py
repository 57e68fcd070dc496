"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .output import OutputFormat

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (DuckDB). Default: $HYDRAWATCH_DB or ./hydrawatch.duckdb.", show_default=False),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
ReviewDbOption = Annotated[
    Path,
    typer.Option("--review-db", help="Review state (SQLite): cases, decisions, audit log.", envvar="HYDRAWATCH_REVIEW_DB"),
]
