"""People and machines allowed into the console and the API, kept beside the cases in the
review SQLite file.

Roles, each allowing what the one before it allows:

* ``viewer``: read cases, accounts, the network and the audit log;
* ``moderator``: also decide cases and post events;
* ``admin``: also manage users and API tokens.

Passwords are stored as argon2id hashes (argon2-cffi, its RFC 9106 "low memory" defaults
unless given another :class:`argon2.PasswordHasher`); there is no default user and no default
password: the first admin is made with ``hydrawatch users add NAME --role admin``. API tokens
are random (256 bits), shown once, and stored as their SHA-256: a token is as strong as a
key, so a slow hash adds nothing and would cost every API call.

Each user has a ``session_version``; a session cookie names the version it was issued for,
so changing a password or role, or disabling the user, ends every session at once.

The tables are added by a small migration (``users_schema_version`` in ``meta``), so opening
an older review file adds them and leaves cases, decisions and the audit log as they were.
Every change to users and tokens is written to the review audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from hydrawatch.core.errors import ConfigError

from .cases import ReviewError, ReviewStore

USERS_SCHEMA_VERSION = 1
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "hw_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class Role(StrEnum):
    VIEWER = "viewer"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


class AuthError(ReviewError):
    """A login or token that is not accepted (the message never says which part was wrong)."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    created_at: str
    disabled: bool
    session_version: int
    last_login_at: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request: a user (by password and session) or a machine (by token)."""

    name: str
    role: Role
    kind: str  # "user" or "token"
    session_version: int = 0

    @property
    def actor(self) -> str:
        """The name written to the audit log."""
        return self.name if self.kind == "user" else f"token:{self.name}"


@dataclass(frozen=True, slots=True)
class ApiToken:
    name: str
    role: Role
    created_at: str
    created_by: str
    last_used_at: str | None
    revoked: bool


_MIGRATION = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'moderator', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    session_version INTEGER NOT NULL DEFAULT 1,
    last_login_at TEXT
);
CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'moderator', 'admin')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    last_used_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO meta VALUES ('users_schema_version', '1');
"""


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError as exc:
        raise ConfigError(f"unknown role {text!r}; use one of: {', '.join(r.value for r in Role)}") from exc


