"""Security of the console and API: every route declares a role and enforces it for anonymous
callers, viewers, moderators and admins; state-changing requests need the CSRF token; login
is rate-limited; sessions end when a user changes; redirects stay on the site; responses carry
a strict Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Role, Users
from hydrawatch.service.security import RoleRequirement

from .conftest import PASSWORD, ROLES, csrf_of, logged_in_csrf, login

#: Routes that are not APIRoutes and are public on purpose.
PUBLIC_NON_API = {"/static", "/api/v1/openapi.json"}
RANK = {None: 0, Role.VIEWER: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


def requirements(route: APIRoute) -> list[RoleRequirement]:
    found, stack = [], [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, RoleRequirement):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def all_routes(app) -> list[tuple[str, set[str], object]]:
    """(path with prefixes, methods, route) of every route, included routers flattened."""
    return [(c.path, set(c.methods or ()), c.original_route) for c in iter_route_contexts(app.routes)]


def test_every_route_declares_exactly_one_role(make_app):
    app = make_app(start_matcher=False)
    for path, methods, route in all_routes(app):
        if isinstance(route, APIRoute):
            declared = requirements(route)
            assert len(declared) == 1, f"{path} {sorted(methods)} declares {declared}: give it exactly one role requirement"
        else:
            assert isinstance(route, (Mount, Route)) and path in PUBLIC_NON_API, f"unexpected route {path}"


def _concrete(path: str, world: dict) -> str:
    values = {"case_id": world["returnee"], "platform": "twitter", "account_id": "2002", "username": "target-user", "name": "target-token"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


def _outcome(response) -> str:
    if response.status_code == 403 and "CSRF check failed" in response.text:
        return "csrf"
    if response.status_code == 401:
        return "denied"
    if response.status_code in (302, 303, 307) and response.headers["location"].startswith("/login?next="):
        return "denied"
    if response.status_code == 403:
        return "forbidden"
    return "allowed"


def test_roles_are_enforced_on_every_route(make_app, world, review_copy, cheap_hasher):
    """For each route and each kind of caller: anonymous callers are sent to log in (pages) or
    get 401 (API); a role below the route's gets 403; a role at or above it gets through
    (whatever the endpoint then says about the input)."""
    with ReviewStore(review_copy) as review:
        users = Users(review, cheap_hasher)
        users.add("target-user", "viewer", PASSWORD)
        users.create_token("target-token", "viewer", actor="test")
    app = make_app(start_matcher=False, login_per_ip=100_000)  # this test logs in a few hundred times
    routes = [(path, methods, route) for path, methods, route in all_routes(app) if isinstance(route, APIRoute)]
    assert len(routes) > 25
    checked = 0
    for caller in (None, *ROLES):
        for path, methods, route in routes:
            needed = requirements(route)[0].role
            for method in sorted(methods - {"HEAD"}):
                with TestClient(app) as client:
                    if caller is not None:
                        assert login(client, caller).status_code == 303
                        headers = {"X-CSRF-Token": logged_in_csrf(client)}
                    else:  # a valid token for the anonymous session: what is tested is the role
                        headers = {"X-CSRF-Token": csrf_of(client.get("/login").text)}
                    url = _concrete(path, world)
                    response = client.request(method, url, headers=headers, follow_redirects=False,
                                              **({"json": {}} if method == "POST" and url.startswith("/api/") else {}))
                    outcome = _outcome(response)
                    rank = RANK[Role(caller)] if caller else 0
                    if needed is None:  # public: whatever the endpoint says, never a role refusal
                        expected = "denied" if (path, method) == ("/login", "POST") else "allowed"
                    elif caller is None:
                        expected = "denied"
                    else:
                        expected = "allowed" if rank >= RANK[needed] else "forbidden"
                    assert outcome == expected, f"{caller or 'anonymous'} {method} {url} (needs {needed}): {response.status_code} {response.text[:200]}"
                    checked += 1
    assert checked >= 4 * 25


def test_anonymous_api_calls_get_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer hw_not-a-token"}).status_code == 401
    page = client.get("/cases/whatever", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fcases%2Fwhatever"


def test_a_wrong_token_is_not_rescued_by_a_session_cookie(client):
    login(client, "admin")
    assert client.get("/api/v1/me").json()["role"] == "admin"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer hw_wrong"}).status_code == 401


def test_tokens_authenticate_machines_with_their_role(client, review_copy, cheap_hasher):
    with ReviewStore(review_copy) as review:
        users = Users(review, cheap_hasher)
        reader = users.create_token("reader", "viewer", actor="test")
        writer = users.create_token("writer", "moderator", actor="test")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {reader}"}).json() == {"name": "reader", "role": "viewer", "kind": "token"}
    cases = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {reader}"}).json()["cases"]
    case_id = cases[0]["case_id"]
    denied = client.post(f"/api/v1/cases/{case_id}/decision", json={"action": "confirm"}, headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    decided = client.post(f"/api/v1/cases/{case_id}/decision", json={"action": "confirm", "reason": "clear"}, headers={"Authorization": f"Bearer {writer}"})
    assert decided.status_code == 200 and decided.json()["state"] == "confirmed"
    with ReviewStore(review_copy) as review:
        assert review.decisions(case_id)[-1].actor == "token:writer"


# --- CSRF ------------------------------------------------------------------------------------


def test_state_changes_without_the_csrf_token_are_refused(client, world):
    login(client, "moderator")
    url = f"/cases/{world['returnee']}/decide"
    token = logged_in_csrf(client)
    refused = [
        client.post(url, data={"action": "confirm"}, follow_redirects=False),
        client.post(url, data={"action": "confirm", "csrf_token": "forged"}, follow_redirects=False),
        client.post(url, data={"action": "confirm"}, headers={"X-CSRF-Token": token[:-1] + ("B" if token.endswith("A") else "A")}, follow_redirects=False),
        client.post(url, data={"action": "confirm", "csrf_token": token}, headers={"Origin": "http://evil.example"}, follow_redirects=False),
        client.post(url, data={"action": "confirm", "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False),
        client.post(f"/api/v1/cases/{world['returnee']}/decision", json={"action": "confirm"}),  # session cookie, no header
        client.post("/logout", follow_redirects=False),
    ]
    for response in refused:
        assert response.status_code == 403 and "CSRF" in response.text, response.text[:200]
    assert client.get(f"/api/v1/cases/{world['returnee']}").json()["state"] == "open"
    ok = client.post(url, data={"action": "confirm", "csrf_token": token}, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert client.get(f"/api/v1/cases/{world['returnee']}").json()["state"] == "confirmed"
    via_header = client.post(f"/api/v1/cases/{world['returnee']}/decision", json={"action": "reopen"}, headers={"X-CSRF-Token": token})
    assert via_header.status_code == 200 and via_header.json()["state"] == "open"


def test_login_itself_needs_the_csrf_token(client):
    response = client.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_a_login_gets_a_fresh_csrf_token(client):
    before = csrf_of(client.get("/login").text)
    login(client, "viewer")
    assert logged_in_csrf(client) != before


# --- login -----------------------------------------------------------------------------------


def test_login_is_rate_limited_per_user_name(make_app):
    with TestClient(make_app(start_matcher=False, login_per_user=3, login_per_ip=100)) as client:
        for _ in range(3):
            assert login(client, "moderator", "wrong password!").status_code == 401
        limited = login(client, "moderator")  # even the right password waits now
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert login(client, "viewer").status_code == 303  # another name is not affected
        assert client.get("/api/v1/me").json()["name"] == "viewer"


def test_login_is_rate_limited_per_address(make_app, review_copy):
    with TestClient(make_app(start_matcher=False, login_per_ip=4, login_per_user=100)) as client:
        for name in ("a1", "a2", "a3"):
            assert login(client, name, "wrong password!").status_code == 401
        assert login(client, "admin").status_code == 303
        assert login(client, "viewer").status_code == 429
    with ReviewStore(review_copy) as review:
        actions = [e["action"] for e in review.audit_entries(50)]
    assert actions.count("login_failed") == 3 and "login_rate_limited" in actions and "login" in actions


def test_a_role_change_ends_the_session(client, review_copy, cheap_hasher):
    login(client, "moderator")
    assert client.get("/api/v1/me").json()["role"] == "moderator"
    with ReviewStore(review_copy) as review:
        Users(review, cheap_hasher).set_role("moderator", "viewer", actor="admin")
    assert client.get("/api/v1/me").status_code == 401
    assert login(client, "moderator").status_code == 303
    assert client.get("/api/v1/me").json()["role"] == "viewer"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_redirects_stay_on_the_site(client, target):
    page = client.get("/login")
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": target},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/queue"


def test_session_cookie_is_httponly_and_samesite(client):
    response = login(client, "viewer")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "hydrawatch_session=" in cookie


def test_pages_carry_a_strict_content_security_policy(client):
    login(client, "viewer")
    response = client.get("/queue")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-frame-options"] == "DENY" and response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts and all('src="/static/' in s for s in scripts)  # no inline script anywhere
    assert " on" not in " ".join(re.findall(r"<[^>]+>", response.text)).replace(" one", "")  # no inline handlers


def test_admin_manages_users_but_a_moderator_cannot(client):
    login(client, "moderator")
    token = logged_in_csrf(client)
    assert client.post("/admin/users", data={"username": "x1", "role": "admin", "password": PASSWORD, "csrf_token": token}).status_code == 403
    assert client.post("/api/v1/users", json={"username": "x1", "role": "admin", "password": PASSWORD}, headers={"X-CSRF-Token": token}).status_code == 403
    login(client, "admin")
    token = logged_in_csrf(client)
    made = client.post("/admin/users", data={"username": "newmod", "role": "moderator", "password": PASSWORD, "csrf_token": token})
    assert made.status_code == 200 and "user newmod added" in made.text
    weak = client.post("/admin/users", data={"username": "weak", "role": "moderator", "password": "short", "csrf_token": token})
    assert weak.status_code == 400 and "too short" in weak.text
    created = client.post("/admin/tokens", data={"name": "feed", "role": "moderator", "csrf_token": token})
    shown = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {shown}"}).json()["name"] == "feed"
    assert shown not in client.get("/admin/users").text  # shown once
