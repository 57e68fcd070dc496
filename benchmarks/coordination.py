"""Coordinated sharing: hydrawatch beside the QUT coordination-network-toolkit, and at scale.

    python benchmarks/coordination.py [--window 60] [--min-repetition 2] [--scale-shares 10000000]
                                      [--toolkit-shares 300000] [--workers 2] [--quick]

Three runs, each side in its own process (so peak memory is per run):

1. Real rows: CooRTweet's ``russian_coord_tweets.csv`` (35,125 retweets) from ../shared/data.
   * baseline: coordination_network_toolkit 1.5.2 (``pip install -r benchmarks/requirements.txt``):
     ``preprocess_csv_files`` into its SQLite db, then ``compute_co_retweet_parallel`` with the
     same window and min edge weight, ``n_threads`` = workers;
   * hydrawatch: ``read_shares_csv`` + ``coordinated_edges`` of the same file.
   Both edge lists are compared (see "Semantics" below) and the speed ratio is printed, for the
   whole job (CSV in, edges out) and for the network computation alone.
2. Synthetic rows at toolkit scale (``--toolkit-shares``): the same comparison on a generated
   co-retweet set, where the network computation, not start-up, dominates.
3. Scale: ``--scale-shares`` synthetic shares (default 10M; realistic skew: heavy-tailed object
   popularity and account activity, 10 viral objects each shared by 10,000 accounts within a
   few minutes, and a planted network of 50 groups x 20 accounts sharing 30 objects each within
   20 s); hydrawatch alone, timed, with peak memory and whether the planted network is found.

Semantics. The toolkit weighs an edge by the number of *messages* of user_1 that have a partner
message of user_2 on the same repost id within the window (``count(distinct e_1.message_id)``),
lists both directions, and keeps self-loops (any user with >= min weight retweets pairs with
itself). hydrawatch counts distinct *objects* per unordered pair. The two agree exactly when no
account shares an object twice, so the edges are compared twice: on all rows (self-loops
dropped; every pair whose weights differ must involve an account that shared a linking object
more than once) and on each account's first share of each object (the edge lists must be
identical). Both windows are inclusive (``between t - w and t + w`` there, ``|dt| <= w`` here).
CooRTweet's ``content_id`` repeats on 40 rows and the toolkit keeps one message per id, so
messages are given the row's line number as id to feed it the same rows.

Writes benchmarks/results/coordination.json (coordination-quick.json with --quick).
Target (issue): >= 10x the toolkit on the same rows; 10M shares in minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from paths import CACHE as BENCH_CACHE  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = BENCH_CACHE / "coordination"
RESULTS = HERE / "results"
RUSSIAN = REPO.parent / "shared" / "data" / "coortweet" / "russian_coord_tweets.csv"

# Each child prints one JSON line: timings, peak RSS and where it wrote its edges.
TOOLKIT = r"""
import json, os, resource, sqlite3, sys, time, contextlib, io
from coordination_network_toolkit.preprocess import preprocess_csv_files
from coordination_network_toolkit.compute_networks import compute_co_retweet_parallel
csv_path, db_path, window, min_weight, workers, out, repeat = sys.argv[1:8]
best = None
for _ in range(int(repeat)):
    for leftover in (db_path, db_path + "-wal", db_path + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the toolkit prints progress
        preprocess_csv_files(db_path, [csv_path])
        loaded = time.perf_counter()
        compute_co_retweet_parallel(db_path, float(window), n_threads=int(workers), min_edge_weight=int(min_weight))
    done = time.perf_counter()
    if best is None or done - started < best[2] - best[0]:
        best = (started, loaded, done)
started, loaded, done = best
db = sqlite3.connect(db_path)
rows = db.execute("select user_1, user_2, weight from co_retweet_network").fetchall()
db.close()
with open(out, "w") as f:
    json.dump(rows, f)
cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
print(json.dumps({"load_s": loaded - started, "network_s": done - loaded, "total_s": done - started, "cpu_s": cpu,
                  "peak_rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
                  "rows": len(rows)}))
"""

HYDRAWATCH = r"""
import json, resource, sys, time
from pathlib import Path
from hydrawatch.network.coordination import CoordinationConfig, coordinated_edges
from hydrawatch.network.shares_csv import read_shares_csv
from hydrawatch.sources.base import ProblemLog
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv  # noqa: F401
pc.equal(pa.array([1]), 1)  # imports stay outside the timings on both sides (pyarrow.compute imports pandas if installed)
csv_path, window, min_repetition, workers, out, repeat = sys.argv[1:7]
best = None
for _ in range(int(repeat)):
    started = time.perf_counter()
    problems = ProblemLog()
    shares = read_shares_csv(Path(csv_path), problems)
    loaded = time.perf_counter()
    result = coordinated_edges(shares, CoordinationConfig(float(window), int(min_repetition), workers=int(workers)))
    done = time.perf_counter()
    if best is None or done - started < best[2] - best[0]:
        best = (started, loaded, done)
started, loaded, done = best
edges = result.edges
with open(out, "w") as f:
    json.dump([edges["account_a"].to_pylist(), edges["account_b"].to_pylist(), edges["weight"].to_pylist()], f)
print(json.dumps({"load_s": loaded - started, "network_s": done - loaded, "total_s": done - started,
                  "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": edges.num_rows, "bad_rows": problems.count, "shares": shares.num_rows,
                  "share_pairs": result.stats.share_pairs, "passes": result.stats.passes}))
"""

SCALE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from coordination import synthetic_shares, planted_recall
from hydrawatch.network.coordination import CoordinationConfig, coordinated_edges, shares_table
n_shares, window, min_repetition, workers = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
accounts, objects, times, planted = synthetic_shares(n_shares)
built = time.perf_counter()
shares = shares_table(accounts, objects, times)
del accounts, objects, times
started, cpu_started = time.perf_counter(), time.process_time()
result = coordinated_edges(shares, CoordinationConfig(window, min_repetition, workers=workers))
done, cpu_done = time.perf_counter(), time.process_time()
print(json.dumps({"shares": shares.num_rows, "table_s": started - built, "network_s": done - started,
                  "cpu_s": cpu_done - cpu_started,  # all threads, the network computation only
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "edges": result.edges.num_rows, "share_pairs": result.stats.share_pairs,
                  "shares_after_pruning": result.stats.shares, "passes": result.stats.passes,
                  "planted_recall": planted_recall(result.edges, planted)}))
"""


def synthetic_shares(n_shares: int, seed: int = 7, viral_objects: int = 10, viral_accounts: int | None = None, groups: int = 50, group_size: int = 20, group_objects: int = 30):
    """Synthetic co-share data with a realistic skew, as numpy arrays of account ids, object ids
    (strings) and epoch microseconds, plus the planted coordinated pairs.

    Background: heavy-tailed (Pareto 1.5) object popularity and account activity over 60 days;
    each object's shares follow its first share with a log-normal delay scale around 2 hours.
    Viral objects: ``viral_objects`` objects each shared by ``viral_accounts`` distinct
    accounts (default: 1% of the accounts, at most 10,000) with exponential delays of mean 60 s
    (one of 10,000 accounts yields ~30M share pairs at a 60 s window). Accounts number a tenth
    of the shares, so that smaller sets keep the proportions of the 10M one. Planted network: ``groups`` groups of ``group_size`` accounts, each group sharing
    ``group_objects`` objects within 20 s."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_accounts = max(1_000, n_shares // 10)
    n_objects = max(1_000, n_shares // 8)
    viral_accounts = viral_accounts if viral_accounts is not None else min(10_000, n_accounts // 100)
    second = 1_000_000
    day = 86_400 * second
    start = 1_600_000_000 * second
    accounts, objects, times = [], [], []
    for viral in range(viral_objects):
        chosen = rng.choice(n_accounts, size=min(viral_accounts, n_accounts), replace=False)
        accounts.append(chosen)
        objects.append(np.full(len(chosen), n_objects + viral))
        times.append(start + rng.integers(0, 60 * day) + rng.exponential(60 * second, len(chosen)).astype(np.int64))
    members = rng.choice(n_accounts, size=(groups, group_size), replace=False)
    next_object = n_objects + viral_objects
    for group in range(groups):
        for _ in range(group_objects):
            accounts.append(members[group])
            objects.append(np.full(group_size, next_object))
            times.append(start + rng.integers(0, 60 * day) + rng.integers(0, 20 * second, group_size))
            next_object += 1
    rest = max(n_shares - sum(len(a) for a in accounts), 0)
    popularity = rng.pareto(1.5, n_objects) + 1.0
    activity = rng.pareto(1.5, n_accounts) + 1.0
    background_objects = rng.choice(n_objects, size=rest, p=popularity / popularity.sum())
    background_accounts = rng.choice(n_accounts, size=rest, p=activity / activity.sum())
    first_share = start + rng.integers(0, 60 * day, n_objects)
    delay_scale = rng.lognormal(np.log(2 * 3600), 1.0, n_objects) * second
    accounts.append(background_accounts)
    objects.append(background_objects)
    times.append(first_share[background_objects] + (rng.exponential(1.0, rest) * delay_scale[background_objects]).astype(np.int64))
    account_ids = np.char.add("u", np.concatenate(accounts).astype(str))
    object_ids = np.char.add("o", np.concatenate(objects).astype(str))
    planted = {(min(f"u{a}", f"u{b}"), max(f"u{a}", f"u{b}")) for group in members for i, a in enumerate(group) for b in group[i + 1 :]}
    return account_ids, object_ids, np.concatenate(times), planted


def planted_recall(edges, planted: set) -> float:
    """Share of the planted coordinated pairs found among the edges."""
    found = set(zip(edges["account_a"].to_pylist(), edges["account_b"].to_pylist()))
    return len(found & planted) / len(planted) if planted else 1.0


def write_toolkit_csv(shares: list[tuple[str, str, str]], path: Path) -> None:
    """The toolkit's CSV layout; message ids are row numbers (see the module docstring)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])
        for number, (account, obj, timestamp) in enumerate(shares, start=2):
            writer.writerow([number, account, account, obj, "", "", timestamp, ""])


def write_shares_csv(shares: list[tuple[str, str, str]], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["account_id", "object_id", "timestamp"])
        writer.writerows(shares)


def read_coortweet(path: Path) -> list[tuple[str, str, str]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return [(row["account_id"], row["object_id"], row["timestamp_share"]) for row in reader]


def run_child(label: str, code: str, *args: str) -> dict:
    """Run one side in a fresh process (so imports and peak memory are its own); its last line is JSON."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"{label} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["label"] = label
    result["process_s"] = time.perf_counter() - started
    return result


def compare_edges(toolkit_rows: list, ours: list, shares: list[tuple[str, str, str]]) -> dict:
    """Toolkit (directed, with self-loops, message counts) against hydrawatch (undirected,
    distinct objects): counts, and whether every difference is explained by an account sharing
    an object that links the pair more than once (where message and object counts differ)."""
    directed: dict[tuple[str, str], int] = {}
    self_loops = 0
    for user_1, user_2, weight in toolkit_rows:
        if user_1 == user_2:
            self_loops += 1
        else:
            directed[(user_1, user_2)] = weight
    symmetric = {}
    asymmetric = set()
    for (a, b), weight in directed.items():
        pair = (min(a, b), max(a, b))
        if directed.get((b, a)) == weight:
            symmetric[pair] = weight
        else:
            asymmetric.add(pair)
    hydrawatch = {(a, b): w for a, b, w in zip(*ours)}
    differing = {p for p in set(symmetric) | set(hydrawatch) if symmetric.get(p) != hydrawatch.get(p)} | asymmetric
    objects_of: dict[str, set[str]] = {}
    counts: dict[tuple[str, str], int] = {}
    for account, obj, _ in shares:
        objects_of.setdefault(account, set()).add(obj)
        counts[(account, obj)] = counts.get((account, obj), 0) + 1

    def explained(pair: tuple[str, str]) -> bool:
        a, b = pair
        return any(counts[(a, o)] > 1 or counts[(b, o)] > 1 for o in objects_of.get(a, set()) & objects_of.get(b, set()))

    return {
        "toolkit_rows": len(toolkit_rows),
        "toolkit_self_loops": self_loops,
        "toolkit_pairs_symmetric": len(symmetric),
        "toolkit_pairs_asymmetric": len(asymmetric),
        "hydrawatch_edges": len(hydrawatch),
        "identical": not differing,
        "differing_pairs": len(differing),
        "differing_explained_by_repeated_shares": sum(1 for p in differing if explained(p)),
    }


def first_shares(shares: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Each account's first share of each object only: there the two counts coincide."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for row in sorted(shares, key=lambda r: float(r[2])):
        if (row[0], row[1]) not in seen:
            seen.add((row[0], row[1]))
            kept.append(row)
    return kept


def compare_on(label: str, shares: list[tuple[str, str, str]], args, scratch: Path) -> dict:
    """Toolkit and hydrawatch side by side on the same rows: timings, speed-up, edge comparison."""
    toolkit_out, ours_out = scratch / f"{label}-toolkit.json", scratch / f"{label}-ours.json"
    common = (str(args.window), str(args.min_repetition), str(args.workers))

    def both(rows, tag: str, repeat: int, source: str | None = None) -> tuple[dict, dict, dict]:
        toolkit_csv, shares_csv = scratch / f"{tag}-toolkit.csv", scratch / f"{tag}-shares.csv"
        write_toolkit_csv(rows, toolkit_csv)
        write_shares_csv(rows, shares_csv)
        toolkit = run_child(f"toolkit co_retweet ({tag})", TOOLKIT, str(toolkit_csv), str(scratch / f"{tag}.sqlite"), *common, str(toolkit_out), str(repeat))
        ours = run_child(f"hydrawatch coordination ({tag})", HYDRAWATCH, source or str(shares_csv), *common, str(ours_out), str(repeat))
        return toolkit, ours, compare_edges(json.loads(toolkit_out.read_text()), json.loads(ours_out.read_text()), rows)

    # Best of N where a run takes about a second; the real rows are read from the real file.
    toolkit, ours, comparison = both(shares, label, args.repeat if label == "russian" else 1, str(RUSSIAN) if label == "russian" else None)
    _, _, first_only = both(first_shares(shares), f"{label}-first-shares", 1)
    ratio_total = toolkit["total_s"] / ours["total_s"]
    ratio_network = toolkit["network_s"] / ours["network_s"]
    print(f"\n[{label}] {len(shares):,} shares, window {args.window:g} s, min weight {args.min_repetition}, {args.workers} workers")
    print(f"{'run':<40} {'load s':>8} {'network s':>10} {'total s':>9} {'cpu s':>8} {'peak RSS':>10}")
    for run in (toolkit, ours):
        print(f"{run['label']:<40} {run['load_s']:>8.2f} {run['network_s']:>10.3f} {run['total_s']:>9.2f} {run['cpu_s']:>8.2f} {run['peak_rss_mb']:>7,.0f} MB")
    print(f"speed-up: {ratio_total:,.1f}x whole job, {ratio_network:,.1f}x network computation")
    print("edges, all rows: " + ", ".join(f"{k} {v}" for k, v in comparison.items()))
    print("edges, first share per account and object: " + ", ".join(f"{k} {v}" for k, v in first_only.items()))
    return {"label": label, "shares": len(shares), "toolkit": toolkit, "hydrawatch": ours, "comparison": comparison,
            "comparison_first_shares": first_only, "speedup_total": ratio_total, "speedup_network": ratio_network}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--min-repetition", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs on the real rows (each side)")
    parser.add_argument("--toolkit-shares", type=int, default=300_000, help="synthetic shares for the toolkit comparison (0: skip)")
    parser.add_argument("--scale-shares", type=int, default=10_000_000, help="synthetic shares for the scale run (0: skip)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    if args.quick:
        args.toolkit_shares, args.scale_shares = 50_000, 500_000
    try:
        import coordination_network_toolkit  # noqa: F401
    except ImportError:
        raise SystemExit("coordination_network_toolkit is missing: .venv/bin/python -m pip install -r benchmarks/requirements.txt") from None

    scratch = CACHE / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    report: dict = {"window_seconds": args.window, "min_repetition": args.min_repetition, "workers": args.workers,
                    "cpus": os.cpu_count(), "load_average": os.getloadavg(), "comparisons": []}  # fmt: skip
    if RUSSIAN.exists():
        report["comparisons"].append(compare_on("russian", read_coortweet(RUSSIAN), args, scratch))
    else:
        print(f"skipping the real-data comparison: {RUSSIAN} is absent")
    if args.toolkit_shares:
        accounts, objects, times, _ = synthetic_shares(args.toolkit_shares)
        # Whole seconds: the toolkit compares times as SQLite doubles, hydrawatch as integer microseconds.
        rows = [(a, o, str(t // 1_000_000)) for a, o, t in zip(accounts.tolist(), objects.tolist(), times.tolist())]
        report["comparisons"].append(compare_on("synthetic", rows, args, scratch))
    if args.scale_shares:
        scale = run_child("hydrawatch at scale", SCALE, str(HERE), str(args.scale_shares), str(args.window), str(args.min_repetition), str(args.workers))
        print(f"\n[scale] {scale['shares']:,} synthetic shares, {scale['share_pairs']:,} share pairs in the window "
              f"({scale['shares_after_pruning']:,} shares after pruning, {scale['passes']} passes)")  # fmt: skip
        print(f"network {scale['network_s']:,.1f} s (cpu {scale['cpu_s']:,.1f} s), peak RSS {scale['peak_rss_mb'] / 1024:,.2f} GB, "
              f"{scale['edges']:,} edges, planted network recall {scale['planted_recall']:.3f}")  # fmt: skip
        report["scale"] = scale
    RESULTS.mkdir(exist_ok=True)
    name = "coordination-quick.json" if args.quick else "coordination.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    speedups = [c["speedup_total"] for c in report["comparisons"]]
    exact = all(
        c["comparison_first_shares"]["identical"] and c["comparison"]["differing_pairs"] == c["comparison"]["differing_explained_by_repeated_shares"]
        for c in report["comparisons"]
    )
    fast = bool(speedups) and min(speedups) >= 10
    scaled = "scale" not in report or report["scale"]["network_s"] < 600
    print(f"\nsame edges as the toolkit (identical on first shares, every other difference a repeated share): {'yes' if exact else 'NO'}; "
          f">= 10x the toolkit: {'met' if fast else 'NOT met'} ({', '.join(f'{s:,.1f}x' for s in speedups)}); "
          f"scale run in minutes: {'met' if scaled else 'NOT met'}")


if __name__ == "__main__":
    main()
