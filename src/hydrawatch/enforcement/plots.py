"""matplotlib figures of enforcement analytics. Every function returns a
``matplotlib.figure.Figure`` (no pyplot state, safe in servers and threads); :func:`png`
turns one into PNG bytes for the HTML report and the console dashboard."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from .data import DAY, to_datetime
from .reach import ReachCurve
from .returns import FollowerRecovery, ReturnDynamics
from .simulate import SimulatedReach
from .survival import SurvivalCurve

WIDTH, HEIGHT = 7.0, 4.0


def png(figure: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Handles and names can hold scripts and emoji the default font lacks; a missing
        # glyph shows as a box, which is no reason to fail a report.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _days(times: np.ndarray) -> list:
    return [to_datetime(t) for t in times]


def survival_figure(curves: Mapping[str, SurvivalCurve], title: str = "How long network accounts live",
                    band: bool = True) -> Figure:
    """Kaplan-Meier curves (days on x), with the 95% simultaneous band of each."""
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.subplots()
    for label, curve in curves.items():
        if not curve.accounts:
            continue
        days = np.concatenate([[0.0], curve.hours / 24])
        line = axes.step(days, np.concatenate([[1.0], curve.survival]), where="post",
                         label=f"{label} (n={curve.accounts}, median {_median_text(curve)})")[0]
        if band:
            lower = np.concatenate([[1.0], np.nan_to_num(curve.band_lower, nan=np.nan)])
            upper = np.concatenate([[1.0], np.nan_to_num(curve.band_upper, nan=np.nan)])
            axes.fill_between(days, lower, upper, step="post", alpha=0.15, color=line.get_color(), linewidth=0)
    axes.axvline(2, color="grey", linestyle=":", linewidth=1)
    axes.text(2, 0.02, " 2 days", color="grey", fontsize=8)
    axes.set(xlabel="days since creation", ylabel="share still active", ylim=(0, 1.02), title=title)
    axes.legend(fontsize=8, loc="upper right")
    axes.grid(alpha=0.3)
    return figure


def _median_text(curve: SurvivalCurve) -> str:
    median = curve.median_hours
    return "not reached" if median is None else f"{median / 24:.1f} d"


def return_figure(returns: ReturnDynamics) -> Figure:
    """Share of ended accounts back within t (1 - KM), and the delays of the returns seen."""
    figure = Figure(figsize=(WIDTH * 1.4, HEIGHT))
    left, right = figure.subplots(1, 2)
    curve = returns.not_returned
    if curve.accounts:
        hours = np.concatenate([[0.0], curve.hours])
        left.step(hours, 1 - np.concatenate([[1.0], curve.survival]), where="post")
        left.axhline(returns.return_probability, color="grey", linestyle=":", linewidth=1)
        left.set_xscale("symlog", linthresh=1)
    left.set(xlabel="hours since the suspension", ylabel="share back", ylim=(0, 1),
             title=f"Return: p={returns.return_probability:.2f}, median {_hours(returns.median_time_to_return_hours)}")
    left.grid(alpha=0.3)
    delays = returns.delays_hours[returns.delays_hours > 0]
    if delays.size:
        right.hist(np.log10(delays), bins=30, color="tab:orange")
    right.set(xlabel="log10 hours to return", ylabel="returns", title=f"{returns.returned} returns seen")
    return figure


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"


def recovery_figure(recovery: list[FollowerRecovery]) -> Figure:
    """Median followers of each generation at the same age, and the ratio to the previous."""
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.subplots()
    usable = [r for r in recovery if r.pairs]
    if usable:
        labels = [f"{r.generation}->{r.generation + 1}\n(n={r.pairs})" for r in usable]
        x = np.arange(len(usable))
        axes.bar(x - 0.2, [r.median_predecessor_followers for r in usable], 0.4, label="predecessor")
        axes.bar(x + 0.2, [r.median_successor_followers for r in usable], 0.4, label="successor (same age)")
        for position, r in zip(x, usable, strict=True):
            axes.text(position, max(r.median_predecessor_followers or 0, r.median_successor_followers or 0),
                      f"x{r.median_ratio:.2f}", ha="center", va="bottom", fontsize=8)
        axes.set_xticks(x, labels)
        axes.set_yscale("log")
        axes.legend(fontsize=8)
    axes.set(xlabel="generation", ylabel="median followers", title="Follower recovery after a return")
    return figure


def reach_figure(reach: ReachCurve, title: str = "Network reach over time") -> Figure:
    """Followers of the alive network accounts and the number of those accounts; suspension
    waves shaded; outsider reposts per day below."""
    figure = Figure(figsize=(WIDTH * 1.4, HEIGHT * 1.3))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    days = _days(reach.times)
    top.plot(days, reach.followers, label="followers of active network accounts")
    twin = top.twinx()
    twin.plot(days, reach.active_accounts, color="tab:green", alpha=0.6, label="active network accounts")
    twin.set_ylabel("accounts")
    for wave in reach.waves.tolist():
        for axes in (top, bottom):
            axes.axvspan(to_datetime(reach.times[wave] - DAY), days[wave], color="red", alpha=0.2)
    top.set(ylabel="followers", title=title)
    top.legend(loc="upper right", fontsize=8)
    twin.legend(loc="center right", fontsize=8)
    bottom.bar(days, reach.outsider_reposts, width=0.9, color="tab:purple", label="reposts by outsiders")
    bottom.bar(days, -reach.ended, width=0.9, color="tab:red", label="accounts ended (down)")
    bottom.legend(fontsize=8)
    bottom.set_ylabel("per day")
    figure.autofmt_xdate()
    return figure


def simulation_figure(results: Mapping[str, SimulatedReach], observed: ReachCurve | None = None) -> Figure:
    """Simulated reach per policy (mean, with the 5th-95th percentile band of the runs), and
    the observed curve when given."""
    figure = Figure(figsize=(WIDTH * 1.4, HEIGHT * 1.3))
    top, bottom = figure.subplots(2, 1, sharex=True)
    for name, result in results.items():
        days = _days(result.times)
        low, high = np.quantile(result.reach, [0.05, 0.95], axis=0)
        line = top.plot(days, result.reach.mean(axis=0), label=name)[0]
        top.fill_between(days, low, high, alpha=0.15, color=line.get_color(), linewidth=0)
        bottom.plot(days, result.accounts.mean(axis=0), color=line.get_color(), label=name)
    if observed is not None:
        top.plot(_days(observed.times), observed.followers, color="black", linestyle="--", label="observed")
        bottom.plot(_days(observed.times), observed.active_accounts, color="black", linestyle="--", label="observed")
    top.set(ylabel="reach (followers)", title="What-if: reach under each policy")
    bottom.set(ylabel="active network accounts")
    top.legend(fontsize=8)
    figure.autofmt_xdate()
    return figure


def handle_groups_figure(groups: list[dict], limit: int = 12) -> Figure:
    """Lifelines of returning handle groups: one row per group, one bar per handle (first to
    last post)."""
    figure = Figure(figsize=(WIDTH * 1.4, max(2.5, 0.45 * min(len(groups), limit) + 1)))
    axes = figure.subplots()
    for row, group in enumerate(groups[:limit]):
        for handle in group["handles"]:
            start, end = handle["first_post"], handle["last_post"]
            axes.plot([start, end], [row, row], linewidth=6, solid_capstyle="butt")
        label = " / ".join("@" + h["handle"][:20] for h in group["handles"][:4])
        axes.text(group["handles"][0]["first_post"], row + 0.3, label, fontsize=7)
    axes.set_yticks([])
    axes.set(xlabel="time", title="Returning handle groups (one bar per handle, first to last post)")
    figure.autofmt_xdate()
    return figure


def outlink_figure(shares: list[dict]) -> Figure:
    """Share of out-links by destination per period (stacked)."""
    figure = Figure(figsize=(WIDTH * 1.4, HEIGHT))
    axes = figure.subplots()
    if shares:
        periods = [row["period"] for row in shares]
        kinds = sorted({k for row in shares for k in row["shares"]})
        bottom = np.zeros(len(periods))
        for kind in kinds:
            values = np.array([row["shares"].get(kind, 0.0) for row in shares])
            axes.bar(periods, values, bottom=bottom, label=kind)
            bottom += values
        axes.legend(fontsize=7, ncols=2)
        axes.tick_params(axis="x", labelrotation=45)
    axes.set(ylabel="share of out-links", title="Where the network links to, over time")
    return figure
