"""PDQ hash lists in the formats hash-sharing tools read.

**ThreatExchange signal file** (default): one signal per line, ``pdq <64 hex digits>``: the
signal type's registry name, a space, the hash. This is what python-threatexchange's local file
exchange (``LocalFileSignalExchangeAPI``) reads and appends, so a list can be fed to
``threatexchange`` or Hasher-Matcher-Actioner banks as it is. The hex is ThreatExchange's own
order (see :mod:`hydrawatch.signals.media`).

**CSV** (``pdq,quality,source,platform,account_id,url,case_id``; source is ``avatar`` or
``post``): the same hashes with where they came
from, for an analyst's own records; not for sharing as it names accounts.

Only hashes of at least ``min_quality`` are written: flat pictures (default avatars, solid
colours) hash to near-noise that matches other flat pictures, and sharing them would flag
innocent accounts elsewhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from hydrawatch.signals.media import MIN_QUALITY, SIGNAL, normalize_hex

from .accounts import AvatarHash


@dataclass(frozen=True, slots=True)
class HashListEntry:
    pdq: str
    quality: int
    platform: str
    account_id: str
    url: str
    case_id: str
    source: str = "avatar"


def hash_entries(hashes: Iterable[AvatarHash], case_of: dict[tuple[str, str], str], min_quality: int = MIN_QUALITY) -> list[HashListEntry]:
    """Usable hashes, each with the case that put its account on the list."""
    entries = []
    for found in hashes:
        if found.quality < min_quality:
            continue
        entries.append(HashListEntry(normalize_hex(found.pdq), found.quality, found.platform, found.account_id, found.url,
                                     case_of.get((found.platform, found.account_id), ""), found.source))
    return entries


def write_threatexchange(entries: Sequence[HashListEntry], out: IO[bytes]) -> int:
    """``pdq <hex>`` lines, each hash once, sorted (the same input gives the same file)."""
    unique = sorted({entry.pdq for entry in entries})
    out.write("".join(f"{SIGNAL} {pdq}\n" for pdq in unique).encode("ascii"))
    return len(unique)


def read_threatexchange(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``(signal_type, signal)`` per non-empty line, as the ThreatExchange file exchange reads it."""
    found = []
    for line in lines:
        signal_type, _, signal = line.strip().partition(" ")
        if signal_type and signal:
            found.append((signal_type, signal))
    return found


def write_hash_csv(entries: Sequence[HashListEntry], out: IO[bytes]) -> int:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["pdq", "quality", "source", "platform", "account_id", "url", "case_id"])
    for entry in entries:
        writer.writerow([entry.pdq, entry.quality, entry.source, entry.platform, entry.account_id, entry.url, entry.case_id])
    out.write(text.getvalue().encode("utf-8"))
    return len(entries)
