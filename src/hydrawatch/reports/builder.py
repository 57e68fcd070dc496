"""Build a report from a store (and, optionally, the review database).

Each section is built by its own function from the detectors' public functions. A section
whose detector is missing (not installed, not trained, not run yet) or fails says so in one
line with the command that would make it, and the rest of the report is built anyway: an
analyst gets what is there instead of a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from hydrawatch.core.errors import ConfigError, HydrawatchError

from .model import Report, Section

log = logging.getLogger(__name__)


class SectionUnavailable(HydrawatchError):
    """A section cannot be built; the message says what to run to make it."""


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """``top_accounts``, ``top_lineages``, ``top_clusters``, ``top_destinations``: rows in the
    tables (plots always show everything); ``coordination_window`` (seconds) and
    ``min_repetition``: what counts as coordinated sharing (see ``hydrawatch coordination``);
    ``resolvers``: CSV files ``short_url,expanded_url`` that resolve short links for the
    migration map; ``graph_nodes``: at most this many accounts drawn in the network picture
    (the best connected)."""

    title: str = "hydrawatch report"
    top_accounts: int = 20
    top_lineages: int = 20
    top_clusters: int = 10
    top_destinations: int = 20
    coordination_window: float = 60.0
    min_repetition: int = 2
    resolvers: tuple[Path, ...] = ()
    graph_nodes: int = 400

    def __post_init__(self) -> None:
        for name in ("top_accounts", "top_lineages", "top_clusters", "top_destinations", "graph_nodes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.coordination_window < 0:
            raise ConfigError(f"coordination_window is in seconds and must be >= 0, got {self.coordination_window!r}")
        if self.min_repetition < 1:
            raise ConfigError(f"min_repetition must be >= 1 (distinct objects linking a pair), got {self.min_repetition!r}")


class ReportContext:
    """What several sections share, computed once: account labels and the network view."""

    def __init__(self, store, review_path: Path | None, config: ReportConfig):
        self.store = store
        self.review_path = review_path
        self.config = config

    @property
    def con(self):
        return self.store.con

    @cached_property
    def labels(self) -> dict[str, str]:
        """account id -> newest handle (no ``@``), for every account with one."""
        from hydrawatch.store.outlinks import account_labels

        table = account_labels(self.con)
        return {a: u for a, u in zip(table["account_id"].to_pylist(), table["username"].to_pylist()) if u}

    def label(self, account_id: str) -> str:
        handle = self.labels.get(account_id)
        return f"@{handle}" if handle else account_id

    @cached_property
    def network(self):
        from hydrawatch.network.pipeline import network_view

        return network_view(self.store)

    @cached_property
    def communities(self):
        from hydrawatch.network.pipeline import network_communities

        return network_communities(self.network)

    @cached_property
    def role_rows(self) -> list[dict] | None:
        """Roles of the network's accounts, or None without a trained role model."""
        from hydrawatch.network.pipeline import network_role_features, role_rows
        from hydrawatch.network.roles import RoleModel, default_model_path

        if not default_model_path().exists():
            return None
        features = network_role_features(self.store, self.network.members.ids, interactions=self.network.interactions)
        return role_rows(features, RoleModel.load(), self.communities, evidence=2)


SectionBuilder = Callable[[ReportContext], Section]


def _builders() -> list[tuple[str, str, SectionBuilder]]:
    from . import activity, network, people

    return [
        ("overview", "The data", activity.overview_section),
        ("network", "The network: communities, roles, size", network.network_section),
        ("accounts", "Accounts most likely in the network", people.accounts_section),
        ("returnees", "Returnee lineages", people.returnees_section),
        ("coordination", "Coordinated sharing", network.coordination_section),
        ("migration", "Migration map", network.migration_section),
        ("enforcement", "Enforcement", activity.enforcement_section),
        ("review", "Review decisions", activity.review_section),
    ]


def build_section(key: str, title: str, builder: SectionBuilder, context: ReportContext) -> Section:
    """Run one builder; a missing piece becomes a one-line ``missing`` message, never an error."""
    try:
        section = builder(context)
    except SectionUnavailable as exc:
        return Section(key, title, missing=str(exc))
    except ImportError as exc:
        log.warning("report section %s: %s", key, exc)
        return Section(key, title, missing=f"not available: {exc.name or 'a module'} cannot be imported ({exc}); reinstall hydrawatch")
    except FileNotFoundError as exc:
        return Section(key, title, missing=f"not available: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken detector must not take the whole report down
        log.exception("report section %s failed", key)
        return Section(key, title, missing=f"not available: building it failed ({type(exc).__name__}: {exc}); rerun with -v for the traceback")
    section.key, section.title = key, section.title or title
    return section


def build_report(store, review_path: Path | None = None, config: ReportConfig = ReportConfig(),
                 sections: tuple[str, ...] | None = None) -> Report:
    """Every section (or those named in ``sections``) from an open store."""
    from hydrawatch import __version__

    context = ReportContext(store, review_path, config)
    built = []
    for key, title, builder in _builders():
        if sections is None or key in sections:
            log.info("building report section %s", key)
            built.append(build_section(key, title, builder, context))
    sources = [("store", str(getattr(store, "path", "")))]
    if review_path is not None:
        sources.append(("review database", str(review_path)))
    return Report(title=config.title, generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=__version__,
                  sources=sources, sections=built)


SECTION_KEYS = ("overview", "network", "accounts", "returnees", "coordination", "migration", "enforcement", "review")
