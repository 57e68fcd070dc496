"""The service's configuration: one frozen dataclass, checked when it is made."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from hydrawatch.core.errors import ConfigError
from hydrawatch.live.events import LiveConfig

SECRET_ENV = "HYDRAWATCH_SECRET"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``create_app`` needs.

    * ``review_db``: the review SQLite file (cases, decisions, audit log, users); required.
    * ``store_path``: the DuckDB store, opened read-only per request for at most
      ``store_timeout`` seconds (a batch job may hold it: pages then say "store busy" and case
      pages fall back to the case and its evidence). None: no store.
    * ``spool_path``: the live spool of ``POST /api/v1/events`` (default: beside the review
      file, ``NAME-live.sqlite``).
    * ``matcher_index``: the online matcher's saved index (loaded if present, saved on
      shutdown); None: built from the store at start and not saved.
    * ``secret_key``: signs session cookies; at least 32 characters. ``secret_from_file``
      makes and keeps one.
    * ``session_hours``: how long a login lasts; ``secure_cookies``: send cookies over HTTPS
      only (set it behind TLS).
    * ``login_per_ip`` / ``login_per_user``: login attempts allowed per
      ``login_window_seconds`` from one address, and failed ones for one user name.
    * ``max_body_bytes``: the largest request body accepted.
    * ``live``: the event pipeline's settings.
    * ``media_fetcher``: fetches account pictures for ``/media`` (the browser never contacts
      the hosts named in user data); None shows a placeholder instead.
    """

    review_db: Path
    secret_key: str
    store_path: Path | None = None
    spool_path: Path | None = None
    matcher_index: Path | None = None
    signup_model: Path | None = None
    store_timeout: float = 1.5
    session_hours: float = 12.0
    secure_cookies: bool = False
    login_per_ip: int = 30
    login_per_user: int = 5
    login_window_seconds: float = 900.0
    max_body_bytes: int = 20 * 1024 * 1024
    start_matcher: bool = True
    live: LiveConfig = field(default_factory=LiveConfig)
    password_hasher: object | None = None  # argon2.PasswordHasher; None: the default (tests pass a cheap one)
    media_fetcher: object | None = None  # .fetch(url) -> bytes | None; None: pictures are not loaded

    def __post_init__(self) -> None:
        object.__setattr__(self, "review_db", Path(self.review_db))
        for name in ("store_path", "spool_path", "matcher_index", "signup_model"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        if self.spool_path is None:
            object.__setattr__(self, "spool_path", self.review_db.with_name(self.review_db.stem + "-live.sqlite"))
        if not isinstance(self.secret_key, str) or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"the secret key must be at least {MIN_SECRET_LENGTH} characters: set {SECRET_ENV} to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))') or let `hydrawatch serve` keep one in a file"
            )
        if not self.review_db.parent.exists():
            raise ConfigError(f"the folder of the review database {self.review_db} does not exist; create it or pass another --review-db")
        if self.store_path is not None and not self.store_path.exists():
            raise ConfigError(f"no store at {self.store_path}: ingest data first (hydrawatch ingest PATH --db {self.store_path}) or omit --db")
        checks = [
            (0.05 <= self.store_timeout <= 60, f"store_timeout is seconds between 0.05 and 60, got {self.store_timeout}"),
            (0.1 <= self.session_hours <= 24 * 30, f"session_hours must be between 0.1 and 720, got {self.session_hours}"),
            (self.login_per_ip >= 1 and self.login_per_user >= 1, "login limits must be at least 1 attempt"),
            (self.login_window_seconds >= 1, "login_window_seconds must be at least 1"),
            (self.max_body_bytes >= 1024, "max_body_bytes must be at least 1024"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    @staticmethod
    def secret_from_file(path: Path) -> str:
        """``$HYDRAWATCH_SECRET``, else the secret kept in ``path`` (made, readable by the
        owner only, on first use) so sessions survive a restart."""
        from_env = os.environ.get(SECRET_ENV)
        if from_env:
            return from_env
        path = Path(path)
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
        return secret
