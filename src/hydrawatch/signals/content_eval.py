"""Held-out measurement of the content classifier on the real data sets, split by account.

Every fold holds out whole *groups* (accounts; accounts sharing a display name; blocks of rows
for the sets without author ids, see :mod:`.content_data`) with scikit-learn's
``StratifiedGroupKFold``, after near-duplicate removal, so no account and no copy of a text is on
both sides. Each seed shuffles the groups differently; the report gives the mean and standard
deviation over all folds of all seeds, and false-positive counts pooled over the folds of each
seed (every post is held out once per seed) so that small labels (66 violence posts) are not
reduced to a percentage of a dozen.

Skipped posts (nothing to classify after cleaning: only links, mentions, emoji) count as *not
flagged*: a missed positive and a correct negative, as in use. Metrics:

* ``macro_f1``: mean of the F1 of both classes at the model's threshold;
* ``fpr``: share of negatives flagged, per set, per data-set label (OSACT ``OFF``, ``HS1``..``HS6``,
  ``VIO``, ``VLG``; L-HSAB ``normal``/``abusive``/``hate``; IRA ``original``/``retweet``/``quote``)
  and ``osact_hate_or_violence`` (any ``HS*`` or ``VIO``): hateful or violent is not extremist;
* ``recall`` of positives, overall, by script (the positives are mostly English; Arabic
  positives are few and deserve their own number) and by kind of post (:func:`post_kinds`:
  retweet, reply, original, short);
* ``threshold``: the one each fold's model chose on its own training accounts (see
  :class:`~.content.ContentClassifier`); never on the test fold;
* ``roc_auc`` and ``average_precision`` of the probabilities;
* ``brier`` score, and reliability bins pooled over folds;
* ``thresholds``: the same pooled numbers at other thresholds, to choose one knowingly;
* every metric above also *in context* (keys ``in_context:...``): each held-out post scored
  with its author's other held-out posts
  (:meth:`~.content.ContentClassifier.predict_proba_in_context`; the author's posts are all on
  the test side, since folds hold whole accounts). Only the pro-IS and IRA posts have real
  authors; OSACT and L-HSAB posts are scored alone in both views, so their false-positive rates
  are the same in both. ``context_posts`` limits each held-out post's context to that many of
  its author's other posts, drawn at random: how the classifier does on accounts with few
  posts (a new account) rather than on the data sets' accounts with about a hundred;
* ``accounts``: a *secondary* view for the sets with real accounts (pro-IS groups and IRA
  authors): an account counts as flagged when the mean probability of its held-out scored posts
  reaches the threshold. Posts of support accounts are often ordinary (news, greetings), so a
  post-level score is noisy while an account's posts together are not; this is what an
  account-level detector built on this signal can expect. OSACT and L-HSAB blocks are not
  accounts and are left out of it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from hydrawatch.core.text import script_of

from .content import ContentClassifier, sample_contexts
from .content_data import DatasetFile, DedupReport, LabelledPosts

log = logging.getLogger(__name__)

HARD_LABEL = "osact_hate_or_violence"


@dataclass
class ContentEvalReport:
    folds: int
    seeds: list[int]
    per_fold: list[dict] = field(default_factory=list)
    pooled: list[dict] = field(default_factory=list)  # one per seed
    thresholds: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)  # one per seed
    reliability: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Mean and sd over folds of every metric; pooled false positives per seed."""
        keys = [k for k, v in self.per_fold[0].items() if isinstance(v, float)]
        out: dict = {}
        for key in keys:
            values = np.array([fold[key] for fold in self.per_fold if not np.isnan(fold[key])])
            if len(values) == 0:  # no fold had such posts (e.g. no Arabic positives)
                continue
            out[key] = {"mean": round(float(values.mean()), 4), "sd": round(float(values.std(ddof=1)), 4) if len(values) > 1 else 0.0}
        return out

    def as_dict(self) -> dict:
        return {
            "folds": self.folds,
            "seeds": self.seeds,
            "summary": self.summary(),
            "pooled_false_positives": self.pooled,
            "thresholds": self.thresholds,
            "accounts": self.accounts,
            "reliability": self.reliability,
            "data": self.data,
            "params": self.params,
            "per_fold": self.per_fold,
        }


def _rate(flags: np.ndarray, mask: np.ndarray) -> float:
    n = int(mask.sum())
    return float(flags[mask].mean()) if n else float("nan")


def label_masks(posts: LabelledPosts) -> dict[str, np.ndarray]:
    """Boolean masks of the negative subsets the report gives false-positive rates for."""
    sets = np.asarray(posts.sets)
    y = posts.y
    masks: dict[str, np.ndarray] = {"all_negatives": y == 0}
    for name in dict.fromkeys(posts.sets):
        if name != "isis-fanboy":
            masks[name] = sets == name
    tags = sorted({(s, t) for s, ts in zip(posts.sets, posts.tags) for t in ts if s != "isis-fanboy"})
    for set_name, tag in tags:
        masks[f"{set_name}:{tag}"] = np.array([s == set_name and tag in ts for s, ts in zip(posts.sets, posts.tags)])
    masks[HARD_LABEL] = np.array(
        [s == "osact" and any(t.startswith("HS") or t == "VIO" for t in ts) for s, ts in zip(posts.sets, posts.tags)]
    )
    return masks


