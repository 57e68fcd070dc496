"""`hydrawatch promotions`, `hydrawatch threats`, `hydrawatch banks import|match|list`: per-post
signals over the store, with cases for the review queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption, ReviewDbOption
from .output import OutputFormat, emit_rows, err

BankOption = Annotated[
    Path,
    typer.Option("--bank", help="The bank file (TSV written by `banks import`).", envvar="HYDRAWATCH_BANK"),
]
NoCasesOption = Annotated[bool, typer.Option("--no-cases", help="Print only; do not add cases to the review queue.")]
banks_app = typer.Typer(help="Known-content banks: import hash lists (PDQ, text MinHash), match the store against them.",
                        no_args_is_help=True)


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(code)


def _store(db: Path | None):
    from hydrawatch.store.duck import Store

    return Store(db, read_only=True)


def _cell_list(values: list, fmt: OutputFormat):
    return ", ".join(str(v) for v in values) if fmt in (OutputFormat.table, OutputFormat.csv) else values


def _upsert(review_db: Path, cases, labels, summaries) -> None:
    from hydrawatch.review import ReviewStore

    with ReviewStore(review_db) as review:
        counts = review.upsert(cases, labels, summaries)
    err.print(f"review queue {review_db}: {counts['added']} added, {counts['updated']} updated, "
              f"{counts['unchanged_decided']} already decided", highlight=False)


@banks_app.command("import")
def banks_import(
    files: Annotated[list[Path], typer.Argument(help="Hash lists: CSV/TSV with signal_type,signal_value[,tags] "
                                                "(pdq, text_minhash, text), or one PDQ hex per line.", show_default=False)],
    bank: BankOption = Path("hydrawatch-bank.tsv"),
) -> None:
    """Add hash lists to the bank. Raw text rows are hashed on import (MinHash); the text is not kept."""
    from hydrawatch.signals.banks import Bank, read_hash_list

    try:
        known = Bank.load(bank)
        for path in files:
            entries, problems = read_hash_list(path, known.hasher)
            added = known.add(entries)
            err.print(f"{path}: {len(entries):,} entries read, {added:,} new, {len(problems):,} bad", highlight=False)
            for problem in problems[:5]:
                err.print(f"  [yellow]bad line[/yellow] {problem}", highlight=False)
        known.save(bank)
    except (HydrawatchError, OSError) as exc:
        raise _fail(exc) from exc
    counts = known.counts()
    err.print(f"{bank}: {counts['pdq']:,} PDQ hashes, {counts['text_minhash']:,} text signatures", highlight=False)


@banks_app.command("match")
def banks_match(
    db: DbOption = None,
    bank: BankOption = Path("hydrawatch-bank.tsv"),
    review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
    text_threshold: Annotated[float, typer.Option(help="Estimated Jaccard similarity of 5-letter shingles from which a post matches.")] = 0.8,
    pdq_threshold: Annotated[int, typer.Option(help="PDQ Hamming distance (of 256 bits) up to which a picture matches.")] = 31,
    no_cases: NoCasesOption = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Match every post's text and every hashed picture (`hydrawatch avatars`) of the store
    against the bank; report matches as evidence and add known-content cases to the review queue."""
    from hydrawatch.post_signals import bank_matches, known_content_cases
    from hydrawatch.signals.banks import Bank

    if not 0.0 < text_threshold <= 1.0 or not 0 <= pdq_threshold <= 256:
        raise _fail(ValueError("--text-threshold is in (0, 1] and --pdq-threshold in 0..256"), 2)
    try:
        known = Bank.load(bank)
        if not known.entries:
            raise _fail(ValueError(f"{bank} has no entries; add hash lists with: hydrawatch banks import FILE"))
        with _store(db) as store:
            matches = list(bank_matches(store.con, known, text_threshold, pdq_threshold))
    except (HydrawatchError, OSError) as exc:
        raise _fail(exc) from exc
    rows = [{"platform": m.platform, "account_id": m.account_id, "username": m.username, "item": m.item, "kind": m.item_kind,
             "signal": m.signal_type, "similarity": round(m.similarity, 3), "distance": m.distance, "tags": m.tags,
             "bank_source": m.bank_source} for m in matches]
    columns = ["username", "account_id", "kind", "item", "signal", "similarity", "distance", "tags"]
    emit_rows(rows, columns if fmt is OutputFormat.table else ["platform", *columns, "bank_source"], fmt, title="known-content matches")
    err.print(f"{len(matches):,} matches from {len({(m.platform, m.account_id) for m in matches}):,} accounts", highlight=False)
    if not no_cases and matches:
        _upsert(review_db, *known_content_cases(iter(matches)))


@banks_app.command("list")
def banks_list(bank: BankOption = Path("hydrawatch-bank.tsv"), fmt: FormatOption = OutputFormat.table) -> None:
    """What the bank holds, by signal type and source file."""
    from collections import Counter

    from hydrawatch.signals.banks import Bank

    try:
        known = Bank.load(bank)
    except (HydrawatchError, OSError) as exc:
        raise _fail(exc) from exc
    counts = Counter((e.signal_type, e.source) for e in known.entries)
    emit_rows([{"signal": t, "source": s, "entries": n} for (t, s), n in sorted(counts.items())], ["signal", "source", "entries"], fmt, title=str(bank))


def register(app: typer.Typer) -> None:
    @app.command()
    def promotions(
        db: DbOption = None,
        threshold: Annotated[float | None, typer.Option(help="Cue score from which a post is a promotion (default 2.5).", show_default=False)] = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Posts that announce or promote a (new) account ("shoutouts"), with the promoted
        handle(s) and the cues found. A post that names no account promotes its author."""
        from hydrawatch.post_signals import promotion_rows, store_posts

        columns = ["username", "post_id", "promoted", "self_announcement", "score", "cues"]
        try:
            with _store(db) as store:
                rows = [{**row, "promoted": _cell_list(row["promoted"], fmt), "cues": _cell_list(row["cues"], fmt)}
                        for row in promotion_rows(store_posts(store.con, include_reposts=False), threshold)]
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        emit_rows(rows, columns if fmt is OutputFormat.table else ["platform", "account_id", *columns, "created_at", "version"], fmt, title="promotions")
        err.print(f"{len(rows):,} promotion posts", highlight=False)

    @app.command()
    def threats(
        db: DbOption = None,
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
        threshold: Annotated[float | None, typer.Option(help="Rule score from which a post is a threat (default 0.6).", show_default=False)] = None,
        no_cases: NoCasesOption = False,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Posts threatening platform staff or named people. Each account that posted one gets
        a `threat` case, which the review queue puts above every other type."""
        from hydrawatch.post_signals import threat_cases, store_posts

        try:
            with _store(db) as store:
                cases, labels, summaries = threat_cases(store_posts(store.con), threshold)
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        rows = [{"account": labels.get(c.subject_account_id, c.subject_account_id), "platform": c.subject_platform,
                 "account_id": c.subject_account_id, "score": c.probability,
                 "evidence": _cell_list([e.description for e in c.evidence], fmt)} for c in cases]
        emit_rows(rows, ["account", "score", "evidence"] if fmt is OutputFormat.table else ["platform", "account_id", "account", "score", "evidence"],
                  fmt, title="threats")
        err.print(f"{len(cases):,} accounts posted threats", highlight=False)
        if not no_cases and cases:
            _upsert(review_db, cases, labels, summaries)

    app.add_typer(banks_app, name="banks")
