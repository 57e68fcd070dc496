"""The HTML report on a small simulated world: every section built, self-contained (nothing
loaded from elsewhere), attack strings escaped, plots present and decodable; a missing piece
becomes a "not available" line instead of an error; the command writes the file."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from PIL import Image
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.reports import SECTION_KEYS, ReportConfig, Section, build_report, render_report, write_report
from hydrawatch.reports.builder import ReportContext, build_section
from hydrawatch.store.duck import Store

from .world import ATTACKS, XSS_HANDLE, XSS_NAME, XSS_POST

#: The shared world takes about a minute to build on two busy cores (once per session).
pytestmark = pytest.mark.slow

#: Sections the world has everything for; enforcement comes from another module and may be absent.
CORE_SECTIONS = ("overview", "network", "accounts", "returnees", "coordination", "migration", "review")


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_report(report)


class _Resources(HTMLParser):
    """Every URL-bearing attribute, every tag name, and the text of style elements."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data", "background", "formaction", "xlink:href"):
                self.urls.append((tag, name, value or ""))
            if name == "style":
                self.styles.append(value or "")

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_every_section_is_built(report):
    assert [s.key for s in report.sections] == list(SECTION_KEYS)
    for key in CORE_SECTIONS:
        section = report.section(key)
        assert section.available, f"{key}: {section.missing}"
        assert section.facts or section.tables, key
    enforcement = report.section("enforcement")
    assert enforcement.available or enforcement.missing.startswith("not available")


def test_sections_have_their_content(report, report_world):
    assert report.section("network").figures and any(t.title == "Communities" for t in report.section("network").tables)
    accounts = report.section("accounts").tables[0]
    assert 0 < len(accounts.rows) <= 20 and all(row[4] for row in accounts.rows), "every top account shows its evidence"
    lineages = report.section("returnees").tables[0]
    chains = [row[1] for row in lineages.rows]
    assert any(XSS_HANDLE in chain for chain in chains), "the lineage with the planted handle is shown"
    assert report.section("coordination").tables[0].rows
    assert report.section("migration").figures[0].title == "Where the network points"
    review = report.section("review")
    confirmed = dict(review.facts)["confirmed"]
    assert int(confirmed.replace(",", "")) == len(report_world.confirmed)


def test_self_contained(html):
    parser = _Resources()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags and "iframe" not in parser.tags
    assert parser.urls, "the report has images"
    for tag, attribute, value in parser.urls:
        assert value.startswith(("data:", "#")), f"<{tag} {attribute}={value[:60]!r}> would load something"
    for style in parser.styles:
        assert "url(" not in style and "@import" not in style
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:', html)


def test_attack_strings_are_escaped(html):
    for attack in ATTACKS:
        assert attack not in html, f"raw {attack!r} in the report"
    assert str(escape(XSS_HANDLE)) in html
    assert str(escape(XSS_NAME)) in html or str(escape("@" + XSS_HANDLE)) in html
    assert str(escape(XSS_POST.strip())) in html, "shared posts of coordinated clusters are quoted, escaped"
    assert "<bdi>" in html, "user text is direction-isolated"


def test_plots_are_embedded_pngs(report, html):
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', html)
    expected = sum(len(s.figures) for s in report.sections)
    assert len(images) == expected >= 10
    for encoded, alt in images:
        picture = Image.open(io.BytesIO(base64.b64decode(encoded)))
        assert picture.width > 200 and picture.height > 100 and alt


def test_write_report_is_atomic_and_utf8(report, tmp_path):
    path = tmp_path / "deep" / "report.html"
    size = write_report(report, path)
    assert path.stat().st_size == size
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_a_missing_piece_is_one_line_not_an_error(report_world):
    def missing_module(context):
        raise ModuleNotFoundError("No module named 'hydrawatch.nothing'", name="hydrawatch.nothing")

    def broken(context):
        raise RuntimeError("boom")

    with Store(report_world.store, read_only=True) as store:
        context = ReportContext(store, None, ReportConfig())
        gone = build_section("x", "X", missing_module, context)
        failed = build_section("y", "Y", broken, context)
        fine = build_section("z", "Z", lambda c: Section("z", "Z", facts=[("a", "b")]), context)
    assert not gone.available and gone.missing.startswith("not available") and "hydrawatch.nothing" in gone.missing
    assert not failed.available and "RuntimeError: boom" in failed.missing
    assert fine.available


def test_an_empty_store_still_gives_a_report(tmp_path):
    with Store(tmp_path / "empty.duckdb") as store:
        built = build_report(store, tmp_path / "no-review.sqlite")
    html = render_report(built)
    assert built.section("overview").available
    for section in built.sections:
        assert section.available or section.missing.startswith("not available"), (section.key, section.missing)
    assert not built.section("review").available and "--review-db" in built.section("review").missing
    assert not (tmp_path / "no-review.sqlite").exists(), "a report never creates a review database"
    assert html.count('class="missing"') == sum(not s.available for s in built.sections)


def test_report_command(report_world, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--db", str(report_world.store), "--review-db", str(report_world.review),
                                      "--out", str(out), "--section", "overview", "--section", "review", "--title", "Case <42>"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "<title>Case &lt;42&gt;</title>" in text and 'id="review"' in text and 'id="network"' not in text
    wrong = CliRunner().invoke(app, ["report", "--db", str(report_world.store), "--out", str(out), "--section", "nope"])
    assert wrong.exit_code == 2
    missing = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)])
    assert missing.exit_code == 1 and "no store" in missing.output


def test_report_is_documented():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "hydrawatch report" in readme
    help_text = CliRunner().invoke(app, ["report", "--help"]).output
    assert "offline" in help_text