_RETWEET_START = re.compile(r"\s*RT\s*@", re.IGNORECASE)


def post_kinds(texts: Sequence[str], clean_texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Masks of the kinds of post the report gives positive recall for: retweets (``RT @``),
    replies (starting with a mention), originals, and posts of at most three words after
    cleaning (greetings, "thanks brother": the posts that carry the least signal)."""
    retweet = np.array([bool(_RETWEET_START.match(t or "")) for t in texts], dtype=bool)
    reply = np.array([(t or "").lstrip().startswith("@") for t in texts], dtype=bool) & ~retweet
    short = np.array([0 < len(c.split()) <= 3 if c else False for c in clean_texts], dtype=bool)
    return {"retweet": retweet, "reply": reply, "original": ~retweet & ~reply, "short": short}


def evaluate(posts: LabelledPosts, clean_texts: Sequence[str], make_classifier: Callable[[int], ContentClassifier],
             folds: int = 5, seeds: Sequence[int] = (1, 2, 3), progress: Callable[[str], None] | None = None,
             context_posts: int | None = None) -> ContentEvalReport:
    """Grouped, stratified k-fold over ``seeds``. ``make_classifier(seed)`` returns an unfitted
    classifier; vectors are computed once (hashing is stateless, so this is not a leak)."""
    y = posts.y
    groups = np.asarray(posts.groups)
    authors = np.asarray(posts.authors, dtype=object)
    vectorizer = make_classifier(0)
    X = vectorizer.vectorize(list(clean_texts))
    scripts = np.array([script_of(t) for t in clean_texts])
    kinds = post_kinds(posts.texts, clean_texts)
    masks = label_masks(posts)
    positives = y == 1
    report = ContentEvalReport(folds=folds, seeds=list(seeds))
    bins = np.linspace(0.0, 1.0, 11)
    reliability_sum = np.zeros((len(bins) - 1, 3))  # posts, sum of p, positives
    out_of_fold = []
    threshold = float("nan")
    for seed in seeds:
        flags_all = np.zeros(len(y), dtype=bool)
        flags_context_all = np.zeros(len(y), dtype=bool)
        p_all = np.full(len(y), np.nan)
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(splitter.split(X, y, groups)):
            if progress:
                progress(f"seed {seed}, fold {fold + 1}/{folds}")
            model = make_classifier(seed).fit_vectors(X[train], y[train], groups[train], list(authors[train]))
            if context_posts is None:
                in_context = model.predict_proba_in_context(X[test], list(authors[test]))
            else:
                log_odds = model.log_odds_vectors(X[test])
                mean, count = sample_contexts(log_odds, list(authors[test]), np.random.default_rng([seed, fold]), (context_posts,))
                in_context = model.combine(log_odds, mean, count)
            p = in_context.post_probability
            scored = ~np.isnan(p)
            flags = _flags(p, model.decision_threshold)
            flags_all[test] = flags
            flags_context_all[test] = in_context.flagged
            p_all[test] = p
            threshold = model.decision_threshold
            y_test = y[test]
            row: dict = {"seed": seed, "fold": fold, "threshold": threshold, "test_posts": int(len(test)), "test_positive": int(y_test.sum()),
                         "test_groups": int(len(np.unique(groups[test]))), "skipped": int((~scored).sum()),
                         "in_context_threshold": model.context_threshold if model.has_context else None,
                         "in_context_posts": int(in_context.in_context.sum())}
            for prefix, probability, flagged in (("", p, flags), ("in_context:", in_context.probability, in_context.flagged)):
                metrics = _fold_metrics(y_test, probability, flagged, scripts[test], {k: m[test] for k, m in kinds.items()},
                                        {k: m[test] for k, m in masks.items()})
                row.update({prefix + key: value for key, value in metrics.items()})
            report.per_fold.append(row)
            which = np.clip(np.digitize(p[scored], bins) - 1, 0, len(bins) - 2)
            np.add.at(reliability_sum, (which, 0), 1)
            np.add.at(reliability_sum, (which, 1), p[scored])
            np.add.at(reliability_sum, (which, 2), y_test[scored])
        pooled = {"seed": seed}
        for name, mask in [*masks.items(), ("positives", positives)]:
            pooled[name] = {"flagged": int(flags_all[mask].sum()), "flagged_in_context": int(flags_context_all[mask].sum()),
                            "posts": int(mask.sum())}
        report.pooled.append(pooled)
        out_of_fold.append(p_all)
        report.accounts.append({"seed": seed, **_account_view(posts, p_all, threshold)})
    report.thresholds = _threshold_sweep(y, out_of_fold, masks, scripts)
    for i in range(len(bins) - 1):
        n, p_sum, pos = reliability_sum[i]
        if n:
            report.reliability.append({"bin": f"{bins[i]:.1f}-{bins[i + 1]:.1f}", "posts": int(n),
                                       "predicted": round(p_sum / n, 4), "observed": round(pos / n, 4)})
    return report


def _fold_metrics(y: np.ndarray, p: np.ndarray, flags: np.ndarray, scripts: np.ndarray, kinds: dict[str, np.ndarray],
                  masks: dict[str, np.ndarray]) -> dict[str, float]:
    """One fold's metrics of probabilities ``p`` (NaN: skipped) and their ``flags``."""
    scored = ~np.isnan(p)
    p_filled = np.where(scored, p, 0.0)
    positives = y == 1
    row = {
        "macro_f1": float(f1_score(y, flags, average="macro")),
        "macro_f1_scored_only": float(f1_score(y[scored], flags[scored], average="macro")),
        "roc_auc": float(roc_auc_score(y, p_filled)),
        "average_precision": float(average_precision_score(y, p_filled)),
        "brier": float(np.mean((p_filled[scored] - y[scored]) ** 2)),
        "recall": _rate(flags, positives),
    }
    for script in ("latin", "arabic"):
        row[f"recall:{script}"] = _rate(flags, positives & (scripts == script))
    for kind, mask in kinds.items():
        row[f"recall:{kind}"] = _rate(flags, positives & mask)
    for name, mask in masks.items():
        row[f"fpr:{name}"] = _rate(flags, mask)
    return row


def _flags(p: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(np.isnan(p), False, np.nan_to_num(p) >= threshold)


def _threshold_sweep(y: np.ndarray, out_of_fold: list[np.ndarray], masks: dict[str, np.ndarray],
                     scripts: np.ndarray, thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[dict]:
    """Pooled out-of-fold numbers at several thresholds, mean over seeds."""
    rows = []
    for threshold in thresholds:
        per_seed = []
        for p in out_of_fold:
            flags = _flags(p, threshold)
            row = {
                "macro_f1": float(f1_score(y, flags, average="macro")),
                "recall": float(flags[y == 1].mean()),
                "recall:arabic": _rate(flags, (y == 1) & (scripts == "arabic")),
            }
            for name in (HARD_LABEL, "osact", "lhsab", "ira"):
                if name in masks:
                    row[f"fpr:{name}"] = _rate(flags, masks[name])
            per_seed.append(row)
        rows.append({"threshold": threshold, **{k: round(float(np.mean([r[k] for r in per_seed])), 4) for k in per_seed[0]}})
    return rows


def _account_view(posts: LabelledPosts, p: np.ndarray, threshold: float) -> dict:
    """Accounts flagged by the mean probability of their scored held-out posts (real accounts only)."""
    by_group: dict[tuple[str, str], list[float]] = {}
    for group, set_name, value in zip(posts.groups, posts.sets, p):
        if set_name in ("isis-fanboy", "ira") and not np.isnan(value):
            by_group.setdefault((set_name, group), []).append(float(value))
    positive = [bool(np.mean(v) >= threshold) for (s, _), v in by_group.items() if s == "isis-fanboy"]
    negative = [bool(np.mean(v) >= threshold) for (s, _), v in by_group.items() if s == "ira"]
    truth = [1] * len(positive) + [0] * len(negative)
    both = bool(positive) and bool(negative)
    return {
        "positive_accounts": len(positive), "positive_accounts_flagged": int(sum(positive)),
        "ira_accounts": len(negative), "ira_accounts_flagged": int(sum(negative)),
        "macro_f1": round(float(f1_score(truth, positive + negative, average="macro")), 4) if both else None,
    }


def describe_data(files: Sequence[DatasetFile], dedup: DedupReport, posts: LabelledPosts) -> dict:
    """What a model was trained or measured on, without any text: files, digests, counts."""
    return {
        "files": [{"set": f.set_name, "file": f.path.rsplit("/", 2)[-2] + "/" + f.path.rsplit("/", 1)[-1],
                   "sha256": f.sha256, "rows": f.rows, "bad_rows": f.problems} for f in files],
        "deduplication": dedup.as_dict(),
        "after_deduplication": posts.counts(),
        "labels": {"1": "posts of pro-IS accounts (isis-fanboy)", "0": "osact, lhsab, ira"},
    }


def evaluate_real_data(data_dir=None, folds: int = 5, seeds: Sequence[int] = (1, 2, 3),
                       make_classifier: Callable[[int], ContentClassifier] | None = None,
                       progress: Callable[[str], None] | None = None, context_posts: int | None = None) -> ContentEvalReport:
    """:func:`evaluate` on the four real data sets in ``data_dir`` (default ../shared/data)."""
    from .content_data import prepared_posts

    make_classifier = make_classifier or (lambda seed: ContentClassifier(random_state=seed))
    template = make_classifier(0)
    posts, clean_texts, files, dedup = prepared_posts(data_dir, template.features.max_chars)
    report = evaluate(posts, clean_texts, make_classifier, folds=folds, seeds=seeds, progress=progress, context_posts=context_posts)
    report.data = describe_data(files, dedup, posts)
    report.params = {
        "features": {k: getattr(template.features, k) for k in template.features.__dataclass_fields__},
        **{k: getattr(template, k) for k in ("alpha", "epochs", "class_weight", "calibration_folds", "threshold", "context_prior")},
        "context_posts": context_posts,
    }
    return report
