"""ActivityPub account exports: Mastodon's archive ("Request your archive") and the same
ActivityStreams documents from Friendica and Diaspora-era servers.

An export is a folder holding

* ``actor.json``: the account, an ActivityStreams ``Person``/``Service``/``Group`` with ``id``
  (its IRI), ``preferredUsername``, ``name``, ``summary`` (HTML), ``icon.url``, ``published``,
  ``url``, ``manuallyApprovesFollowers`` and ``attachment`` PropertyValues (profile fields);
* ``outbox.json``: an ``OrderedCollection`` whose ``orderedItems`` are ``Create`` activities
  wrapping ``Note`` objects and ``Announce`` activities (boosts) whose ``object`` is the IRI of
  the boosted note;
* optionally ``following_accounts.csv`` (Mastodon's "Follows" CSV export:
  ``Account address,Show boosts,...`` with ``user@instance`` addresses).

The folder is read as one input; ``actor.json`` or ``outbox.json`` given alone is read too.

Mapping choices:

* **Platform.** ``mastodon`` unless the actor says otherwise: ``friendica`` when its
  ``generator`` names Friendica or its IRI path holds ``/profile/``; ``diaspora`` when the
  generator names diaspora* or the path holds ``/people/``. Every record of one export carries
  the exporter's platform (a mentioned account's software is not knowable offline); the ids are
  IRIs and unique across platforms anyway.
* **Ids.** Accounts are actor IRIs; posts are note IRIs (``Create``) or the activity IRI
  (``Announce``, whose ``reposted_post_id`` is the boosted note's IRI). Mentions use the
  Mention tag's ``href``. Follow targets are ``user@instance`` addresses: mapped to the IRI
  when the export mentions that address somewhere, otherwise keyed by handle
  (``@user@instance``, see :func:`hydrawatch.core.model.handle_key`), since resolving an
  address needs WebFinger and hydrawatch never goes on the network.
* **Referenced authors.** Mastodon note IRIs are ``https://host/users/NAME/statuses/ID``, so a
  boosted or replied-to note's author is ``https://host/users/NAME``; other IRI shapes leave the
  author unknown.
* **Text.** HTML becomes plain text (``<br>`` and paragraph ends become newlines, entities
  unescaped); link hrefs become URL entities, except the links Mastodon and Friendica draw for
  mentions and hashtags (those are in ``tag``). A content warning (``summary``) is kept as the
  first paragraph: it is part of what readers saw.
* **Profile.** The actor is observed at its ``updated`` time, or at ``published`` when it has
  none, and again at the newest activity in the outbox (the export was made after it), with
  the outbox's ``totalItems`` as post count. Profile fields are appended to the bio as
  ``name: value`` lines, so links in them can be matched.

Damaged ``outbox.json`` files are salvaged element by element (see :mod:`.jsondoc`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import orjson

from hydrawatch.core.errors import BadRecordError
from hydrawatch.core.model import (
    AccountRef,
    Entity,
    EntityKind,
    Follow,
    Post,
    PostKind,
    ProfileVersion,
    Record,
    SourceRef,
    handle_key,
)

from .base import ProblemLog, Sample, iter_csv_rows
from .jsondoc import JsonDocument, loads, read_bytes, read_head, short_reason
from .jsonlines import RECORD_ERRORS, as_id, opt_bool, opt_str, reason_for
from .times import parse_iso

DEFAULT_PLATFORM = "mastodon"
ACTOR_FILE, OUTBOX_FILE, FOLLOWING_FILE = "actor.json", "outbox.json", "following_accounts.csv"
ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Organization", "Application"})
POST_TYPES = frozenset({"Note", "Article", "Question", "Page", "Video", "Image", "Audio", "Event"})
ACTIVITY_TYPES = frozenset(
    {"Create", "Announce", "Update", "Delete", "Like", "Follow", "Undo", "Add", "Remove", "Block", "Move"}
)
ARRAY_KEYS = ("orderedItems", "items")

_SNIFF_ACTOR = re.compile(r'"type"\s*:\s*"(?:' + "|".join(sorted(ACTOR_TYPES)) + r')"')
_SNIFF_ACTOR_KEYS = re.compile(r'"(?:preferredUsername|inbox|outbox)"\s*:')
_SNIFF_COLLECTION = re.compile(r'"type"\s*:\s*"(?:Ordered)?Collection(?:Page)?"')
_SNIFF_ITEMS = re.compile(r'"(?:orderedItems|items)"\s*:\s*\[\s*[{\]]')
_MASTODON_STATUS = re.compile(r"^(https?://[^/]+/users/[^/]+)/statuses/[^/]+")
_ADDRESS = re.compile(r"@?([^@\s]+)@([^@\s]+\.[^@\s]+)")
_BLANK_LINES = re.compile(r"[ \t]*\n[ \t]*\n(?:[ \t]*\n)+")


def _sniff_json(sample: Sample) -> bool:
    head = sample.text[: 64 * 1024]
    if not head.lstrip().startswith("{") or '"@context"' not in head:
        return False
    if _SNIFF_COLLECTION.search(head):
        return bool(_SNIFF_ITEMS.search(head))  # likes.json lists bare IRIs: not an outbox
    return bool(_SNIFF_ACTOR.search(head) and _SNIFF_ACTOR_KEYS.search(head))


def looks_like_activity(value: object) -> bool:
    """Whether a parsed object is an outbox activity (used to resync inside a damaged file).
    Bare notes do not count: every Create holds one, and a damaged Create must not pass its
    note off as the next record."""
    return isinstance(value, dict) and "id" in value and _type(value) in ACTIVITY_TYPES


class ActivityPubSource:
    name: ClassVar[str] = "activitypub-export"
    description: ClassVar[str] = (
        "ActivityPub/Mastodon account export: a folder with actor.json, outbox.json "
        "[, following_accounts.csv], or one of those JSON files"
    )
    reads_folders: ClassVar[bool] = True

    def sniff(self, sample: Sample) -> bool:
        if not sample.is_dir:
            return _sniff_json(sample)
        for name in (ACTOR_FILE, OUTBOX_FILE):
            candidate = sample.path / name
            if candidate.is_file() and _sniff_json(read_head(candidate, 16 * 1024)):
                return True
        return False

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        export = _Export(problems)
        if path.is_dir():
            actor, outbox, following = path / ACTOR_FILE, path / OUTBOX_FILE, path / FOLLOWING_FILE
        elif _SNIFF_ITEMS.search(read_head(path).text):
            actor, outbox, following = None, path, None
        else:
            actor, outbox, following = path, None, None
        if actor and actor.is_file():
            export.read_actor(actor)
        if outbox and outbox.is_file():
            yield from export.read_outbox(outbox)
        yield from export.profiles()
        if following and following.is_file():
            yield from export.read_following(following)


class _Export:
    """The state one export is read with: its platform, its actor and what the outbox said."""

    def __init__(self, problems: ProblemLog):
        self.problems = problems
        self.platform = DEFAULT_PLATFORM
        self.actor: dict | None = None
        self.actor_ref: SourceRef | None = None
        self.actor_id: str | None = None
        #: lower-cased ``user@host`` -> actor IRI, from mentions and the actor itself
        self.addresses: dict[str, str] = {}
        self.newest: datetime | None = None
        self.total_items: int | None = None

    # --- actor -----------------------------------------------------------------------------

    def read_actor(self, path: Path) -> None:
        name = str(path)
        try:
            actor = loads(read_bytes(path, self.problems))
        except orjson.JSONDecodeError as exc:
            self.problems.bad(SourceRef(name, exc.lineno), f"actor is not valid JSON ({short_reason(exc)})")
            return
        ref = SourceRef(name, 1)
        try:
            if not isinstance(actor, dict) or _type(actor) not in ACTOR_TYPES:
                raise BadRecordError("not an ActivityStreams actor (Person, Service, Group ...)")
            actor_id = _iri(actor.get("id"), "actor id")
        except RECORD_ERRORS as exc:
            self.problems.bad(ref, reason_for(exc))
            return
        self.actor, self.actor_ref, self.actor_id = actor, ref, actor_id
        self.platform = _platform(actor_id, actor.get("generator"))
        username = actor.get("preferredUsername")
        if isinstance(username, str) and username:
            self.addresses[f"{username}@{_url_part(actor_id, 'hostname')}".lower()] = actor_id

    def profiles(self) -> Iterator[ProfileVersion]:
        if self.actor is None or self.actor_ref is None:
            return
        try:
            profile = _profile(self.actor, self.platform, self.actor_ref)
        except RECORD_ERRORS as exc:
            self.problems.bad(self.actor_ref, reason_for(exc))
            return
        yield profile
        if self.newest is not None and (profile.observed_at is None or self.newest > profile.observed_at):
            yield replace(profile, observed_at=self.newest, post_count=self.total_items)

    # --- outbox ----------------------------------------------------------------------------

    def read_outbox(self, path: Path) -> Iterator[Record]:
        document = JsonDocument(path, self.problems, ARRAY_KEYS, looks_like_activity)
        if document.array_key is None:
            return
        total = document.header.get("totalItems")
        self.total_items = total if isinstance(total, int) and not isinstance(total, bool) else None
        elements = document.elements()
        first = next(elements, None)
        if self.actor is None and first is not None and isinstance(first.value, dict):
            guess = first.value.get("actor")
            if isinstance(guess, str):
                self.platform = _platform(guess, None)
        while first is not None:
            element, first = first, next(elements, None)
            ref = SourceRef(document.name, element.line, element.pointer)
            try:
                records = self.convert(element.value, ref)
            except RECORD_ERRORS as exc:
                self.problems.bad(document.ref(element), reason_for(exc))
                continue
            yield from records

    def convert(self, item: object, ref: SourceRef) -> list[Record]:
        if not isinstance(item, dict):
            raise BadRecordError(f"expected an activity object, found {type(item).__name__}")
        kind = _type(item)
        if kind == "Create":
            note = item.get("object")
            if not isinstance(note, dict):
                raise BadRecordError("Create activity has no embedded object")
            return self._note(note, ref, item)
        if kind == "Announce":
            return self._announce(item, ref)
        if kind in POST_TYPES:
            return self._note(item, ref, None)
        if kind is None:
            raise BadRecordError("activity has no type")
        return []  # Update, Delete, Like ...: not posts

    def _note(self, note: dict, ref: SourceRef, activity: dict | None) -> list[Record]:
        post_id = _iri(note.get("id"), "note id")
        author = note.get("attributedTo") or (activity or {}).get("actor") or self.actor_id
        account_id = _iri(author, "note author")
        created_at = _time(note.get("published") or (activity or {}).get("published"))
        text, links = html_to_text(_content(note) or "")
        warning = html_to_text(opt_str(note.get("summary")) or "")[0]
        if warning:
            text = f"{warning}\n\n{text}".strip()
        entities: list[Entity] = []
        refs: list[Record] = []
        for tag in _as_list(note.get("tag")):
            self._tag(tag, entities, refs, created_at, ref)
        entities += [Entity(EntityKind.URL, link) for link in links]
        for attachment in _as_list(note.get("attachment")):
            media = _link(attachment)
            if media:
                entities.append(Entity(EntityKind.MEDIA, media))
        reply_to = note.get("inReplyTo")
        reply_id = _iri(reply_to, "inReplyTo") if reply_to else None
        self._saw_time(created_at)
        post = Post(
            platform=self.platform,
            post_id=post_id,
            account_id=account_id,
            created_at=created_at,
            kind=PostKind.REPLY if reply_id else PostKind.ORIGINAL,
            text=text,
            lang=_language(note),
            in_reply_to_post_id=reply_id,
            in_reply_to_account_id=_author_of(reply_id),
            conversation_id=opt_str(note.get("conversation")),
            entities=tuple(entities),
            source=ref,
        )
        return [post, *refs]

    def _announce(self, activity: dict, ref: SourceRef) -> list[Record]:
        post_id = _iri(activity.get("id"), "activity id")
        account_id = _iri(activity.get("actor") or self.actor_id, "activity actor")
        created_at = _time(activity.get("published"))
        boosted = activity.get("object")
        records: list[Record] = []
        author = None
        if isinstance(boosted, dict):  # some servers embed the boosted note: it was observed
            records = self._note(boosted, SourceRef(ref.file, ref.line, f"{ref.pointer}/object"), None)
            author = records[0].account_id  # type: ignore[union-attr]
        boosted_id = _iri(boosted, "boosted object")
        self._saw_time(created_at)
        post = Post(
            platform=self.platform,
            post_id=post_id,
            account_id=account_id,
            created_at=created_at,
            kind=PostKind.REPOST,
            text="",
            reposted_post_id=boosted_id,
            referenced_account_id=author or _author_of(boosted_id),
            source=ref,
        )
        return [post, *records]

    def _tag(self, tag: object, entities: list[Entity], refs: list[Record], seen_at: datetime | None, ref: SourceRef) -> None:
        if not isinstance(tag, dict):
            raise BadRecordError(f"tag is not an object: {tag!r:.40}")
        kind, name = _type(tag), opt_str(tag.get("name")) or ""
        if kind == "Mention":
            href = _iri(tag.get("href"), "mention href")
            address = _address(name, href)
            entities.append(Entity(EntityKind.MENTION, address, href))
            refs.append(AccountRef(self.platform, href, address or None, seen_at, ref))
            if "@" in address:
                self.addresses.setdefault(address.lower(), href)
        elif kind == "Hashtag" and name.lstrip("#"):
            entities.append(Entity(EntityKind.HASHTAG, name.lstrip("#")))

    def _saw_time(self, when: datetime | None) -> None:
        if when is not None and (self.newest is None or when > self.newest):
            self.newest = when

    # --- follows ---------------------------------------------------------------------------

    def read_following(self, path: Path) -> Iterator[Record]:
        name = str(path)
        if self.actor_id is None:
            self.problems.bad(SourceRef(name, 1), "no readable actor.json in the export, so the follower is unknown; follows skipped")
            return
        for line, row in iter_csv_rows(path, self.problems):
            ref = SourceRef(name, line)
            cell = row[0].strip() if row else ""
            if line == 1 and cell.lower() == "account address":
                continue
            match = _ADDRESS.fullmatch(cell)
            if not match:
                self.problems.bad(ref, f"not an account address (user@instance): {cell!r:.60}", ",".join(row))
                continue
            address = f"{match.group(1)}@{match.group(2)}"
            target = self.addresses.get(address.lower()) or handle_key(address)
            yield AccountRef(self.platform, target, address, None, ref)
            yield Follow(self.platform, self.actor_id, target, None, ref)


# --- helpers ---------------------------------------------------------------------------------


def _type(obj: dict) -> str | None:
    """An object's ActivityStreams type (JSON-LD allows a list of types)."""
    kind = obj.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), None)
    return kind if isinstance(kind, str) else None


