"""Out-links: where a URL sends its reader, as a *destination* on another platform.

:func:`classify_url` turns a URL into a :class:`Destination` (platform, normalised address,
the rule that matched) or ``None`` for ordinary web links. Destinations are of two kinds:

* ``platform``: an account, channel or page elsewhere, where the network goes when pushed
  off: Telegram (``t.me/x``, ``telegram.me/x``, ``telegram.dog/x``, ``t.me/s/x``, invite
  links ``t.me/joinchat/X`` and ``t.me/+X``), VK (``vk.com/x``), Diaspora pods (``/u/name``,
  ``/people/<guid>`` on any host), Friendica nodes (``/profile/name`` on any host);
* ``content_store``: where release files are kept: justpaste.it, archive.org (items and
  Wayback copies), pastebin.

Federated platforms run on any host, so Diaspora and Friendica are recognised by their
URL shapes; hosts known to use the same shapes for something else (``reddit.com/u/x``) are
excluded in :data:`NOT_FEDERATED`.

Short links (``bit.ly/x``, an invented ``shrt.example/x`` in simulated worlds) are followed
through a :class:`LinkResolver` first: a table ``short_url -> expanded_url`` standing in for
the shortener's redirect service (nothing here touches the network). A short link the
resolver does not know is reported as unresolved, never guessed.

Normal form (the ``destination``): no scheme, no ``www.``, no query or fragment, no trailing
slash, host lower-cased; ``telegram.me``/``telegram.dog`` folded into ``t.me``; Telegram and
VK names lower-cased (both are case-insensitive), invite tokens kept as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

VERSION = "outlinks-1"

PLATFORM = "platform"
CONTENT_STORE = "content_store"

TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
VK_HOSTS = frozenset({"vk.com", "m.vk.com", "vk.ru", "m.vk.ru", "vkontakte.ru"})
#: Hosts whose ``/u/name`` or ``/profile/name`` pages are not Diaspora or Friendica.
NOT_FEDERATED = frozenset({
    "reddit.com", "old.reddit.com", "np.reddit.com", "m.reddit.com", "facebook.com", "m.facebook.com",
    "twitter.com", "mobile.twitter.com", "x.com", "instagram.com", "youtube.com", "m.youtube.com",
    "linkedin.com", "github.com", "medium.com", "tiktok.com", "pinterest.com", "tumblr.com",
    "quora.com", "flickr.com", "soundcloud.com", "vimeo.com", "google.com", "plus.google.com",
})
#: Well-known URL shorteners and wrappers: a link through one of them that the resolver does
#: not know is "unresolved" (its destination may be anything).
SHORTENER_HOSTS = frozenset({
    "t.co", "bit.ly", "goo.gl", "ow.ly", "tinyurl.com", "is.gd", "buff.ly", "dlvr.it", "ift.tt", "fb.me",
    "tiny.cc", "cutt.ly", "rebrand.ly", "shorturl.at", "bl.ink", "v.gd", "lnkd.in", "linkis.com",
    "shrt.example", "tinylnk.example", "qk.example",
})
_TELEGRAM_RESERVED = frozenset({"share", "addstickers", "addemoji", "iv", "proxy", "socks", "setlanguage", "login", "confirmphone", "addtheme", "bg", "invoice"})
_VK_RESERVED = frozenset({"share.php", "away.php", "feed", "im", "search", "login", "video", "audio", "doc", "photo", "apps", "settings"})
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
_DIASPORA_GUID = re.compile(r"^[0-9a-f]{16,40}$")
_VK_WALL = re.compile(r"^wall(-?)(\d+)_\d+$")
MAX_HOPS = 5


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a link points, in normal form, with how it was recognised."""

    platform: str  # telegram, vk, diaspora, friendica, justpaste, archive, pastebin
    kind: str  # PLATFORM or CONTENT_STORE
    destination: str  # normal form, e.g. "t.me/name", "pod.example/u/name", "justpaste.it/abc"
    rule: str  # the rule that matched, for evidence

    @property
    def url(self) -> str:
        return "https://" + self.destination


@dataclass(frozen=True, slots=True)
class LinkResult:
    """A URL after resolution: its destination (or None), the short links followed to get
    there, and whether it ended at a short link nobody could resolve."""

    url: str
    destination: Destination | None
    hops: tuple[str, ...] = ()
    unresolved_short_link: bool = False

    @property
    def final_url(self) -> str:
        return self.hops[-1] if self.hops else self.url


