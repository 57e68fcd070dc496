"""Enforcement analytics against the truth of simulated worlds the code was not tuned on.

1. Estimates from the store (scored network population, returnee lineages from the shipped
   detector) vs the world's truth: median lifetime and median time to return (target: within
   10%), return probability (within 0.05), the true Kaplan-Meier curve inside the estimate's
   95% simultaneous band.
2. Baseline replay: the simulator calibrated on a world reproduces its reach curve (target:
   mean absolute relative error over the days within 10%).
3. Policy ranking: worlds re-generated under each policy (the generator's policy knobs) vs
   the simulator calibrated on the baseline world only; rankings by mean reach compared
   (Kendall's tau; target: the same order).

    .venv/bin/python benchmarks/enforcement.py [--quick]

Worlds are cached under $HW_WORLD_CACHE (default /work/cache/hw-worlds); results land in
benchmarks/results/enforcement.json.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import orjson

from hydrawatch.enforcement import Policy, read_enforcement_data, reach_over_time
from hydrawatch.enforcement.simulate import Calibration, simulate, world_config_for
from hydrawatch.evaluation.enforcement import compare, world_truth
from hydrawatch.evaluation.returnees import WorldSpec, prepare_world
from hydrawatch.ingest import ingest_paths
from hydrawatch.pipeline import detect_returnees, save_identities
from hydrawatch.store.duck import Store
from hydrawatch.synth import WorldConfig, generate
from hydrawatch.synth.world import WORLD_VERSION

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("HW_WORLD_CACHE", "/work/cache/hw-worlds"))
WORK = CACHE.parent / "hw-enforcement"
# Held out: the returnee ranker trained on 1001-1003 and the simulator was developed on
# 1001-1005; nothing here was tuned on these (2005-2007 were first generated after the last
# simulator change).
HELD_OUT = (2001, 2002, 2005, 2006, 2007)
POLICY_SEEDS = (5001, 5002, 5003)
POLICY_WORLD = {"accounts": 8000, "network": 400, "days": 120, "mean_posts_per_account": 4.0}
POLICIES = [
    Policy(name="baseline"),
    Policy(name="twice as fast", suspension_speedup=2.0),
    Policy(name="returnees caught in 6 h", returnee_detection_hours=6.0, returnee_detection_recall=0.8),
    Policy(name="hubs first", targeting="hubs"),
    Policy(name="small clusters first", targeting="small_clusters"),
    Policy(name="promoters x4", promoter_hazard_multiplier=4.0),
]


@functools.cache
def _ranker_digest() -> str:
    """Which shipped returnee ranker made a cached store's lineages (a new model redoes them)."""
    from hydrawatch.evasion.detect import default_model_path

    return hashlib.sha256(default_model_path().read_bytes()).hexdigest()


def with_lineages(source: Path, target: Path) -> Path:
    """A private copy of a cached store with returnee lineages saved (cached stores are shared)."""
    stamp = target.with_suffix(".lineages")
    if not target.exists() or not stamp.exists() or stamp.read_text().strip() != _ranker_digest():
        shutil.copyfile(source, target)
        with Store(target) as store:
            save_identities(store, detect_returnees(store))
        stamp.write_text(_ranker_digest() + "\n")
    return target


def replay_error(data, runs: int = 20) -> float:
    observed = reach_over_time(data).followers
    simulated = simulate(Calibration.from_data(data), Policy(runs=runs)).reach.mean(axis=0)
    keep = observed > 0
    return float(np.mean(np.abs(simulated[keep] - observed[keep]) / observed[keep]))


def estimation(seed: int) -> dict:
    world = prepare_world(WorldSpec(seed), CACHE)
    store_path = with_lineages(world.store_path, WORK / f"s{seed}.duckdb")
    started = time.perf_counter()
    with Store(store_path, read_only=True) as store:
        data = read_enforcement_data(store)
    truth = world_truth(world.folder, data.data_start, data.data_end)
    result = compare(data, truth)
    result["baseline_replay_error"] = round(replay_error(data), 4)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def kendall_tau(first: list[float], second: list[float]) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(first, second).statistic)


def policy_world(seed: int, policy: Policy) -> Path:
    """A world re-generated under ``policy``, ingested (lineages detected for the baseline)."""
    folder = WORK / f"policy-{seed}-{policy.name.replace(' ', '_')}-v{WORLD_VERSION}"  # a new generator, new worlds
    store_path = folder.with_suffix(".duckdb")
    stamp = folder.with_suffix(".lineages")
    if not store_path.exists():
        generate(world_config_for(policy, WorldConfig(seed=seed, **POLICY_WORLD)), folder)
        with Store(store_path) as store:
            ingest_paths(store, [folder])
    if policy.name == "baseline" and (not stamp.exists() or stamp.read_text().strip() != _ranker_digest()):
        with Store(store_path) as store:
            save_identities(store, detect_returnees(store))
        stamp.write_text(_ranker_digest() + "\n")
    return folder


def policy_ranking(quick: bool) -> dict:
    """Mean reach per policy: of the true network in re-generated worlds (one per seed), and
    simulated from each seed's baseline store alone; both averaged over the seeds."""
    seeds = POLICY_SEEDS[:1] if quick else POLICY_SEEDS
    true_runs = {p.name: [] for p in POLICIES}
    simulated_runs = {p.name: [] for p in POLICIES}
    for seed in seeds:
        for policy in POLICIES:
            folder = policy_world(seed, policy)
            truth = world_truth(folder)
            with Store(folder.with_suffix(".duckdb"), read_only=True) as store:
                # The generator's outcome: reach of the true network, measured like the store's.
                data = read_enforcement_data(store, accounts=truth.account_id.tolist())
            true_runs[policy.name].append(float(reach_over_time(data).followers.mean()))
        with Store(policy_world(seed, POLICIES[0]).with_suffix(".duckdb"), read_only=True) as store:
            observed = read_enforcement_data(store)
        calibration = Calibration.from_data(observed)
        for policy in POLICIES:
            runs = Policy(**{**policy.__dict__, "runs": 10 if quick else 40})
            simulated_runs[policy.name].append(float(simulate(calibration, runs).reach.mean()))
    true_reach = {n: float(np.mean(v)) for n, v in true_runs.items()}
    simulated_reach = {n: float(np.mean(v)) for n, v in simulated_runs.items()}
    names = [p.name for p in POLICIES]
    true_order = sorted(names, key=lambda n: true_reach[n])
    simulated_order = sorted(names, key=lambda n: simulated_reach[n])
    return {
        "seeds": list(seeds),
        "true_mean_reach": {n: round(true_reach[n], 1) for n in names},
        "simulated_mean_reach": {n: round(simulated_reach[n], 1) for n in names},
        "true_order_low_to_high": true_order,
        "simulated_order_low_to_high": simulated_order,
        "kendall_tau": round(kendall_tau([true_reach[n] for n in names], [simulated_reach[n] for n in names]), 3),
        "same_order": true_order == simulated_order,
    }


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    WORK.mkdir(parents=True, exist_ok=True)
    results = {"estimation": {}, "policy_ranking": None}
    for seed in HELD_OUT[:1] if quick else HELD_OUT:
        print(f"world {seed} ...", flush=True)
        results["estimation"][str(seed)] = estimation(seed)
        print(orjson.dumps(results["estimation"][str(seed)], option=orjson.OPT_INDENT_2).decode(), flush=True)
    print("policy ranking ...", flush=True)
    results["policy_ranking"] = policy_ranking(quick)
    print(orjson.dumps(results["policy_ranking"], option=orjson.OPT_INDENT_2).decode())
    out = HERE / "results" / "enforcement.json"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