def _iri(value: object, what: str) -> str:
    """An IRI given as a string or as an object with an ``id`` (or a one-element list)."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if isinstance(value, str):
        return as_id(value, what)
    raise BadRecordError(f"{what} is missing or not an IRI")


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecordError(f"time is not text: {value!r:.40}")
    return parse_iso(value)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _link(value: object) -> str | None:
    """The URL of an attachment, icon or url field: a string, a Link/Image object, or a list."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        return next((link for link in map(_link, value) if link), None)
    if isinstance(value, dict):
        return _link(value.get("url")) or opt_str(value.get("href"))
    return None


def _content(note: dict) -> str | None:
    content = note.get("content")
    if content is None:
        content_map = note.get("contentMap")
        if isinstance(content_map, dict) and content_map:
            content = next(iter(content_map.values()))
    return opt_str(content)


def _language(note: dict) -> str | None:
    content_map = note.get("contentMap")
    if isinstance(content_map, dict) and len(content_map) == 1:
        return opt_str(next(iter(content_map)))
    return None


def _url_part(iri: str, part: str) -> str:
    """The host or path of an IRI; "" when it does not parse (damaged input must not raise)."""
    try:
        return getattr(urlsplit(iri), part) or ""
    except ValueError:
        return ""


def _address(name: str, href: str) -> str:
    """``@bob@host`` -> ``bob@host``; a local mention ``@bob`` gets the host of its IRI."""
    name = name.strip().lstrip("@")
    if name and "@" not in name:
        host = _url_part(href, "hostname")
        if host:
            return f"{name}@{host}"
    return name


