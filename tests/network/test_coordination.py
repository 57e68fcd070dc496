"""Coordinated sharing: the fast implementation against the brute-force reference, the CSV and
store inputs, clusters, and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hydrawatch.core.errors import ConfigError, UnknownFormatError
from hydrawatch.ingest import ingest_paths
from hydrawatch.network import shares_csv
from hydrawatch.network.coordination import (
    CoordinationConfig,
    coordinated_clusters,
    coordinated_edges,
    coordinated_edges_reference,
    linking_objects,
    parse_time_micros,
    read_shares_csv,
    shares_table,
)
from hydrawatch.sources.base import ProblemLog
from hydrawatch.store.duck import Store
from hydrawatch.store.shares import shares as store_shares

from builders import flat_tweet, jsonl, reference

RUSSIAN = "coortweet/russian_coord_tweets.csv"
SECOND = 1_000_000


def edges_of(table: pa.Table) -> list[tuple[str, str, int]]:
    return list(zip(table["account_a"].to_pylist(), table["account_b"].to_pylist(), table["weight"].to_pylist()))


def shares_of(rows) -> pa.Table:
    """Shares from (account, object, seconds) rows."""
    return shares_table([r[0] for r in rows], [r[1] for r in rows], [int(round(r[2] * SECOND)) for r in rows])


# --- the semantics, by hand ------------------------------------------------------------------


def test_definition_by_hand():
    rows = [
        ("a", "o1", 0), ("b", "o1", 30), ("c", "o1", 61),  # a-b linked (30 s); b-c (31 s); a-c not (61 s)
        ("a", "o2", 100), ("b", "o2", 160),  # exactly the window apart: linked (inclusive)
        ("a", "o3", 200), ("a", "o3", 500), ("b", "o3", 530),  # a's second share links a-b again
        ("a", "o4", 0), ("b", "o4", 0), ("b", "o4", 1),  # repeated shares: o4 still counts once
        ("c", "o5", 0), ("c", "o5", 1),  # the same account twice: never a pair
    ]  # fmt: skip
    shares = shares_of(rows)
    expected = [("a", "b", 4), ("b", "c", 1)]
    assert edges_of(coordinated_edges_reference(shares, 60, 1)) == expected
    assert edges_of(coordinated_edges(shares, CoordinationConfig(60, 1)).edges) == expected
    assert edges_of(coordinated_edges(shares, CoordinationConfig(60, 2)).edges) == [("a", "b", 4)]
    assert edges_of(coordinated_edges(shares, CoordinationConfig(0, 1)).edges) == [("a", "b", 1)]


def test_account_order_is_string_order():
    shares = shares_of([("9", "o", 0), ("10", "o", 1)])
    assert edges_of(coordinated_edges(shares, CoordinationConfig(5, 1)).edges) == [("10", "9", 1)]


def test_config_errors_say_how_to_fix():
    with pytest.raises(ConfigError, match="min_repetition"):
        CoordinationConfig(60, 0)
    with pytest.raises(ConfigError, match="window_seconds"):
        CoordinationConfig(-1)
    with pytest.raises(ConfigError, match="workers"):
        CoordinationConfig(60, workers=0)


def test_empty_input():
    result = coordinated_edges(shares_of([]), CoordinationConfig(60))
    assert result.edges.num_rows == 0 and result.stats.share_pairs == 0
    assert coordinated_clusters(result.edges) == []


def test_huge_window_falls_back_to_one_object_at_a_time():
    rows = [("a", "o1", 0), ("b", "o1", 1e9), ("a", "o2", 5), ("b", "o2", 2e9)]
    shares = shares_of(rows)
    # 10**13 s does not fit the packed window key: the per-object path must give the same answer.
    for window in (1e9, 1e13):
        expected = edges_of(coordinated_edges_reference(shares, window, 1))
        assert edges_of(coordinated_edges(shares, CoordinationConfig(window, 1)).edges) == expected


# --- fast == brute force -----------------------------------------------------------------------


@pytest.mark.realdata
def test_fast_equals_reference_on_russian_retweets(shared):
    """The issue's required test: CooRTweet's Russian retweets, 60 s window, min repetition 2."""
    problems = ProblemLog()
    shares = read_shares_csv(shared(RUSSIAN), problems)
    assert problems.count == 0 and shares.num_rows == 35_125
    expected = coordinated_edges_reference(shares, 60, 2)
    result = coordinated_edges(shares, CoordinationConfig(60, 2))
    assert result.edges.equals(expected)
    assert result.edges.num_rows == 32  # and not trivially empty
    assert result.edges["weight"].to_pylist()[0] == 4


@pytest.mark.realdata
@pytest.mark.parametrize(
    "window, min_repetition",
    [(0, 1), (60, 1), (600, 2), (600, 3)],
)
def test_fast_equals_reference_on_russian_retweets_other_settings(shared, window, min_repetition):
    shares = read_shares_csv(shared(RUSSIAN), ProblemLog())
    expected = coordinated_edges_reference(shares, window, min_repetition)
    assert coordinated_edges(shares, CoordinationConfig(window, min_repetition)).edges.equals(expected)


@pytest.mark.realdata
def test_results_independent_of_batches_passes_and_workers(shared):
    shares = read_shares_csv(shared(RUSSIAN), ProblemLog())
    baseline = coordinated_edges(shares, CoordinationConfig(300, 2))
    assert baseline.stats.passes == 1 and baseline.edges.num_rows > 100
    for batch_pairs, max_pairs, workers in [(1_000, 10**9, 1), (97, 2_000, 1), (500, 3_000, 2), (500, 3_000, 4), (1, 10_000, 3)]:
        result = coordinated_edges(shares, CoordinationConfig(300, 2, batch_pairs=batch_pairs, max_pairs_in_memory=max_pairs, workers=workers))
        assert result.edges.equals(baseline.edges), (batch_pairs, max_pairs, workers)
        assert result.stats.batches > 1


share_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "B", "é", "10", "9"]),  # few accounts: many repeated shares and pairs; string order != first appearance
        st.sampled_from(["o1", "o2", "o3", "o4"]),
        st.one_of(st.integers(0, 30), st.floats(0, 30, allow_nan=False).map(lambda x: round(x, 3))),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=share_rows,
    window=st.sampled_from([0, 0.5, 1, 2.5, 5, 30]),
    min_repetition=st.integers(1, 3),
    batch_pairs=st.integers(1, 8),
    max_pairs=st.integers(1, 30),
    workers=st.integers(1, 3),
)
def test_fast_equals_reference_property(rows, window, min_repetition, batch_pairs, max_pairs, workers):
    shares = shares_of(rows)
    expected = coordinated_edges_reference(shares, window, min_repetition)
    config = CoordinationConfig(window, min_repetition, batch_pairs=batch_pairs, max_pairs_in_memory=max_pairs, workers=workers)
    assert coordinated_edges(shares, config).edges.equals(expected)
    assert coordinated_edges(shares, CoordinationConfig(window, min_repetition)).edges.equals(expected)
    # The evidence behind each edge: exactly `weight` linking objects.
    evidence = linking_objects(shares, expected, config)
    linked: dict[tuple[str, str], int] = {}
    for a, b in zip(evidence["account_a"].to_pylist(), evidence["account_b"].to_pylist()):
        linked[(a, b)] = linked.get((a, b), 0) + 1
    assert linked == {(a, b): w for a, b, w in edges_of(expected)}


# --- evidence and clusters ---------------------------------------------------------------------


def test_linking_objects_and_clusters():
    rows = []
    for k in range(3):  # a, b, c share o0..o2 within seconds: one cluster of three
        rows += [("a", f"o{k}", 100 * k), ("b", f"o{k}", 100 * k + 1), ("c", f"o{k}", 100 * k + 2)]
    rows += [("x", "p1", 0), ("y", "p1", 3), ("x", "p2", 50), ("y", "p2", 52)]  # x-y: a cluster of two
    rows += [("a", "lonely", 0), ("z", "far", 0), ("q", "far", 10_000)]  # noise
    shares = shares_of(rows)
    config = CoordinationConfig(10, 2)
    edges = coordinated_edges(shares, config).edges
    assert edges_of(edges) == [("a", "b", 3), ("a", "c", 3), ("b", "c", 3), ("x", "y", 2)]
    evidence = linking_objects(shares, edges, config)
    assert sorted(zip(*[evidence[c].to_pylist() for c in evidence.column_names])) == sorted(
        [(a, b, f"o{k}") for a, b in [("a", "b"), ("a", "c"), ("b", "c")] for k in range(3)] + [("x", "y", "p1"), ("x", "y", "p2")]
    )
    clusters = coordinated_clusters(edges, evidence, config)
    assert [(c.cluster, c.accounts, c.edges, c.weight) for c in clusters] == [(1, ("a", "b", "c"), 3, 9), (2, ("x", "y"), 1, 2)]
    assert clusters[0].objects == (("o0", 3), ("o1", 3), ("o2", 3))
    assert clusters[0].provenance["signal"] == "coordinated_sharing" and clusters[0].provenance["window_seconds"] == 10


# --- CSV input -----------------------------------------------------------------------------------


def test_csv_layouts_and_bad_rows(tmp_path):
    path = tmp_path / "shares.csv"
    path.write_text(
        "object_id,account_id,content_id,timestamp_share\n"
        "o1,a,c1,1623881091.0\n"
        "o1,b,c2,2021-06-16T22:05:21Z\n"  # ISO 8601: 30 s after the first
        "o1,c,c3,yesterday\n"  # line 4: bad time
        "o1,,c4,1623881091\n"  # line 5: no account
        "o1,d,c5\n"  # line 6: short row
        "o2,a,c6,1623881091.5\n"
        "o2,b,c7,1623881092.25\n"
    )
    problems = ProblemLog()
    shares = read_shares_csv(path, problems)
    assert shares.num_rows == 4
    assert [(p.source.line, p.reason) for p in problems.kept] == [
        (4, "not an epoch or ISO 8601 time: 'yesterday'"),
        (5, "empty account_id"),
        (6, "expected 4 fields, found 3"),
    ]
    assert shares["timestamp"].cast(pa.int64()).to_pylist() == [1623881091000000, 1623881121000000, 1623881091500000, 1623881092250000]
    assert edges_of(coordinated_edges(shares, CoordinationConfig(30, 2)).edges) == [("a", "b", 2)]


def test_csv_without_the_columns_says_what_is_expected(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("user,tweet,time\nu,t,1\n")
    with pytest.raises(UnknownFormatError, match="no account_id column.*account_id,object_id,timestamp"):
        read_shares_csv(path, ProblemLog())


def _slow_read(path):
    original = shares_csv._read_clean_csv
    shares_csv._read_clean_csv = lambda *args: None
    try:
        problems = ProblemLog()
        return read_shares_csv(path, problems), problems.count
    finally:
        shares_csv._read_clean_csv = original


csv_cells = st.text(alphabet=st.sampled_from(list('ab ,"\n\t') + ["é", "\u00a0"]), max_size=6)
csv_times = st.one_of(
    st.integers(0, 9_999_999_999).map(str),
    st.decimals(0, 9_999_999_999, places=7, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["", " 12", "-5", "1e9", "2021-06-16T22:05:21Z", "2021-06-16 22:05:21.5+02:00", "123456789012.5", "12."]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(csv_cells, csv_cells, csv_times), max_size=12), extra=st.booleans())
def test_fast_csv_reader_equals_row_by_row_reader(tmp_path, rows, extra):
    """Arrow's reader (used when a file is clean) gives exactly what the row-by-row reader gives."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["timestamp", "account_id", "object_id"] + (["note"] if extra else []))
    for account, obj, when in rows:
        writer.writerow([when, account, obj] + (["x"] if extra else []))
    path = tmp_path / "s.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    problems = ProblemLog()
    fast = read_shares_csv(path, problems)
    slow, slow_problems = _slow_read(path)
    assert fast.equals(slow)
    assert problems.count == slow_problems


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_parse_time_micros_agrees_with_datetime(moment):
    moment = moment.replace(tzinfo=UTC)
    micros = int(moment.timestamp()) * SECOND + moment.microsecond
    assert parse_time_micros(moment.isoformat()) == micros
    assert parse_time_micros(f"{micros // SECOND}.{micros % SECOND:06d}") == micros


