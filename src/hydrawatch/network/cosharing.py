"""The engine behind :func:`hydrawatch.network.coordination.coordinated_edges`: counting, for
every pair of accounts, the distinct objects both shared within the window, in bounded memory.
Use it through ``coordinated_edges``; this module holds the method.

**How it works, and how its memory is bounded.**

1. Accounts and objects are dictionary-encoded to integers (in order of first appearance: a
   pair key uses the smaller code first, and only the kept edges are put into string order at
   the end), times to integer microseconds (so the window test is exact integer arithmetic,
   never a float rounding question). Shares are sorted by (object, time), with one ``argsort``
   of a packed ``object * span + time`` key when it fits in int64.
2. Pruning (``min_repetition >= 2``): an account in an edge of weight w has a partner in at
   least w distinct objects, so the shares of accounts with partners in fewer objects are
   dropped, repeatedly until nothing changes. Whether a share has a partner is a look at its
   two neighbours in (object, time) order. This is exact (dropping an account's shares changes
   no other pair) and removes most of the crowd around viral objects before any pair is made
   (on the 10M-share benchmark a quarter of the shares; on CooRTweet's Russian retweets 98%).
3. For each share i, the shares j > i of the same object with ``t_j - t_i <= window`` form one
   contiguous run ``i+1 .. end_i - 1``; ``end_i`` comes from one vectorised ``searchsorted``
   on a single monotone key: the times, with every gap between consecutive shares of an object
   capped at ``window + 1`` and ``window + 1`` between objects (capping a gap larger than the
   window changes no answer to "within the window?", and it keeps the key small).
4. The number of share pairs is then known before any is made: ``sum(end_i - i - 1)``. Pairs
   are generated in batches of at most ``batch_pairs`` (numpy ``repeat`` + ``arange``), turned
   into packed int64 pair keys ``lo * n_accounts + hi``, and counted with a sort-reduce
   (``np.sort`` of the keys, run lengths). An object shared by 10,000 accounts within the
   window yields ~50M share pairs: it is simply split over several batches.
5. Distinct objects per pair: when every account shares an object at most once, each share
   pair of that object is a distinct account pair, so the keys count objects directly. Objects
   that some account shared several times are the exception (they are sorted last); their
   pairs get a second key, unique per (object, account pair) (``offset_object + local_lo * m +
   local_hi`` with accounts ranked within the object, ``m`` of them, offsets the running sum of
   ``m**2`` <= shares**2), are de-duplicated by sort-unique and decoded back to pair keys.
6. Memory: pair keys are counted in ``passes``; pass p keeps the keys with ``key % passes ==
   p`` and regenerates the batches to find them (generation is cheap; holding every pair of
   several viral objects is not). ``passes`` is chosen from the known pair count so that a pass
   holds at most ``max_pairs_in_memory / workers`` keys in one preallocated buffer; a pass
   whose buffer still fills (skew) folds it into sorted (key, count) runs and goes on. Peak
   memory is therefore about ``max_pairs_in_memory * 8`` bytes (plus the runs of a folded
   pass), plus ``batch_pairs * 48`` bytes per worker for a batch in flight, plus the shares
   (~60 bytes each with their strings), whatever the skew of the data.
7. ``workers`` passes run side by side in threads (numpy releases the GIL in sorting and
   arithmetic). The result never depends on ``batch_pairs``, ``max_pairs_in_memory`` or
   ``workers``: every (object, pair) reaches the same count by sorting, whatever the order
   or grouping (tested).
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

INT64_SAFE = 2**62  # keys stay below this, leaving headroom for "+ window" without overflow
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class PreparedShares:
    """Shares encoded and sorted: first the objects no account shared twice, then the others
    ("repeat objects"), each object's shares together and in time order."""

    account_names: pa.Array  # an account's code is its index here (first-appearance order)
    object_names: pa.Array
    account: np.ndarray  # per share
    obj: np.ndarray
    time: np.ndarray  # epoch microseconds
    partners: np.ndarray  # how many later shares of the same object are within the window
    first_repeat: int  # shares from here on belong to repeat objects
    # For repeat objects only (see the module docstring, step 5):
    local_rank: np.ndarray  # per share: its account's rank among the object's distinct accounts
    repeat_offset: np.ndarray  # per object code: its first de-duplication key (running sum of m**2)
    repeat_width: np.ndarray  # per object code: m, its distinct accounts (0: not a repeat object)
    repeat_start: np.ndarray  # per object code: where its accounts start in repeat_accounts
    repeat_accounts: np.ndarray  # the distinct account codes of each repeat object, in rank order

    @property
    def n_accounts(self) -> int:
        return len(self.account_names)

    def pair_keys(self, account_a: pa.ChunkedArray, account_b: pa.ChunkedArray) -> np.ndarray:
        """The packed keys of pairs given by account name (names absent here give -1)."""
        low = pc.index_in(account_a, value_set=self.account_names).to_numpy(zero_copy_only=False)
        high = pc.index_in(account_b, value_set=self.account_names).to_numpy(zero_copy_only=False)
        low = np.nan_to_num(low.astype(np.float64), nan=-1).astype(np.int64)  # nulls: unknown names
        high = np.nan_to_num(high.astype(np.float64), nan=-1).astype(np.int64)
        keys = np.minimum(low, high) * max(self.n_accounts, 1) + np.maximum(low, high)
        keys[(low < 0) | (high < 0)] = -1
        return keys

    def pair_names(self, keys: np.ndarray) -> tuple[pa.Array, pa.Array]:
        """Packed pair keys back to account names, the smaller name (string order) first."""
        low, high = np.divmod(keys, max(self.n_accounts, 1))
        first = self.account_names.take(pa.array(low, pa.int64()))
        second = self.account_names.take(pa.array(high, pa.int64()))
        swap = pc.greater(first, second)
        return pc.if_else(swap, second, first), pc.if_else(swap, first, second)


