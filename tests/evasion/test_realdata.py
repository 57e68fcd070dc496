"""Returnee detection on the real Kaggle pro-IS tweets (no ground truth file): the same person's
accounts, known by one display name used under several usernames, are linked, and the links
come with evidence. Nothing of the data set's text is printed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hydrawatch.cli.main import app
from hydrawatch.evaluation.realdata import evaluate_name_groups
from hydrawatch.evasion.detect import default_model_path
from hydrawatch.ingest import ingest_paths
from hydrawatch.store.duck import Store


@pytest.fixture
def fanboy_db(shared, tmp_path):
    path = shared("isis-fanboy/IsisFanboy.csv")
    db = tmp_path / "fanboy.duckdb"
    with Store(db) as store:
        ingest_paths(store, [path])
    return db


def test_name_groups_are_recovered(fanboy_db):
    if not default_model_path().exists():
        pytest.skip("no trained returnee model installed (hydrawatch train returnees)")
    with Store(fanboy_db, read_only=True) as store:
        report = evaluate_name_groups(store)
    # The data holds 7 display names used by several accounts (10 successions).
    assert report.groups == 7 and len(report.transitions) == 10
    # Most successors are the best candidate of their predecessor; the ranker never saw this data.
    # Floors at the shipped ranker's numbers (8 first, 5 linked at 0.5; 7 and 4 before the worlds'
    # network members wrote distinctive names and the ranker averaged five seeds, 5 and 1 before it
    # learned from the minimal view): a retrained ranker that links fewer real successions is a regression.
    ranks = [(t.rank, round(t.probability, 3)) for t in report.transitions]
    assert report.top1 >= 8, ranks
    assert sum(t.linked for t in report.transitions) >= 5, ranks
    # Few links among the other authors (those found are handle mutations such as a number
    # raised by one: plausibly the same people, but not in the name groups).
    assert len(report.flagged_outside_groups) <= 10
    # a linked succession carries the evidence a moderator reads
    assert all(t.evidence for t in report.transitions if t.linked)


def test_eval_name_groups_prints_the_report_and_no_post_text(fanboy_db):
    if not default_model_path().exists():
        pytest.skip("no trained returnee model installed (hydrawatch train returnees)")
    result = CliRunner().invoke(app, ["eval", "name-groups", "--db", str(fanboy_db), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["groups"] == 7 and report["transitions"] == len(report["transition_details"]) == 10
    assert report["linked_at_threshold"] == sum(t["linked"] for t in report["transition_details"])
    with Store(fanboy_db, read_only=True) as store:
        texts = store.con.execute("SELECT text FROM posts WHERE length(text) >= 40").fetchnumpy()["text"].tolist()
    assert texts and not any(text[:40] in result.stdout for text in texts)
