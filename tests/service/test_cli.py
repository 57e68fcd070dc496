"""The commands: users from stdin (no default password), tokens printed once, live flush and
status, and help on every new command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.review import ReviewStore
from hydrawatch.review.users import Users

runner = CliRunner()


@pytest.fixture
def review_db(tmp_path):
    return tmp_path / "review.sqlite"


def test_users_add_reads_the_password_from_stdin(review_db):
    result = runner.invoke(app, ["users", "add", "ayesha", "--role", "admin", "--review-db", str(review_db)],
                           input="a very long passphrase\n")
    assert result.exit_code == 0, result.output
    with ReviewStore(review_db) as review:
        assert Users(review).authenticate("ayesha", "a very long passphrase").role.value == "admin"
    listed = runner.invoke(app, ["users", "list", "--review-db", str(review_db), "--format", "csv"])
    assert "ayesha,admin" in listed.output and "passphrase" not in listed.output


@pytest.mark.parametrize("args, stdin, message", [
    (["users", "add", "bob", "--role", "moderator"], "short\n", "too short"),
    (["users", "add", "bob", "--role", "superuser"], "a very long passphrase\n", "unknown role"),
    (["users", "add", "bob", "--role", "moderator"], "", "no password on stdin"),
])
def test_users_add_refuses_bad_input(review_db, args, stdin, message):
    result = runner.invoke(app, [*args, "--review-db", str(review_db)], input=stdin)
    assert result.exit_code != 0 and message in result.output


def test_tokens_create_prints_the_token_once(review_db):
    result = runner.invoke(app, ["tokens", "create", "stream", "--review-db", str(review_db)])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[0]
    with ReviewStore(review_db) as review:
        assert Users(review).token_principal(token).name == "stream"
    listed = runner.invoke(app, ["tokens", "list", "--review-db", str(review_db), "--format", "json"])
    assert '"stream"' in listed.output and token not in listed.output
    assert runner.invoke(app, ["tokens", "revoke", "stream", "--review-db", str(review_db)]).exit_code == 0


def test_live_flush_and_status(tmp_path, world):
    import shutil

    from hydrawatch.live.spool import Spool

    from .world import T0, iso, tweet

    review_db = tmp_path / "review.sqlite"
    store = tmp_path / "store.duckdb"
    shutil.copy(world["store"], store)
    import orjson

    with Spool(tmp_path / "review-live.sqlite") as spool, spool.transaction() as con:
        Spool.append(con, [("twarc2-flat", orjson.dumps(tweet("8801", "4401", "via_cli", "x", T0, "Cli"))),
                           ("twitter-compliance", orjson.dumps({"user_delete": {"user": {"id": "4401"}, "event_at": iso(T0)}}))], "test")
    args = ["--review-db", str(review_db)]
    status = runner.invoke(app, ["live", "status", *args, "--format", "json"])
    assert '"unflushed": 2' in status.output
    flushed = runner.invoke(app, ["live", "flush", "--db", str(store), "--out", str(tmp_path / "out"), *args, "--format", "csv"])
    assert flushed.exit_code == 0, flushed.output
    assert "twarc2-flat,ingested" in flushed.output and "twitter-compliance,ingested" in flushed.output
    again = runner.invoke(app, ["live", "flush", "--db", str(store), "--out", str(tmp_path / "out"), *args])
    assert again.exit_code == 0 and "nothing to flush" in again.output


@pytest.mark.parametrize("command", [["serve"], ["users", "add"], ["users", "list"], ["tokens", "create"], ["live", "flush"], ["live", "status"]])
def test_new_commands_have_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and len(result.output) > 200


def test_the_readme_guides_through_the_console():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for needle in ("hydrawatch users add", "hydrawatch tokens create", "hydrawatch serve", "POST /api/v1/events",
                   "train returnees --review-db", "benchmarks/events_load.py", "threat to staff", "mass rename"):
        assert needle in readme, f"README.md does not mention {needle!r}"


def test_the_demo_ends_with_the_console_url_and_a_login_made_for_the_run(tmp_path):
    import re

    from hydrawatch.cli import demo
    from hydrawatch.cli.output import out

    with out.capture() as captured:
        demo._console_section(tmp_path / "hydrawatch.duckdb", tmp_path / "world", None)
    text = captured.get()
    assert "console:   http://127.0.0.1:8000/" in text
    found = re.search(r"login:\s+(demo-[0-9a-f]{6})\s+password: (\S+)", text)
    assert found, text
    with ReviewStore(tmp_path / "hydrawatch-review.sqlite") as review:
        principal = Users(review).authenticate(found.group(1), found.group(2))
        assert principal.role.value == "moderator"
