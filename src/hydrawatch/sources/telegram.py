"""Telegram Desktop chat and channel exports (``result.json``, "Export chat history" as JSON).

The file is one object: ``{"name", "type", "id", "messages": [...]}``. Telegram Desktop writes
it with one space of indentation per level; each message is
``{"id", "type": "message"|"service", "date", "date_unixtime", "from", "from_id", "text",
"text_entities", "forwarded_from", "forwarded_from_id"?, "reply_to_message_id",
"reply_to_peer_id"?, "photo"|"file", "media_type", "edited", ...}``.

Mapping choices:

* **Accounts.** Telegram writes peers as ``user123``, ``channel456`` or ``chat789``
  (``from_id``, ``forwarded_from_id``); those strings are the account ids. The exported chat is
  an account too, with the id its own posts carry (``channel<id>`` for channels and
  supergroups, ``chat<id>`` for basic groups, ``user<id>`` for one-to-one chats). Exports from
  before 2020 wrote a bare number as ``from_id``: a user id, so it becomes ``user<n>``.
* **Names.** Telegram writes every peer's name as it was *when the export was made*, and the
  file does not say when that was. Each distinct (account, name) is therefore one profile
  observation at the time of the newest message in the export, a lower bound for the export
  time; the chat's own profile is observed the same way.
* **Posts.** Post ids are ``<chat account id>/<message id>`` (``channel456/17``): message ids
  are only unique within a chat. Forwards are reposts of the forwarded-from account (the
  original message id is not exported); replies point at ``<chat>/<reply_to_message_id>`` (or
  at the ``reply_to_peer_id`` chat for cross-chat replies).
* **Times.** ``date`` is the exporting computer's local time without a zone, so
  ``date_unixtime`` (true UTC seconds, written since 2021) is preferred; ``date`` alone is taken
  as UTC.
* **Entities** come from ``text_entities`` (or the segments of a list-valued ``text``):
  ``mention`` -> an account keyed by handle (:func:`hydrawatch.core.model.handle_key`),
  ``mention_name`` -> ``user<user_id>``, ``hashtag``, ``link`` (a bare ``t.me/x`` gets
  ``https://`` so that it compares with other platforms' expanded URLs) and ``text_link``
  hrefs. Media become MEDIA entities holding the relative file path, or
  ``[photo not included in export]`` when Telegram skipped the file.
* Service messages (joins, pins, title changes) and ``unsupported`` messages are skipped
  silently: they are not damage.

The document is read with :class:`~hydrawatch.sources.jsondoc.JsonDocument`, so a damaged file
loses only its damaged messages. Full-account exports (``{"chats": {"list": [...]}}``) are not
read by this source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from hydrawatch.core.errors import BadRecordError
from hydrawatch.core.model import (
    AccountRef,
    Entity,
    EntityKind,
    Post,
    PostKind,
    ProfileVersion,
    Record,
    SourceRef,
    handle_key,
)

from .base import ProblemLog, Sample
from .jsondoc import JsonDocument
from .jsonlines import RECORD_ERRORS, opt_str, reason_for
from .times import parse_epoch, parse_iso

PLATFORM = "telegram"

#: The prefix Telegram gives a chat's peer id, by chat type.
CHAT_PEER_PREFIX = {
    "public_channel": "channel",
    "private_channel": "channel",
    "public_supergroup": "channel",
    "private_supergroup": "channel",
    "private_group": "chat",
    "personal_chat": "user",
    "bot_chat": "user",
    "saved_messages": "user",
    "replies": "user",
}
SKIPPED_TYPES = frozenset({"service", "unsupported"})
MEDIA_KEYS = ("photo", "file")

_SNIFF_TYPE = re.compile(r'"type"\s*:\s*"(' + "|".join(CHAT_PEER_PREFIX) + r')"')
_SNIFF_MESSAGES = re.compile(r'"messages"\s*:\s*\[')
_PEER_ID = re.compile(r"(?:user|channel|chat)\d+")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def looks_like_message(value: object) -> bool:
    """Whether a parsed object is a message (used to resync inside a damaged file)."""
    return isinstance(value, dict) and "id" in value and value.get("type") in ("message", *SKIPPED_TYPES)


class TelegramExportSource:
    name: ClassVar[str] = "telegram-export"
    description: ClassVar[str] = (
        "Telegram Desktop chat/channel export as JSON (result.json: name, type, id, messages)"
    )

    def sniff(self, sample: Sample) -> bool:
        head = sample.text[:8192]
        if not head.lstrip().startswith("{") or '"personal_information"' in head:
            return False
        return bool(_SNIFF_TYPE.search(head) and _SNIFF_MESSAGES.search(head))

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        document = JsonDocument(path, problems, ("messages",), looks_like_message)
        if document.array_key is None:
            return
        try:
            chat = _Chat.from_header(document.header)
        except RECORD_ERRORS as exc:
            problems.bad(SourceRef(str(path), 1), f"cannot read the chat: {reason_for(exc)}; its messages need the chat's id")
            return
        for element in document.elements():
            ref = SourceRef(document.name, element.line, element.pointer)
            try:
                records = chat.convert(element.value, ref)
            except RECORD_ERRORS as exc:
                problems.bad(document.ref(element), reason_for(exc))
                continue
            yield from records
        yield from chat.profiles(SourceRef(document.name, 1, "/name"))


class _Chat:
    """One exported chat: converts its messages and remembers the names it saw."""

    def __init__(self, account_id: str, name: str | None):
        self.account_id = account_id
        self.name = name
        self.newest: datetime | None = None
        #: (account id, display name) -> where it was first seen
        self.names: dict[tuple[str, str], SourceRef] = {}

    @classmethod
    def from_header(cls, header: dict) -> _Chat:
        chat_type = header.get("type")
        chat_id = header.get("id")
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            raise BadRecordError(f"chat id is not an integer: {chat_id!r:.40}")
        prefix = CHAT_PEER_PREFIX.get(chat_type) if isinstance(chat_type, str) else None
        if prefix is None:
            raise BadRecordError(f"unknown chat type {chat_type!r:.40}")
        return cls(f"{prefix}{chat_id}", opt_str(header.get("name")))

    def convert(self, message: object, ref: SourceRef) -> list[Record]:
        if not isinstance(message, dict):
            raise BadRecordError(f"expected a message object, found {type(message).__name__}")
        kind = message.get("type")
        if kind in SKIPPED_TYPES:
            return []
        if kind != "message":
            raise BadRecordError(f"unknown message type {kind!r:.40}")
        message_id = message.get("id")
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise BadRecordError(f"message id is not an integer: {message_id!r:.40}")
        created_at = _message_time(message)
        author = _peer(message.get("from_id"), "from_id") or self.account_id
        forwarded_from = _peer(message.get("forwarded_from_id"), "forwarded_from_id")
        is_forward = forwarded_from is not None or message.get("forwarded_from") is not None
        reply_to = _reply_target(message, self.account_id)
        text, segments = _text(message.get("text"))
        entity_source = message.get("text_entities")
        if entity_source is None:
            entity_source = segments
        elif not isinstance(entity_source, list):
            raise BadRecordError("text_entities is not a list")
        entities, refs = _entities(entity_source, created_at, ref)
        entities += _media(message)

        if is_forward:
            kind_of_post = PostKind.REPOST
        elif reply_to:
            kind_of_post = PostKind.REPLY
        else:
            kind_of_post = PostKind.ORIGINAL
        post = Post(
            platform=PLATFORM,
            post_id=f"{self.account_id}/{message_id}",
            account_id=author,
            created_at=created_at,
            kind=kind_of_post,
            text=text,
            in_reply_to_post_id=reply_to,
            referenced_account_id=forwarded_from,
            entities=tuple(entities),
            source=ref,
        )
        if created_at and (self.newest is None or created_at > self.newest):
            self.newest = created_at
        self._saw_name(author, message.get("from"), ref)
        if forwarded_from:
            self._saw_name(forwarded_from, message.get("forwarded_from"), ref)
            refs.append(AccountRef(PLATFORM, forwarded_from, None, created_at, ref))
        return [post, *refs]

    def _saw_name(self, account_id: str, name: object, ref: SourceRef) -> None:
        if isinstance(name, str) and name.strip():
            self.names.setdefault((account_id, name), ref)

    def profiles(self, chat_ref: SourceRef) -> Iterator[ProfileVersion]:
        """The names seen, as observations at the newest message time (see module docstring)."""
        if self.name:
            yield ProfileVersion(PLATFORM, self.account_id, self.newest, display_name=self.name, source=chat_ref)
        for (account_id, name), ref in self.names.items():
            if account_id != self.account_id or name != self.name:
                yield ProfileVersion(PLATFORM, account_id, self.newest, display_name=name, source=ref)


def _peer(value: object, what: str) -> str | None:
    """A peer id as Telegram writes it (``user123``); old exports wrote bare user numbers."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"user{value}"
    if isinstance(value, str) and _PEER_ID.fullmatch(value):
        return value
    raise BadRecordError(f"{what} is not a Telegram peer id: {value!r:.40}")


