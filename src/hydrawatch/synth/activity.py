"""What everyone posts, and when.

Regular posts follow each account's activity rate and posting hours over the time it is
publicly visible; their kind (original, retweet, quote, reply) depends on group and role,
and references are picked from recent posts of the right pool (network accounts mostly
retweet their own cell). On top come the network's coordinated behaviours: numbered releases
by media outlets (protected accounts flip public just before and back after), amplifier
bursts within minutes of each release, shoutout promotions of returnees within hours, the
returnee announcing itself, and recruiters answering outsiders' questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clock import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND
from .config import WorldConfig
from .kinds import (
    AMPLIFIER,
    ANSWER,
    ARCHIVE,
    CHAT_REPLY,
    COUNTER,
    COUNTER_REPLY,
    DIASPORA,
    FIGHTER,
    FRIENDICA,
    GENERAL,
    GROUPS,
    JOINED_RECRUIT,
    JUSTPASTE,
    LINK_COUNTER,
    LINK_GENERIC,
    LINK_NEWS,
    LINK_RESEARCH,
    LINK_SPAM,
    LOOKALIKE,
    MEDIA,
    MIGRATION,
    NETWORK,
    NEWS,
    NEWS_QUOTE,
    ORDINARY,
    ORIGINAL,
    PARODY,
    POLITICAL,
    PROMOTION,
    PROVINCIAL,
    QUESTION,
    QUOTE,
    RECRUITER,
    RELEASE,
    RELIGIOUS,
    REPLY,
    RESEARCHER,
    RETWEET,
    RETWEET_PURPOSE,
    ROLES,
    SCRIPTURE,
    SELF_ANNOUNCE,
    SHOUTOUT,
    SPAM,
    SPAM_PURPOSE,
    TEASER,
    TELEGRAM,
    VK,
)
from .lifecycle import Timeline
from .pools import PostBuffer, Posts, TimePool, Visibility
from .population import AccountTable
from .randomness import Dice

# Probability of (original, retweet, quote, reply) per network role, then per group.
_ROLE_KINDS = {
    MEDIA: (0.75, 0.15, 0.05, 0.05), SCRIPTURE: (0.8, 0.12, 0.0, 0.08), PROVINCIAL: (0.65, 0.25, 0.05, 0.05),
    AMPLIFIER: (0.15, 0.78, 0.02, 0.05), SHOUTOUT: (0.45, 0.45, 0.05, 0.05),
    RECRUITER: (0.55, 0.15, 0.0, 0.3), FIGHTER: (0.7, 0.22, 0.03, 0.05),
}
_GROUP_KINDS = {
    NETWORK: (0.6, 0.3, 0.05, 0.05), NEWS: (0.8, 0.04, 0.16, 0.0), RELIGIOUS: (0.72, 0.22, 0.0, 0.06),
    POLITICAL: (0.6, 0.3, 0.03, 0.07), COUNTER: (0.45, 0.1, 0.1, 0.35), RESEARCHER: (0.6, 0.25, 0.15, 0.0),
    LOOKALIKE: (0.7, 0.17, 0.02, 0.11), PARODY: (0.55, 0.0, 0.1, 0.35), SPAM: (0.9, 0.0, 0.0, 0.1),
    ORDINARY: (0.7, 0.17, 0.02, 0.11),
}
# Which pool each group takes references from: (retweet, quote, reply).
_POOL_OF = {
    NETWORK: ("network", "network", "network"), NEWS: ("news", "network", "news"),
    RELIGIOUS: ("religious", "religious", "religious"), POLITICAL: ("political", "news", "political"),
    COUNTER: ("counter", "network", "network"), RESEARCHER: ("news", "network", "news"),
    LOOKALIKE: ("ordinary", "ordinary", "ordinary"), PARODY: ("network", "network", "network"),
    SPAM: ("ordinary", "ordinary", "ordinary"), ORDINARY: ("ordinary", "news", "ordinary"),
}
_POOL_GROUPS = {
    "network": (NETWORK,), "news": (NEWS,), "religious": (RELIGIOUS,), "political": (POLITICAL,),
    "counter": (COUNTER, NEWS), "ordinary": (ORDINARY, LOOKALIKE),
}
_MAX_AGE_MS = {RETWEET: 3 * MS_PER_DAY, QUOTE: 4 * MS_PER_DAY, REPLY: 2 * MS_PER_DAY}


@dataclass
class Activity:
    """The schedule: posts sorted by time, and the releases they announce."""

    posts: Posts
    release_account: np.ndarray
    release_number: np.ndarray
    release_post: np.ndarray
    release_store: np.ndarray
    promoted_by: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class _Schedule:
    config: WorldConfig
    table: AccountTable
    timeline: Timeline
    rng: np.random.Generator
    dice: Dice
    start_ms: int = field(init=False, default=0)
    end_ms: int = field(init=False, default=0)
    buffer: PostBuffer = field(init=False, default_factory=PostBuffer)

    def __post_init__(self) -> None:
        self.start_ms = int(self.config.start.timestamp() * 1000)
        self.end_ms = self.start_ms + self.config.days * MS_PER_DAY


def build_activity(config: WorldConfig, table: AccountTable, timeline: Timeline,
                   rng: np.random.Generator, dice: Dice) -> Activity:
    schedule = _Schedule(config, table, timeline, rng, dice)
    release_times = _release_times(schedule)
    burst_plan = _protect_windows(schedule, release_times)
    visibility = Visibility(table, timeline, schedule.start_ms, schedule.end_ms)
    release_rows = _add_releases(schedule, release_times, burst_plan, visibility)
    regular_first, regular_count = _regular_posts(schedule, visibility)
    promotion_first, promotion_count = _promotions(schedule, visibility)
    _resolve_references(schedule, visibility, regular_first, regular_count)
    _retweet_promotions(schedule, visibility, promotion_first, promotion_count)
    _questions_and_answers(schedule, visibility)
    posts, row_of = schedule.buffer.sorted_posts()
    return _with_releases(table, posts, row_of, release_rows)


# --- releases and protected media -----------------------------------------------------------

def _release_times(schedule: _Schedule) -> dict[int, list[int]]:
    """Release times per media account (all generations), evenings preferred."""
    table, dice, config = schedule.table, schedule.dice, schedule.config
    media = np.flatnonzero((table.group == NETWORK) & (table.role == MEDIA))
    per_day = config.releases_per_media_per_week / 7.0
    releases: dict[int, list[int]] = {}
    for account in media.tolist():
        first = max(int(table.created_ms[account]), schedule.start_ms) + 2 * MS_PER_HOUR
        last = min(int(table.end_ms[account]), schedule.end_ms) - 3 * MS_PER_HOUR
        if last <= first:
            continue
        count = int(schedule.rng.poisson(per_day * (last - first) / MS_PER_DAY))
        times = []
        for _ in range(count):
            moment = int(dice.between(first, last))
            day = moment - (moment - schedule.start_ms) % MS_PER_DAY
            shaped = day + int(dice.between(16, 22) * MS_PER_HOUR)
            times.append(shaped if first <= shaped < last else moment)
        releases[account] = sorted(set(times))
    return releases


def _protect_windows(schedule: _Schedule, releases: dict[int, list[int]]) -> dict[int, int]:
    """Protected outlets go public minutes before each release and protected again hours
    later (after the amplifier burst). Returns, per release (account, time) key, the time the
    burst must finish by."""
    table, timeline, dice = schedule.table, schedule.timeline, schedule.dice
    must_finish: dict[int, int] = {}
    for account, times in releases.items():
        if not table.protected_media[account]:
            continue
        created = int(table.created_ms[account])
        ends = min(int(table.end_ms[account]), schedule.end_ms)
        hidden_from = max(created, schedule.start_ms)
        if table.generation[account] > 0:
            # A new outlet account starts public and locks itself within the hour.
            protect_at = created + int(dice.between(5, 60) * MS_PER_MINUTE)
            timeline.event(protect_at, "user_protect", account)
            timeline.change(account, protect_at, "protected", True, announce=False)
            hidden_from = protect_at
        windows: list[list[int]] = []
        for release in times:
            opens = max(release - int(dice.between(10, 90) * MS_PER_MINUTE), hidden_from + MS_PER_MINUTE)
            closes = release + int(dice.between(2, 12) * MS_PER_HOUR)
            if opens >= release:
                continue
            if windows and opens <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], closes)
            else:
                windows.append([opens, closes])
        cursor = hidden_from
        for opens, closes in windows:
            timeline.event(opens, "user_unprotect", account)
            timeline.change(account, opens, "protected", False, announce=False)
            timeline.hide(account, cursor, opens)
            if closes < ends:
                timeline.event(closes, "user_protect", account)
                timeline.change(account, closes, "protected", True, announce=False)
            cursor = closes
        if cursor < ends:
            timeline.hide(account, cursor, ends)
        for release in times:
            for opens, closes in windows:
                if opens <= release < closes:
                    must_finish[_release_key(account, release)] = closes - MS_PER_MINUTE
    return must_finish


def _release_key(account: int, release_ms: int) -> int:
    return account * (1 << 44) + release_ms - 1_000_000_000_000


def _add_releases(schedule: _Schedule, releases: dict[int, list[int]], must_finish: dict[int, int],
                  visibility: Visibility) -> list[tuple[int, int]]:
    """Release posts and the amplifier bursts right after them; returns (buffer index,
    account) per release."""
    table, dice, config = schedule.table, schedule.dice, schedule.config
    amplifiers = np.flatnonzero((table.group == NETWORK) & (table.role == AMPLIFIER)).tolist()
    others = np.flatnonzero((table.group == NETWORK) & np.isin(table.role, (SHOUTOUT, PROVINCIAL))).tolist()
    by_cell: dict[int, list[int]] = {}
    for amplifier in amplifiers:
        by_cell.setdefault(int(table.community[amplifier]), []).append(amplifier)
    rows: list[tuple[int, int]] = []
    for account in sorted(releases):
        for release in releases[account]:
            if not visibility.at(account, release):
                continue
            store = JUSTPASTE if dice.chance(0.6) else ARCHIVE
            first = schedule.buffer.add(time_ms=[release], author=[account], purpose=[RELEASE], link=[store],
                                        photo=[dice.chance(0.5)])
            rows.append((first, account))
            deadline = min(must_finish.get(_release_key(account, release), schedule.end_ms),
                           int(visibility.ends[account]))
            size = int(schedule.rng.poisson(config.amplifiers_per_release))
            cell = by_cell.get(int(table.community[account]), [])
            chosen: set[int] = set()
            times, authors = [], []
            for _ in range(size * 3):
                if len(chosen) >= size:
                    break
                roll = dice.uniform()
                pool = cell if roll < 0.6 and cell else (others if roll > 0.85 and others else amplifiers)
                if not pool:
                    break
                amplifier = dice.pick(pool)
                at = release + max(20 * MS_PER_SECOND, int(dice.exponential(config.burst_minutes * MS_PER_MINUTE)))
                if amplifier in chosen or at >= deadline or not visibility.at(amplifier, at):
                    continue
                chosen.add(amplifier)
                times.append(at)
                authors.append(amplifier)
            if times:
                schedule.buffer.add(time_ms=times, author=authors, kind=np.full(len(times), RETWEET),
                                    purpose=np.full(len(times), RETWEET_PURPOSE), ref=np.full(len(times), first))
    return rows


# --- regular posts ------------------------------------------------------------------------------

def _regular_posts(schedule: _Schedule, visibility: Visibility) -> tuple[int, int]:
    table, rng, config = schedule.table, schedule.rng, schedule.config
    lower = np.maximum(table.created_ms, schedule.start_ms)
    upper = np.minimum(table.end_ms, schedule.end_ms)
    span = np.maximum(upper - lower, 0)
    expected = table.rate * span / MS_PER_DAY
    scale = config.mean_posts_per_account * config.accounts / max(expected.sum(), 1e-9)
    counts = rng.poisson(expected * scale)
    authors = np.repeat(np.arange(table.size), counts)
    times = lower[authors] + (rng.random(authors.size) * span[authors]).astype(np.int64)
    # Move each post to the author's usual hour of that day when that stays in range.
    day_start = times - (times - schedule.start_ms) % MS_PER_DAY
    hour = (table.hour_peak[authors] + table.hour_spread[authors] * rng.standard_normal(authors.size)) % 24
    shaped = day_start + (hour * MS_PER_HOUR).astype(np.int64)
    times = np.where((shaped >= lower[authors]) & (shaped < upper[authors]), shaped, times)
    keep = visibility.mask(authors, times)
    authors, times = authors[keep], times[keep]

    groups = table.group[authors]
    roles = table.role[authors]
    row = np.where(groups == NETWORK, roles, len(ROLES) + groups)
    kind_table = np.array([_ROLE_KINDS[r] for r in range(len(ROLES))] + [_GROUP_KINDS[g] for g in range(len(GROUPS))])
    cumulative = np.cumsum(kind_table, axis=1)
    kinds = (rng.random(authors.size)[:, None] >= cumulative[row][:, :3]).sum(axis=1).astype(np.int8)
    purposes, links, photos = _purposes(schedule, authors, times, kinds)
    first = schedule.buffer.add(time_ms=times, author=authors, kind=kinds, purpose=purposes, link=links, photo=photos)
    return first, int(authors.size)


def _purposes(schedule: _Schedule, authors: np.ndarray, times: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, ...]:
    table, rng = schedule.table, schedule.rng
    groups = table.group[authors]
    roles = table.role[authors]
    n = authors.size
    roll = rng.random(n)
    original = kinds == ORIGINAL
    network = groups == NETWORK
    purposes = np.full(n, GENERAL, dtype=np.int8)
    links = np.full(n, -1, dtype=np.int8)

    migration = original & network & (roll < np.where(roles == MEDIA, 0.15, 0.1))
    purposes[migration] = MIGRATION
    links[migration] = _migration_platforms(schedule, times[migration])
    purposes[original & network & (roles == MEDIA) & ~migration] = TEASER
    spam = groups == SPAM
    purposes[spam & (original | (kinds == REPLY))] = SPAM_PURPOSE
    links[spam & (original | (kinds == REPLY))] = LINK_SPAM
    for group, link, share in ((NEWS, LINK_NEWS, 1.0), (RESEARCHER, LINK_RESEARCH, 0.6), (COUNTER, LINK_COUNTER, 0.3),
                               (POLITICAL, LINK_NEWS, 0.1), (ORDINARY, LINK_GENERIC, 0.04),
                               (RELIGIOUS, LINK_GENERIC, 0.03)):
        links[original & (groups == group) & (roll < share)] = link
    purposes[kinds == RETWEET] = RETWEET_PURPOSE
    quoting = kinds == QUOTE
    purposes[quoting & np.isin(groups, (NEWS, RESEARCHER, COUNTER))] = NEWS_QUOTE
    replying = (kinds == REPLY) & ~spam
    purposes[replying] = CHAT_REPLY
    purposes[replying & np.isin(groups, (COUNTER, PARODY))] = COUNTER_REPLY
    photo_share = np.where(network & np.isin(roles, (FIGHTER, PROVINCIAL)), 0.35,
                           np.where(network, 0.1, np.where(groups == NEWS, 0.3, 0.08)))
    photos = original & (rng.random(n) < photo_share) & (links < 0)
    return purposes, links, photos


def _migration_platforms(schedule: _Schedule, times: np.ndarray) -> np.ndarray:
    """Telegram's share of migration links grows over the window; the rest is split between
    Diaspora, Friendica and VK."""
    config, rng = schedule.config, schedule.rng
    progress = (times - schedule.start_ms) / (config.days * MS_PER_DAY)
    telegram_share = config.telegram_share_start + (config.telegram_share_end - config.telegram_share_start) * progress
    roll = rng.random(times.size)
    rest = rng.choice([DIASPORA, FRIENDICA, VK], size=times.size, p=[0.35, 0.25, 0.4])
    platforms = np.where(roll < telegram_share, TELEGRAM, rest).astype(np.int8)
    platforms[:4] = (TELEGRAM, DIASPORA, FRIENDICA, VK)[: min(4, times.size)]
    return platforms


def _resolve_references(schedule: _Schedule, visibility: Visibility, first: int, count: int) -> None:
    """Pick the post each retweet, quote and reply points at; posts without a valid target
    (nothing recent, author gone, self-reference, repeated retweet) become originals."""
    table, rng, buffer = schedule.table, schedule.rng, schedule.buffer
    times = buffer.column("time_ms")
    authors = buffer.column("author")
    kinds = buffer.column("kind")
    purposes = buffer.column("purpose")
    links = buffer.column("link")
    refs = buffer.column("ref")
    originals = np.flatnonzero(kinds == ORIGINAL)
    original_groups = table.group[authors[originals]]
    pools: dict[str, TimePool] = {}
    for name, groups in _POOL_GROUPS.items():
        members = originals[np.isin(original_groups, groups)]
        keys = table.community[authors[members]] + 1 if name == "network" else None
        pools[name] = TimePool(members, times[members], keys, schedule.start_ms)
    pools["network_all"] = TimePool(originals[original_groups == NETWORK], times[originals[original_groups == NETWORK]],
                                    None, schedule.start_ms)
    regular = np.arange(first, first + count)
    for kind_index, kind in enumerate((RETWEET, QUOTE, REPLY)):
        wanted = regular[kinds[regular] == kind]
        for group, pool_names in _POOL_OF.items():
            chosen = wanted[table.group[authors[wanted]] == group]
            if chosen.size == 0:
                continue
            pool_name = pool_names[kind_index]
            if pool_name == "network":
                own_cell = rng.random(chosen.size) < (0.7 if group == NETWORK else 0.0)
                keys = np.where(own_cell, table.community[authors[chosen]] + 1, 0)
                picked = pools["network"].pick(times[chosen], keys, _MAX_AGE_MS[kind], rng)
                fallback = picked < 0
                picked[fallback] = pools["network_all"].pick(times[chosen[fallback]], None, _MAX_AGE_MS[kind], rng)
            elif pool_name == "ordinary":
                picked = _popular_pick(pools["ordinary"], table, authors, times[chosen], _MAX_AGE_MS[kind], rng)
            else:
                picked = pools[pool_name].pick(times[chosen], None, _MAX_AGE_MS[kind], rng)
            refs[chosen] = picked
    targets = refs[regular]
    valid = targets >= 0
    safe = np.maximum(targets, 0)
    valid &= authors[safe] != authors[regular]
    valid &= visibility.mask(authors[safe], times[regular])
    retweet_key = np.where(valid & (kinds[regular] == RETWEET), authors[regular] * (1 << 34) + safe, -1)
    _, first_seen = np.unique(retweet_key, return_index=True)
    duplicate = np.ones(regular.size, dtype=bool)
    duplicate[first_seen] = False
    valid &= ~(duplicate & (retweet_key >= 0))
    invalid = regular[(kinds[regular] != ORIGINAL) & ~valid]
    refs[invalid] = -1
    kinds[invalid] = ORIGINAL
    purposes[invalid] = np.where(table.group[authors[invalid]] == SPAM, SPAM_PURPOSE, GENERAL)
    links[invalid] = np.where(table.group[authors[invalid]] == SPAM, LINK_SPAM, -1)
    for name, values in (("kind", kinds), ("purpose", purposes), ("ref", refs), ("link", links)):
        buffer.replace_column(name, values)


def _popular_pick(pool: TimePool, table: AccountTable, authors: np.ndarray, times: np.ndarray, max_age: int,
                  rng: np.random.Generator) -> np.ndarray:
    """Two candidates, keep the one whose author has more followers: popular posts get more
    retweets without a full preferential-attachment model."""
    first = pool.pick(times, None, max_age, rng, bias=1.5)
    second = pool.pick(times, None, max_age, rng, bias=1.5)
    first_reach = np.where(first >= 0, table.base_followers[authors[np.maximum(first, 0)]], -1)
    second_reach = np.where(second >= 0, table.base_followers[authors[np.maximum(second, 0)]], -1)
    return np.where(second_reach > first_reach, second, first)


# --- promotions, announcements, questions -----------------------------------------------------

def _promotions(schedule: _Schedule, visibility: Visibility) -> tuple[int, int]:
    """Shoutout accounts promote each network returnee within hours of its return, and some
    recruits within hours of their arrival; about half of the returnees also announce
    themselves."""
    table, dice, config = schedule.table, schedule.dice, schedule.config
    shoutouts = np.flatnonzero((table.group == NETWORK) & (table.role == SHOUTOUT)).tolist()
    by_cell: dict[int, list[int]] = {}
    for account in shoutouts:
        by_cell.setdefault(int(table.community[account]), []).append(account)
    returnees = np.flatnonzero((table.group == NETWORK) & (table.generation > 0))
    recruits = np.flatnonzero((table.group == NETWORK) & (table.joined == JOINED_RECRUIT))
    recruits = recruits[schedule.rng.random(recruits.size) < config.recruit_promotion_probability]
    promoted = np.concatenate([returnees, recruits])
    times, authors, targets, purposes = [], [], [], []
    for newcomer in promoted[np.argsort(table.created_ms[promoted], kind="stable")].tolist():
        created = int(table.created_ms[newcomer])
        count = int(schedule.rng.poisson(config.promotions_per_return))
        if count == 0 and dice.chance(0.7):
            count = 1
        cell = by_cell.get(int(table.community[newcomer]), [])
        done = 0
        for _ in range(count * 4):
            if done >= count or not shoutouts:
                break
            promoter = dice.pick(cell) if cell and dice.chance(0.5) else dice.pick(shoutouts)
            at = created + max(5 * MS_PER_MINUTE, int(dice.exponential(3 * MS_PER_HOUR)))
            if promoter == newcomer or not visibility.at(promoter, at) or not visibility.at(newcomer, at):
                continue
            times.append(at)
            authors.append(promoter)
            targets.append(newcomer)
            purposes.append(PROMOTION)
            done += 1
        if table.generation[newcomer] > 0 and dice.chance(config.self_announce_probability):
            at = created + max(2 * MS_PER_MINUTE, int(dice.exponential(MS_PER_HOUR)))
            if visibility.at(newcomer, at):
                times.append(at)
                authors.append(newcomer)
                targets.append(-1)
                purposes.append(SELF_ANNOUNCE)
    if not times:
        return schedule.buffer.size, 0
    first = schedule.buffer.add(time_ms=times, author=authors, target=targets, purpose=purposes)
    return first, len(times)


def _retweet_promotions(schedule: _Schedule, visibility: Visibility, first: int, count: int) -> None:
    table, dice, buffer = schedule.table, schedule.dice, schedule.buffer
    amplifiers = np.flatnonzero((table.group == NETWORK) & (table.role == AMPLIFIER)).tolist()
    if count == 0 or not amplifiers:
        return
    promo_times = buffer.column("time_ms")[first : first + count].tolist()
    promo_purposes = buffer.column("purpose")[first : first + count].tolist()
    promoters = buffer.column("author")[first : first + count].tolist()
    times, authors, refs = [], [], []
    for offset, (at, purpose, promoter) in enumerate(zip(promo_times, promo_purposes, promoters, strict=True)):
        if purpose != PROMOTION or not dice.chance(0.3):
            continue
        for _ in range(1 + dice.below(3)):
            amplifier = dice.pick(amplifiers)
            when = at + max(MS_PER_SECOND * 30, int(dice.exponential(20 * MS_PER_MINUTE)))
            if visibility.at(amplifier, when) and visibility.at(promoter, when):
                times.append(when)
                authors.append(amplifier)
                refs.append(first + offset)
    if times:
        # One retweet per (amplifier, promotion).
        unique = sorted({(a, r): t for t, a, r in zip(times, authors, refs, strict=True)}.items())
        buffer.add(time_ms=[t for _, t in unique], author=[a for (a, _), _ in unique],
                   ref=[r for (_, r), _ in unique], kind=[RETWEET] * len(unique),
                   purpose=[RETWEET_PURPOSE] * len(unique))


def _questions_and_answers(schedule: _Schedule, visibility: Visibility) -> None:
    """Outsiders reply to recruiters with questions; recruiters answer within hours."""
    table, dice, rng, buffer = schedule.table, schedule.dice, schedule.rng, schedule.buffer
    authors = buffer.column("author")
    kinds = buffer.column("kind")
    times = buffer.column("time_ms")
    recruiter_posts = np.flatnonzero((kinds == ORIGINAL) & (table.group[authors] == NETWORK)
                                     & (table.role[authors] == RECRUITER))
    recruiter_posts = recruiter_posts[rng.random(recruiter_posts.size) < 0.25]
    ordinary = np.flatnonzero(table.group == ORDINARY)
    curious = rng.choice(ordinary, size=max(10, ordinary.size // 100), replace=False)
    question_times, askers, asked, answer_delays = [], [], [], []
    for post in recruiter_posts.tolist():
        asker = int(curious[dice.below(curious.size)])
        at = int(times[post]) + max(MS_PER_MINUTE, int(dice.exponential(2 * MS_PER_HOUR)))
        if visibility.at(asker, at) and visibility.at(int(authors[post]), at):
            question_times.append(at)
            askers.append(asker)
            asked.append(post)
            answer_delays.append(max(MS_PER_MINUTE, int(dice.exponential(1.5 * MS_PER_HOUR))))
    if not question_times:
        return
    first = buffer.add(time_ms=question_times, author=askers, kind=[REPLY] * len(askers),
                       purpose=[QUESTION] * len(askers), ref=asked)
    answer_times, answerers, answered = [], [], []
    for offset, (at, post, delay) in enumerate(zip(question_times, asked, answer_delays, strict=True)):
        recruiter = int(authors[post])
        if dice.chance(0.85) and visibility.at(recruiter, at + delay) and visibility.at(askers[offset], at + delay):
            answer_times.append(at + delay)
            answerers.append(recruiter)
            answered.append(first + offset)
    if answer_times:
        buffer.add(time_ms=answer_times, author=answerers, kind=[REPLY] * len(answerers),
                   purpose=[ANSWER] * len(answerers), ref=answered)


def _with_releases(table: AccountTable, posts: Posts, row_of: np.ndarray,
                   release_rows: list[tuple[int, int]]) -> Activity:
    """Number each outlet's releases in time order (numbering continues across the outlet's
    successive accounts) and collect who promoted whom."""
    rows = np.array([row_of[buffer_index] for buffer_index, _ in release_rows], dtype=np.int64)
    accounts = np.array([account for _, account in release_rows], dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    rows, accounts = rows[order], accounts[order]
    numbers = np.zeros(rows.size, dtype=np.int64)
    next_number: dict[int, int] = {}
    for position, account in enumerate(accounts.tolist()):
        outlet = int(table.outlet[account])
        next_number[outlet] = next_number.get(outlet, 11 + outlet % 7) + 1
        numbers[position] = next_number[outlet]
    posts.release[rows] = np.arange(rows.size)
    promoted_by: dict[int, list[int]] = {}
    for row in np.flatnonzero(posts.purpose == PROMOTION).tolist():
        promoted_by.setdefault(int(posts.target[row]), []).append(int(posts.author[row]))
    return Activity(posts, accounts, numbers, rows, posts.link[rows].copy(), promoted_by)
