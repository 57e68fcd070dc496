from __future__ import annotations

from hydrawatch.synth import WorldSummary

from .recount import recount, summary

CHECKED = ("posts", "accounts", "follows", "events", "profiles", "suspended")


def test_summary_counts_match_an_independent_recount(small_world: WorldSummary) -> None:
    written = summary(small_world.out_dir)["counts"]
    recounted = recount(small_world.out_dir)
    assert {name: written[name] for name in CHECKED} == recounted
    assert dict(small_world.counts) == written


def test_pages_and_gzip_give_the_same_counts(small_world: WorldSummary, small_world_pages: WorldSummary,
                                             small_world_gzip: WorldSummary) -> None:
    flat = recount(small_world.out_dir)
    assert recount(small_world_pages.out_dir) == flat
    assert recount(small_world_gzip.out_dir) == flat
    for other in (small_world_pages, small_world_gzip):
        written = summary(other.out_dir)
        assert {name: written["counts"][name] for name in CHECKED} == flat
    assert small_world_gzip.tweets.name == "tweets.jsonl.gz"


def test_summary_names_its_generator_and_config(small_world: WorldSummary) -> None:
    written = summary(small_world.out_dir)
    assert written["seed"] == 7
    assert written["config"]["accounts"] == 3000
    assert written["generated_by"].startswith("hydrawatch.synth ")
