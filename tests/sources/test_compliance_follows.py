from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.core.model import Event, EventKind, Follow
from hydrawatch.sources import ProblemLog, detect
from hydrawatch.sources.compliance import ComplianceSource
from hydrawatch.sources.follows import FollowsCsvSource

EVENTS = [
    {"user_suspend": {"user": {"id": "1"}, "event_at": "2015-03-01T12:00:00.000Z"}},
    {"data": {"user_protect": {"user": {"id": "2"}, "event_at": "2015-03-01T13:00:00.000Z"}}},
    {"user_delete": {"user": {"id": 3, "id_str": "3"}, "timestamp_ms": "1425214800000"}},
    {"user_profile_modification": {"user": {"id": "4"}, "profile_field": "screen_name", "new_value": "abu_x13", "event_at": "2015-03-02T00:00:00Z"}},
    {"user_undelete": {"user": {"id": "3"}, "event_at": "2015-03-03T00:00:00Z"}},
]


def test_compliance_shapes(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in EVENTS) + b"\n")
    assert detect(path).name == "twitter-compliance"
    problems = ProblemLog()
    events = list(ComplianceSource().read(path, problems))
    assert problems.count == 0
    assert [(e.account_id, e.kind) for e in events] == [
        ("1", EventKind.SUSPEND), ("2", EventKind.PROTECT), ("3", EventKind.DELETE),
        ("4", EventKind.PROFILE_MODIFICATION), ("3", EventKind.UNDELETE),
    ]
    assert events[2].event_at.isoformat() == "2015-03-01T13:00:00+00:00"
    assert (events[3].profile_field, events[3].new_value) == ("screen_name", "abu_x13")


def test_compliance_bad_events_reported(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [
        orjson.dumps(EVENTS[0]),
        b'{"user_suspend": {"user": {}, "event_at": "2015-03-01T12:00:00Z"}}',
        b'{"user_suspend": {"user": {"id": "9"}}}',
        b'{"user_suspend": {"user": {"id": "9"}, "event_at": "yesterday"}}',
        b'{"user_explode": {"user": {"id": "9"}, "event_at": "2015-03-01T12:00:00Z"}}',
        orjson.dumps(EVENTS[1]),
    ]
    path.write_bytes(b"\n".join(lines))
    problems = ProblemLog()
    events = list(ComplianceSource().read(path, problems))
    assert [e.account_id for e in events] == ["1", "2"]
    assert [p.source.line for p in problems.kept] == [2, 3, 4, 5]
    assert "event user id is missing" in problems.kept[0].reason
    assert "no event_at" in problems.kept[1].reason


def test_follows_csv(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("source_id,target_id,created_at\n1,2,2015-01-01T00:00:00Z\n2,3,\n,4,\n5,6,notatime\n7,8\n")
    assert detect(path).name == "follows-csv"
    problems = ProblemLog()
    follows = list(FollowsCsvSource().read(path, problems))
    assert [(f.source_account_id, f.target_account_id) for f in follows] == [("1", "2"), ("2", "3")]
    assert follows[1].created_at is None
    assert [p.source.line for p in problems.kept] == [4, 5, 6]


def test_follows_without_time_column(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("source_id,target_id\n1,2\n")
    assert [type(r) for r in FollowsCsvSource().read(path, ProblemLog())] == [Follow]


garbage = st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), garbage), min_size=1, max_size=25))
def test_compliance_garbage_loses_nothing(tmp_path, layout):
    lines, expected = [], []
    for index, item in enumerate(layout):
        if item is None:
            lines.append(orjson.dumps({"user_suspend": {"user": {"id": f"u{index}"}, "event_at": "2015-03-01T12:00:00Z"}}))
            expected.append(f"u{index}")
        else:
            lines.append(item)
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\n".join(lines))
    events = [r for r in ComplianceSource().read(path, ProblemLog()) if isinstance(r, Event)]
    assert [e.account_id for e in events] == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), garbage), min_size=1, max_size=25))
def test_follows_garbage_loses_nothing(tmp_path, layout):
    rows, expected = [b"source_id,target_id,created_at"], []
    for index, item in enumerate(layout):
        if item is None:
            rows.append(f"s{index},t{index},2015-01-01T00:00:00Z".encode())
            expected.append(f"s{index}")
        else:
            rows.append(item)
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    problems = ProblemLog()
    follows = list(FollowsCsvSource().read(path, problems))
    good = [f.source_account_id for f in follows if f.target_account_id == "t" + f.source_account_id[1:]]
    assert good == expected
    nonblank = sum(1 for item in layout if item is None or item.decode("utf-8", "replace").strip())
    assert problems.count + len(follows) >= nonblank  # every non-blank line is read or reported
