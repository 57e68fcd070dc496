"""The compliance stream, the follow edges and the ground-truth folder."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson

from .activity import Activity
from .clock import iso_many, iso_ms
from .follows import FollowGraph
from .kinds import GROUPS, JOINED, LANGUAGES, MUTATIONS, NETWORK, PLATFORMS, ROLES, TELEGRAM
from .lifecycle import Timeline
from .population import DEFAULT_AVATAR, AccountTable, outlet_name
from .profiles import Profiles
from .randomness import mix64
from .texts import Composer, normalise_destination, release_url

STATUS_EVENTS = frozenset({"user_suspend", "user_unsuspend", "user_protect", "user_unprotect",
                           "user_delete", "user_undelete"})
_FINAL_STATUS = {"user_suspend": "suspended", "user_unsuspend": "active", "user_protect": "protected",
                 "user_unprotect": "active", "user_delete": "deleted", "user_undelete": "active"}
_CHUNK = 200_000


def write_compliance(path: Path, timeline: Timeline, account_ids: list[str],
                     seen: np.ndarray) -> tuple[int, int, dict[int, str], dict[int, int]]:
    """Events sorted by ``event_at`` (ties keep the order they were decided in). Returns
    (distinct events, accounts suspended at the end, final status per account with events,
    last suspension time per account)."""
    events = sorted(timeline.events, key=lambda event: (event[0], event[1]))
    distinct: set[bytes] = set()
    final_status: dict[int, str] = {}
    suspended_at: dict[int, int] = {}
    with open(path, "wb") as out:
        lines = []
        for at_ms, _, kind, account, profile_field, new_value in events:
            body: dict[str, object] = {"user": {"id": account_ids[account]}}
            if kind == "user_profile_modification":
                body["profile_field"] = profile_field
                body["new_value"] = new_value
            body["event_at"] = iso_ms(at_ms)
            line = orjson.dumps({kind: body}) + b"\n"
            lines.append(line)
            distinct.add(line)
            seen[account] = True
            if kind in STATUS_EVENTS:
                final_status[account] = _FINAL_STATUS[kind]
            if kind == "user_suspend":
                suspended_at[account] = at_ms
        out.write(b"".join(lines))
    suspended = sum(1 for status in final_status.values() if status == "suspended")
    return len(distinct), suspended, final_status, suspended_at


def write_follows(path: Path, graph: FollowGraph, account_ids: list[str], seen: np.ndarray,
                  progress: Callable[[int, int], None]) -> int:
    seen[graph.source] = True
    seen[graph.target] = True
    total = len(graph)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("source_id,target_id,created_at\n")
        for low in range(0, total, _CHUNK):
            high = min(low + _CHUNK, total)
            times = iso_many(graph.created_ms[low:high])
            sources = graph.source[low:high].tolist()
            targets = graph.target[low:high].tolist()
            out.write("".join(f"{account_ids[s]},{account_ids[t]},{when}\n"
                              for s, t, when in zip(sources, targets, times, strict=True)))
            progress(high, total)
    return total


def image_key(seed: int, key: int) -> str:
    """The opaque id of an avatar image (same image, same key, whatever its URL)."""
    return "default_profile" if key == 0 else f"img_{mix64((seed << 32) ^ key):016x}"


def write_truth(folder: Path, seed: int, table: AccountTable, activity: Activity, timeline: Timeline,
                profiles: Profiles, composer: Composer, account_ids: list[str], post_ids: np.ndarray,
                final_status: dict[int, str], suspended_at: dict[int, int], seen: np.ndarray) -> dict[str, int]:
    """Write ``truth/*.csv``; returns the row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"truth_accounts": _accounts(folder / "accounts.csv", table, activity, account_ids, final_status,
                                          suspended_at)}
    counts["migrations"] = _migrations(folder / "migration.csv", table, composer, account_ids, seen)
    counts["releases"] = _releases(folder / "releases.csv", table, activity, account_ids, post_ids)
    counts["avatars"] = _avatars(folder / "avatars.csv", seed, table, timeline, profiles)
    with open(folder / "shortlinks.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("short_url", "expanded_url"))
        writer.writerows(composer.shortlinks.items())
    counts["shortlinks"] = len(composer.shortlinks)
    return counts


def _accounts(path: Path, table: AccountTable, activity: Activity, account_ids: list[str],
              final_status: dict[int, str], suspended_at: dict[int, int]) -> int:
    """One row per account, in id order. ``joined`` says how it came to exist: ``initial``
    (before the window), ``signup`` (an ordinary or hard-negative account created during it),
    ``recruit`` (a first-time network member created during it: generation 0, no
    predecessor), ``return`` (a new account of a suspended person) or ``mimic`` (a parody or
    look-alike decoy, see ``resembles``)."""
    created = iso_many(table.created_ms)
    columns = {name: getattr(table, name).tolist() for name in
               ("person", "group", "role", "community", "language", "generation", "predecessor", "mutation",
                "mimics", "joined")}
    order = np.argsort(np.array([int(value) for value in account_ids], dtype=np.int64), kind="stable")
    # Outlets locked before the window and never flipped stay protected.
    default_status = np.where(table.protected_media & (table.generation == 0), "protected", "active").tolist()
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("account_id", "username", "display_name", "person_id", "group", "role", "community",
                         "language", "created_at", "suspended_at", "generation", "predecessor_id", "mutation",
                         "promoted_by", "status_at_end", "resembles", "joined"))
        for account in order.tolist():
            group = columns["group"][account]
            role = columns["role"][account]
            predecessor = columns["predecessor"][account]
            mutation = columns["mutation"][account]
            promoters = sorted(set(activity.promoted_by.get(account, ())), key=lambda a: int(account_ids[a]))
            writer.writerow((
                account_ids[account], table.texts["username"][account], table.texts["display_name"][account],
                columns["person"][account], GROUPS[group], ROLES[role] if group == NETWORK and role >= 0 else "",
                columns["community"][account] if group == NETWORK else "", LANGUAGES[columns["language"][account]],
                created[account], iso_ms(suspended_at[account]) if account in suspended_at else "",
                columns["generation"][account], account_ids[predecessor] if predecessor >= 0 else "",
                MUTATIONS[mutation] if mutation >= 0 else "", ";".join(account_ids[a] for a in promoters),
                final_status.get(account, default_status[account]),
                account_ids[columns["mimics"][account]] if columns["mimics"][account] >= 0 else "",
                JOINED[columns["joined"][account]],
            ))
    return table.size


def _migrations(path: Path, table: AccountTable, composer: Composer, account_ids: list[str], seen: np.ndarray) -> int:
    """Off-platform destinations advertised in posts, plus Telegram links in the profile URL
    of network accounts, one row per (person, account, destination)."""
    rows: dict[tuple[int, int, int, str], None] = dict(composer.migrations)
    for account in np.flatnonzero((table.group == NETWORK) & seen[: table.size]).tolist():
        url = table.texts["profile_url"][account]
        if url:
            rows.setdefault((int(table.person[account]), account, TELEGRAM, normalise_destination(url)), None)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("person_id", "account_id", "platform", "destination"))
        for person, account, platform, destination in rows:
            writer.writerow((person, account_ids[account], PLATFORMS[platform], destination))
    return len(rows)


def _releases(path: Path, table: AccountTable, activity: Activity, account_ids: list[str], post_ids: np.ndarray) -> int:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("release_id", "account_id", "post_id", "released_at", "url"))
        for account, number, row, store in zip(activity.release_account.tolist(), activity.release_number.tolist(),
                                               activity.release_post.tolist(), activity.release_store.tolist(),
                                               strict=True):
            outlet = int(table.outlet[account])
            slug = "".join(ch for ch in outlet_name(outlet, False).lower() if ch.isalnum())
            writer.writerow((f"{slug}-{number:03d}", account_ids[account], str(int(post_ids[row])),
                             iso_ms(int(activity.posts.time_ms[row])), release_url(outlet, number, store)))
    return int(activity.release_account.size)


def _avatars(path: Path, seed: int, table: AccountTable, timeline: Timeline, profiles: Profiles) -> int:
    """Every avatar URL any profile version uses, with the image behind it."""
    keys = table.image_key.tolist()
    rows: dict[str, str] = {DEFAULT_AVATAR: image_key(seed, 0)}
    for account in range(table.size):
        url = table.texts["avatar_url"][account]
        rows.setdefault(url, image_key(seed, keys[account]))
    for account in sorted(timeline.changes):
        for when, profile_field, value in timeline.changes[account]:
            if profile_field == "profile_image_url":
                # A changed avatar is a new picture.
                rows.setdefault(str(value), image_key(seed, (1 << 40) + account * 4096 + when % 4096))
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("avatar_url", "image_key"))
        writer.writerows(rows.items())
    return len(rows)
