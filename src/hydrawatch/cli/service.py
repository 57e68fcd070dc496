"""`hydrawatch serve`, `users`, `tokens` and `live`: run the console and API, manage who may
use them, and move live events into the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption, ReviewDbOption
from .output import OutputFormat, emit_rows, err, out

DEFAULT_REVIEW_DB = Path("hydrawatch-review.sqlite")

users_app = typer.Typer(help="People who may use the console: add, list, change role or password, disable.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for machines (sent as `Authorization: Bearer TOKEN`).", no_args_is_help=True)
live_app = typer.Typer(help="The live event spool of `POST /api/v1/events`.", no_args_is_help=True)

SpoolOption = Annotated[
    Path | None,
    typer.Option("--spool", help="Live event spool (SQLite). Default: beside the review database, NAME-live.sqlite.", show_default=False),
]


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(1)


def _need_web() -> None:
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
    except ImportError as exc:
        err.print(f"[red]error:[/red] the console needs the web extra ({exc.name} is missing): pip install 'hydrawatch[web]'")
        raise typer.Exit(1) from exc


def _users(review_db: Path):
    from hydrawatch.review import ReviewStore
    from hydrawatch.review.users import Users

    review = ReviewStore(review_db).open()
    return review, Users(review)


def _password(prompt: str) -> str:
    """From stdin when it is not a terminal (first line), else a hidden prompt asked twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise typer.BadParameter("no password on stdin: pipe one line, e.g. `printf '%s\\n' \"$PASSWORD\" | hydrawatch users add ...`")
        return line.rstrip("\r\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def spool_path(review_db: Path, spool: Path | None) -> Path:
    return spool or review_db.with_name(review_db.stem + "-live.sqlite")


# --- users -----------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer (read), moderator (read, decide, post events) or admin (also manage users).")],
    review_db: ReviewDbOption = DEFAULT_REVIEW_DB,
) -> None:
    """Add a user. The password comes from stdin (one line) or a hidden prompt; there is no
    default password."""
    _need_web()
    from hydrawatch.core.errors import ConfigError
    from hydrawatch.review.users import check_password, check_username, parse_role

    try:
        check_username(name)
        parse_role(role)
        password = _password(f"password for {name}")
        check_password(password, name)
        review, users = _users(review_db)
        with review:
            user = users.add(name, role, password, actor="cli")
    except (HydrawatchError, ConfigError) as exc:
        raise _fail(exc) from exc
    err.print(f"user {user.username} added as {user.role.value} in {review_db}")


@users_app.command("list")
def users_list(review_db: ReviewDbOption = DEFAULT_REVIEW_DB, fmt: FormatOption = OutputFormat.table) -> None:
    """Users, their roles and last logins."""
    _need_web()
    review, users = _users(review_db)
    with review:
        rows = [{"name": u.username, "role": u.role.value, "disabled": u.disabled, "created_at": u.created_at, "last_login_at": u.last_login_at}
                for u in users.list()]
    emit_rows(rows, ["name", "role", "disabled", "created_at", "last_login_at"], fmt, title="users")


@users_app.command("set-role")
def users_set_role(name: Annotated[str, typer.Argument(help="Login name.")], role: Annotated[str, typer.Argument(help="viewer, moderator or admin.")],
                   review_db: ReviewDbOption = DEFAULT_REVIEW_DB) -> None:
    """Change a user's role (ends the user's sessions)."""
    _need_web()
    try:
        review, users = _users(review_db)
        with review:
            user = users.set_role(name, role, actor="cli")
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    err.print(f"{user.username} is now {user.role.value}")


@users_app.command("passwd")
def users_passwd(name: Annotated[str, typer.Argument(help="Login name.")], review_db: ReviewDbOption = DEFAULT_REVIEW_DB) -> None:
    """Set a new password (stdin or hidden prompt; ends the user's sessions)."""
    _need_web()
    try:
        password = _password(f"new password for {name}")
        review, users = _users(review_db)
        with review:
            users.set_password(name, password, actor="cli")
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    err.print(f"password of {name} changed")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name.")], enable: Annotated[bool, typer.Option(help="Enable again instead.")] = False,
                  review_db: ReviewDbOption = DEFAULT_REVIEW_DB) -> None:
    """Disable a user (or enable with --enable); a disabled user cannot log in and loses every session."""
    _need_web()
    try:
        review, users = _users(review_db)
        with review:
            users.set_disabled(name, not enable, actor="cli")
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    err.print(f"{name} {'enabled' if enable else 'disabled'}")


# --- tokens ----------------------------------------------------------------------------------


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for (a machine or integration), e.g. compliance-stream.")],
    role: Annotated[str, typer.Option(help="The token's role: moderator may post events and decide; viewer reads.")] = "moderator",
    review_db: ReviewDbOption = DEFAULT_REVIEW_DB,
) -> None:
    """Create an API token and print it once (only its SHA-256 is kept)."""
    _need_web()
    try:
        review, users = _users(review_db)
        with review:
            token = users.create_token(name, role, actor="cli")
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    out.print(token, highlight=False, markup=False)
    err.print(f"token {name} ({role}) created; it is not shown again. Use it as: Authorization: Bearer TOKEN")


@tokens_app.command("list")
def tokens_list(review_db: ReviewDbOption = DEFAULT_REVIEW_DB, fmt: FormatOption = OutputFormat.table) -> None:
    """API tokens (names and roles; the tokens themselves are not kept)."""
    _need_web()
    review, users = _users(review_db)
    with review:
        rows = [{"name": t.name, "role": t.role.value, "revoked": t.revoked, "created_at": t.created_at, "created_by": t.created_by,
                 "last_used_at": t.last_used_at} for t in users.tokens()]
    emit_rows(rows, ["name", "role", "revoked", "created_at", "created_by", "last_used_at"], fmt, title="API tokens")


