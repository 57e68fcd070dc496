"""The tweets file, as twarc2 writes it: ``flat`` (the output of ``twarc2 flatten``, one
tweet per line with ``author``, ``in_reply_to_user`` and the referenced tweets expanded
inline) or ``pages`` (raw API v2 responses, ``data`` + ``includes`` + ``meta``).

The requested expansions are ``author_id``, ``in_reply_to_user_id``, ``referenced_tweets.id``,
``referenced_tweets.id.author_id`` and ``attachments.media_keys``; mentioned users are not
expanded, so mentions carry ``username`` and ``id`` only. twarc2's flatten merges each
referenced tweet into its ``{type, id}`` stub, which is what the flat lines show.

Posts are written in time order; a referenced tweet always comes earlier and is written
top-level as well. Both formats write the same tweets and the same user objects, so they
count the same.
"""

from __future__ import annotations

import gzip
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import orjson

from .clock import MS_PER_HOUR, iso_many, iso_ms
from .kinds import FIGHTER, ORIGINAL, QUOTE, REFERENCE_TYPES, RELEASE, REPLY, RETWEET
from .pools import Posts
from .population import AccountTable
from .profiles import Counts, Profiles, profile_tco
from .randomness import mix64, token
from .texts import Composer, display_url

TWARC_VERSION = "2.14.0"
PAGE_SIZE = 100
_CHUNK = 20_000
_FLUSH_BYTES = 4 << 20
# User objects are rebuilt from a cache of their static part; clearing it now and then
# bounds memory on million-account worlds.
_STATIC_USER_CACHE = 200_000
_SOURCES = ("Twitter for Android", "Twitter for iPhone", "Twitter Web Client", "TweetDeck", "Twitter Lite")


@dataclass
class TweetStats:
    posts: int = 0
    pages: int = 0
    profile_versions: set[int] = field(default_factory=set)


@dataclass
class _Row:
    base: dict[str, object]
    author: tuple[int, int, dict[str, object]]
    reference: tuple[str, dict[str, object], tuple[int, int, dict[str, object]],
                     tuple[int, int, dict[str, object]] | None] | None
    in_reply_to: tuple[int, int, dict[str, object]] | None
    media: dict[str, object] | None


def open_output(path: Path, compress: bool) -> _BackgroundWriter:
    """A binary writer that compresses and writes on a second thread (zlib and file writes
    release the GIL, so generation and compression overlap on two cores). gzip output has no
    name or time in its header, so it is reproducible."""
    raw = open(path, "wb")  # noqa: SIM115 - closed by the writer
    if not compress:
        return _BackgroundWriter(raw)
    # Level 3 compresses JSON twice as fast as the default 6 for about 20% more bytes, which
    # keeps the compressing thread from becoming the bottleneck.
    return _BackgroundWriter(gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=3, mtime=0), raw)


