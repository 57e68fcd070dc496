"""ActivityPub/Mastodon export source: mapping, detection, idempotent ingest, damage tolerance."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.core.model import AccountRef, EntityKind, Follow, Post, PostKind, ProfileVersion
from hydrawatch.ingest import ingest_paths
from hydrawatch.sources import detect, jsondoc
from hydrawatch.sources.activitypub import ActivityPubSource, html_to_text
from hydrawatch.sources.base import ProblemLog, Sample, read_sample

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "activitypub"
MASTODON = FIXTURES / "mastodon_export"
FRIENDICA = FIXTURES / "friendica_export"
ACTOR = "https://relay.example/users/zephyr_relay"
EMBER = "https://other.example/users/ember_post"
QUILL = "https://relay.example/users/quill"
SOURCE = ActivityPubSource()


def read(path: Path) -> tuple[list, ProblemLog]:
    problems = ProblemLog()
    return list(SOURCE.read(path, problems)), problems


def posts_by_id(records: list) -> dict[str, Post]:
    return {r.post_id: r for r in records if isinstance(r, Post)}


def status(n: int) -> str:
    return f"{ACTOR}/statuses/{109700000000000000 + n}"


def compact(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def item_post_id(item: dict) -> str:
    return item["object"]["id"] if item["type"] == "Create" else item["id"]


# --- mapping ------------------------------------------------------------------------------


def test_mastodon_export_records():
    records, problems = read(MASTODON)
    assert problems.count == 0
    posts = posts_by_id(records)
    assert len(records) == 19
    assert {r.platform for r in records} == {"mastodon"}
    assert sorted(posts) == sorted([status(n) for n in (1, 2, 4, 5, 7, 8)] + [status(n) + "/activity" for n in (3, 6)])
    assert {p.account_id for p in posts.values()} == {ACTOR}

    first = posts[status(1)]
    assert first.kind is PostKind.ORIGINAL
    assert first.created_at == datetime(2023, 1, 10, 9, 0, tzinfo=UTC)
    assert first.text == "New bulletin no. 1 from Zephyr Relay. Full text: https://justpaste.it/zr_b1\n\n#ZephyrRelay #bulletin"
    assert first.lang == "en"
    assert first.conversation_id == "tag:relay.example,2023-01-10:objectId=1:objectType=Conversation"
    assert [(e.kind, e.value) for e in first.entities] == [
        (EntityKind.HASHTAG, "ZephyrRelay"),
        (EntityKind.HASHTAG, "bulletin"),
        (EntityKind.URL, "https://justpaste.it/zr_b1"),  # the hashtag links are not URLs
        (EntityKind.MEDIA, "/media_attachments/files/109/700/000/000/000/001/original/b1cover.jpg"),
    ]
    assert first.source.pointer == "/orderedItems/0"

    mention = posts[status(2)]
    assert mention.text == "Good to see @ember_post carrying our bulletins. #ZephyrRelay"
    assert [(e.kind, e.value, e.target_account_id) for e in mention.entities] == [
        (EntityKind.MENTION, "ember_post@other.example", EMBER),
        (EntityKind.HASHTAG, "ZephyrRelay", None),
    ]

    boost = posts[status(3) + "/activity"]
    assert boost.kind is PostKind.REPOST and boost.text == ""
    assert boost.reposted_post_id == f"{EMBER}/statuses/109699000000000001"
    assert boost.referenced_account_id == EMBER

    reply = posts[status(4)]
    assert reply.kind is PostKind.REPLY
    assert reply.in_reply_to_post_id == f"{EMBER}/statuses/109699000000000002"
    assert reply.in_reply_to_account_id == EMBER
    assert reply.text == "@ember_post agreed \u2014 the next issue is out on Friday.\nWatch this space & the mirror."

    warned = posts[status(5)]
    assert warned.lang == "fr"
    assert warned.text.startswith("Long read, placeholder text\n\nBulletin no. 2")
    assert [(e.value, e.target_account_id) for e in warned.entities] == [("quill@relay.example", QUILL)]

    self_boost = posts[status(6) + "/activity"]
    assert self_boost.reposted_post_id == status(1) and self_boost.referenced_account_id == ACTOR

    assert [(e.kind, e.value) for e in posts[status(7)].entities] == [
        (EntityKind.URL, "https://t.me/zephyr_relay/12"),
        (EntityKind.MEDIA, "/media_attachments/files/109/700/000/000/000/007/original/circle1.jpg"),
        (EntityKind.MEDIA, "/media_attachments/files/109/700/000/000/000/007/original/circle2.png"),
    ]

    refs = [(r.account_id, r.username) for r in records if isinstance(r, AccountRef)]
    assert refs == [
        (EMBER, "ember_post@other.example"),
        (EMBER, "ember_post@other.example"),
        (QUILL, "quill@relay.example"),
        (EMBER, "ember_post@other.example"),
        (QUILL, "quill@relay.example"),
        ("@lantern@far.example", "lantern@far.example"),
    ]
    # Follow targets are mapped to IRIs when the export mentions the address
    assert [(f.source_account_id, f.target_account_id) for f in records if isinstance(f, Follow)] == [
        (ACTOR, EMBER),
        (ACTOR, QUILL),
        (ACTOR, "@lantern@far.example"),
    ]

    profiles = [r for r in records if isinstance(r, ProfileVersion)]
    assert [(p.observed_at, p.post_count) for p in profiles] == [
        (datetime(2022, 11, 3, tzinfo=UTC), None),  # published
        (datetime(2023, 2, 5, 16, 20, tzinfo=UTC), 8),  # newest activity, with totalItems
    ]
    profile = profiles[0]
    assert profile.username == "zephyr_relay" and profile.display_name == "Zephyr Relay"
    assert profile.bio == (
        "Bulletins and updates from the Zephyr Relay collective & friends.\n\n"
        "Mirror: https://t.me/zephyr_relay\nArchive: https://justpaste.it/zr_archive\nLanguages: en, fr"
    )
    assert profile.avatar_url == "avatar.png"
    assert profile.url == "https://relay.example/@zephyr_relay"
    assert profile.protected is False
    assert profile.created_at == datetime(2022, 11, 3, tzinfo=UTC)
    assert replace(profiles[1], observed_at=None, post_count=None) == replace(profile, observed_at=None)


def test_friendica_export_is_kept_apart_from_mastodon():
    records, problems = read(FRIENDICA)
    assert problems.count == 0
    assert len(records) == 5
    assert {r.platform for r in records} == {"friendica"}
    posts = posts_by_id(records)
    first = posts["https://friendica.example/objects/a1b2c3d4-0001"]
    assert first.text == "We moved. New bulletin no. 3 from Zephyr Relay is here.\n#ZephyrRelay"
    assert [e.value for e in first.entities] == ["ZephyrRelay"]
    second = posts["https://friendica.example/objects/a1b2c3d4-0002"]
    assert [(e.kind, e.value) for e in second.entities] == [
        (EntityKind.MENTION, "ember_post@other.example"),
        (EntityKind.URL, "https://justpaste.it/zr_archive"),
    ]
    (profile,) = [r for r in records if isinstance(r, ProfileVersion)]
    # observed at `updated` (newer than every activity, so no second observation)
    assert profile.observed_at == datetime(2023, 3, 10, 21, 12, 40, tzinfo=UTC)
    assert profile.bio == "Backup home of the Zephyr Relay bulletins.\nOld address: @zephyr_relay@relay.example"


def test_single_files(tmp_path):
    actor_records, problems = read(MASTODON / "actor.json")
    assert problems.count == 0
    assert [type(r) for r in actor_records] == [ProfileVersion]
    outbox_records, problems = read(MASTODON / "outbox.json")
    assert problems.count == 0
    assert len(posts_by_id(outbox_records)) == 8
    assert {r.platform for r in outbox_records} == {"mastodon"}
    friendica_outbox, _ = read(FRIENDICA / "outbox.json")
    assert {r.platform for r in friendica_outbox} == {"friendica"}  # from the actor IRI's /profile/ path


def test_detection(tmp_path):
    assert detect(MASTODON).name == "activitypub-export"
    assert detect(FRIENDICA).name == "activitypub-export"
    assert detect(MASTODON / "outbox.json").name == "activitypub-export"
    assert detect(FRIENDICA / "actor.json").name == "activitypub-export"
    likes = {"@context": "https://www.w3.org/ns/activitystreams", "id": "likes.json", "type": "OrderedCollection",
             "orderedItems": ["https://other.example/users/ember_post/statuses/1"]}
    (tmp_path / "likes.json").write_bytes(compact(likes))
    assert not SOURCE.sniff(read_sample(tmp_path / "likes.json"))
    assert not SOURCE.sniff(Sample(tmp_path, b"", is_dir=True))


def test_ingest_twice_adds_nothing(tmp_path, store):
    export = tmp_path / "inputs" / "archive"
    shutil.copytree(MASTODON, export)
    first = ingest_paths(store, [tmp_path / "inputs"])  # found inside a folder, ingested as one unit
    assert [(Path(f.path).name, f.status, f.format) for f in first.files] == [("archive", "ingested", "activitypub-export")]
    added = first.added()
    assert (added["posts"], added["follows"], added["profiles"], added["metrics"]) == (8, 3, 1, 1)
    second = ingest_paths(store, [export])
    assert [f.status for f in second.files] == ["skipped"]
    (export / "outbox.json").write_bytes(orjson.dumps(orjson.loads((MASTODON / "outbox.json").read_bytes()), option=orjson.OPT_INDENT_2))
    third = ingest_paths(store, [export])  # other bytes, same rows
    assert third.files[0].status == "ingested"
    assert sum(third.added().values()) == 0
    versions = store.con.execute("SELECT valid_from, last_seen_at FROM profiles WHERE platform = 'mastodon'").fetchall()
    assert versions == [(datetime(2022, 11, 3, tzinfo=UTC), datetime(2023, 2, 5, 16, 20, tzinfo=UTC))]


# --- validation and damage ------------------------------------------------------------


def test_bad_items_and_rows_are_reported(tmp_path):
    export = tmp_path / "archive"
    shutil.copytree(MASTODON, export)
    outbox = json.loads((MASTODON / "outbox.json").read_text())
    items = outbox["orderedItems"]
    del items[0]["object"]  # Create without its note
    del items[1]["object"]["id"]
    items[3]["object"]["tag"] = ["not-an-object"]
    (export / "outbox.json").write_text(json.dumps(outbox, indent=1))
    with open(export / "following_accounts.csv", "a") as csv:
        csv.write("not an address,true,false,\n")
    records, problems = read(export)
    assert len(posts_by_id(records)) == 5
    found = {(p.source.pointer, p.reason) for p in problems.kept}
    assert found == {
        ("/orderedItems/0", "Create activity has no embedded object"),
        ("/orderedItems/1", "note id is missing or not an IRI"),
        ("/orderedItems/3", "tag is not an object: 'not-an-object'"),
        (None, "not an account address (user@instance): 'not an address'"),
    }
    lines = {p.source.pointer: p.source.line for p in problems.kept}
    text = (export / "outbox.json").read_text().split("\n")
    assert text[lines["/orderedItems/0"] - 1] == "  {"
    assert lines[None] == 5  # the CSV row


def test_damaged_actor_is_reported_and_posts_kept(tmp_path):
    export = tmp_path / "archive"
    shutil.copytree(MASTODON, export)
    (export / "actor.json").write_bytes((MASTODON / "actor.json").read_bytes()[:500])
    records, problems = read(export)
    assert len(posts_by_id(records)) == 8
    reasons = [p.reason for p in problems.kept]
    assert reasons[0].startswith("actor is not valid JSON")
    assert reasons[1].startswith("no readable actor.json")  # follows need the follower


def test_truncated_outbox_reports_once(tmp_path):
    data = (MASTODON / "outbox.json").read_bytes()
    items = orjson.loads(data)["orderedItems"]
    cut = data.index(compact(items[5])) + 100
    path = tmp_path / "outbox.json"
    path.write_bytes(data[:cut])
    records, problems = read(path)
    assert sorted(posts_by_id(records)) == sorted(item_post_id(i) for i in items[:5])
    (problem,) = problems.kept
    assert problem.source == type(problem.source)(str(path), 1, "/orderedItems/5")
    assert "truncated" in problem.reason


@pytest.mark.parametrize("export", [MASTODON, FRIENDICA])
def test_scanner_matches_whole_parse(export, monkeypatch):
    """The whole-document parse is the oracle for the element-by-element scanner."""
    whole, _ = read(export)
    monkeypatch.setattr(jsondoc, "FULL_PARSE_MAX_BYTES", 0)
    scanned, problems = read(export)
    assert problems.count == 0
    assert [replace(r, source=None) for r in scanned] == [replace(r, source=None) for r in whole]


def test_html_to_text():
    assert html_to_text("<p>a &amp; b</p><p>c<br>d<br/>e</p>") == ("a & b\n\nc\nd\ne", [])
    html = '<p><a href="https://x.example/@bob" class="u-url mention">@<span>bob</span></a> see <a href="https://j.example/1">j.example/1</a></p>'
    assert html_to_text(html) == ("@bob see j.example/1", ["https://j.example/1"])
    assert html_to_text("plain text") == ("plain text", [])
    assert html_to_text("<script>x</script>y") == ("y", [])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_html_to_text_never_raises(html):
    text, links = html_to_text(html)
    assert isinstance(text, str) and all(isinstance(link, str) for link in links)


# --- properties ---------------------------------------------------------------------------

OUTBOX_DATA = (MASTODON / "outbox.json").read_bytes()
OUTBOX_ITEMS = orjson.loads(OUTBOX_DATA)["orderedItems"]
OUTBOX_SPANS = [
    (start, start + len(raw)) for raw in map(compact, OUTBOX_ITEMS) for start in [OUTBOX_DATA.index(raw)]
]
BOUNDARIES = sorted(
    {offset for before, after in zip([OUTBOX_DATA.index(b'"orderedItems":[') + 16] + [e for _, e in OUTBOX_SPANS],
                                     [s for s, _ in OUTBOX_SPANS] + [OUTBOX_DATA.rindex(b"]")])
     for offset in range(before, after + 1)}
)
GARBAGE = st.binary(min_size=1, max_size=60).map(lambda b: b.replace(b"{", b"").replace(b"}", b""))
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(pieces=st.lists(st.tuples(st.sampled_from(BOUNDARIES), GARBAGE), min_size=1, max_size=3))
def test_garbage_between_items_loses_nothing(pieces, tmp_path):
    damaged = OUTBOX_DATA
    for offset, garbage in sorted(pieces, reverse=True):
        damaged = damaged[:offset] + garbage + damaged[offset:]
    path = tmp_path / "outbox.json"
    path.write_bytes(damaged)
    records, problems = read(path)
    assert {item_post_id(i) for i in OUTBOX_ITEMS} <= set(posts_by_id(records))
    try:
        orjson.loads(damaged)
    except orjson.JSONDecodeError:
        assert problems.count >= 1


@PROPERTY
@given(cut=st.integers(min_value=0, max_value=len(OUTBOX_DATA)))
def test_truncation_keeps_every_complete_item(cut, tmp_path):
    path = tmp_path / "outbox.json"
    path.write_bytes(OUTBOX_DATA[:cut])
    records, problems = read(path)
    complete = {item_post_id(i) for i, (_, end) in zip(OUTBOX_ITEMS, OUTBOX_SPANS) if end <= cut}
    assert complete <= set(posts_by_id(records))
    try:
        orjson.loads(OUTBOX_DATA[:cut])
    except orjson.JSONDecodeError:
        assert problems.count == 1
    else:
        assert problems.count == 0
