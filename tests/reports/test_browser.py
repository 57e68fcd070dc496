"""The report in a real headless Chromium with the network off: every plot decodes and shows
(``naturalWidth > 0``), nothing is requested beyond the file itself, no script runs (no
dialog from the planted attack strings) and the Content-Security-Policy reports no violation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hydrawatch.reports import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)")]


def test_report_opens_offline_and_shows_its_plots(report, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (pip install -e '.[dev]')")
    path = tmp_path / "report.html"
    write_report(report, path)

    requested: list[str] = []
    problems: list[str] = []
    dialogs: list[str] = []
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(offline=True, java_script_enabled=True, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])")
            scripts = page.evaluate("document.scripts.length")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        finally:
            browser.close()
    assert len(images) >= 10
    for complete, width, height, alt in images:
        assert complete and width > 0 and height > 0, alt
    external = [url for url in requested if not url.startswith(("file:", "data:"))]
    assert external == [], external
    assert scripts == 0 and dialogs == [], dialogs
    assert problems == [], problems
