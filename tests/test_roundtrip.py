"""A world from hydrawatch.synth, ingested, gives exactly the counts of the world's truth, in
every tweet layout, gzipped or not, with the fast reader and with the exact one."""

from __future__ import annotations

import orjson
import pytest

from hydrawatch.ingest import ingest_paths
from hydrawatch.store.duck import Store
from hydrawatch.synth import WorldConfig, generate

COUNTED = ("accounts", "posts", "profiles", "follows", "events", "suspended")


@pytest.mark.parametrize(
    ("tweets_format", "gzip", "fast"),
    [("flat", False, True), ("flat", True, True), ("pages", False, True), ("flat", False, False)],
)
def test_world_round_trips_with_truth_counts(tmp_path, tweets_format, gzip, fast):
    world = tmp_path / "world"
    generate(WorldConfig(seed=5, accounts=2_500, network=120, days=45, tweets_format=tweets_format, gzip=gzip), world)
    truth = orjson.loads((world / "truth" / "summary.json").read_bytes())["counts"]
    with Store(tmp_path / "store.duckdb") as store:
        summary = ingest_paths(store, [world], fast=fast)  # the folder: truth/ files are ignored, not errors
        assert not summary.failed and summary.rejected == 0
        assert sorted(f.format for f in summary.files if f.status == "ingested") == sorted(
            ["follows-csv", "twitter-compliance", "twarc2-pages" if tweets_format == "pages" else "twarc2-flat"]
        )
        stats = store.stats()
        assert {key: stats[key] for key in COUNTED} == {key: truth[key] for key in COUNTED}
        again = ingest_paths(store, [world], fast=fast)
        assert {f.status for f in again.files} <= {"skipped", "ignored"}
        assert store.stats()["posts"] == truth["posts"]
