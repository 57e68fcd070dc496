"""What a report is made of: sections of plain values, so the same content can be rendered to
HTML today and to another format later. Nothing here is HTML: user text stays raw until the
template escapes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Figure:
    """A plot as a ``data:`` URI (PNG), with a text alternative for screen readers."""

    title: str
    data_uri: str
    alt: str
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells; a cell is a value (shown as text) or a list of values (shown as a list)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""


@dataclass(slots=True)
class Section:
    """One part of the report. ``missing`` says why it could not be built and what to run;
    ``facts`` are short label/value pairs shown at the top; ``provenance`` which signal,
    model and parameters produced it."""

    key: str
    title: str
    intro: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)
    missing: str = ""

    @property
    def available(self) -> bool:
        return not self.missing


@dataclass(slots=True)
class Report:
    title: str
    generated_at: str
    version: str
    sources: list[tuple[str, str]]
    sections: list[Section]

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"no section {key!r}; the report has {', '.join(s.key for s in self.sections)}")
