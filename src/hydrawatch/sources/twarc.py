"""Twitter API v2 tweets as twarc2 writes them.

Two layouts, one reader:

* **flattened** (``twarc2 flatten``): one tweet per line, with ``author``, ``in_reply_to_user``
  and media expanded in place, and each referenced tweet's fields merged into its entry of
  ``referenced_tweets`` (next to its ``type`` and ``id``);
* **response pages** (what ``twarc2 search`` writes): one API response per line, tweets in
  ``data`` and the expansions in ``includes.users`` / ``includes.tweets`` / ``includes.media``.

Every user object becomes a profile observation at the time of the tweet that carries it, so
the store can rebuild each account's handle and name history. Expanded referenced tweets are
posts too: they were observed.
"""

from __future__ import annotations

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
from .jsonlines import (
    RECORD_ERRORS,
    as_id,
    opt_bool,
    opt_int,
    opt_str,
    read_json_lines,
    reason_for,
    sample_objects,
)
from .times import parse_iso, parse_optional

PLATFORM = "twitter"


def _looks_like_tweet(obj: dict) -> bool:
    return "id" in obj and "text" in obj and ("author_id" in obj or "author" in obj)


class TwarcFlatSource:
    name: ClassVar[str] = "twarc2-flat"
    description: ClassVar[str] = "Twitter API v2 tweets, one per line, as `twarc2 flatten` writes them (JSONL)"

    def sniff(self, sample: Sample) -> bool:
        objects = sample_objects(sample)
        if objects:
            return any(_looks_like_tweet(o) for o in objects)
        # one huge first line: judge by the keys near its start
        text = sample.text.lstrip()
        return text.startswith("{") and '"author_id"' in text and '"text"' in text and '"data"' not in text[:20]

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        return read_json_lines(path, problems, convert_flat_tweet)


class TwarcPagesSource:
    name: ClassVar[str] = "twarc2-pages"
    description: ClassVar[str] = "Twitter API v2 response pages (`data` + `includes`), as `twarc2 search` writes them (JSONL)"

    def sniff(self, sample: Sample) -> bool:
        objects = sample_objects(sample)
        if objects:
            return any(isinstance(o.get("data"), list) and ("includes" in o or "meta" in o) for o in objects)
        return sample.text.lstrip().startswith('{"data":[{') or sample.text.lstrip().startswith('{"data": [{')

    def read(self, path: Path, problems: ProblemLog) -> Iterator[Record]:
        return read_json_lines(path, problems, convert_page)


# --- conversion ------------------------------------------------------------------------


def profile_from_user(user: dict, observed_at: datetime | None, source: SourceRef) -> ProfileVersion:
    metrics = user.get("public_metrics") or {}
    return ProfileVersion(
        platform=PLATFORM,
        account_id=as_id(user.get("id"), "user id"),
        observed_at=observed_at,
        username=opt_str(user.get("username")),
        display_name=opt_str(user.get("name")),
        bio=opt_str(user.get("description")),
        location=opt_str(user.get("location")),
        avatar_url=opt_str(user.get("profile_image_url")),
        url=opt_str(user.get("url")),
        protected=opt_bool(user.get("protected")),
        verified=opt_bool(user.get("verified")),
        created_at=parse_optional(user.get("created_at")),
        followers_count=opt_int(metrics.get("followers_count")),
        following_count=opt_int(metrics.get("following_count")),
        post_count=opt_int(metrics.get("tweet_count")),
        listed_count=opt_int(metrics.get("listed_count")),
        source=source,
    )


