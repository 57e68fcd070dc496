"""Users and API tokens in the review database: argon2 hashes, no default user, roles,
sessions ended by changes, hashed tokens, and a migration that leaves cases alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hydrawatch.core.errors import ConfigError
from hydrawatch.core.model import Case
from hydrawatch.review import ReviewError, ReviewStore
from hydrawatch.review.users import AuthError, Role, Users, token_digest


@pytest.fixture
def users(tmp_path, cheap_hasher):
    with ReviewStore(tmp_path / "review.sqlite") as review:
        yield Users(review, cheap_hasher)


def test_no_user_exists_until_one_is_added(users):
    assert users.list() == []
    with pytest.raises(AuthError):
        users.authenticate("admin", "admin")


def test_passwords_are_argon2id_and_verify(users):
    users.add("alice", "moderator", "a long enough passphrase")
    stored = users.con.execute("SELECT password_hash FROM users WHERE username = 'alice'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "passphrase" not in stored
    principal = users.authenticate("alice", "a long enough passphrase")
    assert principal.role is Role.MODERATOR and principal.kind == "user"
    with pytest.raises(AuthError, match="wrong user name or password"):
        users.authenticate("alice", "a long enough passphrasE")
    with pytest.raises(AuthError, match="wrong user name or password"):
        users.authenticate("nobody", "a long enough passphrase")


def test_default_hasher_is_argon2id(tmp_path):
    with ReviewStore(tmp_path / "r.sqlite") as review:
        Users(review).add("bob", "viewer", "another long passphrase")
        stored = review.con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$")


@pytest.mark.parametrize("name, role, password, message", [
    ("ok_name", "moderator", "short", "too short"),
    ("samepassword1", "moderator", "samepassword1", "must not be the user name"),
    ("bad name", "moderator", "a long enough passphrase", "invalid name"),
    ("<script>", "moderator", "a long enough passphrase", "invalid name"),
    ("ok_name", "root", "a long enough passphrase", "unknown role"),
])
def test_bad_users_are_refused_with_a_reason(users, name, role, password, message):
    with pytest.raises(ConfigError, match=message):
        users.add(name, role, password)


def test_duplicate_names_are_refused_case_insensitively(users):
    users.add("Carol", "viewer", "a long enough passphrase")
    with pytest.raises(ReviewError, match="exists already"):
        users.add("carol", "admin", "a long enough passphrase")


def test_changes_end_sessions_and_are_audited(users):
    users.add("root", "admin", "a long enough passphrase")
    users.add("dave", "moderator", "a long enough passphrase")
    session = users.authenticate("dave", "a long enough passphrase")
    assert users.session_principal("dave", session.session_version) is not None
    users.set_role("dave", "viewer", actor="root")
    assert users.session_principal("dave", session.session_version) is None
    fresh = users.authenticate("dave", "a long enough passphrase")
    assert fresh.role is Role.VIEWER
    users.set_disabled("dave", True, actor="root")
    assert users.session_principal("dave", fresh.session_version + 1) is None
    with pytest.raises(AuthError):
        users.authenticate("dave", "a long enough passphrase")
    actions = [e["action"] for e in users.review.audit_entries(20)]
    assert {"user_added", "user_role_changed", "user_disabled"} <= set(actions)
    assert users.review.verify_audit_chain()


def test_the_last_admin_cannot_be_demoted_or_disabled(users):
    users.add("root", "admin", "a long enough passphrase")
    with pytest.raises(ReviewError, match="last admin"):
        users.set_role("root", "moderator", actor="root")
    with pytest.raises(ReviewError, match="last admin"):
        users.set_disabled("root", True, actor="root")


def test_tokens_are_shown_once_and_stored_hashed(users):
    token = users.create_token("compliance-stream", "moderator", actor="cli")
    assert token.startswith("hw_") and len(token) > 40
    stored = users.con.execute("SELECT token_sha256 FROM api_tokens").fetchone()[0]
    assert stored == token_digest(token) and token not in stored
    principal = users.token_principal(token)
    assert principal is not None and principal.actor == "token:compliance-stream" and principal.role is Role.MODERATOR
    assert users.token_principal(token + "x") is None
    assert users.token_principal("Bearer " + token) is None
    users.revoke_token("compliance-stream", actor="cli")
    assert users.token_principal(token) is None
    with pytest.raises(ReviewError, match="no active token"):
        users.revoke_token("compliance-stream", actor="cli")


def test_migration_keeps_cases_and_the_review_store_working(tmp_path, cheap_hasher):
    path = tmp_path / "old.sqlite"
    case = Case("returnee", "twitter", "2", 0.9, "returnee", "v1", datetime.now(UTC), (), ("1",))
    with ReviewStore(path) as review:  # a review file from before users existed
        review.upsert([case])
    with ReviewStore(path) as review:
        Users(review, cheap_hasher).add("erin", "moderator", "a long enough passphrase")
        assert len(review.queue()) == 1
        decided = review.decide(review.queue()[0].case_id, "erin", "confirm", "seen it")
        assert decided.state == "confirmed"
        assert review.verify_audit_chain()
    with ReviewStore(path) as review:  # and opening it again (migration is idempotent)
        assert [u.username for u in Users(review, cheap_hasher).list()] == ["erin"]
