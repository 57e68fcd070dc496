from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from hydrawatch.core.errors import SchemaVersionError, StoreError
from hydrawatch.ingest import ingest_file, ingest_paths
from hydrawatch.sources.twarc import TwarcFlatSource
from hydrawatch.store.duck import Store
from hydrawatch.store.parquet import export_parquet

from builders import flat_tweet, jsonl

EVENTS = [
    {"user_suspend": {"user": {"id": "10"}, "event_at": "2015-03-01T00:00:00Z"}},
    {"user_unsuspend": {"user": {"id": "10"}, "event_at": "2015-03-02T00:00:00Z"}},
    {"user_suspend": {"user": {"id": "10"}, "event_at": "2015-03-03T00:00:00Z"}},
    {"user_suspend": {"user": {"id": "77"}, "event_at": "2015-03-03T00:00:00Z"}},
    {"user_delete": {"user": {"id": "77"}, "event_at": "2015-03-04T00:00:00Z"}},
    {"user_protect": {"user": {"id": "20"}, "event_at": "2015-03-04T00:00:00Z"}},
]


def small_inputs(folder: Path) -> list[Path]:
    tweets = [flat_tweet(str(i), "10" if i % 2 else "20", "a" if i % 2 else "b", when=f"2015-01-{i + 1:02d}T00:00:00Z") for i in range(6)]
    # the same account renamed: a second profile version
    tweets.append(flat_tweet("6", "10", "a_renamed", when="2015-02-01T00:00:00Z"))
    (folder / "t.jsonl").write_bytes(jsonl(tweets))
    (folder / "c.jsonl").write_bytes(jsonl(EVENTS))
    (folder / "f.csv").write_text("source_id,target_id,created_at\n20,10,2015-01-01T00:00:00Z\n30,10,\n20,10,2014-01-01T00:00:00Z\n")
    return [folder / "t.jsonl", folder / "c.jsonl", folder / "f.csv"]


def test_stats_semantics(store, tmp_path):
    ingest_paths(store, small_inputs(tmp_path))
    stats = store.stats()
    # authors 10, 20; mention target 999; follow end 30; event subject 77
    assert stats["accounts"] == 5
    assert stats["posts"] == 7 and stats["follows"] == 2 and stats["events"] == 6
    assert stats["profiles"] == 3  # a, a_renamed, b
    assert stats["suspended"] == 1  # 10 suspended again; 77 deleted after suspension
    assert store.con.execute("SELECT status FROM account_status WHERE account_id = '20'").fetchone()[0] == "protected"
    # the duplicated edge keeps its earliest time
    assert str(store.con.execute("SELECT created_at FROM follows WHERE source_account_id = '20'").fetchone()[0]).startswith("2014-01-01")
    versions = store.con.execute(
        "SELECT username, valid_from, last_seen_at FROM profiles WHERE account_id = '10' ORDER BY valid_from").fetchall()
    assert [v[0] for v in versions] == ["a", "a_renamed"]
    assert versions[0][2] < versions[1][1]


def test_reingest_adds_nothing(store, tmp_path):
    inputs = small_inputs(tmp_path)
    ingest_paths(store, inputs)
    before = store.stats()
    again = ingest_paths(store, inputs)
    assert {f.status for f in again.files} == {"skipped"}
    # the same rows under another file name (different bytes) add nothing either
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes((tmp_path / "t.jsonl").read_bytes() + b"\n\n")
    result = ingest_paths(store, [copy])
    assert result.files[0].status == "ingested" and sum(result.files[0].added.values()) == 0
    after = store.stats()
    assert {k: v for k, v in after.items() if k not in ("files",)} == {k: v for k, v in before.items() if k not in ("files",)}


def test_exception_mid_file_leaves_store_unchanged(store, tmp_path, monkeypatch):
    inputs = small_inputs(tmp_path)
    ingest_paths(store, inputs[1:])
    before = store.stats()
    original = TwarcFlatSource.read

    def exploding(self, path, problems):
        for count, record in enumerate(original(self, path, problems)):
            if count == 5:
                raise KeyboardInterrupt
            yield record

    monkeypatch.setattr(TwarcFlatSource, "read", exploding)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(store, inputs[0], batch_rows=2, fast=False)  # several batches staged before the interrupt
    assert store.stats() == before
    monkeypatch.setattr(TwarcFlatSource, "read", original)
    assert ingest_file(store, inputs[0]).status == "ingested"  # and the file can be loaded afterwards


