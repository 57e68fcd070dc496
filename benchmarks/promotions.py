"""Promotion detector against the simulated worlds' truth: who promoted whose new account.

    python benchmarks/promotions.py [--seeds 2008,2009] [--cache .hydrawatch-cache]

A world's truth (``truth/accounts.csv``) lists, for every promoted account, the accounts that
promoted it (``promoted_by``). The detector (:func:`hydrawatch.post_signals.promotion_rows`,
what ``hydrawatch promotions`` prints) gives promotion posts with the handles they promote. Per
world, over (promoter, promoted account) pairs:

* recall: truth pairs for which the promoter has a detected promotion post naming the promoted
  account by one of its handles (accounts change handles: the store's profile history and the
  truth's username give the handles an account had; a handle two accounts had counts for the
  one the truth names);
* precision: detected pairs (a post naming an account other than its author) that are truth
  pairs. Self-announcements ("I'm back") are counted apart: the truth does not list them;
* for the missed pairs: whether the promoter has a post naming the handle at all (the cues
  missed it) or not (nothing to find), and the missed posts' cue scores, so that the next change
  to the cue lists can be aimed; no post text is printed.

The cue lists are rules written from how such posts are phrased, not fitted to any world, so
every world is held out for them; worlds 1001-1005 are the returnee rankers' training and
development worlds and are better left out. Writes benchmarks/results/promotions.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def measure(store_path: Path, truth_csv: Path) -> dict:
    from hydrawatch.post_signals import promotion_rows, store_posts
    from hydrawatch.signals.promotion import DEFAULT_THRESHOLD, score_promotion
    from hydrawatch.store.duck import Store

    with open(truth_csv, newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    expected = {(promoter, row["account_id"]) for row in truth for promoter in filter(None, (row.get("promoted_by") or "").split(";"))}
    detected: set[tuple[str, str]] = set()
    self_announcements = unknown_handles = 0
    with Store(store_path, read_only=True) as store:
        # Accounts change handles (the truth lists one): a handle names every account that ever
        # had it in the store's profile history.
        accounts_of: dict[str, set[str]] = {}
        handles_of: dict[str, set[str]] = {}
        known = store.con.execute("SELECT DISTINCT account_id, lower(username) FROM profiles WHERE username IS NOT NULL").fetchall()
        for account, handle in known + [(row["account_id"], row["username"].lower()) for row in truth]:
            accounts_of.setdefault(handle, set()).add(account)
            handles_of.setdefault(account, set()).add(handle)
        for row in promotion_rows(store_posts(store.con, include_reposts=False), None):
            if row["self_announcement"]:
                self_announcements += 1
                continue
            for handle in (h.lower() for h in row["promoted"]):
                if handle not in accounts_of:
                    unknown_handles += 1
                named_accounts = accounts_of.get(handle, set()) - {row["account_id"]}
                truth_hits = {a for a in named_accounts if (row["account_id"], a) in expected}
                for account in truth_hits or named_accounts:
                    detected.add((row["account_id"], account))
        missed = sorted(expected - detected)
        named = 0
        scores: Counter = Counter()
        for promoter, promoted in missed:
            texts = [t for handle in sorted(handles_of.get(promoted, ())) for (t,) in store.con.execute(
                "SELECT text FROM posts WHERE account_id = ? AND regexp_matches(lower(text), ?)",  # the whole handle, not a prefix
                [promoter, "@" + re.escape(handle) + "([^a-z0-9_]|$)"]).fetchall()]
            if texts:
                named += 1
                scores[float(max(score_promotion(t).score for t in texts))] += 1
    hits = len(expected & detected)
    return {
        "world": store_path.stem,
        "truth_pairs": len(expected),
        "detected_pairs": len(detected),
        "recall": hits / len(expected) if expected else float("nan"),
        "precision": hits / len(detected) if detected else float("nan"),
        "self_announcements": self_announcements,
        "handles_not_in_world": unknown_handles,
        "missed": len(missed),
        "missed_with_a_post_naming_the_handle": named,
        "missed_best_cue_score": {f"{k:g}": v for k, v in sorted(scores.items())},
        "threshold": DEFAULT_THRESHOLD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="2008,2009", help="worlds to measure (held out from the returnee rankers)")
    parser.add_argument("--cache", type=Path, default=Path(".hydrawatch-cache"), help="folder of generated worlds and their stores")
    parser.add_argument("--quick", action="store_true", help="one world")
    args, _ = parser.parse_known_args()  # run_all.py passes its own arguments to every script
    from hydrawatch.evaluation.returnees import WorldSpec, prepare_world

    seeds = [int(s) for s in args.seeds.split(",") if s][: 1 if args.quick else None]
    args.cache.mkdir(parents=True, exist_ok=True)
    reports = []
    for seed in seeds:
        world = prepare_world(WorldSpec(seed=seed), args.cache)
        report = measure(world.store_path, world.folder / "truth" / "accounts.csv")
        reports.append(report)
        print(f"{report['world']}: recall {report['recall']:.3f} ({report['truth_pairs']:,} promoter -> promoted pairs), "
              f"precision {report['precision']:.3f} ({report['detected_pairs']:,} detected), {report['self_announcements']:,} "
              f"self-announcements; missed {report['missed']:,}, of which {report['missed_with_a_post_naming_the_handle']:,} "
              f"have a post naming the handle (best cue scores {report['missed_best_cue_score']})")
    truth = sum(r["truth_pairs"] for r in reports)
    detected = sum(r["detected_pairs"] for r in reports)
    hits = sum(round(r["recall"] * r["truth_pairs"]) for r in reports)
    pooled = {"recall": hits / truth if truth else float("nan"), "precision": hits / detected if detected else float("nan")}
    print(f"pooled: recall {pooled['recall']:.3f}, precision {pooled['precision']:.3f}")
    RESULTS.mkdir(exist_ok=True)
    name = "promotions-quick.json" if args.quick else "promotions.json"
    (RESULTS / name).write_text(json.dumps({"worlds": reports, "pooled": pooled}, indent=2))


if __name__ == "__main__":
    main()
