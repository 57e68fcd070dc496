"""`hydrawatch returnees`, `lineages`, `train returnees`, `eval returnees`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption, ReviewDbOption
from .output import OutputFormat, emit_object, emit_rows, err

train_app = typer.Typer(help="Train detectors on simulated worlds.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure detectors on simulated worlds they were not trained on.", no_args_is_help=True)

DEFAULT_CACHE = Path(".hydrawatch-cache")


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError as exc:
        raise typer.BadParameter("seeds are comma-separated integers, e.g. 1001,1002") from exc


def register(app: typer.Typer) -> None:
    @app.command()
    def returnees(
        db: DbOption = None,
        threshold: Annotated[float, typer.Option(help="Report pairs from this calibrated probability.")] = 0.5,
        window_days: Annotated[float, typer.Option(help="How long after a suspension a return is looked for.")] = 30.0,
        model: Annotated[Path | None, typer.Option(help="A ranker trained with `hydrawatch train returnees`.")] = None,
        save: Annotated[bool, typer.Option(help="Store the lineages as identities and open review cases.")] = True,
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
        evidence: Annotated[int, typer.Option(help="Evidence lines per match in table output.")] = 4,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Find suspended (or deleted) accounts that came back, with the evidence for each."""
        from hydrawatch.evasion.candidates import CandidateConfig
        from hydrawatch.evasion.detect import ReturneeConfig
        from hydrawatch.evasion.ranker import ReturneeRanker
        from hydrawatch.pipeline import detect_returnees, save_identities
        from hydrawatch.store.duck import Store

        try:
            config = ReturneeConfig(threshold=threshold, candidates=CandidateConfig(window_days=window_days))
            ranker = ReturneeRanker.load(model) if model else None
            with Store(db, read_only=not save) as store:
                with err.status("scoring candidate pairs ..."):
                    result = detect_returnees(store, ranker, config)
                if save:
                    save_identities(store, result)
            if save:
                from hydrawatch.pipeline import returnee_cases
                from hydrawatch.review import ReviewStore

                cases, labels, summaries = returnee_cases(result)
                with ReviewStore(review_db) as review:
                    counts = review.upsert(cases, labels, summaries)
                err.print(f"review cases: {counts['added']:,} added, {counts['updated']:,} updated, {counts['unchanged_decided']:,} already decided")
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        rows = _match_rows(result, None)
        if fmt is OutputFormat.table:
            _print_matches(rows, evidence)
        else:
            emit_rows(rows, ["old", "new", "old_account_id", "new_account_id", "probability", "hours_after_end", "evidence"], fmt)
        err.print(f"{len(rows):,} returns among {len(result.candidates):,} candidate pairs; {len(result.lineages):,} lineages")

    @app.command()
    def lineages(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
        """Chains of accounts believed to be one actor (from the last `hydrawatch returnees`)."""
        from hydrawatch.store.duck import Store

        with Store(db, read_only=True) as store:
            found = store.con.execute(
                """
                SELECT i.identity_id, list(coalesce(a.username, i.account_id) ORDER BY i.position) AS accounts,
                       min(i.confidence) AS weakest_link, count(*) AS n
                FROM identities i LEFT JOIN accounts a USING (platform, account_id)
                WHERE i.method = 'returnee' GROUP BY 1 ORDER BY n DESC, 1
                """
            ).fetchall()
        rows = [{"identity": i, "accounts": " -> ".join(f"@{a}" if not a.isdigit() else a for a in accs), "links": n - 1, "weakest_link": round(w, 3)} for i, accs, w, n in found]
        emit_rows(rows, ["identity", "accounts", "links", "weakest_link"], fmt, title="lineages")


def _match_rows(result, evidence_lines: int | None) -> list[dict]:
    table = result.table
    rows = []
    for match in sorted(result.matches, key=lambda m: -m.probability):
        hours = None
        if table.ended_at[match.old] != table.appeared_at[match.new]:
            from hydrawatch.evasion.accounts import NO_TIME

            if NO_TIME not in (table.ended_at[match.old], table.appeared_at[match.new]):
                hours = round((table.appeared_at[match.new] - table.ended_at[match.old]) / 3600.0, 1)
        items = [e.description for e in match.evidence if e.signal not in ("model", "candidate")]
        rows.append(
            {
                "old": _label(table, match.old),
                "new": _label(table, match.new),
                "old_account_id": table.account_id[match.old],
                "new_account_id": table.account_id[match.new],
                "probability": round(match.probability, 4),
                "hours_after_end": hours,
                "evidence": "; ".join(items[:evidence_lines]) if evidence_lines else [
                    {"signal": e.signal, "description": e.description, "value": e.value, "contribution": e.contribution} for e in match.evidence
                ],
            }
        )
    return rows


def _print_matches(rows: list[dict], evidence_lines: int) -> None:
    """Each match as a short block: the pair, its probability, and its strongest evidence."""
    from rich.markup import escape

    from .output import out

    for row in rows:
        hours = f"{row['hours_after_end']:,.1f} h after the old account ended" if row["hours_after_end"] is not None else ""
        out.print(f"[bold]{escape(row['old'])}[/bold] -> [bold]{escape(row['new'])}[/bold]   p = {row['probability']:.3f}   {hours}", highlight=False)
        shown = [e for e in row["evidence"] if e["signal"] not in ("model", "candidate")][:evidence_lines]
        for item in shown:
            out.print(f"    - {escape(item['description'])}", highlight=False)


def _label(table, row: int) -> str:
    return f"@{table.handle[row]}" if table.handle[row] else table.account_id[row]


@train_app.command("returnees")
def train_returnees(
    seeds: Annotated[str, typer.Option(help="Seeds of the training worlds.")] = "1001,1002,1003",
    accounts: Annotated[int, typer.Option(help="Accounts per training world.")] = 20_000,
    network: Annotated[int, typer.Option(help="Network accounts per world.")] = 600,
    views: Annotated[str, typer.Option(help="How much of each world the store sees: full, tweets, sample, export, bare, minimal, minimal-sample.")] = "full,tweets,sample",
    out: Annotated[Path | None, typer.Option(help="Folder for the two models (default: the installed package's models).")] = None,
    cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
    review_db: Annotated[Path | None, typer.Option("--review-db", help="Also learn from moderators' decisions: confirmed and dismissed "
                                                   "returnee cases in this review database become labelled pairs (needs --db).")] = None,
    db: DbOption = None,
    signup: Annotated[bool, typer.Option("--signup/--no-signup", help="Also train the sign-up ranker (--no-signup keeps the one in --out).")] = True,
    bags: Annotated[int, typer.Option(min=1, help="Batch ranker: boosters with different seeds whose log-odds are averaged "
                                      "(steadier scores on data unlike the training worlds; each costs one more fit).")] = 5,
) -> None:
    """Train the returnee ranker (batch) and the sign-up ranker (online) on simulated worlds,
    never the ones you evaluate on, plus, with --review-db, the returnee cases moderators
    confirmed (returns) and dismissed (not returns)."""
    from hydrawatch.evasion.detect import default_model_path
    from hydrawatch.evaluation.returnees import WorldSpec, prepare_world, train_ranker, train_signup_ranker

    feedback = _moderator_feedback(review_db, db) if review_db is not None else None
    cache.mkdir(parents=True, exist_ok=True)
    out = out or default_model_path().parent
    out.mkdir(parents=True, exist_ok=True)
    view_list = [v for v in views.split(",") if v]
    specs = [WorldSpec(seed=s, accounts=accounts, network=network, view=v) for s in _seeds(seeds) for v in view_list]
    with err.status("generating and loading training worlds ..."):
        worlds = [prepare_world(spec, cache) for spec in specs]
    description = {"worlds": [w.spec.name for w in worlds], "generator": "hydrawatch.synth"}
    if feedback is not None:
        description["moderator_decisions"] = {"review_db": str(review_db), "confirmed": feedback.confirmed, "dismissed": feedback.dismissed,
                                              "not_in_store": len(feedback.missing)}
    with err.status("fitting the batch ranker ..."):
        ranker = train_ranker(worlds, feedback=feedback, bags=bags)
    batch_path = out / default_model_path().name
    ranker.save(batch_path, description)
    err.print(f"batch ranker: {ranker.n_train_pairs_:,} pairs ({ranker.n_train_returns_:,} returns) -> {batch_path}")
    if not signup:
        return
    with err.status("fitting the sign-up ranker ..."):
        signup_ranker = train_signup_ranker([w for w in worlds if w.spec.view == "full"] or worlds, feedback=feedback)
    signup_ranker.save(out / "returnee-signup.json", description)
    err.print(f"sign-up ranker: {signup_ranker.n_train_pairs_:,} pairs -> {out / 'returnee-signup.json'}")


def _moderator_feedback(review_db: Path, db: Path | None):
    """The decided returnee cases of ``review_db`` as feature rows from the store ``db``."""
    from hydrawatch.evaluation.feedback import read_feedback
    from hydrawatch.store.duck import default_db_path

    if not review_db.exists():
        raise typer.BadParameter(f"no review database at {review_db}; decisions are made in the console (hydrawatch serve) "
                                 "or with hydrawatch decide", param_hint="--review-db")
    store_path = db or default_db_path()
    if not Path(store_path).exists():
        raise typer.BadParameter(f"no store at {store_path}: pass the store the cases came from with --db", param_hint="--db")
    with err.status("reading moderators' decisions ..."):
        feedback = read_feedback(store_path, review_db)
    err.print(f"moderator decisions: {feedback.confirmed:,} confirmed and {feedback.dismissed:,} dismissed returnee pairs"
              + (f"; {len(feedback.missing):,} not in the store (run hydrawatch live flush?), left out" if feedback.missing else ""))
    return feedback


@eval_app.command("name-groups")
def eval_name_groups(
    db: DbOption = None,
    model: Annotated[Path | None, typer.Option(help="Ranker to evaluate (default: the shipped one).")] = None,
    threshold: Annotated[float, typer.Option(help="Detection threshold.")] = 0.5,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """Returnees on a real export without truth (e.g. the Kaggle IsisFanboy.csv, ingested first):
    display names used by several usernames are taken as one person's accounts, and each
    succession is checked: is the successor its predecessor's best candidate, is it linked at the
    threshold, and how many links fall outside the groups. Prints handles, ranks and evidence
    sentences, never post text."""
    from hydrawatch.evasion.detect import ReturneeConfig
    from hydrawatch.evasion.ranker import ReturneeRanker
    from hydrawatch.evaluation.realdata import evaluate_name_groups
    from hydrawatch.store.duck import Store

    try:
        ranker = ReturneeRanker.load(model) if model else None
        with Store(db, read_only=True) as store, err.status("scoring candidate pairs ..."):
            report = evaluate_name_groups(store, ranker, ReturneeConfig(threshold=threshold)).as_dict()
    except (HydrawatchError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if fmt is OutputFormat.table:
        details = report.pop("transition_details")
        report["flagged_outside_examples"] = json.dumps(report["flagged_outside_examples"])
        emit_object(report, fmt)
        rows = [{**t, "probability": round(t["probability"], 3), "evidence": "; ".join(t["evidence"][:4])} for t in details]
        emit_rows(rows, ["old", "new", "rank", "probability", "linked", "evidence"], fmt, title="successions")
    else:
        emit_object(report, fmt)


@eval_app.command("returnees")
def eval_returnees(
    seeds: Annotated[str, typer.Option(help="Seeds of the evaluation worlds (not training seeds).")] = "2001,2002",
    accounts: Annotated[int, typer.Option(help="Accounts per world.")] = 20_000,
    network: Annotated[int, typer.Option(help="Network accounts per world.")] = 600,
    model: Annotated[Path | None, typer.Option(help="Ranker to evaluate (default: the shipped one).")] = None,
    mode: Annotated[str, typer.Option(help="all: every ended account; network: known network accounts only (spam evaders become decoys).")] = "all",
    view: Annotated[str, typer.Option(help="What the store sees of each world: full, tweets (no follows, no compliance events), sample (a fifth of the tweets), export (tweets without account creation times), bare (export without profile pictures), minimal (handles, names, post times and text only, like a CSV of tweets), minimal-sample (minimal, of a fifth of the tweets).")] = "full",
    threshold: Annotated[float, typer.Option(help="Detection threshold.")] = 0.5,
    cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """Matching MRR (overall and per handle-mutation kind), detection precision/recall and the
    false positives by kind, and calibration, on held-out worlds."""
    from hydrawatch.evasion.detect import ReturneeConfig, load_default_ranker
    from hydrawatch.evasion.ranker import ReturneeRanker
    from hydrawatch.evaluation.returnees import WorldSpec, evaluate, pooled, prepare_world

    ranker = ReturneeRanker.load(model) if model else load_default_ranker()
    cache.mkdir(parents=True, exist_ok=True)
    reports = []
    for seed in _seeds(seeds):
        with err.status(f"world {seed} ..."):
            world = prepare_world(WorldSpec(seed=seed, accounts=accounts, network=network, view=view), cache)
            report, _ = evaluate(world, ranker, ReturneeConfig(threshold=threshold), parents_filter=mode)
        reports.append(report.as_dict())
    together = pooled(reports) if len(reports) > 1 else None
    if fmt is OutputFormat.table:
        for report in reports:
            reliability = report.pop("reliability")
            emit_object({k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in report.items()}, fmt)
            emit_rows(reliability, ["bin", "pairs", "predicted", "observed"], fmt, title="reliability")
        if together:
            emit_object({k: (json.dumps({kind: round(x, 4) for kind, x in v.items()}) if isinstance(v, dict) else v) for k, v in together.items()},
                        fmt, title=f"all {len(reports)} worlds pooled")
    else:
        payload = {"mode": mode, "view": view, "worlds": reports}
        if together:
            payload["pooled"] = together
        emit_object(payload, OutputFormat.json if fmt is OutputFormat.table else fmt)