def _message_time(message: dict) -> datetime:
    unix = message.get("date_unixtime")
    if unix is not None:
        if isinstance(unix, bool) or not isinstance(unix, (int, str)):
            raise BadRecordError(f"date_unixtime is not a number: {unix!r:.40}")
        return parse_epoch(unix)
    date = message.get("date")
    if date is None:
        raise BadRecordError("message has no date")
    if not isinstance(date, str):
        raise BadRecordError(f"date is not text: {date!r:.40}")
    return parse_iso(date)


def _reply_target(message: dict, chat_id: str) -> str | None:
    reply_id = message.get("reply_to_message_id")
    if reply_id is None:
        return None
    if isinstance(reply_id, bool) or not isinstance(reply_id, int):
        raise BadRecordError(f"reply_to_message_id is not an integer: {reply_id!r:.40}")
    peer = _peer(message.get("reply_to_peer_id"), "reply_to_peer_id") or chat_id
    return f"{peer}/{reply_id}"


def _text(value: object) -> tuple[str, list]:
    """The plain text, and the segments of a list-valued text (entities for old exports)."""
    if value is None:
        return "", []
    if isinstance(value, str):
        return value, []
    if not isinstance(value, list):
        raise BadRecordError(f"text is neither a string nor a list: {type(value).__name__}")
    parts: list[str] = []
    segments: list = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
            segments.append(part)
        else:
            raise BadRecordError(f"text segment is neither a string nor a {{type, text}} object: {part!r:.40}")
    return "".join(parts), segments