def _author_of(note_iri: str | None) -> str | None:
    if not note_iri:
        return None
    match = _MASTODON_STATUS.match(note_iri)
    return match.group(1) if match else None


def _platform(actor_id: str, generator: object) -> str:
    software = ""
    if isinstance(generator, dict):
        software = str(generator.get("name") or "").lower()
    elif isinstance(generator, str):
        software = generator.lower()
    path = _url_part(actor_id, "path")
    if "friendica" in software or "/profile/" in path:
        return "friendica"
    if "diaspora" in software or "/people/" in path:
        return "diaspora"
    return DEFAULT_PLATFORM


def _profile(actor: dict, platform: str, ref: SourceRef) -> ProfileVersion:
    published = _time(actor.get("published"))
    bio, _ = html_to_text(opt_str(actor.get("summary")) or "")
    fields = []
    for field in _as_list(actor.get("attachment")):
        if isinstance(field, dict) and _type(field) == "PropertyValue":
            label = opt_str(field.get("name")) or ""
            value, links = html_to_text(opt_str(field.get("value")) or "")
            hidden = [link for link in links if link not in value]  # <a href="https://t.me/x">my channel</a>
            fields.append(" ".join([f"{label}: {value}", *hidden]))
    if fields:
        bio = "\n".join([bio, *fields]) if bio else "\n".join(fields)
    return ProfileVersion(
        platform=platform,
        account_id=_iri(actor.get("id"), "actor id"),
        observed_at=_time(actor.get("updated")) or published,
        username=opt_str(actor.get("preferredUsername")),
        display_name=opt_str(actor.get("name")),
        bio=bio or None,
        avatar_url=_link(actor.get("icon")),
        url=_link(actor.get("url")),
        protected=opt_bool(actor.get("manuallyApprovesFollowers")),
        created_at=published,
        source=ref,
    )


class _HtmlText(HTMLParser):
    """Plain text and link hrefs of post HTML; mention and hashtag links are not URLs."""

    BLOCKS = frozenset({"div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag == "br" or tag == "p" or tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            values = dict(attrs)
            href = (values.get("href") or "").strip()
            classes = f"{values.get('class') or ''} {values.get('rel') or ''}".lower().split()
            if href and not {"mention", "hashtag", "tag"} & set(classes):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "p":
            self.parts.append("\n\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Plain text of an HTML fragment and the hrefs of its links (mentions and hashtags
    excluded). Never raises on malformed HTML."""
    if "<" not in html and "&" not in html:
        return html.strip(), []
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = _BLANK_LINES.sub("\n\n", "".join(parser.parts)).strip()
    return text, list(dict.fromkeys(parser.links))