def test_parse_time_micros_rounds_and_reads_milliseconds():
    assert parse_time_micros("1.0000005") == 1_000_001
    assert parse_time_micros("1623881091123") == 1623881091123000  # milliseconds
    assert parse_time_micros("2021-06-16T22:05:21") == 1623881121 * SECOND  # no zone: UTC


# --- store input ----------------------------------------------------------------------------------


def test_store_shares_by_kind(tmp_path):
    originals = [flat_tweet(f"10{k}", "1", "source", text=f"post {k}") for k in range(3)]
    tweets = []
    for k, original in enumerate(originals):
        for n, (uid, name) in enumerate([("2", "amp_a"), ("3", "amp_b"), ("4", "amp_c")]):
            if uid == "4" and k:
                continue  # amp_c retweets only once
            tweets.append(
                flat_tweet(
                    f"{k}{n}00", uid, name, text=f"RT @source: post {k}",
                    when=f"2015-01-0{k + 1}T00:00:{10 * n:02d}.000Z",
                    referenced_tweets=[reference("retweeted", original)],
                )
            )  # fmt: skip
    # Original posts with the same hashtag 5 s apart (case differs), on two days with two tags.
    for k, tags in enumerate([("Tag", "tag"), ("OTHER", "other")]):
        for uid, name, second, tag in [("5", "tagger_a", 0, tags[0]), ("6", "tagger_b", 5, tags[1])]:
            entities = {"hashtags": [{"start": 0, "end": len(tag) + 1, "tag": tag}]}
            tweets.append(flat_tweet(f"9{k}{uid}", uid, name, text=f"#{tag}", when=f"2015-02-0{k + 1}T00:00:{second:02d}.000Z", entities=entities))
    (tmp_path / "t.jsonl").write_bytes(jsonl(tweets))
    with Store(tmp_path / "s.duckdb") as store:
        ingest_paths(store, [tmp_path / "t.jsonl"])
        retweets = store_shares(store.con, "object")
        hashtags = store_shares(store.con, "hashtag")
        urls = store_shares(store.con, "url", platform="twitter")
        with pytest.raises(ConfigError, match="hashtag"):
            store_shares(store.con, "emoji")
    assert retweets.num_rows == 7 and retweets.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    config = CoordinationConfig(30, 2)
    assert edges_of(coordinated_edges(retweets, config).edges) == [("2", "3", 3)]  # amp_c at +20 s of amp_a, once
    assert edges_of(coordinated_edges(retweets, CoordinationConfig(30, 1)).edges) == [("2", "3", 3), ("2", "4", 1), ("3", "4", 1)]
    assert set(hashtags["object_id"].to_pylist()) == {"tag", "other"}  # lower-cased
    assert "2" not in hashtags["account_id"].to_pylist()  # retweets' entities are left out
    assert edges_of(coordinated_edges(hashtags, config).edges) == [("5", "6", 2)]
    assert set(urls["object_id"].to_pylist()) == {"https://justpaste.it/abc"}


