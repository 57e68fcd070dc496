"""End to end in a real headless Chromium (Debian's chromium, driven by playwright): log in,
work the queue with the keyboard, confirm a returnee, see the audit entry; pictures blurred
until clicked; no Content-Security-Policy violations. Screenshots of the queue, case,
account and network pages go to test-artifacts/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from .conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)")


@pytest.fixture
def server(make_app):
    """The app under uvicorn on a free loopback port, in a thread."""
    import uvicorn

    app = make_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    assert app.state.matcher.wait_ready(30)
    yield f"http://127.0.0.1:{port}", app
    running.should_exit = True
    thread.join(timeout=20)
    sock.close()


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (pip install -e '.[dev]')")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def test_moderator_works_the_queue_with_the_keyboard(server, browser, world, review_copy):
    base, app = server
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base}/queue")
    assert "/login" in page.url
    page.fill("#username", "moderator")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{base}/queue")

    rows = page.locator("#queue tbody tr.case-row")
    assert rows.count() == 6  # one case of every type
    selected = "#queue tbody tr.case-row.selected"
    assert page.get_attribute(selected, "data-case-id") == world["threat"]  # highest priority first
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.get_attribute(selected, "data-case-id") == world["known_content"]
    page.keyboard.press("k")
    assert page.get_attribute(selected, "data-case-id") == world["returnee"]
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    page.keyboard.press("c")
    dialog = page.locator("#decision-dialog")
    dialog.wait_for(state="visible")
    assert page.text_content("#decision-action") == "confirm"
    page.keyboard.type("same handle but the number, same bio, promoted by a shoutout account")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#row-{world['returnee']} .state-confirmed")
    assert page.get_attribute(selected, "data-case-id") == world["known_content"]  # moved on to the next case

    page.keyboard.press("d")  # dismiss asks for a reason: an empty one is not accepted
    dialog.wait_for(state="visible")
    page.keyboard.press("Enter")
    assert dialog.is_visible()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.text_content(f"#row-{world['known_content']} .state") == "open"

    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/cases/{world['returnee']}")
    audit = page.locator("#case-audit")
    assert "case_confirm" in audit.inner_text() and "promoted by a shoutout account" in audit.inner_text()
    assert "moderator" in audit.inner_text()
    assert page.text_content("#case-state") == "confirmed"

    avatar = page.locator("#side-by-side .media-reveal img").first
    avatar.wait_for()
    assert "blur" in avatar.evaluate("img => getComputedStyle(img).filter")
    page.locator("#side-by-side .media-reveal").first.click()
    assert avatar.evaluate("img => getComputedStyle(img).filter") == "none"
    other = page.locator("#side-by-side .media-reveal img").nth(1)
    assert "blur" in other.evaluate("img => getComputedStyle(img).filter")  # one click reveals one picture
    page.locator("#side-by-side .media-reveal").first.click()  # blur it again before the screenshot
    page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)

    page.keyboard.press("e")  # the case page takes the same keys
    page.keyboard.type("ask the policy team")
    page.keyboard.press("Enter")
    page.wait_for_selector("#case-state.state-escalated")
    assert "ask the policy team" in page.locator("#case-audit").inner_text()
    assert not problems, problems

    with __import__("hydrawatch.review", fromlist=["ReviewStore"]).ReviewStore(review_copy) as review:
        actions = [d.action for d in review.decisions(world["returnee"])]
        assert actions == ["confirm", "escalate"] and review.verify_audit_chain()
    context.close()


def test_attack_strings_stay_text_in_the_browser(server, browser, world):
    base, _ = server
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/login")
    page.fill("#username", "viewer")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{base}/queue")
    page.goto(f"{base}/accounts/twitter/6666")
    text = page.inner_text("main")
    assert '<script>alert("name")</script>' in text and "[U+202E]" in text  # shown as text, the override visible
    page.hover(".profile-card dd bdi")  # the bio's onmouseover is text, not an attribute
    page.goto(f"{base}/cases/{world['network']}")
    assert not dialogs and page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    assert page.locator("#decision-panel form").count() == 0  # a viewer cannot decide
    page.screenshot(path=str(ARTIFACTS / "case-attack-strings.png"), full_page=True)
    context.close()


def test_network_and_account_pages_render(server, browser):
    base, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("#username", "viewer")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{base}/queue")
    page.goto(f"{base}/network")
    page.wait_for_selector("#graph[data-ready=true]")
    assert page.locator("#graph canvas").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "network.png"), full_page=True)
    page.goto(f"{base}/accounts/twitter/2002")
    assert "Profile history" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "account.png"), full_page=True)
    page.goto(f"{base}/dashboard")
    assert page.locator("svg.chart").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_every_case_type_has_its_page(server, browser, world):
    """The threat banner, the matching post's picture blurred until clicked, the flip's status
    history, the renamed accounts; a screenshot of each."""
    base, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("#username", "moderator")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(f"{base}/queue")
    labels = page.locator("#queue tbody tr.case-row .badge").all_inner_texts()
    assert labels[0] == "threat to staff" and set(labels) == {"threat to staff", "returnee", "known-content match", "network account",
                                                              "mass rename", "private-to-public flip"}

    page.goto(f"{base}/cases/{world['threat']}")
    assert page.locator("#threat-banner").is_visible() and "hello" in page.inner_text("#cited-posts")
    page.screenshot(path=str(ARTIFACTS / "case-threat.png"), full_page=True)

    page.goto(f"{base}/cases/{world['known_content']}")
    picture = page.locator("#cited-posts .media-reveal img").first
    picture.wait_for()
    assert "blur" in picture.evaluate("img => getComputedStyle(img).filter")
    page.screenshot(path=str(ARTIFACTS / "case-known-content.png"), full_page=True)
    page.locator("#cited-posts .media-reveal").first.click()
    assert picture.evaluate("img => getComputedStyle(img).filter") == "none"

    page.goto(f"{base}/cases/{world['private_flip']}")
    assert "protected" in page.inner_text("#status-history")
    page.screenshot(path=str(ARTIFACTS / "case-private-flip.png"), full_page=True)

    page.goto(f"{base}/cases/{world['mass_rename']}")
    assert page.locator("#renames tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / "case-mass-rename.png"), full_page=True)
    assert not problems, problems
    context.close()
