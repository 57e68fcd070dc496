from __future__ import annotations

import gzip
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hydrawatch.core.model import AccountRef, EntityKind, Post, PostKind, ProfileVersion
from hydrawatch.sources import ProblemLog, detect
from hydrawatch.sources.twarc import TwarcFlatSource, TwarcPagesSource

from builders import flat_tweet, jsonl, reference, user


def read(source, path: Path):
    problems = ProblemLog()
    return list(source.read(path, problems)), problems


def test_flat_tweet_fields(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl([flat_tweet("1", "10", "abu_x12")]))
    records, problems = read(TwarcFlatSource(), path)
    assert problems.count == 0
    (post,) = [r for r in records if isinstance(r, Post)]
    assert post.post_id == "1" and post.account_id == "10" and post.kind is PostKind.ORIGINAL
    assert post.created_at.isoformat() == "2015-01-02T03:04:05+00:00"
    kinds = {(e.kind, e.value, e.target_account_id) for e in post.entities}
    assert (EntityKind.MENTION, "other", "999") in kinds
    assert (EntityKind.HASHTAG, "tag", None) in kinds
    assert (EntityKind.URL, "https://justpaste.it/abc", None) in kinds
    (profile,) = [r for r in records if isinstance(r, ProfileVersion)]
    assert profile.username == "abu_x12" and profile.observed_at == post.created_at and profile.followers_count == 10
    assert {r.account_id for r in records if isinstance(r, AccountRef)} == {"999"}
    assert post.source.line == 1


def test_retweet_expands_original_with_its_author(tmp_path):
    original = flat_tweet("1", "10", "media_one", text="release 4")
    retweet = flat_tweet(
        "2", "20", "amp_two", text="RT @media_one: release 4",
        referenced_tweets=[reference("retweeted", original)],
    )
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl([retweet]))
    records, _ = read(TwarcFlatSource(), path)
    posts = {r.post_id: r for r in records if isinstance(r, Post)}
    assert set(posts) == {"1", "2"}
    assert posts["2"].kind is PostKind.REPOST and posts["2"].reposted_post_id == "1"
    assert posts["2"].referenced_account_id == "10"
    assert posts["1"].source.pointer == "/referenced_tweets/0"
    assert {r.username for r in records if isinstance(r, ProfileVersion)} == {"media_one", "amp_two"}


def test_missing_expansions_as_twarc_writes_them(tmp_path):
    """twarc2 flatten writes {} for users missing from includes and leaves references to
    tweets missing from includes as bare {type, id}."""
    tweet = flat_tweet("9", "90", "x", author={}, in_reply_to_user={}, in_reply_to_user_id="91",
                       referenced_tweets=[{"type": "replied_to", "id": "8"}])
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl([tweet]))
    records, problems = read(TwarcFlatSource(), path)
    assert problems.count == 0
    assert [r.post_id for r in records if isinstance(r, Post)] == ["9"]
    assert not [r for r in records if isinstance(r, ProfileVersion)]
    assert {r.account_id for r in records if isinstance(r, AccountRef)} == {"90", "91", "999"}


def test_reply_and_quote_kinds(tmp_path):
    reply = flat_tweet("3", "30", "asker", in_reply_to_user_id="10", referenced_tweets=[{"type": "replied_to", "id": "1"}, {"type": "quoted", "id": "2"}])
    quote = flat_tweet("4", "40", "quoter", referenced_tweets=[{"type": "quoted", "id": "2"}])
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl([reply, quote]))
    records, _ = read(TwarcFlatSource(), path)
    posts = {r.post_id: r for r in records if isinstance(r, Post)}
    assert posts["3"].kind is PostKind.REPLY and posts["3"].in_reply_to_post_id == "1" and posts["3"].quoted_post_id == "2"
    assert posts["3"].in_reply_to_account_id == "10"
    assert posts["4"].kind is PostKind.QUOTE
    assert "10" in {r.account_id for r in records if isinstance(r, AccountRef)}


def test_pages_resolve_authors_and_media(tmp_path):
    page = {
        "data": [
            {"id": "5", "text": "look", "author_id": "50", "created_at": "2015-01-01T00:00:00.000Z",
             "attachments": {"media_keys": ["3_1"]}},
            {"id": "6", "text": "RT @a: x", "author_id": "60", "created_at": "2015-01-01T01:00:00.000Z",
             "referenced_tweets": [{"type": "retweeted", "id": "7"}]},
        ],
        "includes": {
            "users": [user("50", "a"), user("60", "b"), user("70", "c")],
            "tweets": [{"id": "7", "text": "x", "author_id": "70", "created_at": "2014-12-31T00:00:00.000Z"}],
            "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/x.jpg"}],
        },
        "meta": {"result_count": 2},
    }
    path = tmp_path / "p.jsonl"
    path.write_bytes(jsonl([page]))
    assert detect(path).name == "twarc2-pages"
    records, problems = read(TwarcPagesSource(), path)
    assert problems.count == 0
    posts = {r.post_id: r for r in records if isinstance(r, Post)}
    assert set(posts) == {"5", "6", "7"}
    assert posts["6"].referenced_account_id == "70"
    assert [(e.kind, e.value) for e in posts["5"].entities] == [(EntityKind.MEDIA, "https://pbs.twimg.com/media/x.jpg")]
    assert {r.account_id for r in records if isinstance(r, ProfileVersion)} == {"50", "60", "70"}


