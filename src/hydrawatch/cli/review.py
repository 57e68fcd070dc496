"""`hydrawatch cases`, `hydrawatch decide`, `hydrawatch audit`: the review queue from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import FormatOption, ReviewDbOption
from .output import OutputFormat, emit_rows, err


def register(app: typer.Typer) -> None:
    @app.command()
    def cases(
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
        state: Annotated[str, typer.Option(help="open, confirmed, dismissed, escalated, or all.")] = "open",
        case_type: Annotated[str | None, typer.Option("--type", help="returnee, network_account, known_content, threat, private_flip, mass_rename.")] = None,
        limit: Annotated[int, typer.Option(help="At most this many cases.")] = 50,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """The review queue, highest priority first (threats to staff on top)."""
        from hydrawatch.review import ReviewStore

        with ReviewStore(review_db) as review:
            found = review.queue(None if state == "all" else state, case_type, limit=limit)
        rows = [
            {"case": c.case_id, "type": c.case_type, "state": c.state, "priority": round(c.priority, 3),
             "probability": round(c.probability, 3), "summary": c.summary or c.subject_label, "evidence": [e["description"] for e in c.evidence]}
            for c in found
        ]
        columns = ["case", "type", "state", "priority", "probability", "summary"]
        emit_rows(rows, columns if fmt is OutputFormat.table else [*columns, "evidence"], fmt, title="cases")

    @app.command()
    def decide(
        case_id: Annotated[str, typer.Argument(help="The case to decide (see `hydrawatch cases`).")],
        action: Annotated[str, typer.Option(help="confirm, dismiss, escalate or reopen.")],
        actor: Annotated[str, typer.Option("--as", help="Who decides (recorded in the audit log).")],
        reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")] = "",
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
    ) -> None:
        """Record a decision on a case. Nothing is suspended by hydrawatch: the decision is a
        record for your platform's own process, and a label for retraining."""
        from hydrawatch.review import ReviewError, ReviewStore

        try:
            with ReviewStore(review_db) as review:
                case = review.decide(case_id, actor, action, reason)
        except ReviewError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        err.print(f"{case.case_id}: {case.state} (by {actor})")

    @app.command()
    def audit(
        review_db: ReviewDbOption = Path("hydrawatch-review.sqlite"),
        limit: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 50,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """The append-only audit log (who did what, when, why) and whether its hash chain holds."""
        from hydrawatch.review import ReviewStore

        with ReviewStore(review_db) as review:
            entries = review.audit_entries(limit)
            intact = review.verify_audit_chain()
        emit_rows([{**e, "details": str(e["details"])} for e in entries], ["seq", "at", "actor", "action", "object", "details"], fmt, title="audit log")
        err.print("hash chain intact" if intact else "[red]hash chain broken: the log was altered outside hydrawatch[/red]")