@dataclass(frozen=True, slots=True)
class PairCounts:
    """Pairs linked by at least ``min_repetition`` distinct objects, as packed keys (see
    :meth:`PreparedShares.pair_names`) with their weights, and what it took to count them."""

    keys: np.ndarray
    weights: np.ndarray
    share_pairs: int
    passes: int
    batches: int


def _encode(values: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Dictionary codes in order of first appearance (one hash pass, no string sorting)."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        if encoded.num_chunks == 0:
            return pa.array([], values.type), _EMPTY
        dictionary = encoded.chunk(0).dictionary
        indices = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks])
    else:
        dictionary, indices = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    return dictionary, indices.astype(np.int64)


def _sort_by_object_and_time(account: np.ndarray, obj: np.ndarray, time: np.ndarray, n_objects: int) -> np.ndarray:
    """The order of shares by (object, time): one argsort of ``object * span + time`` when that
    fits in int64 (it does for any realistic data), else a lexsort."""
    if len(time) == 0:
        return _EMPTY
    earliest = int(time.min())
    span = int(time.max()) - earliest + 1
    if n_objects * span < INT64_SAFE:
        key = obj * span
        key += time
        key -= earliest
        return np.argsort(key)
    return np.lexsort((account, time, obj))


def prepare_shares(shares: pa.Table, window: int, min_repetition: int) -> PreparedShares:
    """Encode, sort and prune the shares (steps 1-3 of the module docstring); ``window`` in
    microseconds."""
    valid = pc.and_(pc.and_(pc.is_valid(shares["account_id"]), pc.is_valid(shares["object_id"])), pc.is_valid(shares["timestamp"]))
    shares = shares.filter(valid)
    account_names, account = _encode(shares["account_id"])
    object_names, obj = _encode(shares["object_id"])
    time = shares["timestamp"].cast(pa.int64()).to_numpy().astype(np.int64)
    n_accounts, n_objects = len(account_names), len(object_names)
    order = _sort_by_object_and_time(account, obj, time, n_objects)
    account, obj, time = account[order], obj[order], time[order]
    del order
    if len(time) > 1:  # the same account sharing the same object at the same time twice adds nothing
        distinct = np.ones(len(time), dtype=bool)
        distinct[1:] = (obj[1:] != obj[:-1]) | (time[1:] != time[:-1]) | (account[1:] != account[:-1])
        if not distinct.all():
            account, obj, time = account[distinct], obj[distinct], time[distinct]
    if min_repetition >= 2:
        account, obj, time = _prune(account, obj, time, window, min_repetition, n_accounts, n_objects)

    # Objects some account shared more than once go last, where their pairs get de-duplicated.
    object_account = np.sort(obj * n_accounts + account)
    repeated = object_account[1:][object_account[1:] == object_account[:-1]] // max(n_accounts, 1)
    repeat_objects = _sorted_unique(repeated)
    is_repeat_object = np.zeros(n_objects, dtype=bool)
    is_repeat_object[repeat_objects] = True
    in_repeat = is_repeat_object[obj]
    if in_repeat.any():
        order = np.concatenate([np.flatnonzero(~in_repeat), np.flatnonzero(in_repeat)])
        account, obj, time = account[order], obj[order], time[order]
        del order
    first_repeat = int(len(obj) - in_repeat.sum())
    key = _window_key(obj, time, window)
    partners = _forward_partners(key, obj, time, window)

    repeat_width = np.zeros(n_objects, dtype=np.int64)
    repeat_offset = np.zeros(n_objects, dtype=np.int64)
    repeat_start = np.zeros(n_objects, dtype=np.int64)
    local_rank = np.zeros(len(obj), dtype=np.int64)
    repeat_accounts = _EMPTY
    if len(repeat_objects):
        # Distinct (object, account) of the repeat objects, sorted: an account's rank within
        # its object is its position after the object's first entry.
        pairs = _sorted_unique(object_account[is_repeat_object[object_account // n_accounts]])
        pair_object = pairs // n_accounts
        starts = np.searchsorted(pair_object, repeat_objects, side="left")
        widths = np.diff(np.r_[starts, len(pairs)])
        repeat_width[repeat_objects] = widths
        repeat_offset[repeat_objects] = np.r_[0, np.cumsum(widths * widths)[:-1]]
        repeat_start[repeat_objects] = starts
        repeat_accounts = pairs % n_accounts
        tail = slice(first_repeat, None)
        local_rank[tail] = np.searchsorted(pairs, obj[tail] * n_accounts + account[tail]) - repeat_start[obj[tail]]
    return PreparedShares(
        account_names, object_names, account, obj, time, partners, first_repeat,
        local_rank, repeat_offset, repeat_width, repeat_start, repeat_accounts,
    )  # fmt: skip


def _window_key(obj: np.ndarray, time: np.ndarray, window: int) -> np.ndarray | None:
    """A single non-decreasing key over shares sorted by (object, time) such that two shares
    are of one object and within the window exactly when their keys are at most ``window``
    apart: the times, with every gap capped at ``window + 1`` and ``window + 1`` between
    objects. None when even that would not fit in int64 (then: one object at a time)."""
    n = len(time)
    gaps = np.empty(n, dtype=np.int64)
    if n == 0:
        return gaps
    gaps[0] = 0
    np.subtract(time[1:], time[:-1], out=gaps[1:])
    np.minimum(gaps, window + 1, out=gaps)
    gaps[1:][obj[1:] != obj[:-1]] = window + 1
    if float(gaps.sum(dtype=np.float64)) + window >= INT64_SAFE:
        return None
    return np.cumsum(gaps, out=gaps)


def _object_bounds(obj: np.ndarray) -> np.ndarray:
    """Where each object's run of shares starts, and the end: ``bounds[k]:bounds[k + 1]``."""
    return np.flatnonzero(np.r_[True, obj[1:] != obj[:-1], True])


def _forward_partners(key: np.ndarray | None, obj: np.ndarray, time: np.ndarray, window: int) -> np.ndarray:
    """Per share i: how many shares j > i of its object are within the window."""
    n = len(time)
    if key is not None:
        ends = np.searchsorted(key, key + window, side="right")
    else:
        ends = np.empty(n, dtype=np.int64)
        bounds = _object_bounds(obj)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            ends[start:stop] = start + np.searchsorted(time[start:stop], time[start:stop] + window, side="right")
    ends -= np.arange(1, n + 1, dtype=np.int64)
    return ends



def _has_partner(obj: np.ndarray, time: np.ndarray, window: int) -> np.ndarray:
    """Per share (sorted by object and time): is any other share of its object within the
    window? The nearest candidates are its two neighbours, so looking at them is enough."""
    partnered = np.zeros(len(obj), dtype=bool)
    if len(obj) < 2:
        return partnered
    close = obj[1:] == obj[:-1]
    close &= (time[1:] - time[:-1]) <= window
    partnered[1:] |= close
    partnered[:-1] |= close
    return partnered


def _prune(account, obj, time, window: int, min_repetition: int, n_accounts: int, n_objects: int):
    """Drop every share of accounts that cannot be in a kept edge: an account in an edge of
    weight w has a partner in at least w distinct objects. Dropping an account's shares
    changes no other pair, so this is exact; it is repeated until nothing changes (dropping
    one account can leave its partners without partners). Viral objects shared by thousands
    of otherwise unremarkable accounts are what this removes before any pair is made."""
    while len(account):
        partnered = _has_partner(obj, time, window)
        linked_objects = _sorted_unique(account[partnered] * n_objects + obj[partnered]) // n_objects
        linked = np.bincount(linked_objects, minlength=n_accounts)
        keep = linked[account] >= min_repetition
        if keep.all():
            break
        log.debug("coordination: pruned %s shares of accounts linked in < %s objects", f"{(~keep).sum():,}", min_repetition)
        account, obj, time = account[keep], obj[keep], time[keep]
    return account, obj, time


def _batches(partners: np.ndarray, start: int, stop: int, batch_pairs: int) -> list[tuple[int, int]]:
    """Share ranges within [start, stop) whose pairs number at most ``batch_pairs`` (a single
    share with more partners than that is a batch of its own); ranges without pairs are left out."""
    if stop <= start:
        return []
    cumulative = np.cumsum(partners[start:stop])
    bounds = [0]
    while bounds[-1] < len(cumulative):
        before = cumulative[bounds[-1] - 1] if bounds[-1] else 0
        after = int(np.searchsorted(cumulative, before + batch_pairs, side="right"))
        bounds.append(max(after, bounds[-1] + 1))
    return [
        (start + a, start + b)
        for a, b in zip(bounds[:-1], bounds[1:])
        if cumulative[b - 1] > (cumulative[a - 1] if a else 0)
    ]


def _share_pairs(partners: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) of shares with start <= i < stop and j in i's window."""
    counts = partners[start:stop]
    total = int(counts.sum())
    first = np.repeat(np.arange(start, stop, dtype=np.int64), counts)
    # j = i + 1 + (position of the pair within i's run)
    run_start = np.cumsum(counts)
    run_start -= counts
    second = np.arange(1, total + 1, dtype=np.int64)
    second -= np.repeat(run_start, counts)
    second += first
    return first, second


def _batch_keys(prepared: PreparedShares, start: int, stop: int, passes: int, part: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch of share pairs as (pair keys, de-duplication keys), keeping this pass's part.

    In objects without repeats the two accounts of a share pair always differ and each
    account pair occurs once per object: the pair key is all that is needed."""
    first, second = _share_pairs(prepared.partners, start, stop)
    account_i = prepared.account[first]
    account_j = prepared.account[second]
    simple = start < prepared.first_repeat
    keep = None if simple else account_i != account_j  # self pairs occur only in repeat objects
    keys = np.minimum(account_i, account_j)
    keys *= prepared.n_accounts
    np.maximum(account_i, account_j, out=account_j)
    keys += account_j
    if simple:
        if passes > 1:
            keys = keys[keys % passes == part]
        return keys, _EMPTY
    if passes > 1:
        keep &= keys % passes == part
    first, second = first[keep], second[keep]
    objects = prepared.obj[first]
    rank_i = prepared.local_rank[first]
    rank_j = prepared.local_rank[second]
    dedup = np.minimum(rank_i, rank_j) * prepared.repeat_width[objects]
    dedup += np.maximum(rank_i, rank_j)
    dedup += prepared.repeat_offset[objects]
    return _EMPTY, dedup


def _decode_repeats(prepared: PreparedShares, dedup: np.ndarray) -> np.ndarray:
    """De-duplication keys back to pair keys (one per object and account pair)."""
    repeat_objects = np.flatnonzero(prepared.repeat_width)
    objects = repeat_objects[np.searchsorted(prepared.repeat_offset[repeat_objects], dedup, side="right") - 1]
    low_rank, high_rank = np.divmod(dedup - prepared.repeat_offset[objects], prepared.repeat_width[objects])
    starts = prepared.repeat_start[objects]
    return prepared.repeat_accounts[starts + low_rank] * prepared.n_accounts + prepared.repeat_accounts[starts + high_rank]


class _PassCounter:
    """Counts the pair keys of one pass in a fixed buffer: when it is full, its keys are
    sorted and folded into (key, count) runs, so memory stays at the buffer plus the runs."""

    def __init__(self, prepared: PreparedShares, capacity: int):
        self.prepared = prepared
        self.buffer = np.empty(max(capacity, 1), dtype=np.int64)  # pages are touched only as filled
        self.filled = 0
        self.dedup: list[np.ndarray] = []
        self.dedup_size = 0
        self.keys = _EMPTY
        self.counts = _EMPTY

    def add(self, keys: np.ndarray, dedup: np.ndarray) -> None:
        """Take one batch: pair keys into the buffer, de-duplication keys aside."""
        while len(keys):
            room = len(self.buffer) - self.filled
            taken = min(room, len(keys))
            self.buffer[self.filled : self.filled + taken] = keys[:taken]
            self.filled += taken
            keys = keys[taken:]
            if self.filled == len(self.buffer):
                self._fold()
        if len(dedup):
            self.dedup.append(dedup)
            self.dedup_size += len(dedup)
            if self.dedup_size > len(self.buffer):
                # Distinct (object, pair) keys stay keys: later batches may repeat them.
                self.dedup = [_sorted_unique(np.concatenate(self.dedup))]
                self.dedup_size = len(self.dedup[0])

    def _fold(self) -> None:
        keys, counts = _run_lengths(self.buffer[: self.filled])
        self.filled = 0
        self.keys, self.counts = _merge_counts(self.keys, self.counts, keys, counts)

    def result(self, min_repetition: int) -> tuple[np.ndarray, np.ndarray]:
        """The pass's pairs with at least ``min_repetition`` objects, and their counts."""
        if self.dedup_size:
            self.add(_decode_repeats(self.prepared, _sorted_unique(np.concatenate(self.dedup))), _EMPTY)
            self.dedup, self.dedup_size = [], 0
        if self.filled and not len(self.keys) and min_repetition >= 2:
            # Nothing folded yet: read the repeated keys straight off the sorted buffer.
            keys = self.buffer[: self.filled]
            keys.sort()
            self.buffer = _EMPTY
            return _repeated_runs(keys, min_repetition)
        if self.filled:
            self._fold()
        self.buffer = _EMPTY
        strong = self.counts >= min_repetition
        return self.keys[strong], self.counts[strong]


def _repeated_runs(keys: np.ndarray, min_repetition: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys occurring at least ``min_repetition`` (>= 2) times in sorted ``keys``, with their
    counts. Most pairs occur once, so this looks only at the positions of equal neighbours
    rather than building the run-length arrays of every key."""
    equal_next = np.flatnonzero(keys[1:] == keys[:-1])
    if not len(equal_next):
        return _EMPTY, _EMPTY
    run_start = np.flatnonzero(np.r_[True, equal_next[1:] != equal_next[:-1] + 1])
    counts = np.diff(np.r_[run_start, len(equal_next)]) + 1
    strong = counts >= min_repetition
    return keys[equal_next[run_start[strong]]], counts[strong]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` without its extra copies: sorts ``values`` in place."""
    values.sort()
    if len(values) < 2:
        return values
    distinct = np.empty(len(values), dtype=bool)
    distinct[0] = True
    np.not_equal(values[1:], values[:-1], out=distinct[1:])
    return values[distinct]


def _run_lengths(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``keys`` in place; return the distinct keys and how often each occurs."""
    keys.sort()
    if len(keys) == 0:
        return _EMPTY, _EMPTY
    boundary = np.empty(len(keys), dtype=bool)
    boundary[0] = True
    np.not_equal(keys[1:], keys[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    del boundary
    counts = np.empty(len(starts), dtype=np.int64)
    counts[:-1] = starts[1:] - starts[:-1]
    counts[-1] = len(keys) - starts[-1]
    return keys[starts], counts


def _merge_counts(keys_a, counts_a, keys_b, counts_b) -> tuple[np.ndarray, np.ndarray]:
    """Two (distinct sorted keys, counts) runs into one, adding the counts of shared keys."""
    if len(keys_a) == 0:
        return keys_b, counts_b
    keys = np.concatenate([keys_a, keys_b])
    counts = np.concatenate([counts_a, counts_b])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts)



#: From this many share pairs on, at least ``workers`` passes run side by side; below it one
#: pass does it all unless memory asks for more (threads would cost more than they save).
_PARALLEL_FROM_PAIRS = 20_000_000


def _plan(total_pairs: int, batch_pairs: int, max_pairs_in_memory: int, workers: int) -> tuple[int, int]:
    """How many passes over the pairs, and how many keys each pass may hold. Passes run
    ``workers`` at a time, so each holds at most ``max_pairs_in_memory / workers`` keys."""
    per_pass = max(max_pairs_in_memory // workers, 1)
    passes = max(math.ceil(total_pairs / per_pass), 1)
    if total_pairs >= _PARALLEL_FROM_PAIRS:
        passes = max(passes, workers)
    if passes > 1 and workers > 1:
        passes = math.ceil(passes / workers) * workers
    # Keys spread evenly over the passes, give or take; the buffer folds if one overflows.
    capacity = min(per_pass, math.ceil(total_pairs / passes * 1.1) + batch_pairs)
    return passes, capacity


def count_pairs(prepared: PreparedShares, min_repetition: int, batch_pairs: int, max_pairs_in_memory: int, workers: int) -> PairCounts:
    """Pairs linked by at least ``min_repetition`` distinct objects (steps 4-7)."""
    total_pairs = int(prepared.partners.sum())
    passes, capacity = _plan(total_pairs, batch_pairs, max_pairs_in_memory, workers)
    batches = _batches(prepared.partners, 0, prepared.first_repeat, batch_pairs)
    batches += _batches(prepared.partners, prepared.first_repeat, len(prepared.partners), batch_pairs)
    log.info(
        "coordination: %s shares (after pruning), %s accounts, %s objects, %s share pairs in the window; %s batches x %s passes",
        f"{len(prepared.time):,}", f"{prepared.n_accounts:,}", f"{len(prepared.object_names):,}", f"{total_pairs:,}", len(batches), passes,
    )  # fmt: skip

    def run_pass(part: int) -> tuple[np.ndarray, np.ndarray]:
        counter = _PassCounter(prepared, capacity)
        for start, stop in batches:
            counter.add(*_batch_keys(prepared, start, stop, passes, part))
        return counter.result(min_repetition)

    if workers > 1 and passes > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            found = list(pool.map(run_pass, range(passes)))
    else:
        found = [run_pass(part) for part in range(passes)]
    keys = np.concatenate([k for k, _ in found]) if found else _EMPTY
    weights = np.concatenate([w for _, w in found]) if found else _EMPTY
    return PairCounts(keys=keys, weights=weights, share_pairs=total_pairs, passes=passes, batches=len(batches))


def linking_pairs(prepared: PreparedShares, wanted: np.ndarray, batch_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """For the pair keys in ``wanted``, every (pair key, object code) that links them, sorted
    and distinct: the generation of step 4 again, keeping only the wanted pairs."""
    wanted = np.sort(wanted[wanted >= 0])
    found_keys: list[np.ndarray] = []
    found_objects: list[np.ndarray] = []
    n_accounts = max(prepared.n_accounts, 1)
    if len(wanted):
        for start, stop in _batches(prepared.partners, 0, len(prepared.partners), batch_pairs):
            first, second = _share_pairs(prepared.partners, start, stop)
            account_i, account_j = prepared.account[first], prepared.account[second]
            keys = np.minimum(account_i, account_j) * n_accounts + np.maximum(account_i, account_j)
            position = np.minimum(np.searchsorted(wanted, keys), len(wanted) - 1)
            hit = (wanted[position] == keys) & (account_i != account_j)
            found_keys.append(keys[hit])
            found_objects.append(prepared.obj[first[hit]])
    keys = np.concatenate(found_keys) if found_keys else _EMPTY
    objects = np.concatenate(found_objects) if found_objects else _EMPTY
    if len(keys):
        order = np.lexsort((objects, keys))
        keys, objects = keys[order], objects[order]
        distinct = np.r_[True, (keys[1:] != keys[:-1]) | (objects[1:] != objects[:-1])]
        keys, objects = keys[distinct], objects[distinct]
    return keys, objects
