"""The REST API, ``/api/v1``: cases (list, get, decide), accounts, returnees and lineages, the
network summary, exports (STIX 2.1, PDQ hash lists, cases as CSV/JSONL), the audit log, users
and tokens (admins), and ``POST /events``, the live event endpoint. OpenAPI at
``/api/v1/openapi.json``."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from hydrawatch.core.errors import ConfigError
from hydrawatch.live.events import PayloadError
from hydrawatch.review import CaseState, CaseType, ReviewError, StoredCase
from hydrawatch.review.users import Principal, Role

from . import queries
from .security import ADMIN, MODERATOR, VIEWER, Forbidden
from .storeview import StoreUnavailable, read_store

router = APIRouter(prefix="/api/v1", tags=["api"])

Viewer = Annotated[Principal, Depends(VIEWER)]
Moderator = Annotated[Principal, Depends(MODERATOR)]
Admin = Annotated[Principal, Depends(ADMIN)]

#: Bodies up to this size are processed on the event loop (a few ms at most); larger ones in
#: a worker thread, so one big batch does not hold up small requests.
INLINE_BODY_BYTES = 64 * 1024


# --- models (what the OpenAPI document promises) -----------------------------------------


class EvidenceOut(BaseModel):
    signal: str
    description: str
    value: float | str | None = None
    contribution: float | None = None


class CaseOut(BaseModel):
    case_id: str
    case_type: str
    platform: str
    subject_account_id: str
    related_account_ids: list[str]
    probability: float
    priority: float
    state: str
    detector: str
    detector_version: str
    evidence: list[EvidenceOut]
    created_at: str
    updated_at: str
    subject_label: str
    summary: str


class DecisionOut(BaseModel):
    actor: str
    action: str
    reason: str
    decided_at: str


class CaseDetail(CaseOut):
    decisions: list[DecisionOut]


class CaseList(BaseModel):
    cases: list[CaseOut]
    counts: dict[str, dict[str, int]]


class DecisionIn(BaseModel):
    action: Literal["confirm", "dismiss", "escalate", "reopen"]
    reason: str = Field("", max_length=2000, description="Why; recorded in the audit log.")


class RejectedEvent(BaseModel):
    position: int = Field(description="1-based: index in a JSON array, or line in NDJSON")
    reason: str


class LiveCase(BaseModel):
    case_id: str
    case_type: str
    platform: str
    subject_account_id: str
    subject_label: str
    related_account_ids: list[str]
    related_label: str
    probability: float
    score: str = Field(description="'probability' (sign-up ranker) or 'handle similarity' (no trained ranker)")
    detector: str
    detector_version: str
    summary: str
    evidence: list[EvidenceOut]


class EventsOut(BaseModel):
    received: int
    accepted: int
    by_kind: dict[str, int]
    rejected: list[RejectedEvent]
    sign_ups_checked: int
    suspensions: int
    cases: list[LiveCase] = Field(description="returnee cases found by this request (also queued for the review database)")


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    role: Literal["viewer", "moderator", "admin"]
    password: str = Field(min_length=1, max_length=1000)


def _case(case: StoredCase) -> dict:
    return {name: getattr(case, name) for name in CaseOut.model_fields} | {"related_account_ids": list(case.related_account_ids),
                                                                          "evidence": list(case.evidence)}


def _store(request: Request):
    config = request.app.state.config
    return read_store(config.store_path, config.store_timeout)


def _unavailable(exc: StoreUnavailable) -> JSONResponse:
    return JSONResponse({"error": "store_unavailable", "detail": str(exc)}, status_code=503, headers={"Retry-After": "2"})


# --- who and what ------------------------------------------------------------------------


@router.get("/me")
def me(principal: Viewer) -> dict:
    """The caller: name, role and whether by session or token."""
    return {"name": principal.name, "role": principal.role.value, "kind": principal.kind}


@router.get("/status")
def status(request: Request, principal: Viewer) -> dict:
    """The online matcher, the live spool, the case writer."""
    writer = request.app.state.case_writer
    return {"matcher": request.app.state.matcher.status(), "spool": request.app.state.spool.stats(),
            "case_writer": {"written": writer.written, "last_error": writer.last_error}}


# --- cases ---------------------------------------------------------------------------------


@router.get("/cases", response_model=CaseList)
def list_cases(request: Request, principal: Viewer,
               state: Annotated[str, Query(description="open, confirmed, dismissed, escalated or all")] = "open",
               type: Annotated[str | None, Query(description=", ".join(t.value for t in CaseType))] = None,
               q: Annotated[str | None, Query(max_length=200, description="search in handle, account id and summary")] = None,
               min_probability: Annotated[float, Query(ge=0, le=1)] = 0.0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    """The queue, highest priority first."""
    if state != "all" and state not in {s.value for s in CaseState}:
        raise ReviewError(f"unknown state {state!r}; use one of: all, {', '.join(s.value for s in CaseState)}")
    if type is not None and type not in {t.value for t in CaseType}:
        raise ReviewError(f"unknown case type {type!r}; use one of: {', '.join(t.value for t in CaseType)}")
    review = request.app.state.review.review()
    cases = review.queue(None if state == "all" else state, type, min_probability, q, limit, offset)
    return {"cases": [_case(c) for c in cases], "counts": review.counts()}


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(request: Request, case_id: str, principal: Viewer) -> dict:
    review = request.app.state.review.review()
    case = review.get(case_id)
    return _case(case) | {"decisions": [{"actor": d.actor, "action": d.action, "reason": d.reason, "decided_at": d.decided_at}
                                        for d in review.decisions(case_id)]}


@router.post("/cases/{case_id}/decision", response_model=CaseOut)
def decide_case(request: Request, case_id: str, decision: DecisionIn, principal: Moderator) -> dict:
    """Record a decision (who: the caller; recorded with the reason in the audit log)."""
    review = request.app.state.review.review()
    return _case(review.decide(case_id, principal.actor, decision.action, decision.reason.strip()))


# --- the store -----------------------------------------------------------------------------


@router.get("/accounts/{platform}/{account_id}")
def get_account(request: Request, platform: str, account_id: str, principal: Viewer,
                posts: Annotated[int, Query(ge=0, le=200)] = 20) -> Response:
    """An account: its profile now and before, status changes, recent posts, neighbours, role."""
    try:
        with _store(request) as con:
            account = queries.account(con, platform, account_id)
            if account is None:
                return JSONResponse({"error": "not_found", "detail": f"no account {platform}/{account_id} in the store"}, status_code=404)
            body = {"account": account, "profile_history": queries.profile_history(con, platform, account_id),
                    "status_history": queries.status_history(con, platform, account_id),
                    "posts": queries.recent_posts(con, platform, account_id, posts) if posts else [],
                    "neighbours": queries.neighbours(con, platform, account_id),
                    "role": queries.roles(con, platform, [account_id]).get(account_id),
                    "lineages": queries.lineage(con, platform, [account_id])}
    except StoreUnavailable as exc:
        return _unavailable(exc)
    return Response(orjson.dumps(body, default=str), media_type="application/json")


@router.get("/returnees")
def returnees(request: Request, principal: Viewer, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Believed returns (from the last returnee detection): old account, new account,
    confidence, hours between the end of one and the sign-up of the other."""
    try:
        with _store(request) as con:
            rows = queries.returnees(con, limit, offset)
    except StoreUnavailable as exc:
        return _unavailable(exc)
    return Response(orjson.dumps({"returnees": rows}, default=str), media_type="application/json")


