"""The platform model: what a platform export says about accounts, posts and edges.

Every record is a frozen, slotted dataclass so that sources can yield millions of them cheaply
and nothing downstream can change what was read. Identifiers are strings qualified by a
platform name (``twitter``, ``mastodon``, ``telegram`` ...). Times are timezone-aware UTC
``datetime`` objects, or ``None`` when the source does not say.

Every record carries a :class:`SourceRef` so that a case can cite the exact file and line a
piece of evidence came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AccountStatus(StrEnum):
    ACTIVE = "active"
    PROTECTED = "protected"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class PostKind(StrEnum):
    ORIGINAL = "original"
    REPOST = "repost"
    QUOTE = "quote"
    REPLY = "reply"


class EntityKind(StrEnum):
    MENTION = "mention"
    HASHTAG = "hashtag"
    URL = "url"
    MEDIA = "media"


class EventKind(StrEnum):
    """Compliance-stream event kinds, named as the Twitter compliance stream names them."""

    SUSPEND = "user_suspend"
    UNSUSPEND = "user_unsuspend"
    PROTECT = "user_protect"
    UNPROTECT = "user_unprotect"
    DELETE = "user_delete"
    UNDELETE = "user_undelete"
    PROFILE_MODIFICATION = "user_profile_modification"

    @property
    def status_after(self) -> AccountStatus | None:
        """The account status this event leaves behind, or None if it does not change status."""
        return _STATUS_AFTER.get(self)


_STATUS_AFTER = {
    EventKind.SUSPEND: AccountStatus.SUSPENDED,
    EventKind.UNSUSPEND: AccountStatus.ACTIVE,
    EventKind.PROTECT: AccountStatus.PROTECTED,
    EventKind.UNPROTECT: AccountStatus.ACTIVE,
    EventKind.DELETE: AccountStatus.DELETED,
    EventKind.UNDELETE: AccountStatus.ACTIVE,
}


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record was read: the file, and the 1-based line (or a JSON pointer when the
    format is one document rather than lines)."""

    file: str
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = f":{self.line}" if self.line is not None else ""
        if self.pointer:
            where += f" ({self.pointer})"
        return f"{self.file}{where}"


NO_SOURCE = SourceRef("")


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account id seen somewhere (a mention target, a follow end, an event subject),
    possibly with nothing else known about it."""

    platform: str
    account_id: str
    username: str | None = None
    seen_at: datetime | None = None
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class ProfileVersion:
    """A profile as observed at ``observed_at``. The store folds observations with the same
    identity fields into one version with a valid-from time; counts are kept as metrics."""

    platform: str
    account_id: str
    observed_at: datetime | None
    username: str | None = None
    display_name: str | None = None
    bio: str | None = None
    location: str | None = None
    avatar_url: str | None = None
    url: str | None = None
    protected: bool | None = None
    verified: bool | None = None
    created_at: datetime | None = None
    followers_count: int | None = None
    following_count: int | None = None
    post_count: int | None = None
    listed_count: int | None = None
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Entity:
    """Something a post points at. ``value`` is the mention's username (without @), the
    hashtag (without #), the expanded URL or the media URL/key; ``target_account_id`` is set
    for mentions when the source knows the id."""

    kind: EntityKind
    value: str
    target_account_id: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    platform: str
    post_id: str
    account_id: str
    created_at: datetime | None
    kind: PostKind
    text: str
    lang: str | None = None
    in_reply_to_post_id: str | None = None
    in_reply_to_account_id: str | None = None
    quoted_post_id: str | None = None
    reposted_post_id: str | None = None
    referenced_account_id: str | None = None
    conversation_id: str | None = None
    entities: tuple[Entity, ...] = ()
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Follow:
    platform: str
    source_account_id: str
    target_account_id: str
    created_at: datetime | None = None
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Event:
    """A compliance event. For profile modifications, ``profile_field`` and ``new_value`` say
    what changed (for example ``screen_name`` -> the new handle)."""

    platform: str
    account_id: str
    kind: EventKind
    event_at: datetime | None
    profile_field: str | None = None
    new_value: str | None = None
    source: SourceRef = NO_SOURCE


Record = AccountRef | ProfileVersion | Post | Follow | Event


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason behind a score, in words a moderator can read, with the signal that
    produced it and its contribution to the score."""

    signal: str
    description: str
    value: float | str | None = None
    contribution: float | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A detector's proposal for a human to decide on. Nothing acts on a case by itself."""

    case_type: str
    subject_platform: str
    subject_account_id: str
    probability: float
    detector: str
    detector_version: str
    created_at: datetime
    evidence: tuple[Evidence, ...] = ()
    related_account_ids: tuple[str, ...] = field(default_factory=tuple)


def handle_key(username: str) -> str:
    """The account id used when a source names an account only by its handle (the Kaggle
    layout, mentions without ids): ``@`` plus the lower-cased handle. Platform ids never start
    with ``@``, so the two kinds cannot collide; handles are case-insensitive on Twitter."""
    return "@" + username.strip().lstrip("@").lower()
