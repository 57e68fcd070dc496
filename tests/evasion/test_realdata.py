"""Returnee detection on the real Kaggle pro-IS tweets (no ground truth file): the same person's
accounts, known by one display name used under several usernames, are linked, and the links
come with evidence. Nothing of the data set's text is printed."""

from __future__ import annotations

import pytest

from hydrawatch.evaluation.realdata import evaluate_name_groups
from hydrawatch.evasion.detect import default_model_path
from hydrawatch.ingest import ingest_paths


def test_name_groups_are_recovered(shared, store):
    if not default_model_path().exists():
        pytest.skip("no trained returnee model installed (hydrawatch train returnees)")
    path = shared("isis-fanboy/IsisFanboy.csv")
    ingest_paths(store, [path])
    report = evaluate_name_groups(store)
    # The data holds 7 display names used by several accounts (10 successions).
    assert report.groups == 7 and len(report.transitions) == 10
    # Most successors are the best candidate of their predecessor; the ranker never saw this data.
    assert report.top1 >= 5, [(t.rank, round(t.probability, 3)) for t in report.transitions]
    # Few links among the other authors (those found are handle mutations such as a number
    # raised by one: plausibly the same people, but not in the name groups).
    assert len(report.flagged_outside_groups) <= 10
