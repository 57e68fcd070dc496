"""Every case type is stored, queued and decided the same way; threats to staff come before
everything whatever their probability; an unknown type is refused with the list of known ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hydrawatch.core.model import Case, Evidence
from hydrawatch.review import CASE_TYPE_LABELS, CaseType, ReviewError, ReviewStore, cited_items, priority_of


def case(kind: str, subject: str, p: float) -> Case:
    return Case(kind, "twitter", subject, p, "test", "v1", datetime.now(UTC), (Evidence("post_id", "the post", "42"),), ())


def test_every_type_round_trips_and_can_be_decided():
    with ReviewStore(":memory:") as review:
        assert review.upsert([case(t.value, f"s-{t.value}", 0.5) for t in CaseType])["added"] == len(CaseType)
        assert set(review.counts()) == {t.value for t in CaseType}
        for stored in review.queue(limit=100):
            assert review.decide(stored.case_id, "alice", "confirm", "seen").state == "confirmed"
            assert stored.evidence[0]["value"] == "42"
        assert all(len(review.labelled(t.value)) == 1 for t in CaseType)


def test_every_type_has_a_name_people_use():
    assert set(CASE_TYPE_LABELS) == set(CaseType)
    assert CaseType.THREAT.label == "threat to staff" and CaseType.PRIVATE_FLIP.label == "private-to-public flip"


@given(threat=st.floats(0.0, 1.0), other=st.floats(0.0, 1.0), kind=st.sampled_from([t for t in CaseType if t is not CaseType.THREAT]))
def test_a_threat_outranks_any_other_case(threat, other, kind):
    assert priority_of("threat", threat) > priority_of(kind, other)


def test_threats_among_themselves_follow_probability():
    assert priority_of("threat", 0.9) > priority_of("threat", 0.2)


def test_an_unknown_type_is_refused_with_the_known_ones():
    with ReviewStore(":memory:") as review, pytest.raises(ReviewError, match="use one of: returnee, network_account"):
        review.upsert([case("brigading", "x", 0.5)])
    with ReviewStore(":memory:") as review:
        assert review.counts() == {}


def test_cited_posts_and_pictures_come_from_the_evidence():
    evidence = [{"signal": "threat_cues", "value": "111"}, {"signal": "bank_pdq", "value": "https://x.example/a.jpg"},
                {"signal": "bank_text_minhash", "value": "222"}, {"signal": "post_id", "value": "111"},
                {"signal": "handle", "value": "333"}, {"signal": "bank_pdq", "value": 0.9}, {"signal": "post", "value": None}]
    assert cited_items(evidence) == (["111", "222"], ["https://x.example/a.jpg"])
