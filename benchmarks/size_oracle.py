"""What an ideal size estimator can achieve on the size benchmark's lists: the error an
estimator that knows the true capture model still makes, from sampling alone.

    python benchmarks/size_oracle.py [--worlds 3002:3000:150:60,2001:20000:600:120]
        [--draws 300] [--out FILE] [--cache DIR]

The lists are drawn as in :func:`hydrawatch.network.evaluation.visibility_lists`: account
``i`` is on list ``k`` with probability ``1 - exp(-rate * w_i * e_k)``, ``w_i`` its true
capture weight (:func:`hydrawatch.network.evaluation.capture_weights`), ``e_k`` the list's
log-normal efficiency; five lists, rates 0.08-0.18, draws with 30-60 % of the network
visible kept. The *oracle* knows every found account's ``w_i`` and the link (the true
model: nothing hidden, nothing misspecified) and estimates only the five efficiencies by
conditional maximum likelihood (Huggins 1989); its estimate is the Horvitz-Thompson sum
``sum 1 / P(found_i)``. What it gets wrong is sampling error: no estimator that must learn
the capture rates from recaptures can do better on average. A second row knows the
efficiencies too (it is told the capture level, the very thing capture-recapture must
infer) and is given only as the floor.

The draws are the script's own (``--seed``), not the benchmark's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from hydrawatch.evaluation.returnees import WorldSpec, prepare_world  # noqa: E402
from hydrawatch.network.evaluation import BENCHMARK_RATES, capture_weights  # noqa: E402



def oracle_estimate(found_histories: np.ndarray, found_weights: np.ndarray) -> float:
    """Conditional MLE of the list efficiencies with the true weights and link; N by
    Horvitz-Thompson."""

    def negative_loglik(log_rates: np.ndarray) -> float:
        hazard = np.exp(log_rates)[None, :] * found_weights[:, None]
        missed_all = np.exp(-hazard.sum(axis=1))
        on_list = np.log(np.clip(-np.expm1(-hazard), 1e-300, None))
        loglik = np.where(found_histories, on_list, -hazard).sum() - np.log1p(-missed_all).sum()
        return -float(loglik)

    start = np.full(found_histories.shape[1], np.log(0.1))
    log_rates = minimize(negative_loglik, start, method="L-BFGS-B").x
    missed_all = np.exp(-(np.exp(log_rates)[None, :] * found_weights[:, None]).sum(axis=1))
    return float(np.sum(1.0 / (1.0 - missed_all)))


def summarise(errors: list[float]) -> dict:
    errors = np.array(errors)
    return {"within_15pct": round(float(np.mean(np.abs(errors) <= 0.15)), 3), "median_abs_error": round(float(np.median(np.abs(errors))), 3),
            "mean_error": round(float(errors.mean()), 3), "sd_error": round(float(errors.std()), 3)}


def run_world(weights: dict[str, float], draws: int, rng: np.random.Generator, lists: int = 5, spread: float = 0.4) -> dict:
    w = np.array([weights[a] for a in sorted(weights)])
    w = w / w.mean()
    total = len(w)
    oracle, known_rates, kept = [], [], 0
    for rate in BENCHMARK_RATES:
        for _ in range(draws):
            efficiency = rng.lognormal(0.0, spread, lists)
            p = 1.0 - np.exp(-rate * np.outer(w, efficiency))
            histories = rng.random(p.shape) < p
            found = histories.any(axis=1)
            if not 0.3 <= found.mean() <= 0.6:
                continue
            kept += 1
            oracle.append(oracle_estimate(histories[found], w[found]) / total - 1)
            known_rates.append(float(np.sum(1.0 / (1.0 - np.prod(1.0 - p[found], axis=1)))) / total - 1)
    return {"network": total, "runs_30_60_visible": kept, "oracle": summarise(oracle), "oracle_told_the_rates": summarise(known_rates)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", default="3002:3000:150:60,3003:3000:150:60,2001:20000:600:120",
                        help="comma-separated seed:accounts:network:days (only their capture weights are used)")
    parser.add_argument("--draws", type=int, default=300, help="lists drawn per capture rate and world")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("HYDRAWATCH_WORLD_CACHE", HERE.parent / ".hydrawatch-cache")))
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    results = {}
    for text in args.worlds.split(","):
        seed, accounts, network, days = (int(v) for v in text.split(":"))
        world = prepare_world(WorldSpec(seed=seed, accounts=accounts, network=network, days=days), args.cache)
        results[world.spec.name] = run_world(capture_weights(world), args.draws, rng)
        print(world.spec.name, json.dumps(results[world.spec.name]), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"worlds": args.worlds, "draws": args.draws, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
