"""The online returnee matcher as a serving process holds it: loaded once, updated by events,
shared by request threads under a lock, and saved on shutdown.

At start the matcher comes from a saved index (``OnlineMatcher.save``) when one exists, else
from the store's ended accounts (suspended or deleted, with every handle, name, bio and avatar
the store knows). Loading runs in a background thread so the server answers at once; events
that arrive meanwhile are spooled and matched against what is loaded so far. Suspensions of
accounts the stream never showed are looked up in the store by the same thread, read-only and
retried while a batch job holds the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hydrawatch.core.errors import HydrawatchError
from hydrawatch.evasion.online import Identity, NewAccount, OnlineMatch, OnlineMatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MatcherSource:
    """Where the serving matcher comes from."""

    store_path: Path | None = None
    index_path: Path | None = None
    ranker_path: Path | None = None  # the sign-up ranker; None: the installed one if trained
    store_retry_seconds: float = 5.0
    store_attempts: int = 60


def default_signup_model() -> Path:
    return Path(__file__).resolve().parents[1] / "evasion" / "models" / "returnee-signup.json"


def load_ranker(path: Path | None):
    """The sign-up ranker, or None (the matcher then ranks by handle similarity)."""
    from hydrawatch.evasion.ranker import ReturneeRanker

    path = path or default_signup_model()
    if not path.exists():
        log.warning("no sign-up ranker at %s: the online matcher ranks by handle similarity (train one: hydrawatch train returnees)", path)
        return None
    return ReturneeRanker.load(path)


def identities_from_store(store, accounts=None) -> list[Identity]:
    """Ended accounts of an open store (or just ``accounts``: a table of platform, account_id
    among them) as matcher identities."""
    import pyarrow as pa

    from hydrawatch.store import snapshots

    ended = snapshots.ended_accounts(store.con)
    if accounts is not None:
        wanted = {(p, a) for p, a in zip(accounts.column("platform").to_pylist(), accounts.column("account_id").to_pylist())}
        keep = [(p, a) in wanted for p, a in zip(ended.column("platform").to_pylist(), ended.column("account_id").to_pylist())]
        ended = ended.filter(pa.array(keep, type=pa.bool_()))
    if not ended.num_rows:
        return []
    ended_at = {(p, a): t for p, a, t in zip(ended.column("platform").to_pylist(), ended.column("account_id").to_pylist(),
                                             ended.column("ended_at").to_pylist())}
    snaps = snapshots.account_snapshots(store.con, ended.select(["platform", "account_id"]))
    columns = {name: snaps.column(name).to_pylist() for name in
               ("platform", "account_id", "handle", "handles", "display_name", "display_names", "bio", "avatar_urls", "avatar_hashes")}
    identities = []
    for i in range(snaps.num_rows):
        key = (columns["platform"][i], columns["account_id"][i])
        when = ended_at.get(key)
        handles = tuple(dict.fromkeys(h for h in [*(columns["handles"][i] or []), columns["handle"][i]] if h))
        names = tuple(dict.fromkeys(n for n in [*(columns["display_names"][i] or []), columns["display_name"][i]] if n))
        identities.append(Identity(key[0], key[1], handles, names, columns["bio"][i] or "", tuple(columns["avatar_urls"][i] or ()),
                                   when.timestamp() if when is not None else 0.0, tuple(columns["avatar_hashes"][i] or ())))
    return identities


class LiveMatcher:
    """An :class:`OnlineMatcher` behind a lock, with background loading and store look-ups."""

    def __init__(self, source: MatcherSource, matcher: OnlineMatcher | None = None):
        self.source = source
        self.matcher = matcher or OnlineMatcher()
        self.lock = threading.RLock()
        self.state = "ready" if matcher is not None else "new"
        self.loaded_from = "given" if matcher is not None else ""
        self.error = ""
        self._lookups: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        if matcher is not None:
            self._ready.set()

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="hydrawatch-matcher", daemon=True)
            self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def stop(self, save: bool = True) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._lookups.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if save and self.source.index_path is not None and self.state == "ready":
            with self.lock:
                path = self.source.index_path
                tmp = path.with_name(path.name + ".saving.npz")
                self.matcher.save(tmp)
                tmp.replace(path)
            log.info("saved the online matcher (%d identities) to %s", len(self.matcher), path)

    def _run(self) -> None:
        if self.state != "ready":
            self._load()
        while not self._stop.is_set():
            first = self._lookups.get()
            if first is None:
                break
            wanted = [first]
            while True:  # take whatever else is waiting: one store visit for all of them
                try:
                    item = self._lookups.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._stop.set()
                    break
                wanted.append(item)
            self._lookup_in_store(wanted)

    def _load(self) -> None:
        self.state = "loading"
        started = time.perf_counter()
        try:
            ranker = load_ranker(self.source.ranker_path)
            index = self.source.index_path
            if index is not None and index.exists():
                loaded = OnlineMatcher.load(index, ranker=ranker)
                self.loaded_from = f"index {index}"
            else:
                loaded = OnlineMatcher(ranker=ranker)
                identities = self._with_store(lambda store: identities_from_store(store)) if self.source.store_path else []
                loaded.add_many(identities or [])
                self.loaded_from = f"store {self.source.store_path}" if self.source.store_path else "empty"
            with self.lock:
                # identities that events added while loading stay
                for row in range(len(self.matcher.account_id_)):
                    if row not in self.matcher.removed_:
                        loaded.add_suspended(_identity_at(self.matcher, row))
                self.matcher = loaded
            self.state = "ready"
            log.info("online matcher ready: %d identities from %s in %.1f s", len(loaded), self.loaded_from, time.perf_counter() - started)
        except (HydrawatchError, OSError, ValueError) as exc:
            self.state, self.error = "failed", str(exc)
            log.error("the online matcher could not load (%s); it starts empty and learns from suspension events", exc)
        finally:
            self._ready.set()

    def _with_store(self, work):
        """Run ``work(store)`` on the store opened read-only, retrying while another process
        writes it; None if the store never became free."""
        from hydrawatch.core.errors import StoreError
        from hydrawatch.store.duck import Store

        for attempt in range(self.source.store_attempts):
            if self._stop.is_set():
                return None
            try:
                with Store(self.source.store_path, read_only=True) as store:
                    return work(store)
            except StoreError as exc:
                if "Another hydrawatch process" not in str(exc) and "lock" not in str(exc).lower():
                    log.warning("store not usable for the matcher: %s", exc)
                    return None
                log.info("store busy (attempt %d); retrying in %.0f s", attempt + 1, self.source.store_retry_seconds)
                self._stop.wait(self.source.store_retry_seconds)
        return None

    # --- updates and queries (request threads) -----------------------------------------

    def add(self, identity: Identity) -> None:
        with self.lock:
            self.matcher.add_suspended(identity)

    def remove(self, platform: str, account_id: str) -> bool:
        with self.lock:
            return self.matcher.remove(platform, account_id)

    def query(self, account: NewAccount, limit: int = 3) -> list[OnlineMatch]:
        with self.lock:
            return self.matcher.query(account, limit=limit)

    def look_up_later(self, platform: str, account_id: str, ended_at: float) -> None:
        """A suspension of an account the stream has not shown: find it in the store."""
        if self.source.store_path is not None:
            self._lookups.put((platform, account_id, ended_at))
            self.start()

    def _lookup_in_store(self, wanted: list[tuple[str, str, float]]) -> None:
        import pyarrow as pa

        from hydrawatch.store import snapshots

        table = pa.table({"platform": [w[0] for w in wanted], "account_id": [w[1] for w in wanted]})

        def read(store):
            return snapshots.account_snapshots(store.con, table).to_pylist()

        rows = self._with_store(read) or []
        ended_at = {(p, a): t for p, a, t in wanted}
        with self.lock:
            for row in rows:
                handles = tuple(dict.fromkeys(h for h in [*(row["handles"] or []), row["handle"]] if h))
                if not handles and not row["display_names"]:
                    continue
                names = tuple(dict.fromkeys(n for n in [*(row["display_names"] or []), row["display_name"]] if n))
                self.matcher.add_suspended(Identity(row["platform"], row["account_id"], handles, names, row["bio"] or "",
                                                    tuple(row["avatar_urls"] or ()), ended_at[(row["platform"], row["account_id"])],
                                                    tuple(row["avatar_hashes"] or ())))

    def status(self) -> dict:
        with self.lock:
            size = len(self.matcher)
        return {"state": self.state, "identities": size, "loaded_from": self.loaded_from, "error": self.error,
                "ranker": "sign-up ranker" if self.matcher.ranker is not None else "handle similarity (no trained sign-up ranker)"}


def _identity_at(matcher: OnlineMatcher, row: int) -> Identity:
    return Identity(matcher.platform_[row], matcher.account_id_[row], matcher.handles_[row], matcher.names_[row], matcher.bio_[row],
                    matcher.avatars_[row], matcher.ended_at_[row], matcher.avatar_hashes_[row])
