"""Where the benchmarks keep what they generate: outside the working tree (the
million-identity world alone is 16 GB), in ``$HYDRAWATCH_BENCH_CACHE`` or
``~/.cache/hydrawatch-benchmarks``."""

from __future__ import annotations

import os
from pathlib import Path

CACHE = Path(os.environ.get("HYDRAWATCH_BENCH_CACHE") or Path.home() / ".cache" / "hydrawatch-benchmarks")