@tokens_app.command("revoke")
def tokens_revoke(name: Annotated[str, typer.Argument(help="The token's name.")], review_db: ReviewDbOption = DEFAULT_REVIEW_DB) -> None:
    """Revoke an API token at once."""
    _need_web()
    try:
        review, users = _users(review_db)
        with review:
            users.revoke_token(name, actor="cli")
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    err.print(f"token {name} revoked")


# --- live ------------------------------------------------------------------------------------


@live_app.command("flush")
def live_flush(
    db: DbOption = None,
    review_db: ReviewDbOption = DEFAULT_REVIEW_DB,
    spool: SpoolOption = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the JSONL files written and ingested.")] = Path("live-events"),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Write the events received since the last flush to JSONL files (one per format) and
    ingest them into the store with the normal ingest path. Safe to repeat: what was flushed
    before is skipped. Runs beside a serving console (the console reads the store per request)."""
    from hydrawatch.live.flush import flush_spool
    from hydrawatch.live.spool import Spool
    from hydrawatch.store.duck import Store

    path = spool_path(review_db, spool)
    if not path.exists():
        raise _fail(HydrawatchError(f"no live spool at {path}: nothing was received yet (or pass --spool)"))
    try:
        with Spool(path) as opened, Store(db) as store:
            result = flush_spool(opened, store, out_dir)
    except HydrawatchError as exc:
        raise _fail(exc) from exc
    if not result.events:
        err.print("nothing to flush: every received event is in the store already")
        return
    rows = [{"file": f.path, "format": f.format, "status": f.status, "records": f.records, "rejected": f.rejected,
             "new_posts": f.added.get("posts", 0), "new_events": f.added.get("events", 0)} for f in result.files]
    emit_rows(rows, ["file", "format", "status", "records", "rejected", "new_posts", "new_events"], fmt, title=f"events {result.first_seq}-{result.last_seq}")
    if result.failed:
        raise _fail(HydrawatchError("some files failed to ingest; the flush is not recorded and will be retried: " +
                                    "; ".join(f"{f.path}: {f.message}" for f in result.failed)))


@live_app.command("status")
def live_status(review_db: ReviewDbOption = DEFAULT_REVIEW_DB, spool: SpoolOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Events received, flushed and waiting; cases found and written to the review database."""
    from hydrawatch.cli.output import emit_object
    from hydrawatch.live.spool import Spool

    path = spool_path(review_db, spool)
    if not path.exists():
        raise _fail(HydrawatchError(f"no live spool at {path}"))
    with Spool(path) as opened:
        stats = opened.stats()
    emit_object({"spool": str(path), **{k: (v if not isinstance(v, dict) else ", ".join(f"{a}: {b}" for a, b in v.items())) for k, v in stats.items()}}, fmt)


# --- serve -----------------------------------------------------------------------------------


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(live_app, name="live")

    @app.command()
    def serve(
        db: DbOption = None,
        review_db: ReviewDbOption = DEFAULT_REVIEW_DB,
        spool: SpoolOption = None,
        host: Annotated[str, typer.Option(help="Address to listen on (loopback by default; put TLS in front for anything else).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = 8000,
        matcher_index: Annotated[Path | None, typer.Option(help="Saved online-matcher index: loaded if present, saved on shutdown. "
                                                           "Default: built from the store's ended accounts at start.")] = None,
        secret_file: Annotated[Path | None, typer.Option(help="File keeping the cookie-signing secret (made on first use); "
                                                         "$HYDRAWATCH_SECRET wins. Default: beside the review database.")] = None,
        synthetic_media: Annotated[Path | None, typer.Option(help="A world folder of `hydrawatch synth`: show its avatar pictures (demo).")] = None,
        secure_cookies: Annotated[bool, typer.Option(help="Send cookies over HTTPS only (behind TLS).")] = False,
        no_store: Annotated[bool, typer.Option("--no-store", help="Run without the analytical store (cases and events only).")] = False,
    ) -> None:
        """Run the moderator console, the REST API (/api/v1, OpenAPI at /api/v1/openapi.json) and
        the live event API. Users are made with `hydrawatch users add`; there is no default login."""
        _need_web()
        import uvicorn

        from hydrawatch.store.duck import default_db_path

        from hydrawatch.service import ServiceConfig, create_app

        store_path = None if no_store else (db or default_db_path())
        if db is None and store_path is not None and not store_path.exists():
            err.print(f"[yellow]no store at {store_path}:[/yellow] running without one (cases and events only); pass --db FILE to read a store")
            store_path = None
        media = None
        if synthetic_media is not None:
            from hydrawatch.signals.imagesynth import SyntheticAvatarFetcher

            media = SyntheticAvatarFetcher.from_world(synthetic_media)
        try:
            secret = ServiceConfig.secret_from_file(secret_file or review_db.with_name(review_db.stem + ".secret"))
            config = ServiceConfig(review_db=review_db, secret_key=secret, store_path=store_path, spool_path=spool,
                                   matcher_index=matcher_index, secure_cookies=secure_cookies, media_fetcher=media)
            application = create_app(config)
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        review, users = _users(review_db)
        with review:
            if not users.list():
                err.print("[yellow]no users yet:[/yellow] add one with `hydrawatch users add NAME --role admin` (nobody can log in until then)")
        if host not in ("127.0.0.1", "localhost", "::1") and not secure_cookies:
            err.print("[yellow]warning:[/yellow] listening beyond this machine without --secure-cookies; put TLS in front and set it")
        err.print(f"console: http://{host}:{port}/   API: http://{host}:{port}/api/v1/openapi.json")
        uvicorn.run(application, host=host, port=port, log_level="info", server_header=False, proxy_headers=False)
