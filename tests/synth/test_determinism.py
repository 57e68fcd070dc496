from __future__ import annotations

from pathlib import Path

from hydrawatch.synth import WorldConfig, generate

from .conftest import world_files

TINY = {"accounts": 800, "network": 40, "days": 20}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = generate(WorldConfig(seed=11, **TINY), tmp_path / "a")
    second = generate(WorldConfig(seed=11, **TINY), tmp_path / "b")
    assert first.counts == second.counts
    assert world_files(tmp_path / "a") == world_files(tmp_path / "b")


def test_same_seed_gives_identical_gzip_and_pages(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(WorldConfig(seed=11, gzip=True, tweets_format="pages", **TINY), tmp_path / name)
    assert world_files(tmp_path / "a") == world_files(tmp_path / "b")


def test_different_seed_gives_a_different_world(tmp_path: Path) -> None:
    generate(WorldConfig(seed=11, **TINY), tmp_path / "a")
    generate(WorldConfig(seed=12, **TINY), tmp_path / "b")
    first, second = world_files(tmp_path / "a"), world_files(tmp_path / "b")
    assert first.keys() == second.keys()
    for name in ("tweets.jsonl", "follows.csv", "compliance.jsonl", "truth/accounts.csv"):
        assert first[name] != second[name], name
