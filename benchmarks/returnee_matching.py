"""Returnee matching at platform scale: the online matcher's latency and memory, and batch key
blocking beside brute force (rapidfuzz cdist) and MinHash LSH (datasketch), all in one run.

    python benchmarks/returnee_matching.py [--quick] [--suspended 1000000] [--queries 10000]
        [--cdist-sample 1000] [--lsh-threshold T] [--max-postings 2000] [--online-max-postings 2000]
        [--history-days 365]
        [--skip-online] [--skip-batch] [--seed 5]

About 13 minutes on 2 cores at the issue's scale (1M suspended, 10k new); ``--quick`` (100k,
1k) takes about a minute.

Data (deterministic, from ``--seed``): suspended identities made by the simulated platform's own
generators (:mod:`hydrawatch.synth.handles`: transliterated-Arabic 45 %, English 35 %, spam
20 %; handles unique as :class:`~hydrawatch.synth.handles.HandleRegistry` hands them out),
one handle and display name each (no bio or avatar), suspended at a uniform time over
``--history-days`` (365). New accounts are a shuffled mix of

* 40 % true returnees: a random suspended identity's handle mutated as returnees do (synth's
  mutation kinds and weights: digit_increment, affix, confusable, typo, new handle with the same
  or a new name), created a lognormal delay (median 4 h) after the suspension;
* 30 % look-alike decoys: a random suspended handle mutated the same way (digit, affix, typo)
  by somebody else, with a fresh name, created at a random time;
* 30 % unrelated new handles from the same generators.

Synth's vocabularies are small, so a million handles are dense (most are a common stem plus
digits): a pessimistic world for blocking, where many keys are shared by hundreds of handles,
and for ranking, where a raised number has many equally similar neighbours.

Online (issue target 1): ``OnlineMatcher.add_many`` over all suspended identities, then each
new account is queried alone (``query(account, limit=10)``, timed with ``perf_counter``) with
the process pinned to one CPU; the thread's CPU time is recorded too, since on a shared machine
wall time includes waiting for the core. A query that raises is counted and reported (a target
of its own), not allowed to stop the run. Memory is the RSS growth (psutil, else
/proc/self/statm) of a fresh process loading the saved matcher (``OnlineMatcher.load``), which
is everything a serving process holds for the index; its peak during the load, and the growth
while building in this process, are printed beside it. ``ranker=None`` (similarity ranking)
unless ``src/hydrawatch/evasion/models/returnee-signup.json`` exists.

Batch (issue target 2): every method ranks its candidates by the same scorer,
``rapidfuzz.distance.Levenshtein.normalized_similarity`` of the lower-cased handles, and keeps
the top 10 (ties broken by suspended row), so only the way candidates are found differs:

* hydrawatch key join (the batch path of ``hydrawatch returnees``, the one the targets are
  read on): the new handles' :mod:`hydrawatch.evasion.keys` handle keys, then the suspended
  handles' keys built in bulk (:mod:`hydrawatch.evasion.bulk_keys`) and kept only where a new
  handle has the key, a :class:`~hydrawatch.evasion.index.KeyIndex` of those
  (:func:`~hydrawatch.evasion.index.shared_key_pairs`), ``lookup_pairs`` (keys shared by more
  than ``--max-postings`` suspended handles skipped), ``cpdist`` scoring; timed from the
  handles to the top 10;
* hydrawatch with every key of every suspended handle indexed (what the online matcher holds;
  the online matcher's cap, ``--online-max-postings``, counts only the identities inside its
  30-day window), the same candidates, timed once building the index here and once loading it
  saved (as a batch job would reuse it);
* rapidfuzz ``process.cdist`` brute force over all pairs, timed on ``--cdist-sample`` queries
  against all suspended handles and extrapolated linearly to all queries;
* datasketch ``MinHashLSH`` (num_perm 128, the library default) over character-3-gram shingles
  of the lower-cased handle; its threshold is tuned for recall on a subset first (the highest
  threshold whose recall@10 is within half a point of the best in the sweep).

recall@10 counts the returnees with a handle mutation (new-handle returnees share nothing with
their old handle, so no handle method can find them; they are listed separately).

Cores: cdist and cpdist use both (``workers=-1``); hydrawatch builds the suspended handles' keys
in two threads (``KEY_WORKERS``) and sorts its index in two (one part of the hash range each);
datasketch's MinHash and LSH have no parallel API and run on one. The cdist target charges
brute force for cdist alone (its top-10 selection, also timed, is left out) and hydrawatch for build + query.

Prints PASS/FAIL per target and writes benchmarks/results/returnee_matching.json
(returnee_matching-quick.json with ``--quick``). Benchmark-only packages:
``.venv/bin/python -m pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from hydrawatch.core import text as core_text
from hydrawatch.evasion import keys as evasion_keys
from hydrawatch.evasion.index import MAX_POSTINGS, ONLINE_MAX_POSTINGS, KeyIndex, distinct, shared_key_pairs
from hydrawatch.evasion.bulk_keys import handle_key_hashes
from hydrawatch.evasion.keys import hash_keys
from hydrawatch.evasion.online import Identity, NewAccount, OnlineMatcher
from hydrawatch.synth.config import DEFAULT_MUTATION_WEIGHTS
from hydrawatch.synth.handles import (
    HandleRegistry,
    arabic_identity,
    clip_name,
    confusable_name,
    english_identity,
    spam_identity,
)
from hydrawatch.synth.kinds import AFFIX, CONFUSABLE, DIGIT_INCREMENT, MUTATIONS, NEW_HANDLE_NEW_NAME, NEW_HANDLE_SAME_NAME, TYPO
from hydrawatch.synth.randomness import Dice, stage_rng

from paths import CACHE  # noqa: E402  (generated worlds, outside the tree)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SIGNUP_MODEL = HERE.parent / "src" / "hydrawatch" / "evasion" / "models" / "returnee-signup.json"
INSTALL_HINT = f"{sys.executable} -m pip install -r {HERE / 'requirements.txt'}"

PLATFORM = "twitter"
HISTORY_START = 1_704_067_200.0  # 2024-01-01, epoch seconds
RETURNEE, DECOY, UNRELATED = "returnee", "decoy", "unrelated"
TOP_K = 10
NUM_PERM = 128
LSH_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
GIB = 1 << 30

# Targets of the issue.
P99_TARGET_MS = 5.0
MEMORY_TARGET_BYTES = 2 * GIB
CDIST_TARGET_RATIO = 20.0
LSH_TARGET_RATIO = 3.0
KEY_WORKERS = 2  # threads building the suspended handles' keys (bulk_keys: numpy column loops run without the GIL)


# --- memory -------------------------------------------------------------------------------

try:
    import psutil

    def rss_bytes() -> int:
        return psutil.Process().memory_info().rss

    RSS_SOURCE = "psutil RSS"
except ImportError:  # Linux without psutil: the same number psutil reads

    def rss_bytes() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    RSS_SOURCE = "RSS from /proc/self/statm"


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def clear_key_caches() -> None:
    """Forget memoised keys and skeletons so that one method does not warm the next."""
    for cached in (evasion_keys.handle_keys, evasion_keys.name_keys, core_text._skeleton_cached,
                   core_text._handle_skeleton_cached, core_text._name_skeleton_cached):
        cached.cache_clear()


# --- the world ----------------------------------------------------------------------------


@dataclass
class World:
    suspended_handles: list[str]
    suspended_names: list[str]
    ended_at: np.ndarray  # epoch seconds
    new_handles: list[str]
    new_names: list[str]
    created_at: np.ndarray
    kind: np.ndarray  # RETURNEE / DECOY / UNRELATED
    mutation: np.ndarray  # mutation name of a returnee, "" otherwise
    predecessor: np.ndarray  # suspended row of a returnee's old identity, -1 otherwise
    warmup_handles: list[str] = field(default_factory=list)

    @cached_property
    def suspended_lower(self) -> np.ndarray:
        """The lower-cased suspended handles, what every method scores (made once)."""
        return lower(self.suspended_handles)

    @cached_property
    def new_lower(self) -> np.ndarray:
        return lower(self.new_handles)

    def findable(self) -> np.ndarray:
        """Returnees whose new handle derives from the old one (the ones recall@10 counts)."""
        return (self.kind == RETURNEE) & ~np.isin(self.mutation, [MUTATIONS[NEW_HANDLE_SAME_NAME], MUTATIONS[NEW_HANDLE_NEW_NAME]])


def fresh_identity(dice: Dice) -> tuple[str, str]:
    """A handle candidate and display name in one of the platform's styles."""
    draw = dice.uniform()
    if draw < 0.45:
        return arabic_identity(dice, 0.5, 0.6)
    if draw < 0.80:
        return english_identity(dice)
    return spam_identity(dice)


