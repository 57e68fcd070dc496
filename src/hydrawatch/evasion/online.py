"""The online returnee matcher: "is this account, created a moment ago, a returning one?"

It holds every suspended identity in memory (handles, display names, bio, avatar, when it
ended), indexed by the same blocking keys as the batch detector (:mod:`.keys`), and answers a
query for a new account in milliseconds: look up the accounts sharing a key, drop those that
ended too long ago, score the rest with the sign-up ranker (only what is known at sign-up:
handle, name, bio, avatar, time since the suspension) and return them with evidence.

It updates incrementally (``add_suspended``, ``remove`` when an account is reinstated),
and saves to / loads from one ``.npz`` file (no pickle).
"""

from __future__ import annotations

import gc
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel
from threadpoolctl import ThreadpoolController

from hydrawatch.core.model import Evidence

from hydrawatch.core.text import name_skeleton, normalize_text

from hydrawatch.signals.media import PdqIndex, hamming

from .features import AVATAR_MATCH, FEATURE_NAMES, describe, write_handle_relation
from .handles import HandleRelation, relate_many, trigram_jaccard
from .index import ONLINE_MAX_POSTINGS, KeyIndex, distinct
from .bulk_keys import handle_key_hashes
from .keys import KEY_VERSION, handle_keys, hash_keys, is_default_avatar, name_keys

#: Features the sign-up ranker sees; the others are unknown a moment after sign-up, or not
#: needed there (appeared_at_creation, end_recorded: a sign-up's time is its creation). The
#: sign-up model file lists the features it was fitted on and scores only those columns
#: (ReturneeRanker.load), so it predates those two and was not retrained for them.
SIGNUP_FEATURES = (
    "handle_edit_similarity", "handle_trigram_jaccard", "handle_same_skeleton", "handle_digit_change", "handle_affix",
    "handle_single_edit", "handles_known", "name_same", "name_similarity", "names_known", "bio_similarity",
    "bio_word_overlap", "bios_known", "same_avatar", "avatar_distance", "hours_after_end", "appeared_before_end",
)
SIGNUP_MASK = np.array([name in SIGNUP_FEATURES for name in FEATURE_NAMES])
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


@dataclass(frozen=True, slots=True)
class Identity:
    """A suspended (or deleted) account as the matcher remembers it."""

    platform: str
    account_id: str
    handles: tuple[str, ...]
    display_names: tuple[str, ...] = ()
    bio: str = ""
    avatar_urls: tuple[str, ...] = ()
    ended_at: float = 0.0  # epoch seconds
    avatar_hashes: tuple[str, ...] = ()  # PDQ hex of the avatar pictures, when hashed


@dataclass(frozen=True, slots=True)
class NewAccount:
    platform: str
    account_id: str
    handle: str
    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    created_at: float = 0.0  # epoch seconds
    avatar_hash: str = ""  # PDQ hex of the avatar picture, when hashed


@dataclass(frozen=True, slots=True)
class OnlineMatch:
    old_platform: str
    old_account_id: str
    old_handle: str
    probability: float
    evidence: tuple[Evidence, ...]


