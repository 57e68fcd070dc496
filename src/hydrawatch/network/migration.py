"""Cross-platform migration: which accounts send their readers where, and when.

Input: the links accounts posted and showed in their profiles (see
:mod:`hydrawatch.store.outlinks`), the out-link classifier (:mod:`hydrawatch.network.links`)
and, for timing, when accounts ended (suspensions). Output:

* :func:`account_destinations`: one row per (account, destination) with the platform, the
  destination in normal form and as a URL, when it was first and last pointed to, how many
  posts did, whether only through reposts, the hours between the first pointer and the
  account's suspension, and the evidence (which post or profile, which short links were
  followed);
* :func:`destinations_over_time`: per week and platform, how many accounts point to a
  destination of that platform and how many destinations appear for the first time, beside
  the suspensions of that week: the "move to Telegram" curve;
* :func:`platform_summary`: destinations and accounts per platform.

Reposted links are kept but marked (``via_repost_only``): passing a channel on is part of a
migration, yet the reposter did not write the announcement.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa

from .links import LinkClassifier

log = logging.getLogger(__name__)

VERSION = "migration-1"
EVIDENCE_ITEMS = 5


@dataclass
class _Pointer:
    platform: str
    account_id: str
    destination_platform: str
    destination: str
    destination_url: str
    kind: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    posts: int = 0
    reposts: int = 0
    in_profile: bool = False
    rules: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)
    unique_evidence: set[str] = field(default_factory=set)

    def seen(self, when: datetime | None) -> None:
        if when is None:
            return
        self.first_seen = when if self.first_seen is None or when < self.first_seen else self.first_seen
        self.last_seen = when if self.last_seen is None or when > self.last_seen else self.last_seen

    def note(self, text: str) -> None:
        if text not in self.unique_evidence and len(self.evidence) < EVIDENCE_ITEMS:
            self.unique_evidence.add(text)
            self.evidence.append(text)


@dataclass(frozen=True, slots=True)
class MigrationResult:
    rows: list[dict]  # one per (account, destination), see account_destinations
    links_seen: int
    links_classified: int
    unresolved_short_links: int
    unresolved_examples: tuple[str, ...]

    @property
    def provenance(self) -> dict:
        return {"signal": "migration", "version": VERSION}


def account_destinations(
    posted: pa.Table,
    profiles: pa.Table | None,
    classifier: LinkClassifier,
    ended: pa.Table | None = None,
    include_reposts: bool = True,
    accounts: set[str] | None = None,
) -> MigrationResult:
    """Every (account, destination) pair, from posted links (``posted``: platform, account_id,
    post_id, post_kind, created_at, url) and profile links (``profiles``: platform,
    account_id, url, first_seen). ``ended`` (platform, account_id, ended_at) adds the hours
    from the first pointer to the account's end. ``accounts`` keeps only those accounts."""
    pointers: dict[tuple[str, str, str], _Pointer] = {}
    seen = classified = unresolved = 0
    unresolved_examples: list[str] = []

    def pointer(platform: str, account: str, result) -> _Pointer:
        destination = result.destination
        key = (platform, account, destination.destination)
        found = pointers.get(key)
        if found is None:
            found = pointers[key] = _Pointer(platform, account, destination.platform, destination.destination, destination.url, destination.kind)
        found.rules.add(destination.rule)
        return found

    def classify(platform: str, account: str, url: str):
        """The link's classification and its account's pointer (None: no destination); counts."""
        nonlocal seen, classified, unresolved
        seen += 1
        result = classifier(url)
        if result.destination is None:
            if result.unresolved_short_link:
                unresolved += 1
                if len(unresolved_examples) < 10:
                    unresolved_examples.append(result.final_url)
            return result, None
        classified += 1
        return result, pointer(platform, account, result)

    def chain(result) -> str:
        return "".join(f" -> {hop}" for hop in result.hops)

    columns = ("platform", "account_id", "post_id", "post_kind", "created_at", "url")
    for platform, account, post_id, post_kind, created_at, url in zip(*(posted[c].to_pylist() for c in columns)):
        if accounts is not None and account not in accounts:
            continue
        if post_kind == "repost" and not include_reposts:
            continue
        result, found = classify(platform, account, url)
        if found is None:
            continue
        found.seen(created_at)
        if post_kind == "repost":
            found.reposts += 1
        else:
            found.posts += 1
        day = created_at.date().isoformat() if created_at else "?"
        verb = "reposted" if post_kind == "repost" else "posted"
        found.note(f"{verb} {url}{chain(result)} in post {post_id} ({day})")

    if profiles is not None:
        for platform, account, url, first_seen in zip(*(profiles[c].to_pylist() for c in ("platform", "account_id", "url", "first_seen"))):
            if accounts is not None and account not in accounts:
                continue
            result, found = classify(platform, account, url)
            if found is None:
                continue
            found.seen(first_seen)
            found.in_profile = True
            found.note(f"profile link {url}{chain(result)}")

    ends: dict[tuple[str, str], datetime] = {}
    if ended is not None and ended.num_rows:
        for platform, account, ended_at in zip(*(ended[c].to_pylist() for c in ("platform", "account_id", "ended_at"))):
            if ended_at is not None:
                ends[(platform, account)] = ended_at
    rows = []
    for p in sorted(pointers.values(), key=lambda p: (p.first_seen is None, p.first_seen or datetime.min, p.account_id, p.destination)):
        end = ends.get((p.platform, p.account_id))
        hours = None
        if end is not None and p.first_seen is not None:
            hours = round((end - p.first_seen) / timedelta(hours=1), 1)
        rows.append({
            "platform": p.platform,
            "account_id": p.account_id,
            "destination_platform": p.destination_platform,
            "destination": p.destination,
            "destination_url": p.destination_url,
            "kind": p.kind,
            "first_seen": p.first_seen,
            "last_seen": p.last_seen,
            "posts": p.posts,
            "reposts": p.reposts,
            "in_profile": p.in_profile,
            "via_repost_only": p.posts == 0 and not p.in_profile,
            "hours_before_end": hours,
            "rules": sorted(p.rules),
            "evidence": list(p.evidence),
        })
    log.info("migration: %d links, %d to destinations, %d unresolved short links, %d (account, destination) pairs", seen, classified, unresolved, len(rows))
    return MigrationResult(rows, seen, classified, unresolved, tuple(unresolved_examples))


