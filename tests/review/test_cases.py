"""Review state: cases are idempotent, decisions are recorded and never lost, the audit log
is append-only and tamper-evident, threats come first."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from hydrawatch.core.model import Case, Evidence
from hydrawatch.review import ReviewError, ReviewStore, case_id_of


def case(kind: str, subject: str, p: float, related=("old",)) -> Case:
    return Case(kind, "twitter", subject, p, "test", "v1", datetime.now(UTC), (Evidence("handle", "looks alike", 0.9, 1.2),), tuple(related))


def test_upsert_is_idempotent_and_respects_decisions(tmp_path):
    with ReviewStore(tmp_path / "r.sqlite") as review:
        assert review.upsert([case("returnee", "a", 0.8), case("returnee", "b", 0.6)])["added"] == 2
        assert review.upsert([case("returnee", "a", 0.9)]) == {"added": 0, "updated": 1, "unchanged_decided": 0}
        assert review.get(case_id_of(case("returnee", "a", 0))).probability == 0.9
        review.decide(case_id_of(case("returnee", "b", 0)), "alice", "dismiss", "different person")
        counts = review.upsert([case("returnee", "b", 0.99)])
        assert counts["unchanged_decided"] == 1
        decided = review.get(case_id_of(case("returnee", "b", 0)))
        assert decided.state == "dismissed" and decided.probability == 0.6


def test_queue_orders_threats_first_and_filters():
    with ReviewStore(":memory:") as review:
        review.upsert([case("returnee", "r", 0.99), case("threat", "t", 0.3), case("network_account", "n", 0.95)])
        assert [c.case_type for c in review.queue()] == ["threat", "returnee", "network_account"]
        assert [c.subject_account_id for c in review.queue(case_type="returnee")] == ["r"]
        assert review.queue(min_probability=0.96)[0].subject_account_id == "r"


def test_decisions_audit_and_labels(tmp_path):
    path = tmp_path / "r.sqlite"
    with ReviewStore(path) as review:
        review.upsert([case("returnee", "a", 0.8), case("returnee", "b", 0.7), case("returnee", "c", 0.6)])
        ids = [case_id_of(case("returnee", s, 0)) for s in "abc"]
        review.decide(ids[0], "alice", "confirm", "same avatar")
        review.decide(ids[1], "bob", "dismiss", "")
        review.decide(ids[2], "bob", "escalate", "needs legal")
        with pytest.raises(ReviewError, match="unknown action"):
            review.decide(ids[0], "alice", "suspend", "")
        with pytest.raises(ReviewError, match="who made it"):
            review.decide(ids[0], "", "confirm", "")
        with pytest.raises(ReviewError, match="no case"):
            review.decide("case-nope", "alice", "confirm", "")
        assert [(d.actor, d.action) for d in review.decisions()] == [("alice", "confirm"), ("bob", "dismiss"), ("bob", "escalate")]
        assert sorted(label for _, label in review.labelled("returnee")) == [0, 1]
        entry = review.audit_entries(obj=ids[0])[0]
        assert entry["actor"] == "alice" and entry["details"]["reason"] == "same avatar"
        assert review.verify_audit_chain()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            review.con.execute("UPDATE audit_log SET actor = 'mallory'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            review.con.execute("DELETE FROM decisions")
    # Tampering outside hydrawatch (dropping the guard first) is detected by the hash chain.
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE actor = 'alice'")
    con.commit()
    con.close()
    with ReviewStore(path) as review:
        assert not review.verify_audit_chain()
