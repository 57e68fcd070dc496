"""The FastAPI application: ``create_app(config)`` wires the review database, the live event
pipeline, the console pages, the REST API and the security middleware."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.sessions import SessionMiddleware

from hydrawatch import __version__
from hydrawatch.live.events import CaseWriter, LiveEvents
from hydrawatch.live.matcher import LiveMatcher, MatcherSource
from hydrawatch.live.spool import Spool
from hydrawatch.review import ReviewError

from . import display
from .config import ServiceConfig
from .review_access import ReviewAccess
from .security import CSRFMiddleware, Forbidden, LoginLimiter, NotAuthenticated, SecurityHeadersMiddleware

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SESSION_COOKIE = "hydrawatch_session"


class TimedCache:
    """Results of slow store-wide queries (dashboard, network) for ``seconds``."""

    def __init__(self, seconds: float = 60.0):
        self.seconds = seconds
        self._values: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], object]) -> object:
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.seconds:
                return hit[1]
        value = compute()
        with self._lock:
            self._values[key] = (time.monotonic(), value)
        return value


def template_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        user_text=display.user_text, user_name=display.user_name, handle=display.handle, reveal=display.reveal,
        when=display.when, span=display.span, has_tricks=display.has_tricks, seg=lambda value: quote(str(value), safe=""),
        case_type=display.case_type_label,
    )
    env.globals.update(handle_diff=display.handle_diff, version=__version__)
    return env


def create_app(config: ServiceConfig) -> FastAPI:
    """The console and API for one review database (and optionally one store)."""
    review = ReviewAccess(config.review_db, config.password_hasher)
    spool = Spool(config.spool_path).open()
    matcher = LiveMatcher(MatcherSource(config.store_path, config.matcher_index, config.signup_model))
    events = LiveEvents(spool, matcher, config.live)
    writer = CaseWriter(events, str(config.review_db))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        spool.open()  # again, when an app is started a second time (tests)
        if config.start_matcher:
            matcher.start()
        writer.start()
        try:
            yield
        finally:
            writer.stop()
            matcher.stop(save=True)
            spool.close()
            review.close()

    app = FastAPI(
        title="hydrawatch",
        version=__version__,
        summary="Moderator console, review API and live event API of hydrawatch.",
        description="Cases for people to decide, the accounts and networks behind them, and a live event endpoint that "
        "finds suspended accounts coming back. Authenticate with `Authorization: Bearer TOKEN` "
        "(`hydrawatch tokens create NAME`).",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the console loads nothing from elsewhere
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.review = review
    app.state.spool = spool
    app.state.matcher = matcher
    app.state.events = events
    app.state.case_writer = writer
    app.state.limiter = LoginLimiter(config.login_per_ip, config.login_per_user, config.login_window_seconds)
    app.state.templates = template_environment()
    app.state.cache = TimedCache()
    app.state.media_cache = {}

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    from . import api, console

    app.include_router(api.router)  # first: machines post events at hundreds a second, and routes are tried in order
    app.include_router(console.router)

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "unauthenticated", "detail": "log in or send Authorization: Bearer TOKEN"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = app.url_path_for("login_page") + f"?next={_quote(target)}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        detail = f"your role ({exc.principal.role.value}) does not allow this; it needs {exc.needed.value}"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "forbidden", "detail": detail}, status_code=403)
        from .console import render

        return render(request, "error.html", {"title": "Not allowed", "message": detail}, status_code=403)

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        status = 404 if str(exc).startswith("no ") else 409
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "review", "detail": str(exc)}, status_code=status)
        from .console import render

        return render(request, "error.html", {"title": "Cannot do that", "message": str(exc)}, status_code=status)

    # Order matters: the last added runs first. Security headers wrap everything; the session
    # is decoded before the CSRF check reads its token.
    app.add_middleware(api.EventsFastPath, state=app.state)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SessionMiddleware, secret_key=config.secret_key, session_cookie=SESSION_COOKIE,
                       max_age=int(config.session_hours * 3600), same_site="lax", https_only=config.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
