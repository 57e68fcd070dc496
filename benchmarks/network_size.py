"""The hidden-size visibility experiment alone, on chosen worlds: per-world and pooled error,
coverage and interval width of the covariate estimate and of the log-linear one.

    python benchmarks/network_size.py --worlds 3002:3000:150:60,3003:3000:150:60,2001:20000:600:120
        [--replicates 4] [--latent 0.5] [--out FILE] [--cache DIR]

A world is ``seed:accounts:network:days`` (generated and cached like benchmarks/network.py's).
The lists are drawn as in benchmarks/network.py (:func:`hydrawatch.network.evaluation.evaluate_size`,
five lists, capture rates 0.08-0.18, the world's seed as the random seed), so the same
world gives the same runs. ``--latent`` adds unobserved heterogeneity (log-normal, that
standard deviation) that no covariate explains. Tune on development worlds (2001, 3001-3006,
and the standard-size 3101-3103: ``3101:20000:600:120``); benchmarks/network.py's 801-803,
2002 and 2005-2007 are held out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from hydrawatch.evaluation.returnees import WorldSpec, prepare_world  # noqa: E402
from hydrawatch.network.evaluation import BENCHMARK_RATES, evaluate_size, size_statistics  # noqa: E402


def summarise(runs: list[dict]) -> dict:
    statistics = size_statistics(runs)
    del statistics["mean_abs_error"]  # not reported here
    return {"runs": len(runs), **statistics}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", required=True, help="comma-separated seed:accounts:network:days")
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--latent", type=float, default=0.0)
    parser.add_argument("--no-loglinear", action="store_true", help="skip the log-linear comparison (faster)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("HYDRAWATCH_WORLD_CACHE", HERE.parent / ".hydrawatch-cache")))
    args = parser.parse_args()
    started = time.perf_counter()
    reports, pooled = [], {"covariates": [], "loglinear": []}
    for text in args.worlds.split(","):
        seed, accounts, network, days = (int(v) for v in text.split(":"))
        world = prepare_world(WorldSpec(seed=seed, accounts=accounts, network=network, days=days), args.cache)
        report = evaluate_size(world, replicates=args.replicates, lists=5, rates=BENCHMARK_RATES, seed=seed,
                               compare_loglinear=not args.no_loglinear, latent_spread=args.latent)
        reports.append(report)
        pooled["covariates"] += report["run_details"]
        line = f"{world.spec.name} (true {report['true_size']}):\n  covariates {summarise(report['run_details'])}"
        if "without_covariates" in report:
            pooled["loglinear"] += report["without_covariates"]["run_details"]
            line += f"\n  log-linear {summarise(report['without_covariates']['run_details'])}"
        print(line, flush=True)
    summary = {name: summarise(runs) for name, runs in pooled.items() if runs}
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"worlds": args.worlds, "latent_spread": args.latent, "summary": summary, "reports": reports,
                                        "seconds": round(time.perf_counter() - started, 1)}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
