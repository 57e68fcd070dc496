"""PDQ hash lists and case exports: the ThreatExchange signal file holds exactly the usable
avatar hashes of confirmed cases' accounts (checked against a brute-force read of the store),
reads back as ThreatExchange reads it; cases as JSONL and CSV (formula-safe); the commands."""

from __future__ import annotations

import csv
import io
import json
import re

import duckdb
import pytest
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.intel import export_cases, export_pdq, read_threatexchange
from hydrawatch.review import ReviewStore
from hydrawatch.signals.media import MIN_QUALITY
from hydrawatch.store.duck import Store

from reports.world import FORMULA_SUMMARY, MODERATOR, SECRET_REASON

#: The shared world takes about a minute to build on two busy cores (once per session).
pytestmark = pytest.mark.slow


def _expected_hashes(world, min_quality: int = MIN_QUALITY, pictures: str = "all") -> set[str]:
    """Brute force: every avatar URL any profile of a confirmed account showed, and every
    picture it posted, hashed."""
    con = duckdb.connect(str(world.store), read_only=True)
    try:
        rows = []
        if pictures in ("all", "avatars"):
            rows += con.execute("SELECT platform, account_id, avatar_url FROM profiles WHERE avatar_url IS NOT NULL").fetchall()
        if pictures in ("all", "posts"):
            rows += con.execute("SELECT p.platform, p.account_id, e.value FROM posts p JOIN entities e USING (platform, post_id) "
                                "WHERE e.kind = 'media'").fetchall()
        hashes = dict(((u, (h, q)) for u, h, q in con.execute("SELECT url, hash, quality FROM media_hashes WHERE signal = 'pdq'").fetchall()))
    finally:
        con.close()
    found = set()
    for platform, account, url in rows:
        if (platform, account) in world.confirmed_accounts and url in hashes:
            pdq, quality = hashes[url]
            if pdq and quality >= min_quality:
                found.add(pdq)
    return found


def _pdq(world, **options) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    with ReviewStore(world.review) as review, Store(world.store, read_only=True) as store:
        counts = export_pdq(review, buffer, store, **options)
    return buffer.getvalue(), counts


def test_threatexchange_hash_list(report_world):
    text, counts = _pdq(report_world)
    lines = text.decode("ascii").splitlines()
    assert lines and all(re.fullmatch(r"pdq [0-9a-f]{64}", line) for line in lines)
    assert lines == sorted(set(lines)), "each hash once, sorted"
    expected = _expected_hashes(report_world)
    assert {signal for _, signal in read_threatexchange(lines)} == expected
    assert {kind for kind, _ in read_threatexchange(lines)} == {"pdq"}
    assert counts["written"] == len(expected)
    avatars, _ = _pdq(report_world, pictures="avatars")
    posted, _ = _pdq(report_world, pictures="posts")
    avatar_set = {s for _, s in read_threatexchange(avatars.decode().splitlines())}
    posted_set = {s for _, s in read_threatexchange(posted.decode().splitlines())}
    assert avatar_set == _expected_hashes(report_world, pictures="avatars") and avatar_set
    assert posted_set == _expected_hashes(report_world, pictures="posts") and posted_set
    assert avatar_set | posted_set == expected


def test_quality_floor_and_csv_layout(report_world):
    everything, counts = _pdq(report_world, min_quality=0)
    assert {s for _, s in read_threatexchange(everything.decode().splitlines())} == _expected_hashes(report_world, 0)
    text, _ = _pdq(report_world, layout="csv")
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8"))))
    assert rows and set(rows[0]) == {"pdq", "quality", "source", "platform", "account_id", "url", "case_id"}
    assert {r["source"] for r in rows} == {"avatar", "post"}
    assert all(int(r["quality"]) >= MIN_QUALITY and (r["platform"], r["account_id"]) in report_world.confirmed_accounts for r in rows)
    assert all(r["case_id"] in report_world.confirmed for r in rows)


def test_cases_jsonl_and_csv(report_world):
    buffer = io.BytesIO()
    with ReviewStore(report_world.review) as review:
        counts = export_cases(review, buffer, "jsonl")
    records = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert counts["cases"] == len(records) == len(report_world.confirmed)
    assert {r["case_id"] for r in records} == set(report_world.confirmed)
    assert all(r["state"] == "confirmed" and r["decided_at"] and r["evidence"] for r in records)
    assert MODERATOR not in buffer.getvalue().decode() and SECRET_REASON not in buffer.getvalue().decode()

    buffer = io.BytesIO()
    with ReviewStore(report_world.review) as review:
        export_cases(review, buffer, "csv", states=("all",), with_decisions=True)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8"))))
    assert len(rows) == len(report_world.confirmed) + len(report_world.dismissed) + len(report_world.open_cases)
    formula = next(r for r in rows if FORMULA_SUMMARY in r["summary"])
    assert formula["summary"] == "'" + FORMULA_SUMMARY, "a formula from the data is never run by a spreadsheet"
    decided = [r for r in rows if r["state"] == "confirmed"]
    assert all(r["decided_by"] == MODERATOR and r["decision_reason"] == SECRET_REASON for r in decided)
    assert all(r["subject_label"].startswith(("@", "<")) or r["subject_label"] == "" for r in rows)


def test_export_commands(report_world, tmp_path):
    runner = CliRunner()
    review = tmp_path / "review.sqlite"
    review.write_bytes(report_world.review.read_bytes())
    common = ["--db", str(report_world.store), "--review-db", str(review)]
    stix_file = tmp_path / "out" / "bundle.json"
    result = runner.invoke(app, ["export", "stix", "--out", str(stix_file), "--tlp", "green", "--as", "analyst-1", *common])
    assert result.exit_code == 0, result.output
    assert json.loads(stix_file.read_text())["type"] == "bundle"
    pdq_file = tmp_path / "avatars.txt"
    assert runner.invoke(app, ["export", "pdq", "--out", str(pdq_file), *common]).exit_code == 0
    assert pdq_file.read_text().startswith("pdq ")
    cases_file = tmp_path / "cases.csv"
    assert runner.invoke(app, ["export", "cases", "--out", str(cases_file), "--state", "dismissed", *common]).exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(cases_file.read_text(encoding="utf-8"))))) == len(report_world.dismissed)
    streamed = runner.invoke(app, ["export", "cases", "--out", "-", *common])
    assert streamed.exit_code == 0 and len([line for line in streamed.stdout.splitlines() if line.startswith("{")]) == len(report_world.confirmed)
    with ReviewStore(review) as opened:
        entries = opened.audit_entries(10)
        assert opened.verify_audit_chain()
    actions = [(e["actor"], e["action"]) for e in entries]
    assert ("analyst-1", "export_stix") in actions and any(a == "export_pdq" for _, a in actions)

    folder = tmp_path / "parquet"
    parquet = runner.invoke(app, ["export", "--out", str(folder), "--db", str(report_world.store)])
    assert parquet.exit_code == 0 and (folder / "manifest.json").exists(), "export without a kind is the Parquet round trip"

    missing = runner.invoke(app, ["export", "stix", "--out", str(tmp_path / "x.json"), "--review-db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "no review database" in missing.output
    assert not (tmp_path / "none.sqlite").exists() and not (tmp_path / "x.json").exists()
    bad = runner.invoke(app, ["export", "cases", "--out", str(tmp_path / "y.csv"), "--state", "maybe", *common])
    assert bad.exit_code == 1 and "unknown case state" in bad.output
