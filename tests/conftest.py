"""Shared fixtures. Real data sets live in ../shared/data (never copied into the repository);
tests that need one skip with the reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydrawatch.store.duck import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(relative: str) -> Path:
    """A file from ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data set not present: {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture
def shared():
    """``shared("isis-fanboy/IsisFanboy.csv")``: a real data file, or skip with the reason."""
    return shared_file


@pytest.fixture
def store(tmp_path: Path):
    """A fresh store in a temporary file (DuckDB transactions behave as in production)."""
    with Store(tmp_path / "test.duckdb") as opened:
        yield opened


@pytest.fixture
def memory_store():
    with Store(":memory:") as opened:
        yield opened
