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
``stem``    skeleton without known affixes and trailing digits     real_abu, abu_back, abu2
``del``     the skeleton, and it with one character deleted        one-character typos
``name``    the display-name skeleton                              same name, new handle
==========  =====================================================  ===========================

Two strings at edit distance 1 always share a ``del1`` key (delete the differing character
from the longer, or the substituted position from both), which is the SymSpell idea. Keys are
hashed to 64-bit integers with a stable hash so an index can be stored and reloaded.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

from hydrawatch.core.text import handle_skeleton, name_skeleton

_DIGITS = re.compile(r"\d+")
# Affixes (in skeleton form: handle_skeleton folds 1->l, 0->o ...) that returning accounts
# add or drop; the stem key strips them before comparing.
_PREFIXES = ("real", "the", "new", "official", "true", "its", "im", "re", "mr", "dr")
_SUFFIXES = ("again", "back", "new", "official", "real", "returns", "returned", "is", "here", "acc", "account", "bak")
_MIN_KEY = 3  # shorter keys match too much to be useful


@lru_cache(maxsize=1 << 18)
def handle_keys(handle: str) -> tuple[str, ...]:
    """The blocking keys of one handle, each prefixed with its kind."""
    skel = handle_skeleton(handle or "")
    if len(skel) < _MIN_KEY:
        return ()
    keys = {f"skel:{skel}"}
    digitless = _DIGITS.sub("", _raw_lower(handle))
    if len(digitless) >= _MIN_KEY:
        keys.add(f"nodigit:{handle_skeleton(digitless)}")
    stem = _stem(skel)
    if len(stem) >= _MIN_KEY:
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


def _raw_lower(handle: str) -> str:
    return (handle or "").lstrip("@").lower()


def _stem(skel: str) -> str:
    """Strip known affixes and trailing l/o/s... digit look-alikes are already letters in the
    skeleton, so trailing digits are stripped on the raw form by the nodigit key instead."""
    stem = skel
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if stem.startswith(prefix) and len(stem) - len(prefix) >= _MIN_KEY:
                stem, changed = stem[len(prefix) :], True
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_KEY:
                stem, changed = stem[: -len(suffix)], True
    return stem


def stable_hash(key: str) -> int:
    """A 64-bit hash that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little", signed=True)


def hash_keys(keys: tuple[str, ...] | list[str]) -> np.ndarray:
    return np.fromiter((stable_hash(k) for k in keys), dtype=np.int64, count=len(keys))