def test_interrupt_in_fast_reader_leaves_store_unchanged(store, tmp_path, monkeypatch):
    from hydrawatch.store.duck import FileIngest

    big = tmp_path / "big.jsonl"
    big.write_bytes(jsonl(flat_tweet(str(i), "10", "a", text="x" * 400) for i in range(60_000)))
    before = store.stats()
    original = FileIngest.stage_twarc_table
    calls = []

    def interrupted(self, table):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, table)

    monkeypatch.setattr(FileIngest, "stage_twarc_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(store, big)
    assert len(calls) == 2 and store.stats() == before


def test_killed_process_leaves_store_as_before_that_file(tmp_path):
    """kill -9 in the middle of a big file: on reopening, the store holds the earlier files
    and nothing of the interrupted one."""
    db = tmp_path / "crash.duckdb"
    first = tmp_path / "first.jsonl"
    first.write_bytes(jsonl([flat_tweet("1", "10", "a")]))
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as handle:
        for start in range(0, 400_000, 10_000):
            handle.write(jsonl(flat_tweet(str(100 + i), str(i % 5000), f"u{i % 5000}") for i in range(start, start + 10_000)))
    script = (
        "import sys; from hydrawatch.store.duck import Store; from hydrawatch.ingest import ingest_paths\n"
        "with Store(sys.argv[1]) as s:\n"
        "    ingest_paths(s, [sys.argv[2]])\n"
        "    print('first done', flush=True)\n"
        "    ingest_paths(s, [sys.argv[3]], batch_rows=20_000)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(db), str(first), str(big)], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().strip() == "first done"
        time.sleep(2.0)  # well inside the big file (it takes far longer than this)
        assert proc.poll() is None, "the big file finished before the kill; make it bigger"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Store(db) as store:
        stats = store.stats()
        assert stats["posts"] == 1 and stats["files"] == 1
        assert store.con.execute("SELECT count(*) FROM ingests WHERE path = ?", [str(big)]).fetchone()[0] == 0


def test_schema_version_mismatch_says_reingest(tmp_path):
    db = tmp_path / "old.duckdb"
    with Store(db):
        pass
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError, match="Re-ingest"):
        Store(db).open()


def test_read_only_missing_store_is_clear(tmp_path):
    with pytest.raises(StoreError, match="ingest data first"):
        Store(tmp_path / "none.duckdb", read_only=True).open()


def test_parquet_round_trip_is_exact(store, tmp_path):
    ingest_paths(store, small_inputs(tmp_path))
    first = tmp_path / "export1"
    manifest = export_parquet(store, first)
    with Store(tmp_path / "second.duckdb") as second:
        result = ingest_paths(second, [first])
        assert result.files[0].status == "ingested" and result.files[0].format == "hydrawatch-parquet"
        again = ingest_paths(second, [first])
        assert again.files[0].status == "skipped"
        manifest2 = export_parquet(second, tmp_path / "export2")
    for table, entry in manifest["tables"].items():
        a = duckdb.sql(f"SELECT * FROM read_parquet('{first / entry['file']}')").fetchall()
        b = duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / 'export2' / entry['file']}')").fetchall()
        assert a == b, table
        assert manifest2["tables"][table]["rows"] == entry["rows"]


def test_problems_are_stored_with_file_and_line(store, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(jsonl([flat_tweet("1", "10", "a")]) + b"{broken\n" + jsonl([flat_tweet("2", "10", "a")]))
    result = ingest_paths(store, [path])
    assert result.files[0].rejected == 1
    (row,) = store.problems()
    assert row[0] == str(path) and row[1] == 2 and "not valid JSON" in row[3]
    assert orjson.loads(store.con.execute("SELECT added FROM ingests").fetchone()[0])["posts"] == 2


def test_damaged_export_is_refused_and_store_unchanged(store, tmp_path):
    ingest_paths(store, small_inputs(tmp_path))
    folder = tmp_path / "export"
    export_parquet(store, folder)
    posts = folder / "posts.parquet"
    data = bytearray(posts.read_bytes())
    data[len(data) // 2] ^= 0xFF
    posts.write_bytes(bytes(data))
    with Store(tmp_path / "target.duckdb") as target:
        before = target.stats()
        result = ingest_paths(target, [folder])
        assert result.files[0].status == "failed"
        assert "does not match its manifest checksum" in result.files[0].message
        assert target.stats() == before


def _threads(store: Store) -> int:
    return int(store.con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def test_threads_are_set_inside_the_block_and_restored_after(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        store.con.execute("SET threads = 3")
        with store.threads(1):
            assert _threads(store) == 1
        assert _threads(store) == 3
        with pytest.raises(RuntimeError), store.threads(0):  # never below one
            assert _threads(store) == 1
            raise RuntimeError
        assert _threads(store) == 3


def test_an_ingest_with_parse_ahead_processes_gives_the_threads_back(tmp_path, monkeypatch):
    """While parse-ahead processes run, the folds use the cores they leave (at least one
    thread); the connection has its own setting again afterwards."""
    import hydrawatch.ingest as ingest_module

    seen = []
    real_threads = Store.threads

    def spy(self, count):
        seen.append(count)
        return real_threads(self, count)

    monkeypatch.setattr(ingest_module, "PARSE_AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(Store, "threads", spy)
    with Store(tmp_path / "s.duckdb") as store:
        store.con.execute("SET threads = 3")
        inputs = small_inputs(tmp_path)
        summary = ingest_paths(store, inputs)
        assert [f.status for f in summary.files] == ["ingested"] * 3
        assert seen == [(os.cpu_count() or 1) - ingest_module.DEFAULT_PROCESSES]  # the tweets file only (at least 1: above)
        assert _threads(store) == 3
