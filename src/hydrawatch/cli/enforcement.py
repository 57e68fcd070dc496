"""`hydrawatch enforcement` and `hydrawatch simulate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption
from .output import OutputFormat, emit_object, emit_rows, err

PopulationOption = Annotated[
    str,
    typer.Option(help="Which accounts are the network: auto (scored if possible), scored (account scorer), "
                 "ended (every suspended or deleted account and its lineage)."),
]
AccountsOption = Annotated[
    Path | None,
    typer.Option("--accounts", help="File of network account ids, one per line (overrides --population)."),
]


def _read_ids(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
    return typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command(epilog="Lineages come from `hydrawatch returnees` (run it first for return numbers).")
    def enforcement(
        db: DbOption = None,
        population: PopulationOption = "auto",
        accounts: AccountsOption = None,
        figures: Annotated[Path | None, typer.Option(help="Also write every figure as PNG into this folder.")] = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Is the platform winning? How long network accounts live (Kaplan-Meier), how many are
        suspended within 2 days, how often and how fast they return, how many followers each
        return wins back, and the network's reach over time."""
        from hydrawatch.enforcement import enforcement_summary, read_enforcement_data, report_figures
        from hydrawatch.store.duck import Store

        try:
            with Store(db, read_only=True) as store:
                with err.status("reading the network's accounts ..."):
                    data = read_enforcement_data(store, population, _read_ids(accounts))
                summary = enforcement_summary(data)
                if figures is not None:
                    figures.mkdir(parents=True, exist_ok=True)
                    for name, image in report_figures(store, data).items():
                        (figures / f"{name}.png").write_bytes(image)
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        if fmt is OutputFormat.table:
            flat = {k: v for k, v in summary.items() if k not in ("follower_recovery", "returns", "median_lifetime_hours_by_cohort")}
            emit_object(flat, fmt)
            emit_rows([r for r in summary["follower_recovery"]], ["generation", "pairs", "median_ratio",
                      "median_predecessor_followers", "median_successor_followers"], fmt, title="follower recovery")
            rows = [{"cohort": by, "label": label, "median_lifetime_hours": hours}
                    for by, values in summary["median_lifetime_hours_by_cohort"].items() for label, hours in values.items()]
            emit_rows(rows, ["cohort", "label", "median_lifetime_hours"], fmt, title="lifetimes by cohort")
        else:
            emit_object(summary, fmt)
        if figures is not None:
            err.print(f"figures written to {figures}/")

    @app.command(epilog="Policy file keys: name, suspension_speedup, returnee_detection_hours, returnee_detection_recall, "
                 "targeting (none|hubs|small_clusters), targeting_strength, promoter_hazard_multiplier, runs, seed.")
    def simulate(
        policy: Annotated[list[Path], typer.Option("--policy", help="Policy file (TOML); repeat to compare several.")],
        db: DbOption = None,
        population: PopulationOption = "auto",
        accounts: AccountsOption = None,
        daily: Annotated[bool, typer.Option(help="One row per policy and day instead of one per policy.")] = False,
        figure: Annotated[Path | None, typer.Option(help="Write the reach plot (PNG) here.")] = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """What if enforcement were different? Calibrate on the store, replay the observed period
        under each policy (and the baseline), and report reach and network size with the spread
        of repeated runs."""
        from hydrawatch.enforcement import Policy, compare_policies, read_enforcement_data, reach_over_time
        from hydrawatch.store.duck import Store

        try:
            policies = [Policy.from_toml(path) for path in policy]
            with Store(db, read_only=True) as store:
                with err.status("reading the network's accounts ..."):
                    data = read_enforcement_data(store, population, _read_ids(accounts))
            with err.status("simulating ..."):
                results = compare_policies(data, policies)
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        if figure is not None:
            from hydrawatch.enforcement.plots import png, simulation_figure

            figure.write_bytes(png(simulation_figure(results, reach_over_time(data))))
            err.print(f"plot written to {figure}")
        if daily:
            rows = [row for result in results.values() for row in result.rows()]
            emit_rows(rows, ["policy", "time", "reach", "reach_low", "reach_high", "accounts"], fmt)
            return
        baseline = results["baseline"].summary()
        rows = []
        for result in results.values():
            row = result.summary()
            row["reach_vs_baseline"] = round(row["mean_reach"] / baseline["mean_reach"], 3) if baseline["mean_reach"] else None
            row["final_reach_low"], row["final_reach_high"] = (int(v) for v in row.pop("final_reach_band"))
            for key in ("mean_reach", "final_reach"):
                row[key] = int(row[key])
            rows.append(row)
        if fmt is OutputFormat.table:
            for row in rows:
                row["final_reach_90%"] = f"{row['final_reach_low']:,}-{row['final_reach_high']:,}"
            emit_rows(rows, ["policy", "mean_reach", "reach_vs_baseline", "final_reach", "final_reach_90%",
                             "final_accounts"], fmt, title=f"simulated reach (followers), {rows[0]['runs']} runs each")
            return
        emit_rows(rows, ["policy", "runs", "mean_reach", "reach_vs_baseline", "final_reach", "final_reach_low",
                         "final_reach_high", "mean_accounts", "final_accounts"], fmt)
