"""The blocking keys of many handles at once, hashed, in numpy: what
``hash_keys(handle_keys(h))`` gives for each handle, a hundred times faster over a million.

Per handle, :func:`.keys.handle_keys` spends most of its time in Python string operations
(skeletons, affix stripping, a dozen deletion variants) and :func:`.keys.hash_keys` in numpy
calls too small to pay for themselves. Here the handles become a fixed-width byte matrix (one
row per handle, NUL-padded) and every step runs column by column over all rows:

* the skeleton is a 256-entry lookup table (built from :func:`hydrawatch.core.text.skeleton`
  and the handle table, so it follows them), then deletion by compaction, the leading ``@``,
  and the ``rn -> m``, ``vv -> w`` pairs (greedy from the left, as ``str.replace``);
* affixes are stripped by moving each row's (start, end) window over its bytes, one affix
  after another, rounds repeated for the rows that changed, exactly as ``_strip_affixes``;
* FNV-1a runs over the columns from the state after the kind prefix (``"del:"``...), and
  the one-deletion keys continue, for each deleted position at once, from the state of the
  bytes before it, so no deletion string is ever built.

Handles of printable ASCII up to :data:`MAX_FAST_LENGTH` characters take this path (nearly
all real ones); the rest (Arabic, emoji, confusables, controls, very long) go through
``handle_keys`` one by one, hashed together. Both give identical keys (tested on varied handles).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hydrawatch.core.text import _HANDLE_TABLE, skeleton

from .index import KeyFilter
from .keys import _FNV_PRIME, _MIN_KEY, _PREFIXES, _SUFFIXES, _fnv1a, handle_keys, hash_keys

#: Longer handles take the per-handle path (platform handles have at most 15 to 30 characters).
MAX_FAST_LENGTH = 40
_DELETE = 0  # lookup-table value of a character the skeleton drops (NUL never survives it)
_MAX_DELETION_SOURCE = 24  # as handle_keys: no deletion keys for longer skeletons
_SEPARATOR_TABLE = np.zeros(256, dtype=bool)
_SEPARATOR_TABLE[[ord(c) for c in "_.-"]] = True


def _handle_table() -> np.ndarray:
    """Byte -> byte of ``skeleton`` then the handle table, for printable ASCII; each maps to at
    most one character there (checked, so a change to the tables cannot go unnoticed)."""
    table = np.zeros(256, dtype=np.uint8)
    for code in range(0x21, 0x7F):
        mapped = skeleton(chr(code)).translate(_HANDLE_TABLE)
        if len(mapped) > 1 or (mapped and not 0x21 <= ord(mapped) < 0x7F):
            raise RuntimeError(f"the handle skeleton maps {chr(code)!r} to {mapped!r}: extend bulk_keys for it")
        table[code] = ord(mapped) if mapped else _DELETE
    return table


_TABLE = _handle_table()
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[ord("A") : ord("Z") + 1] += 32


# FNV-1a state after each kind's prefix: the hash of "kind:" itself
_PREFIX_STATES = {kind: np.uint64(_fnv1a(f"{kind}:".encode())) for kind in ("skel", "nodigit", "stem", "del")}


def handle_key_hashes(handles: Sequence[str], workers: int = 1, chunk: int = 50_000,
                      only: np.ndarray | KeyFilter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(position of the handle in ``handles``, key hash) for every key of every handle: the
    distinct values of ``hash_keys(handle_keys(h))``, grouped by handle in no particular order.
    ``only`` (sorted distinct hashes, or a :class:`KeyFilter` of them) keeps just the keys among
    them, piece by piece, so the keys of a million handles never all sit in memory when a batch
    needs those it shares. ``workers`` > 1 shares ``chunk``-handle pieces of 100,000 handles or
    more among that many threads (same result): the work is numpy column loops, which run
    without the GIL."""
    handles = list(handles)
    if only is not None and not isinstance(only, KeyFilter):
        only = KeyFilter(only)  # one filter for every piece
    if workers > 1 and len(handles) >= 100_000:
        return _in_threads(handles, workers, chunk, only)
    owners, hashes = [], []

    def add(piece_owners: np.ndarray, piece_hashes: np.ndarray) -> None:
        if only is not None:
            kept = only.positions(piece_hashes)
            piece_owners, piece_hashes = piece_owners[kept], piece_hashes[kept]
        owners.append(piece_owners)
        hashes.append(piece_hashes)

    lengths = np.fromiter(map(len, handles), dtype=np.int64, count=len(handles))
    short = np.flatnonzero(lengths <= MAX_FAST_LENGTH)
    fast = np.zeros(len(handles), dtype=bool)
    for start in range(0, len(short), chunk):
        positions = short[start : start + chunk]
        width = max(int(lengths[positions].max()), 1)
        codes = np.array([handles[p] for p in positions.tolist()], dtype=f"U{width}").view(np.uint32).reshape(len(positions), width)
        inside = np.arange(width) < lengths[positions][:, None]
        printable = ((codes >= 0x21) & (codes < 0x7F)) | ~inside
        ok = printable.all(axis=1)
        fast[positions[ok]] = True
        if ok.any():
            rows, row_hashes = _ascii_key_hashes(codes[ok].astype(np.uint8), lengths[positions[ok]])
            add(positions[ok][rows], row_hashes)
    slow = np.flatnonzero(~fast)
    if len(slow):
        keys = [handle_keys(handles[p]) for p in slow.tolist()]
        add(np.repeat(slow, [len(k) for k in keys]), hash_keys([key for some in keys for key in some]))
    if not owners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(owners), np.concatenate(hashes)