@dataclass
class OnlineMatcher:
    """``window_days``/``slack_hours`` as in CandidateConfig; ``max_postings`` skips keys
    shared by more identities than this *among those that ended inside the query's window*
    (stop-keys; :data:`.index.ONLINE_MAX_POSTINGS`; None keeps every key). The index keeps each
    key's identities sorted by when they ended and binary-searches the window inside the key,
    so a common key costs only its identities in the window. ``shortlist``: how many in-window
    identities, the most alike by handle and name, get the full features and the ranker;
    ``ranker`` scores pairs (a ReturneeRanker trained on sign-up features; None ranks by
    handle similarity alone)."""

    window_days: float = 30.0
    slack_hours: float = 6.0
    max_postings: int | None = ONLINE_MAX_POSTINGS
    shortlist: int = 30
    ranker: object | None = None
    platform_: list[str] = field(default_factory=list)
    account_id_: list[str] = field(default_factory=list)
    handles_: list[tuple[str, ...]] = field(default_factory=list)
    names_: list[tuple[str, ...]] = field(default_factory=list)
    bio_: list[str] = field(default_factory=list)
    avatars_: list[tuple[str, ...]] = field(default_factory=list)
    ended_at_: list[float] = field(default_factory=list)
    avatar_hashes_: list[tuple[str, ...]] = field(default_factory=list)
    removed_: set[int] = field(default_factory=set)
    index_: KeyIndex = field(default_factory=KeyIndex)
    pictures_: PdqIndex = field(default_factory=PdqIndex)
    _columns_cache: tuple | None = field(default=None, repr=False)
    _handles_cache: tuple | None = field(default=None, repr=False)
    row_of_: dict[tuple[str, str], int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.account_id_) - len(self.removed_)

    # --- updates ------------------------------------------------------------------------

    def add_suspended(self, identity: Identity) -> None:
        key = (identity.platform, identity.account_id)
        if key in self.row_of_:
            row = self.row_of_[key]
            self.removed_.discard(row)
            if float(identity.ended_at) != self.ended_at_[row]:
                # postings are sorted by end time: index the keys again under the new one (the
                # old postings stay, and the exact window check drops them; they still count
                # towards the stop-key cap until the matcher is saved and loaded)
                self.ended_at_[row] = float(identity.ended_at)
                self.index_.add(row, hash_keys(_identity_keys(self.handles_[row], self.names_[row], self.avatars_[row])), self.ended_at_[row])
            self._columns_cache = None
            return
        row = self._append(identity)
        self.index_.add(row, hash_keys(_identity_keys(identity.handles, identity.display_names, identity.avatar_urls)), float(identity.ended_at))

    def _append(self, identity: Identity) -> int:
        """A new identity's row in every column (its keys are indexed by the caller)."""
        row = len(self.account_id_)
        self.row_of_[(identity.platform, identity.account_id)] = row
        self.platform_.append(identity.platform)
        self.account_id_.append(identity.account_id)
        self.handles_.append(tuple(identity.handles))
        self.names_.append(tuple(identity.display_names))
        self.bio_.append(normalize_text(identity.bio or ""))
        self.avatars_.append(tuple(identity.avatar_urls))
        self.ended_at_.append(float(identity.ended_at))
        self.avatar_hashes_.append(tuple(identity.avatar_hashes))
        for pdq in identity.avatar_hashes:
            self.pictures_.add(pdq, row)
        return row

    def add_many(self, identities: list[Identity], workers: int = 2) -> None:
        """Bulk load (one index merge at the end). The keys of all handles are built at once
        (:mod:`.bulk_keys`), in ``workers`` threads for large batches."""
        fresh, fresh_rows = [], []
        for identity in identities:
            key = (identity.platform, identity.account_id)
            if key in self.row_of_:
                self.add_suspended(identity)
                continue
            fresh.append(identity)
            fresh_rows.append(self._append(identity))
        if fresh:
            owners, hashes = _identity_key_hashes(fresh, workers)
            ended = np.fromiter((float(i.ended_at) for i in fresh), dtype=np.float64, count=len(fresh))
            self.index_.add_many(np.asarray(fresh_rows, dtype=np.int64)[owners], hashes, ended[owners])
        if len(self.pictures_):
            self.pictures_.build()
        gc.freeze()  # millions of long-lived strings: keep the collector from walking them

    def remove(self, platform: str, account_id: str) -> bool:
        """Forget an identity (the account was reinstated). Its index keys stay but are ignored."""
        row = self.row_of_.get((platform, account_id))
        if row is None or row in self.removed_:
            return False
        self.removed_.add(row)
        self._columns_cache = None
        return True

    # --- queries ------------------------------------------------------------------------

    def candidates(self, account: NewAccount) -> np.ndarray:
        """Rows of the identities sharing a key (or the avatar picture) with the new account
        that ended within the time window, on its platform and not reinstated."""
        return self._candidates(account)[0]

    def _candidates(self, account: NewAccount) -> tuple[np.ndarray, np.ndarray]:
        """``candidates`` and, for each, whether it has the account's display-name key."""
        # the window on the end time, searched inside each key of the index
        since = account.created_at - self.window_days * 86400
        until = account.created_at + self.slack_hours * 3600
        name_key = name_keys(account.display_name or "")
        found = self.index_.lookup_each(hash_keys([*name_key, *_identity_keys((account.handle,), (), (account.avatar_url,))]),
                                        self.max_postings, since, until)
        same_name_rows = distinct(found[0]) if name_key else np.zeros(0, dtype=np.int64)
        rows = distinct(np.concatenate(found)) if found else same_name_rows
        if account.avatar_hash and len(self.pictures_):
            same_picture = [row for row, _ in self.pictures_.query(account.avatar_hash, AVATAR_MATCH)]
            rows = np.union1d(rows, np.asarray(same_picture, dtype=np.int64))
        if not len(rows):
            return rows, np.zeros(0, dtype=bool)
        ended, platform_codes, platform_code_of, live = self._columns()
        delta = account.created_at - ended[rows]
        keep = (delta >= -self.slack_hours * 3600) & (delta <= self.window_days * 86400)  # exact: a re-added identity's old postings
        keep &= live[rows] & (platform_codes[rows] == platform_code_of.get(account.platform, -1))
        rows = rows[keep]
        at = np.minimum(np.searchsorted(same_name_rows, rows), max(len(same_name_rows) - 1, 0))
        return rows, same_name_rows[at] == rows if len(same_name_rows) else np.zeros(len(rows), dtype=bool)

    def _columns(self) -> tuple[np.ndarray, np.ndarray, dict[str, int], np.ndarray]:
        """Per-row arrays for the vectorised filters: end times, platform codes (and the code of
        each platform), not-removed; rebuilt after an update."""
        if self._columns_cache is None or len(self._columns_cache[0]) != len(self.ended_at_):
            code_of: dict[str, int] = {}
            codes = np.fromiter((code_of.setdefault(p, len(code_of)) for p in self.platform_), dtype=np.int32, count=len(self.platform_))
            live = np.ones(len(self.ended_at_), dtype=bool)
            live[np.fromiter(self.removed_, dtype=np.int64, count=len(self.removed_))] = False
            self._columns_cache = (np.asarray(self.ended_at_, dtype=np.float64), codes, code_of, live)
        return self._columns_cache

    def _lowered_handles(self) -> tuple[np.ndarray, np.ndarray]:
        """Every identity's non-empty handles lower-cased, flat (an object array), and each
        row's offset into it (rows x+1), for the shortlist; built on first use."""
        if self._handles_cache is None or len(self._handles_cache[1]) != len(self.handles_) + 1:
            flat = [h.lower() for handles in self.handles_ for h in handles if h]
            counts = np.fromiter((sum(1 for h in handles if h) for handles in self.handles_), dtype=np.int64, count=len(self.handles_))
            offsets = np.zeros(len(self.handles_) + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            lowered = np.empty(len(flat), dtype=object)
            lowered[:] = flat
            self._handles_cache = (lowered, offsets)
        return self._handles_cache

    def _shortlist(self, rows: np.ndarray, same_name: np.ndarray, account: NewAccount) -> np.ndarray:
        """The identities most alike by handle *and* name, cheaply, before the full features.

        The score adds the best handle similarity (Indel, lower-cased) and 1 for the same
        display-name skeleton. Adding rather than taking the larger matters: with ``max`` every
        holder of a common display name scored 1.0 and the true predecessor, one digit away in
        its handle, lost the tie to the first 30 rows that merely shared the name."""
        if len(rows) <= self.shortlist:
            return rows
        new_handle = (account.handle or "").lower()
        lowered, offsets = self._lowered_handles()
        starts, counts = offsets[rows], offsets[rows + 1] - offsets[rows]
        total = int(counts.sum())
        handle_score = np.zeros(len(rows), dtype=np.float32)
        if new_handle and total:
            single = bool((counts == 1).all())
            if single:  # one handle each, the usual case: no grouping needed
                positions = starts
            else:
                positions = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
            similarity = process.cdist([new_handle], lowered[positions].tolist(), scorer=Indel.normalized_similarity, dtype=np.float32)[0]
            if single:
                handle_score = similarity
            else:
                np.maximum.at(handle_score, np.repeat(np.arange(len(rows)), counts), similarity)
        scores = handle_score + same_name.astype(np.float32)
        return rows[np.argsort(-scores, kind="stable")[: self.shortlist]]

    def query(self, account: NewAccount, limit: int = 5, threshold: float = 0.0) -> list[OnlineMatch]:
        """The suspended identities this new account may be, best first."""
        rows = self._shortlist(*self._candidates(account), account)
        if not len(rows):
            return []
        X, relations = self._feature_matrix(rows, account)
        if self.ranker is not None:
            with _one_openmp_thread():  # see _one_openmp_thread
                scores = self.ranker.predict_proba(X)[:, 1]
        else:  # no model: plain similarity, for a usable matcher before any training
            column = FEATURE_NAMES.index("handle_edit_similarity")
            scores = np.nan_to_num(X[:, column])
        order = np.argsort(-scores, kind="stable")[:limit]
        return [
            OnlineMatch(self.platform_[rows[i]], self.account_id_[rows[i]], self.handles_[rows[i]][0] if self.handles_[rows[i]] else "",
                        float(scores[i]), self._evidence(rows[i], account, X[i], relations[i]))
            for i in order.tolist() if scores[i] >= threshold
        ]

    def _feature_matrix(self, rows: np.ndarray, account: NewAccount) -> tuple[np.ndarray, list[HandleRelation | None]]:
        """The sign-up features of each (identity, new account) pair, one row each, the others
        NaN; and each identity's first handle related to the new one (for the evidence). What
        depends on the new account alone is computed once."""
        X = np.full((len(rows), len(FEATURE_NAMES)), np.nan, dtype=np.float32)
        column = _COLUMN
        owners, olds, first_of = [], [], [None] * len(rows)
        if account.handle:
            for i, row in enumerate(rows.tolist()):
                for position, old in enumerate(self.handles_[row]):
                    if old:
                        if position == 0:
                            first_of[i] = len(olds)
                        owners.append(i)
                        olds.append(old)
        relations = relate_many(olds, account.handle) if olds else []
        best: list[HandleRelation | None] = [None] * len(rows)
        for i, relation in zip(owners, relations):
            if best[i] is None or relation.edit_similarity > best[i].edit_similarity:
                best[i] = relation
        new_name = name_skeleton(account.display_name or "")
        bio_new = normalize_text(account.bio or "")
        new_words = set(bio_new.split())
        new_avatar = account.avatar_url if account.avatar_url and not is_default_avatar(account.avatar_url) else ""
        for i, row in enumerate(rows.tolist()):
            x = X[i]
            write_handle_relation(x, column, best[i])
            old_names = [name_skeleton(n) for n in self.names_[row] if n]
            if old_names and new_name:
                x[column["name_same"]] = float(new_name in old_names)
                x[column["name_similarity"]] = max(Indel.normalized_similarity(o, new_name) for o in old_names)
            x[column["names_known"]] = float(bool(old_names and new_name))
            bio_old = self.bio_[row]
            if bio_old and bio_new:
                x[column["bio_similarity"]] = trigram_jaccard(bio_old, bio_new)
                old_words = set(bio_old.split())
                x[column["bio_word_overlap"]] = len(old_words & new_words) / len(old_words | new_words)
            x[column["bios_known"]] = float(bool(bio_old and bio_new))
            distance = np.nan
            if self.avatar_hashes_[row] and account.avatar_hash:
                distance = float(min(hamming(old, account.avatar_hash) for old in self.avatar_hashes_[row]))
                x[column["avatar_distance"]] = distance
            if new_avatar:
                old_avatars = [url for url in self.avatars_[row] if url and not is_default_avatar(url)]
                if old_avatars:
                    same = new_avatar in old_avatars or (not math.isnan(distance) and distance <= AVATAR_MATCH)
                    x[column["same_avatar"]] = float(same)
            hours = (account.created_at - self.ended_at_[row]) / 3600.0
            x[column["hours_after_end"]] = abs(hours)
            x[column["appeared_before_end"]] = float(hours < 0)
        X[:, ~SIGNUP_MASK] = np.nan
        return X, [relations[k] if k is not None else None for k in first_of]

    def _evidence(self, row: int, account: NewAccount, x: np.ndarray, relation: HandleRelation | None) -> tuple[Evidence, ...]:
        """``relation``: the identity's first handle related to the new one (None if either is empty)."""
        evidence = []
        if relation is not None:
            old = self.handles_[row][0]
            evidence.append(Evidence("handle", relation.describe(old, account.handle), relation.edit_similarity))
        for name, value in zip(FEATURE_NAMES, x.tolist()):
            if name in ("name_same", "bio_similarity", "same_avatar", "avatar_distance", "hours_after_end") and not math.isnan(value):
                evidence.append(Evidence(name, describe(name, value), value))
        return tuple(evidence)

    # --- persistence --------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """One compressed .npz: strings as JSON, the index as int64 arrays."""
        state = self.index_.state()
        meta = {
            "key_version": KEY_VERSION, "window_days": self.window_days, "slack_hours": self.slack_hours, "max_postings": self.max_postings,
            "platform": self.platform_, "account_id": self.account_id_, "handles": self.handles_, "names": self.names_,
            "bio": self.bio_, "avatars": self.avatars_, "avatar_hashes": self.avatar_hashes_, "removed": sorted(self.removed_),
            "saved_at": time.time(),
        }
        # the postings' times are ended_at[rows] (not stored: it would double the file)
        np.savez_compressed(path, hashes=state["hashes"], rows=state["rows"], ended_at=np.asarray(self.ended_at_, dtype=np.float64),
                            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: Path, ranker: object | None = None) -> OnlineMatcher:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("key_version") != KEY_VERSION:
                raise ValueError(f"{path} was built with blocking keys {meta.get('key_version')}; this hydrawatch uses {KEY_VERSION}: rebuild it")
            matcher = cls(window_days=meta["window_days"], slack_hours=meta["slack_hours"], max_postings=meta["max_postings"], ranker=ranker)
            ended_at, hashes, rows = data["ended_at"], data["hashes"], data["rows"]
            times = ended_at[rows]
            if ((hashes[1:] == hashes[:-1]) & (times[1:] < times[:-1])).any():
                # saved before postings were sorted by end time (or an identity ended again):
                # sort each key's postings by it
                matcher.index_.add_many(rows, hashes, times)
            else:
                matcher.index_ = KeyIndex.from_state({"hashes": hashes, "rows": rows, "times": times})
            matcher.ended_at_ = ended_at.tolist()
        matcher.platform_ = meta["platform"]
        matcher.account_id_ = meta["account_id"]
        matcher.handles_ = [tuple(h) for h in meta["handles"]]
        matcher.names_ = [tuple(n) for n in meta["names"]]
        matcher.bio_ = meta["bio"]
        matcher.avatars_ = [tuple(a) for a in meta["avatars"]]
        matcher.avatar_hashes_ = [tuple(a) for a in meta.get("avatar_hashes", [[] for _ in meta["account_id"]])]
        for row, hashes in enumerate(matcher.avatar_hashes_):
            for pdq in hashes:
                matcher.pictures_.add(pdq, row)
        if len(matcher.pictures_):
            matcher.pictures_.build()
        matcher.removed_ = set(meta["removed"])
        matcher.row_of_ = {(p, a): i for i, (p, a) in enumerate(zip(matcher.platform_, matcher.account_id_))}
        return matcher


_THREADPOOLS = None


def _one_openmp_thread():
    """Score a query's few dozen pairs on one OpenMP thread. LightGBM's predict otherwise
    starts a thread team per call, and on a pinned or busy core that costs 3-8 ms, twenty
    times the prediction itself (measured on the 300-tree sign-up ranker)."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1, user_api="openmp")


def _identity_key_hashes(identities: list[Identity], workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``identities``, key hash) for the keys of every identity: the values of
    ``hash_keys(_identity_keys(...))``, handle keys built in bulk, the rest hashed together."""
    handles, handle_owners, other_keys, other_owners = [], [], [], []
    for position, identity in enumerate(identities):
        for handle in identity.handles:
            if handle:
                handles.append(handle)
                handle_owners.append(position)
        for key in _identity_keys((), identity.display_names, identity.avatar_urls):
            other_keys.append(key)
            other_owners.append(position)
    owners, hashes = handle_key_hashes(handles, workers)
    return (np.concatenate([np.asarray(handle_owners, dtype=np.int64)[owners], np.asarray(other_owners, dtype=np.int64)]),
            np.concatenate([hashes, hash_keys(other_keys)]))


def _identity_keys(handles, names, avatars) -> list[str]:
    keys: list[str] = []
    for handle in handles:
        if handle:
            keys.extend(handle_keys(handle))
    for name in names:
        if name:
            keys.extend(name_keys(name))
    for url in avatars:
        if url and not is_default_avatar(url):
            keys.append(f"avatar:{url}")
    return keys