def _entities(items: list, seen_at: datetime, ref: SourceRef) -> tuple[list[Entity], list[Record]]:
    entities: list[Entity] = []
    refs: list[Record] = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRecordError(f"text entity is not an object: {item!r:.40}")
        kind, text = item.get("type"), item.get("text")
        if not isinstance(text, str):
            raise BadRecordError(f"text entity {kind!r:.20} has no text")
        if kind == "mention":
            username = text.strip().lstrip("@")
            if username:
                entities.append(Entity(EntityKind.MENTION, username, handle_key(username)))
                refs.append(AccountRef(PLATFORM, handle_key(username), username, seen_at, ref))
        elif kind == "mention_name":
            user = _peer(item.get("user_id"), "mention_name user_id")
            entities.append(Entity(EntityKind.MENTION, text, user))
            if user:
                refs.append(AccountRef(PLATFORM, user, None, seen_at, ref))
        elif kind == "hashtag":
            tag = text.strip().lstrip("#")
            if tag:
                entities.append(Entity(EntityKind.HASHTAG, tag))
        elif kind == "link":
            if text.strip():
                entities.append(Entity(EntityKind.URL, _with_scheme(text.strip())))
        elif kind == "text_link":
            href = opt_str(item.get("href"))
            if href and href.strip():
                entities.append(Entity(EntityKind.URL, _with_scheme(href.strip())))
    return entities, refs


def _with_scheme(url: str) -> str:
    return url if _SCHEME.match(url) else "https://" + url


def _media(message: dict) -> list[Entity]:
    found = []
    for key in MEDIA_KEYS:
        value = message.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadRecordError(f"{key} is not a file path: {value!r:.40}")
        if value.startswith("("):  # "(File not included. Change data exporting settings to download.)"
            value = f"[{opt_str(message.get('media_type')) or key} not included in export]"
        found.append(Entity(EntityKind.MEDIA, value))
    return found
