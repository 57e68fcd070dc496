"""The REST API: OpenAPI served, cases listed/read/decided, accounts, returnees, lineages and
the network summary read from the store."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Users


@pytest.fixture
def api(make_app, review_copy, cheap_hasher):
    with ReviewStore(review_copy) as review:
        token = Users(review, cheap_hasher).create_token("tests", "moderator", actor="test")
    with TestClient(make_app(start_matcher=False), headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_openapi_describes_the_api(api):
    spec = api.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/decision", "/api/v1/accounts/{platform}/{account_id}",
                 "/api/v1/returnees", "/api/v1/lineages", "/api/v1/network/summary", "/api/v1/events"):
        assert path in paths, path
    assert not any(p.startswith(("/queue", "/login", "/admin")) for p in paths)  # console pages are not API
    events = paths["/api/v1/events"]["post"]
    assert {"application/json", "application/x-ndjson"} <= set(events["requestBody"]["content"])
    assert "EventsOut" in str(events["responses"]["200"])
    assert api.get("/docs").status_code == 404  # no CDN-loading Swagger UI


def test_cases_list_get_and_decide(api, world):
    listed = api.get("/api/v1/cases").json()
    assert [c["case_type"] for c in listed["cases"]] == ["threat", "returnee", "known_content", "network_account", "mass_rename",
                                                         "private_flip"]  # by priority, threats first
    assert listed["counts"]["returnee"] == {"open": 1}
    assert [c["case_id"] for c in api.get("/api/v1/cases", params={"type": "returnee"}).json()["cases"]] == [world["returnee"]]
    assert api.get("/api/v1/cases", params={"q": "abu_x13"}).json()["cases"][0]["case_id"] == world["returnee"]
    assert api.get("/api/v1/cases", params={"state": "nonsense"}).status_code == 409
    one = api.get(f"/api/v1/cases/{world['returnee']}").json()
    assert one["related_account_ids"] == ["1001"] and one["decisions"] == [] and one["evidence"][0]["signal"] == "handle"
    decided = api.post(f"/api/v1/cases/{world['returnee']}/decision", json={"action": "escalate", "reason": "needs a second look"})
    assert decided.status_code == 200 and decided.json()["state"] == "escalated"
    assert api.get(f"/api/v1/cases/{world['returnee']}").json()["decisions"][0]["reason"] == "needs a second look"
    assert api.post(f"/api/v1/cases/{world['returnee']}/decision", json={"action": "delete"}).status_code == 422
    assert api.get("/api/v1/cases/case-nope").status_code == 404
    audit = api.get("/api/v1/audit").json()
    assert audit["chain_intact"] and audit["entries"][0]["action"] == "case_escalate"


def test_store_backed_endpoints(api):
    account = api.get("/api/v1/accounts/twitter/2002").json()
    assert account["account"]["username"] == "abu_x13" and account["posts"][0]["post_id"] == "3"
    assert account["neighbours"]["talked_to_by"][0]["handle"] == "shout_one"
    assert account["lineages"][0]["links"][0]["account_id"] == "1001"
    assert api.get("/api/v1/accounts/twitter/nobody").status_code == 404
    [link] = api.get("/api/v1/returnees").json()["returnees"]
    assert (link["old_handle"], link["new_handle"], link["old_status"]) == ("abu_x12", "abu_x13", "suspended")
    assert link["hours_after_end"] == 2.0
    [chain] = api.get("/api/v1/lineages").json()["lineages"]
    assert [x["handle"] for x in chain["links"]] == ["abu_x12", "abu_x13"] and chain["weakest_link"] == 0.93
    summary = api.get("/api/v1/network/summary").json()
    assert summary["totals"]["returns"] == 1 and summary["totals"]["suspended_now"] == 1
    ids = {n["account_id"] for n in summary["nodes"]}
    assert {"3003", "2002"} <= ids and summary["edges"][0]["weight"] == 2 and summary["communities"]


def test_without_a_store_the_review_endpoints_still_work(make_app, review_copy, cheap_hasher):
    with ReviewStore(review_copy) as review:
        token = Users(review, cheap_hasher).create_token("nostore", "viewer", actor="test")
    with TestClient(make_app(store_path=None, start_matcher=False), headers={"Authorization": f"Bearer {token}"}) as client:
        assert len(client.get("/api/v1/cases").json()["cases"]) == 6
        response = client.get("/api/v1/returnees")
        assert response.status_code == 503 and "without a store" in response.json()["detail"]


@pytest.mark.parametrize("overrides, message", [
    ({"secret_key": "short"}, "at least 32 characters"),
    ({"store_path": "/nonexistent/store.duckdb"}, "no store at"),
    ({"review_db": "/nonexistent/folder/review.sqlite"}, "does not exist"),
    ({"store_timeout": 0.0}, "store_timeout"),
    ({"login_per_user": 0}, "at least 1 attempt"),
])
def test_service_config_is_checked_with_a_way_out(world, tmp_path, overrides, message):
    from hydrawatch.core.errors import ConfigError
    from hydrawatch.service import ServiceConfig

    settings = {"review_db": tmp_path / "review.sqlite", "secret_key": "k" * 40, "store_path": world["store"], **overrides}
    with pytest.raises(ConfigError, match=message):
        ServiceConfig(**settings)


def test_the_secret_is_kept_in_a_private_file(tmp_path, monkeypatch):
    from hydrawatch.service import ServiceConfig

    monkeypatch.delenv("HYDRAWATCH_SECRET", raising=False)
    path = tmp_path / "review.secret"
    first = ServiceConfig.secret_from_file(path)
    assert len(first) >= 48 and ServiceConfig.secret_from_file(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("HYDRAWATCH_SECRET", "from-the-environment-" + "x" * 20)
    assert ServiceConfig.secret_from_file(path).startswith("from-the-environment-")