def _in_threads(handles: list[str], workers: int, chunk: int, only: KeyFilter | None) -> tuple[np.ndarray, np.ndarray]:
    """Threads rather than processes: nothing to pickle or start (1M handles on 2 cores: 2.2 s
    in threads, 3.5 s in processes, 4.7 s in one thread), and pieces of 50,000 handles keep each
    column loop's arrays in cache."""
    from concurrent.futures import ThreadPoolExecutor

    starts = list(range(0, len(handles), chunk))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda start: handle_key_hashes(handles[start : start + chunk], 1, chunk, only), starts))
    owners = np.concatenate([part_owners + start for (part_owners, _), start in zip(results, starts)])
    return owners, np.concatenate([part_hashes for _, part_hashes in results])


# --- the ASCII path ----------------------------------------------------------------------


def _ascii_key_hashes(raw_handles: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, hash) of every key of printable-ASCII handles given as a byte matrix."""
    n = len(raw_handles)
    out_rows, out_hashes = [], []

    def emit(rows: np.ndarray, values: np.ndarray) -> None:
        out_rows.append(rows)
        out_hashes.append(values)

    skel, skel_lengths = _skeletons(raw_handles, lengths)
    has_keys = skel_lengths >= _MIN_KEY
    everyone = np.arange(n)
    emit(everyone[has_keys], _fnv(skel, skel_lengths, "skel")[has_keys])

    # raw: without leading @, lower-cased (handle_keys' _raw_lower)
    lead = _leading_run(raw_handles, lengths, ord("@"))
    raw, raw_lengths = _shift_left(_LOWER[raw_handles], lengths, lead)

    # nodigit: the skeleton of raw without digits, if enough is left besides separators
    digit = (raw >= ord("0")) & (raw <= ord("9"))
    digitless, digitless_lengths = _compact(raw, _inside(raw_lengths, raw.shape[1]) & ~digit)
    stripped = _stripped_lengths(digitless, digitless_lengths)
    nodigit, nodigit_lengths = _skeletons(digitless, digitless_lengths)
    chosen = has_keys & (stripped >= _MIN_KEY)
    emit(everyone[chosen], _fnv(nodigit, nodigit_lengths, "nodigit")[chosen])

    # stems: raw without affixes, and that without its trailing number
    start, end = _strip_affixes(raw, raw_lengths)
    before_digits = _previous_index(raw, ~digit, end)
    end_without_number = np.maximum(_previous_index(raw, ~_is_separator(raw), np.maximum(before_digits + 1, start)) + 1, start)
    first, first_lengths = _skeletons(*_window(raw, start, end))
    second, second_lengths = _skeletons(*_window(raw, start, end_without_number))
    first_ok = has_keys & (first_lengths >= _MIN_KEY)
    same = (first_lengths == second_lengths) & (first == second).all(axis=1)
    second_ok = has_keys & (second_lengths >= _MIN_KEY) & ~(first_ok & same)
    emit(everyone[first_ok], _fnv(first, first_lengths, "stem")[first_ok])
    emit(everyone[second_ok], _fnv(second, second_lengths, "stem")[second_ok])

    # del: the skeleton and each distinct one-deletion variant, if the skeleton is short enough
    deletable = has_keys & (skel_lengths <= _MAX_DELETION_SOURCE)
    emit(everyone[deletable], _fnv(skel, skel_lengths, "del")[deletable])
    rows, values = _deletion_hashes(skel[deletable], skel_lengths[deletable])
    emit(everyone[deletable][rows], values)
    return np.concatenate(out_rows), np.concatenate(out_hashes).view(np.int64)


def _inside(lengths: np.ndarray, width: int) -> np.ndarray:
    return np.arange(width) < lengths[:, None]


def _compact(matrix: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's kept bytes moved to its front, NUL after them; and the new lengths. Only the
    rows with a gap are moved (most rows lose at most their tail)."""
    lengths = np.count_nonzero(keep, axis=1)
    out = np.where(keep, matrix, 0).astype(matrix.dtype, copy=False)
    moving = np.flatnonzero((keep != _inside(lengths, matrix.shape[1])).any(axis=1))
    if len(moving):
        kept = keep[moving]
        target = np.cumsum(kept, axis=1, dtype=np.int8) - 1
        rows = np.broadcast_to(np.arange(len(moving))[:, None], kept.shape)
        moved = np.zeros((len(moving), matrix.shape[1]), dtype=matrix.dtype)
        moved[rows[kept], target[kept]] = matrix[moving][kept]
        out[moving] = moved
    return out, lengths


