"""Coordinated sharing: accounts that keep sharing the same things at the same moment.

**Definition.** Two accounts are *linked by* an object O (a retweeted post, a URL, a hashtag,
an image) when both shared O at times at most ``window_seconds`` apart (inclusive). The
*weight* of the edge between them is the number of distinct objects that link them; edges
with weight ``>= min_repetition`` are kept. An account sharing O several times counts once per
object: the pair is linked by O if *any* of its shares of O lies within the window of any of
the other account's shares of O. Output rows are ``account_a, account_b, weight`` with
``account_a < account_b`` (string order). Clusters of coordinated accounts are the connected
components of the kept edges, each with the objects that tie it together.

This is the co-retweet / co-link / co-hashtag network of CooRTweet and of the QUT
coordination-network-toolkit, with one difference of counting: the toolkit weighs an edge by
the number of *messages* of one account that have a partner, so one account retweeting the
same post twice counts twice there (and its edges can be asymmetric); here it counts once.

**Choosing parameters.** Organic audiences share popular objects at the same moment too, so a
single co-share means little. ``min_repetition`` is what separates a network from a crowd: two
accounts that share 5 of the same objects within 60 s of each other are rarely a coincidence
unless the objects are viral. Short windows (10-60 s) find automation; minutes to an hour find
human-run networks following a call to action (at the cost of more crowd pairs).

Two implementations, one contract:

* :func:`coordinated_edges_reference`: the brute-force oracle (every pair of shares of every
  object), for tests only: quadratic in the shares of an object.
* :func:`coordinated_edges`: the fast one, below.

**How the fast one works, and how its memory is bounded.**

1. Accounts and objects are dictionary-encoded to integers (account codes in string order, so
   code order is string order), times to integer microseconds (so the window test is exact
   integer arithmetic, never a float rounding question). Shares are sorted by (object, time).
2. Pruning (``min_repetition >= 2``): an account in an edge of weight w has a partner in at
   least w distinct objects, so the shares of accounts with partners in fewer objects are
   dropped, repeatedly until nothing changes. This is exact (dropping an account's shares
   changes no other pair) and removes most of the crowd around viral objects before any pair
   is made (on the 10M-share benchmark a quarter of the shares).
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

import itertools
import logging
import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hydrawatch.core.errors import ConfigError, UnknownFormatError
from hydrawatch.network import SHARES_CSV_CONTRACT

log = logging.getLogger(__name__)

SIGNAL = "coordinated_sharing"
VERSION = 1

SHARES_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("object_id", pa.string()), ("timestamp", pa.timestamp("us", tz="UTC"))]
)
EDGES_SCHEMA = pa.schema([("account_a", pa.string()), ("account_b", pa.string()), ("weight", pa.int64())])
EVIDENCE_SCHEMA = pa.schema([("account_a", pa.string()), ("account_b", pa.string()), ("object_id", pa.string())])

MICROS = 1_000_000
_INT64_SAFE = 2**62  # keys stay below this, leaving headroom for "+ window" without overflow


@dataclass(frozen=True, slots=True)
class CoordinationConfig:
    """What counts as coordination, and how much memory and how many threads to use for it.

    ``window_seconds``: two shares of an object at most this far apart link their accounts
    (inclusive; 0 means the same microsecond). ``min_repetition``: keep pairs linked by at
    least this many distinct objects. The other fields change speed and memory, never results.
    """

    window_seconds: float
    min_repetition: int = 2
    batch_pairs: int = 4_000_000
    max_pairs_in_memory: int = 100_000_000
    workers: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.window_seconds, (int, float)) and math.isfinite(self.window_seconds)) or self.window_seconds < 0:
            raise ConfigError(f"window_seconds must be a number >= 0 (seconds between two shares), got {self.window_seconds!r}")
        if int(self.min_repetition) != self.min_repetition or self.min_repetition < 1:
            raise ConfigError(
                f"min_repetition must be an integer >= 1 (distinct objects linking a pair), got {self.min_repetition!r}; "
                "1 keeps every co-share, 2 or more separates networks from crowds"
            )
        if self.batch_pairs < 1 or self.max_pairs_in_memory < 1:
            raise ConfigError("batch_pairs and max_pairs_in_memory must be >= 1 (they bound memory, not results)")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers!r}")

    @property
    def window_micros(self) -> int:
        return window_micros(self.window_seconds)

    def provenance(self) -> dict:
        """Which signal and version, with which parameters: stored next to every score."""
        return {
            "signal": SIGNAL,
            "version": VERSION,
            "window_seconds": self.window_seconds,
            "min_repetition": self.min_repetition,
        }


def window_micros(window_seconds: float) -> int:
    """The window in integer microseconds, as both implementations compare it. Windows beyond
    2**62 microseconds (146,000 years: longer than any two times can differ) are capped there,
    so that the arithmetic stays in int64."""
    return min(int(round(window_seconds * MICROS)), _INT64_SAFE)


@dataclass(frozen=True, slots=True)
class CoordinationStats:
    """What the fast implementation did: for logs and benchmarks."""

    shares: int
    accounts: int
    objects: int
    share_pairs: int  # pairs of shares within the window (before self pairs and de-duplication)
    passes: int
    batches: int
    edges: int


@dataclass(frozen=True, slots=True)
class CoordinationResult:
    edges: pa.Table  # account_a, account_b, weight; strongest first
    config: CoordinationConfig
    stats: CoordinationStats

    @property
    def provenance(self) -> dict:
        return self.config.provenance()


@dataclass(frozen=True, slots=True)
class CoordinatedCluster:
    """Accounts tied together by coordinated sharing, with the objects that tie them.

    ``objects`` lists ``(object_id, pairs)``: how many kept edges inside the cluster the object
    links, most linking first, so that a moderator sees the shared material first."""

    cluster: int
    accounts: tuple[str, ...]
    edges: int
    weight: int  # sum of the weights of the cluster's edges
    objects: tuple[tuple[str, int], ...]
    provenance: dict = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return len(self.accounts)


# --- input ------------------------------------------------------------------------------


def shares_table(account_ids, object_ids, timestamps_micros) -> pa.Table:
    """A shares table from three parallel sequences (times in epoch microseconds)."""
    return pa.table(
        {
            "account_id": pa.array(account_ids, pa.string()),
            "object_id": pa.array(object_ids, pa.string()),
            "timestamp": pa.array(timestamps_micros, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        },
        schema=SHARES_SCHEMA,
    )


#: Header names accepted for each column of a shares CSV. The first list is hydrawatch's own
#: layout; CooRTweet's ``object_id,account_id,content_id,timestamp_share`` is read as well.
CSV_COLUMNS = {
    "account_id": ("account_id",),
    "object_id": ("object_id",),
    "timestamp": ("timestamp", "timestamp_share"),
}
CSV_CONTRACT = SHARES_CSV_CONTRACT


def read_shares_csv(path: Path, problems) -> pa.Table:
    """Read shares from a CSV (see :data:`CSV_CONTRACT`). Bad rows go to ``problems`` (a
    :class:`hydrawatch.sources.base.ProblemLog`) with their line and reason; good rows are kept."""
    from hydrawatch.core.model import SourceRef
    from hydrawatch.sources.base import iter_csv_rows

    rows = iter_csv_rows(Path(path), problems)
    first = next(rows, None)
    if first is None:
        raise UnknownFormatError(f"{path} is empty. {CSV_CONTRACT}")
    _, header = first
    names = [name.strip().lower() for name in header]
    index = {}
    for column, accepted in CSV_COLUMNS.items():
        found = [names.index(name) for name in accepted if name in names]
        if not found:
            raise UnknownFormatError(f"{path}: no {column} column in the header {','.join(header)[:200]!r}. {CSV_CONTRACT}")
        index[column] = found[0]
    fast = _read_clean_csv(Path(path), [header[index[column]] for column in CSV_COLUMNS])
    if fast is not None:
        return fast
    width = len(header)
    accounts: list[str] = []
    objects: list[str] = []
    times: list[int] = []
    name = str(path)
    for line, row in rows:
        if len(row) != width:
            problems.bad(SourceRef(name, line), f"expected {width} fields, found {len(row)}", ",".join(row))
            continue
        account = row[index["account_id"]].strip()
        obj = row[index["object_id"]].strip()
        if not account or not obj:
            problems.bad(SourceRef(name, line), "empty account_id" if not account else "empty object_id", ",".join(row))
            continue
        try:
            micros = parse_time_micros(row[index["timestamp"]])
        except ValueError as exc:
            problems.bad(SourceRef(name, line), str(exc), ",".join(row))
            continue
        accounts.append(account)
        objects.append(obj)
        times.append(micros)
    return shares_table(accounts, objects, times)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DECIMAL_SECONDS = r"^(?P<whole>[0-9]{1,10})(?:\.(?P<fraction>[0-9]*))?$"


def _read_clean_csv(path: Path, columns: list[str]) -> pa.Table | None:
    """The fast path of :func:`read_shares_csv`: Arrow's multi-threaded CSV reader, for files
    with nothing to report (every row well formed, ids without surrounding blanks, epoch-second
    times before 2262). It gives exactly what the row-by-row reader would; on anything else it
    returns None and the row-by-row reader takes over, to report each bad row with its line."""
    import pyarrow.csv as pcsv

    from hydrawatch.sources.base import open_binary

    if len(set(columns)) != len(columns):
        return None
    try:
        with open_binary(path) as stream:
            table = pcsv.read_csv(
                stream,
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in columns}, include_columns=columns),
            )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError):
        return None
    account, obj, timestamp = (table[c] for c in columns)
    for ids in (account, obj):
        if pc.any(pc.equal(pc.utf8_length(ids), 0)).as_py() or not pc.all(pc.equal(pc.utf8_trim_whitespace(ids), ids)).as_py() in (True, None):
            return None
    parts = pc.extract_regex(timestamp, _DECIMAL_SECONDS)
    if parts.null_count:
        return None
    whole = pc.cast(pc.struct_field(parts, "whole"), pa.int64())
    nanos = pc.cast(pc.utf8_slice_codeunits(pc.utf8_rpad(pc.struct_field(parts, "fraction"), 9, "0"), 0, 9), pa.int64())
    try:
        nanos = pc.add_checked(pc.add_checked(pc.multiply_checked(whole, 1_000_000_000), nanos), 500)
    except pa.ArrowInvalid:  # overflow: past 2262; the row-by-row reader has no such limit
        return None
    micros = pc.divide(nanos, 1000)  # integer division (the values are positive): rounded to the microsecond
    return pa.table(
        {"account_id": account, "object_id": obj, "timestamp": pc.cast(micros, pa.timestamp("us", tz="UTC"))},
        schema=SHARES_SCHEMA,
    )


def parse_time_micros(text: str) -> int:
    """Epoch seconds (``1623881091``, ``1623881091.25``; values above 1e11 are taken as
    milliseconds, as in compliance streams) or ISO 8601, to integer epoch microseconds. Decimal
    seconds are read exactly, not through a float."""
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    number = value[1:] if value[0] in "+-" else value
    whole, dot, fraction = number.partition(".")
    if whole.isdigit() and (not dot or fraction.isdigit() or fraction == ""):
        sign = -1 if value[0] == "-" else 1
        digits = (fraction + "000000000")[:9]  # nanoseconds, then rounded to microseconds
        nanos = int(whole) * 1_000_000_000 + int(digits)
        if int(whole) > 100_000_000_000:  # milliseconds
            nanos //= 1000
        return sign * ((nanos + 500) // 1000)
    if value[0].isdigit() and "-" in value[:5]:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an epoch or ISO 8601 time: {value[:60]!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return (parsed - _EPOCH) // timedelta(microseconds=1)
    raise ValueError(f"not an epoch or ISO 8601 time: {value[:60]!r}")


# --- the reference ----------------------------------------------------------------------


def coordinated_edges_reference(shares: pa.Table, window_seconds: float, min_repetition: int) -> pa.Table:
    """Brute force, for tests: every pair of shares of every object, ``|t_a - t_b| <= window``."""
    window = window_micros(window_seconds)
    by_object: dict[str, list[tuple[str, int]]] = defaultdict(list)
    times = shares["timestamp"].cast(pa.int64()).to_pylist()
    for account, obj, when in zip(shares["account_id"].to_pylist(), shares["object_id"].to_pylist(), times):
        by_object[obj].append((account, when))
    linking: dict[tuple[str, str], set[str]] = defaultdict(set)
    for obj, found in by_object.items():
        for (account_a, time_a), (account_b, time_b) in itertools.combinations(found, 2):
            if account_a != account_b and abs(time_a - time_b) <= window:
                linking[(min(account_a, account_b), max(account_a, account_b))].add(obj)
    kept = [(a, b, len(objs)) for (a, b), objs in linking.items() if len(objs) >= min_repetition]
    return _edges_table([k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept])


def _edges_table(account_a, account_b, weight) -> pa.Table:
    table = pa.table(
        {"account_a": pa.array(account_a, pa.string()), "account_b": pa.array(account_b, pa.string()), "weight": pa.array(weight, pa.int64())},
        schema=EDGES_SCHEMA,
    )
    return table.sort_by([("weight", "descending"), ("account_a", "ascending"), ("account_b", "ascending")])


# --- the fast implementation --------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    """Shares encoded and sorted: first the objects no account shared twice, then the others
    ("repeat objects"), each object's shares together and in time order."""

    account_names: pa.Array  # sorted; an account's code is its index here
    object_names: pa.Array
    account: np.ndarray  # per share
    obj: np.ndarray
    time: np.ndarray  # epoch microseconds
    partners: np.ndarray  # how many later shares of the same object are within the window
    first_repeat: int  # shares from here on belong to repeat objects
    # For repeat objects only (see the module docstring, step 4):
    local_rank: np.ndarray  # per share: its account's rank among the object's distinct accounts
    repeat_offset: np.ndarray  # per object code: its first de-duplication key (running sum of m**2)
    repeat_width: np.ndarray  # per object code: m, its distinct accounts (0: not a repeat object)
    repeat_start: np.ndarray  # per object code: where its accounts start in repeat_accounts
    repeat_accounts: np.ndarray  # the distinct account codes of each repeat object, in rank order

    @property
    def n_accounts(self) -> int:
        return len(self.account_names)


