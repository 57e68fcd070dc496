"""Small simulated worlds shared by the synth tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydrawatch.synth import WorldConfig, WorldSummary, generate

# Small enough to generate in about a second, big enough to show every phenomenon.
SMALL = {"seed": 7, "accounts": 3000, "network": 150, "days": 60}


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate(WorldConfig(**SMALL), tmp_path_factory.mktemp("flat"))


@pytest.fixture(scope="session")
def small_world_pages(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate(WorldConfig(**SMALL, tweets_format="pages"), tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="session")
def small_world_gzip(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate(WorldConfig(**SMALL, gzip=True), tmp_path_factory.mktemp("gzip"))


def world_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}