def test_bad_tweet_inside_good_page_spoils_only_itself(tmp_path):
    page = {"data": [{"id": "5", "text": "ok", "author_id": "50"}, {"text": "no id", "author_id": "51"}], "includes": {"users": []}}
    path = tmp_path / "p.jsonl"
    path.write_bytes(jsonl([page]))
    records, problems = read(TwarcPagesSource(), path)
    assert [r.post_id for r in records if isinstance(r, Post)] == ["5"]
    assert problems.count == 1 and problems.kept[0].source.pointer == "/data/1"
    assert "tweet id is missing" in problems.kept[0].reason


def test_detects_flat_even_after_garbage_first_line(tmp_path):
    path = tmp_path / "weird.name"
    path.write_bytes(b"garbage\n" + jsonl([flat_tweet("1", "10", "a")]))
    assert detect(path).name == "twarc2-flat"


def test_huge_single_line_is_read(tmp_path):
    big = flat_tweet("1", "10", "a", text="x" * (50 * 1024 * 1024))
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl([big, flat_tweet("2", "10", "a")]))
    assert detect(path).name == "twarc2-flat"
    records, problems = read(TwarcFlatSource(), path)
    posts = [r for r in records if isinstance(r, Post)]
    assert [p.post_id for p in posts] == ["1", "2"] and len(posts[0].text) == 50 * 1024 * 1024
    assert problems.count == 0


# --- property tests: garbage never crashes and never loses the good lines around it ---------

garbage_lines = st.binary(min_size=1, max_size=200).map(lambda b: b.replace(b"\n", b" "))


def _is_tweet(line: bytes) -> bool:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and "id" in value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), garbage_lines), min_size=1, max_size=30))
def test_arbitrary_garbage_lines_lose_no_valid_tweet(tmp_path, layout):
    lines, expected, bad = [], [], 0
    for index, item in enumerate(layout):
        if item is None:
            tid = str(1000 + index)
            lines.append(orjson.dumps(flat_tweet(tid, "10", "user")))
            expected.append(tid)
        elif not _is_tweet(item):
            lines.append(item)
            bad += bool(item.strip())
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records, problems = read(TwarcFlatSource(), path)
    assert [r.post_id for r in records if isinstance(r, Post)] == expected
    assert problems.count == bad
    for problem in problems.kept:
        assert problem.source.line is not None and lines[problem.source.line - 1].strip()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_gzip_keeps_what_came_before(tmp_path, cut):
    tweets = [flat_tweet(str(i), "10", "u", text=f"post number {i} " * 20) for i in range(200)]
    data = gzip.compress(jsonl(tweets))
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(data[: max(20, int(len(data) * cut))])
    records, problems = read(TwarcFlatSource(), path)
    ids = [int(r.post_id) for r in records if isinstance(r, Post)]
    assert ids == list(range(len(ids)))  # a clean prefix, in order
    if len(ids) < 200:
        assert problems.count >= 1
        assert any("truncated" in p.reason or "not valid JSON" in p.reason for p in problems.kept)


def test_invalid_utf8_line_is_reported_alone(tmp_path):
    good = orjson.dumps(flat_tweet("1", "10", "u"))
    bad = good.replace(b"hello", b"hel\xff\xfelo").replace(b'"id":"1"', b'"id":"2"')
    path = tmp_path / "t.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n" + orjson.dumps(flat_tweet("3", "10", "u")) + b"\n")
    records, problems = read(TwarcFlatSource(), path)
    assert [r.post_id for r in records if isinstance(r, Post)] == ["1", "3"]
    assert problems.count == 1 and problems.kept[0].source.line == 2


def _page(ids: list[str]) -> dict:
    return {
        "data": [{"id": i, "text": f"post {i}", "author_id": "50", "created_at": "2015-01-01T00:00:00.000Z"} for i in ids],
        "includes": {"users": [user("50", "a")]},
        "meta": {"result_count": len(ids)},
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just(None), garbage_lines), min_size=1, max_size=20))
def test_pages_garbage_loses_no_valid_tweet(tmp_path, layout):
    lines, expected = [], []
    for index, item in enumerate(layout):
        if item is None:
            ids = [f"{index}-{k}" for k in range(3)]
            lines.append(orjson.dumps(_page(ids)))
            expected.extend(ids)
        elif not _is_tweet(item):
            lines.append(item)
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records, _ = read(TwarcPagesSource(), path)
    assert [r.post_id for r in records if isinstance(r, Post)] == expected
