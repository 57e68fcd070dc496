"""The optional multilingual-embedding content classifier against the n-gram one, on the same
held-out accounts of a subsample of the real data.

    python benchmarks/content_embeddings.py [--posts 5000] [--folds 5] [--seed 1]

Needs ``pip install 'hydrawatch[embeddings]'`` and ../shared/data. Embedding runs at tens of
posts per second per core, so the whole 97k-post corpus would take most of an hour of CPU; this
script samples whole groups (accounts, or row blocks for the sets without author ids) from every
set, up to a share of ``--posts`` per set, so the split stays by account. Both models are fitted
and scored on exactly the same folds (``StratifiedGroupKFold``). No post text is printed.

Writes benchmarks/results/content_embeddings.json.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
#: Share of the sample drawn from each set (the full corpus is about 16:10:6:66).
SHARES = {"isis-fanboy": 0.3, "osact": 0.3, "lhsab": 0.12, "ira": 0.28}


def sample_groups(posts, budget: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    rows: list[int] = []
    for set_name, share in SHARES.items():
        by_group: dict[str, list[int]] = {}
        for i, (s, g) in enumerate(zip(posts.sets, posts.groups)):
            if s == set_name:
                by_group.setdefault(g, []).append(i)
        groups = sorted(by_group)
        rng.shuffle(groups)
        want, taken = int(budget * share), []
        for group in groups:
            if len(taken) >= want:
                break
            taken.extend(by_group[group][: max(1, want // 10)])  # cap per group: more accounts, less of each
        rows.extend(taken)
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args, _ = parser.parse_known_args()

    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedGroupKFold

    from hydrawatch.signals.content import ContentClassifier
    from hydrawatch.signals.content_data import prepared_posts
    from hydrawatch.signals.content_embeddings import EmbeddingContentClassifier, SentenceEmbedder
    from hydrawatch.signals.content_eval import HARD_LABEL, label_masks

    posts, clean_texts, _, _ = prepared_posts()
    rows = sample_groups(posts, args.posts, args.seed)
    posts = posts.subset(rows)
    clean_texts = [clean_texts[i] for i in rows]
    y, groups = posts.y, np.asarray(posts.groups)
    print(f"sample: {len(rows):,} posts, {len(set(posts.groups)):,} groups, {int(y.sum()):,} positive")

    embedder = SentenceEmbedder()
    embedder.transform(["warm up"])
    cpu, wall = time.process_time(), time.perf_counter()
    E = embedder.transform(clean_texts)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rate = {"posts_per_cpu_second": len(rows) / cpu, "posts_per_wall_second": len(rows) / wall}
    print(f"embedding: {rate['posts_per_cpu_second']:.1f} posts/s per core (CPU time)")

    ngram = ContentClassifier()
    X = ngram.vectorize(clean_texts)
    masks = label_masks(posts)
    flags = {"ngram": np.zeros(len(y), bool), "embedding": np.zeros(len(y), bool)}
    folds = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    for train, test in folds.split(X, y, groups):
        p = ContentClassifier(random_state=args.seed).fit_vectors(X[train], y[train], groups[train]).predict_proba_vectors(X[test])[:, 1]
        flags["ngram"][test] = np.nan_to_num(p, nan=0.0) >= 0.5
        q = EmbeddingContentClassifier().fit_vectors(E[train], y[train]).predict_proba_vectors(E[test])[:, 1]
        flags["embedding"][test] = np.nan_to_num(q, nan=0.0) >= 0.5
    report = {"sample_posts": len(rows), "sample_positive": int(y.sum()), "folds": args.folds, "seed": args.seed,
              "embedding_speed": rate, "models": {}}
    print(f"\n{'model':<10} {'macro-F1':>9} {'recall':>7} {'FPR osact hate/vio':>19} {'FPR all neg':>12}")
    for name, f in flags.items():
        hard = masks[HARD_LABEL]
        row = {"macro_f1": float(f1_score(y, f, average="macro")), "recall": float(f[y == 1].mean()),
               "fpr_osact_hate_or_violence": float(f[hard].mean()) if hard.any() else None,
               "osact_hate_or_violence_posts": int(hard.sum()),
               "fpr_all_negatives": float(f[y == 0].mean())}
        report["models"][name] = row
        print(f"{name:<10} {row['macro_f1']:>9.3f} {row['recall']:>7.3f} {row['fpr_osact_hate_or_violence'] or 0:>19.4f} {row['fpr_all_negatives']:>12.4f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "content_embeddings.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
