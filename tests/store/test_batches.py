"""Big files commit batch by batch: the store ends up the same as with one transaction per
file, and an interruption keeps only whole batches, which a second ingest completes."""

from __future__ import annotations

import functools
import threading

import pytest

import hydrawatch.ingest as ingest_module
from hydrawatch.ingest import ingest_paths
from hydrawatch.sources.chunks import iter_line_blocks
from hydrawatch.store.duck import FileIngest, Store
from hydrawatch.store.schema import TABLES
from hydrawatch.synth import WorldConfig, generate

PROVENANCE = {"source_file", "source_line", "source_pointer"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    generate(WorldConfig(seed=23, accounts=1500, network=80, days=40), folder)
    return [folder / "tweets.jsonl", folder / "compliance.jsonl", folder / "follows.csv"]


@pytest.fixture
def small_blocks(monkeypatch):
    """64 KB blocks for the fast reader, so a small world makes many batches."""
    monkeypatch.setattr(ingest_module, "iter_line_blocks", functools.partial(iter_line_blocks, block_bytes=64 * 1024))


def contents(store: Store) -> dict[str, list]:
    """Every table without the provenance columns (which line a row came from), sorted."""
    out = {}
    for table in TABLES:
        columns = [c for (c,) in store.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
            if c not in PROVENANCE]
        out[table] = sorted(store.con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
    return out


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "exact"])
def test_batched_ingest_equals_one_transaction(tmp_path, world, small_blocks, fast):
    with Store(tmp_path / "whole.duckdb") as store:
        whole = ingest_paths(store, world, commit_bytes=0, fast=fast)
        expected = contents(store)
    batches = []
    original = FileIngest.checkpoint

    def counting(self):
        batches.append(self.path)
        original(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FileIngest, "checkpoint", counting)
        with Store(tmp_path / "batched.duckdb") as store:
            batched = ingest_paths(store, world, commit_bytes=1, batch_rows=2_000, fast=fast)
            got = contents(store)
    assert len(batches) >= (10 if fast else 2)  # the exact readers report their position less often
    assert got == expected
    assert [f.added for f in batched.files] == [f.added for f in whole.files]
    assert [f.records for f in batched.files] == [f.records for f in whole.files]


def test_interrupted_batches_are_completed_by_a_second_ingest(tmp_path, world, small_blocks):
    with Store(tmp_path / "whole.duckdb") as store:
        ingest_paths(store, world, commit_bytes=0)
        expected = contents(store)

    calls = []
    original = FileIngest.checkpoint

    def crash_on_third(self):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        original(self)

    path = tmp_path / "store.duckdb"
    with pytest.MonkeyPatch.context() as mp, Store(path) as store:
        mp.setattr(FileIngest, "checkpoint", crash_on_third)
        with pytest.raises(KeyboardInterrupt):
            ingest_paths(store, world[:1], commit_bytes=1)
        partial = store.stats()
        assert 0 < partial["posts"] < len(expected["posts"])  # two batches kept, the third rolled back
        assert store.con.execute("SELECT count(*) FROM ingests").fetchall()[0][0] == 0  # not recorded as ingested

    with Store(path) as store:
        again = ingest_paths(store, world, commit_bytes=1)
        assert contents(store) == expected
        assert again.files[0].status == "ingested"
        assert again.files[0].added["posts"] == len(expected["posts"]) - partial["posts"]


def test_a_checkpoint_that_fails_in_the_background_stops_the_file_and_keeps_whole_batches(tmp_path, world, small_blocks):
    """Checkpoints fold and commit on a background thread while the next batch is staged; a
    fold that fails there is raised in the ingest, the open batch is rolled back, the
    batches committed before it stay, and the file is not recorded as ingested."""
    from hydrawatch.store import merge

    calls = []
    original = merge.fold_stage_into_tables

    def fail_on_third(con, staged):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full (simulated)")
        return original(con, staged)

    with pytest.MonkeyPatch.context() as mp, Store(tmp_path / "s.duckdb") as store:
        mp.setattr(merge, "fold_stage_into_tables", fail_on_third)
        with pytest.raises(RuntimeError, match="simulated"):
            ingest_paths(store, world[:1], commit_bytes=1)
        kept = store.stats()["posts"]
        assert kept > 0  # the first two batches
        assert store.con.execute("SELECT count(*) FROM ingests").fetchall()[0][0] == 0
        assert not [t for t in threading.enumerate() if t.name.startswith("hydrawatch-fold")]
        store.con.execute("SELECT count(*) FROM posts").fetchall()  # the connection is usable
    with Store(tmp_path / "s.duckdb") as store:
        again = ingest_paths(store, world[:1], commit_bytes=1)
        assert again.files[0].status == "ingested"
        assert store.stats()["posts"] == kept + again.files[0].added["posts"]
