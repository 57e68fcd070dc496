"""Telegram Desktop export source: mapping, detection, idempotent ingest, and damage tolerance."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.core.model import AccountRef, EntityKind, Post, PostKind, ProfileVersion
from hydrawatch.ingest import ingest_paths
from hydrawatch.sources import detect, jsondoc
from hydrawatch.sources.base import ProblemLog
from hydrawatch.sources.telegram import TelegramExportSource
from hydrawatch.store.duck import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
CHANNEL = FIXTURES / "zephyr_channel" / "result.json"
GROUP = FIXTURES / "reading_circle_group" / "result.json"
CHAT = "channel1733025555"
SOURCE = TelegramExportSource()


def read(path: Path) -> tuple[list, ProblemLog]:
    problems = ProblemLog()
    return list(SOURCE.read(path, problems)), problems


def posts_by_id(records: list) -> dict[str, Post]:
    return {r.post_id: r for r in records if isinstance(r, Post)}


def element_spans(data: bytes) -> list[tuple[int, int]]:
    """Byte spans of the messages in a Telegram Desktop file, found from its indentation
    (two spaces for a message), independently of the scanner under test."""
    starts = [m.start() + 1 for m in re.finditer(rb"\n  \{\n", data)]
    ends = [m.end() for m in re.finditer(rb"\n  \}", data)]
    assert len(starts) == len(ends)
    return list(zip(starts, ends))


def message_post_ids(data: bytes) -> list[str]:
    messages = orjson.loads(data)["messages"]
    return [f"{CHAT}/{m['id']}" for m in messages if m["type"] == "message"]


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# --- mapping ------------------------------------------------------------------------------


def test_channel_export_records():
    records, problems = read(CHANNEL)
    assert problems.count == 0
    posts = posts_by_id(records)
    refs = [r for r in records if isinstance(r, AccountRef)]
    profiles = [r for r in records if isinstance(r, ProfileVersion)]
    # 12 messages, 3 of them service messages (skipped silently)
    assert len(records) == 14
    assert sorted(posts) == sorted(f"{CHAT}/{n}" for n in (2, 3, 5, 6, 7, 8, 9, 11, 12))
    assert {p.platform for p in posts.values()} == {"telegram"}
    assert {p.account_id for p in posts.values()} == {CHAT}

    welcome = posts[f"{CHAT}/2"]
    # date_unixtime wins over "date", which is the exporting computer's local time (UTC+1)
    assert welcome.created_at == datetime(2023, 3, 14, 9, 5, tzinfo=UTC)
    assert welcome.kind is PostKind.ORIGINAL
    assert welcome.source.pointer == "/messages/1"

    bulletin = posts[f"{CHAT}/3"]
    assert bulletin.text == "New bulletin no. 1 from Zephyr Relay: https://justpaste.it/zr_b1\nMirror: @zephyr_mirror #ZephyrRelay"
    assert [(e.kind, e.value, e.target_account_id) for e in bulletin.entities] == [
        (EntityKind.URL, "https://justpaste.it/zr_b1", None),
        (EntityKind.MENTION, "zephyr_mirror", "@zephyr_mirror"),
        (EntityKind.HASHTAG, "ZephyrRelay", None),
        (EntityKind.MEDIA, "photos/photo_1@14-03-2023_11-00-00.jpg", None),
    ]

    forward = posts[f"{CHAT}/5"]
    assert forward.kind is PostKind.REPOST
    assert forward.referenced_account_id == "channel1650000001"
    assert forward.reposted_post_id is None  # Telegram does not export the original's id
    assert [e.value for e in forward.entities] == ["https://example.org/reading-list"]

    reply = posts[f"{CHAT}/6"]
    assert reply.kind is PostKind.REPLY
    assert reply.in_reply_to_post_id == f"{CHAT}/5"

    assert posts[f"{CHAT}/7"].text == "New bulletin no. 2 from Zephyr Relay (PDF)"
    assert [e.value for e in posts[f"{CHAT}/7"].entities] == ["files/bulletin_no_2.pdf"]
    assert [e.value for e in posts[f"{CHAT}/8"].entities] == ["https://t.me/zephyr_backup"]

    hidden_forward = posts[f"{CHAT}/9"]  # forwarded_from without an id
    assert hidden_forward.kind is PostKind.REPOST and hidden_forward.referenced_account_id is None

    video = posts[f"{CHAT}/11"]
    assert [(e.kind, e.value, e.target_account_id) for e in video.entities] == [
        (EntityKind.MENTION, "Lantern", "user5550001"),
        (EntityKind.MEDIA, "video_files/circle_2023-03-28.mp4", None),
    ]
    assert [e.value for e in posts[f"{CHAT}/12"].entities] == ["ZephyrRelay", "[photo not included in export]"]

    assert sorted(r.account_id for r in refs) == ["@zephyr_mirror", "channel1650000001", "user5550001"]
    newest = datetime(2023, 4, 2, 7, 0, tzinfo=UTC)
    assert {(p.account_id, p.display_name, p.observed_at) for p in profiles} == {
        (CHAT, "Zephyr Relay", newest),
        ("channel1650000001", "Ember Post", newest),
    }


def test_group_export_authors_and_profiles():
    records, problems = read(GROUP)
    assert problems.count == 0
    posts = posts_by_id(records)
    group = "channel1811122233"
    assert sorted(posts) == [f"{group}/{n}" for n in (2, 3, 4, 5)]
    assert posts[f"{group}/2"].account_id == "user7770001"
    assert posts[f"{group}/3"].in_reply_to_post_id == f"{group}/2"
    assert posts[f"{group}/5"].referenced_account_id == CHAT
    names = {(p.account_id, p.display_name) for p in records if isinstance(p, ProfileVersion)}
    assert names == {
        (group, "Reading Circle"),
        ("user7770001", "Ash Morrow"),
        ("user7770002", "Birch Vale"),
        (CHAT, "Zephyr Relay"),
    }
    assert [r.account_id for r in records if isinstance(r, AccountRef)] == ["@zephyr_relay", CHAT]


def test_detection_picks_telegram():
    assert detect(CHANNEL).name == "telegram-export"
    assert detect(GROUP).name == "telegram-export"


def test_full_account_export_is_not_sniffed(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"about": "x", "personal_information": {}, "chats": {"list": [json.loads(CHANNEL.read_text())]}}, indent=1))
    from hydrawatch.sources.base import read_sample

    assert not SOURCE.sniff(read_sample(path))


def test_ingest_twice_adds_nothing(tmp_path):
    with Store(tmp_path / "store.duckdb") as store:
        first = ingest_paths(store, [CHANNEL, GROUP])
        assert [f.status for f in first.files] == ["ingested", "ingested"]
        assert first.added()["posts"] == 13
        counts = store.stats()
        second = ingest_paths(store, [CHANNEL, GROUP])
        assert [f.status for f in second.files] == ["skipped", "skipped"]
        # A re-export with other bytes (compact JSON) holds the same rows: nothing is added.
        compact = tmp_path / "result.json"
        compact.write_bytes(orjson.dumps(orjson.loads(CHANNEL.read_bytes())))
        third = ingest_paths(store, [compact])
        assert third.files[0].status == "ingested"
        assert third.added()["posts"] == 0 and third.added()["profiles"] == 0
        assert store.stats()["posts"] == counts["posts"]
        rows = store.con.execute(
            "SELECT kind, count(*) FROM posts WHERE platform = 'telegram' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert rows == [("original", 8), ("reply", 2), ("repost", 3)]


# --- validation and damage ------------------------------------------------------------


def write_messages(path: Path, mutate) -> bytes:
    document = json.loads(CHANNEL.read_text())
    mutate(document["messages"])
    data = json.dumps(document, ensure_ascii=False, indent=1).encode()
    path.write_bytes(data)
    return data


def test_bad_messages_are_reported_with_line_and_pointer(tmp_path):
    path = tmp_path / "result.json"

    def mutate(messages):
        messages[2]["id"] = "three"  # message 3
        del messages[5]["date"], messages[5]["date_unixtime"]  # message 6
        messages[6]["text"] = 42  # message 7
        messages[7]["from_id"] = ["channel1"]  # message 8

    data = write_messages(path, mutate)
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(f"{CHAT}/{n}" for n in (2, 5, 9, 11, 12))
    spans = element_spans(data)
    found = {(p.source.line, p.source.pointer): p.reason for p in problems.kept}
    assert found == {
        (line_of(data, spans[2][0]), "/messages/2"): "message id is not an integer: 'three'",
        (line_of(data, spans[5][0]), "/messages/5"): "message has no date",
        (line_of(data, spans[6][0]), "/messages/6"): "text is neither a string nor a list: int",
        (line_of(data, spans[7][0]), "/messages/7"): "from_id is not a Telegram peer id: ['channel1']",
    }


def test_truncated_file_keeps_messages_before_the_damage(tmp_path):
    data = CHANNEL.read_bytes()
    spans = element_spans(data)
    cut = spans[6][0] + 40  # inside message 7
    path = tmp_path / "result.json"
    path.write_bytes(data[:cut])
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(f"{CHAT}/{n}" for n in (2, 3, 5, 6))
    assert problems.count == 1
    (problem,) = problems.kept
    assert problem.source.line == line_of(data, spans[6][0])
    assert "truncated" in problem.reason and "6 elements before it were kept" in problem.reason


def test_garbage_line_between_messages(tmp_path):
    data = CHANNEL.read_bytes()
    spans = element_spans(data)
    at = spans[4][1] + 1  # after message 5 and its comma
    damaged = data[:at] + b"\n### pasted by mistake ###" + data[at:]
    path = tmp_path / "result.json"
    path.write_bytes(damaged)
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(message_post_ids(data))
    (problem,) = problems.kept
    assert problem.source.line == line_of(data, at) + 1
    assert problem.reason.startswith("unexpected bytes where an element should start; skipped to line")


def test_invalid_utf8_spoils_one_message(tmp_path):
    data = CHANNEL.read_bytes()
    damaged = data.replace(b"Thanks to everyone", b"Thanks \xff\xfe everyone")
    path = tmp_path / "result.json"
    path.write_bytes(damaged)
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(set(message_post_ids(data)) - {f"{CHAT}/6"})
    (problem,) = problems.kept
    assert problem.source.pointer == "/messages/5"
    assert problem.source.line == line_of(data, element_spans(data)[5][0])
    assert "not valid JSON" in problem.reason


def test_lost_closing_bracket_spoils_one_message(tmp_path):
    """Without the brackets that close message 3 and its entity list, the rest of the file
    parses as part of message 3: the scanner must see that and resync inside it."""
    data = CHANNEL.read_bytes()
    start, end = element_spans(data)[2]
    closing = data.rindex(b"\n   ]\n  }", start, end + 1)
    damaged = data[:closing] + data[closing + len(b"\n   ]\n  }") :]
    path = tmp_path / "result.json"
    path.write_bytes(damaged)
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(set(message_post_ids(data)) - {f"{CHAT}/3"})
    assert [p.source.pointer for p in problems.kept][0] == "/messages/2"
    assert "further elements" in problems.kept[0].reason


def test_damaged_header_keeps_the_chat(tmp_path):
    data = CHANNEL.read_bytes().replace(b'"Zephyr Relay",\n "type"', b'"Zephyr \xff" Relay",\n "type"', 1)
    path = tmp_path / "result.json"
    path.write_bytes(data)
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(message_post_ids(CHANNEL.read_bytes()))
    (problem,) = problems.kept
    assert problem.reason == "the document's top-level fields are damaged; read what could be read (type, id)"


def test_telegram_hex_escapes_are_repaired_silently(tmp_path):
    data = CHANNEL.read_bytes().replace(b"goes away: ", b"goes away:\\x0B ")
    path = tmp_path / "result.json"
    path.write_bytes(data)
    records, problems = read(path)
    assert problems.count == 0
    assert posts_by_id(records)[f"{CHAT}/8"].text.startswith("Backup channel, in case this one goes away:\x0b ")


@pytest.mark.parametrize("fixture", [CHANNEL, GROUP])
def test_scanner_matches_whole_parse(fixture, monkeypatch):
    """The whole-document parse is the oracle for the element-by-element scanner."""
    whole, _ = read(fixture)
    monkeypatch.setattr(jsondoc, "FULL_PARSE_MAX_BYTES", 0)
    scanned, problems = read(fixture)
    assert problems.count == 0
    data = fixture.read_bytes()
    lines = [line_of(data, start) for start, _ in element_spans(data)]
    for record in scanned:
        if isinstance(record, Post):
            assert record.source.line == lines[int(record.source.pointer.rsplit("/", 1)[1])]
    assert [replace(r, source=None) for r in scanned] == [replace(r, source=None) for r in whole]


# --- properties ---------------------------------------------------------------------------

CHANNEL_DATA = CHANNEL.read_bytes()
CHANNEL_SPANS = element_spans(CHANNEL_DATA)
CHANNEL_POSTS = message_post_ids(CHANNEL_DATA)
# Between two messages, or between the array's brackets and the first/last message.
BOUNDARIES = sorted(
    {offset for before, after in zip([CHANNEL_DATA.index(b"[") + 1] + [e for _, e in CHANNEL_SPANS],
                                     [s for s, _ in CHANNEL_SPANS] + [CHANNEL_DATA.rindex(b"]")])
     for offset in range(before, after + 1)}
)
GARBAGE = st.binary(min_size=1, max_size=60).map(lambda b: b.replace(b"{", b"").replace(b"}", b""))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(pieces=st.lists(st.tuples(st.sampled_from(BOUNDARIES), GARBAGE), min_size=1, max_size=3))
def test_garbage_between_messages_loses_nothing(pieces, tmp_path):
    damaged = CHANNEL_DATA
    for offset, garbage in sorted(pieces, reverse=True):  # from the end, so offsets stay valid
        damaged = damaged[:offset] + garbage + damaged[offset:]
    path = tmp_path / "result.json"
    path.write_bytes(damaged)
    records, problems = read(path)
    assert set(CHANNEL_POSTS) <= set(posts_by_id(records))
    try:
        orjson.loads(damaged)
    except orjson.JSONDecodeError:
        assert problems.count >= 1


@PROPERTY
@given(cut=st.integers(min_value=0, max_value=len(CHANNEL_DATA)))
def test_truncation_keeps_every_complete_message(cut, tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(CHANNEL_DATA[:cut])
    records, problems = read(path)
    complete = [n for n, (start, end) in enumerate(CHANNEL_SPANS) if end <= cut]
    messages = orjson.loads(CHANNEL_DATA)["messages"]
    expected = {f"{CHAT}/{messages[n]['id']}" for n in complete if messages[n]["type"] == "message"}
    assert expected <= set(posts_by_id(records))
    try:
        orjson.loads(CHANNEL_DATA[:cut])
    except orjson.JSONDecodeError:
        assert problems.count == 1  # the damage is reported once
    else:
        assert problems.count == 0