class LinkResolver:
    """Short link -> expanded URL, from a table (no network access). Lookups ignore the scheme
    and a trailing slash, so ``http://bit.ly/x/`` finds ``https://bit.ly/x``."""

    def __init__(self, table: Mapping[str, str] | None = None):
        self._table: dict[str, str] = {}
        for short, expanded in (table or {}).items():
            self.add(short, expanded)

    def add(self, short_url: str, expanded_url: str) -> None:
        if short_url and expanded_url:
            self._table[_lookup_key(short_url)] = expanded_url.strip()

    def resolve(self, url: str) -> str | None:
        return self._table.get(_lookup_key(url))

    def __len__(self) -> int:
        return len(self._table)

    @classmethod
    def from_csv(cls, paths: Iterable[Path] | Path) -> LinkResolver:
        """Read ``short_url,expanded_url`` CSV files (a header row is required)."""
        resolver = cls()
        for path in [paths] if isinstance(paths, (str, Path)) else paths:
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                missing = {"short_url", "expanded_url"} - set(reader.fieldnames or ())
                if missing:
                    raise ValueError(f"{path}: a resolver table needs the columns short_url,expanded_url (missing {', '.join(sorted(missing))})")
                for row in reader:
                    resolver.add(row["short_url"], row["expanded_url"])
        return resolver


    @classmethod
    def from_files(cls, paths: Iterable[Path] | Path) -> LinkResolver:
        """Read each file as a ``short_url,expanded_url`` CSV, or, for ``.jsonl``/``.json``
        (optionally ``.gz``), as a twarc2 export whose entities pair every t.co link with its
        expanded URL (:func:`twarc_expansions`): a store keeps profile links as t.co, the
        export that was ingested still knows where they lead."""
        resolver = cls()
        for path in [paths] if isinstance(paths, (str, Path)) else paths:
            path = Path(path)
            suffixes = [x.lower() for x in path.suffixes]
            if ".jsonl" in suffixes or ".json" in suffixes:
                for short, expanded in twarc_expansions(path).items():
                    resolver.add(short, expanded)
            else:
                for short, expanded in cls.from_csv(path)._table.items():
                    resolver._table[short] = expanded
        return resolver


def twarc_expansions(path: Path) -> dict[str, str]:
    """t.co -> expanded URL from a twarc2 JSONL file (flattened or raw API pages): the URL
    entities of tweets and of the users' profiles (``url`` and ``description``)."""
    import gzip

    import orjson

    found: dict[str, str] = {}

    def take(items) -> None:
        for item in items or ():
            if isinstance(item, dict) and item.get("url") and item.get("expanded_url"):
                found[item["url"]] = item["expanded_url"]

    def user(record: dict) -> None:
        entities = record.get("entities") or {}
        take((entities.get("url") or {}).get("urls"))
        take((entities.get("description") or {}).get("urls"))

    def tweet(record: dict) -> None:
        take((record.get("entities") or {}).get("urls"))
        if isinstance(record.get("author"), dict):
            user(record["author"])

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as lines:
        for line in lines:
            if b"expanded_url" not in line:
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            data = record.get("data")
            for item in (data if isinstance(data, list) else [data] if isinstance(data, dict) else [record]):
                tweet(item)
            includes = record.get("includes") or {}
            for item in includes.get("users") or ():
                user(item)
            for item in includes.get("tweets") or ():
                tweet(item)
    return found


def _lookup_key(url: str) -> str:
    bare = url.strip().split("://", 1)[-1]
    return bare.rstrip("/")


def _host_and_path(url: str) -> tuple[str, list[str], str] | None:
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    segments = [unquote(s) for s in parts.path.split("/") if s]
    return host, segments, parts.query


def is_short_link(url: str) -> bool:
    parsed = _host_and_path(url)
    return parsed is not None and parsed[0] in SHORTENER_HOSTS and bool(parsed[1])


