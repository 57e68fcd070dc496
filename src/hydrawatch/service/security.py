"""Who may do what: principals from session cookies or API tokens, role requirements on every
route, CSRF protection of state-changing requests, the login rate limit, and the security
headers of every response.

Sessions are signed cookies (Starlette's SessionMiddleware: itsdangerous, HttpOnly,
SameSite=Lax) naming the user and the user's ``session_version``; the user's role is read from
the review database on every request, so a role change or a disabled user takes effect at
once. A session carries a random CSRF token; every POST/PUT/PATCH/DELETE that relies on the
cookie must send it back, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header
(htmx sends the header), and must not come from another site (``Origin`` /
``Sec-Fetch-Site``). Requests with ``Authorization: Bearer`` carry no ambient credential and
need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hydrawatch.review.users import Principal, Role

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class NotAuthenticated(Exception):
    """No valid session or token."""


class Forbidden(Exception):
    """Authenticated, but the role does not allow this."""

    def __init__(self, principal: Principal, needed: Role):
        super().__init__(f"{principal.actor} is {principal.role.value}; this needs {needed.value}")
        self.principal = principal
        self.needed = needed


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def resolve_principal(request: Request) -> Principal | None:
    """The caller: by bearer token when one is sent (a wrong token is not rescued by a
    cookie), else by session; cached on the request."""
    if "principal" in request.scope.get("state", {}):
        return request.state.principal
    users = request.app.state.review.users()
    principal = None
    token = bearer_token(request)
    if token is not None:
        principal = users.token_principal(token)
    elif "user" in request.session:
        principal = users.session_principal(request.session["user"], int(request.session.get("ver", -1)))
        if principal is None:
            request.session.clear()
    request.state.principal = principal
    return principal


class RoleRequirement:
    """A FastAPI dependency: the caller must have at least ``role`` (None: anyone, including
    anonymous callers; the route is public on purpose). Every route declares one; a test walks
    the app's routes to make sure."""

    def __init__(self, role: Role | None):
        self.role = role

    async def __call__(self, request: Request) -> Principal | None:
        # async: checked on the event loop (a SQLite look-up by key), no thread hop per request
        principal = resolve_principal(request)
        if self.role is None:
            return principal
        if principal is None:
            raise NotAuthenticated()
        if not principal.role.allows(self.role):
            raise Forbidden(principal, self.role)
        return principal

    def __repr__(self) -> str:
        return f"RoleRequirement({self.role.value if self.role else 'public'})"


PUBLIC = RoleRequirement(None)
VIEWER = RoleRequirement(Role.VIEWER)
MODERATOR = RoleRequirement(Role.MODERATOR)
ADMIN = RoleRequirement(Role.ADMIN)


# --- login rate limit ------------------------------------------------------------------------


class LoginLimiter:
    """Sliding-window limits: ``per_ip`` attempts from one address and ``per_user`` failed
    attempts on one user name within ``window`` seconds. A success clears the name's failures.
    Kept in memory: one serving process is the deployment this console is built for."""

    def __init__(self, per_ip: int, per_user: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.per_ip, self.per_user, self.window, self.clock = per_ip, per_user, window, clock
        self._ip: dict[str, deque] = {}
        self._user: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, table: dict[str, deque], key: str, now: float) -> deque:
        times = table.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, ip: str, username: str) -> float | None:
        """Seconds to wait if this attempt is over a limit, else None (and the attempt counts)."""
        now = self.clock()
        with self._lock:
            by_ip = self._recent(self._ip, ip, now)
            by_user = self._recent(self._user, username.lower(), now)
            if len(by_ip) >= self.per_ip:
                return by_ip[0] + self.window - now
            if len(by_user) >= self.per_user:
                return by_user[0] + self.window - now
            by_ip.append(now)
            if len(self._ip) > 100_000:  # forget idle addresses
                for key in [k for k, v in self._ip.items() if not v][:50_000]:
                    del self._ip[key]
        return None

    def failed(self, username: str) -> None:
        with self._lock:
            self._user.setdefault(username.lower(), deque()).append(self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._user.pop(username.lower(), None)


# --- middleware ------------------------------------------------------------------------------


def _same_site(headers: Headers) -> bool:
    site = headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin and origin != "null":
        host = headers.get("host", "")
        if urlsplit(origin).netloc != host:
            return False
    return True


class CSRFMiddleware:
    """Refuses state-changing requests that rely on the session cookie without the session's
    CSRF token, or that come from another site. Runs inside SessionMiddleware."""

    def __init__(self, app: ASGIApp, max_form_bytes: int = 1024 * 1024):
        self.app = app
        self.max_form_bytes = max_form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        if scope.get("path", "").startswith("/api/") and "user" not in session:
            # no ambient credential to abuse: the API answers 401 itself
            await self.app(scope, receive, send)
            return
        expected = session.get("csrf")
        supplied = headers.get(CSRF_HEADER)
        replay: list[Message] = []
        if supplied is None and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = b""
            while True:
                message = await receive()
                replay.append(message)
                body += message.get("body", b"")
                if len(body) > self.max_form_bytes:
                    await PlainTextResponse("form too large", status_code=413)(scope, receive, send)
                    return
                if not message.get("more_body", False):
                    break
            supplied = (parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD) or [None])[0]
        if not _same_site(headers) or not expected or not supplied or not hmac.compare_digest(str(expected), str(supplied)):
            await _csrf_failure(scope, receive, send)
            return

        async def replaying() -> Message:
            if replay:
                return replay.pop(0)
            return await receive()

        await self.app(scope, replaying if replay else receive, send)


async def _csrf_failure(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope.get("path", "")
    message = "CSRF check failed: reload the page and try again (the form's security token is missing, wrong or from another site)"
    if path.startswith("/api/"):
        response = JSONResponse({"error": "csrf", "detail": message}, status_code=403)
    else:
        response = PlainTextResponse(message, status_code=403)
    await response(scope, receive, send)


#: The console loads nothing from elsewhere: scripts, styles, pictures and connections are
#: all same-origin (pictures of accounts come through /media, which the server fetches).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                if not static and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + [(k, v) for k, v in extra if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)
