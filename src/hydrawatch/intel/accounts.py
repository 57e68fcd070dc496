"""What exports need to know about the accounts of decided cases, read from the store: handle,
display name, creation time, and the PDQ hashes of the pictures they showed (avatars) and
posted (media)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class AccountDetails:
    platform: str
    account_id: str
    username: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class AvatarHash:
    """A PDQ hash of a picture an account showed: ``source`` is ``avatar`` or ``post`` (media)."""

    platform: str
    account_id: str
    url: str
    pdq: str  # 64 hex digits, ThreatExchange order
    quality: int
    source: str = "avatar"


def _register(con, keys: Iterable[tuple[str, str]]) -> None:
    keys = sorted(set(keys))
    con.register("_export_accounts", pa.table({"platform": pa.array([p for p, _ in keys], pa.string()),
                                               "account_id": pa.array([a for _, a in keys], pa.string())}))


def account_details(con, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], AccountDetails]:
    """(platform, account_id) -> the newest known profile of each account in ``keys``."""
    _register(con, keys)
    try:
        rows = con.execute(
            """
            SELECT k.platform, k.account_id, coalesce(c.username, a.username), c.display_name,
                   (SELECT min(created_at) FROM profiles p WHERE p.platform = k.platform AND p.account_id = k.account_id),
                   s.status
            FROM _export_accounts k
            LEFT JOIN accounts a USING (platform, account_id)
            LEFT JOIN current_profiles c USING (platform, account_id)
            LEFT JOIN account_status s USING (platform, account_id)
            """
        ).fetchall()
    finally:
        con.unregister("_export_accounts")
    return {(p, a): AccountDetails(p, a, u, d, created, status) for p, a, u, d, created, status in rows}


def avatar_hashes(con, keys: Iterable[tuple[str, str]]) -> list[AvatarHash]:
    """PDQ hashes of every avatar picture the accounts in ``keys`` ever showed (from
    ``hydrawatch avatars``), oldest profile first."""
    _register(con, keys)
    try:
        rows = con.execute(
            """
            SELECT p.platform, p.account_id, p.avatar_url, m.hash, m.quality, min(p.valid_from) AS since
            FROM profiles p JOIN _export_accounts k USING (platform, account_id)
            JOIN media_hashes m ON m.url = p.avatar_url AND m.signal = 'pdq'
            WHERE m.hash IS NOT NULL
            GROUP BY ALL ORDER BY p.platform, p.account_id, since, p.avatar_url
            """
        ).fetchall()
    finally:
        con.unregister("_export_accounts")
    return [AvatarHash(p, a, url, pdq, int(quality or 0)) for p, a, url, pdq, quality, _ in rows]


def posted_media_hashes(con, keys: Iterable[tuple[str, str]]) -> list[AvatarHash]:
    """PDQ hashes of the pictures the accounts in ``keys`` posted (media entities whose URL was
    hashed), first posted first."""
    _register(con, keys)
    try:
        rows = con.execute(
            """
            SELECT p.platform, p.account_id, e.value, m.hash, m.quality, min(p.created_at) AS first_posted
            FROM posts p JOIN _export_accounts k USING (platform, account_id)
            JOIN entities e ON e.platform = p.platform AND e.post_id = p.post_id AND e.kind = 'media'
            JOIN media_hashes m ON m.url = e.value AND m.signal = 'pdq'
            WHERE m.hash IS NOT NULL
            GROUP BY ALL ORDER BY p.platform, p.account_id, first_posted, e.value
            """
        ).fetchall()
    finally:
        con.unregister("_export_accounts")
    return [AvatarHash(p, a, url, pdq, int(quality or 0), "post") for p, a, url, pdq, quality, _ in rows]
