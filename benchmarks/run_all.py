"""Run every benchmark (make bench). Each script measures against a baseline in the same run
and prints ratios; results land in benchmarks/results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["ingest_throughput.py", "returnee_matching.py", "content_throughput.py", "network.py", "coordination.py", "events_load.py",
           "accounts.py", "enforcement.py", "threats.py", "promotions.py"]

# scripts that take --quick (a small smoke run); `run_all.py --quick` passes it to them only
QUICK = {"returnee_matching.py", "network.py", "coordination.py", "events_load.py", "accounts.py", "enforcement.py", "promotions.py"}

if __name__ == "__main__":
    failed = []
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        quick = ["--quick"] if "--quick" in sys.argv[1:] and script in QUICK else []
        if subprocess.run([sys.executable, str(HERE / script), *quick]).returncode:
            failed.append(script)
    sys.exit(1 if failed else 0)
