"""Pair evidence: what links an ended account to a later one, as numbers for the ranker and
as sentences for a moderator.

Each feature is one signal a moderator would check by hand: do the handles look alike, is the
display name the same, is the bio reworded from the old one, same avatar, same way of writing,
same hours, same friends, did the network announce the new account, how soon after the ban did
it appear. ``FEATURES`` lists them with the sentence that explains a value.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from .accounts import NO_TIME, AccountTable
from .candidates import Candidates, Source
from .handles import relate, trigram_jaccard
from .keys import is_default_avatar
from .promotions import PromotionLink


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    monotone: int  # +1: more of it never lowers the score; 0: no constraint
    meaning: str  # what the value means, for evidence text


FEATURES: tuple[Feature, ...] = (
    Feature("handle_edit_similarity", 1, "handle similarity (1 - edit distance / length)"),
    Feature("handle_trigram_jaccard", 1, "share of handle letter-triples in common (after look-alike folding)"),
    Feature("handle_same_skeleton", 1, "handles look the same once look-alike characters are folded"),
    Feature("handle_digit_change", 0, "handle differs only by a number changed by this much (0 if not)"),
    Feature("handle_affix", 1, "handle is the old one with a short affix added or removed"),
    Feature("handle_single_edit", 1, "handle is one character away from the old one"),
    Feature("handles_known", 0, "both handles are known"),
    Feature("name_same", 1, "same display name (after folding look-alikes, emoji, punctuation)"),
    Feature("name_similarity", 1, "display-name similarity"),
    Feature("names_known", 0, "both display names are known"),
    Feature("bio_similarity", 1, "bio similarity (shared letter-triples)"),
    Feature("bio_word_overlap", 1, "share of bio words in common"),
    Feature("bios_known", 0, "both bios are known"),
    Feature("same_avatar", 1, "same avatar picture (same URL, or a near-identical image)"),
    Feature("avatar_distance", -1, "PDQ distance between the avatar pictures (0 = identical, ~128 = unrelated)"),
    Feature("hours_after_end", -1, "hours between the old account's end and the new account's appearance (either way)"),
    Feature("appeared_before_end", 0, "the new account appeared before the old one ended"),
    Feature("followees_shared", 1, "accounts both follow"),
    Feature("followees_overlap", 1, "share of the new account's followees the old one also followed"),
    Feature("followers_shared", 1, "followers of the old account who follow the new one"),
    Feature("followers_overlap", 1, "share of the new account's followers who followed the old one"),
    Feature("contacts_shared", 1, "accounts both mention or repost"),
    Feature("contacts_overlap", 1, "share of the new account's contacts the old one also had"),
    Feature("style_similarity", 1, "writing-style similarity (character n-grams, cosine)"),
    Feature("hashtags_overlap", 1, "share of hashtags in common"),
    Feature("hours_similarity", 1, "posting-hour profile similarity (cosine)"),
    Feature("same_script", 0, "both write mostly in the same script"),
    Feature("posts_compared", 0, "log of the fewer posts of the two (how much style and hours can say)"),
    Feature("promoted_near_old", 1, "promotions of the new account by accounts close to the old one"),
    Feature("promoted_anywhere", 0, "promotions of the new account by anyone"),
    Feature("announced_self", 0, "the new account announced itself as a returning account"),
    Feature("sources", 0, "number of independent reasons the pair was considered"),
    Feature("followees_shared_rarity", 1, "accounts both follow, each weighted by how few others follow it"),
    Feature("followers_shared_rarity", 1, "followers of both, each weighted by how few others it follows"),
    # How to read hours_after_end: a creation time right after a recorded suspension is close
    # to the return; a first post (exports without creation times) and a last post (an end
    # presumed from silence) can each be days or weeks from it.
    Feature("appeared_at_creation", 0, "the new account's appearance is its creation time (not its first post or first sighting)"),
    Feature("end_recorded", 0, "the old account's end is a recorded suspension or deletion (not presumed from its silence)"),
    # A shared display name says more the fewer accounts bear it: a kunya that hundreds use is
    # weak evidence, a name only these two accounts have is strong.
    Feature("name_sharers", -1, "accounts in the data that bear the shared display name (the rarest one shared)"),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
MISSING = np.nan


def _overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """(shared, shared / size of the new account's set); unknown (NaN) when either set is
    empty: an export without follow edges says nothing about shared friends."""
    if not a or not b:
        return MISSING, MISSING
    shared = len(a & b)
    return float(shared), shared / len(b)


def _accounts_with(sets: list) -> Counter:
    """How many accounts have each item (a neighbour, a display-name key); each account's
    items are distinct."""
    return Counter(item for items in sets for item in items)


def _rarity(sets: list[frozenset[str]]) -> dict[str, float]:
    """Each neighbour's inverse document frequency over the table's accounts,
    log(accounts / accounts that have it): sharing a niche account says more than sharing
    the news that everybody follows."""
    total = max(len(sets), 1)
    return {neighbour: math.log(total / count) for neighbour, count in _accounts_with(sets).items()}


def _shared_weight(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    """Summed rarity of the neighbours two accounts share; unknown when either has none."""
    if not a or not b:
        return MISSING
    return float(sum(weight[n] for n in a & b))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


AVATAR_MATCH = 31  # PDQ distance of "the same picture" (ThreatExchange's default)


def _avatar_distance(old: list[str], new: list[str]) -> float:
    if not old or not new:
        return MISSING
    from hydrawatch.signals.media import hamming

    return float(min(hamming(a, b) for a in old for b in new))


def write_handle_relation(row: np.ndarray, column: dict[str, int], relation) -> None:
    """The handle features of the closest pair of handles (a :class:`HandleRelation`, or
    None when either account has no handle: the features stay unknown) into ``row``."""
    if relation is not None:
        row[column["handle_edit_similarity"]] = relation.edit_similarity
        row[column["handle_trigram_jaccard"]] = relation.trigram_jaccard
        row[column["handle_same_skeleton"]] = float(relation.same_skeleton)
        row[column["handle_digit_change"]] = abs(relation.digit_change) if relation.digit_change else 0.0
        row[column["handle_affix"]] = float(relation.affix is not None)
        row[column["handle_single_edit"]] = float(relation.single_edit)
    row[column["handles_known"]] = float(relation is not None)


def _best_handle(table: AccountTable, p: int, c: int):
    best = None
    old_handles = [h for h in {*table.handles[p], table.handle[p]} if h]
    new_handles = [h for h in {*table.handles[c], table.handle[c]} if h]
    for old in old_handles:
        for new in new_handles:
            relation = relate(old, new)
            if best is None or relation.edit_similarity > best[0].edit_similarity:
                best = (relation, old, new)
    return best


def _name_similarity(table: AccountTable, p: int, c: int) -> tuple[float, float]:
    names_old, names_new = table.name_keys[p], table.name_keys[c]
    if not names_old or not names_new:
        return MISSING, MISSING
    same = float(bool(set(names_old) & set(names_new)))
    similarity = max(Indel.normalized_similarity(a, b) for a in names_old for b in names_new)
    return same, similarity


def pair_features(
    table: AccountTable, candidates: Candidates, promotions: list[PromotionLink] | None = None
) -> np.ndarray:
    """The feature matrix, one row per candidate pair, columns in FEATURE_NAMES order."""
    n = len(candidates)
    X = np.full((n, len(FEATURES)), MISSING, dtype=np.float32)
    if not n:
        return X
    parents, children = candidates.parent, candidates.child
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}

    promoted_near: dict[tuple[int, int], int] = {}
    promoted_any = np.zeros(len(table), dtype=np.int64)
    announced = np.zeros(len(table), dtype=np.int64)
    if promotions:
        close = _closeness(table)
        for link in promotions:
            if link.promoter == link.promoted:
                announced[link.promoted] += 1
                continue
            promoted_any[link.promoted] += 1
            for parent in close.get(link.promoter, ()):
                promoted_near[(parent, link.promoted)] = promoted_near.get((parent, link.promoted), 0) + 1

    name_counts = _accounts_with(table.name_keys)

    if table.followees:
        followee_weight = _rarity(table.followees)
        follower_weight = _rarity(table.followers)

    for i, (p, c) in enumerate(zip(parents.tolist(), children.tolist())):
        row = X[i]
        best = _best_handle(table, p, c)
        write_handle_relation(row, column, None if best is None else best[0])
        same, similarity = _name_similarity(table, p, c)
        row[column["name_same"]] = same
        row[column["name_similarity"]] = similarity
        row[column["names_known"]] = float(not math.isnan(same))
        if same == 1.0:
            row[column["name_sharers"]] = min(name_counts[key] for key in set(table.name_keys[p]) & set(table.name_keys[c]))
        bio_old, bio_new = table.bio_key[p], table.bio_key[c]
        if bio_old and bio_new:
            row[column["bio_similarity"]] = trigram_jaccard(bio_old, bio_new)
            row[column["bio_word_overlap"]] = _jaccard(frozenset(bio_old.split()), frozenset(bio_new.split()))
        row[column["bios_known"]] = float(bool(bio_old and bio_new))
        # the stock picture of accounts without one is no evidence: as if unknown
        avatars_old = [url for url in table.avatar_urls[p] if url and not is_default_avatar(url)]
        avatars_new = [url for url in table.avatar_urls[c] if url and not is_default_avatar(url)]
        distance = _avatar_distance(table.avatar_hashes[p], table.avatar_hashes[c])
        row[column["avatar_distance"]] = distance
        if avatars_old and avatars_new:
            same_url = bool(set(avatars_old) & set(avatars_new))
            row[column["same_avatar"]] = float(same_url or (not math.isnan(distance) and distance <= AVATAR_MATCH))
        if table.ended_at[p] != NO_TIME and table.appeared_at[c] != NO_TIME:
            hours = (table.appeared_at[c] - table.ended_at[p]) / 3600.0
            row[column["hours_after_end"]] = abs(hours)
            row[column["appeared_before_end"]] = float(hours < 0)
        if table.followees:
            shared, share = _overlap(table.followees[p], table.followees[c])
            row[column["followees_shared"]], row[column["followees_overlap"]] = shared, share
            shared, share = _overlap(table.followers[p], table.followers[c])
            row[column["followers_shared"]], row[column["followers_overlap"]] = shared, share
            row[column["followees_shared_rarity"]] = _shared_weight(table.followees[p], table.followees[c], followee_weight)
            row[column["followers_shared_rarity"]] = _shared_weight(table.followers[p], table.followers[c], follower_weight)
        shared, share = _overlap(table.interacts_with[p], table.interacts_with[c])
        row[column["contacts_shared"]], row[column["contacts_overlap"]] = shared, share
        if table.hashtags[p] and table.hashtags[c]:
            row[column["hashtags_overlap"]] = _jaccard(table.hashtags[p], table.hashtags[c])
        row[column["same_script"]] = float(table.script[p] == table.script[c] and table.script[p] not in ("none",))
        row[column["posts_compared"]] = math.log1p(min(table.posts[p], table.posts[c]))
        row[column["promoted_near_old"]] = promoted_near.get((p, c), 0)
        row[column["promoted_anywhere"]] = promoted_any[c]
        row[column["announced_self"]] = announced[c]
        row[column["sources"]] = bin(int(candidates.sources[i])).count("1")

    # Vectorised signals.
    has_text = (table.posts[parents] > 0) & (table.posts[children] > 0)
    if table.style is not None and table.style.shape[0]:
        style = np.asarray(table.style[parents].multiply(table.style[children]).sum(axis=1)).ravel()
        X[:, column["style_similarity"]] = np.where(has_text, style, MISSING)
    hours_old, hours_new = table.hour_profile[parents], table.hour_profile[children]
    norms = np.linalg.norm(hours_old, axis=1) * np.linalg.norm(hours_new, axis=1)
    cosine = np.divide((hours_old * hours_new).sum(axis=1), norms, out=np.zeros(n, dtype=np.float32), where=norms > 0)
    X[:, column["hours_similarity"]] = np.where(has_text, cosine, MISSING)
    if table.created_known is not None:
        X[:, column["appeared_at_creation"]] = table.created_known[children]
    recorded = np.array([MISSING if kind is None else float(kind != "silent") for kind in table.end_kind], dtype=np.float32)
    X[:, column["end_recorded"]] = recorded[parents]
    return X


def _closeness(table: AccountTable) -> dict[int, list[int]]:
    """Account row -> rows of accounts it is close to (follows, is followed by, talks to)."""
    by_id: dict[str, list[int]] = {}
    for row in range(len(table)):
        ended = table.ended_at[row] != NO_TIME
        if not ended:
            continue
        neighbours = set(table.interacts_with[row])
        if table.followers:
            neighbours |= table.followers[row] | table.followees[row]
        for neighbour in neighbours:
            by_id.setdefault(neighbour, []).append(row)
    close: dict[int, list[int]] = {}
    for (platform, account_id), row in table.row_of.items():
        parents = by_id.get(account_id)
        if parents:
            close[row] = parents
    return close


def describe(name: str, value: float) -> str:
    """A moderator's sentence for one feature value."""
    if isinstance(value, float) and math.isnan(value):
        return f"{name}: unknown"
    percent = lambda v: f"{v:.0%}"  # noqa: E731
    texts = {
        "handle_edit_similarity": lambda: f"handles are {percent(value)} alike",
        "handle_trigram_jaccard": lambda: f"handles share {percent(value)} of their letter-triples",
        "handle_same_skeleton": lambda: "handles look identical" if value else "handles look different",
        "handle_digit_change": lambda: f"only the number in the handle changed (by {int(value)})" if value else "no number change",
        "handle_affix": lambda: "handle is the old one plus or minus an affix" if value else "no affix relation",
        "handle_single_edit": lambda: "handle is one character away" if value else "handle is more than one character away",
        "name_same": lambda: "same display name" if value else "different display name",
        "name_similarity": lambda: f"display names are {percent(value)} alike",
        "bio_similarity": lambda: f"bios are {percent(value)} alike",
        "bio_word_overlap": lambda: f"bios share {percent(value)} of their words",
        "same_avatar": lambda: "same avatar picture" if value else "different avatar",
        "avatar_distance": lambda: f"avatar pictures {int(value)} bits apart of 256 (PDQ; 31 or less is the same picture)",
        "hours_after_end": lambda: f"appeared {value:,.1f} hours from the old account's end",
        "appeared_before_end": lambda: "appeared before the old account ended" if value else "appeared after the old account ended",
        "followees_shared": lambda: f"{int(value)} followees in common",
        "followees_overlap": lambda: f"{percent(value)} of its followees were followed by the old account",
        "followers_shared": lambda: f"{int(value)} of the old account's followers follow it",
        "followers_overlap": lambda: f"{percent(value)} of its followers followed the old account",
        "contacts_shared": lambda: f"{int(value)} accounts both mention or repost",
        "contacts_overlap": lambda: f"{percent(value)} of its contacts were the old account's contacts",
        "style_similarity": lambda: f"writing style {percent(value)} similar",
        "hashtags_overlap": lambda: f"{percent(value)} of hashtags in common",
        "hours_similarity": lambda: f"posting hours {percent(value)} similar",
        "same_script": lambda: "writes in the same script" if value else "writes in another script",
        "posts_compared": lambda: f"style compared over {int(round(math.expm1(value)))} posts",
        "promoted_near_old": lambda: f"promoted {int(value)} time(s) by accounts close to the old one" if value else "not promoted by the old account's circle",
        "promoted_anywhere": lambda: f"promoted {int(value)} time(s) in all",
        "announced_self": lambda: "announced itself as a returning account" if value else "no self-announcement",
        "followees_shared_rarity": lambda: f"the followees in common are rarely followed (rarity {value:.1f})",
        "followers_shared_rarity": lambda: f"the followers in common follow few others (rarity {value:.1f})",
        "appeared_at_creation": lambda: "appeared when it was created" if value else "appeared at its first post or sighting (creation time unknown)",
        "end_recorded": lambda: "the old account's end is recorded" if value else "the old account's end is presumed from its last post",
        "name_sharers": lambda: "only these two accounts bear this display name" if value <= 2 else f"{value:.0f} accounts bear this display name",
    }
    text = texts.get(name)
    return text() if text else f"{name} = {value:.3g}"


def candidate_sources(flags: int) -> list[str]:
    return [source.name.lower() for source in Source if flags & source]
