"""Report sections about accounts: the ones most likely in the network, and the lineages of
accounts that came back after a suspension."""

from __future__ import annotations

import statistics
from collections import defaultdict

import numpy as np

from . import plots
from .builder import ReportContext, SectionUnavailable
from .model import Section, Table
from .queries import saved_lineages

#: Evidence of these signals says which model scored, not why: it is in the provenance line.
_NOT_REASONS = ("model", "candidate")


def accounts_section(context: ReportContext) -> Section:
    from hydrawatch.accounts.batch import account_rows, detect_network_accounts
    from hydrawatch.accounts.detect import DETECTOR, default_model_path
    from hydrawatch.accounts.scorer import MODEL_VERSION

    if not default_model_path().exists():
        raise SectionUnavailable("not available: no trained account scorer is installed; run: hydrawatch train accounts")
    scores, _ = detect_network_accounts(context.store)
    if len(scores) == 0:
        raise SectionUnavailable("not available: no active accounts to score")
    rows = account_rows(scores, evidence_lines=None, limit=context.config.top_accounts)
    roles = {r["account_id"]: r for r in context.role_rows or ()} if _roles_ready(context) else {}
    section = Section("accounts", "Accounts most likely in the network",
                      intro="Active accounts scored against the suspended and deleted ones (the seeds): their own words, who they "
                            "repost and follow, who mentions them. Same as: hydrawatch accounts.")
    section.facts = [
        ("active accounts scored", f"{len(scores):,}"),
        ("flagged", f"{len(scores.flagged()):,} at p >= {scores.threshold:.2f}"),
        ("seeds", f"{len(scores.seeds):,} suspended or deleted accounts"),
    ]
    section.provenance.append(f"detector {DETECTOR}, model {MODEL_VERSION}, threshold {scores.threshold:.2f}")
    table_rows = []
    for row in rows:
        reasons = [e["description"] for e in row["evidence"] if e["signal"] not in _NOT_REASONS][:3]
        role = roles.get(row["account_id"])
        table_rows.append((context.label(row["account_id"]), row["account_id"], f"{row['score']:.3f}",
                           f"{role['role']} (c{role['community']})" if role else "-", reasons))
    section.tables.append(Table(f"Top {len(table_rows)} accounts", ("account", "id", "probability", "role (community)", "evidence"),
                                tuple(table_rows)))
    section.figures.append(plots.histogram(np.asarray(scores.probability, dtype=float), "Scores of all active accounts",
                                           alt="Histogram of account scores with the flagging threshold marked",
                                           xlabel="calibrated probability of being a network account", bins=40, log_y=True,
                                           marker=scores.threshold, marker_label=f"threshold {scores.threshold:.2f}"))
    return section


def _roles_ready(context: ReportContext) -> bool:
    """Roles are only worth computing here if the network section computes them anyway."""
    try:
        return context.role_rows is not None
    except Exception:  # noqa: BLE001 - roles are a nicety in this table; the network section reports the failure
        return False


def returnees_section(context: ReportContext) -> Section:
    saved = saved_lineages(context.con)
    if not saved:
        raise SectionUnavailable("not available: no returnee lineages are saved in the store; run: hydrawatch returnees")
    chains: dict[str, list[dict]] = defaultdict(list)
    for row in saved:
        chains[row["identity"]].append(row)
    links = []  # (hours to return, probability, follower recovery)
    table_rows = []
    for identity, accounts in chains.items():
        accounts.sort(key=lambda r: r["position"])
        hours, recovery = [], []
        for old, new in zip(accounts, accounts[1:]):
            gap = None
            if old["ended_at"] is not None and new["appeared_at"] is not None:
                gap = (new["appeared_at"] - old["ended_at"]).total_seconds() / 3600.0
            ratio = new["followers"] / old["followers"] if old["followers"] and new["followers"] is not None else None
            hours.append(gap)
            recovery.append(ratio)
            links.append((gap, new["confidence"], ratio))
        last = accounts[-1]
        reasons = [e["description"] for e in last["evidence"] if e.get("signal") not in _NOT_REASONS][:4]
        table_rows.append((
            len(accounts),
            " \u2192 ".join(context.label(a["account_id"]) for a in accounts),
            ", ".join(_hours(h) for h in hours),
            f"{min(a['confidence'] for a in accounts[1:]):.2f}" if len(accounts) > 1 else "-",
            " \u2192 ".join(f"{a['followers']:,}" if a["followers"] is not None else "?" for a in accounts),
            last["status"] or "active",
            reasons,
        ))
    table_rows.sort(key=lambda r: (-r[0], r[1]))
    gaps = [g for g, _, _ in links if g is not None]
    ratios = [r for _, _, r in links if r is not None]
    section = Section("returnees", "Returnee lineages",
                      intro="Chains of accounts believed to be one actor: each account the return of the one before after a "
                            "suspension or deletion, as saved by hydrawatch returnees. Evidence is for the newest link.")
    section.facts = [
        ("lineages", f"{len(chains):,} ({sum(len(c) for c in chains.values()):,} accounts, {len(links):,} returns)"),
        ("longest", f"{max(len(c) for c in chains.values())} accounts"),
        ("time to return", f"median {_hours(statistics.median(gaps))}, fastest {_hours(min(gaps))}" if gaps else "unknown"),
        ("followers won back", f"median {statistics.median(ratios):.0%} of the previous account's" if ratios else "unknown"),
    ]
    section.provenance.append("returnee detector (store identities, method 'returnee'); link probability = calibrated ranker output")
    shown = table_rows[: context.config.top_lineages]
    section.tables.append(Table(f"Longest {len(shown)} lineages", ("accounts", "chain", "time to return", "weakest link",
                                                                   "followers", "newest is", "evidence (newest link)"),
                                tuple(shown), note=f"{len(table_rows):,} lineages in all." if len(table_rows) > len(shown) else ""))
    if gaps:
        capped = np.minimum(np.asarray(gaps), 24 * 14)
        section.figures.append(plots.histogram(capped, "Time from suspension to return", alt="Histogram of hours from an account's "
                                               "end to its return", xlabel="hours (returns after two weeks shown at 336)",
                                               bins=np.arange(0, 24 * 14 + 7, 6)))
    if ratios:
        section.figures.append(plots.histogram(np.minimum(np.asarray(ratios), 2.0), "Followers won back by each return",
                                               alt="Histogram of the new account's followers over the old account's",
                                               xlabel="followers of the return / followers of the suspended account (capped at 2)",
                                               bins=np.linspace(0, 2, 41)))
    return section


def _hours(value: float | None) -> str:
    if value is None:
        return "?"
    if abs(value) < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} d"
