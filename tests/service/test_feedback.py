"""Moderators' decisions flow back as training labels: confirmed returnee cases become
positive pairs, dismissed ones negative, with the very feature rows detection scored; pairs the
store does not hold are reported, not guessed; `hydrawatch train returnees --review-db` learns
from them."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from hydrawatch.core.boosted import read_model_json
from hydrawatch.core.model import Case, Evidence
from hydrawatch.evasion.features import FEATURE_NAMES
from hydrawatch.evaluation.feedback import decided_returnee_pairs, read_feedback
from hydrawatch.review import ReviewStore, case_id_of


def returnee(new: str, old: str, p: float = 0.7) -> Case:
    return Case("returnee", "twitter", new, p, "test", "v1", datetime.now(UTC), (Evidence("handle", "alike", 0.5),), (old,))


@pytest.fixture
def decided(world, review_copy):
    """The world's returnee confirmed; a promoter mistaken for a returnee dismissed; a pair of
    accounts the store never saw confirmed; an escalated case (no label)."""
    wrong, unknown, unsure = returnee("3003", "1001"), returnee("9998", "9999"), returnee("7777", "1001")
    with ReviewStore(review_copy) as review:
        review.upsert([wrong, unknown, unsure])
        review.decide(world["returnee"], "alice", "confirm", "same person")
        review.decide(case_id_of(wrong), "alice", "dismiss", "the promoter, not the account")
        review.decide(case_id_of(unknown), "bob", "confirm", "seen on the live API")
        review.decide(case_id_of(unsure), "bob", "escalate", "not sure")
    return review_copy


def test_decided_cases_become_pairs(decided, world):
    with ReviewStore(decided) as review:
        pairs = {(p.old_account_id, p.new_account_id): p.label for p in decided_returnee_pairs(review)}
    assert pairs == {("1001", "2002"): 1, ("1001", "3003"): 0, ("9999", "9998"): 1}  # escalated: no label


def test_feedback_rows_are_the_rows_detection_scored(decided, world):
    from hydrawatch.pipeline import detect_returnees
    from hydrawatch.store.duck import Store

    feedback = read_feedback(world["store"], decided)
    assert feedback.confirmed == 1 and feedback.dismissed == 1
    assert [(p.old_account_id, p.new_account_id) for p in feedback.missing] == [("9999", "9998")]
    assert feedback.X.shape == (2, len(FEATURE_NAMES))
    with Store(world["store"], read_only=True) as store:
        result = detect_returnees(store)
    table, compared = result.table, 0
    for pair, row in zip(feedback.pairs, feedback.X):
        old, new = table.row_of.get(("twitter", pair.old_account_id)), table.row_of.get(("twitter", pair.new_account_id))
        found = np.flatnonzero((result.candidates.parent == old) & (result.candidates.child == new))
        if len(found):  # a pair detection proposed: the same features exactly (although the
            np.testing.assert_array_equal(result.features[found[0]], row)  # promoter widened the table)
            compared += 1
    assert compared == 1
    confirmed = feedback.X[list(feedback.y).index(1)]
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}
    assert confirmed[column["handle_digit_change"]] == 1 and math.isclose(confirmed[column["hours_after_end"]], 2.0, abs_tol=0.01)


def test_no_decisions_no_rows(world, review_copy):
    feedback = read_feedback(world["store"], review_copy)
    assert len(feedback) == 0 and feedback.X.shape == (0, len(FEATURE_NAMES)) and not feedback.missing


def test_train_returnees_learns_from_the_review_database(decided, world, tmp_path):
    from hydrawatch.cli.main import app

    runner = CliRunner()
    args = ["train", "returnees", "--seeds", "5", "--accounts", "400", "--network", "40", "--views", "full",
            "--out", str(tmp_path / "models"), "--cache", str(tmp_path / "cache")]
    missing = runner.invoke(app, [*args, "--review-db", str(tmp_path / "nothing.sqlite"), "--db", str(world["store"])])
    assert missing.exit_code != 0 and "no review database" in missing.output
    result = runner.invoke(app, [*args, "--review-db", str(decided), "--db", str(world["store"])])
    assert result.exit_code == 0, result.output
    assert "1 confirmed and 1 dismissed returnee pairs; 1 not in the store" in " ".join(result.output.split())  # rich wraps lines
    for name in ("returnee-ranker.json.xz", "returnee-signup.json"):
        model = read_model_json(tmp_path / "models" / name)
        assert model["trained_on"]["moderator_decisions"] == {"review_db": str(decided), "confirmed": 1, "dismissed": 1, "not_in_store": 1}
