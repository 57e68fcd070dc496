"""The console's pages: login, the queue, cases, accounts, the network, the dashboard, the audit
log and user administration. Server-rendered (Jinja2, autoescaped); htmx swaps the parts that
change after a decision."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hydrawatch.review import Action, CaseState, CaseType, ReviewError, StoredCase, cited_items
from hydrawatch.review.users import AuthError, Principal, Role

from . import display, queries
from .security import ADMIN, MODERATOR, PUBLIC, VIEWER, csrf_token, resolve_principal
from .storeview import StoreUnavailable, read_store

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
Viewer = Annotated[Principal, Depends(VIEWER)]
Moderator = Annotated[Principal, Depends(MODERATOR)]
Admin = Annotated[Principal, Depends(ADMIN)]
Anyone = Annotated[Principal | None, Depends(PUBLIC)]


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200, headers: dict | None = None) -> HTMLResponse:
    principal = resolve_principal(request)
    config = request.app.state.config
    page = request.app.state.templates.get_template(template).render(
        request=request, principal=principal, csrf=csrf_token(request), media_enabled=config.media_fetcher is not None,
        can_decide=principal is not None and principal.role.allows(Role.MODERATOR),
        is_admin=principal is not None and principal.role is Role.ADMIN,
        url_for=request.app.url_path_for, **(context or {}),
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def _store(request: Request):
    config = request.app.state.config
    return read_store(config.store_path, config.store_timeout)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//'), else the queue."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/queue"
    return target


# --- login ---------------------------------------------------------------------------------


@router.get("/login", name="login_page")
def login_page(request: Request, principal: Anyone, next: str = "/queue") -> Response:
    if principal is not None and principal.kind == "user":
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", name="login")
def login(request: Request, principal: Anyone, username: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "", next: Annotated[str, Form(max_length=2000)] = "/queue") -> Response:
    limiter = request.app.state.limiter
    ip = request.client.host if request.client else "unknown"
    review = request.app.state.review
    wait = limiter.retry_after(ip, username)
    if wait is not None:
        review.review().audit(username or "?", "login_rate_limited", f"user:{username}", {"ip": ip})
        return render(request, "login.html", {"next": _safe_next(next), "error": f"Too many attempts. Try again in {int(wait) + 1} s."},
                      status_code=429, headers={"Retry-After": str(int(wait) + 1)})
    try:
        user = review.users().authenticate(username, password)
    except AuthError:
        limiter.failed(username)
        review.review().audit(username or "?", "login_failed", f"user:{username}", {"ip": ip})
        return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong user name or password."}, status_code=401)
    limiter.succeeded(username)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session.update({"user": user.name, "ver": user.session_version, "csrf": secrets.token_urlsafe(32)})
    review.review().audit(user.name, "login", f"user:{user.name}", {"ip": ip})
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, principal: Viewer) -> Response:
    request.app.state.review.review().audit(principal.actor, "logout", f"user:{principal.name}", {})
    request.session.clear()
    return RedirectResponse(request.app.url_path_for("login_page"), status_code=303)


@router.get("/healthz", name="health")
def health(principal: Anyone) -> dict:
    return {"status": "ok"}


# --- queue ---------------------------------------------------------------------------------


@router.get("/", name="home")
def home(principal: Viewer) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", name="queue")
def queue(request: Request, principal: Viewer, type: str = "", state: str = "open", q: Annotated[str, Query(max_length=200)] = "",
          page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    case_type = type if type in {t.value for t in CaseType} else None
    state_filter = state if state in {s.value for s in CaseState} else None
    review = request.app.state.review.review()
    cases = review.queue(state_filter, case_type, search=q or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(request, "queue.html", {
        "cases": cases[:PAGE_SIZE], "more": len(cases) > PAGE_SIZE, "page": page, "filters": {"type": type, "state": state if state_filter or state == "all" else "open", "q": q},
        "types": [t.value for t in CaseType], "states": [s.value for s in CaseState], "counts": review.counts(),
    })


@router.post("/cases/{case_id}/decide", name="decide")
def decide(request: Request, case_id: str, principal: Moderator, action: Annotated[str, Form(max_length=20)],
           reason: Annotated[str, Form(max_length=2000)] = "", view: Annotated[str, Form(max_length=10)] = "") -> Response:
    review = request.app.state.review.review()
    if action not in {a.value for a in Action}:
        raise ReviewError(f"unknown action {action!r}")
    case = review.decide(case_id, principal.actor, action, reason.strip())
    if request.headers.get("hx-request"):
        if view == "row":
            return render(request, "_queue_row.html", {"case": case, "just_decided": True})
        return render(request, "_decision_panel.html", _decision_context(review, case))
    return RedirectResponse(request.app.url_path_for("case_page", case_id=case_id), status_code=303)


def _decision_context(review, case: StoredCase) -> dict:
    return {"case": case, "decisions": review.decisions(case.case_id), "audit": review.audit_entries(50, obj=case.case_id)}


# --- a case --------------------------------------------------------------------------------


@router.get("/cases/{case_id}", name="case_page")
def case_page(request: Request, case_id: str, principal: Viewer) -> HTMLResponse:
    review = request.app.state.review.review()
    case = review.get(case_id)
    context = {**_decision_context(review, case), "store_error": None, "old": None, "new": None, "lineages": [],
               "phrases": [], "promoters": [], "since_end": None, "diff": None, "roles": {}, "cited_posts": [],
               "statuses": [], "renames": [], "related_handles": {}}
    post_ids, pictures = cited_items(case.evidence)
    context.update(cited_post_ids=post_ids[:20], cited_pictures=pictures[:20])
    # A returnee's related account is the one it returns as: shown side by side. A mass
    # rename's related accounts are its fellow renamers: shown in the rename table instead.
    old_id = case.related_account_ids[0] if case.related_account_ids and case.case_type != CaseType.MASS_RENAME else None
    context["old_id"] = old_id
    try:
        with _store(request) as con:
            context["cited_posts"] = queries.posts_by_id(con, case.platform, context["cited_post_ids"])
            if case.case_type == CaseType.PRIVATE_FLIP:
                context["statuses"] = queries.status_history(con, case.platform, case.subject_account_id)
            if case.case_type == CaseType.MASS_RENAME:
                renamers = [case.subject_account_id, *case.related_account_ids]
                context["renames"] = queries.handle_changes(con, case.platform, renamers)
                context["related_handles"] = queries.handles(con, case.platform, renamers)
            new = queries.account(con, case.platform, case.subject_account_id)
            old = queries.account(con, case.platform, old_id) if old_id else None
            context.update(new=new, old=old)
            ids = [case.subject_account_id, *case.related_account_ids]
            context["lineages"] = queries.lineage(con, case.platform, ids)
            context["roles"] = queries.roles(con, case.platform, ids)
            if new is not None:
                known = [h for h in {new.get("username"), *(p.get("username") for p in queries.profile_history(con, case.platform, case.subject_account_id))} if h]
                context["promoters"] = queries.promoters(con, case.platform, case.subject_account_id, known)
                context["new_posts"] = queries.recent_posts(con, case.platform, case.subject_account_id, 6)
            if old is not None:
                context["old_posts"] = queries.recent_posts(con, case.platform, old_id, 6)
            if old is not None and new is not None:
                context["phrases"] = display.shared_phrases(queries.texts(con, case.platform, old_id), queries.texts(con, case.platform, case.subject_account_id))
                end = queries.ended(con, case.platform, old_id)
                start = new.get("created_at") or new.get("first_seen_at")
                if end and end.get("ended_at") and start:
                    context["since_end"] = (start - end["ended_at"]).total_seconds()
                    context["end_kind"] = end["end_kind"]
    except StoreUnavailable as exc:
        context["store_error"] = str(exc)
    old_handle = (context["old"] or {}).get("username") or _evidence_handle(case, old=True)
    new_handle = (context["new"] or {}).get("username") or case.subject_label.lstrip("@") or None
    if old_handle or new_handle:
        context["diff"] = display.handle_diff(old_handle, new_handle)
    if context["since_end"] is None:
        context["since_end_evidence"] = next((e["value"] for e in case.evidence if e["signal"] == "hours_after_end" and isinstance(e["value"], (int, float))), None)
    return render(request, "case.html", context)


def _evidence_handle(case: StoredCase, old: bool) -> str | None:
    """The old handle from the summary ("@new may be @old returning"), when the store is away."""
    words = case.summary.split()
    if old and "be" in words:
        position = words.index("be") + 1
        if position < len(words) and words[position].startswith("@"):
            return words[position][1:]
    return None


# --- an account ----------------------------------------------------------------------------


@router.get("/accounts/{platform}/{account_id}", name="account_page")
def account_page(request: Request, platform: str, account_id: str, principal: Viewer) -> HTMLResponse:
    review = request.app.state.review.review()
    rows = review.con.execute(
        "SELECT case_id FROM cases WHERE platform = ? AND (subject_account_id = ? OR related_account_ids LIKE ?) ORDER BY priority DESC LIMIT 50",
        (platform, account_id, f'%{json.dumps(account_id)}%')).fetchall()
    cases = [review.get(r[0]) for r in rows]
    context: dict = {"platform": platform, "account_id": account_id, "cases": cases, "store_error": None, "account": None}
    try:
        with _store(request) as con:
            context.update(
                account=queries.account(con, platform, account_id),
                history=queries.profile_history(con, platform, account_id),
                statuses=queries.status_history(con, platform, account_id),
                posts=queries.recent_posts(con, platform, account_id, 40),
                neighbours=queries.neighbours(con, platform, account_id),
                role=queries.roles(con, platform, [account_id]).get(account_id),
                lineages=queries.lineage(con, platform, [account_id]),
            )
    except StoreUnavailable as exc:
        context["store_error"] = str(exc)
    status = 404 if context["account"] is None and not cases and context["store_error"] is None else 200
    return render(request, "account.html", context, status_code=status)


# --- network and dashboard -----------------------------------------------------------------


def network_data(request: Request, top: int = 60) -> dict:
    def compute():
        with _store(request) as con:
            return queries.interaction_graph(con, top)

    graph = request.app.state.cache.get(f"graph:{top}", compute)
    if graph["nodes"]:
        review = request.app.state.review.review()
        flagged = {r[0] for r in review.con.execute("SELECT subject_account_id FROM cases WHERE state IN ('open', 'escalated', 'confirmed')")}
        for node in graph["nodes"]:
            node["flagged"] = node["account_id"] in flagged
    return graph


@router.get("/network", name="network_page")
def network_page(request: Request, principal: Viewer) -> HTMLResponse:
    context: dict = {"store_error": None, "graph": None, "roles": {}}
    try:
        context["graph"] = network_data(request)
        with _store(request) as con:
            for platform in sorted({n["platform"] for n in context["graph"]["nodes"]}):
                ids = [n["account_id"] for n in context["graph"]["nodes"] if n["platform"] == platform]
                context["roles"].update(queries.roles(con, platform, ids))
    except StoreUnavailable as exc:
        context["store_error"] = str(exc)
    return render(request, "network.html", context)


@router.get("/network/graph.json", name="network_graph")
def network_graph(request: Request, principal: Viewer) -> Response:
    try:
        graph = network_data(request)
    except StoreUnavailable as exc:
        return Response(json.dumps({"error": str(exc)}), status_code=503, media_type="application/json")
    elements = [
        {"data": {"id": f"n{i}", "label": "@" + display_plain(n["handle"] or n["account_id"]), "community": n["community"],
                  "status": n["status"] or "active", "weight": n["engagement"], "flagged": bool(n.get("flagged")),
                  "href": request.app.url_path_for("account_page", platform=n["platform"], account_id=n["account_id"])}}
        for i, n in enumerate(graph["nodes"])
    ]
    index = {n["account_id"]: f"n{i}" for i, n in enumerate(graph["nodes"])}
    elements += [{"data": {"id": f"e{i}", "source": index[e["source"]], "target": index[e["target"]], "weight": e["weight"]}}
                 for i, e in enumerate(graph["edges"]) if e["source"] in index and e["target"] in index]
    return Response(json.dumps({"elements": elements}), media_type="application/json")


def display_plain(text: str) -> str:
    """Plain text for canvases (the graph): invisible characters as [U+XXXX], nothing else."""
    return "".join(f"[U+{ord(c):04X}]" if display.is_invisible(c) else c for c in (text or ""))[:60]


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, principal: Viewer) -> HTMLResponse:
    review = request.app.state.review.review()
    context: dict = {"counts": review.counts(), "store_error": None, "store": None,
                     "types": [t.value for t in CaseType], "states": [s.value for s in CaseState]}
    try:
        def compute():
            with _store(request) as con:
                return queries.dashboard(con)

        context["store"] = request.app.state.cache.get("dashboard", compute)
        from .charts import bar_chart

        context["charts"] = [(title, bar_chart(context["store"]["series"][key], title)) for key, title in (
            ("suspensions", "Suspensions per day"), ("returns", "Returns per day (believed returnees, by sign-up day)"),
            ("deletions", "Deletions per day"), ("posting_accounts", "Accounts posting per day"))]
    except StoreUnavailable as exc:
        context["store_error"] = str(exc)
    context["live"] = {**request.app.state.matcher.status(), **request.app.state.spool.stats()}
    return render(request, "dashboard.html", context)


@router.get("/audit", name="audit_page")
def audit_page(request: Request, principal: Moderator, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> HTMLResponse:
    review = request.app.state.review.review()
    return render(request, "audit.html", {"entries": review.audit_entries(limit), "intact": review.verify_audit_chain()})


# --- pictures ------------------------------------------------------------------------------

_PICTURE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


@router.get("/media", name="media")
def media(request: Request, principal: Viewer, url: Annotated[str, Query(max_length=2000)]) -> Response:
    """An account's picture, fetched by the server (the browser never contacts the host a user
    chose), served only if it is really a picture."""
    fetcher = request.app.state.config.media_fetcher
    if fetcher is None:
        return Response("pictures are not loaded by this console", status_code=404, media_type="text/plain")
    cache = request.app.state.media_cache
    data = cache.get(url)
    if data is None:
        data = fetcher.fetch(url) or b""
        if len(cache) > 2000:
            cache.clear()
        cache[url] = data
    kind = next((mime for magic, mime in _PICTURE_TYPES if data.startswith(magic)), None)
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "image/webp"
    if kind is None:
        return Response("no picture", status_code=404, media_type="text/plain")
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=3600", "Content-Security-Policy": "default-src 'none'"})


# --- administration ------------------------------------------------------------------------


@router.get("/admin/users", name="admin_users")
def admin_users(request: Request, principal: Admin) -> HTMLResponse:
    return _admin_page(request)


def _admin_page(request: Request, message: str | None = None, error: str | None = None, new_token: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    users = request.app.state.review.users()
    return render(request, "admin_users.html", {"users": users.list(), "tokens": users.tokens(), "roles": [r.value for r in Role],
                                                "message": message, "error": error, "new_token": new_token}, status_code=status_code)


@router.post("/admin/users", name="admin_add_user")
def admin_add_user(request: Request, principal: Admin, username: Annotated[str, Form(max_length=64)],
                   role: Annotated[str, Form(max_length=20)], password: Annotated[str, Form(max_length=1000)]) -> HTMLResponse:
    from hydrawatch.core.errors import ConfigError

    try:
        request.app.state.review.users().add(username, role, password, actor=principal.actor)
    except (ConfigError, ReviewError) as exc:
        return _admin_page(request, error=str(exc), status_code=400)
    return _admin_page(request, message=f"user {username} added")


@router.post("/admin/users/{username}/role", name="admin_set_role")
def admin_set_role(request: Request, username: str, principal: Admin, role: Annotated[str, Form(max_length=20)]) -> HTMLResponse:
    from hydrawatch.core.errors import ConfigError

    try:
        request.app.state.review.users().set_role(username, role, actor=principal.actor)
    except (ConfigError, ReviewError) as exc:
        return _admin_page(request, error=str(exc), status_code=400)
    return _admin_page(request, message=f"{username} is now {role}")


@router.post("/admin/users/{username}/disable", name="admin_disable_user")
def admin_disable_user(request: Request, username: str, principal: Admin, disabled: Annotated[str, Form(max_length=5)] = "1") -> HTMLResponse:
    try:
        request.app.state.review.users().set_disabled(username, disabled == "1", actor=principal.actor)
    except ReviewError as exc:
        return _admin_page(request, error=str(exc), status_code=400)
    return _admin_page(request, message=f"{username} {'disabled' if disabled == '1' else 'enabled'}")


@router.post("/admin/tokens", name="admin_create_token")
def admin_create_token(request: Request, principal: Admin, name: Annotated[str, Form(max_length=64)],
                       role: Annotated[str, Form(max_length=20)] = "moderator") -> HTMLResponse:
    from hydrawatch.core.errors import ConfigError

    try:
        token = request.app.state.review.users().create_token(name, role, actor=principal.actor)
    except (ConfigError, ReviewError) as exc:
        return _admin_page(request, error=str(exc), status_code=400)
    return _admin_page(request, message=f"token {name} created: copy it now, it is not shown again", new_token=token)


@router.post("/admin/tokens/{name}/revoke", name="admin_revoke_token")
def admin_revoke_token(request: Request, name: str, principal: Admin) -> HTMLResponse:
    try:
        request.app.state.review.users().revoke_token(name, actor=principal.actor)
    except ReviewError as exc:
        return _admin_page(request, error=str(exc), status_code=400)
    return _admin_page(request, message=f"token {name} revoked")