class _BackgroundWriter:
    """Writes blocks in order on a worker thread; errors surface on the next call."""

    def __init__(self, stream: IO[bytes], raw: IO[bytes] | None = None) -> None:
        self._stream = stream
        self._raw = raw
        self._blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="synth-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self._error is None:
                try:
                    self._stream.write(block)
                except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                    self._error = error

    def write(self, block: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._blocks.put(block)

    def close(self) -> None:
        self._blocks.put(None)
        self._thread.join()
        try:
            self._stream.close()
        finally:
            if self._raw is not None:
                self._raw.close()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> _BackgroundWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TweetWriter:
    def __init__(self, table: AccountTable, posts: Posts, post_ids: np.ndarray, account_ids: list[str],
                 profiles: Profiles, counts: Counts, composer: Composer, release_number: np.ndarray,
                 seen_accounts: np.ndarray, end_ms: int, search_url: str) -> None:
        self.table = table
        self.posts = posts
        self.post_ids = post_ids
        self.account_ids = account_ids
        self.profiles = profiles
        self.counts = counts
        self.composer = composer
        self.release_number = release_number
        self.seen = seen_accounts
        self.end_ms = end_ms
        self.search_url = search_url
        self.stats = TweetStats()
        self._created_iso = iso_many(table.created_ms)
        self._listed = table.listed.tolist()
        self._role = table.role.tolist()
        self._cache: dict[int, dict[str, object]] = {}
        self._static_users: dict[int, dict[str, object]] = {}
        refs = posts.ref[posts.ref >= 0]
        self._remaining = np.bincount(refs, minlength=len(posts)).astype(np.int32)
        kinds = posts.kind[posts.ref >= 0]
        self._retweets = np.bincount(refs[kinds == RETWEET], minlength=len(posts)).tolist()
        self._replies = np.bincount(refs[kinds == REPLY], minlength=len(posts)).tolist()
        self._quotes = np.bincount(refs[kinds == QUOTE], minlength=len(posts)).tolist()

    # --- formats -----------------------------------------------------------------------------

    def write_flat(self, out: _BackgroundWriter, progress: Callable[[int, int], None]) -> TweetStats:
        lines: list[bytes] = []
        size = 0
        twarc = self._twarc(0)
        for index, row in enumerate(self._rows(progress)):
            if index % PAGE_SIZE == 0:
                twarc = self._twarc(index // PAGE_SIZE)
            record = dict(row.base)
            record["author"] = row.author[2]
            if row.reference is not None:
                kind, ref_base, ref_author, ref_reply = row.reference
                merged = {"type": kind, **ref_base, "author": ref_author[2]}
                if ref_reply is not None:
                    merged["in_reply_to_user"] = ref_reply[2]
                record["referenced_tweets"] = [merged]
            if row.in_reply_to is not None:
                record["in_reply_to_user"] = row.in_reply_to[2]
            if row.media is not None:
                record["attachments"] = {**record["attachments"], "media": [row.media]}  # type: ignore[dict-item]
            record["__twarc"] = twarc
            line = orjson.dumps(record) + b"\n"
            lines.append(line)
            size += len(line)
            if size >= _FLUSH_BYTES:
                out.write(b"".join(lines))
                lines, size = [], 0
        out.write(b"".join(lines))
        self.stats.pages = (self.stats.posts + PAGE_SIZE - 1) // PAGE_SIZE
        return self.stats

    def write_pages(self, out: _BackgroundWriter, progress: Callable[[int, int], None]) -> TweetStats:
        """Pages of up to 100 tweets. A page never holds two versions of one user (the API
        returns each user once per page), so a rename mid-page starts a new page."""
        page = _Page()
        pages = 0
        lines: list[bytes] = []
        size = 0
        for row in self._rows(progress):
            users = [row.author]
            if row.reference is not None:
                users.append(row.reference[2])
                if row.reference[3] is not None:
                    users.append(row.reference[3])
            if row.in_reply_to is not None:
                users.append(row.in_reply_to)
            if len(page.data) >= PAGE_SIZE or page.conflicts(users):
                line = page.dump(self._twarc(pages), pages)
                pages += 1
                lines.append(line)
                size += len(line)
                page = _Page()
            page.add(row, users)
            if size >= _FLUSH_BYTES:
                out.write(b"".join(lines))
                lines, size = [], 0
        if page.data:
            lines.append(page.dump(self._twarc(pages), pages, last=True))
            pages += 1
        out.write(b"".join(lines))
        self.stats.pages = pages
        return self.stats

    def _twarc(self, page: int) -> dict[str, str]:
        return {"url": self.search_url, "version": TWARC_VERSION,
                "retrieved_at": iso_ms(self.end_ms + 6 * MS_PER_HOUR + page * 1_500)}

    # --- rows --------------------------------------------------------------------------------

    def _rows(self, progress: Callable[[int, int], None]) -> Iterator[_Row]:
        posts = self.posts
        total = len(posts)
        for low in range(0, total, _CHUNK):
            high = min(low + _CHUNK, total)
            yield from self._chunk(low, high)
            progress(high, total)

    def _chunk(self, low: int, high: int) -> Iterator[_Row]:
        posts = self.posts
        times = posts.time_ms[low:high]
        authors = posts.author[low:high]
        refs = posts.ref[low:high]
        safe_refs = np.maximum(refs, 0)
        ref_authors = np.where(refs >= 0, posts.author[safe_refs], -1)
        ref_refs = np.where(refs >= 0, posts.ref[safe_refs], -1)
        ref_is_reply = (refs >= 0) & (posts.kind[safe_refs] == REPLY)
        ref_reply_users = np.where(ref_is_reply & (ref_refs >= 0), posts.author[np.maximum(ref_refs, 0)], -1)
        author_counts = self.counts.at(authors, times)
        ref_counts = self.counts.at(ref_authors, times)
        nested_counts = self.counts.at(ref_reply_users, times)
        columns = zip(
            range(low, high), times.tolist(), iso_many(times), authors.tolist(), posts.kind[low:high].tolist(),
            posts.purpose[low:high].tolist(), refs.tolist(), ref_authors.tolist(), ref_reply_users.tolist(),
            posts.target[low:high].tolist(), posts.link[low:high].tolist(), posts.release[low:high].tolist(),
            posts.photo[low:high].tolist(), self.post_ids[low:high].tolist(),
            zip(*author_counts), zip(*ref_counts), zip(*nested_counts), strict=True)
        for (index, when, created, author, kind, purpose, ref, ref_author, ref_reply_user, target, link, release,
             photo, post_id, author_count, ref_count, nested_count) in columns:
            yield self._row(index, when, created, author, kind, purpose, ref, ref_author, ref_reply_user, target,
                            link, release, photo, post_id, author_count, ref_count, nested_count)

    def _row(self, index: int, when: int, created: str, author: int, kind: int, purpose: int, ref: int,
             ref_author: int, ref_reply_user: int, target: int, link: int, release: int, photo: bool,
             post_id: int, author_count: tuple[int, int, int], ref_count: tuple[int, int, int],
             nested_count: tuple[int, int, int]) -> _Row:
        composer = self.composer
        author_user = self._user(author, when, author_count)
        ref_base = self._cache[ref] if ref >= 0 else None
        ref_user = self._user(ref_author, when, ref_count) if ref >= 0 else None
        release_number = int(self.release_number[release]) if release >= 0 else -1
        if kind == ORIGINAL:
            photo_handle = author_user[2]["username"] if photo else None
            composed = composer.original(post_id, when, author, purpose, link, release_number, target,
                                         photo_handle)  # type: ignore[arg-type]
        elif kind == RETWEET:
            assert ref_base is not None and ref_user is not None
            composed = composer.retweet(ref_base["text"], ref_base.get("entities"), ref_base["lang"],  # type: ignore[arg-type]
                                        ref_author, ref_user[2]["username"])  # type: ignore[arg-type]
        elif kind == REPLY:
            assert ref_user is not None
            composed = composer.reply(post_id, when, author, purpose, link, ref_author, ref_user[2]["username"])  # type: ignore[arg-type]
        else:
            assert ref_user is not None
            composed = composer.quote(post_id, when, author, purpose, int(self.post_ids[ref]),
                                      ref_user[2]["username"])  # type: ignore[arg-type]
        post_id_text = str(post_id)
        if kind == RETWEET:
            metrics = {"retweet_count": self._retweets[ref], "reply_count": 0, "like_count": 0, "quote_count": 0}
            sensitive = ref_base["possibly_sensitive"]  # type: ignore[index]
        else:
            retweets = self._retweets[index]
            metrics = {"retweet_count": retweets, "reply_count": self._replies[index],
                       "like_count": 2 * retweets + mix64(post_id) % (3 + 3 * retweets),
                       "quote_count": self._quotes[index]}
            sensitive = (purpose == RELEASE or (photo and self._role[author] == FIGHTER)) and mix64(post_id + 1) % 100 < 15
        conversation = ref_base["conversation_id"] if kind == REPLY else post_id_text  # type: ignore[index]
        base: dict[str, object] = {
            "id": post_id_text, "text": composed.text, "created_at": created,
            "author_id": self.account_ids[author], "conversation_id": conversation, "lang": composed.lang,
            "possibly_sensitive": sensitive, "source": _SOURCES[mix64(author) % len(_SOURCES)],
            "public_metrics": metrics,
        }
        if composed.entities:
            base["entities"] = composed.entities
        reference = None
        in_reply_to = None
        if ref >= 0:
            ref_id = ref_base["id"]  # type: ignore[index]
            base["referenced_tweets"] = [{"type": REFERENCE_TYPES[kind], "id": ref_id}]
            nested_reply = self._user(ref_reply_user, when, nested_count) if ref_reply_user >= 0 else None
            reference = (REFERENCE_TYPES[kind], ref_base, ref_user, nested_reply)
            if kind == REPLY:
                base["in_reply_to_user_id"] = self.account_ids[ref_author]
                in_reply_to = ref_user
            self._remaining[ref] -= 1
            if self._remaining[ref] == 0:
                del self._cache[ref]
        media = None
        if photo and kind == ORIGINAL:
            media_key = f"3_{post_id}"
            base["attachments"] = {"media_keys": [media_key]}
            media = {"media_key": media_key, "type": "photo",
                     "url": f"https://pbs.twimg.com/media/{token(post_id * 3 + 1, 15)}.jpg"}
        if self._remaining[index] > 0:
            self._cache[index] = base
        self.stats.posts += 1
        return _Row(base, author_user, reference, in_reply_to, media)  # type: ignore[arg-type]

    def _user(self, account: int, when: int, counts: tuple[int, int, int]) -> tuple[int, int, dict[str, object]]:
        """(account, version, user object) as the profile was at ``when``."""
        version = self.profiles.version_at(account, when)
        key = (account << 12) | version
        self.stats.profile_versions.add(key)
        self.seen[account] = True
        static = self._static_users.get(key)
        if static is None:
            if len(self._static_users) >= _STATIC_USER_CACHE:
                self._static_users.clear()
            static = self._static_users[key] = self._static_user(account, version)
        user = static.copy()
        followers, following, posted = counts
        user["public_metrics"] = {"followers_count": followers, "following_count": following,
                                  "tweet_count": posted, "listed_count": self._listed[account]}
        return account, version, user

    def _static_user(self, account: int, version: int) -> dict[str, object]:
        """The parts of a user object that only change with the profile version; the
        ``public_metrics`` slot keeps the key order and is filled per tweet."""
        state = self.profiles.state_of(account, version)
        url = profile_tco(account, state[5]) if state[5] else ""
        user: dict[str, object] = {
            "id": self.account_ids[account], "username": state[0], "name": state[1],
            "created_at": self._created_iso[account], "description": state[2],
            "profile_image_url": state[4], "protected": state[6], "verified": state[7], "url": url,
            "public_metrics": None,
        }
        if state[3]:
            user["location"] = state[3]
        if state[5]:
            user["entities"] = {"url": {"urls": [{"start": 0, "end": 23, "url": url, "expanded_url": state[5],
                                                  "display_url": display_url(state[5])}]}}
        return user


class _Page:
    def __init__(self) -> None:
        self.data: list[dict[str, object]] = []
        self.users: dict[int, tuple[int, dict[str, object]]] = {}
        self.tweets: dict[str, dict[str, object]] = {}
        self.media: list[dict[str, object]] = []

    def conflicts(self, users: list[tuple[int, int, dict[str, object]]]) -> bool:
        return any(account in self.users and self.users[account][0] != version for account, version, _ in users)

    def add(self, row: _Row, users: list[tuple[int, int, dict[str, object]]]) -> None:
        self.data.append(row.base)
        for account, version, user in users:
            self.users.setdefault(account, (version, user))
        if row.reference is not None:
            ref_base = row.reference[1]
            self.tweets.setdefault(ref_base["id"], ref_base)  # type: ignore[arg-type]
        if row.media is not None:
            self.media.append(row.media)

    def dump(self, twarc: dict[str, str], page: int, last: bool = False) -> bytes:
        includes: dict[str, object] = {"users": [user for _, user in self.users.values()]}
        if self.tweets:
            includes["tweets"] = list(self.tweets.values())
        if self.media:
            includes["media"] = self.media
        ids = [int(tweet["id"]) for tweet in self.data]  # type: ignore[call-overload]
        meta: dict[str, object] = {"newest_id": str(max(ids)), "oldest_id": str(min(ids)), "result_count": len(ids)}
        if not last:
            meta["next_token"] = token(page * 7919 + 1, 16).lower()
        return orjson.dumps({"data": self.data, "includes": includes, "meta": meta, "__twarc": twarc}) + b"\n"
