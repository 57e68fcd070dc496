"""Content classifier throughput on one core, beside a plain scikit-learn pipeline and a keyword list.

    python benchmarks/content_throughput.py [--posts 100000] [--quick]

Posts: the real mix of ../shared/data (pro-IS, OSACT, L-HSAB, IRA tweets, in a fixed shuffled
order, repeated up to --posts), or synthetic sentences when the data are absent. No post text is
printed. Every run is single-threaded (BLAS/OpenMP pinned to one thread, ``n_jobs=1``) and timed
by *process CPU time*, so the numbers are per core even on a busy machine; wall time is shown too.

* hydrawatch: ``ContentClassifier.predict_proba`` on raw posts (cleaning, Arabic/Unicode
  normalisation, batched numpy n-gram hashing, sparse dot product, calibration);
* hydrawatch with evidence: ``score(explain="flagged")``, what ``hydrawatch classify --no-context`` does;
* hydrawatch in context: each post scored with its author's other posts, as ``hydrawatch
  classify`` does by default: one pass hashes every post and sums each author's log-odds, a
  second turns the kept log-odds into in-context probabilities (the positive and IRA posts have
  authors; OSACT and L-HSAB posts are scored alone);
* reference: the same cleaning and the same model family as a plain scikit-learn pipeline
  (``HashingVectorizer`` char_wb 2-5 + word 1-2 -> ``SGDClassifier(log_loss)``), fitted on the
  same posts; this is what the classifier would cost without its own vectoriser;
* keyword baseline: one compiled regular expression of topic keywords (no model): the floor of
  what "fast" means, and its macro-F1 on the same posts for scale.

Prints posts/s and the ratio to the reference, writes benchmarks/results/content_throughput.json.
Target: at least 20,000 posts/s per core for hydrawatch.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET = 20_000

# Topic words, not phrases from any data set: a keyword filter a team might start with.
KEYWORDS = ["isis", "isil", "daesh", "caliphate", "khilafah", "dawla", "mujahid", "jihad", "baqiyah", "amaq",
            "داعش", "الدوله الاسلاميه", "الخلافه", "المجاهدين", "باقيه", "جهاد"]


def load_posts(limit: int, seed: int) -> tuple[list[str], np.ndarray, list[str | None], str]:
    from hydrawatch.core.errors import ConfigError
    from hydrawatch.signals.content_data import load_labelled_posts

    try:
        posts, _ = load_labelled_posts()
        order = list(range(len(posts)))
        random.Random(seed).shuffle(order)
        texts = [posts.texts[i] for i in order]
        labels = np.asarray([posts.labels[i] for i in order], dtype=np.int8)
        authors = [posts.authors[i] for i in order]
        source = "../shared/data (pro-IS, OSACT, L-HSAB, IRA)"
    except ConfigError:
        rng = random.Random(seed)
        words = "the news today people city report group new video follow army war peace market state".split()
        texts = [" ".join(rng.choices(words, k=rng.randint(5, 25))) for _ in range(20_000)]
        labels = np.asarray([rng.random() < 0.15 for _ in texts], dtype=np.int8)
        authors = [f"a{rng.randrange(500)}" for _ in texts]
        source = "synthetic sentences (../shared/data absent)"
    while len(texts) < limit:
        texts, labels, authors = texts + texts, np.concatenate([labels, labels]), authors + authors
    return texts[:limit], labels[:limit], authors[:limit], source


def timed(label: str, run, posts: int) -> dict:
    run(min(posts, 2000))  # warm-up: imports, lazy tables, power tables
    wall, cpu = time.perf_counter(), time.process_time()
    run(posts)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    return {"label": label, "posts": posts, "cpu_seconds": cpu, "wall_seconds": wall,
            "posts_per_cpu_second": posts / cpu, "posts_per_wall_second": posts / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000, help="posts classified per run")
    parser.add_argument("--train", type=int, default=30_000, help="posts the reference pipeline and the timed model are fitted on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20,000 posts, for a smoke run")
    args, _ = parser.parse_known_args()  # run_all.py passes its own arguments to every script
    n_posts = 20_000 if args.quick else args.posts

    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline, make_union

    from hydrawatch.signals.content import ContentClassifier, ModelFileError, author_totals, load_default_classifier
    from hydrawatch.signals.content_features import clean_post

    texts, labels, authors, source = load_posts(max(n_posts, args.train), args.seed)
    print(f"posts: {n_posts:,} from {source}; one core (CPU time)")
    train_texts, train_labels = texts[: args.train], labels[: args.train]
    groups = [str(i % 50) for i in range(len(train_texts))]
    try:
        model = load_default_classifier()
        model_source = f"shipped model {model.version_}"
    except ModelFileError:
        model = ContentClassifier().fit(train_texts, train_labels, groups)
        model_source = f"model fitted here on {len(train_texts):,} posts"
    print(f"hydrawatch: {model_source}")

    def clean_text(text: str) -> str:
        return clean_post(text).text

    reference = make_pipeline(
        make_union(
            HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**18, alternate_sign=False, preprocessor=clean_text),
            HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=2**18, alternate_sign=False, preprocessor=clean_text),
            n_jobs=1,
        ),
        SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=15, tol=None, class_weight="balanced", average=True, random_state=0),
    )
    reference.fit(train_texts, train_labels)
    keyword_re = re.compile("|".join(re.escape(k) for k in KEYWORDS))

    def keyword_flags(batch: list[str]) -> np.ndarray:
        return np.fromiter((keyword_re.search(clean_text(t)) is not None for t in batch), dtype=bool, count=len(batch))

    batch_size = 10_000

    def in_batches(fn):
        def run(count: int) -> None:
            for start in range(0, count, batch_size):
                fn(texts[start : min(start + batch_size, count)])
        return run

    def in_context(count: int) -> None:
        totals: dict[str, tuple[float, int]] = {}
        first_pass = []
        for start in range(0, count, batch_size):
            stop = min(start + batch_size, count)
            first_pass.append(model.log_odds(texts[start:stop]))
            author_totals(first_pass[-1], authors[start:stop], into=totals)
        for log_odds, start in zip(first_pass, range(0, count, batch_size)):
            model.in_context(log_odds, authors[start : start + len(log_odds)], totals)

    runs = [
        timed("sklearn pipeline (reference)", in_batches(reference.predict_proba), n_posts),
        timed("hydrawatch predict_proba", in_batches(model.predict_proba), n_posts),
        timed("hydrawatch score, evidence for flagged", in_batches(lambda b: model.score(b, explain="flagged")), n_posts),
        timed("keyword regex baseline", in_batches(keyword_flags), n_posts),
        timed("hydrawatch in context (two passes)", in_context, n_posts),
    ]
    reference_rate = runs[0]["posts_per_cpu_second"]
    print(f"\n{'run':<42} {'posts/s (CPU)':>14} {'posts/s (wall)':>15} {'x reference':>12}")
    for run in runs:
        run["ratio_to_reference"] = run["posts_per_cpu_second"] / reference_rate
        print(f"{run['label']:<42} {run['posts_per_cpu_second']:>14,.0f} {run['posts_per_wall_second']:>15,.0f} {run['ratio_to_reference']:>11.2f}x")

    # Agreement and quality context (in-sample for the models; the held-out numbers are
    # `hydrawatch eval content`'s job).
    sample = texts[:n_posts]
    flagged = model.predict(sample)
    keyword = keyword_flags(sample)
    quality = {
        "keyword_baseline_macro_f1": float(f1_score(labels[:n_posts], keyword, average="macro")),
        "keyword_baseline_flag_rate": float(keyword.mean()),
        "hydrawatch_flag_rate": float(flagged.mean()),
    }
    print(f"\nkeyword baseline macro-F1 on these posts: {quality['keyword_baseline_macro_f1']:.3f} "
          f"(flags {quality['keyword_baseline_flag_rate']:.1%}; the classifier flags {quality['hydrawatch_flag_rate']:.1%})")

    hydrawatch_rate = runs[1]["posts_per_cpu_second"]
    context_rate = runs[4]["posts_per_cpu_second"]
    ok = min(hydrawatch_rate, context_rate) >= TARGET
    print(f"\ntarget >= {TARGET:,} posts/s per core: {'met' if ok else 'NOT met'} "
          f"(post alone {hydrawatch_rate:,.0f}, in context {context_rate:,.0f})")
    RESULTS.mkdir(exist_ok=True)
    report = {"posts": n_posts, "source": source, "model": model_source, "runs": runs, "quality": quality,
              "target_posts_per_cpu_second": TARGET, "met": ok}
    name = "content_throughput-quick.json" if args.quick else "content_throughput.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
