"""Is the platform winning? Survival of network accounts, their returns, their reach, and a
what-if simulator of takedown policies.

Anchors: Conway et al. (2017), over 30% of pro-IS accounts suspended within two days of
creation; Berger and Perez (2016), a returning account falling from over 2,000 followers to
about 700 to under 40; Johnson et al. (2016, 2019), models of takedown policies.

Library API (every function takes an open :class:`hydrawatch.store.duck.Store` or the
:class:`EnforcementData` read from one)::

    from hydrawatch.enforcement import read_enforcement_data, enforcement_summary, report_figures

    with Store(path, read_only=True) as store:
        data = read_enforcement_data(store)          # network accounts, lives, lineages, followers
        summary = enforcement_summary(data)          # dict, the JSON of `hydrawatch enforcement`
        figures = report_figures(store)              # {name: PNG bytes}, for the HTML report

Modules: :mod:`.data` (what is read, which accounts count as the network),
:mod:`.survival` (Kaplan-Meier lifetimes by cohort, with bands), :mod:`.returns` (time to
return, return probability, follower recovery, downtime), :mod:`.reach` (reach over time,
suspension waves), :mod:`.simulate` (calibrated what-if simulator, policies),
:mod:`.handle_groups` (return timing and out-link shift in tweet collections without
compliance events), :mod:`.plots` (matplotlib figures).

**For the report and the console** -- :func:`report_figures` returns PNG bytes keyed by a
stable name, each with a caption in :data:`FIGURE_CAPTIONS`:

``survival``
    Kaplan-Meier curve of lifetimes with its 95% simultaneous band.
``survival_by_generation``
    One curve per lineage generation (first accounts, first return, ...).
``survival_by_week``
    One curve per creation week (is enforcement getting faster?).
``returns``
    Share of ended accounts back within t hours, and the return delays.
``follower_recovery``
    Median followers per generation at the same age, with the ratios.
``reach``
    Followers of the active network accounts over time, suspension waves shaded.
``simulation``
    Reach under the baseline replay and the given policies (only when ``policies`` is given).
``handle_groups`` / ``outlinks``
    Returning handle groups and the out-link shift (only when the store has such groups /
    links; always computed for stores without lineages).

Use :func:`figures` instead to get the ``matplotlib.figure.Figure`` objects (same keys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .data import EnforcementData, read_enforcement_data
from .reach import ReachCurve, reach_over_time
from .returns import follower_recovery, return_dynamics
from .simulate import Calibration, Policy, SimulatedReach, compare_policies, simulate
from .survival import SurvivalCurve, lifetime_summary, survival_by_cohort, survival_curve

__all__ = [
    "FIGURE_CAPTIONS", "Calibration", "EnforcementData", "Policy", "ReachCurve", "SimulatedReach", "SurvivalCurve",
    "compare_policies", "enforcement_summary", "figures", "follower_recovery", "reach_over_time",
    "read_enforcement_data", "report_figures", "return_dynamics", "simulate", "survival_by_cohort", "survival_curve",
]

FIGURE_CAPTIONS = {
    "survival": "How long network accounts live (Kaplan-Meier, 95% simultaneous band); dotted line at 2 days.",
    "survival_by_generation": "Lifetimes by generation: first accounts and each return.",
    "survival_by_week": "Lifetimes by week of creation.",
    "returns": "Share of ended accounts that came back within t hours, and how long returns took.",
    "follower_recovery": "Followers of each generation at the same age: what a return wins back.",
    "reach": "Followers of the active network accounts; red: suspension waves; below: outsider reposts and endings.",
    "simulation": "Reach under each policy (mean of the runs, 5-95% band); dashed: observed.",
    "handle_groups": "Display names posting under several handles: when each handle was active.",
    "outlinks": "Where the network's links point, month by month.",
}


def enforcement_summary(data: EnforcementData, roles: Mapping[str, str] | None = None) -> dict:
    """The numbers of ``hydrawatch enforcement --format json``."""
    curve = survival_curve(data)
    lifetime = lifetime_summary(curve)
    returns = return_dynamics(data)
    recovery = follower_recovery(data)
    reach = reach_over_time(data)
    cohorts = {by: {label: c.to_dict(points=0)["median_hours"] for label, c in
                    survival_by_cohort(data, by, roles).items()}
               for by in ("generation", "week", *(("role",) if roles else ()))}
    return {
        "population": data.population,
        "accounts": len(data),
        "accounts_born_in_window": lifetime.accounts,
        "data_start": _iso(data.data_start),
        "data_end": _iso(data.data_end),
        "median_lifetime_hours": _round(lifetime.median_lifetime_hours),
        "share_suspended_within_2_days": round(lifetime.share_suspended_within_2_days, 4),
        "return_probability": returns.return_probability,
        "median_time_to_return_hours": _round(returns.median_time_to_return_hours),
        "follower_recovery_by_generation": [r.median_ratio for r in recovery],
        "follower_recovery": [r.to_dict() for r in recovery],
        "returns": returns.to_dict(),
        "median_lifetime_hours_by_cohort": {by: {k: _round(v) for k, v in values.items()} for by, values in cohorts.items()},
        "reach": {"start": int(reach.followers[0]), "end": int(reach.followers[-1]),
                  "peak": int(reach.followers.max()),
                  "suspension_waves": [_iso(reach.times[i] - 86400) for i in reach.waves.tolist()]},
    }


def _iso(seconds: float) -> str:
    from .data import to_datetime

    return to_datetime(seconds).isoformat()


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def figures(store, data: EnforcementData | None = None, policies: Sequence[Policy] = (),
            roles: Mapping[str, str] | None = None) -> dict:
    """matplotlib figures (see the module docstring for the keys)."""
    from . import plots
    from .handle_groups import handle_groups, outlink_shift

    data = data if data is not None else read_enforcement_data(store)
    out = {
        "survival": plots.survival_figure({"all": survival_curve(data)}),
        "survival_by_generation": plots.survival_figure(survival_by_cohort(data, "generation"), "Lifetimes by generation", band=False),
        "survival_by_week": plots.survival_figure(survival_by_cohort(data, "week", min_accounts=20), "Lifetimes by week of creation", band=False),
        "returns": plots.return_figure(return_dynamics(data)),
        "follower_recovery": plots.recovery_figure(follower_recovery(data)),
        "reach": plots.reach_figure(reach_over_time(data)),
    }
    if roles:
        out["survival_by_role"] = plots.survival_figure(survival_by_cohort(data, "role", roles), "Lifetimes by role", band=False)
    if policies:
        out["simulation"] = plots.simulation_figure(compare_policies(data, list(policies)), reach_over_time(data))
    groups = handle_groups(store)
    if groups:
        out["handle_groups"] = plots.handle_groups_figure(groups)
    shares = outlink_shift(store, accounts=data.account_id.tolist())
    if shares:
        out["outlinks"] = plots.outlink_figure(shares)
    return out


def report_figures(store, data: EnforcementData | None = None, policies: Sequence[Policy] = (),
                   roles: Mapping[str, str] | None = None, dpi: int = 110) -> dict[str, bytes]:
    """PNG bytes of every figure, keyed by name (captions in :data:`FIGURE_CAPTIONS`)."""
    from .plots import png

    return {name: png(figure, dpi) for name, figure in figures(store, data, policies, roles).items()}
