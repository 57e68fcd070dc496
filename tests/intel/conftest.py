from __future__ import annotations

import pytest

from reports.world import ReportWorld, build_report_world


@pytest.fixture(scope="session")
def report_world(tmp_path_factory) -> ReportWorld:
    root = tmp_path_factory.getbasetemp() / "report-world"
    root.mkdir(exist_ok=True)
    return build_report_world(root)
