"""Exports for sharing and for records: confirmed cases as a STIX 2.1 bundle, PDQ hash lists
in ThreatExchange's signal-file format, and cases as CSV or JSONL (``hydrawatch export``).

Each ``export_*`` function reads the review store (and the analytical store, when given, for
handles and pictures), writes to a binary stream and returns counts for the caller to print.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from .accounts import AccountDetails, AvatarHash, account_details, avatar_hashes, posted_media_hashes
from .cases import CASE_COLUMNS, DECISION_COLUMNS, STATES, case_records, decided_cases, last_decisions, write_csv, write_jsonl
from .hashlists import hash_entries, read_threatexchange, write_hash_csv, write_threatexchange
from .stix import StixConfig, account_pattern, bundle_json, stix_bundle


def case_accounts(cases) -> dict[tuple[str, str], str]:
    """(platform, account_id) -> the case that names it, for every subject and related account."""
    found: dict[tuple[str, str], str] = {}
    for case in cases:
        found.setdefault((case.platform, case.subject_account_id), case.case_id)
        for related in case.related_account_ids:
            found.setdefault((case.platform, related), case.case_id)
    return found


def export_stix(review, out: IO[bytes], store=None, states: Sequence[str] = ("confirmed",), case_type: str | None = None,
                config: StixConfig = StixConfig()) -> dict:
    cases = decided_cases(review, states, case_type)
    keys = case_accounts(cases)
    details = account_details(store.con, keys) if store is not None and keys else {}
    decisions = {case_id: d.decided_at for case_id, d in last_decisions(review).items()}
    bundle = stix_bundle(cases, details, decisions, config)
    out.write(bundle_json(bundle))
    kinds: dict[str, int] = {}
    for item in bundle.objects:
        kinds[item.type] = kinds.get(item.type, 0) + 1
    return {"cases": len(cases), "objects": len(bundle.objects), **kinds}


PICTURE_SOURCES = ("all", "avatars", "posts")


def export_pdq(review, out: IO[bytes], store, states: Sequence[str] = ("confirmed",), case_type: str | None = None,
               min_quality: int | None = None, layout: str = "threatexchange", pictures: str = "all") -> dict:
    """PDQ hashes of the pictures the cases' accounts showed as avatars and posted (``pictures``:
    all, avatars or posts); pictures are hashed by ``hydrawatch avatars`` and the media signals."""
    from hydrawatch.core.errors import ConfigError
    from hydrawatch.signals.media import MIN_QUALITY

    if pictures not in PICTURE_SOURCES:
        raise ConfigError(f"pictures must be one of {', '.join(PICTURE_SOURCES)}, got {pictures!r}")
    cases = decided_cases(review, states, case_type)
    keys = case_accounts(cases)
    hashes = []
    if keys and pictures in ("all", "avatars"):
        hashes += avatar_hashes(store.con, keys)
    if keys and pictures in ("all", "posts"):
        hashes += posted_media_hashes(store.con, keys)
    entries = hash_entries(hashes, keys, MIN_QUALITY if min_quality is None else min_quality)
    written = write_hash_csv(entries, out) if layout == "csv" else write_threatexchange(entries, out)
    return {"cases": len(cases), "accounts": len(keys), "hashes_found": len(hashes), "written": written,
            "below_quality": len(hashes) - len(entries)}


def export_cases(review, out: IO[bytes], fmt: str = "jsonl", states: Sequence[str] = ("confirmed",), case_type: str | None = None,
                 with_decisions: bool = False) -> dict:
    cases = decided_cases(review, states, case_type)
    records = case_records(cases, last_decisions(review), with_decisions)
    if fmt == "csv":
        columns = (*CASE_COLUMNS, *DECISION_COLUMNS) if with_decisions else CASE_COLUMNS
        written = write_csv(records, out, columns)
    else:
        written = write_jsonl(records, out)
    return {"cases": written}


__all__ = ["CASE_COLUMNS", "STATES", "AccountDetails", "AvatarHash", "StixConfig", "account_details", "account_pattern", "avatar_hashes",
           "bundle_json", "case_accounts", "case_records", "decided_cases", "export_cases", "export_pdq", "export_stix", "hash_entries", "posted_media_hashes",
           "read_threatexchange", "stix_bundle", "write_csv", "write_jsonl", "write_threatexchange"]
