"""`hydrawatch accounts`, `train accounts`, `eval accounts`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption, ReviewDbOption
from .output import OutputFormat, emit_object, emit_rows, err
from .returnees import DEFAULT_CACHE, _seeds

COLUMNS = ["account_id", "username", "score", "evidence"]
TABLE_ROWS = 50


def register(app: typer.Typer, train_app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command(
        epilog="Seed file: one account id or @handle per line; '#' starts a comment. Without one, the seeds are the "
        "store's suspended and deleted accounts (or, with no compliance events, those that fell silent), weighed by how "
        "much their own posts read like the network's: the platform also suspends spam and ordinary accounts.",
    )
    def accounts(
        db: DbOption = None,
        seeds: Annotated[Path | None, typer.Option(help="Known network accounts, one id or @handle per line.")] = None,
        threshold: Annotated[float | None, typer.Option(help="Calibrated probability from which an account is flagged (default: the model's).")] = None,
        flagged_only: Annotated[bool, typer.Option("--flagged/--all", help="Only accounts at or above the threshold, or every active account.")] = False,
        limit: Annotated[int | None, typer.Option(help="At most this many accounts, best first (table output: 50 unless given).")] = None,
        evidence: Annotated[int, typer.Option(help="Evidence items per account.")] = 5,
        model: Annotated[Path | None, typer.Option(help="A scorer trained with `hydrawatch train accounts`.")] = None,
        cases: Annotated[bool, typer.Option("--cases/--no-cases", help="Open network_account review cases for flagged accounts.")] = False,
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Score the store's active accounts: how likely each belongs to the seeds' network, with
        the evidence (direction and tone of its interactions with the seeds, its own posts,
        hashtags, links, behaviour). Reporting on the network, arguing with it or studying it
        is not membership."""
        from hydrawatch.accounts.batch import account_rows, detect_network_accounts, network_account_cases, read_seed_file
        from hydrawatch.accounts.scorer import AccountScorer
        from hydrawatch.store.duck import Store

        try:
            scorer = AccountScorer.load(model) if model else None
            entries = read_seed_file(seeds) if seeds else None
            with Store(db, read_only=True) as store, err.status("scoring accounts ..."):
                result, unknown = detect_network_accounts(store, scorer, entries, threshold)
            if unknown:
                shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
                err.print(f"[yellow]{len(unknown):,} seed(s) not in the store:[/yellow] {shown}", highlight=False)
            if cases:
                from hydrawatch.review import ReviewStore

                found, labels, summaries = network_account_cases(result)
                with ReviewStore(review_db) as review:
                    counts = review.upsert(found, labels, summaries)
                err.print(f"review cases: {counts['added']:,} added, {counts['updated']:,} updated, "
                          f"{counts['unchanged_decided']:,} already decided")
        except (HydrawatchError, FileNotFoundError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
        minimum = result.threshold if flagged_only else 0.0
        shown = limit if limit is not None or fmt is not OutputFormat.table else TABLE_ROWS
        rows = account_rows(result, evidence if fmt in (OutputFormat.table, OutputFormat.csv) else None, minimum, shown)
        if fmt is OutputFormat.table:
            emit_rows(rows, ["username", "account_id", "score", "evidence"], fmt, title="network accounts, best first")
            if limit is None and len(rows) == TABLE_ROWS:
                err.print(f"[dim]the first {TABLE_ROWS} shown; --limit N for more, --format jsonl for every account[/dim]")
        else:
            emit_rows(rows, COLUMNS, fmt)
        flagged = len(result.flagged())
        err.print(f"{flagged:,} of {len(result):,} active accounts at or above p = {result.threshold:.2f}; "
                  f"{len(result.seeds):,} seeds ({result.seeds.origin}, {result.seeds.effective:,.0f} after weighing)")

    @train_app.command("accounts")
    def train_accounts(
        seeds: Annotated[str, typer.Option(help="Seeds of the training worlds (never the evaluation ones).")] = "1001,1002,1003",
        accounts: Annotated[int, typer.Option(help="Accounts per training world.")] = 20_000,
        network: Annotated[int, typer.Option(help="Network accounts per world.")] = 600,
        days: Annotated[int, typer.Option(help="Days of activity per world.")] = 120,
        views: Annotated[str, typer.Option(help="How much of each world the store sees: full, tweets.")] = "full,tweets",
        out: Annotated[Path | None, typer.Option(help="Model file (default: the installed package's model).")] = None,
        cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
    ) -> None:
        """Train the account scorer (text models cross-fitted by world, then a calibrated tree
        model) on simulated worlds."""
        from hydrawatch.accounts.detect import default_model_path
        from hydrawatch.accounts.training import labelled_world, train_scorer
        from hydrawatch.evaluation.returnees import WorldSpec, prepare_world

        cache.mkdir(parents=True, exist_ok=True)
        out = out or default_model_path()
        out.parent.mkdir(parents=True, exist_ok=True)
        view_list = [v for v in views.split(",") if v]
        specs = [WorldSpec(seed=s, accounts=accounts, network=network, days=days, view=v) for s in _seeds(seeds) for v in view_list]
        with err.status("generating and loading training worlds ..."):
            worlds = [labelled_world(prepare_world(spec, cache)) for spec in specs]
        with err.status("fitting text models (cross-fitted) and the scorer ..."):
            scorer = train_scorer(worlds)
        scorer.save(out)
        err.print(f"account scorer: {scorer.n_train_accounts_:,} accounts ({scorer.n_train_network_:,} network) "
                  f"from {len(worlds)} worlds -> {out} ({out.stat().st_size / 1e6:,.2f} MB)")

    @eval_app.command("accounts")
    def eval_accounts(
        seeds: Annotated[str, typer.Option(help="Seeds of the evaluation worlds (not training seeds).")] = "2001,2002",
        accounts: Annotated[int, typer.Option(help="Accounts per world.")] = 20_000,
        network: Annotated[int, typer.Option(help="Network accounts per world.")] = 600,
        days: Annotated[int, typer.Option(help="Days of activity per world.")] = 120,
        views: Annotated[str, typer.Option(help="World views to measure: full, tweets.")] = "full,tweets",
        model: Annotated[Path | None, typer.Option(help="Scorer to evaluate (default: the shipped one).")] = None,
        threshold: Annotated[float | None, typer.Option(help="Decision threshold (default: the model's).")] = None,
        cache: Annotated[Path, typer.Option(help="Folder for generated worlds and their stores.")] = DEFAULT_CACHE,
        fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    ) -> None:
        """ROC AUC, precision among the top k, precision/recall at the threshold and the
        false-positive rate of every group (news, religious, political, counter-messaging,
        researchers...) on held-out worlds, seeds = the store's ended accounts."""
        from hydrawatch.accounts.detect import load_default_scorer
        from hydrawatch.accounts.scorer import AccountScorer
        from hydrawatch.accounts.training import evaluate_world, labelled_world
        from hydrawatch.evaluation.returnees import WorldSpec, prepare_world

        try:
            scorer = AccountScorer.load(model) if model else load_default_scorer()
        except (HydrawatchError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
        cache.mkdir(parents=True, exist_ok=True)
        reports = []
        for seed in _seeds(seeds):
            for view in [v for v in views.split(",") if v]:
                with err.status(f"world {seed} ({view}) ..."):
                    world = labelled_world(prepare_world(WorldSpec(seed=seed, accounts=accounts, network=network, days=days, view=view), cache))
                    report, _ = evaluate_world(world, scorer, threshold)
                reports.append(report)
        if fmt is OutputFormat.table:
            _print_reports(reports)
        else:
            payload = {"model": scorer.trained_on_, "worlds": [r.as_dict() | {"targets": r.meets_targets()} for r in reports]}
            emit_object(json.loads(json.dumps(payload, default=str)), OutputFormat.json if fmt is OutputFormat.table else fmt)


def _print_reports(reports) -> None:
    """Two narrow tables: the ranking and threshold metrics per world, then the false-positive
    rate of every group per world (the hard negatives first)."""
    from hydrawatch.accounts.training import HARD_NEGATIVES, OTHER_GROUPS

    names = [f"s{r.world.split('-s', 1)[-1].split('-', 1)[0]} {r.view}" for r in reports]
    rows = [{"world": name, "seeds": r.seeds, "k": r.network_scored, "roc_auc": round(r.roc_auc, 4),
             "precision@k": round(r.precision_at_k, 4), "flagged": r.flagged, "precision": round(r.precision, 4),
             "recall": round(r.recall, 4)} for name, r in zip(names, reports)]
    emit_rows(rows, list(rows[0]) if rows else [], OutputFormat.table,
              title=f"account scoring, threshold {reports[0].threshold:.2f}" if reports else None)
    groups = [{"group": g, **{name: f"{r.fpr_by_group[g]:.1%} ({r.flagged_by_group[g]}/{r.accounts_by_group[g]})"
                              for name, r in zip(names, reports)}} for g in (*HARD_NEGATIVES, *OTHER_GROUPS)]
    emit_rows(groups, ["group", *names], OutputFormat.table, title="false-positive rate by group (flagged/active)")
    for name, r in zip(names, reports):
        misses = [target for target, ok in r.meets_targets().items() if not ok]
        if misses:
            err.print(f"[yellow]{name}: target missed: {', '.join(misses)}[/yellow]")
        if r.network_active_unscored:
            err.print(f"[dim]{name}: {r.network_active_unscored} active network accounts taken for ended by the store "
                      "(silent for days): seeds, not scored[/dim]")