def make_world(suspended: int, queries: int, seed: int, history_days: float = 365.0, warmup: int = 200) -> World:
    history_seconds = history_days * 86400.0
    dice = Dice(stage_rng(seed, 0))
    registry = HandleRegistry(dice)
    handles, names = [], []
    for _ in range(suspended):
        handle, name = fresh_identity(dice)
        handles.append(registry.claim_close(handle))
        names.append(clip_name(name))
    ended_at = HISTORY_START + stage_rng(seed, 1).uniform(0.0, history_seconds, suspended)

    new_handles, new_names, created_at, kind, mutation, predecessor = [], [], [], [], [], []
    for _ in range(queries):
        draw = dice.uniform()
        if draw < 0.4:
            old = dice.below(suspended)
            how = dice.weighted(DEFAULT_MUTATION_WEIGHTS)
            fresh_handle, fresh_name = fresh_identity(dice)
            handle = registry.mutate(handles[old], how, fresh_handle)
            name = fresh_name if how == NEW_HANDLE_NEW_NAME else confusable_name(names[old], dice) if how == CONFUSABLE else names[old]
            delay_seconds = max(dice.lognormal(4.0, 1.2) * 3600.0, 120.0)  # synth's return delay
            row = (RETURNEE, MUTATIONS[how], old, ended_at[old] + delay_seconds)
        elif draw < 0.7:
            resembled = dice.below(suspended)
            handle = registry.mutate(handles[resembled], dice.pick((DIGIT_INCREMENT, AFFIX, TYPO)), "")
            _, name = fresh_identity(dice)
            row = (DECOY, "", -1, HISTORY_START + dice.uniform() * history_seconds)
        else:
            candidate, name = fresh_identity(dice)
            handle = registry.claim_close(candidate)
            row = (UNRELATED, "", -1, HISTORY_START + dice.uniform() * history_seconds)
        new_handles.append(handle)
        new_names.append(clip_name(name))
        kind.append(row[0])
        mutation.append(row[1])
        predecessor.append(row[2])
        created_at.append(row[3])
    warmup_handles = [registry.claim_close(fresh_identity(dice)[0]) for _ in range(warmup)]
    return World(handles, names, ended_at, new_handles, new_names, np.asarray(created_at), np.asarray(kind),
                 np.asarray(mutation), np.asarray(predecessor, dtype=np.int64), warmup_handles)


# --- online -------------------------------------------------------------------------------


def load_ranker():
    if not SIGNUP_MODEL.exists():
        return None, "none (similarity ranking)"
    from hydrawatch.evasion.ranker import ReturneeRanker

    return ReturneeRanker.load(SIGNUP_MODEL), f"ReturneeRanker {SIGNUP_MODEL.name}"


