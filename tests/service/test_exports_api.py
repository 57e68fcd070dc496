"""The export endpoints, ``/api/v1/exports/{stix,pdq,cases}``: what ``hydrawatch export`` writes,
as an attachment with the right type, for the roles allowed, and always in the audit log."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime

import orjson
import pytest
import stix2
from starlette.testclient import TestClient

from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Users
from hydrawatch.store.duck import Store

from .conftest import login

EXPORTS = ("/api/v1/exports/stix", "/api/v1/exports/pdq", "/api/v1/exports/cases")
#: A PDQ hash of good quality, and the avatar of @abu_x13 (2002) it is stored for.
PDQ_HEX = "f" * 32 + "0" * 32
AVATAR_URL = "https://pbs.twimg.com/profile_images/2002/a_normal.jpg"


@pytest.fixture
def decided(review_copy, world):
    """The returnee case confirmed (with a reason), the threat case escalated."""
    with ReviewStore(review_copy) as review:
        review.decide(world["returnee"], "moderator", "confirm", "same bio, number raised by one")
        review.decide(world["threat"], "moderator", "escalate", "names a colleague")
    return review_copy


@pytest.fixture
def store_with_avatar(world, tmp_path):
    """A copy of the world's store whose returnee shows an avatar with a PDQ hash."""
    path = tmp_path / "store.duckdb"
    shutil.copy(world["store"], path)
    with Store(path) as store:
        store.con.execute("UPDATE profiles SET avatar_url = ? WHERE account_id = '2002'", [AVATAR_URL])
        store.con.execute("INSERT INTO media_hashes VALUES (?, 'pdq', ?, 90, ?)", [AVATAR_URL, PDQ_HEX, datetime.now(UTC)])
    return path


def token_for(review_path, cheap_hasher, role: str) -> str:
    with ReviewStore(review_path) as review:
        return Users(review, cheap_hasher).create_token(f"exports-{role}", role, actor="test")


@pytest.fixture
def client_as(make_app, decided, cheap_hasher, store_with_avatar):
    """A client with a bearer token of the given role (the store has the avatar hash)."""
    opened = []

    def make(role: str, **overrides) -> TestClient:
        token = token_for(decided, cheap_hasher, role)
        client = TestClient(make_app(**{"start_matcher": False, "store_path": store_with_avatar, **overrides}),
                            headers={"Authorization": f"Bearer {token}"})
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def last_audit(review_path) -> dict:
    with ReviewStore(review_path) as review:
        return review.audit_entries(1)[0]


