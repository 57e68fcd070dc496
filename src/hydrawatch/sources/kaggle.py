"""The Kaggle "How ISIS Uses Twitter" CSV layouts (Fifth Tribe, 2016) and their re-releases.

* full layout: ``name,username,description,location,followers,numberstatuses,time,tweets``
* reduced layout: ``name,username,tweetid,time,tweets`` (IsisFanboy.csv)

The layouts carry no account ids, so accounts are keyed by handle (``@`` + lower-cased
username, see :func:`hydrawatch.core.model.handle_key`). Mentions, hashtags and URLs are parsed
out of the text; ``RT @user:`` marks a retweet of ``user`` and a tweet that starts with
``@user`` is taken as a reply to ``user`` (how Twitter threaded replies in 2015). The
``tweetid`` of the reduced layout was added by the data set's curator and is not a Twitter id,
so post ids are derived from it plus a digest of the row, which keeps ids unique across data
sets and stable across re-ingests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
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

from .base import ProblemLog, Sample, iter_csv_rows
from .jsonlines import reason_for
from .times import parse_any

PLATFORM = "twitter"
FULL_LAYOUT = ("name", "username", "description", "location", "followers", "numberstatuses", "time", "tweets")
REDUCED_LAYOUT = ("name", "username", "tweetid", "time", "tweets")

# Twitter handles are 1-15 word characters; the look-behind keeps e-mail addresses out.
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})\b")
# Hashtags may be Arabic; \w is Unicode-aware. A hashtag cannot be all digits.
HASHTAG_RE = re.compile(r"(?<![\w&])[#＃](\w*[^\W\d]\w*)")
URL_RE = re.compile(r"https?://[^\s<>\"'\u200b-\u200f\u202a-\u202e]+", re.IGNORECASE)
RETWEET_RE = re.compile(r"^RT @([A-Za-z0-9_]{1,15}):?")
REPLY_RE = re.compile(r"^@([A-Za-z0-9_]{1,15})\b")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\"…»”’"


def text_entities(text: str) -> tuple[Entity, ...]:
    """Mentions, hashtags and URLs found in free text (for layouts that do not list them)."""
    entities = [Entity(EntityKind.MENTION, m, handle_key(m)) for m in MENTION_RE.findall(text)]
    entities += [Entity(EntityKind.HASHTAG, h) for h in HASHTAG_RE.findall(text)]
    for url in URL_RE.findall(text):
        url = url.rstrip(_TRAILING_PUNCTUATION)
        if len(url) > len("https://"):
            entities.append(Entity(EntityKind.URL, url))
    return tuple(entities)


def _layout(header: list[str]) -> tuple[str, ...] | None:
    normalised = tuple(cell.strip().strip('"').lower() for cell in header)
    for layout in (FULL_LAYOUT, REDUCED_LAYOUT):
        if normalised == layout:
            return layout
    return None


class KaggleIsisSource:
    name: ClassVar[str] = "kaggle-isis-csv"
    description: ClassVar[str] = (
        "Kaggle 'How ISIS Uses Twitter' CSV (name,username,description,location,followers,"
        "numberstatuses,time,tweets or name,username,tweetid,time,tweets)"
    )

    def sniff(self, sample: Sample) -> bool:
        return _layout(sample.first_line.split(",")) is not None

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        name = str(path)
        layout: tuple[str, ...] | None = None
        occurrences: dict[str, int] = {}
        for line, row in iter_csv_rows(path, problems):
            if layout is None:
                layout = _layout(row)
                if layout is None:
                    problems.bad(SourceRef(name, line), "header is not a Kaggle ISIS layout", ",".join(row))
                    return
                continue
            ref = SourceRef(name, line)
            try:
                if len(row) != len(layout):
                    raise BadRecordError(
                        f"expected {len(layout)} columns ({','.join(layout)}), found {len(row)}"
                        + (" - the record is cut short" if len(row) < len(layout) else "")
                    )
                yield from _row_records(dict(zip(layout, row)), ref, occurrences)
            except (BadRecordError, ValueError) as exc:
                problems.bad(ref, reason_for(exc), ",".join(row))


def _row_records(cells: dict[str, str], ref: SourceRef, occurrences: dict[str, int]) -> list[Record]:
    username = cells["username"].strip()
    if not username:
        raise BadRecordError("empty username")
    created_at = parse_any(cells["time"])
    text = cells["tweets"]
    account_id = handle_key(username)
    post_id = _post_id(cells, occurrences)

    kind = PostKind.ORIGINAL
    referenced = reply_to = None
    if match := RETWEET_RE.match(text):
        kind, referenced = PostKind.REPOST, handle_key(match.group(1))
    elif match := REPLY_RE.match(text):
        kind, reply_to = PostKind.REPLY, handle_key(match.group(1))
    entities = text_entities(text)

    profile = ProfileVersion(
        platform=PLATFORM,
        account_id=account_id,
        observed_at=created_at,
        username=username,
        display_name=cells["name"],
        bio=cells.get("description"),
        location=cells.get("location"),
        followers_count=_count(cells.get("followers")),
        post_count=_count(cells.get("numberstatuses")),
        source=ref,
    )
    post = Post(
        platform=PLATFORM,
        post_id=post_id,
        account_id=account_id,
        created_at=created_at,
        kind=kind,
        text=text,
        in_reply_to_account_id=reply_to,
        referenced_account_id=referenced,
        entities=entities,
        source=ref,
    )
    records: list[Record] = [profile, post]
    targets = {e.target_account_id for e in entities if e.target_account_id}
    targets.update(t for t in (referenced, reply_to) if t)
    records.extend(AccountRef(PLATFORM, target, target[1:], created_at, ref) for target in sorted(targets))
    return records


def _post_id(cells: dict[str, str], occurrences: dict[str, int]) -> str:
    digest = hashlib.blake2b(
        "\x1f".join((cells["username"].lower(), cells["time"], cells["tweets"])).encode("utf-8", "replace"),
        digest_size=8,
    ).hexdigest()
    tweet_id = (cells.get("tweetid") or "").strip()
    if tweet_id:
        return f"kaggle:{tweet_id}:{digest[:8]}"
    # The full layout has no id: identical rows are told apart by their order in the file.
    seen = occurrences.get(digest, 0)
    occurrences[digest] = seen + 1
    return f"kaggle:{digest}" + (f":{seen}" if seen else "")


def _count(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(float(value))
    except ValueError as exc:
        raise BadRecordError(f"not a count: {value!r:.30}") from exc
