"""Per-post signals over a store: promotions with the promoted handle, threat cases and
known-content cases in the review queue, and the CLI commands that expose them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.ingest import ingest_paths
from hydrawatch.post_signals import bank_matches, known_content_cases, promotion_rows, store_posts, threat_cases
from hydrawatch.review import CaseType, ReviewStore
from hydrawatch.signals.banks import PDQ, TEXT_MINHASH, Bank, BankEntry, MinHasher
from hydrawatch.signals.media import bits_to_hex
from tests.builders import flat_tweet, jsonl

# Placeholder text only (invented organisation, people and platforms).
RELEASE = ("the zephyr relay publishes its weekly bulletin from the valley of sarim with news of the "
           "market, the harvest and the new council of qadira")


def _tweet(tid: str, uid: str, username: str, text: str, mentions: list[tuple[str, str]] = ()):
    tweet = flat_tweet(tid, uid, username, text)
    spans = []
    for handle, mid in mentions:
        start = text.index("@" + handle)
        spans.append({"start": start, "end": start + len(handle) + 1, "username": handle, "id": mid})
    tweet["entities"] = {"mentions": spans} if spans else {}
    return tweet


@pytest.fixture
def loaded(store, tmp_path):
    posts = [
        _tweet("1", "10", "shoutout_acc", "new account of our brother @abu_sarim_2 after the suspension, follow and spread", [("abu_sarim_2", "11")]),
        _tweet("2", "11", "abu_sarim_2", "back again, this is my new account number 2, spread it"),
        _tweet("3", "12", "angry_acc", "Twitter staff, we will find you."),
        _tweet("4", "13", "news_acc", "Daily Ledger: police say a man told Twitter staff we will find you"),
        _tweet("5", "14", "copier", "BREAKING " + RELEASE + " pass it on"),
        _tweet("6", "15", "ordinary", "follow @friend_1 for the football scores", [("friend_1", "16")]),
    ]
    path = tmp_path / "tweets.jsonl"
    path.write_bytes(jsonl(posts))
    ingest_paths(store, [path])
    return store


def test_promotions_name_the_promoted_handle(loaded):
    rows = list(promotion_rows(store_posts(loaded.con)))
    by_post = {row["post_id"]: row for row in rows}
    assert set(by_post) == {"1", "2"}
    assert by_post["1"]["promoted"] == ["abu_sarim_2"] and not by_post["1"]["self_announcement"]
    assert by_post["2"]["promoted"] == ["abu_sarim_2"] and by_post["2"]["self_announcement"]
    assert "new account" in by_post["1"]["cues"]


def test_threat_cases_are_high_priority_in_the_review_queue(loaded):
    cases, labels, summaries = threat_cases(store_posts(loaded.con))
    assert [c.subject_account_id for c in cases] == ["12"]
    assert cases[0].case_type == CaseType.THREAT
    assert "intent to harm" in cases[0].evidence[0].description and cases[0].evidence[0].source is not None
    with ReviewStore(":memory:") as review:
        review.upsert(cases, labels, summaries)
        review.upsert(known_content_cases(iter([])) [0], {}, {})
        queue = review.queue()
        assert queue[0].case_type == "threat" and queue[0].subject_label == "@angry_acc"
        assert review.upsert(cases, labels, summaries)["updated"] == 1  # re-running does not duplicate


def test_known_content_matches_posts_and_pictures(loaded):
    rng = np.random.default_rng(5)
    known_picture = bits_to_hex(rng.integers(0, 2, 256))
    close = list(int(c, 16) for c in known_picture)  # flip 4 bits of the first nibbles
    close = "".join(format(v ^ (1 if i < 4 else 0), "x") for i, v in enumerate(close))
    avatar = loaded.con.execute("SELECT avatar_url FROM profiles WHERE account_id = '15' LIMIT 1").fetchone()[0]
    loaded.con.execute("INSERT INTO media_hashes VALUES (?, 'pdq', ?, 100, ?)", (avatar, close, datetime.now(UTC)))
    hasher = MinHasher()
    bank = Bank([BankEntry(TEXT_MINHASH, MinHasher.to_hex(hasher.signature(RELEASE)), "bulletin", "list.csv"),
                 BankEntry(PDQ, known_picture, "logo", "list.csv")])
    matches = list(bank_matches(loaded.con, bank))
    assert {(m.account_id, m.item_kind) for m in matches} == {("14", "post"), ("15", "picture")}
    picture = next(m for m in matches if m.item_kind == "picture")
    assert picture.distance == 4 and "PDQ distance 4" in picture.evidence().description
    cases, labels, summaries = known_content_cases(iter(matches))
    assert {c.case_type for c in cases} == {"known_content"} and len(cases) == 2


def test_commands_end_to_end(loaded, tmp_path):
    db = str(loaded.path) if hasattr(loaded, "path") else None
    loaded.close()
    runner = CliRunner()
    review = str(tmp_path / "review.sqlite")
    result = runner.invoke(app, ["promotions", "--db", db, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {r["post_id"]: r["promoted"] for r in rows} == {"1": ["abu_sarim_2"], "2": ["abu_sarim_2"]}
    result = runner.invoke(app, ["threats", "--db", db, "--review-db", review, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    hash_list = tmp_path / "list.csv"
    hash_list.write_text(f'signal_type,signal_value,tags\ntext,"{RELEASE}",bulletin\n')
    bank = str(tmp_path / "bank.tsv")
    assert runner.invoke(app, ["banks", "import", str(hash_list), "--bank", bank]).exit_code == 0
    result = runner.invoke(app, ["banks", "match", "--db", db, "--bank", bank, "--review-db", review, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert '"account_id":"14"' in result.stdout
    with ReviewStore(review) as opened:
        assert [c.case_type for c in opened.queue()] == ["threat", "known_content"]


@pytest.mark.parametrize("command", [["promotions"], ["threats"], ["banks", "import"], ["banks", "match"], ["banks", "list"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and len(result.stdout) > 200