def destinations_over_time(rows: list[dict], ended: pa.Table | None = None, days: int = 7) -> list[dict]:
    """Per period of ``days`` (from midnight of the earliest pointer's day) and destination platform: the
    accounts pointing there, the destinations seen there for the first time, and the
    suspensions in the period (the same for every platform of a period)."""
    dated = [r for r in rows if r["first_seen"] is not None]
    if not dated:
        return []
    earliest = min(r["first_seen"] for r in dated)
    start = earliest.replace(hour=0, minute=0, second=0, microsecond=0)  # periods start at midnight
    step = timedelta(days=days)

    def period(when: datetime) -> int:
        return int((when - start) / step)

    accounts: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    first_of: dict[tuple[str, str], datetime] = {}
    for row in dated:
        accounts[(period(row["first_seen"]), row["destination_platform"])].add(row["account_id"])
        key = (row["destination_platform"], row["destination"])
        first_of[key] = min(first_of.get(key, row["first_seen"]), row["first_seen"])
    new: defaultdict[tuple[int, str], int] = defaultdict(int)
    for (platform, _), when in first_of.items():
        new[(period(when), platform)] += 1
    suspensions: defaultdict[int, int] = defaultdict(int)
    if ended is not None and ended.num_rows:
        for when in ended["ended_at"].to_pylist():
            if when is not None and when >= start:
                suspensions[period(when)] += 1
    out = []
    for (index, platform) in sorted(accounts):
        out.append({
            "period_start": start + index * step,
            "platform": platform,
            "accounts": len(accounts[(index, platform)]),
            "new_destinations": new.get((index, platform), 0),
            "suspensions": suspensions.get(index, 0),
        })
    return out


def platform_summary(rows: list[dict]) -> list[dict]:
    """Destinations and accounts per destination platform, most accounts first."""
    destinations: defaultdict[str, set[str]] = defaultdict(set)
    accounts: defaultdict[str, set[str]] = defaultdict(set)
    kinds: dict[str, str] = {}
    for row in rows:
        destinations[row["destination_platform"]].add(row["destination"])
        accounts[row["destination_platform"]].add(row["account_id"])
        kinds[row["destination_platform"]] = row["kind"]
    summary = [{"platform": p, "kind": kinds[p], "destinations": len(destinations[p]), "accounts": len(accounts[p])} for p in destinations]
    return sorted(summary, key=lambda r: (-r["accounts"], r["platform"]))


# --- cross-platform identity ------------------------------------------------------------------

#: Destination platforms and the store platforms whose accounts they may be (ActivityPub
#: exports of Friendica and Diaspora-era servers are ingested under their own platform name).
STORE_PLATFORMS: dict[str, tuple[str, ...]] = {
    "telegram": ("telegram",),
    "vk": ("vk",),
    "diaspora": ("diaspora", "mastodon", "activitypub"),
    "friendica": ("friendica", "mastodon", "activitypub"),
}


def destination_name(destination: str, platform: str) -> str | None:
    """The account or channel name in a destination (``t.me/name`` -> ``name``); None for
    invite links and content stores, which name nobody."""
    if platform not in STORE_PLATFORMS or "/joinchat/" in destination or "/+" in destination:
        return None
    return destination.rsplit("/", 1)[-1] or None


def _folded(name: str) -> str:
    from hydrawatch.core.text import handle_skeleton

    return handle_skeleton(name)


def link_identities(rows: list[dict], handles: dict[str, str], store_accounts: dict[tuple[str, str], str]) -> list[dict]:
    """Add to each row ``name_similarity`` (0-100: the pointing account's handle against the
    destination's name, after folding look-alike characters and digits: "abuwalid087" and
    "t.me/abuwalid087b7" score high, a channel of someone else low) and ``known_account``
    (an account of the store on the destination's platform with that name, from a Telegram or
    ActivityPub export: the same actor seen on both sides)."""
    from rapidfuzz import fuzz

    for row in rows:
        name = destination_name(row["destination"], row["destination_platform"])
        handle = handles.get(row["account_id"]) or ""
        row["name_similarity"] = round(fuzz.ratio(_folded(handle), _folded(name)), 1) if name and handle else None
        row["known_account"] = None
        if name:
            for platform in STORE_PLATFORMS[row["destination_platform"]]:
                found = store_accounts.get((platform, name.lower()))
                if found:
                    row["known_account"] = f"{platform}:{found}"
                    break
    return rows
