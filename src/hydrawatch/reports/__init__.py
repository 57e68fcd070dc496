"""The analyst's report: one self-contained HTML file with the network, its accounts, returnee
lineages, coordination, migration, enforcement and review figures (``hydrawatch report``)."""

from .builder import SECTION_KEYS, ReportConfig, SectionUnavailable, build_report
from .html import CONTENT_SECURITY_POLICY, render_report, write_report
from .model import Figure, Report, Section, Table

__all__ = ["CONTENT_SECURITY_POLICY", "SECTION_KEYS", "Figure", "Report", "ReportConfig", "Section", "SectionUnavailable", "Table",
           "build_report", "render_report", "write_report"]
