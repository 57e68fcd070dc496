"""The fast twarc2 reader (Arrow + SQL) must leave the store exactly as the exact reader does."""

from __future__ import annotations

import copy
import functools
import gzip
import pickle
import subprocess
import sys

import orjson
import pytest
from builders import flat_tweet, jsonl, reference, user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hydrawatch.ingest as ingest_module
from hydrawatch.ingest import ingest_paths
from hydrawatch.sources.chunks import iter_line_blocks
from hydrawatch.store import parse_ahead
from hydrawatch.store.duck import Store
from hydrawatch.store.schema import TABLES


def snapshot(store: Store) -> dict[str, list]:
    tables = {}
    for table in (*TABLES, "ingest_problems"):
        rows = store.con.execute(f"SELECT * FROM {table}").fetchall()
        tables[table] = sorted(rows, key=repr)
    tables["ingests"] = store.con.execute("SELECT path, format, records, rejected, added FROM ingests").fetchall()
    return tables


def both_ways(tmp_path, data: bytes, name: str = "tweets.jsonl"):
    path = tmp_path / name
    path.write_bytes(data)
    results = {}
    for fast in (True, False):
        with Store(tmp_path / f"{'fast' if fast else 'exact'}.duckdb") as store:
            ingest_paths(store, [path], fast=fast)
            results[fast] = snapshot(store)
        (tmp_path / f"{'fast' if fast else 'exact'}.duckdb").unlink()
    return results[True], results[False]


def rich_tweets() -> list[dict]:
    original = flat_tweet("100", "1", "media_one", text="release 7 #Zephyr", attachments={"media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg"}]})
    quoted = flat_tweet("101", "2", "news_desk", text="report", referenced_tweets=[reference("quoted", copy.deepcopy(original))])
    retweet = flat_tweet("102", "3", "amp", text="RT @media_one: release 7", referenced_tweets=[reference("retweeted", copy.deepcopy(quoted))])
    reply = flat_tweet(
        "103", "4", "asker", text="@media_one where?", in_reply_to_user_id="1", in_reply_to_user=user("1", "media_one"),
        referenced_tweets=[reference("replied_to", copy.deepcopy(original)), {"type": "quoted", "id": "101"}],
    )
    no_id_mention = flat_tweet("104", "5", "plain", entities={"mentions": [{"username": "Someone_Else"}], "urls": [{"url": "https://t.co/a", "expanded_url": ""}]})
    no_author = {"id": "105", "text": "bare", "author_id": "6", "created_at": "2015-02-01T00:00:00Z"}
    author_id_from_author = flat_tweet("106", "7", "via_author", author_id=None)
    protected = flat_tweet("107", "8", "locked", author=user("8", "locked", protected=True))
    return [original, quoted, retweet, reply, no_id_mention, no_author, author_id_from_author, protected]


def test_rich_tweets_same_both_ways(tmp_path):
    fast, exact = both_ways(tmp_path, jsonl(rich_tweets()))
    assert fast == exact
    assert len(fast["posts"]) == 8 and len(fast["entities"]) > 10


DAMAGE = [
    b'{"id": 5, "text": "numeric id", "author_id": "1"}',  # numbers where strings belong
    b'{"id": "6", "author_id": "", "author": {"id": "9", "username": "x"}}',  # falsy author_id
    b'{"id": "7", "author_id": "  ", "text": "blank author"}',
    b'{"id": "8", "author_id": "1", "created_at": "2015-01-02 03:04:05"}',  # another ISO form
    b'{"id": "9", "author_id": "1", "created_at": ""}',
    b'{"id": "10", "id": "11", "author_id": "1"}',  # repeated key
    b'{"id": "12", "author_id": "1", "entities": []}',
    b'{"id": "13", "author_id": "1", "entities": {"mentions": [null]}}',
    b'{"id": "14", "author_id": "1", "referenced_tweets": [{"type": "liked", "id": "1"}]}',
    b'{"id": "15", "author_id": "1", "author": "not an object"}',
    b'{"id": "16", "author_id": "1", "text": "nul \\u0000 and surrogate \\ud83d\\ude00"}',
    b'{"id": "17", "author_id": "1", "entities": {"mentions": [{"username": "\xc3\xa9t\xc3\xa9"}]}}',
    b'[1, 2, 3]',
    b'\xef\xbb\xbf{"id": "18", "author_id": "1"}',
    b'\x0b',
    b'{"id": "19", "author_id": "1", "author": {"id": "1", "public_metrics": {"followers_count": 1.0}}}',
    b'{"id": "20", "author_id": "1", "in_reply_to_user_id": "", "text": "x"}',
    b'{"id": "21", "author_id": "1", "text": "bad utf8 \xff here"}',
    b'not json at all',
]


def test_damage_same_both_ways(tmp_path):
    lines = []
    for index, bad in enumerate(DAMAGE):
        lines.append(orjson.dumps(flat_tweet(str(1000 + index), "1", "u")))
        lines.append(bad)
    fast, exact = both_ways(tmp_path, b"\n".join(lines) + b"\n")
    assert fast == exact
    assert len(fast["ingest_problems"]) >= 5