def _entities(tweet: dict, media: list[dict] | None) -> tuple[Entity, ...]:
    found: list[Entity] = []
    entities = tweet.get("entities") or {}
    for mention in entities.get("mentions") or ():
        username = opt_str(mention.get("username")) or ""
        target = mention.get("id")
        found.append(
            Entity(
                EntityKind.MENTION,
                username,
                as_id(target, "mention id") if target is not None else (handle_key(username) if username else None),
            )
        )
    for tag in entities.get("hashtags") or ():
        found.append(Entity(EntityKind.HASHTAG, opt_str(tag.get("tag")) or ""))
    for url in entities.get("urls") or ():
        expanded = opt_str(url.get("unwound_url")) or opt_str(url.get("expanded_url")) or opt_str(url.get("url"))
        if expanded:
            found.append(Entity(EntityKind.URL, expanded))
    for item in media or ():
        value = opt_str(item.get("url")) or opt_str(item.get("preview_image_url")) or opt_str(item.get("media_key"))
        if value:
            found.append(Entity(EntityKind.MEDIA, value))
    return tuple(found)


def _post(
    tweet: dict,
    source: SourceRef,
    media: list[dict] | None,
    referenced_authors: dict[str, str],
) -> Post:
    post_id = as_id(tweet.get("id"), "tweet id")
    author = tweet.get("author")
    account_id = as_id(tweet.get("author_id") or (author or {}).get("id"), "author id")
    created = tweet.get("created_at")
    created_at = parse_iso(created) if created else None
    kind = PostKind.ORIGINAL
    reposted = quoted = replied = None
    for ref in tweet.get("referenced_tweets") or ():
        ref_type = ref.get("type")
        ref_id = as_id(ref.get("id"), "referenced tweet id")
        if ref_type == "retweeted":
            reposted = ref_id
        elif ref_type == "quoted":
            quoted = ref_id
        elif ref_type == "replied_to":
            replied = ref_id
        else:
            raise BadRecordError(f"unknown referenced tweet type {ref_type!r:.30}")
    if reposted:
        kind = PostKind.REPOST
    elif replied:
        kind = PostKind.REPLY
    elif quoted:
        kind = PostKind.QUOTE
    referenced = reposted or quoted
    reply_user = tweet.get("in_reply_to_user_id")
    text = tweet.get("text")
    if text is not None and not isinstance(text, str):
        raise BadRecordError("tweet text is not a string")
    return Post(
        platform=PLATFORM,
        post_id=post_id,
        account_id=account_id,
        created_at=created_at,
        kind=kind,
        text=text or "",
        lang=opt_str(tweet.get("lang")),
        in_reply_to_post_id=replied,
        in_reply_to_account_id=as_id(reply_user, "reply user id") if reply_user is not None else None,
        quoted_post_id=quoted,
        reposted_post_id=reposted,
        referenced_account_id=referenced_authors.get(referenced) if referenced else None,
        conversation_id=opt_str(tweet.get("conversation_id")),
        entities=_entities(tweet, media),
        source=source,
    )


def _mention_refs(post: Post, source: SourceRef) -> list[Record]:
    refs: list[Record] = []
    for entity in post.entities:
        if entity.kind is EntityKind.MENTION and entity.target_account_id:
            refs.append(AccountRef(PLATFORM, entity.target_account_id, entity.value or None, post.created_at, source))
    if post.in_reply_to_account_id:
        refs.append(AccountRef(PLATFORM, post.in_reply_to_account_id, None, post.created_at, source))
    return refs


def convert_flat_tweet(tweet: dict, source: SourceRef, problems: ProblemLog | None = None) -> list[Record]:
    """A flattened tweet and everything expanded inside it."""
    records: list[Record] = []
    _convert_flat(tweet, source, records, depth=0)
    return records


def is_expanded(reference: object) -> bool:
    """twarc2 flatten merges a referenced tweet's fields into its reference
    (``{"type": "retweeted", "id": ..., "text": ..., "author": {...}}``); a reference to a
    tweet that was not in the response's includes keeps only ``type`` and ``id``."""
    return isinstance(reference, dict) and (reference.get("author_id") is not None or reference.get("text") is not None)


def _known_user(user: object) -> bool:
    # twarc2 flatten writes {} for a user missing from the response's includes.
    return isinstance(user, dict) and user.get("id") is not None