class Gen2Counter:
    """Counts full (generation 2) garbage collections, which pause every object in the index."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            self.count += 1


def online_phase(world: World, quick: bool, max_postings: int | None = ONLINE_MAX_POSTINGS) -> dict:
    ranker, ranker_label = load_ranker()
    cpu = min(os.sched_getaffinity(0))
    all_cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})  # "p99 on one core": no second core to lean on
    try:
        identities = [Identity(PLATFORM, f"s{row}", (handle,), (name,), ended_at=float(ended))
                      for row, (handle, name, ended) in enumerate(zip(world.suspended_handles, world.suspended_names, world.ended_at.tolist()))]
        gc.collect()
        rss_before = rss_bytes()
        started = time.perf_counter()
        matcher = OnlineMatcher(ranker=ranker, max_postings=max_postings)
        matcher.add_many(identities)
        build_seconds = time.perf_counter() - started
        gc.collect()
        build_growth = rss_bytes() - rss_before
        clear_key_caches()  # the memoised keys of a million handles are not the index
        gc.collect()
        build_growth_without_caches = rss_bytes() - rss_before
        print(f"  built OnlineMatcher over {len(matcher):,} identities in {build_seconds:,.1f} s "
              f"({len(matcher.index_):,} postings); RSS +{build_growth / GIB:.2f} GiB, "
              f"+{build_growth_without_caches / GIB:.2f} GiB after clearing key caches", flush=True)
        del identities

        accounts = [NewAccount(PLATFORM, f"n{i}", handle, name, created_at=float(created))
                    for i, (handle, name, created) in enumerate(zip(world.new_handles, world.new_names, world.created_at.tolist()))]
        for handle in world.warmup_handles:  # first-call imports and allocations, not measured
            try:
                matcher.query(NewAccount(PLATFORM, "warmup", handle, created_at=float(world.ended_at.mean())), limit=TOP_K)
            except Exception:  # counted in the measured loop below
                pass

        gen2 = Gen2Counter()
        gc.callbacks.append(gen2)
        latencies = np.empty(len(accounts))
        cpu_seconds = np.empty(len(accounts))  # CPU time of this thread: what a query costs when nobody else wants the core
        results = []
        errors: dict[str, dict] = {}  # a query that raises is a failure to report, not a reason to stop measuring
        for i, account in enumerate(accounts):
            cpu_started = time.thread_time()
            started = time.perf_counter()
            try:
                matches = matcher.query(account, limit=TOP_K)
            except Exception as error:
                matches = []
                entry = errors.setdefault(f"{type(error).__name__}: {error}", {"count": 0, "first_handle": account.handle})
                entry["count"] += 1
            latencies[i] = time.perf_counter() - started
            cpu_seconds[i] = time.thread_time() - cpu_started
            results.append(matches)
        gc.callbacks.remove(gen2)
        found = np.array([f"s{old}" in {m.old_account_id for m in matches} for old, matches in zip(world.predecessor.tolist(), results)])

        diagnosis = diagnose_online(matcher, accounts, cpu_seconds, min(len(accounts), 300 if quick else 2000))

        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / "online-matcher.npz"
        started = time.perf_counter()
        matcher.save(path)
        save_seconds = time.perf_counter() - started
        del matcher, results
        gc.collect()
    finally:
        os.sched_setaffinity(0, all_cpus)
    loaded = measure_load_in_fresh_process(path)
    size = path.stat().st_size
    path.unlink()

    ms = latencies * 1000.0
    by_kind = {kind: percentiles(ms[world.kind == kind]) for kind in (RETURNEE, DECOY, UNRELATED)}
    findable = world.findable()
    return {
        "ranker": ranker_label,
        "max_postings_in_window": max_postings,
        "identities": len(world.suspended_handles),
        "queries": len(accounts),
        "build_seconds": build_seconds,
        "build_rss_growth_bytes": build_growth,
        "build_rss_growth_without_key_caches_bytes": build_growth_without_caches,
        "latency_ms": percentiles(ms),
        "cpu_ms": percentiles(cpu_seconds * 1000.0),
        "latency_ms_by_kind": by_kind,
        "full_gc_during_queries": gen2.count,
        "query_errors": errors,
        "recall_at_10_findable": float(found[findable].mean()) if findable.any() else None,
        "recall_at_10_by_mutation": recall_by_mutation(world, found, np.ones(len(found), dtype=bool)),
        "save_seconds": save_seconds,
        "file_bytes": size,
        "load_seconds": loaded["seconds"],
        "load_rss_growth_bytes": loaded["rss_growth"],
        "load_peak_growth_bytes": loaded["peak_growth"],
        "memory_source": RSS_SOURCE,
        "diagnosis": diagnosis,
    }


def diagnose_online(matcher: OnlineMatcher, accounts: list[NewAccount], cpu_seconds: np.ndarray, sample: int) -> dict:
    """Where query CPU time goes, on a sample: key lookup and time-window filter
    (``candidates``) against scoring the candidates, and how many rows each stage keeps."""
    from hydrawatch.evasion.online import _identity_keys

    clear_key_caches()
    lookup_rows, window_rows, candidate_seconds = [], [], []
    for account in accounts[:sample]:
        keys = _identity_keys((account.handle,), (account.display_name,), (account.avatar_url,))
        lookup_rows.append(len(matcher.index_.lookup(hash_keys(keys))))  # at any time, no cap: what the window search saves
        started = time.thread_time()
        rows = matcher.candidates(account)
        candidate_seconds.append(time.thread_time() - started)
        window_rows.append(len(rows))
    window_rows_array = np.asarray(window_rows)
    sample_ms = cpu_seconds[:sample] * 1000.0
    candidate_ms = np.asarray(candidate_seconds) * 1000.0
    slow = sample_ms >= np.percentile(sample_ms, 99)
    per_candidate = (sample_ms - candidate_ms)[window_rows_array > 0].sum() / max(window_rows_array.sum(), 1)
    return {
        "sample": sample,
        "rows_sharing_a_key": percentiles(np.asarray(lookup_rows, dtype=float)),
        "rows_in_time_window": percentiles(window_rows_array.astype(float)),
        "candidates_ms": percentiles(candidate_ms),
        "share_of_time_in_candidates": float(candidate_ms.sum() / sample_ms.sum()),
        "scoring_ms_per_candidate": float(per_candidate),
        "slowest_1pct_mean_rows_in_window": float(window_rows_array[slow].mean()),
        "slowest_1pct_mean_rows_sharing_a_key": float(np.asarray(lookup_rows)[slow].mean()),
    }


def measure_load_in_fresh_process(path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--measure-load", str(path)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"loading the saved matcher failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_load(path: Path) -> None:
    """Child mode: load the matcher, print seconds and RSS growth (imports excluded) as JSON."""
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    matcher = OnlineMatcher.load(path)
    seconds = time.perf_counter() - started
    gc.collect()
    print(json.dumps({"seconds": seconds, "rss_growth": rss_bytes() - before, "peak_growth": peak_rss_bytes() - before,
                      "identities": len(matcher)}))


# --- batch --------------------------------------------------------------------------------


@dataclass
class BatchRun:
    method: str
    cores: str
    build_seconds: float
    query_seconds: float  # for all the queries (extrapolated when timed on a sample)
    queries_timed: int
    pairs_scored: int
    recall: float | None  # recall@10 over the findable returnees among the queries it ran
    recall_on_sample: float | None = None
    by_mutation: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return self.build_seconds + self.query_seconds


def lower(handles: list[str]) -> np.ndarray:
    return np.array([h.lower() for h in handles], dtype=object)


def score_pairs(query_rows: np.ndarray, suspended_rows: np.ndarray, new_lower: np.ndarray, suspended_lower: np.ndarray,
                chunk: int = 4_000_000) -> np.ndarray:
    """Levenshtein similarity of each (new, suspended) pair on both cores, in chunks so that
    the string arrays of a method with many candidates stay small."""
    scores = np.empty(len(query_rows), dtype=np.float32)
    for start in range(0, len(query_rows), chunk):
        end = start + chunk
        scores[start:end] = process.cpdist(new_lower[query_rows[start:end]], suspended_lower[suspended_rows[start:end]],
                                           scorer=Levenshtein.normalized_similarity, workers=-1, dtype=np.float32)
    return scores


def top_k_per_query(query_rows: np.ndarray, suspended_rows: np.ndarray, scores: np.ndarray, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """The k best-scored (query, suspended) pairs of each query, ties going to the lower row.
    Pairs must come grouped by query (both candidate generators emit them so); a partition per
    query keeps this linear in the pairs, which matters when a method returns millions."""
    if not len(query_rows):
        return query_rows, suspended_rows
    group_starts = np.flatnonzero(np.r_[True, query_rows[1:] != query_rows[:-1]])
    group_ends = np.r_[group_starts[1:], len(query_rows)]
    kept = []
    for start, end in zip(group_starts.tolist(), group_ends.tolist()):
        group_scores = scores[start:end]
        if end - start > k:
            contenders = np.flatnonzero(group_scores >= np.partition(group_scores, -k)[-k])
        else:
            contenders = np.arange(end - start)
        order = np.lexsort((suspended_rows[start + contenders], -group_scores[contenders]))[:k]
        kept.append(start + contenders[order])
    keep = np.concatenate(kept)
    return query_rows[keep], suspended_rows[keep]


def found_predecessor(world: World, query_rows: np.ndarray, suspended_rows: np.ndarray) -> np.ndarray:
    found = np.zeros(len(world.new_handles), dtype=bool)
    found[query_rows[suspended_rows == world.predecessor[query_rows]]] = True
    return found


def recall(world: World, found: np.ndarray, among: np.ndarray) -> float | None:
    eligible = world.findable() & among
    return float(found[eligible].mean()) if eligible.any() else None


def recall_by_mutation(world: World, found: np.ndarray, among: np.ndarray) -> dict:
    out = {}
    for name in MUTATIONS:
        chosen = (world.kind == RETURNEE) & (world.mutation == name) & among
        if chosen.any():
            out[name] = {"recall": float(found[chosen].mean()), "queries": int(chosen.sum())}
    return out


def recall_of(world: World, best_queries: np.ndarray, best_suspended: np.ndarray) -> tuple[np.ndarray, float | None, dict]:
    """What a method's top 10 found: per query whether its predecessor is among them, recall@10
    over every findable returnee, and recall@10 by mutation."""
    found = found_predecessor(world, best_queries, best_suspended)
    everyone = np.ones(len(found), dtype=bool)
    return found, recall(world, found, everyone), recall_by_mutation(world, found, everyone)


def hydrawatch_join(world: World, max_postings: int) -> tuple[BatchRun, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The batch path of ``hydrawatch returnees`` (``candidates._key_pairs``): the new handles'
    keys first, then the suspended handles' keys kept only where a new handle has the key
    (``handle_key_hashes(..., only=)``, in threads), a KeyIndex of those, ``lookup_pairs``."""
    clear_key_caches()
    suspended_lower, new_lower = world.suspended_lower, world.new_lower
    started = time.perf_counter()
    query_rows, query_hashes = handle_key_hashes(world.new_handles)
    owners, hashes = handle_key_hashes(world.suspended_handles, workers=KEY_WORKERS, only=distinct(query_hashes))
    keys_seconds = time.perf_counter() - started
    pair_queries, pair_suspended = shared_key_pairs(query_rows, query_hashes, owners, hashes, max_postings)
    lookup_done = time.perf_counter()
    scores = score_pairs(pair_queries, pair_suspended, new_lower, suspended_lower)
    scoring_done = time.perf_counter()
    best_queries, best_suspended = top_k_per_query(pair_queries, pair_suspended, scores)
    done = time.perf_counter()
    found, found_recall, by_mutation = recall_of(world, best_queries, best_suspended)
    run = BatchRun("hydrawatch key join", f"{KEY_WORKERS} (keys); 1 (join); 2 (cpdist)", 0.0, done - started,
                   len(world.new_handles), len(pair_queries), found_recall, by_mutation=by_mutation,
                   notes={"keys_seconds": keys_seconds, "join_seconds": lookup_done - started - keys_seconds,
                          "shared_postings": len(hashes), "scoring_seconds": scoring_done - lookup_done,
                          "top10_seconds": done - scoring_done, "max_postings": max_postings})
    return run, found, (pair_queries, pair_suspended)


