"""Behaviour features of network accounts, for the role model (:mod:`hydrawatch.network.roles`).

Each feature is something a moderator can check in the account's timeline, and each comes
with a sentence that says it in numbers ("78 of 100 posts are reposts"):

* what it posts: shares of original posts, reposts, quotes and replies; how many posts;
* how fast it reposts: reposts within 10 minutes of the original, and reposts of *releases*
  (posts linking a content store such as justpaste.it or archive.org) within 30 minutes, the
  amplifier's burst; the median repost delay;
* what it links: releases (content-store links) and migration links (Telegram, VK, Diaspora,
  Friendica) among its original posts;
* whom it talks to: replies to accounts outside the network, answers to outsiders who replied
  to it first (the recruiter's conversation), replies received from outsiders;
* promotion: posts that promote other accounts as new ("follow the brother's new account",
  :mod:`hydrawatch.signals.promotion`), announcements of its own new account, mentions;
* style: pictures, hashtags, a location in the profile, locking the account between posts
  (outlets flip to public for a release);
* standing: how many members follow it and repost it, and how fast they do.

The text of the account's own posts (not its reposts) and bio is kept as one document for
the vocabulary part of the model.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from hydrawatch.signals.promotion import score_promotion

from .links import CONTENT_STORE, PLATFORM, LinkClassifier

FAST_REPOST_SECONDS = 600
RELEASE_BURST_SECONDS = 1800
MAX_DOCUMENT_POSTS = 200
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"@\w+")


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    describe: str  # a format string over the account's counts, for evidence


#: The behaviour features, in model order.
FEATURES: tuple[Feature, ...] = (
    Feature("posts_log", "{posts} posts"),
    Feature("original_share", "{originals} of {posts} posts are original"),
    Feature("repost_share", "{reposts} of {posts} posts are reposts"),
    Feature("quote_share", "{quotes} of {posts} posts are quotes"),
    Feature("reply_share", "{replies} of {posts} posts are replies"),
    Feature("outsider_reply_share", "{outsider_replies} replies to accounts outside the network"),
    Feature("answer_share", "{answers} answers to outsiders who replied to it first"),
    Feature("questions_received_rate", "{outsider_replies_received} replies received from outsiders"),
    Feature("release_share", "{releases} of {originals} original posts link a content store (releases)"),
    Feature("platform_link_share", "{platform_links} original posts link another platform (Telegram, VK, ...)"),
    Feature("fast_repost_share", "{fast_reposts} of {reposts} reposts within 10 minutes of the original"),
    Feature("release_repost_rate", "{release_bursts} releases reposted within 30 minutes of publication"),
    Feature("repost_delay_log", "median repost delay {repost_delay_text}"),
    Feature("promotion_share", "{promotions} posts promote other accounts as new"),
    Feature("self_announce_share", "{self_announcements} posts announce its own new account"),
    Feature("mention_rate", "{mentions} mentions in {own_posts} own posts"),
    Feature("media_share", "{media_posts} of {originals} original posts carry pictures"),
    Feature("hashtag_rate", "{hashtags} hashtags in {own_posts} own posts"),
    Feature("unprotects_log", "went public {unprotects} times after being locked"),
    Feature("ever_protected", "{protected_text}"),
    Feature("has_location", "{location_text}"),
    Feature("member_followers_log", "followed by {member_followers} network accounts"),
    Feature("member_reposters_log", "reposted {reposts_received} times by network accounts"),
    Feature("fast_reposts_received_share", "{fast_reposts_received} of its reposts by members came within 10 minutes"),
    Feature("distinct_reposted_log", "reposts {distinct_reposted} different accounts"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


@dataclass
class RoleFeatures:
    """Features of a list of accounts: ``X[i]`` and ``counts[i]`` (for evidence) and
    ``documents[i]`` (own words) belong to ``account_ids[i]``."""

    account_ids: list[str]
    X: np.ndarray
    counts: list[dict]
    documents: list[str]
    usernames: list[str] = field(default_factory=list)

    def describe(self, row: int, feature: str) -> str:
        spec = FEATURES[FEATURE_NAMES.index(feature)]
        return spec.describe.format(**self.counts[row])

    def take(self, rows: list[int]) -> RoleFeatures:
        return RoleFeatures([self.account_ids[r] for r in rows], self.X[rows], [self.counts[r] for r in rows],
                            [self.documents[r] for r in rows], [self.usernames[r] for r in rows] if self.usernames else [])


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def role_features(
    posts: pa.Table,
    profiles: pa.Table,
    replies_in: pa.Table,
    reposts_in: pa.Table,
    follows: pa.Table,
    members: set[str],
    classifier: LinkClassifier,
) -> RoleFeatures:
    """Compute the features of every account in ``profiles`` (one row per account; see
    :mod:`hydrawatch.store.behaviour` for the tables). ``follows`` has ``source, target``;
    ``members`` are the network's accounts (everyone else is an outsider)."""
    account_ids = profiles["account_id"].to_pylist()
    index = {a: i for i, a in enumerate(account_ids)}
    n = len(account_ids)
    c = [defaultdict(int) for _ in range(n)]
    delays: list[list[float]] = [[] for _ in range(n)]
    docs: list[list[str]] = [[] for _ in range(n)]
    reposted: list[set] = [set() for _ in range(n)]

    def link_kinds(urls: list[str]) -> set[str]:
        kinds = set()
        for url in urls or ():
            destination = classifier(url).destination
            if destination is not None:
                kinds.add(destination.kind)
        return kinds

    names = ("account_id", "kind", "created_at", "text", "in_reply_to_account_id", "referenced_account_id", "reference_created_at",
             "reference_reply_to", "mentions", "hashtags", "urls", "media")
    columns = [posts[name].to_pylist() for name in names]
    for account, kind, created, text, reply_to, referenced, ref_created, ref_reply_to, mentions, hashtags, urls, media in zip(*columns):
        i = index.get(account)
        if i is None:
            continue
        counts = c[i]
        counts["posts"] += 1
        if kind == "repost":
            counts["reposts"] += 1
            if referenced:
                reposted[i].add(referenced)
            if ref_created is not None and created is not None:
                delay = (created - ref_created).total_seconds()
                delays[i].append(max(delay, 0.0))
                if delay <= FAST_REPOST_SECONDS:
                    counts["fast_reposts"] += 1
                if delay <= RELEASE_BURST_SECONDS and CONTENT_STORE in link_kinds(urls):
                    counts["release_bursts"] += 1
            continue
        counts["own_posts"] += 1
        if kind == "original":
            counts["originals"] += 1
            kinds = link_kinds(urls)
            if CONTENT_STORE in kinds:
                counts["releases"] += 1
            if PLATFORM in kinds:
                counts["platform_links"] += 1
            if media:
                counts["media_posts"] += 1
        elif kind == "quote":
            counts["quotes"] += 1
        elif kind == "reply":
            counts["replies"] += 1
            if reply_to and reply_to not in members:
                counts["outsider_replies"] += 1
                if ref_reply_to == account:
                    counts["answers"] += 1
        others = [m for m in (mentions or ()) if m != account and m != reply_to]
        counts["mentions"] += len(others)
        counts["hashtags"] += len(hashtags or ())
        if text:
            verdict = score_promotion(text, tuple(others) if others else ())
            if verdict.is_promotion():
                counts["promotions" if others else "self_announcements"] += 1
            if len(docs[i]) < MAX_DOCUMENT_POSTS:
                docs[i].append(_MENTION.sub(" ", _URL.sub(" ", text)))

    for account, replier in zip(replies_in["account_id"].to_pylist(), replies_in["replier_id"].to_pylist()):
        i = index.get(account)
        if i is not None and replier not in members:
            c[i]["outsider_replies_received"] += 1
    for account, reposter, delay in zip(reposts_in["account_id"].to_pylist(), reposts_in["reposter_id"].to_pylist(), reposts_in["delay_seconds"].to_pylist()):
        i = index.get(account)
        if i is not None and reposter in members:
            c[i]["reposts_received"] += 1
            if delay is not None and delay <= FAST_REPOST_SECONDS:
                c[i]["fast_reposts_received"] += 1
    for source, target in zip(follows["source"].to_pylist(), follows["target"].to_pylist()):
        i = index.get(target)
        if i is not None and source in members:
            c[i]["member_followers"] += 1

    usernames = profiles["username"].to_pylist()
    bios = profiles["bio"].to_pylist()
    locations = profiles["location"].to_pylist()
    protected = profiles["ever_protected"].to_pylist()
    unprotects = profiles["unprotects"].to_pylist()
    X = np.zeros((n, len(FEATURES)), dtype=np.float32)
    out_counts = []
    for i in range(n):
        k = c[i]
        posts_n, originals, reposts, own = k["posts"], k["originals"], k["reposts"], k["own_posts"]
        median_delay = float(np.median(delays[i])) if delays[i] else math.nan
        k["unprotects"] = int(unprotects[i] or 0)
        k["distinct_reposted"] = len(reposted[i])
        row = {
            "posts_log": math.log1p(posts_n),
            "original_share": _ratio(originals, posts_n),
            "repost_share": _ratio(reposts, posts_n),
            "quote_share": _ratio(k["quotes"], posts_n),
            "reply_share": _ratio(k["replies"], posts_n),
            "outsider_reply_share": _ratio(k["outsider_replies"], posts_n),
            "answer_share": _ratio(k["answers"], posts_n),
            "questions_received_rate": _ratio(k["outsider_replies_received"], max(own, 1)),
            "release_share": _ratio(k["releases"], originals),
            "platform_link_share": _ratio(k["platform_links"], originals),
            "fast_repost_share": _ratio(k["fast_reposts"], reposts) if reposts else math.nan,
            "release_repost_rate": _ratio(k["release_bursts"], posts_n),
            "repost_delay_log": math.log1p(median_delay) if not math.isnan(median_delay) else math.nan,
            "promotion_share": _ratio(k["promotions"], own),
            "self_announce_share": _ratio(k["self_announcements"], own),
            "mention_rate": _ratio(k["mentions"], own),
            "media_share": _ratio(k["media_posts"], originals),
            "hashtag_rate": _ratio(k["hashtags"], own),
            "unprotects_log": math.log1p(k["unprotects"]),
            "ever_protected": 1.0 if protected[i] else 0.0,
            "has_location": 1.0 if (locations[i] or "").strip() else 0.0,
            "member_followers_log": math.log1p(k["member_followers"]),
            "member_reposters_log": math.log1p(k["reposts_received"]),
            "fast_reposts_received_share": _ratio(k["fast_reposts_received"], k["reposts_received"]) if k["reposts_received"] else math.nan,
            "distinct_reposted_log": math.log1p(k["distinct_reposted"]),
        }
        X[i] = [row[name] for name in FEATURE_NAMES]
        counts = {key: int(value) for key, value in k.items()}
        for key in ("posts", "originals", "reposts", "quotes", "replies", "own_posts", "outsider_replies", "answers",
                    "outsider_replies_received", "releases", "platform_links", "fast_reposts", "release_bursts", "promotions",
                    "self_announcements", "mentions", "media_posts", "hashtags", "member_followers", "reposts_received",
                    "fast_reposts_received"):
            counts.setdefault(key, 0)
        counts["repost_delay_text"] = _duration(median_delay)
        counts["protected_text"] = "has locked its account (protected)" if protected[i] else "never locked its account"
        counts["location_text"] = f"profile names a place ({locations[i]})" if (locations[i] or "").strip() else "no place in the profile"
        out_counts.append(counts)
    documents = [" \n ".join([*(docs[i]), bios[i] or ""]) for i in range(n)]
    return RoleFeatures(account_ids, X, out_counts, documents, [u or "" for u in usernames])


def _duration(seconds: float) -> str:
    if math.isnan(seconds):
        return "unknown (no repost with a known original)"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
