"""`hydrawatch classify`, `train content`, `eval content`: the content classifier."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from hydrawatch.core.errors import HydrawatchError

from .options import DbOption, FormatOption
from .output import OutputFormat, emit_object, emit_rows, err

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Folder with isis-fanboy/, osact5-arabic-hate/, lhsab-levantine-hate/, "
                 "ira-english-2016-10/ (default: ../shared/data next to the repository).", show_default=False),
]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="A model written by `hydrawatch train content` (either of its two files, or "
                 "the path without suffix). Default: the one shipped in the package.", show_default=False),
]

CLASSIFY_COLUMNS = ["post_id", "account_id", "probability", "flagged", "skipped", "evidence", "post_probability", "author_posts",
                    "model_version", "threshold"]
#: Posts read and scored at a time when streaming from a store or file.
CHUNK = 10_000
#: Bad JSONL lines listed on stderr (the rest are counted).
SHOW_PROBLEMS = 5


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError as exc:
        raise typer.BadParameter("seeds are comma-separated integers, e.g. 1,2,3") from exc


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(code)


def register(app: typer.Typer, train_app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command(
        epilog="Input: --text, JSONL files (one object per line with a `text` field, optional `id`/`post_id` "
        "and `account_id`/`author_id`; `-` reads stdin), or every post of the store (--db). Bad lines are "
        "reported by line number and skipped.",
    )
    def classify(
        files: Annotated[list[Path] | None, typer.Argument(help="JSONL files of posts (`-` for stdin).", show_default=False)] = None,
        text: Annotated[list[str] | None, typer.Option("--text", help="A post to classify (repeatable).", show_default=False)] = None,
        db: DbOption = None,
        model: ModelOption = None,
        threshold: Annotated[float | None, typer.Option(help="Flag from this probability (default: the model's).", show_default=False)] = None,
        flagged_only: Annotated[bool, typer.Option("--flagged-only", help="Print flagged posts only.")] = False,
        evidence: Annotated[int, typer.Option(help="Words listed as evidence per post.")] = 3,
        explain_all: Annotated[bool, typer.Option("--explain-all", help="Evidence for every scored post, not only flagged ones (slower).")] = False,
        context: Annotated[bool, typer.Option("--context/--no-context", help="Score each post in context of its author's other "
                                              "posts in the input (two passes over it); --no-context scores every post alone.")] = True,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Score posts as propaganda/support content (Arabic, English, mixed), with the words
        behind each score. A probability is a reason for a person to look, never a verdict.

        Posts with a known author (the store's posts; JSONL lines with `account_id`) are scored
        in context of that author's other posts: most posts of a support account are ordinary,
        and one post alone says little. `post_probability` is the post alone; the evidence says
        how much the author's other posts moved the score."""
        from hydrawatch.signals.content import ContentClassifier, load_default_classifier

        try:
            classifier = ContentClassifier.load(model) if model else load_default_classifier()
        except (HydrawatchError, OSError) as exc:
            raise _fail(exc) from exc
        if threshold is not None:
            if not 0.0 <= threshold <= 1.0:
                raise _fail(ValueError(f"--threshold is a probability between 0 and 1, not {threshold}"), 2)
            classifier.threshold = threshold
        counts = {"posts": 0, "flagged": 0, "skipped": 0, "in_context": 0}
        problems: list[str] = []
        use_context = context and classifier.has_context and not text
        spooled = _Spooled() if use_context and files and any(str(f) == "-" for f in files) else None
        inputs = _inputs(files, spooled)

        def rows() -> Iterator[dict]:
            totals: dict[str, tuple[float, int]] | None = None
            first_pass: list = []  # each batch's log-odds, so the second pass does not hash again
            if use_context:
                from hydrawatch.signals.content import author_totals

                totals = {}
                with err.status("first pass: scoring every post to learn each author's typical score ..."):
                    for batch in _batches(inputs, text, db, []):  # bad lines are reported by the second pass
                        first_pass.append(classifier.log_odds([t for _, _, t, _ in batch]))
                        author_totals(first_pass[-1], [a for *_, a in batch], into=totals)
            for number, batch in enumerate(_batches(inputs, text, db, problems)):
                scores = classifier.score([t for _, _, t, _ in batch], explain=True if explain_all else "flagged", evidence_terms=evidence,
                                          authors=[a for *_, a in batch] if use_context else None, totals=totals,
                                          log_odds=first_pass[number] if use_context else None)
                for (post_id, account_id, _, _), score in zip(batch, scores):
                    counts["posts"] += 1
                    counts["flagged"] += score.flagged
                    counts["skipped"] += score.skipped is not None
                    counts["in_context"] += score.author_posts > 0
                    if flagged_only and not score.flagged:
                        continue
                    described = [e.description for e in score.evidence]
                    yield {
                        "post_id": post_id,
                        "account_id": account_id,
                        "probability": None if score.probability is None else round(score.probability, 4),
                        "flagged": score.flagged,
                        "skipped": score.skipped,
                        "evidence": "; ".join(described) if fmt in (OutputFormat.table, OutputFormat.csv) else described,
                        "post_probability": None if score.post_probability is None else round(score.post_probability, 4),
                        "author_posts": score.author_posts,
                        "model_version": score.model_version,
                        "threshold": score.threshold,
                    }

        columns = CLASSIFY_COLUMNS if fmt is not OutputFormat.table else ["post_id", "account_id", "probability", "flagged", "skipped", "evidence"]
        try:
            emit_rows(rows(), columns, fmt, title=f"content ({classifier.version_}, threshold {classifier.decision_threshold:g})")
        except (HydrawatchError, OSError) as exc:
            raise _fail(exc) from exc
        finally:
            if spooled:
                spooled.close()
        for problem in problems[:SHOW_PROBLEMS]:
            err.print(f"[yellow]bad line[/yellow] {problem}", highlight=False, soft_wrap=True)
        if len(problems) > SHOW_PROBLEMS:
            err.print(f"  ... and {len(problems) - SHOW_PROBLEMS:,} more bad lines")
        threshold_note = f"{classifier.decision_threshold:g}"
        if counts["in_context"]:
            threshold_note += f" ({classifier.context_threshold:g} in context)"
        err.print(f"{counts['posts']:,} posts: {counts['flagged']:,} flagged at {threshold_note}, "
                  f"{counts['skipped']:,} skipped (nothing to classify), {counts['in_context']:,} scored in context of their author's "
                  "other posts", highlight=False)
        if context and not classifier.has_context:
            err.print("this model has no context stage (trained without authors): every post was scored alone; "
                      "retrain with `hydrawatch train content`", highlight=False)

    @train_app.command("content")
    def train_content(
        data: DataOption = None,
        out: Annotated[Path | None, typer.Option("--out", help="Where to write the model (PATH.npz + PATH.json). "
                                                 "Default: the package's signals/models/content-ngram.", show_default=False)] = None,
        seed: Annotated[int, typer.Option(help="Random seed of the SGD passes.")] = 0,
    ) -> None:
        """Train the content classifier on the real data sets (pro-IS tweets against Arabic
        offensive/hate speech, Levantine political tweets and English troll tweets), after
        removing near-duplicates. The model files hold weights and counts, never training text."""
        from hydrawatch.signals.content import ContentClassifier, default_model_path
        from hydrawatch.signals.content_data import train_on_real_data

        target = out or default_model_path()
        try:
            with err.status("reading, cleaning and de-duplicating the data sets, then fitting ..."):
                classifier = train_on_real_data(data, ContentClassifier(random_state=seed))
            weights, meta = classifier.save(target)
        except (HydrawatchError, OSError) as exc:
            raise _fail(exc) from exc
        counts = classifier.trained_on_["after_deduplication"]
        rows = [{"set": name, **c} for name, c in counts.items()]
        emit_rows(rows, ["set", "posts", "groups"], OutputFormat.table, title="trained on (after de-duplication)")
        size = weights.stat().st_size + meta.stat().st_size
        err.print(f"{classifier.version_}: {classifier.n_train_posts_:,} posts ({classifier.n_train_positive_:,} positive) "
                  f"-> {weights} + {meta.name} ({size / 1e6:.2f} MB)", highlight=False)
        err.print("measure it on held-out accounts: hydrawatch eval content")

    @eval_app.command("content")
    def eval_content(
        data: DataOption = None,
        folds: Annotated[int, typer.Option(help="Folds of the grouped (by account) split.")] = 5,
        seeds: Annotated[str, typer.Option(help="Comma-separated seeds; each reshuffles the accounts into folds.")] = "1,2,3",
        threshold: Annotated[float | None, typer.Option(help="Flag from this probability (default: the one each fold's classifier chooses on its own training accounts).", show_default=False)] = None,
        context_posts: Annotated[int | None, typer.Option("--context-posts", help="Score each held-out post in context of at most this many "
                                                          "of its author's other posts (random): accounts with few posts. Default: all.",
                                                          show_default=False, min=1)] = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Held-out metrics of the content classifier, split by account (never by post) after
        near-duplicate removal: macro-F1, recall by script, false-positive rate per negative set
        and per data-set label (hate, violence, offensive ...), calibration, thresholds."""
        from hydrawatch.signals.content import ContentClassifier
        from hydrawatch.signals.content_eval import HARD_LABEL, evaluate_real_data

        seed_list = _seeds(seeds)
        if folds < 2:
            raise _fail(ValueError("--folds must be at least 2"), 2)
        params = {} if threshold is None else {"threshold": threshold}
        try:
            with err.status("evaluating ...") as status:
                report = evaluate_real_data(data, folds, seed_list, lambda seed: ContentClassifier(random_state=seed, **params),
                                            progress=lambda message: status.update(f"evaluating: {message}"), context_posts=context_posts)
        except HydrawatchError as exc:
            raise _fail(exc) from exc
        if fmt is not OutputFormat.table:
            emit_object(report.as_dict(), OutputFormat.json if fmt is OutputFormat.csv else fmt)
            return
        summary = report.summary()
        first = ["macro_f1", "macro_f1_scored_only", "recall", "recall:latin", "recall:arabic", f"fpr:{HARD_LABEL}",
                 "fpr:all_negatives", "fpr:osact", "fpr:lhsab", "fpr:ira", "roc_auc", "average_precision", "brier"]
        plain = [k for k in summary if not k.startswith("in_context")]
        order = first + sorted(k for k in plain if k not in first)
        metric_rows = []
        for k in order:
            if k not in summary:
                continue
            context = summary.get(f"in_context:{k}")
            metric_rows.append({"metric": k, "post alone": summary[k]["mean"], "sd": summary[k]["sd"],
                                "in context": None if context is None else context["mean"], "sd ": None if context is None else context["sd"]})
        emit_rows(metric_rows, ["metric", "post alone", "sd", "in context", "sd "], fmt,
                  title=f"held-out accounts: {folds} folds x {len(seed_list)} seeds (mean, sd over folds); "
                  "in context: scored with " + (f"at most {context_posts} of " if context_posts else "") +
                  "the author's other held-out posts (pro-IS and IRA posts; OSACT and L-HSAB have no authors)")
        pooled_rows = []
        for name in report.pooled[0]:
            if name == "seed":
                continue
            flagged = sum(p[name]["flagged"] for p in report.pooled)
            in_context = sum(p[name]["flagged_in_context"] for p in report.pooled)
            posts = sum(p[name]["posts"] for p in report.pooled)
            pooled_rows.append({"posts": name, "held out": posts, "flagged": flagged, "rate": round(flagged / posts, 4) if posts else None,
                                "in context": in_context, "rate ": round(in_context / posts, 4) if posts else None})
        emit_rows(pooled_rows, ["posts", "held out", "flagged", "rate", "in context", "rate "], fmt,
                  title="flagged, pooled over folds and seeds (each post held out once per seed): alone, in context")
        emit_rows(report.thresholds, list(report.thresholds[0]), fmt, title="other thresholds (pooled, mean over seeds)")
        emit_rows(report.accounts, list(report.accounts[0]), fmt, title="accounts (mean probability of held-out posts; real accounts only)")
        dedup = report.data["deduplication"]
        err.print(f"near-duplicates removed: {dedup['posts_before']} -> {dedup['posts_after']}; "
                  f"{dedup['clusters_with_both_labels']} texts occur with both labels", highlight=False)


class _Spooled:
    """Standard input copied to a temporary file, so that it can be read twice (first pass:
    each author's typical score; second pass: the scores)."""

    def __init__(self) -> None:
        import tempfile

        with tempfile.NamedTemporaryFile(prefix="hydrawatch-stdin-", suffix=".jsonl", delete=False) as out:
            for chunk in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
                out.write(chunk)
        self.path = Path(out.name)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def _inputs(files: list[Path] | None, spooled: _Spooled | None) -> list[tuple[Path, str]] | None:
    """(file to read, name in reports) for each input; `-` is stdin, or its spooled copy."""
    if not files:
        return None
    return [((spooled.path if spooled else path), "<stdin>") if str(path) == "-" else (path, str(path)) for path in files]


def _batches(files: list[tuple[Path, str]] | None, texts: list[str] | None, db: Path | None, problems: list[str]) -> Iterator[list[tuple]]:
    """(post_id, account_id, text, author) in chunks, from --text, JSONL files/stdin, or the
    store. ``author`` keys the account across platforms (None: unknown)."""
    if texts:
        yield [(f"text-{i + 1}", None, t, None) for i, t in enumerate(texts)]
        return
    if files:
        for path, name in files:
            yield from _jsonl_batches(path, name, problems)
        return
    from hydrawatch.store.duck import Store

    with Store(db, read_only=True) as store:
        cursor = store.con.execute("SELECT post_id, account_id, text, platform || ':' || account_id FROM posts ORDER BY platform, post_id")
        while batch := cursor.fetchmany(CHUNK):
            yield batch


def _jsonl_batches(path: Path, name: str, problems: list[str]) -> Iterator[list[tuple]]:
    import orjson

    stream = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    try:
        batch: list[tuple] = []
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                problems.append(f"{name}:{line_number}: not JSON")
                continue
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                problems.append(f"{name}:{line_number}: no string `text` field")
                continue
            post_id = record.get("post_id", record.get("id", f"{name}:{line_number}"))
            account_id = record.get("account_id", record.get("author_id"))
            account = None if account_id is None else str(account_id)
            batch.append((str(post_id), account, record["text"], account))
            if len(batch) >= CHUNK:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