def test_invalid_utf8_in_a_parsed_block_same_both_ways(tmp_path):
    """Arrow reads invalid UTF-8 in a value without complaint; the exact reader refuses the
    line. Among enough good lines the block is parsed by Arrow, not split for the exact reader."""
    lines = [orjson.dumps(flat_tweet(str(100 + i), "1", "u")) for i in range(200)]
    lines[100] = b'{"id": "99", "author_id": "1", "text": "bad utf8 \xff here"}'
    fast, exact = both_ways(tmp_path, b"\n".join(lines) + b"\n")
    assert fast == exact
    assert len(fast["ingest_problems"]) == 1 and len(fast["posts"]) == 199


def mixed_lines(copies: int) -> bytes:
    lines = []
    for copy_index in range(copies):
        for index, bad in enumerate(DAMAGE):
            lines.append(orjson.dumps(flat_tweet(str(1000 + 100 * copy_index + index), "1", "u")))
            lines.append(bad)
        lines.extend(orjson.dumps(tweet) for tweet in rich_tweets())
    lines.append(b"x" * 5000)  # over the line limit set below: reported by the block reader
    lines.extend(orjson.dumps(flat_tweet(str(5000 + i), str(i % 7), f"u{i % 7}")) for i in range(300))
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("processes", [1, 2])
def test_parse_ahead_processes_change_nothing(tmp_path, monkeypatch, processes):
    """With parse-ahead child processes (store.parse_ahead) on for every file, and 4 KB
    blocks so that many cross the pipes, the store is the same as parsing here, damage
    and problem reports included."""
    monkeypatch.setattr(ingest_module, "PARSE_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_module, "DEFAULT_PROCESSES", processes)
    monkeypatch.setattr(ingest_module, "iter_line_blocks", functools.partial(iter_line_blocks, block_bytes=4096, max_line_bytes=4096))
    fast_with_child, _ = both_ways(tmp_path, mixed_lines(3))
    monkeypatch.setattr(ingest_module, "PARSE_AHEAD_MIN_BYTES", 1 << 60)
    fast_here, _ = both_ways(tmp_path, mixed_lines(3))
    assert fast_with_child == fast_here
    assert any("longer than" in row[3] for row in fast_here["ingest_problems"])


def test_parse_ahead_process_that_dies_loses_nothing(tmp_path, monkeypatch):
    """A child that exits at once: its blocks are parsed in this process instead."""
    monkeypatch.setattr(ingest_module, "PARSE_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(ingest_module, "iter_line_blocks", functools.partial(iter_line_blocks, block_bytes=4096))
    monkeypatch.setattr(parse_ahead, "_child_command", lambda: [sys.executable, "-c", "pass"])
    fast, exact = both_ways(tmp_path, mixed_lines(2))
    assert fast == exact


def test_parse_ahead_process_exits_when_its_parent_stops_mid_block():
    """A parent killed while sending a block leaves a truncated request: the child must not
    wait for the rest forever."""
    child = subprocess.Popen(parse_ahead._child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    request = pickle.dumps((1, 1, b"x" * 100_000))
    child.stdin.write(request[: len(request) // 2])
    child.stdin.close()
    assert child.wait(timeout=120) == 0
    child.stdout.close()


def deep_tweet(depth: int) -> dict:
    tweet = flat_tweet(f"d{depth}", "1", "u")
    if depth:
        tweet["referenced_tweets"] = [reference("quoted", deep_tweet(depth - 1))]
    return tweet


def test_deep_nesting_same_both_ways(tmp_path):
    fast, exact = both_ways(tmp_path, jsonl([deep_tweet(6), deep_tweet(2)]))
    assert fast == exact


def test_truncated_gzip_same_both_ways(tmp_path):
    data = gzip.compress(jsonl(flat_tweet(str(i), "1", "u", text="words " * 30) for i in range(3000)))
    fast, exact = both_ways(tmp_path, data[: len(data) * 2 // 3], "t.jsonl.gz")
    assert fast == exact
    assert any("truncated" in row[3] for row in fast["ingest_problems"])


MUTATIONS = [
    lambda t: t,
    lambda t: {**t, "id": int(t["id"])},
    lambda t: {**t, "author_id": ""},
    lambda t: {**t, "created_at": None},
    lambda t: {**t, "created_at": "2015-13-01T00:00:00Z"},
    lambda t: {**t, "entities": None},
    lambda t: {**t, "entities": {"hashtags": [{"tag": None}], "mentions": [{"id": "77"}]}},
    lambda t: {**t, "text": None},
    lambda t: {**t, "author": None},
    lambda t: {**t, "author": {**t["author"], "protected": "yes"}},
    lambda t: {**t, "referenced_tweets": [{"type": "retweeted", "id": "1", "author_id": "2", "text": "x"}]},
    lambda t: {**t, "referenced_tweets": [{"type": "quoted", "id": "1", "author_id": "", "author": {}, "text": None}]},
    lambda t: {**t, "referenced_tweets": [{"type": "quoted", "id": "1", "text": "no author"}]},
    lambda t: {**t, "author": {}, "in_reply_to_user": {"id": None, "username": "x"}},
    lambda t: {**t, "lang": 5},
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=len(MUTATIONS) - 1),
            st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ")),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_property_fast_equals_exact(tmp_path, plan):
    lines = []
    for index, step in enumerate(plan):
        if isinstance(step, int):
            lines.append(orjson.dumps(MUTATIONS[step](flat_tweet(str(10 + index), str(index % 3), f"user{index % 3}"))))
        else:
            lines.append(step)
    fast, exact = both_ways(tmp_path, b"\n".join(lines) + b"\n")
    assert fast == exact
