"""POST /api/v1/events: the formats ingest reads go in (one object, an array, NDJSON), are
spooled, drive the online returnee matcher, and come back as cases; `live flush` puts them in
the store through the normal ingest path."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

import orjson
import pytest
from starlette.testclient import TestClient

from hydrawatch.live.flush import flush_spool
from hydrawatch.live.spool import Spool
from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Users
from hydrawatch.store.duck import Store

from .world import T0, events_payload, iso, tweet

LATER = T0 + timedelta(days=10)


def suspend(account_id: str, when) -> dict:
    return {"user_suspend": {"user": {"id": account_id}, "event_at": iso(when)}}


@pytest.fixture
def token(review_copy, cheap_hasher) -> str:
    with ReviewStore(review_copy) as review:
        return Users(review, cheap_hasher).create_token("stream", "moderator", actor="test")


@pytest.fixture
def api(make_app, token):
    with TestClient(make_app(), headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.app.state.matcher.wait_ready(30)
        yield client


def post(api, body: bytes | list | dict, content_type: str = "application/json"):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return api.post("/api/v1/events", content=data, headers={"Content-Type": content_type})


def wait_for(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_suspension_then_a_sign_up_with_a_mutated_handle_is_a_case(api, review_copy):
    old = tweet("9001", "5001", "umm_layla_77", "a post before the ban", LATER - timedelta(days=1), "Umm Layla", bio="mother of lions")
    shown = post(api, old).json()
    assert shown["accepted"] == 1 and shown["cases"] == [] and shown["by_kind"] == {"twarc2-flat": 1}
    suspended = post(api, suspend("5001", LATER)).json()
    assert suspended["suspensions"] == 1 and suspended["cases"] == []
    sign_up = tweet("9002", "5002", "umm_layla_78", "i am back, spread the word", LATER + timedelta(hours=2), "Umm Layla",
                    created=LATER + timedelta(hours=1), bio="mother of lions")
    answer = post(api, sign_up).json()
    assert answer["sign_ups_checked"] == 1
    [case] = answer["cases"]
    assert case["case_type"] == "returnee" and case["subject_account_id"] == "5002" and case["related_account_ids"] == ["5001"]
    assert case["subject_label"] == "@umm_layla_78" and case["related_label"] == "@umm_layla_77" and case["probability"] >= 0.5
    assert any("number" in e["description"] for e in case["evidence"])
    stored = wait_for(lambda: api.get(f"/api/v1/cases/{case['case_id']}").json() if api.get(f"/api/v1/cases/{case['case_id']}").status_code == 200 else None)
    assert stored["state"] == "open" and stored["detector"] == "returnee-online"
    again = post(api, tweet("9003", "5002", "umm_layla_78", "second post", LATER + timedelta(hours=3), "Umm Layla",
                            created=LATER + timedelta(hours=1))).json()
    assert again["sign_ups_checked"] == 0 and again["cases"] == []  # a sign-up is checked once
    with ReviewStore(review_copy) as review:
        assert any(e["action"] == "case_created" and e["actor"] == "returnee-online" for e in review.audit_entries(20))


def test_the_matcher_starts_from_the_stores_suspended_accounts(api):
    """@abu_x12 (1001) is suspended in the store: a sign-up as @abu_x12_ soon after is matched
    without the stream ever showing the old account."""
    assert api.get("/api/v1/status").json()["matcher"]["identities"] >= 1
    answer = post(api, tweet("9101", "5101", "abu_x12_", "hello again", T0 + timedelta(hours=5), "Abu X",
                             created=T0 + timedelta(hours=4), bio="keep the lamp lit, the caravan moves on")).json()
    assert [c["related_account_ids"] for c in answer["cases"]] == [["1001"]]


def test_a_suspension_of_an_account_only_the_store_knows_is_looked_up(api):
    post(api, suspend("3003", LATER))  # @shout_one, in the store, never in the stream
    matcher = api.app.state.matcher
    wait_for(lambda: ("twitter", "3003") in matcher.matcher.row_of_)
    answer = post(api, tweet("9201", "5201", "shout_one1", "hi", LATER + timedelta(hours=1), "Shout", created=LATER + timedelta(minutes=30))).json()
    assert [c["related_account_ids"] for c in answer["cases"]] == [["3003"]]


def test_an_unsuspended_account_is_no_longer_matched(api):
    post(api, [tweet("9301", "5301", "nasheed_cast", "x", LATER, "Cast"), suspend("5301", LATER + timedelta(hours=1)),
               {"user_unsuspend": {"user": {"id": "5301"}, "event_at": iso(LATER + timedelta(hours=2))}}])
    answer = post(api, tweet("9302", "5302", "nasheed_cast2", "y", LATER + timedelta(hours=4), "Cast", created=LATER + timedelta(hours=3))).json()
    assert answer["sign_ups_checked"] == 1 and answer["cases"] == []


def test_old_accounts_are_not_sign_ups(api):
    post(api, [tweet("9401", "5401", "radio_bayan", "x", LATER, "Bayan"), suspend("5401", LATER + timedelta(hours=1))])
    answer = post(api, tweet("9402", "5402", "radio_bayan1", "y", LATER + timedelta(hours=3), "Bayan", created=LATER - timedelta(days=400))).json()
    assert answer["sign_ups_checked"] == 0 and answer["cases"] == []


def test_array_ndjson_and_bad_records(api):
    objects = [tweet("9501", "5501", "a_1", "x", LATER, "A"), suspend("5501", LATER)]
    assert post(api, objects).json()["accepted"] == 2
    lines = events_payload([tweet("9502", "5502", "b_1", "x", LATER, "B")]) + b"\nnot json\n" + orjson.dumps({"what": "ever"}) + b"\n" + \
        orjson.dumps(suspend("5502", LATER)) + b"\n[1, 2]\n"
    answer = post(api, lines, "application/x-ndjson").json()
    assert answer["received"] == 5 and answer["accepted"] == 2
    assert [r["position"] for r in answer["rejected"]] == [2, 3, 5]
    assert "not valid JSON" in answer["rejected"][0]["reason"] and "no known compliance event kind" in answer["rejected"][1]["reason"]
    assert post(api, b"").status_code == 400
    assert post(api, b"[not json").status_code == 400
    assert post(api, [{"id": "1", "text": "no author"}]).json()["rejected"][0]["reason"] == "author id is missing"


def test_api_pages_are_accepted(api):
    page = {"data": [{"id": "9601", "text": "from a page", "author_id": "5601", "created_at": iso(LATER)}],
            "includes": {"users": [{"id": "5601", "username": "paged_user", "name": "Paged", "created_at": iso(LATER - timedelta(days=2))}]}}
    answer = post(api, page).json()
    assert answer["by_kind"] == {"twarc2-pages": 1} and answer["sign_ups_checked"] == 1


def test_events_need_a_moderator_and_bounded_bodies(make_app, review_copy, cheap_hasher):
    with ReviewStore(review_copy) as review:
        reader = Users(review, cheap_hasher).create_token("reader", "viewer", actor="test")
    with TestClient(make_app(start_matcher=False, max_body_bytes=2048)) as client:
        assert client.post("/api/v1/events", content=b"{}").status_code == 401
        assert client.post("/api/v1/events", content=b"{}", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
        with ReviewStore(review_copy) as review:
            writer = Users(review, cheap_hasher).create_token("writer", "moderator", actor="test")
        big = client.post("/api/v1/events", content=b"[" + b"{}," * 2000 + b"{}]", headers={"Authorization": f"Bearer {writer}"})
        assert big.status_code == 413


def test_flush_writes_spooled_events_into_the_store_once(api, world, tmp_path):
    post(api, [tweet("9701", "5701", "flushed_one", "to the store", LATER, "Flushed"), suspend("5701", LATER + timedelta(hours=1))])
    store_path = tmp_path / "store.duckdb"
    shutil.copy(world["store"], store_path)
    spool = api.app.state.spool
    with Store(store_path) as store:
        result = flush_spool(spool, store, tmp_path / "flushed")
        assert result.events >= 2 and not result.failed
        assert {f.format for f in result.files} == {"twarc2-flat", "twitter-compliance"}
        assert store.con.execute("SELECT count(*) FROM posts WHERE post_id = '9701'").fetchone()[0] == 1
        assert store.con.execute("SELECT status FROM account_status WHERE account_id = '5701'").fetchone()[0] == "suspended"
        assert flush_spool(spool, store, tmp_path / "flushed").events == 0  # nothing twice
        post(api, tweet("9702", "5702", "flushed_two", "later", LATER, "Two"))
        second = flush_spool(spool, store, tmp_path / "flushed")
        assert second.events == 1 and second.first_seq == result.last_seq + 1
        assert store.con.execute("SELECT count(*) FROM posts WHERE post_id IN ('9701', '9702')").fetchone()[0] == 2


def test_the_spool_is_append_only(tmp_path):
    import sqlite3

    with Spool(tmp_path / "spool.sqlite") as spool:
        with spool.transaction() as con:
            Spool.append(con, [("twitter-compliance", b"{}")], "test")
        for statement in ("UPDATE events SET body = 'x'", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                spool.con.execute(statement)


def test_cases_wait_in_the_spool_while_the_review_database_is_locked(api, review_copy):
    import sqlite3

    blocker = sqlite3.connect(review_copy, timeout=1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        post(api, [tweet("9801", "5801", "locked_out", "x", LATER, "Locked"), suspend("5801", LATER)])
        started = time.perf_counter()
        answer = post(api, tweet("9802", "5802", "locked_out1", "y", LATER + timedelta(hours=1), "Locked", created=LATER + timedelta(minutes=10))).json()
        assert time.perf_counter() - started < 1.0 and len(answer["cases"]) == 1  # answered at once
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    case_id = answer["cases"][0]["case_id"]
    writer = api.app.state.case_writer
    wait_for(lambda: writer.write_pending() >= 0 and api.get(f"/api/v1/cases/{case_id}").status_code == 200, 30)


def test_logged_in_moderators_post_through_the_route_with_csrf(make_app):
    """Token calls take the fast path; a session goes through the framework route, CSRF included."""
    from .conftest import logged_in_csrf, login

    with TestClient(make_app(start_matcher=False)) as client:
        login(client, "moderator")
        body = orjson.dumps(suspend("5901", LATER))
        assert client.post("/api/v1/events", content=body).status_code == 403  # no CSRF header
        answer = client.post("/api/v1/events", content=body, headers={"X-CSRF-Token": logged_in_csrf(client)})
        assert answer.status_code == 200 and answer.json()["suspensions"] == 1
        login(client, "viewer")
        assert client.post("/api/v1/events", content=body, headers={"X-CSRF-Token": logged_in_csrf(client)}).status_code == 403
