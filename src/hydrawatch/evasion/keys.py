"""Blocking keys: short strings that two accounts share when one could be the other's return.

Comparing every new account with every suspended one is out of the question at platform scale
(10,000 sign-ups against a million suspended identities is 10^10 pairs). Instead each account
gets a handful of keys, and only accounts sharing a key are compared. Each kind of key catches
one way a handle or name is mutated on return:

==========  =====================================================  ===========================
kind        key                                                    catches
==========  =====================================================  ===========================
``skel``    the handle skeleton                                    look-alike swaps, case
``nodigit`` skeleton with digits removed (kept if that empties it)  abu_x12 -> abu_x13
``stem``    the lower-cased handle without known affixes (and       real_abu, abu_back, abu2,
            again without its trailing number)                     abu_x12 -> abu_x_new
``del``     the skeleton, and it with one character deleted        one-character typos
``name``    the display-name skeleton                              same name, new handle
==========  =====================================================  ===========================

Two strings at edit distance 1 always share a ``del`` key (delete the differing character
from the longer, or the substituted position from both), which is the SymSpell idea. Keys are
hashed to 64-bit integers (FNV-1a, vectorised with numpy; the same in every process) so an
index can be stored and reloaded: :data:`KEY_VERSION` names the scheme, and an index built
with another version must be rebuilt.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from hydrawatch.core.text import handle_skeleton, name_skeleton

KEY_VERSION = "keys-2"
_DIGITS = re.compile(r"\d+")
_TRAILING_DIGITS = re.compile(r"\d+$")
# Affixes returning accounts add or drop (general habits of account naming, in several
# languages' transliterations). Stripped from the lower-cased raw handle, separators included.
_PREFIXES = ("real", "the", "new", "official", "true", "its", "im", "iam", "re", "mr", "dr", "x", "i", "the_real")
_SUFFIXES = ("again", "back", "new", "official", "real", "returns", "returned", "is", "here", "acc", "account", "bak",
             "ii", "iii", "iv", "2", "3", "x", "xx", "v2", "1", "0")
_MIN_KEY = 3  # shorter keys match too much to be useful


@lru_cache(maxsize=1 << 18)
def handle_keys(handle: str) -> tuple[str, ...]:
    """The blocking keys of one handle, each prefixed with its kind."""
    skel = handle_skeleton(handle or "")
    if len(skel) < _MIN_KEY:
        return ()
    keys = {f"skel:{skel}"}
    raw = _raw_lower(handle)
    digitless = _DIGITS.sub("", raw)
    if len(digitless.strip("_.-")) >= _MIN_KEY:
        keys.add(f"nodigit:{handle_skeleton(digitless)}")
    for stem in _stems(raw):
        keys.add(f"stem:{stem}")
    if len(skel) <= 24:
        # The skeleton itself and each one-deletion variant share one key space, so an
        # insertion (original vs deletion) and a substitution (deletion vs deletion) both meet.
        keys.add(f"del:{skel}")
        for i in range(len(skel)):
            deleted = skel[:i] + skel[i + 1 :]
            if len(deleted) >= _MIN_KEY:
                keys.add(f"del:{deleted}")
    return tuple(sorted(keys))


@lru_cache(maxsize=1 << 18)
def name_keys(display_name: str) -> tuple[str, ...]:
    skel = name_skeleton(display_name or "")
    if len(skel.replace(" ", "")) < _MIN_KEY:
        return ()
    return (f"name:{skel}",)


def is_default_avatar(url: str) -> bool:
    """The platform's stock picture of accounts without one: shared by everybody, evidence of nothing."""
    return "default_profile" in url


def _raw_lower(handle: str) -> str:
    return (handle or "").lstrip("@").lower()


def _strip_affixes(text: str) -> str:
    """Strip known prefixes and suffixes (with their separators) until none is left."""
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            rest = text[len(prefix) :]
            if text.startswith(prefix) and len(rest.strip("_.-")) >= _MIN_KEY and (rest[:1] in "_.-" or len(prefix) > 2):
                text, changed = rest.lstrip("_.-"), True
        for suffix in _SUFFIXES:
            rest = text[: -len(suffix)]
            if text.endswith(suffix) and len(rest.strip("_.-")) >= _MIN_KEY and (rest[-1:] in "_.-" or len(suffix) > 2 or suffix.isdigit()):
                text, changed = rest.rstrip("_.-"), True
    return text


def _stems(raw: str) -> set[str]:
    """The handle without affixes, and also without its trailing number (a returnee that adds
    an affix often drops the number to stay within the length limit)."""
    stems = set()
    stripped = _strip_affixes(raw)
    for candidate in (stripped, _TRAILING_DIGITS.sub("", stripped).rstrip("_.-")):
        key = handle_skeleton(candidate)
        if len(key) >= _MIN_KEY:
            stems.add(key)
    return stems


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def hash_keys(keys: tuple[str, ...] | list[str]) -> np.ndarray:
    """64-bit FNV-1a of each key's UTF-8 bytes, vectorised: one numpy pass per byte position
    across all keys. Stable across processes and platforms (little-endian or not)."""
    if not keys:
        return np.zeros(0, dtype=np.int64)
    encoded = [k.encode("utf-8", "surrogatepass") for k in keys]
    if len(encoded) <= _SMALL_BATCH:
        # an online query's two dozen keys: a plain loop beats numpy's per-call overhead 5x
        return np.array([_fnv1a(b) for b in encoded], dtype=np.uint64).view(np.int64)
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    width = max(int(lengths.max()), 1)
    # fixed-width bytes (NUL-padded) viewed as a (keys x width) byte matrix, built in C
    matrix = np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)
    hashes = np.full(len(encoded), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position in range(width):
            active = lengths > position
            mixed = (hashes ^ matrix[:, position].astype(np.uint64)) * _FNV_PRIME
            hashes = np.where(active, mixed, hashes)
    return hashes.view(np.int64)


_SMALL_BATCH = 64
_MASK64 = (1 << 64) - 1


def _fnv1a(data: bytes) -> int:
    h = int(_FNV_OFFSET)
    prime = int(_FNV_PRIME)
    for byte in data:
        h = ((h ^ byte) * prime) & _MASK64
    return h


def stable_hash(key: str) -> int:
    """The 64-bit hash of one key (see hash_keys)."""
    return int(hash_keys([key])[0])