def hydrawatch_batch(world: World, max_postings: int) -> tuple[BatchRun, BatchRun, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Every key of every suspended handle in a KeyIndex (what the online matcher holds), then the
    queries; the second run is the same queries against that index saved to disk and loaded back,
    as a batch job would reuse the index kept for the online matcher."""
    clear_key_caches()
    suspended_lower, new_lower = world.suspended_lower, world.new_lower
    started = time.perf_counter()
    owners, hashes = handle_key_hashes(world.suspended_handles, workers=KEY_WORKERS)
    keys_seconds = time.perf_counter() - started
    index = KeyIndex()
    index.add_many(owners, hashes)
    build_seconds = time.perf_counter() - started
    del owners, hashes
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "suspended-keys.npz"
    np.savez(path, **index.state())
    del index
    started = time.perf_counter()
    with np.load(path) as saved:
        index = KeyIndex.from_state({"hashes": saved["hashes"], "rows": saved["rows"]})
    load_seconds = time.perf_counter() - started
    path.unlink()

    started = time.perf_counter()
    query_rows, query_hashes = handle_key_hashes(world.new_handles)
    pair_queries, pair_suspended = index.lookup_pairs(query_rows, query_hashes, max_postings=max_postings)
    lookup_seconds = time.perf_counter() - started
    scores = score_pairs(pair_queries, pair_suspended, new_lower, suspended_lower)
    scoring_done = time.perf_counter()
    best_queries, best_suspended = top_k_per_query(pair_queries, pair_suspended, scores)
    query_seconds = time.perf_counter() - started

    found, found_recall, by_mutation = recall_of(world, best_queries, best_suspended)
    run = BatchRun("hydrawatch KeyIndex, all keys", f"{KEY_WORKERS} (keys); 2 (index sort); 2 (cpdist)", build_seconds, query_seconds,
                   len(world.new_handles), len(pair_queries), found_recall, by_mutation=by_mutation,
                   notes={"keys_seconds": keys_seconds, "sort_seconds": build_seconds - keys_seconds, "postings": len(index),
                          "index_bytes": index.nbytes(), "lookup_seconds": lookup_seconds,
                          "scoring_seconds": scoring_done - started - lookup_seconds,
                          "top10_seconds": query_seconds - (scoring_done - started), "max_postings": max_postings})
    saved_run = BatchRun("hydrawatch, saved KeyIndex loaded", "1 (load); 2 (cpdist scoring)", load_seconds, query_seconds,
                         run.queries_timed, run.pairs_scored, run.recall, by_mutation=run.by_mutation, notes={"load_seconds": load_seconds})
    return run, saved_run, found, (pair_queries, pair_suspended)


def cdist_batch(world: World, sample: int, chunk: int = 25) -> tuple[BatchRun, np.ndarray]:
    """All-pairs scores for the first ``sample`` queries, extrapolated linearly to all."""
    suspended_lower, new_lower = world.suspended_lower, world.new_lower
    choices = suspended_lower.tolist()
    best_queries, best_suspended = [], []
    cdist_seconds = top_seconds = 0.0
    for start in range(0, sample, chunk):
        queries = new_lower[start : start + chunk].tolist()
        started = time.perf_counter()
        scores = process.cdist(queries, choices, scorer=Levenshtein.normalized_similarity, workers=-1, dtype=np.float32)
        scored = time.perf_counter()
        for offset, row in enumerate(scores):
            tenth_best = np.partition(row, -TOP_K)[-TOP_K]
            contenders = np.flatnonzero(row >= tenth_best)
            order = np.lexsort((contenders, -row[contenders]))[:TOP_K]
            best_queries.append(np.full(len(order), start + offset))
            best_suspended.append(contenders[order])
        cdist_seconds += scored - started
        top_seconds += time.perf_counter() - scored
        del scores
    found = found_predecessor(world, np.concatenate(best_queries), np.concatenate(best_suspended))
    in_sample = np.arange(len(found)) < sample
    scale = len(world.new_handles) / sample
    run = BatchRun("rapidfuzz cdist (brute force)", "2 (workers=-1); top-10 selection 1", 0.0, (cdist_seconds + top_seconds) * scale, sample,
                   sample * len(choices), recall(world, found, in_sample), recall(world, found, in_sample),
                   by_mutation=recall_by_mutation(world, found, in_sample),
                   notes={"cdist_seconds_sample": cdist_seconds, "top10_seconds_sample": top_seconds, "sample": sample,
                          "extrapolation_factor": scale, "cdist_only_seconds_all": cdist_seconds * scale})
    return run, in_sample


def shingles(handle: str) -> list[bytes]:
    handle = handle.lower()
    return list({handle[i : i + 3].encode() for i in range(max(len(handle) - 2, 1))})


def lsh_candidates(lsh, minhashes) -> tuple[np.ndarray, np.ndarray]:
    query_rows, suspended_rows = [], []
    for row, minhash in enumerate(minhashes):
        found = lsh.query(minhash)
        if found:
            query_rows.append(np.full(len(found), row, dtype=np.int64))
            suspended_rows.append(np.fromiter(found, dtype=np.int64, count=len(found)))
    if not query_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(query_rows), np.concatenate(suspended_rows)


def tune_lsh_threshold(world: World, subset: int) -> tuple[float, list[dict]]:
    """Sweep thresholds on the first ``subset`` suspended handles and the findable returnees of
    those; keep the highest threshold within half a point of the best recall (the fastest one
    that gives up no recall)."""
    from datasketch import MinHash, MinHashLSH

    subset = min(subset, len(world.suspended_handles))
    suspended_minhashes = list(MinHash.generator((shingles(h) for h in world.suspended_handles[:subset]), num_perm=NUM_PERM))
    queries = np.flatnonzero(world.findable() & (world.predecessor < subset) & (world.predecessor >= 0))
    query_minhashes = list(MinHash.generator((shingles(world.new_handles[q]) for q in queries), num_perm=NUM_PERM))
    suspended_lower, new_lower = world.suspended_lower[:subset], world.new_lower[queries]
    sweep = []
    for threshold in LSH_THRESHOLDS:
        started = time.perf_counter()
        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        with lsh.insertion_session() as session:
            for row, minhash in enumerate(suspended_minhashes):
                session.insert(row, minhash, check_duplication=False)
        pair_queries, pair_suspended = lsh_candidates(lsh, query_minhashes)
        best_queries, best_suspended = top_k_per_query(pair_queries, pair_suspended, score_pairs(pair_queries, pair_suspended, new_lower, suspended_lower))
        hits = len(np.unique(best_queries[best_suspended == world.predecessor[queries][best_queries]]))
        sweep.append({"threshold": threshold, "bands_rows": [lsh.b, lsh.r], "recall": hits / max(len(queries), 1),
                      "pairs_per_query": len(pair_queries) / max(len(queries), 1), "seconds": time.perf_counter() - started})
        del lsh
    best = max(entry["recall"] for entry in sweep)
    chosen = max(entry["threshold"] for entry in sweep if entry["recall"] >= best - 0.005)
    return chosen, sweep


def lsh_batch(world: World, threshold: float) -> tuple[BatchRun, np.ndarray]:
    from datasketch import MinHash, MinHashLSH

    suspended_lower, new_lower = world.suspended_lower, world.new_lower
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for row, minhash in enumerate(MinHash.generator((shingles(h) for h in world.suspended_handles), num_perm=NUM_PERM)):
            session.insert(row, minhash, check_duplication=False)
    build_seconds = time.perf_counter() - started
    rss_growth = rss_bytes() - rss_before

    started = time.perf_counter()
    query_minhashes = MinHash.generator((shingles(h) for h in world.new_handles), num_perm=NUM_PERM)
    pair_queries, pair_suspended = lsh_candidates(lsh, query_minhashes)
    candidates_seconds = time.perf_counter() - started
    best_queries, best_suspended = top_k_per_query(pair_queries, pair_suspended, score_pairs(pair_queries, pair_suspended, new_lower, suspended_lower))
    query_seconds = time.perf_counter() - started
    bands = (lsh.b, lsh.r)
    del lsh
    gc.collect()

    found, found_recall, by_mutation = recall_of(world, best_queries, best_suspended)
    run = BatchRun(f"datasketch MinHashLSH t={threshold}", "1 (no parallel API); 2 (cpdist scoring)", build_seconds, query_seconds,
                   len(world.new_handles), len(pair_queries), found_recall, by_mutation=by_mutation,
                   notes={"threshold": threshold, "num_perm": NUM_PERM, "bands_rows": list(bands), "rss_growth_bytes": rss_growth,
                          "minhash_and_lsh_query_seconds": candidates_seconds})
    return run, found


# --- report -------------------------------------------------------------------------------


def percentiles(values: np.ndarray) -> dict:
    if not len(values):
        return {}
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99), "max": float(np.max(values)), "mean": float(np.mean(values))}


def machine_load() -> dict:
    """Load average and Linux CPU pressure: a busy machine inflates wall-clock latency."""
    load = {"loadavg": [round(x, 2) for x in os.getloadavg()]}
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        load["cpu_pressure_avg60"] = float(some.split("avg60=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return load


def verdict(ok: bool | None) -> str:
    return "SKIPPED" if ok is None else "PASS" if ok else "FAIL"


def fmt_recall(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1%}"


def print_online(online: dict) -> None:
    lat, diag = online["latency_ms"], online["diagnosis"]
    print(f"\nonline matcher: {online['identities']:,} suspended identities, {online['queries']:,} queries one at a time, one core, ranker {online['ranker']}")
    print(f"  build (add_many)   {online['build_seconds']:8.1f} s   RSS growth {online['build_rss_growth_bytes'] / GIB:.2f} GiB, "
          f"{online['build_rss_growth_without_key_caches_bytes'] / GIB:.2f} GiB after clearing the key caches (input strings shared, not counted)")
    print(f"  save               {online['save_seconds']:8.1f} s   file {online['file_bytes'] / 1e6:,.0f} MB")
    print(f"  load (fresh proc.) {online['load_seconds']:8.1f} s   RSS growth {online['load_rss_growth_bytes'] / GIB:.2f} GiB, peak growth {online['load_peak_growth_bytes'] / GIB:.2f} GiB ({online['memory_source']})")
    print(f"  latency ms         p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}  max {lat['max']:.1f}  "
          f"(full GCs during queries: {online['full_gc_during_queries']})")
    cpu = online["cpu_ms"]
    print(f"  CPU time ms        p50 {cpu['p50']:.2f}  p90 {cpu['p90']:.2f}  p99 {cpu['p99']:.2f}  max {cpu['max']:.1f}  (thread CPU time; wall minus this is waiting for the core)")
    for kind, values in online["latency_ms_by_kind"].items():
        print(f"    {kind:<10} p50 {values['p50']:.2f}  p99 {values['p99']:.2f}")
    for message, entry in online["query_errors"].items():
        print(f"  ERROR in {entry['count']:,} queries (first: new handle {entry['first_handle']!r}): {message}")
    print(f"  recall@10 of the predecessor (findable returnees, in the 30-day window): {fmt_recall(online['recall_at_10_findable'])}")
    print("    by mutation: " + ", ".join(f"{name} {v['recall']:.0%} (n={v['queries']})" for name, v in online["recall_at_10_by_mutation"].items()))
    print(f"  where the CPU time goes (sample of {diag['sample']:,}): candidates() {diag['share_of_time_in_candidates']:.0%} of query time, "
          f"scoring {diag['scoring_ms_per_candidate'] * 1000:.0f} us per candidate; rows sharing a key p50 {diag['rows_sharing_a_key']['p50']:.0f} "
          f"p99 {diag['rows_sharing_a_key']['p99']:.0f}; in the time window p50 {diag['rows_in_time_window']['p50']:.0f} "
          f"p99 {diag['rows_in_time_window']['p99']:.0f}; slowest 1 %: {diag['slowest_1pct_mean_rows_in_window']:.0f} rows in window on average")


def print_batch(runs: list[BatchRun], reference: BatchRun, queries: int, suspended: int) -> None:
    print(f"\nbatch: {queries:,} new handles against {suspended:,} suspended, top {TOP_K} by Levenshtein similarity")
    header = f"{'method':<34} {'cores':<39} {'build s':>8} {'query s':>9} {'ms/query':>9} {'recall@10':>10} {'time / hydrawatch':>18}"
    print(header)
    print("-" * len(header))
    for run in runs:
        extrapolated = "*" if run.queries_timed < queries else " "
        print(f"{run.method:<34} {run.cores:<39} {run.build_seconds:8.1f} {run.query_seconds:8.1f}{extrapolated} "
              f"{run.query_seconds / queries * 1000:9.2f} {fmt_recall(run.recall):>10} {run.total_seconds / reference.total_seconds:17.1f}x")
    sampled = [run for run in runs if run.queries_timed < queries]
    for run in sampled:
        print(f"* timed on {run.queries_timed:,} queries against all {suspended:,} handles and extrapolated linearly "
              f"(x{run.notes['extrapolation_factor']:.0f}); its recall is on those queries' returnees")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 100k suspended, 1k queries, 100 cdist queries")
    parser.add_argument("--suspended", type=int, help="suspended identities (default 1,000,000; 100,000 with --quick)")
    parser.add_argument("--queries", type=int, help="new accounts (default 10,000; 1,000 with --quick)")
    parser.add_argument("--cdist-sample", type=int, help="queries timed with cdist (default 1,000; 100 with --quick)")
    parser.add_argument("--lsh-threshold", type=float, help="skip the threshold sweep and use this one")
    parser.add_argument("--lsh-tune-subset", type=int, help="suspended handles in the threshold sweep (default 50,000; 20,000 with --quick)")
    parser.add_argument("--max-postings", type=int, default=MAX_POSTINGS,
                        help="batch: skip keys shared by more handles (default: the library's stop-key cap)")
    parser.add_argument("--online-max-postings", type=int, default=ONLINE_MAX_POSTINGS,
                        help="online: skip keys shared by more identities inside the query's window; 0 keeps every key "
                             "(default: the library's online cap)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--history-days", type=float, default=365.0,
                        help="suspensions spread uniformly over this many days (the 30-day window keeps about 30/N of them)")
    parser.add_argument("--skip-online", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--measure-load", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_load:
        measure_load(args.measure_load)
        return
    suspended = args.suspended or (100_000 if args.quick else 1_000_000)
    queries = args.queries or (1_000 if args.quick else 10_000)
    cdist_sample = min(args.cdist_sample or (100 if args.quick else 1_000), queries)
    tune_subset = args.lsh_tune_subset or (20_000 if args.quick else 50_000)
    overall = time.perf_counter()

    print(f"generating {suspended:,} suspended identities and {queries:,} new accounts (seed {args.seed}) ...", flush=True)
    started = time.perf_counter()
    world = make_world(suspended, queries, args.seed, args.history_days)
    kinds = {kind: int((world.kind == kind).sum()) for kind in (RETURNEE, DECOY, UNRELATED)}
    print(f"  {time.perf_counter() - started:,.1f} s; queries: {kinds}, findable returnees {int(world.findable().sum()):,}", flush=True)
    report: dict = {"mode": "quick" if args.quick else "full", "suspended": suspended, "queries": queries, "seed": args.seed,
                    "history_days": args.history_days, "query_mix": kinds, "cpus": os.cpu_count(), "machine_load_at_start": machine_load()}

    targets = []
    if not args.skip_online:
        print("online phase ...", flush=True)
        report["online"] = online_phase(world, args.quick, args.online_max_postings or None)
        print_online(report["online"])
        targets += online_targets(report["online"])
    if not args.skip_batch:
        targets += batch_phase(world, args, cdist_sample, tune_subset, report)

    report["targets"] = targets
    report["seconds"] = time.perf_counter() - overall
    report["machine_load_at_end"] = machine_load()
    print(f"\nmachine load (1/5/15-min load average, CPU pressure 'some' avg60): start {report['machine_load_at_start']}, "
          f"end {report['machine_load_at_end']} on {os.cpu_count()} CPUs; other processes on the machine slow every method alike")
    scale_note = "" if suspended >= 1_000_000 and queries >= 10_000 else "  (smaller than the issue's scale)"
    print(f"\ntargets{scale_note}:")
    for target in targets:
        print(f"  {verdict(target['ok']):<7} {target['name']}: {target['measured']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("returnee_matching-quick.json" if args.quick else "returnee_matching.json")
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwhole run {report['seconds'] / 60:.1f} min; results in {out.relative_to(HERE.parent)}", flush=True)


def batch_phase(world: World, args: argparse.Namespace, cdist_sample: int, tune_subset: int, report: dict) -> list[dict]:
    queries, suspended = len(world.new_handles), len(world.suspended_handles)
    print("\nbatch phase: hydrawatch ...", flush=True)
    hydrawatch, hydrawatch_found, join_pairs = hydrawatch_join(world, args.max_postings)
    print(f"  key join {hydrawatch.total_seconds:.1f} s (keys {hydrawatch.notes['keys_seconds']:.1f} s)", flush=True)
    full, full_saved, full_found, full_pairs = hydrawatch_batch(world, args.max_postings)
    print(f"  all keys indexed: build {full.build_seconds:.1f} s (keys {full.notes['keys_seconds']:.1f} s), saved index loads in "
          f"{full_saved.build_seconds:.1f} s, query {full.query_seconds:.2f} s", flush=True)
    same_pairs = all(np.array_equal(a, b) for a, b in zip(join_pairs, full_pairs))
    report["join_pairs_equal_full_index_pairs"] = same_pairs
    if not same_pairs:
        print("  WARNING: the key join and the full index found different candidate pairs", flush=True)
    del join_pairs, full_pairs
    print(f"batch phase: cdist on {cdist_sample:,} queries ...", flush=True)
    brute, in_sample = cdist_batch(world, cdist_sample)
    hydrawatch.recall_on_sample = recall(world, hydrawatch_found, in_sample)
    full.recall_on_sample = full_saved.recall_on_sample = recall(world, full_found, in_sample)
    runs = [hydrawatch, full, full_saved, brute]

    lsh = None
    try:
        import datasketch  # noqa: F401
    except ImportError:
        print(f"\ndatasketch is not installed, so the MinHash LSH comparison is skipped. Install it with:\n  {INSTALL_HINT}")
    else:
        if args.lsh_threshold is None:
            print(f"batch phase: tuning the LSH threshold on {min(tune_subset, suspended):,} suspended handles ...", flush=True)
            threshold, sweep = tune_lsh_threshold(world, tune_subset)
            for entry in sweep:
                print(f"  threshold {entry['threshold']:.1f} (b={entry['bands_rows'][0]}, r={entry['bands_rows'][1]}): recall@10 {entry['recall']:.1%}, "
                      f"{entry['pairs_per_query']:,.0f} candidates per query, {entry['seconds']:.1f} s", flush=True)
            report["lsh_sweep"] = sweep
        else:
            threshold = args.lsh_threshold
        print(f"batch phase: datasketch MinHashLSH, threshold {threshold} ...", flush=True)
        lsh, lsh_found = lsh_batch(world, threshold)
        lsh.recall_on_sample = recall(world, lsh_found, in_sample)
        runs.append(lsh)

    print_batch(runs, hydrawatch, queries, suspended)
    print("\nrecall@10 by mutation (n = queries):")
    distinct_runs = [run for run in runs if run not in (full, full_saved)]  # the same candidates as the join
    for name in MUTATIONS:
        cells = [f"{run.by_mutation[name]['recall']:6.1%} (n={run.by_mutation[name]['queries']:,})" if name in run.by_mutation else "   n/a" for run in distinct_runs]
        print(f"  {name:<22} " + "   ".join(f"{run.method.split()[0]} {cell:<16}" for run, cell in zip(distinct_runs, cells)))
    print(f"  on the {cdist_sample:,} cdist queries: " + ", ".join(f"{run.method.split()[0]} {fmt_recall(run.recall_on_sample)}" for run in distinct_runs))
    print(f"\nhydrawatch key join time split: keys {hydrawatch.notes['keys_seconds']:.1f} s (the suspended handles' kept where a new "
          f"handle has them: {hydrawatch.notes['shared_postings']:,} postings), join {hydrawatch.notes['join_seconds']:.2f} s, "
          f"cpdist {hydrawatch.notes['scoring_seconds']:.2f} s, top 10 {hydrawatch.notes['top10_seconds']:.2f} s; "
          f"{hydrawatch.pairs_scored / queries:,.0f} candidates per query; the same pairs as the full index: {same_pairs}")
    print(f"hydrawatch all keys indexed: keys {full.notes['keys_seconds']:.1f} s + index sort {full.notes['sort_seconds']:.1f} s "
          f"({full.notes['postings']:,} postings); query: keys + lookup_pairs {full.notes['lookup_seconds']:.2f} s, "
          f"cpdist {full.notes['scoring_seconds']:.2f} s, top 10 {full.notes['top10_seconds']:.2f} s")
    print(f"index memory: hydrawatch KeyIndex arrays, all keys, {full.notes['index_bytes'] / 1e6:,.0f} MB"
          + (f"; MinHashLSH RSS growth {lsh.notes['rss_growth_bytes'] / GIB:.2f} GiB, {lsh.pairs_scored / queries:,.0f} candidates per query" if lsh else ""))
    report["batch"] = [run_as_dict(run) for run in runs]
    return batch_targets(hydrawatch, full, full_saved, brute, lsh)


def online_targets(online: dict) -> list[dict]:
    p99 = online["latency_ms"]["p99"]
    memory = online["load_rss_growth_bytes"]
    failed = sum(entry["count"] for entry in online["query_errors"].values())
    return [
        {"name": "online queries answered without an exception", "ok": not failed,
         "measured": f"{failed:,} of {online['queries']:,} raised" + "".join(f"; {message} (x{entry['count']:,})" for message, entry in online["query_errors"].items())},
        {"name": f"online p99 latency <= {P99_TARGET_MS:g} ms on one core", "ok": p99 <= P99_TARGET_MS,
         "measured": f"p99 {p99:.2f} ms wall (p50 {online['latency_ms']['p50']:.2f} ms); CPU time p99 {online['cpu_ms']['p99']:.2f} ms"},
        {"name": "online index memory <= 2 GiB", "ok": memory <= MEMORY_TARGET_BYTES,
         "measured": f"{memory / GIB:.2f} GiB RSS growth loading it in a fresh process ({online['memory_source']}; peak during the load "
                     f"{online['load_peak_growth_bytes'] / GIB:.2f} GiB); {online['build_rss_growth_bytes'] / GIB:.2f} GiB growth while building"},
    ]


def batch_targets(hydrawatch: BatchRun, full: BatchRun, full_saved: BatchRun, brute: BatchRun, lsh: BatchRun | None) -> list[dict]:
    """``hydrawatch`` is the key join (the batch path of ``hydrawatch returnees``), everything
    from the handles to the top 10 timed; ``full`` and ``full_saved`` are the other ways of
    getting the same candidates, reported beside it."""
    targets = []
    # Brute force is charged for cdist alone (its top-10 selection is left out), the cheapest it could be.
    cdist_only = brute.notes["cdist_only_seconds_all"]
    ratio = cdist_only / hydrawatch.total_seconds
    recall_ok = (hydrawatch.recall_on_sample or 0.0) >= (brute.recall or 0.0)
    targets.append({"name": f"batch >= {CDIST_TARGET_RATIO:g}x faster than cdist, recall at least cdist's", "ok": ratio >= CDIST_TARGET_RATIO and recall_ok,
                    "measured": f"{ratio:.1f}x (key join, handles to top 10, vs cdist scoring alone, extrapolated; "
                                f"{brute.total_seconds / hydrawatch.total_seconds:.1f}x with cdist's top-10 selection; "
                                f"{cdist_only / full.total_seconds:.1f}x indexing all the suspended handles' keys; "
                                f"{cdist_only / full_saved.total_seconds:.0f}x with that index saved and loaded); recall@10 on the sample "
                                f"{fmt_recall(hydrawatch.recall_on_sample).strip()} vs {fmt_recall(brute.recall).strip()}",
                    "ratio": ratio, "ratio_full_index": cdist_only / full.total_seconds, "ratio_saved_index": cdist_only / full_saved.total_seconds})
    if lsh is None:
        targets.append({"name": f"batch >= {LSH_TARGET_RATIO:g}x faster than MinHashLSH", "ok": None, "measured": f"datasketch missing: {INSTALL_HINT}"})
    else:
        ratio = lsh.total_seconds / hydrawatch.total_seconds
        recall_ok = (hydrawatch.recall or 0.0) >= (lsh.recall or 0.0)
        targets.append({"name": f"batch >= {LSH_TARGET_RATIO:g}x faster than MinHashLSH (build + query), recall at least LSH's",
                        "ok": ratio >= LSH_TARGET_RATIO and recall_ok,
                        "measured": f"{ratio:.1f}x (query alone {lsh.query_seconds / hydrawatch.query_seconds:.0f}x, LSH's own "
                                    f"MinHash/LSH work alone {lsh.notes['minhash_and_lsh_query_seconds'] / hydrawatch.query_seconds:.0f}x); recall@10 "
                                    f"{fmt_recall(hydrawatch.recall).strip()} vs {fmt_recall(lsh.recall).strip()}",
                        "ratio": ratio, "ratio_query_only": lsh.query_seconds / hydrawatch.query_seconds})
    return targets


def run_as_dict(run: BatchRun) -> dict:
    return {"method": run.method, "cores": run.cores, "build_seconds": run.build_seconds, "query_seconds": run.query_seconds,
            "total_seconds": run.total_seconds, "queries_timed": run.queries_timed, "pairs_scored": run.pairs_scored,
            "recall_at_10": run.recall, "recall_at_10_on_cdist_sample": run.recall_on_sample, "recall_by_mutation": run.by_mutation,
            "notes": run.notes}


if __name__ == "__main__":
    main()
