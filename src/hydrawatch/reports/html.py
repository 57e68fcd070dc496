"""Render a report to one self-contained HTML file: styles inline, plots as ``data:`` URIs, no
script, and a Content-Security-Policy that forbids the page to load anything at all from
elsewhere, so opening it offline (or on an analyst's air-gapped machine) shows everything, and
a stray link in user text cannot make the browser call out.

Every value from the data (handles, names, bios, post texts, evidence) goes through Jinja2's
autoescaping and is wrapped in ``<bdi>`` so right-to-left text and direction overrides cannot
reorder the surrounding report.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from .model import Report

#: Nothing may be fetched: images only from data: URIs, styles only inline.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _environment() -> Environment:
    return Environment(loader=PackageLoader("hydrawatch.reports", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_report(report: Report) -> str:
    template = _environment().get_template("report.html")
    return template.render(report=report, csp=CONTENT_SECURITY_POLICY, is_list=lambda v: isinstance(v, (list, tuple)))


def write_report(report: Report, path: Path) -> int:
    """Write atomically (a half-written report is never left behind); returns bytes written."""
    text = render_report(report).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(text)