def check_username(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ConfigError(
            f"invalid name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters (a passphrase is fine)")
    if username and password.lower() == username.lower():
        raise ConfigError("the password must not be the user name")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_hasher():
    from argon2 import PasswordHasher
    from argon2.profiles import RFC_9106_LOW_MEMORY

    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


class Users:
    """Users and API tokens in an open :class:`ReviewStore` (its connection and audit log).

    ``hasher`` is an ``argon2.PasswordHasher``; tests pass a cheap one. Hashes record their
    own parameters, so a password hashed with other parameters still verifies, and is
    re-hashed with these on the next successful login.
    """

    def __init__(self, review: ReviewStore, hasher=None, migrate: bool = True):
        self.review = review
        self.hasher = hasher or default_hasher()
        if migrate:  # False: the caller made sure the tables exist (a server, per request thread)
            self._migrate()

    @property
    def con(self) -> sqlite3.Connection:
        return self.review.con

    def _change(self, actor: str, action: str, obj: str, details: dict, sql: str, params: tuple) -> int:
        """One change and its audit entry, in one transaction; returns the rows changed."""
        with self.review._transaction() as con:
            changed = con.execute(sql, params).rowcount
            if changed:
                self.review._audit(con, actor, action, obj, details)
        return changed

    def _migrate(self) -> None:
        self.con.executescript(_MIGRATION)
        version = int(self.con.execute("SELECT value FROM meta WHERE key = 'users_schema_version'").fetchone()[0])
        if version != USERS_SCHEMA_VERSION:
            raise ConfigError(f"{self.review.path} has users schema v{version}; this hydrawatch uses v{USERS_SCHEMA_VERSION}")

    # --- users --------------------------------------------------------------------------

    def add(self, username: str, role: Role | str, password: str, actor: str = "cli") -> User:
        check_username(username)
        role = parse_role(role) if isinstance(role, str) else role
        check_password(password, username)
        password_hash = self.hasher.hash(password)
        try:
            self._change(actor, "user_added", f"user:{username}", {"role": role.value},
                         "INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                         (username, role.value, password_hash, _now()))
        except sqlite3.IntegrityError as exc:
            raise ReviewError(f"a user named {username!r} exists already; choose another name or change that user's role") from exc
        return self.get(username)

    def get(self, username: str) -> User:
        row = self.con.execute(
            "SELECT username, role, created_at, disabled, session_version, last_login_at FROM users WHERE username = ?", (username,)
        ).fetchone()
        if row is None:
            raise ReviewError(f"no user {username!r} (see: hydrawatch users list)")
        return _user(row)

    def list(self) -> list[User]:
        rows = self.con.execute(
            "SELECT username, role, created_at, disabled, session_version, last_login_at FROM users ORDER BY username"
        ).fetchall()
        return [_user(row) for row in rows]

    def count_admins(self) -> int:
        return self.con.execute("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0").fetchone()[0]

    def set_role(self, username: str, role: Role | str, actor: str) -> User:
        role = parse_role(role) if isinstance(role, str) else role
        user = self.get(username)
        if user.role is Role.ADMIN and role is not Role.ADMIN and self.count_admins() <= 1 and not user.disabled:
            raise ReviewError("this is the last admin; make another admin first")
        self._change(actor, "user_role_changed", f"user:{user.username}", {"from": user.role.value, "to": role.value},
                     "UPDATE users SET role = ?, session_version = session_version + 1 WHERE username = ?", (role.value, username))
        return self.get(username)

    def set_password(self, username: str, password: str, actor: str) -> None:
        user = self.get(username)
        check_password(password, username)
        self._change(actor, "user_password_changed", f"user:{user.username}", {},
                     "UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE username = ?",
                     (self.hasher.hash(password), username))

    def set_disabled(self, username: str, disabled: bool, actor: str) -> User:
        user = self.get(username)
        if disabled and user.role is Role.ADMIN and not user.disabled and self.count_admins() <= 1:
            raise ReviewError("this is the last admin; make another admin first")
        self._change(actor, "user_disabled" if disabled else "user_enabled", f"user:{user.username}", {},
                     "UPDATE users SET disabled = ?, session_version = session_version + 1 WHERE username = ?", (int(disabled), username))
        return self.get(username)

    def authenticate(self, username: str, password: str) -> Principal:
        """The user, if the password is right and the user is enabled; else :class:`AuthError`.
        A wrong name costs as much time as a wrong password (no user enumeration by timing)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self.con.execute(
            "SELECT username, role, password_hash, disabled, session_version FROM users WHERE username = ?", (username,)
        ).fetchone()
        stored = row["password_hash"] if row is not None else _dummy_hash(self.hasher)
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError) as exc:
            raise AuthError("wrong user name or password") from exc
        if row is None or row["disabled"]:
            raise AuthError("wrong user name or password")
        if self.hasher.check_needs_rehash(stored):
            self.con.execute("UPDATE users SET password_hash = ? WHERE username = ?", (self.hasher.hash(password), row["username"]))
        self.con.execute("UPDATE users SET last_login_at = ? WHERE username = ?", (_now(), row["username"]))
        return Principal(row["username"], Role(row["role"]), "user", row["session_version"])

    def session_principal(self, username: str, session_version: int) -> Principal | None:
        """The user a session cookie names, if that session is still valid."""
        row = self.con.execute(
            "SELECT username, role, disabled, session_version FROM users WHERE username = ?", (username,)
        ).fetchone()
        if row is None or row["disabled"] or row["session_version"] != session_version:
            return None
        return Principal(row["username"], Role(row["role"]), "user", row["session_version"])

    # --- API tokens ---------------------------------------------------------------------

    def create_token(self, name: str, role: Role | str = Role.MODERATOR, actor: str = "cli") -> str:
        """A new token for a machine; returns the token, which is not stored and cannot be
        shown again."""
        check_username(name)
        role = parse_role(role) if isinstance(role, str) else role
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            self._change(actor, "token_created", f"token:{name}", {"role": role.value},
                         "INSERT INTO api_tokens (name, token_sha256, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                         (name, token_digest(token), role.value, _now(), actor))
        except sqlite3.IntegrityError as exc:
            raise ReviewError(f"a token named {name!r} exists already; choose another name") from exc
        return token

    def revoke_token(self, name: str, actor: str) -> None:
        if not self._change(actor, "token_revoked", f"token:{name}", {}, "UPDATE api_tokens SET revoked = 1 WHERE name = ? AND revoked = 0", (name,)):
            raise ReviewError(f"no active token named {name!r} (see: hydrawatch tokens list)")

    def tokens(self) -> list[ApiToken]:
        rows = self.con.execute(
            "SELECT name, role, created_at, created_by, last_used_at, revoked FROM api_tokens ORDER BY name"
        ).fetchall()
        return [ApiToken(r["name"], Role(r["role"]), r["created_at"], r["created_by"], r["last_used_at"], bool(r["revoked"])) for r in rows]

    def token_principal(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        row = self.con.execute(
            "SELECT name, role, revoked, last_used_at FROM api_tokens WHERE token_sha256 = ?", (token_digest(token),)
        ).fetchone()
        if row is None or row["revoked"]:
            return None
        now = _now()
        if (row["last_used_at"] or "")[:16] != now[:16]:  # at most one write a minute per token
            self._note_use(row["name"], now)
        return Principal(row["name"], Role(row["role"]), "token")

    def _note_use(self, name: str, now: str) -> None:
        """Best effort: a token call never waits for a batch job holding the write lock."""
        con = self.con
        con.execute("PRAGMA busy_timeout = 20")
        try:
            con.execute("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", (now, name))
        except sqlite3.OperationalError:
            pass
        finally:
            con.execute("PRAGMA busy_timeout = 10000")


_DUMMY: dict[int, str] = {}


def _dummy_hash(hasher) -> str:
    key = id(hasher)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMY[key]


def _user(row: sqlite3.Row) -> User:
    return User(row["username"], Role(row["role"]), row["created_at"], bool(row["disabled"]), row["session_version"], row["last_login_at"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