def classify_url(url: str) -> Destination | None:
    """The destination ``url`` points at, or None (an ordinary web link, or not a URL)."""
    if url.startswith("tg://"):
        query = parse_qs(url.split("?", 1)[-1])
        domain = (query.get("domain") or [""])[0]
        return Destination("telegram", PLATFORM, f"t.me/{domain.lower()}", "tg:// link") if _NAME.match(domain) else None
    parsed = _host_and_path(url)
    if parsed is None:
        return None
    host, segments, query = parsed
    if host in TELEGRAM_HOSTS:
        return _telegram(host, segments)
    if host in VK_HOSTS:
        return _vk(segments, query)
    if host == "justpaste.it" or host == "jpst.it":
        return Destination("justpaste", CONTENT_STORE, f"justpaste.it/{segments[0]}", "justpaste.it page") if segments else None
    if host == "archive.org" or host.endswith(".archive.org"):
        return _archive(host, segments)
    if host == "pastebin.com":
        name = segments[-1] if segments else ""
        return Destination("pastebin", CONTENT_STORE, f"pastebin.com/{name}", "pastebin page") if name else None
    if host in NOT_FEDERATED:
        return None
    if len(segments) == 2 and segments[0] == "u" and _NAME.match(segments[1]):
        return Destination("diaspora", PLATFORM, f"{host}/u/{segments[1]}", "Diaspora pod profile (/u/name)")
    if len(segments) == 2 and segments[0] == "people" and _DIASPORA_GUID.match(segments[1].lower()):
        return Destination("diaspora", PLATFORM, f"{host}/people/{segments[1].lower()}", "Diaspora pod profile (/people/guid)")
    if len(segments) == 2 and segments[0] == "profile" and _NAME.match(segments[1]):
        return Destination("friendica", PLATFORM, f"{host}/profile/{segments[1]}", "Friendica node profile (/profile/name)")
    return None


def _telegram(host: str, segments: list[str]) -> Destination | None:
    via = "" if host == "t.me" else f" (via {host})"
    if not segments:
        return None
    first = segments[0]
    if first == "joinchat" and len(segments) > 1:
        return Destination("telegram", PLATFORM, f"t.me/joinchat/{segments[1]}", "Telegram invite link" + via)
    if first.startswith("+") and len(first) > 1:
        return Destination("telegram", PLATFORM, f"t.me/{first}", "Telegram invite link" + via)
    if first == "s" and len(segments) > 1:
        first = segments[1]
    if first.lower() in _TELEGRAM_RESERVED or not _NAME.match(first):
        return None
    return Destination("telegram", PLATFORM, f"t.me/{first.lower()}", "Telegram channel or user" + via)


def _vk(segments: list[str], query: str) -> Destination | None:
    if not segments:
        return None
    first = segments[0]
    wall = _VK_WALL.match(first)
    if wall:
        page = ("club" if wall.group(1) else "id") + wall.group(2)
        return Destination("vk", PLATFORM, f"vk.com/{page}", "VK wall post")
    if first.lower() in _VK_RESERVED or not _NAME.match(first):
        return None
    return Destination("vk", PLATFORM, f"vk.com/{first.lower()}", "VK page")


def _archive(host: str, segments: list[str]) -> Destination | None:
    if host == "web.archive.org" and len(segments) >= 3 and segments[0] == "web":
        inner = "/".join(segments[2:])
        return Destination("archive", CONTENT_STORE, f"web.archive.org/web/{inner}", "Wayback Machine copy")
    if len(segments) >= 2 and segments[0] in ("details", "download", "embed", "stream"):
        return Destination("archive", CONTENT_STORE, f"archive.org/details/{segments[1]}", "archive.org item")
    return None


@dataclass
class LinkClassifier:
    """Classify URLs, following short links through ``resolver``; caches answers (the same
    links recur across a network's posts)."""

    resolver: LinkResolver = field(default_factory=LinkResolver)
    _cache: dict[str, LinkResult] = field(default_factory=dict, repr=False)

    def __call__(self, url: str) -> LinkResult:
        found = self._cache.get(url)
        if found is None:
            found = self._cache[url] = self._classify(url)
        return found

    def _classify(self, url: str) -> LinkResult:
        hops: list[str] = []
        current = url
        for _ in range(MAX_HOPS):
            expanded = self.resolver.resolve(current)
            if expanded is None or expanded == current or expanded in hops:
                break
            hops.append(expanded)
            current = expanded
        destination = classify_url(current)
        unresolved = destination is None and is_short_link(current)
        return LinkResult(url, destination, tuple(hops), unresolved)