# --- CLI ----------------------------------------------------------------------------------------------


def _cli(*args):
    from hydrawatch.cli.main import app

    return CliRunner().invoke(app, ["coordination", *map(str, args)])


def test_cli_csv_and_jsonl(tmp_path):
    path = tmp_path / "shares.csv"
    path.write_text("account_id,object_id,timestamp\na,o1,0\nb,o1,10\na,o2,100\nb,o2,105\nc,o2,500\nb,o3,x\n")
    result = _cli(path, "--window", 60, "--min-repetition", 2, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [["account_a", "account_b", "weight"], ["a", "b", "2"]]
    assert "shares.csv:7: not an epoch or ISO 8601 time: 'x'" in " ".join(result.stderr.split())  # rich wraps lines
    result = _cli(path, "--window", 60, "--min-repetition", 1, "-f", "jsonl")
    assert [orjson.loads(line) for line in result.stdout.splitlines()] == [{"account_a": "a", "account_b": "b", "weight": 2}]
    result = _cli(path, "--window", 60, "--min-repetition", 2, "--clusters", "-f", "json")
    assert orjson.loads(result.stdout) == [
        {"cluster": 1, "size": 2, "edges": 1, "weight": 2, "accounts": ["a", "b"],
         "objects": [{"object_id": "o1", "pairs": 1}, {"object_id": "o2", "pairs": 1}]}
    ]  # fmt: skip


def test_cli_reads_the_store_and_reports_errors(tmp_path):
    originals = [flat_tweet(f"10{k}", "1", "source") for k in range(2)]
    tweets = [
        flat_tweet(f"{k}{uid}", uid, f"amp{uid}", when=f"2015-01-0{k + 1}T00:00:0{uid}.000Z", referenced_tweets=[reference("retweeted", o)])
        for k, o in enumerate(originals)
        for uid in ("2", "3")
    ]
    (tmp_path / "t.jsonl").write_bytes(jsonl(tweets))
    with Store(tmp_path / "s.duckdb") as store:
        ingest_paths(store, [tmp_path / "t.jsonl"])
    result = _cli("--db", tmp_path / "s.duckdb", "--by", "object", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["account_a,account_b,weight", "2,3,2"]
    result = _cli(tmp_path / "s.duckdb", "--window", 60, "--min-repetition", 2, "-f", "csv")  # the store as INPUT
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["account_a,account_b,weight", "2,3,2"]
    assert _cli(tmp_path / "missing.csv").exit_code == 1
    assert _cli(tmp_path / "t.jsonl", "--min-repetition", 0).exit_code == 1
