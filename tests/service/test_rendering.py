"""User-written text is inert everywhere: script tags, attribute breakers, RTL overrides and
zero-width characters in names, bios and posts come out escaped and visible. Also the
pieces of the case page: handle diff, shared phrases, blurred pictures, store-busy fallback."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time

from hypothesis import given
from hypothesis import strategies as st

from hydrawatch.service import display

from .conftest import PNG, login
from .world import XSS_BIO, XSS_NAME, XSS_POST

_MARK = re.compile(r'<span class="invisible-char" title="[^"]*">\[U\+([0-9A-F]{4,6})\]</span>')


def _tags(page: str) -> list[str]:
    return re.findall(r"<[a-zA-Z][^>]*>", page)


def assert_inert(page: str) -> None:
    """No attack string survives as markup, no raw direction override or zero-width space."""
    for attack in (XSS_NAME, XSS_BIO, XSS_POST, "<img src=x", "<script>alert", 'onmouseover="alert'):
        assert attack not in page, f"{attack!r} rendered raw"
    for tag in _tags(page):
        assert not re.search(r"\son\w+\s*=", tag), f"event handler attribute in {tag}"
        if tag.startswith("<script"):
            assert re.fullmatch(r'<script src="/static/[\w./-]+" defer>', tag), tag
    for char in ("\u202e", "\u202d", "\u200b", "\u2066", "\ufeff"):
        assert char not in page, f"raw U+{ord(char):04X} in the page"


def test_attack_strings_are_inert_on_every_page(client, world):
    login(client, "admin")
    pages = ["/queue", "/queue?state=all", f"/cases/{world['network']}", f"/cases/{world['threat']}", f"/cases/{world['returnee']}",
             f"/cases/{world['known_content']}", f"/cases/{world['private_flip']}", f"/cases/{world['mass_rename']}",
             "/accounts/twitter/6666", "/accounts/twitter/7777", "/network", "/dashboard", "/audit", "/admin/users",
             "/queue?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text)
    cited = client.get(f"/cases/{world['network']}").text.split('id="cited-posts"', 1)[1].split("</section>", 1)[0]
    assert "&lt;img src=x onerror=alert(&#34;post&#34;)&gt;" in cited  # the cited post, as text
    account = client.get("/accounts/twitter/6666").text
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in account  # shown, as text
    assert "evil[U+202E]gnp.exe" in re.sub(r"<[^>]+>", "", account)
    zw = client.get("/accounts/twitter/7777").text
    assert "Abu[U+200B] X" in re.sub(r"<[^>]+>", "", zw)
    assert "<bdi" in account


def test_attack_strings_in_json_are_data_not_markup(client, world):
    login(client, "viewer")
    response = client.get("/api/v1/accounts/twitter/6666")
    assert response.headers["content-type"].startswith("application/json") and response.headers["x-content-type-options"] == "nosniff"
    assert response.json()["account"]["display_name"] == XSS_NAME  # the API returns data as it is
    graph = client.get("/network/graph.json").json()
    labels = [e["data"]["label"] for e in graph["elements"] if "label" in e["data"]]
    assert not any("\u202e" in label for label in labels)


def test_a_search_for_markup_is_escaped_in_the_form(client):
    login(client, "viewer")
    page = client.get("/queue", params={"q": '"><script>alert(1)</script>'}).text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


@given(st.text(max_size=60))
def test_reveal_escapes_and_round_trips(text):
    out = str(display.reveal(text))
    assert "<" not in _MARK.sub("", out) and ">" not in _MARK.sub("", out)
    restored = html.unescape(_MARK.sub(lambda m: chr(int(m.group(1), 16)), out))
    assert restored == text


def test_invisible_characters_are_named():
    out = str(display.user_name("a\u202eb\u200bc\u2066d"))
    assert "[U+202E]" in out and "[U+200B]" in out and "[U+2066]" in out and "RIGHT-TO-LEFT OVERRIDE" in out
    kept = str(display.user_text("می\u200cخواهم"))  # Persian needs its zero-width non-joiner in running text
    assert "\u200c" in kept and "[U+200C]" not in kept
    assert "[U+200C]" in str(display.user_name("می\u200cخواهم"))  # but a name shows it


def test_handle_diff_marks_changed_and_foreign_characters():
    old, new = display.handle_diff("abu_x12", "abu_x13")
    assert '<span class="diff-del">2</span>' in old and '<span class="diff-ins">3</span>' in new
    _, confusable = display.handle_diff("paypal", "p\u0430ypal")  # Cyrillic a
    assert "CYRILLIC SMALL LETTER A" in confusable and "diff-ins non-ascii" in confusable
    _, tricked = display.handle_diff("abc", "a\u200bbc")
    assert "[U+200B]" in tricked
    old, new = display.handle_diff(None, "<b>x</b>")
    assert "<b>" not in new and "&lt;" in new


def test_shared_phrases_merge_runs_and_rank_longest_first():
    old = ["keep the lamp lit for the caravan tonight", "release number seven is out now"]
    new = ["we keep the lamp lit for the caravan", "release number seven is out again", "nothing in common here"]
    phrases = display.shared_phrases(old, new)
    assert phrases[0] == ("keep the lamp lit for the caravan", 1)
    assert ("release number seven is out", 1) in phrases
    assert display.shared_phrases(["a b"], ["a b"]) == []


def test_pictures_are_blurred_until_clicked_and_fetched_by_the_server(client, world):
    login(client, "viewer")
    page = client.get(f"/cases/{world['returnee']}").text
    pictures = re.findall(r'<label class="media-reveal"[^>]*>\s*<input type="checkbox" class="reveal-toggle"[^>]*>\s*<img class="blurred" src="(/media\?url=[^"]+)"', page)
    assert len(pictures) >= 2  # both avatars, each with its own toggle
    picture = client.get(html.unescape(pictures[0]))
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png" and picture.content == PNG
    assert "http" not in "".join(re.findall(r'<img[^>]*src="([^"]+)"', page)).replace("/media?url=https", "")  # no direct loads
    not_a_picture = client.get("/media", params={"url": "https://evil.example/x.svg"})
    assert not_a_picture.status_code == 404  # an SVG (or anything not a bitmap) is never served


def test_case_pages_work_from_the_review_database_when_the_store_is_busy(make_app, world, tmp_path):
    """A batch job holding the store (a writer in another process) must not stop moderators."""
    from starlette.testclient import TestClient

    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)"), str(world["store"])],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with TestClient(make_app(store_timeout=0.2, start_matcher=False)) as client:
            login(client, "moderator")
            started = time.perf_counter()
            page = client.get(f"/cases/{world['returnee']}")
            assert time.perf_counter() - started < 3
            assert page.status_code == 200 and "store busy" in page.text
            assert "@abu_x12" in re.sub(r"<[^>]+>", "", page.text)  # the old handle, from the case summary
            assert 'class="diff-ins">3<' in page.text and "2.0 h" in page.text  # handle diff and timing from the evidence
            assert client.get("/queue").status_code == 200
            assert "store busy" in client.get("/dashboard").text and "store busy" in client.get("/network").text
            api = client.get("/api/v1/returnees")
            assert api.status_code == 503 and api.headers["retry-after"] == "2"
    finally:
        holder.kill()
        holder.communicate()
