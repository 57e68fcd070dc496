"""Networks of accounts. This package's ``__init__`` stays light: the CLI reads
:data:`SHARES_CSV_CONTRACT` for its help text at start-up, and the public names of
:mod:`.coordination` (coordinated sharing: co-retweet, co-link, co-hashtag, co-image within a
time window) are imported on first use. The other modules are imported by name.
"""

from __future__ import annotations

import importlib

#: The input contract of a shares CSV, written once: ``--help``, errors and docs use it.
SHARES_CSV_CONTRACT = (
    "A CSV with a header row and the columns account_id,object_id,timestamp (any order, other columns "
    "ignored); CooRTweet's layout object_id,account_id,content_id,timestamp_share is read too. "
    "Timestamps are epoch seconds (decimals allowed) or ISO 8601."
)

_LAZY = {
    name: "coordination"
    for name in (
        "CoordinatedCluster",
        "CoordinationConfig",
        "CoordinationResult",
        "coordinated_clusters",
        "coordinated_edges",
        "coordinated_edges_reference",
        "linking_objects",
        "read_shares_csv",
    )
}

__all__ = ["SHARES_CSV_CONTRACT", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