_EMPTY = np.zeros(0, dtype=np.int64)


def _encode(values: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Dictionary codes in sorted-value order, so that code order is string order: one hash
    pass (dictionary_encode), then only the distinct values are sorted."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        if encoded.num_chunks == 0:
            return pa.array([], values.type), _EMPTY
        dictionary = encoded.chunk(0).dictionary
        indices = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks])
    else:
        dictionary, indices = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return dictionary.take(pa.array(order)), rank[indices]


def _prepare(shares: pa.Table, window: int, min_repetition: int) -> _Prepared:
    valid = pc.and_(pc.and_(pc.is_valid(shares["account_id"]), pc.is_valid(shares["object_id"])), pc.is_valid(shares["timestamp"]))
    shares = shares.filter(valid)
    account_names, account = _encode(shares["account_id"])
    object_names, obj = _encode(shares["object_id"])
    time = shares["timestamp"].cast(pa.int64()).to_numpy().astype(np.int64)
    order = np.lexsort((account, time, obj))
    account, obj, time = account[order], obj[order], time[order]
    del order
    if len(time) > 1:  # the same account sharing the same object at the same time twice adds nothing
        distinct = np.ones(len(time), dtype=bool)
        distinct[1:] = (obj[1:] != obj[:-1]) | (time[1:] != time[:-1]) | (account[1:] != account[:-1])
        if not distinct.all():
            account, obj, time = account[distinct], obj[distinct], time[distinct]
    n_accounts, n_objects = len(account_names), len(object_names)
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
    return _Prepared(
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
    if float(gaps.sum(dtype=np.float64)) + window >= _INT64_SAFE:
        return None
    return np.cumsum(gaps, out=gaps)


def _object_bounds(obj: np.ndarray) -> np.ndarray:
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
    """Per share: is any other share of its object within the window (before or after)?"""
    key = _window_key(obj, time, window)
    if key is None:
        forward = _forward_partners(None, obj, time, window) > 0
        backward = np.zeros(len(obj), dtype=bool)
        bounds = _object_bounds(obj)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            first = start + np.searchsorted(time[start:stop], time[start:stop] - window, side="left")
            backward[start:stop] = first < np.arange(start, stop)
        return forward | backward
    positions = np.arange(len(key), dtype=np.int64)
    after = np.searchsorted(key, key + window, side="right") > positions + 1
    before = np.searchsorted(key, key - window, side="left") < positions
    return after | before


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


def _batch_keys(prepared: _Prepared, start: int, stop: int, passes: int, part: int) -> tuple[np.ndarray, np.ndarray]:
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


def _decode_repeats(prepared: _Prepared, dedup: np.ndarray) -> np.ndarray:
    """De-duplication keys back to pair keys (one per object and account pair)."""
    repeat_objects = np.flatnonzero(prepared.repeat_width)
    objects = repeat_objects[np.searchsorted(prepared.repeat_offset[repeat_objects], dedup, side="right") - 1]
    low_rank, high_rank = np.divmod(dedup - prepared.repeat_offset[objects], prepared.repeat_width[objects])
    starts = prepared.repeat_start[objects]
    return prepared.repeat_accounts[starts + low_rank] * prepared.n_accounts + prepared.repeat_accounts[starts + high_rank]


class _PassCounter:
    """Counts the pair keys of one pass in a fixed buffer: when it is full, its keys are
    sorted and folded into (key, count) runs, so memory stays at the buffer plus the runs."""

    def __init__(self, prepared: _Prepared, capacity: int):
        self.prepared = prepared
        self.buffer = np.empty(max(capacity, 1), dtype=np.int64)  # pages are touched only as filled
        self.filled = 0
        self.dedup: list[np.ndarray] = []
        self.dedup_size = 0
        self.keys = _EMPTY
        self.counts = _EMPTY

    def add(self, keys: np.ndarray, dedup: np.ndarray) -> None:
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
    if len(keys_a) == 0:
        return keys_b, counts_b
    keys = np.concatenate([keys_a, keys_b])
    counts = np.concatenate([counts_a, counts_b])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts)


