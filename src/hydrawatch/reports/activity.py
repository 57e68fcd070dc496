"""Report sections about the data as a whole: what was loaded, enforcement, review decisions."""

from __future__ import annotations

import base64
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
    """Is the platform winning: lifetimes, returns, follower recovery and reach, from
    :mod:`hydrawatch.enforcement` (same as ``hydrawatch enforcement``)."""
    try:
        from hydrawatch.enforcement import FIGURE_CAPTIONS, enforcement_summary, read_enforcement_data, report_figures
    except ImportError as exc:
        if exc.name and exc.name.startswith("hydrawatch.enforcement"):
            raise SectionUnavailable("not available: this hydrawatch has no enforcement module (hydrawatch.enforcement)") from exc
        raise
    data = read_enforcement_data(context.store)
    if len(data) == 0:
        raise SectionUnavailable("not available: no network accounts with a known life span (ingest compliance events)")
    roles = None
    try:
        rows = context.role_rows
        roles = {r["account_id"]: r["role"] for r in rows} if rows else None
    except Exception:  # noqa: BLE001 - lifetimes by role are optional; the network section reports role failures
        log.info("roles unavailable for enforcement figures", exc_info=True)
    summary = enforcement_summary(data, roles)
    section = Section("enforcement", "Enforcement",
                      intro="How long network accounts live, how often and how fast they come back, what audience a return wins "
                            "back, and the network's reach over time. Same as: hydrawatch enforcement.")
    section.facts = [(name, text) for name, text in _enforcement_facts(summary) if text]
    for name, image in report_figures(context.store, data, roles=roles).items():
        title = name.replace("_", " ").capitalize()
        caption = FIGURE_CAPTIONS.get(name, "")
        if isinstance(image, bytes | bytearray):
            encoded = base64.b64encode(bytes(image)).decode("ascii")
            section.figures.append(Figure(title, f"data:image/png;base64,{encoded}", alt=caption or title, caption=caption))
        else:  # a matplotlib figure
            section.figures.append(plots.embed(image, title, alt=caption or title, caption=caption))
    section.provenance.append(f"enforcement over {summary.get('accounts', len(data)):,} network accounts "
                              f"({summary.get('population', 'network')}); data {summary.get('data_start', '?')[:10]} to {summary.get('data_end', '?')[:10]}")
    return section


def _enforcement_facts(summary: dict) -> list[tuple[str, str]]:
    def hours(value) -> str:
        return "" if value is None else (f"{value:,.1f} h" if value < 48 else f"{value / 24:,.1f} days")

    recovery = [(r.get("generation"), r.get("median_ratio")) for r in summary.get("follower_recovery") or [] if r.get("median_ratio") is not None]
    reach = summary.get("reach") or {}
    share = summary.get("share_suspended_within_2_days")
    returned = summary.get("return_probability")
    return [
        ("network accounts", f"{summary.get('accounts', 0):,}"),
        ("median lifetime", hours(summary.get("median_lifetime_hours"))),
        ("suspended within 2 days", f"{share:.0%} of accounts born in the data" if share is not None else ""),
        ("came back", f"{returned:.0%} of ended accounts" if returned is not None else ""),
        ("median time to return", hours(summary.get("median_time_to_return_hours"))),
        ("followers won back", ", ".join(f"generation {g}: {r:.0%}" for g, r in recovery) + " of the previous account's (median)" if recovery else ""),
        ("reach (followers)", f"{reach['start']:,} at the start, peak {reach['peak']:,}, {reach['end']:,} at the end" if reach else ""),
    ]
