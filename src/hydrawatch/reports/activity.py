"""Report sections about the data as a whole: what was loaded, enforcement, review decisions."""

from __future__ import annotations

import logging
from pathlib import Path

from . import plots
from .builder import ReportContext, SectionUnavailable
from .model import Figure, Section, Table
from .queries import activity_per_day, data_span

log = logging.getLogger(__name__)


def overview_section(context: ReportContext) -> Section:
    stats = context.store.stats()
    first, last = data_span(context.con)
    section = Section("overview", "The data")
    platforms = ", ".join(f"{p} ({c.get('accounts', 0):,} accounts)" for p, c in sorted(stats.get("by_platform", {}).items()))
    section.facts = [
        ("accounts", f"{stats['accounts']:,}"),
        ("posts", f"{stats['posts']:,}"),
        ("profile versions", f"{stats['profiles']:,}"),
        ("follow edges", f"{stats['follows']:,}"),
        ("compliance events", f"{stats['events']:,}"),
        ("suspended now", f"{stats['suspended']:,}"),
        ("platforms", platforms or "none"),
        ("posts from", f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first and last else "no dated posts"),
        ("files ingested", f"{stats['files']:,} ({stats['rejected']:,} bad records skipped; see hydrawatch problems)"),
    ]
    days = activity_per_day(context.con)
    if days:
        section.figures.append(plots.timeline(
            [d for d, *_ in days],
            {"posts": [p for _, p, _, _ in days], "accounts posting": [a for _, _, a, _ in days]},
            "Activity per day", alt="Posts and posting accounts per day, with suspensions per day as bars",
            ylabel="per day", bars=("suspensions", [s for *_, s in days]),
            caption="Lines: posts and distinct posting accounts per day. Bars: suspensions per day (compliance events).",
        ))
    return section


def review_section(context: ReportContext) -> Section:
    path = context.review_path
    if path is None or not Path(path).exists():
        raise SectionUnavailable("not available: no review database (give --review-db FILE; cases come from hydrawatch returnees, "
                                 "hydrawatch accounts --cases and the console)")
    from hydrawatch.review import CaseState, ReviewStore

    with ReviewStore(path) as review:
        counts = review.counts()
        decided = review.queue(state=CaseState.CONFIRMED.value, limit=context.config.top_accounts)
        decisions = review.decisions()
        intact = review.verify_audit_chain()
    section = Section("review", "Review decisions",
                      intro="Cases are proposals; people decide. Only confirmed cases leave hydrawatch in exports.")
    by_type = {kind: dict(per_state) for kind, per_state in counts.items()}  # type -> state -> n
    states = [s.value for s in CaseState]
    total = sum(sum(v.values()) for v in by_type.values())
    section.facts = [
        ("cases", f"{total:,}"),
        *[(state, f"{sum(v.get(state, 0) for v in by_type.values()):,}") for state in states],
        ("decisions recorded", f"{len(decisions):,} by {len({d.actor for d in decisions}):,} people"),
        ("audit log", "hash chain intact" if intact else "HASH CHAIN BROKEN: the log was altered outside hydrawatch"),
    ]
    if by_type:
        kinds = sorted(by_type)
        section.figures.append(plots.stacked_bars(
            kinds, {state: [by_type[k].get(state, 0) for k in kinds] for state in states},
            "Cases by type and state", alt="Stacked bars of review cases per case type, split by state", ylabel="cases"))
        section.tables.append(Table("Cases by type", ("type", *states),
                                    tuple((k, *(by_type[k].get(s, 0) for s in states)) for k in kinds)))
    if decided:
        section.tables.append(Table(
            "Confirmed cases (highest priority first)", ("case", "type", "summary", "probability", "evidence"),
            tuple((c.case_id, c.case_type, c.summary or c.subject_label, f"{c.probability:.2f}",
                   [e.get("description", "") for e in c.evidence if e.get("signal") != "model"][:4]) for c in decided)))
    return section


def enforcement_section(context: ReportContext) -> Section:
    """Figures from :mod:`hydrawatch.enforcement` (survival, time to return, follower
    recovery, what-if policies), through its ``report_figures(store)``."""
    try:
        import hydrawatch.enforcement as enforcement
    except ImportError as exc:
        if exc.name and exc.name.startswith("hydrawatch.enforcement"):
            raise SectionUnavailable("not available: this hydrawatch has no enforcement module yet (hydrawatch.enforcement)") from exc
        raise
    report_figures = getattr(enforcement, "report_figures", None)
    if report_figures is None:
        raise SectionUnavailable("not available: hydrawatch.enforcement has no report_figures(store) yet")
    produced = report_figures(context.store)
    if isinstance(produced, Section):
        return produced
    section = Section("enforcement", "Enforcement")
    for item in produced or ():
        _add_enforcement_item(section, item)
    if not (section.figures or section.tables or section.facts):
        raise SectionUnavailable("not available: the enforcement module found nothing to show (no suspensions in the store?)")
    return section


def _add_enforcement_item(section: Section, item) -> None:
    """Accept what an enforcement module may reasonably hand over: our Figure/Table, a
    matplotlib figure (alone or as ``(title, figure)``), or a dict with ``title`` and one of
    ``figure``, ``rows`` (list of dicts) or ``facts``."""
    from matplotlib.figure import Figure as MplFigure

    if isinstance(item, Figure):
        section.figures.append(item)
    elif isinstance(item, Table):
        section.tables.append(item)
    elif isinstance(item, MplFigure):
        title = item.get_suptitle() or (item.axes[0].get_title() if item.axes else "") or "Enforcement"
        section.figures.append(plots.embed(item, title, alt=title))
    elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], MplFigure):
        section.figures.append(plots.embed(item[1], str(item[0]), alt=str(item[0])))
    elif isinstance(item, dict):
        title = str(item.get("title", "Enforcement"))
        if isinstance(item.get("figure"), MplFigure):
            section.figures.append(plots.embed(item["figure"], title, alt=str(item.get("alt", title)), caption=str(item.get("caption", ""))))
        if item.get("rows"):
            rows = list(item["rows"])
            columns = tuple(item.get("columns") or rows[0].keys())
            section.tables.append(Table(title, columns, tuple(tuple(r.get(c) for c in columns) for r in rows), str(item.get("caption", ""))))
        for name, value in (item.get("facts") or {}).items():
            section.facts.append((str(name), str(value)))
        if item.get("provenance"):
            section.provenance.append(str(item["provenance"]))
    else:
        log.warning("enforcement figure of unknown kind %s skipped", type(item).__name__)