def coordinated_edges(shares: pa.Table, config: CoordinationConfig) -> CoordinationResult:
    """Account pairs linked by at least ``config.min_repetition`` distinct objects shared within
    ``config.window_seconds`` of each other (see the module docstring for the method)."""
    prepared = _prepare(shares, config.window_micros, config.min_repetition)
    total_pairs = int(prepared.partners.sum())
    passes, capacity = _plan(total_pairs, config)
    batches = _batches(prepared.partners, 0, prepared.first_repeat, config.batch_pairs)
    batches += _batches(prepared.partners, prepared.first_repeat, len(prepared.partners), config.batch_pairs)
    log.info(
        "coordination: %s shares (after pruning), %s accounts, %s objects, %s share pairs in the window; %s batches x %s passes",
        f"{len(prepared.time):,}", f"{prepared.n_accounts:,}", f"{len(prepared.object_names):,}", f"{total_pairs:,}", len(batches), passes,
    )  # fmt: skip

    def run_pass(part: int) -> tuple[np.ndarray, np.ndarray]:
        counter = _PassCounter(prepared, capacity)
        for start, stop in batches:
            counter.add(*_batch_keys(prepared, start, stop, passes, part))
        return counter.result(config.min_repetition)

    if config.workers > 1 and passes > 1:
        with ThreadPoolExecutor(max_workers=config.workers) as pool:
            found = list(pool.map(run_pass, range(passes)))
    else:
        found = [run_pass(part) for part in range(passes)]
    keys = np.concatenate([k for k, _ in found]) if found else _EMPTY
    weights = np.concatenate([w for _, w in found]) if found else _EMPTY
    low, high = np.divmod(keys, max(prepared.n_accounts, 1))
    edges = _edges_table(prepared.account_names.take(pa.array(low)), prepared.account_names.take(pa.array(high)), weights)
    stats = CoordinationStats(
        shares=len(prepared.time),
        accounts=prepared.n_accounts,
        objects=len(prepared.object_names),
        share_pairs=total_pairs,
        passes=passes,
        batches=len(batches),
        edges=edges.num_rows,
    )
    return CoordinationResult(edges=edges, config=config, stats=stats)


