from __future__ import annotations

import pytest

from hydrawatch.reports import ReportConfig, build_report
from hydrawatch.store.duck import Store

from .world import ReportWorld, build_report_world


@pytest.fixture(scope="session")
def report_world(tmp_path_factory) -> ReportWorld:
    root = tmp_path_factory.getbasetemp() / "report-world"
    root.mkdir(exist_ok=True)
    return build_report_world(root)


@pytest.fixture(scope="session")
def report(report_world):
    """The full report of the world (built once: about half a minute on two cores)."""
    resolver = report_world.folder / "truth" / "shortlinks.csv"
    with Store(report_world.store, read_only=True) as store:
        return build_report(store, report_world.review, ReportConfig(resolvers=(resolver,), top_lineages=200))
