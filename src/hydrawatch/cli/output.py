"""Shared output options for commands that emit rows: table (default on a terminal), json,
jsonl, csv. Rows go to stdout so commands chain in pipes; messages go to stderr."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

import orjson
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)
out = Console()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(_plain(value))


def emit_rows(rows: Iterable[dict], columns: Sequence[str], fmt: OutputFormat, title: str | None = None) -> None:
    if fmt is OutputFormat.jsonl:
        for row in rows:
            sys.stdout.write(orjson.dumps({c: row.get(c) for c in columns}, default=str).decode() + "\n")
    elif fmt is OutputFormat.json:
        payload = [{c: row.get(c) for c in columns} for row in rows]
        sys.stdout.write(orjson.dumps(payload, default=str, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_plain(row.get(c)) for c in columns])
    else:
        rows = list(rows)
        table = Table(title=title)
        # Numbers stay on one line; text folds when the terminal is narrow.
        for column in columns:
            numeric = bool(rows) and all(isinstance(r.get(column), (int, float)) for r in rows)
            table.add_column(column.replace("_", " "), overflow="fold", no_wrap=numeric, justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        out.print(table)


def emit_object(obj: dict, fmt: OutputFormat, title: str | None = None) -> None:
    """One object: JSON, key/value CSV rows, or a two-column table (``title`` above it)."""
    if fmt in (OutputFormat.json, OutputFormat.jsonl):
        option = orjson.OPT_INDENT_2 if fmt is OutputFormat.json else 0
        sys.stdout.write(orjson.dumps(obj, default=str, option=option).decode() + "\n")
    elif fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["key", "value"])
        for key, value in obj.items():
            writer.writerow([key, orjson.dumps(value).decode() if isinstance(value, (dict, list)) else value])
    else:
        table = Table(show_header=False, title=title)
        for key, value in obj.items():
            table.add_row(str(key), str(value))
        out.print(table)