@router.get("/lineages")
def lineages(request: Request, principal: Viewer, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
             offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Chains of accounts believed to be one actor, longest first."""
    try:
        with _store(request) as con:
            rows = queries.lineages(con, limit, offset)
    except StoreUnavailable as exc:
        return _unavailable(exc)
    return Response(orjson.dumps({"lineages": rows}, default=str), media_type="application/json")


@router.get("/network/summary")
def network_summary(request: Request, principal: Viewer, top: Annotated[int, Query(ge=5, le=500)] = 60) -> Response:
    """Store totals, the most engaged-with accounts, their communities and ties."""
    from .console import network_data

    try:
        graph = network_data(request, top)
        with _store(request) as con:
            totals = queries.dashboard(con)["totals"]
    except StoreUnavailable as exc:
        return _unavailable(exc)
    return Response(orjson.dumps({"totals": totals, **graph}, default=str), media_type="application/json")


# --- exports -------------------------------------------------------------------------------
#
# The same exports as `hydrawatch export stix|pdq|cases`, with the same defaults (confirmed
# cases only; moderators' names and reasons left out) and the same audit entry. Any role may
# export what it can already read through the API; `with_decisions` (who decided and why, in
# bulk) needs a moderator, like the audit log. An export is built in memory and recorded in
# the audit log only once it is complete, then sent as an attachment.

ExportState = Literal["open", "confirmed", "dismissed", "escalated", "all"]
States = Annotated[list[ExportState] | None, Query(description="case states to export (repeat the parameter; or all); default confirmed")]
CaseTypeFilter = Annotated[str | None, Query(description="only this case type: " + ", ".join(t.value for t in CaseType))]

#: STIX 2.1's registered media type (section 1.5 of the specification).
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_EXPORT_RESPONSES = {400: {"description": "an option is invalid (the detail says which)"},
                     503: {"description": "the store is busy or absent (pdq needs it)"}}


def _export_response(request: Request, principal: Principal, kind: str, write, media_type: str, suffix: str,
                     options: dict) -> Response:
    """Run ``write(review, out)`` (returns counts), audit it as the CLI does and answer with
    the file as an attachment."""
    review = request.app.state.review.review()
    if options.get("type") is not None and options["type"] not in {t.value for t in CaseType}:
        return JSONResponse({"error": "invalid", "detail": f"unknown case type {options['type']!r}; use one of: "
                             + ", ".join(t.value for t in CaseType)}, status_code=400)
    out = io.BytesIO()
    try:
        counts = write(review, out)
    except ConfigError as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)}, status_code=400)
    except StoreUnavailable as exc:
        return _unavailable(exc)
    filename = f"hydrawatch-{kind}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}"
    review.audit(principal.actor, f"export_{kind}", f"api:{filename}", {**options, **counts})
    return Response(out.getvalue(), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@contextmanager
def _export_store(request: Request, required: bool):
    """The store for an export: stix uses it for handles and names when there is one (without
    it, accounts go out by id alone); pdq needs it. A busy store is an error either way, so an
    export never silently loses its handles."""
    if request.app.state.config.store_path is None and not required:
        yield None
        return
    with _store(request) as con:
        yield SimpleNamespace(con=con)  # what the intel exports read: ``store.con``


def _states(state: list[str] | None) -> tuple[str, ...]:
    return tuple(state or ("confirmed",))


@router.get("/exports/stix", response_class=Response, responses={
    200: {"content": {STIX_MEDIA_TYPE: {"schema": {"type": "object"}}}, "description": "a STIX 2.1 bundle"}, **_EXPORT_RESPONSES})
def export_stix_bundle(request: Request, principal: Viewer, state: States = None, type: CaseTypeFilter = None,
                       tlp: Annotated[Literal["white", "clear", "green", "amber", "red"], Query(description="TLP marking of every object")] = "amber",
                       producer: Annotated[str, Query(min_length=1, max_length=200, description="the organisation named as the bundle's creator")] = "hydrawatch") -> Response:
    """Decided cases (default: confirmed) as a STIX 2.1 bundle: user-account observables,
    indicators, returnee relationships and lineage groupings, TLP-marked; no moderators'
    names or reasons. Recorded in the audit log."""
    from hydrawatch.intel import StixConfig, export_stix

    def write(review, out):
        config = StixConfig(tlp=tlp, producer=producer)
        with _export_store(request, required=False) as store:
            return export_stix(review, out, store, _states(state), type, config)

    return _export_response(request, principal, "stix", write, STIX_MEDIA_TYPE, "json",
                            {"states": list(_states(state)), "type": type, "tlp": tlp})


@router.get("/exports/pdq", response_class=Response, responses={
    200: {"content": {"text/plain": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}},
          "description": "`pdq HEX` lines (ThreatExchange signal file), or CSV with layout=csv"}, **_EXPORT_RESPONSES})
def export_pdq_list(request: Request, principal: Viewer, state: States = None, type: CaseTypeFilter = None,
                    min_quality: Annotated[int, Query(ge=0, le=100, description="leave out hashes of lower PDQ quality")] = 50,
                    layout: Annotated[Literal["threatexchange", "csv"], Query(description="threatexchange (`pdq HEX` lines) or csv (with accounts and urls)")] = "threatexchange",
                    pictures: Annotated[Literal["all", "avatars", "posts"], Query(description="avatars, posted media or all")] = "all") -> Response:
    """PDQ hashes of the pictures decided cases' accounts showed and posted (needs the store).
    Recorded in the audit log."""
    from hydrawatch.intel import export_pdq

    def write(review, out):
        with _export_store(request, required=True) as store:
            return export_pdq(review, out, store, _states(state), type, min_quality, layout, pictures)

    csv_layout = layout == "csv"
    return _export_response(request, principal, "pdq", write, "text/csv; charset=utf-8" if csv_layout else "text/plain; charset=utf-8",
                            "csv" if csv_layout else "txt", {"states": list(_states(state)), "type": type, "layout": layout,
                                                             "pictures": pictures, "min_quality": min_quality})


@router.get("/exports/cases", response_class=Response, responses={
    200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}},
          "description": "one case per line (JSONL) or a CSV table"},
    403: {"description": "with_decisions=true needs a moderator"}, **_EXPORT_RESPONSES})
def export_case_records(request: Request, principal: Viewer, state: States = None, type: CaseTypeFilter = None,
                        format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
                        with_decisions: Annotated[bool, Query(description="include who decided and why (moderators and admins)")] = False) -> Response:
    """Decided cases (default: confirmed) as JSONL or CSV. Who decided and why are internal
    records: only with ``with_decisions=true``, and only for moderators and admins. Recorded in
    the audit log."""
    from hydrawatch.intel import export_cases

    if with_decisions and not principal.role.allows(Role.MODERATOR):
        raise Forbidden(principal, Role.MODERATOR)

    def write(review, out):
        return export_cases(review, out, format, _states(state), type, with_decisions)

    media_type = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return _export_response(request, principal, "cases", write, media_type, format,
                            {"states": list(_states(state)), "type": type, "format": format, "with_decisions": with_decisions})


# --- live events ---------------------------------------------------------------------------

_EVENTS_BODY = {
    "description": "One object, a JSON array of objects, or NDJSON (one object per line). Each object is a twarc2 "
    "flattened tweet, a twarc2 API response page (`data` + `includes`), or a compliance-stream event "
    "(`{\"user_suspend\": {\"user\": {\"id\": \"1\"}, \"event_at\": \"...\"}}`).",
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}},
        "application/x-ndjson": {"schema": {"type": "string"}},
    },
}


@router.post("/events", response_model=EventsOut, openapi_extra={"requestBody": _EVENTS_BODY},
             responses={400: {"description": "not JSON, a JSON array or NDJSON"}, 413: {"description": "body too large"}})
async def post_events(request: Request, principal: Moderator) -> Response:
    """Store events, match new accounts against suspended ones, and answer with any new
    returnee cases (also written to the review database in the background).

    Calls with an API token are answered by :class:`EventsFastPath` before routing; this route
    serves logged-in users (and documents the endpoint)."""
    status, body = await handle_events(request.app.state, principal.actor, request.headers.get("content-length"), request.stream())
    return Response(body, status_code=status, media_type="application/json")


async def handle_events(state, actor: str, declared_length: str | None, chunks) -> tuple[int, bytes]:
    """The events endpoint without the framework: (status, JSON body)."""
    limit = state.config.max_body_bytes
    too_large = orjson.dumps({"error": "too_large", "detail": f"send at most {limit:,} bytes per request"})
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        return 413, too_large
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return 413, too_large
        parts.append(chunk)
    body = b"".join(parts)
    try:
        if len(body) <= INLINE_BODY_BYTES:
            result = state.events.process(body, actor)
        else:
            result = await run_in_threadpool(state.events.process, body, actor)
    except PayloadError as exc:
        return 400, orjson.dumps({"error": "bad_payload", "detail": str(exc)})
    return 200, orjson.dumps(result.as_dict())


class EventsFastPath:
    """``POST /api/v1/events`` with ``Authorization: Bearer``, answered before the framework's
    routing and dependency resolution (about half of a small request's cost): the same token
    check and role rule as the route (moderator or above), the same handler. Anything else
    (a logged-in user, another path) goes on to the app."""

    PATH = "/api/v1/events"

    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await self.app(scope, receive, send)
            return
        from hydrawatch.review.users import Role

        principal = self.state.review.users().token_principal(token.strip())
        if principal is None:
            status, body = 401, orjson.dumps({"error": "unauthenticated", "detail": "log in or send Authorization: Bearer TOKEN"})
        elif not principal.role.allows(Role.MODERATOR):
            status, body = 403, orjson.dumps({"error": "forbidden",
                                                "detail": f"your role ({principal.role.value}) does not allow this; it needs moderator"})
        else:
            async def chunks():
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    yield message.get("body", b"")
                    if not message.get("more_body", False):
                        return

            length = headers.get(b"content-length")
            status, body = await handle_events(self.state, principal.actor, length.decode("latin-1") if length else None, chunks())
        response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            response_headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


# --- audit and administration --------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, principal: Moderator, limit: Annotated[int, Query(ge=1, le=5000)] = 100) -> dict:
    """The audit log, newest first, and whether its hash chain holds."""
    review = request.app.state.review.review()
    return {"entries": review.audit_entries(limit), "chain_intact": review.verify_audit_chain()}


@router.get("/users")
def list_users(request: Request, principal: Admin) -> dict:
    return {"users": [{"username": u.username, "role": u.role.value, "created_at": u.created_at, "disabled": u.disabled,
                       "last_login_at": u.last_login_at} for u in request.app.state.review.users().list()]}


@router.post("/users", status_code=201)
def add_user(request: Request, user: UserIn, principal: Admin) -> Response:
    try:
        added = request.app.state.review.users().add(user.username, user.role, user.password, actor=principal.actor)
    except ConfigError as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)}, status_code=400)
    return JSONResponse({"username": added.username, "role": added.role.value}, status_code=201)


@router.get("/tokens")
def list_tokens(request: Request, principal: Admin) -> dict:
    return {"tokens": [{"name": t.name, "role": t.role.value, "created_at": t.created_at, "created_by": t.created_by,
                        "last_used_at": t.last_used_at, "revoked": t.revoked} for t in request.app.state.review.users().tokens()]}