def attachment_name(response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="hydrawatch-')
    return disposition.split('filename="', 1)[1].rstrip('"')


def test_openapi_lists_the_exports(client_as):
    paths = client_as("viewer").get("/api/v1/openapi.json").json()["paths"]
    for path in EXPORTS:
        assert "get" in paths[path], path
    cases = {p["name"]: p for p in paths["/api/v1/exports/cases"]["get"]["parameters"]}
    assert set(cases) == {"state", "type", "format", "with_decisions"}
    assert "application/stix+json;version=2.1" in paths["/api/v1/exports/stix"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_need_a_login_or_token(make_app, decided, path):
    with TestClient(make_app(start_matcher=False)) as anonymous:
        response = anonymous.get(path)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        bad = anonymous.get(path, headers={"Authorization": "Bearer hw_not-a-token"})
        assert bad.status_code == 401
    with ReviewStore(decided) as review:
        assert not any(e["action"].startswith("export_") for e in review.audit_entries(50))


def test_stix_bundle_parses_and_is_audited(client_as, decided, world):
    response = client_as("viewer").get("/api/v1/exports/stix", params={"tlp": "green", "producer": "Trust & Safety"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/stix+json;version=2.1"
    name = attachment_name(response)
    assert name.endswith(".json")
    bundle = stix2.parse(response.content, allow_custom=False)
    kinds = {o.type for o in bundle.objects}
    assert {"identity", "indicator", "user-account", "relationship"} <= kinds
    logins = {o.account_login for o in bundle.objects if o.type == "user-account"}
    assert logins == {"abu_x12", "abu_x13"}  # the confirmed returnee only, with handles from the store
    assert all(o.object_marking_refs == [stix2.TLP_GREEN.id] for o in bundle.objects if o.type == "indicator")
    assert b"same bio, number raised" not in response.content and b"moderator" not in response.content
    entry = last_audit(decided)
    assert (entry["actor"], entry["action"], entry["object"]) == ("token:exports-viewer", "export_stix", f"api:{name}")
    assert entry["details"]["states"] == ["confirmed"] and entry["details"]["tlp"] == "green" and entry["details"]["cases"] == 1


def test_stix_without_a_store_exports_ids(client_as, decided):
    response = client_as("moderator", store_path=None).get("/api/v1/exports/stix")
    bundle = stix2.parse(response.content)
    accounts = [o for o in bundle.objects if o.type == "user-account"]
    assert {o.user_id for o in accounts} == {"1001", "2002"} and not any("account_login" in o for o in accounts)


def test_pdq_list_in_threatexchange_and_csv_layouts(client_as, decided):
    client = client_as("viewer")
    plain = client.get("/api/v1/exports/pdq")
    assert plain.status_code == 200 and plain.headers["content-type"] == "text/plain; charset=utf-8"
    assert plain.text == f"pdq {PDQ_HEX}\n" and attachment_name(plain).endswith(".txt")
    entry = last_audit(decided)
    assert entry["action"] == "export_pdq" and entry["details"]["written"] == 1 and entry["details"]["layout"] == "threatexchange"
    table = client.get("/api/v1/exports/pdq", params={"layout": "csv"})
    assert table.headers["content-type"] == "text/csv; charset=utf-8" and attachment_name(table).endswith(".csv")
    [row] = list(csv.DictReader(io.StringIO(table.text)))
    assert (row["pdq"], row["account_id"], row["source"]) == (PDQ_HEX, "2002", "avatar")
    assert client.get("/api/v1/exports/pdq", params={"min_quality": 95}).text == ""
    assert client.get("/api/v1/exports/pdq", params={"layout": "xml"}).status_code == 422


def test_pdq_needs_the_store(client_as):
    response = client_as("moderator", store_path=None).get("/api/v1/exports/pdq")
    assert response.status_code == 503 and "without a store" in response.json()["detail"]


def test_cases_as_jsonl_and_csv(client_as, decided, world):
    client = client_as("viewer")
    lines = client.get("/api/v1/exports/cases")
    assert lines.status_code == 200 and lines.headers["content-type"] == "application/x-ndjson"
    assert attachment_name(lines).endswith(".jsonl")
    [record] = [orjson.loads(line) for line in lines.content.splitlines()]
    assert record["case_id"] == world["returnee"] and record["state"] == "confirmed" and "decided_by" not in record
    every = client.get("/api/v1/exports/cases", params=[("state", "confirmed"), ("state", "escalated"), ("format", "csv")])
    assert every.headers["content-type"] == "text/csv; charset=utf-8" and attachment_name(every).endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(every.text)))
    assert [r["case_type"] for r in rows] == ["returnee", "threat"] and "decided_by" not in rows[0]
    assert len(client.get("/api/v1/exports/cases", params={"state": "all"}).content.splitlines()) == 6
    assert client.get("/api/v1/exports/cases", params={"type": "threat", "state": "escalated"}).json()["case_id"] == world["threat"]
    entry = last_audit(decided)
    assert entry["details"] == {"cases": 1, "format": "jsonl", "states": ["escalated"], "type": "threat", "with_decisions": False}


def test_cases_reject_unknown_options(client_as):
    client = client_as("viewer")
    assert client.get("/api/v1/exports/cases", params={"format": "xlsx"}).status_code == 422
    assert client.get("/api/v1/exports/cases", params={"state": "closed"}).status_code == 422
    unknown = client.get("/api/v1/exports/cases", params={"type": "spam"})
    assert unknown.status_code == 400 and "returnee" in unknown.json()["detail"]


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("moderator", True), ("admin", True)])
def test_decisions_only_for_moderators_and_admins(client_as, decided, role, allowed):
    response = client_as(role).get("/api/v1/exports/cases", params={"with_decisions": "true"})
    if not allowed:
        assert response.status_code == 403 and "needs moderator" in response.json()["detail"]
        assert last_audit(decided)["action"] != "export_cases"
        return
    record = orjson.loads(response.content.splitlines()[0])
    assert (record["decided_by"], record["decision_reason"]) == ("moderator", "same bio, number raised by one")
    entry = last_audit(decided)
    assert entry["action"] == "export_cases" and entry["details"]["with_decisions"] is True
    assert entry["actor"] == f"token:exports-{role}"


def test_a_logged_in_user_exports_by_session(make_app, decided):
    with TestClient(make_app(start_matcher=False)) as client:
        assert login(client, "viewer").status_code == 303
        response = client.get("/api/v1/exports/cases")
        assert response.status_code == 200 and len(response.content.splitlines()) == 1
    entry = last_audit(decided)
    assert (entry["actor"], entry["action"]) == ("viewer", "export_cases")
