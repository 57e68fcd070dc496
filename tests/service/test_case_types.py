"""Every case type has a name people use, a place in the queue, and its own part of the case
page: the threatening post, the matching posts with their media blurred, the protected/public
history, the accounts renamed together."""

from __future__ import annotations

import re

from hydrawatch.review import CASE_TYPE_LABELS, CaseType

from .conftest import login


WORLD_KEY = {CaseType.NETWORK_ACCOUNT: "network"}


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_every_type_is_in_the_queue_under_its_name(client):
    login(client, "viewer")
    text = _text(client.get("/queue").text)
    for case_type in CaseType:
        assert CASE_TYPE_LABELS[case_type] in text, case_type
    assert "threat to staff" in _text(client.get("/queue?type=threat").text)
    dashboard = _text(client.get("/dashboard").text)
    assert "private-to-public flip" in dashboard and "known-content match" in dashboard


def test_a_threat_shows_the_post_and_says_it_comes_first(client, world):
    login(client, "moderator")
    page = client.get(f"/cases/{world['threat']}").text
    assert 'id="threat-banner"' in page and "The threatening post" in page
    cited = _text(page.split('id="cited-posts"', 1)[1].split("</section>", 1)[0])
    assert "hello" in cited and "[U+202E]" in cited  # the post, its direction override shown


def test_a_known_content_match_shows_its_post_with_the_picture_blurred(client, world):
    login(client, "moderator")
    page = client.get(f"/cases/{world['known_content']}").text
    cited = page.split('id="cited-posts"', 1)[1].split("</section>", 1)[0]
    assert "the new video is out" in cited
    assert 'class="blurred"' in cited and "known.jpg" in cited
    pictures = cited.split('id="cited-pictures"', 1)[1]
    assert "profile_images/3003" in pictures and 'class="blurred"' in pictures  # a matched picture, blurred too
    assert "threat-banner" not in page


def test_a_private_flip_shows_when_the_account_went_private_and_public(client, world):
    login(client, "viewer")
    page = client.get(f"/cases/{world['private_flip']}").text
    history = _text(page.split('id="status-history"', 1)[1].split("</section>", 1)[0])
    assert "protected" in history and "active" in history
    assert "2015-02-28" in history and "2015-03-01 19:50" in history


def test_a_mass_rename_lists_every_account_renamed(client, world):
    login(client, "viewer")
    page = client.get(f"/cases/{world['mass_rename']}").text
    renames = page.split('id="renames"', 1)[1].split("</section>", 1)[0]
    assert "Renamed together (2 accounts)" in renames
    assert "/accounts/twitter/8001" in renames and "/accounts/twitter/8002" in renames
    text = re.sub(r"<[^>]+>", "", renames)  # the handle diff marks characters one by one
    assert "@lamp_news" in text and "@caravan_news" in text and "@lamp_media" in text
    assert 'id="side-by-side"' not in page  # the other renamer is not "the account it returns as"


def test_without_a_store_every_type_still_renders(make_app, world):
    from starlette.testclient import TestClient

    with TestClient(make_app(store_path=None, start_matcher=False)) as client:
        login(client, "viewer")
        for case_type in CaseType:
            response = client.get(f"/cases/{world[WORLD_KEY.get(case_type, case_type.value)]}")
            assert response.status_code == 200, case_type
            assert CASE_TYPE_LABELS[case_type] in response.text
