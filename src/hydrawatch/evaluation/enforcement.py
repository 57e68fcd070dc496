"""Measure enforcement analytics against the truth of simulated worlds.

The truth of a world (``truth/accounts.csv``, ``compliance.jsonl``, ``summary.json``) says
which accounts belong to the network, when each was created and ended, and which account
each returnee replaced. From it :func:`world_truth` builds the same
:class:`~hydrawatch.enforcement.data.EnforcementData` the store gives, but exact: true
membership, true lineages. The *true* numbers are then the same estimators run on the
truth (with every account known, Kaplan-Meier is just the empirical survival with
censoring at the window's end), and :func:`compare` puts the store's estimates next to them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson

from hydrawatch.enforcement.data import DAY, HOUR, EnforcementData
from hydrawatch.enforcement.returns import return_dynamics
from hydrawatch.enforcement.survival import SurvivalCurve, lifetime_summary, survival_curve


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else np.nan


def world_truth(folder: Path, data_start: float | None = None, data_end: float | None = None) -> EnforcementData:
    """The network of a generated world as :class:`EnforcementData`, from its truth files
    (no followers: truth has none). The window is the world's unless given."""
    folder = Path(folder)
    summary = orjson.loads((folder / "truth" / "summary.json").read_bytes())
    start = _seconds(summary["config"]["start"])
    end = start + summary["config"]["days"] * DAY
    deleted_at: dict[str, float] = {}
    with open(folder / "compliance.jsonl", "rb") as events:
        for line in events:
            event = orjson.loads(line)
            if "user_delete" in event:
                deleted_at[event["user_delete"]["user"]["id"]] = _seconds(event["user_delete"]["event_at"])
            elif "user_undelete" in event:
                deleted_at.pop(event["user_undelete"]["user"]["id"], None)
    rows = []
    with open(folder / "truth" / "accounts.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["group"] == "network":
                rows.append(row)
    successor = {r["predecessor_id"]: r["account_id"] for r in rows if r["predecessor_id"]}
    heads = [r["account_id"] for r in rows if not r["predecessor_id"] and r["account_id"] in successor]
    chains = []
    for head in heads:
        chain = [head]
        while chain[-1] in successor:
            chain.append(successor[chain[-1]])
        chains.append(chain)
    ended, kinds = [], []
    for r in rows:
        if r["status_at_end"] == "suspended" and r["suspended_at"]:
            ended.append(_seconds(r["suspended_at"]))
            kinds.append("suspended")
        elif r["status_at_end"] == "deleted" and r["account_id"] in deleted_at:
            ended.append(deleted_at[r["account_id"]])
            kinds.append("deleted")
        else:
            ended.append(np.nan)
            kinds.append("")
    return EnforcementData.from_rows(
        [r["account_id"] for r in rows], [_seconds(r["created_at"]) for r in rows], ended,
        start if data_start is None else data_start, end if data_end is None else data_end,
        end_kind=kinds, lineages=chains, population="truth")


@dataclass(frozen=True)
class EnforcementTruth:
    median_lifetime_hours: float | None
    share_suspended_within_2_days: float
    return_probability: float
    median_time_to_return_hours: float | None
    curve: SurvivalCurve


def truth_numbers(truth: EnforcementData, horizon_days: float = 14.0) -> EnforcementTruth:
    """The true values: lifetimes from the truth's exact curve; the return probability as the
    share of ended accounts (ended at least ``horizon_days`` before the window closed) that
    came back; the median time to return over every true return."""
    curve = survival_curve(truth)
    summary = lifetime_summary(curve)
    ended = np.flatnonzero(truth.ended & (truth.ended_at <= truth.data_end - horizon_days * DAY))
    probability = float((truth.successor[ended] >= 0).mean()) if ended.size else float("nan")
    returned = np.flatnonzero(truth.ended & (truth.successor >= 0))
    delays = (truth.created_at[truth.successor[returned]] - truth.ended_at[returned]) / HOUR
    return EnforcementTruth(summary.median_lifetime_hours, summary.share_suspended_within_2_days, probability,
                            float(np.median(delays)) if delays.size else None, curve)


def compare(estimate: EnforcementData, truth: EnforcementData) -> dict:
    """Store estimates next to the truth, with relative errors and the band check."""
    true = truth_numbers(truth)
    curve = survival_curve(estimate)
    lifetime = lifetime_summary(curve)
    returns = return_dynamics(estimate)

    def relative(found, wanted):
        return None if found is None or wanted is None else round(abs(found - wanted) / wanted, 4)

    upto = float(np.nanmax(true.curve.hours)) if true.curve.hours.size else None
    return {
        "median_lifetime_hours": {"estimate": lifetime.median_lifetime_hours, "truth": true.median_lifetime_hours,
                                  "relative_error": relative(lifetime.median_lifetime_hours, true.median_lifetime_hours)},
        "share_suspended_within_2_days": {"estimate": round(lifetime.share_suspended_within_2_days, 4),
                                          "truth": round(true.share_suspended_within_2_days, 4)},
        "return_probability": {"estimate": returns.return_probability, "truth": round(true.return_probability, 4),
                               "absolute_error": round(abs(returns.return_probability - true.return_probability), 4)},
        "median_time_to_return_hours": {"estimate": returns.median_time_to_return_hours,
                                        "truth": true.median_time_to_return_hours,
                                        "relative_error": relative(returns.median_time_to_return_hours,
                                                                   true.median_time_to_return_hours)},
        "km_inside_band": curve.inside_band(true.curve, upto),
        "accounts": {"estimate": curve.accounts, "truth": true.curve.accounts},
    }