def _leading_run(matrix: np.ndarray, lengths: np.ndarray, byte: int) -> np.ndarray:
    """How many times each row starts with ``byte``."""
    run = np.zeros(len(matrix), dtype=np.int64)
    starting = np.flatnonzero((matrix[:, 0] == byte) & (lengths > 0))
    if len(starting):
        same = (matrix[starting] == byte) & _inside(lengths[starting], matrix.shape[1])
        run[starting] = np.where(same.all(axis=1), lengths[starting], np.argmin(same, axis=1))
    return run


def _shift_left(matrix: np.ndarray, lengths: np.ndarray, by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not by.any():
        return matrix, lengths
    columns = np.arange(matrix.shape[1])
    return _compact(matrix, (columns >= by[:, None]) & (columns < lengths[:, None]))


def _skeletons(matrix: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``handle_skeleton`` of each row (printable ASCII): the table, then without the leading
    @s, then rn -> m and vv -> w, each pair replaced from the left as str.replace does."""
    mapped = _TABLE[matrix]
    out, out_lengths = _compact(mapped, (mapped != _DELETE) & _inside(lengths, matrix.shape[1]))
    out, out_lengths = _shift_left(out, out_lengths, _leading_run(out, out_lengths, ord("@")))
    # "rn": the two letters differ, so occurrences never overlap
    rows = np.flatnonzero(((out[:, :-1] == ord("r")) & (out[:, 1:] == ord("n"))).any(axis=1))
    if len(rows):
        sub = out[rows]
        out[rows], out_lengths[rows] = _replace_pairs(sub, out_lengths[rows], (sub[:, :-1] == ord("r")) & (sub[:, 1:] == ord("n")), ord("m"))
    # "vv": in a run of v, pairs start at even offsets from the run's start
    rows = np.flatnonzero(((out[:, :-1] == ord("v")) & (out[:, 1:] == ord("v"))).any(axis=1))
    if len(rows):
        sub = out[rows]
        is_v = sub == ord("v")
        columns = np.arange(sub.shape[1])
        run_start = np.maximum.accumulate(np.where(is_v & ~np.pad(is_v, ((0, 0), (1, 0)))[:, :-1], columns, -1), axis=1)
        pair = is_v[:, :-1] & is_v[:, 1:] & ((columns[:-1] - run_start[:, :-1]) % 2 == 0)
        out[rows], out_lengths[rows] = _replace_pairs(sub, out_lengths[rows], pair, ord("w"))
    return out, out_lengths


def _replace_pairs(matrix: np.ndarray, lengths: np.ndarray, pair: np.ndarray, letter: int) -> tuple[np.ndarray, np.ndarray]:
    """Replace the two bytes at each pair start (column c and c+1) by ``letter``."""
    matrix = matrix.copy()
    matrix[np.pad(pair, ((0, 0), (0, 1)))] = letter
    return _compact(matrix, ~np.pad(pair, ((0, 0), (1, 0))) & _inside(lengths, matrix.shape[1]))


def _is_separator(matrix: np.ndarray) -> np.ndarray:
    return _SEPARATOR_TABLE[matrix]


def _next_index(matrix: np.ndarray, wanted: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(rows x width+1): the first column >= c where ``wanted``, within the row; else its length."""
    width = matrix.shape[1]
    columns = np.where(wanted & _inside(lengths, width), np.arange(width), width)
    found = np.minimum.accumulate(columns[:, ::-1], axis=1)[:, ::-1]
    found = np.concatenate([found, np.full((len(matrix), 1), width)], axis=1)
    return np.minimum(found, lengths[:, None])


def _previous_index(matrix: np.ndarray, wanted: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The last column < ``before`` (one per row) where ``wanted``; -1 if none."""
    columns = np.where(wanted & (matrix != 0), np.arange(matrix.shape[1]), -1)
    found = np.concatenate([np.full((len(matrix), 1), -1), np.maximum.accumulate(columns, axis=1)], axis=1)
    return found[np.arange(len(matrix)), before]


def _stripped_lengths(matrix: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """len(row.strip("_.-"))."""
    word = ~_is_separator(matrix) & _inside(lengths, matrix.shape[1])
    first = np.argmax(word, axis=1)
    last = matrix.shape[1] - 1 - np.argmax(word[:, ::-1], axis=1)
    return np.where(word.any(axis=1), last - first + 1, 0)


def _strip_affixes(raw: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys._strip_affixes`` of every row as a (start, end) window over it: each round tries
    every prefix then every suffix against the window as it moves; rows that changed go again."""
    rows_all = np.arange(len(raw))
    start, end = np.zeros(len(raw), dtype=np.int64), lengths.astype(np.int64).copy()
    separator = _is_separator(raw)
    next_word = _next_index(raw, ~separator, lengths)  # first non-separator at or after a column
    columns = np.concatenate([np.full((len(raw), 1), -1), np.maximum.accumulate(
        np.where(~separator & _inside(lengths, raw.shape[1]), np.arange(raw.shape[1]), -1), axis=1)], axis=1)  # last non-separator before

    def stripped(rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(columns[rows, b] - next_word[rows, a] + 1, 0)

    def matches(rows: np.ndarray, at: np.ndarray, affix: bytes) -> np.ndarray:
        ok = np.ones(len(rows), dtype=bool)
        for offset, byte in enumerate(affix):
            ok &= raw[rows, np.minimum(at + offset, raw.shape[1] - 1)] == byte
        return ok

    active = rows_all
    while len(active):
        changed = np.zeros(len(raw), dtype=bool)
        for prefix in (p.encode() for p in _PREFIXES):
            size = len(prefix)
            s, e = start[active], end[active]
            candidates = np.flatnonzero((e - s >= size) & (raw[active, np.minimum(s, raw.shape[1] - 1)] == prefix[0]))
            if not len(candidates):
                continue
            rows, s, e = active[candidates], s[candidates], e[candidates]
            rest = s + size
            ok = matches(rows, s, prefix) & (stripped(rows, rest, e) >= _MIN_KEY)
            if size <= 2:
                ok &= separator[rows, np.minimum(rest, raw.shape[1] - 1)] & (rest < e)
            rows = rows[ok]
            start[rows] = next_word[rows, rest[ok]]
            changed[rows] = True
        for suffix in (x.encode() for x in _SUFFIXES):
            size = len(suffix)
            s, e = start[active], end[active]
            candidates = np.flatnonzero((e - s >= size) & (raw[active, np.maximum(e - 1, 0)] == suffix[-1]))
            if not len(candidates):
                continue
            rows, s, e = active[candidates], s[candidates], e[candidates]
            rest = e - size
            ok = matches(rows, rest, suffix) & (stripped(rows, s, rest) >= _MIN_KEY)
            if size <= 2 and not suffix.isdigit():
                ok &= separator[rows, np.maximum(rest - 1, 0)] & (rest > s)
            rows = rows[ok]
            end[rows] = columns[rows, rest[ok]] + 1
            changed[rows] = True
        active = np.flatnonzero(changed)
    return start, end


def _window(matrix: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's bytes [start, end) moved to its front."""
    columns = np.arange(matrix.shape[1])
    return _compact(matrix, (columns >= start[:, None]) & (columns < end[:, None]))


def _fnv(matrix: np.ndarray, lengths: np.ndarray, kind: str) -> np.ndarray:
    """FNV-1a of ``kind:`` followed by each row's bytes (uint64)."""
    state = np.full(len(matrix), _PREFIX_STATES[kind], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(int(lengths.max(initial=0))):
            mixed = (state ^ matrix[:, column].astype(np.uint64)) * _FNV_PRIME
            state = np.where(column < lengths, mixed, state)
    return state


def _deletion_hashes(skel: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, hash of "del:" + the row without column i) for each distinct deletion (deleting any
    byte of a run gives the same string: only the run's first counts) at least _MIN_KEY long."""
    if not len(skel):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    width = int(lengths.max())
    skel = skel[:, :width].astype(np.uint64)
    # states[:, i]: the hash after "del:" and the bytes before column i; then each continues
    # over the bytes after its deleted column
    states = np.empty((len(skel), width), dtype=np.uint64)
    state = np.full(len(skel), _PREFIX_STATES["del"], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(width):
            states[:, column] = state
            state = (state ^ skel[:, column]) * _FNV_PRIME
        for column in range(1, width):
            active = (column < lengths)[:, None]
            mixed = (states[:, :column] ^ skel[:, column : column + 1]) * _FNV_PRIME
            states[:, :column] = np.where(active, mixed, states[:, :column])
    columns = np.arange(width)
    first_of_run = np.ones_like(states, dtype=bool)
    first_of_run[:, 1:] = skel[:, 1:] != skel[:, :-1]
    wanted = (columns < lengths[:, None]) & first_of_run & (lengths[:, None] - 1 >= _MIN_KEY)
    rows = np.broadcast_to(np.arange(len(skel))[:, None], states.shape)
    return rows[wanted], states[wanted]
