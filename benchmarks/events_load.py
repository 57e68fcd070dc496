"""Load test of the live event API: events/s and per-request latency of ``POST /api/v1/events``
against a real server on loopback.

    python benchmarks/events_load.py [--quick] [--seconds 30] [--clients 4] [--batches 1,10]
        [--accounts 5000] [--days 60] [--seed 7] [--port 0]

What it does:

1. Simulates a platform with :mod:`hydrawatch.synth` (``--accounts`` accounts, ``--days`` days;
   cached in ~/.cache/hydrawatch-benchmarks/ or $HYDRAWATCH_BENCH_CACHE) and turns it into one time-ordered stream of what the API
   accepts: its twarc2 flattened tweets and its compliance events (suspensions, deletions,
   reinstatements, profile changes). The mix is the world's own: mostly tweets of existing
   accounts, with suspensions and, soon after them, the first tweets of returnees under
   mutated handles (sign-ups the matcher must check), plus ordinary sign-ups.
2. Starts ``hydrawatch serve`` in its own process on 127.0.0.1 (uvicorn, one worker, a fresh
   review database and spool, no store: the online matcher learns suspended accounts from the
   stream itself), with an API token made for the run.
3. For each batch size in ``--batches`` (events per request; 1 = one event per request, more =
   NDJSON), ``--clients`` concurrent clients (httpx2, one connection each, in one process) post
   the stream in order as fast as the server answers, for ``--seconds`` (a closed loop: the
   throughput is what the server sustains, the latency is what each request took under that
   load, queueing included). The stream continues where the previous phase stopped.
4. Reports events/s, requests/s and the latency percentiles (p50, p90, p99, max) per phase,
   errors, the cases the server answered with and how many of them name the true predecessor
   (from the world's truth), and PASS/FAIL against the issue's target: at least 500 events/s
   sustained with p99 under 100 ms per request.

Client and server share this machine's cores, so the client's own cost is part of the result;
the load average at start and end is recorded. Results: benchmarks/results/events_load.json
(``events_load-quick.json`` with ``--quick``: 8 s per phase, a 3,000-account world).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from paths import CACHE  # noqa: E402  (generated worlds, outside the tree)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET_EVENTS_PER_SECOND = 500.0
TARGET_P99_MS = 100.0


def world_folder(accounts: int, days: int, seed: int) -> Path:
    from hydrawatch.synth import WorldConfig, generate

    from hydrawatch.synth.world import WORLD_VERSION

    folder = CACHE / f"events-world-a{accounts}-d{days}-s{seed}-v{WORLD_VERSION}"
    if not (folder / "truth" / "summary.json").exists():
        print(f"simulating a world of {accounts:,} accounts over {days} days -> {folder}", flush=True)
        generate(WorldConfig(seed=seed, accounts=accounts, network=max(accounts // 16, 50), days=days), folder)
    return folder


def event_stream(folder: Path) -> tuple[list[bytes], dict[str, int]]:
    """Every tweet and compliance event of the world, in time order, as JSON lines."""
    timed: list[tuple[str, int, bytes]] = []
    mix = {"tweets": 0, "suspensions": 0, "deletions": 0, "reinstatements": 0, "profile_changes": 0}
    with open(folder / "tweets.jsonl", "rb") as handle:
        for line in handle:
            if line.strip():
                timed.append((orjson.loads(line)["created_at"], len(timed), line.rstrip(b"\n")))
                mix["tweets"] += 1
    kinds = {"user_suspend": "suspensions", "user_delete": "deletions", "user_unsuspend": "reinstatements",
             "user_profile_modification": "profile_changes"}
    with open(folder / "compliance.jsonl", "rb") as handle:
        for line in handle:
            if line.strip():
                event = orjson.loads(line)
                kind, body = next(iter(event.items()))
                mix[kinds.get(kind, "profile_changes")] += 1
                timed.append((body["event_at"], len(timed), line.rstrip(b"\n")))
    timed.sort()
    return [line for _, _, line in timed], mix


def truth_predecessors(folder: Path) -> dict[str, str]:
    with open(folder / "truth" / "accounts.csv", newline="", encoding="utf-8") as handle:
        return {row["account_id"]: row["predecessor_id"] for row in csv.DictReader(handle) if row.get("predecessor_id")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path, port: int) -> tuple[subprocess.Popen, str]:
    from hydrawatch.review import ReviewStore
    from hydrawatch.review.users import Users

    review_db = workdir / "review.sqlite"
    with ReviewStore(review_db) as review:
        token = Users(review).create_token("load-test", "moderator", actor="benchmark")
    env = {**os.environ, "HYDRAWATCH_SECRET": secrets.token_urlsafe(48)}
    log = open(workdir / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "hydrawatch.cli.main", "serve", "--review-db", str(review_db), "--no-store", "--host", "127.0.0.1",
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
    log.close()
    import httpx2

    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see {workdir / 'server.log'}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise SystemExit("the server did not answer within 60 s")
        time.sleep(0.2)
    return server, token


async def run_phase(base: str, token: str, stream: list[bytes], start: int, batch: int, clients: int, seconds: float) -> dict:
    import httpx2

    position = start
    latencies: list[float] = []
    sent_events = 0
    errors: dict[str, int] = {}
    cases: list[dict] = []
    deadline = time.perf_counter() + seconds

    async def client_loop(client) -> None:
        nonlocal position, sent_events
        while time.perf_counter() < deadline and position < len(stream):
            chunk = stream[position : position + batch]
            position += len(chunk)
            body = chunk[0] if batch == 1 else b"\n".join(chunk)
            content_type = "application/json" if batch == 1 else "application/x-ndjson"
            began = time.perf_counter()
            try:
                response = await client.post("/api/v1/events", content=body, headers={"Content-Type": content_type})
            except httpx2.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
                continue
            answer = orjson.loads(response.content)
            sent_events += answer["accepted"]
            cases.extend(answer["cases"])

    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    opened = [httpx2.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30, limits=limits)
              for _ in range(clients)]
    began = time.perf_counter()
    try:
        await asyncio.gather(*(client_loop(c) for c in opened))
    finally:
        for client in opened:
            await client.aclose()
    elapsed = time.perf_counter() - began
    ms = np.asarray(latencies) * 1000.0
    return {
        "batch": batch, "clients": clients, "seconds": round(elapsed, 2), "requests": len(latencies), "events": sent_events,
        "events_per_second": round(sent_events / elapsed, 1), "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {q: round(float(np.percentile(ms, p)), 2) for q, p in (("p50", 50), ("p90", 90), ("p99", 99))} | {"max": round(float(ms.max()), 2)}
        if len(ms) else {}, "errors": errors, "cases": cases, "next_position": position,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 s per phase on a 3,000-account world")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", default="1,10", help="events per request, one phase each")
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.accounts = 8.0, 3000
    try:
        import httpx2  # noqa: F401
    except ImportError:
        raise SystemExit("the load test needs the web extra: pip install -e '.[web]'") from None

    folder = world_folder(args.accounts, args.days, args.seed)
    stream, mix = event_stream(folder)
    predecessors = truth_predecessors(folder)
    print(f"stream: {len(stream):,} events ({', '.join(f'{k} {v:,}' for k, v in mix.items())})", flush=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hydrawatch-load-") as tmp:
        port = args.port or free_port()
        server, token = start_server(Path(tmp), port)
        base = f"http://127.0.0.1:{port}"
        phases = []
        position = 0
        try:
            for batch in [int(b) for b in args.batches.split(",") if b]:
                server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
                phase = asyncio.run(run_phase(base, token, stream, position, batch, args.clients, args.seconds))
                server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
                phase["cpu"] = {"server_seconds": round(server_cpu, 2), "client_seconds": round(client_cpu, 2),
                                "server_ms_per_request": round(1000 * server_cpu / max(phase["requests"], 1), 3),
                                "server_ms_per_event": round(1000 * server_cpu / max(phase["events"], 1), 3),
                                "server_share_of_a_core": round(server_cpu / phase["seconds"], 2)}
                position = phase.pop("next_position")
                found = phase.pop("cases")
                right = sum(predecessors.get(c["subject_account_id"]) in c["related_account_ids"] for c in found)
                phase["returnee_cases"] = {"found": len(found), "true_predecessor": right}
                phase["passes"] = phase["events_per_second"] >= TARGET_EVENTS_PER_SECOND and phase["latency_ms"].get("p99", 1e9) < TARGET_P99_MS
                phases.append(phase)
                lat = phase["latency_ms"]
                print(f"batch {batch:>3} x {args.clients} clients: {phase['events_per_second']:>8,.1f} events/s  {phase['requests_per_second']:>7,.1f} req/s  "
                      f"p50 {lat.get('p50', 0):6.2f} ms  p90 {lat.get('p90', 0):6.2f} ms  p99 {lat.get('p99', 0):6.2f} ms  max {lat.get('max', 0):7.2f} ms  "
                      f"errors {sum(phase['errors'].values())}  cases {len(found)} ({right} true)  {'PASS' if phase['passes'] else 'FAIL'}", flush=True)
                cpu = phase["cpu"]
                print(f"          server CPU {cpu['server_ms_per_request']:.2f} ms/request, {cpu['server_ms_per_event']:.3f} ms/event, "
                      f"{cpu['server_share_of_a_core']:.0%} of a core; client CPU {cpu['client_seconds']:.1f} s", flush=True)
            import httpx2

            status = httpx2.get(f"{base}/api/v1/status", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    result = {
        "target": {"events_per_second": TARGET_EVENTS_PER_SECOND, "p99_ms": TARGET_P99_MS},
        "world": {"folder": folder.name, "accounts": args.accounts, "days": args.days, "seed": args.seed, "stream_events": len(stream), "mix": mix},
        "phases": phases,
        "server_after": {"spool_events": status["spool"]["events"], "matcher_identities": status["matcher"]["identities"],
                         "matcher_ranker": status["matcher"]["ranker"], "cases_written": status["case_writer"]["written"]},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "passes": any(p["passes"] for p in phases),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("events_load-quick.json" if args.quick else "events_load.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    verdicts = ", ".join(f"batch {p['batch']}: {'pass' if p['passes'] else 'fail'}" for p in phases)
    print(f"target: >= {TARGET_EVENTS_PER_SECOND:.0f} events/s with p99 < {TARGET_P99_MS:.0f} ms per request: "
          f"{'PASS' if result['passes'] else 'FAIL'} ({verdicts}); "
          f"load average {result['machine']['loadavg_before'][0]} -> {result['machine']['loadavg_after'][0]}; {out}")
    sys.exit(0 if result["passes"] else 1)


if __name__ == "__main__":
    main()