#: From this many share pairs on, at least ``workers`` passes run side by side; below it one
#: pass does it all unless memory asks for more (threads would cost more than they save).
_PARALLEL_FROM_PAIRS = 20_000_000


def _plan(total_pairs: int, config: CoordinationConfig) -> tuple[int, int]:
    """How many passes over the pairs, and how many keys each pass may hold. Passes run
    ``workers`` at a time, so each holds at most ``max_pairs_in_memory / workers`` keys."""
    per_pass = max(config.max_pairs_in_memory // config.workers, 1)
    passes = max(math.ceil(total_pairs / per_pass), 1)
    if total_pairs >= _PARALLEL_FROM_PAIRS:
        passes = max(passes, config.workers)
    if passes > 1 and config.workers > 1:
        passes = math.ceil(passes / config.workers) * config.workers
    # Keys spread evenly over the passes, give or take; the buffer folds if one overflows.
    capacity = min(per_pass, math.ceil(total_pairs / passes * 1.1) + config.batch_pairs)
    return passes, capacity


# --- evidence and clusters ----------------------------------------------------------------


def linking_objects(shares: pa.Table, edges: pa.Table, config: CoordinationConfig) -> pa.Table:
    """For each kept edge, the objects that link it (``account_a, account_b, object_id``): the
    evidence behind every weight. Re-runs the pair generation, keeping only kept pairs."""
    prepared = _prepare(shares, config.window_micros, config.min_repetition)
    n_accounts = max(prepared.n_accounts, 1)
    low = pc.index_in(edges["account_a"], value_set=prepared.account_names).to_numpy(zero_copy_only=False)
    high = pc.index_in(edges["account_b"], value_set=prepared.account_names).to_numpy(zero_copy_only=False)
    wanted = np.sort(low.astype(np.int64) * n_accounts + high.astype(np.int64))
    found_keys: list[np.ndarray] = []
    found_objects: list[np.ndarray] = []
    if len(wanted):
        for start, stop in _batches(prepared.partners, 0, len(prepared.partners), config.batch_pairs):
            first, second = _share_pairs(prepared.partners, start, stop)
            account_i, account_j = prepared.account[first], prepared.account[second]
            keys = np.minimum(account_i, account_j) * n_accounts + np.maximum(account_i, account_j)
            position = np.minimum(np.searchsorted(wanted, keys), len(wanted) - 1)
            hit = wanted[position] == keys
            found_keys.append(keys[hit])
            found_objects.append(prepared.obj[first[hit]])
    keys = np.concatenate(found_keys) if found_keys else np.zeros(0, dtype=np.int64)
    objects = np.concatenate(found_objects) if found_objects else np.zeros(0, dtype=np.int64)
    if len(keys):
        order = np.lexsort((objects, keys))
        keys, objects = keys[order], objects[order]
        distinct = np.r_[True, (keys[1:] != keys[:-1]) | (objects[1:] != objects[:-1])]
        keys, objects = keys[distinct], objects[distinct]
    low, high = np.divmod(keys, n_accounts)
    return pa.table(
        {
            "account_a": prepared.account_names.take(pa.array(low, pa.int64())),
            "account_b": prepared.account_names.take(pa.array(high, pa.int64())),
            "object_id": prepared.object_names.take(pa.array(objects, pa.int64())),
        },
        schema=EVIDENCE_SCHEMA,
    )


def coordinated_clusters(edges: pa.Table, evidence: pa.Table | None = None, config: CoordinationConfig | None = None, top_objects: int = 10) -> list[CoordinatedCluster]:
    """Connected components of the kept edges, largest first (ties by first account), each with
    the ``top_objects`` objects linking most of its edges (from :func:`linking_objects`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if edges.num_rows == 0:
        return []
    names = pc.unique(pa.concat_arrays([edges["account_a"].combine_chunks(), edges["account_b"].combine_chunks()])).sort()
    low = pc.index_in(edges["account_a"], value_set=names).to_numpy(zero_copy_only=False)
    high = pc.index_in(edges["account_b"], value_set=names).to_numpy(zero_copy_only=False)
    n = len(names)
    graph = coo_matrix((np.ones(len(low), dtype=np.int8), (low, high)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    weights = edges["weight"].to_numpy()
    members: dict[int, list[int]] = defaultdict(list)
    for account, label in enumerate(component):
        members[int(label)].append(account)
    edge_count = np.bincount(component[low], minlength=component.max() + 1)
    weight_sum = np.bincount(component[low], weights=weights, minlength=component.max() + 1)
    objects_by_label: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if evidence is not None and evidence.num_rows:
        evidence_low = pc.index_in(evidence["account_a"], value_set=names).to_numpy(zero_copy_only=False)
        for account, obj in zip(evidence_low, evidence["object_id"].to_pylist()):
            objects_by_label[int(component[account])][obj] += 1
    provenance = config.provenance() if config else {"signal": SIGNAL, "version": VERSION}
    ordered = sorted(members, key=lambda label: (-len(members[label]), members[label][0]))
    clusters = []
    for number, label in enumerate(ordered, start=1):
        objects = sorted(objects_by_label.get(label, {}).items(), key=lambda item: (-item[1], item[0]))[:top_objects]
        clusters.append(
            CoordinatedCluster(
                cluster=number,
                accounts=tuple(names[i].as_py() for i in members[label]),
                edges=int(edge_count[label]),
                weight=int(weight_sum[label]),
                objects=tuple(objects),
                provenance=provenance,
            )
        )
    return clusters