def _convert_flat(tweet: dict, source: SourceRef, records: list[Record], depth: int) -> None:
    if depth > 3:  # quote of a quote of a quote: the API does not expand deeper
        return
    referenced_authors: dict[str, str] = {}
    for index, ref in enumerate(tweet.get("referenced_tweets") or ()):
        if is_expanded(ref):
            inner_source = SourceRef(source.file, source.line, f"{source.pointer or ''}/referenced_tweets/{index}")
            _convert_flat(ref, inner_source, records, depth + 1)
            inner_author = ref.get("author_id") or (ref.get("author") or {}).get("id")
            if inner_author is not None:
                referenced_authors[as_id(ref.get("id"), "referenced tweet id")] = as_id(inner_author, "author id")
    media = (tweet.get("attachments") or {}).get("media")
    post = _post(tweet, source, media if isinstance(media, list) else None, referenced_authors)
    author = tweet.get("author")
    if _known_user(author):
        records.append(profile_from_user(author, post.created_at, source))
    else:
        records.append(AccountRef(PLATFORM, post.account_id, None, post.created_at, source))
    reply_user = tweet.get("in_reply_to_user")
    if _known_user(reply_user):
        records.append(profile_from_user(reply_user, post.created_at, source))
    records.append(post)
    records.extend(_mention_refs(post, source))


def convert_page(page: dict, source: SourceRef, problems: ProblemLog) -> list[Record]:
    """One API response page: every tweet in ``data`` and ``includes.tweets``, with authors and
    media resolved from ``includes``. A bad tweet inside a good page spoils only itself."""
    data = page.get("data")
    if not isinstance(data, list):
        raise BadRecordError("response page has no 'data' list")
    includes = page.get("includes") or {}
    users = {u.get("id"): u for u in includes.get("users") or () if isinstance(u, dict)}
    media_by_key = {m.get("media_key"): m for m in includes.get("media") or () if isinstance(m, dict)}
    included_tweets = [t for t in includes.get("tweets") or () if isinstance(t, dict)]
    authors_of = {t.get("id"): t.get("author_id") for t in (*data, *included_tweets) if isinstance(t, dict)}

    records: list[Record] = []
    seen_profiles: set[tuple] = set()
    for pointer, tweets in (("/data", data), ("/includes/tweets", included_tweets)):
        for index, tweet in enumerate(tweets):
            tweet_source = SourceRef(source.file, source.line, f"{pointer}/{index}")
            try:
                records.extend(_page_tweet(tweet, tweet_source, users, media_by_key, authors_of, seen_profiles))
            except RECORD_ERRORS as exc:
                problems.bad(tweet_source, reason_for(exc))
    return records


def _page_tweet(
    tweet: object,
    source: SourceRef,
    users: dict,
    media_by_key: dict,
    authors_of: dict,
    seen_profiles: set[tuple],
) -> list[Record]:
    if not isinstance(tweet, dict):
        raise BadRecordError(f"{source.pointer} is not a tweet object")
    keys = (tweet.get("attachments") or {}).get("media_keys") or ()
    media = [media_by_key[k] for k in keys if k in media_by_key]
    referenced_authors = {
        str(ref.get("id")): str(authors_of[ref.get("id")])
        for ref in tweet.get("referenced_tweets") or ()
        if authors_of.get(ref.get("id")) is not None
    }
    post = _post(tweet, source, media, referenced_authors)
    records: list[Record] = []
    for user_id in (tweet.get("author_id"), tweet.get("in_reply_to_user_id")):
        user = users.get(user_id)
        if user is None:
            continue
        profile = profile_from_user(user, post.created_at, source)
        key = (profile.account_id, post.created_at)
        if key not in seen_profiles:  # one observation per user and time is enough
            seen_profiles.add(key)
            records.append(profile)
    if tweet.get("author_id") not in users:
        records.append(AccountRef(PLATFORM, post.account_id, None, post.created_at, source))
    records.append(post)
    records.extend(_mention_refs(post, source))
    return records
