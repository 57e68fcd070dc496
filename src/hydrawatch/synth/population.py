"""The accounts of the world: a growable column table, and the population that exists when
the window opens (every group, the network's planted cells and roles, per-person style).

A *person* is whoever is behind an account; returnees are new accounts of the same person.
Per-person style (language, posting hours, signature phrase, emoji, hashtags, bio, avatar
image) is stored per account because returnees inherit it with noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import vocabulary as vocab
from .clock import MS_PER_DAY, MS_PER_HOUR, TWITTER_EPOCH_MS
from .config import WorldConfig
from .handles import (
    HandleRegistry,
    arabic_identity,
    clip_name,
    english_identity,
    mutate_handle,
    network_display_name,
    news_identity,
    spam_identity,
)
from .kinds import (
    AFFIX,
    AMPLIFIER,
    ARABIC,
    COUNTER,
    DIGIT_INCREMENT,
    ENGLISH,
    FIGHTER,
    GROUPS,
    JOINED_INITIAL,
    JOINED_RECRUIT,
    JOINED_SIGNUP,
    LOOKALIKE,
    MEDIA,
    MIXED,
    NETWORK,
    NEVER_MS,
    NEWS,
    ORDINARY,
    PARODY,
    POLITICAL,
    PROVINCIAL,
    RECRUITER,
    RELIGIOUS,
    RESEARCHER,
    ROLES,
    SCRIPTURE,
    SHOUTOUT,
    SPAM,
    TYPO,
)
from .randomness import Dice, lower_token, mix64

_NUMERIC_COLUMNS: dict[str, tuple[type, object]] = {
    "person": (np.int32, -1),
    "group": (np.int8, ORDINARY),
    "role": (np.int8, -1),
    "community": (np.int32, -1),
    "language": (np.int8, ENGLISH),
    "created_ms": (np.int64, 0),
    "end_ms": (np.int64, NEVER_MS),
    "end_kind": (np.int8, 0),
    "generation": (np.int8, 0),
    "predecessor": (np.int32, -1),
    "mutation": (np.int8, -1),
    "region": (np.int16, 0),
    "outlet": (np.int32, -1),
    "rate": (np.float64, 1.0),
    "hour_peak": (np.float64, 12.0),
    "hour_spread": (np.float64, 3.0),
    "signature": (np.int16, 0),
    "signature_rate": (np.float64, 0.0),
    "emoji": (np.int16, 0),
    "tag": (np.int16, 0),
    "base_followers": (np.int32, 0),
    "base_following": (np.int32, 0),
    "base_tweets": (np.int32, 0),
    "listed": (np.int32, 0),
    "verified": (np.bool_, False),
    "image_key": (np.int64, 0),
    "mimics": (np.int32, -1),
    "protected_media": (np.bool_, False),
    "joined": (np.int8, JOINED_INITIAL),
}
_TEXT_COLUMNS = ("username", "display_name", "bio", "location", "profile_url", "avatar_url")

# Relative posting activity per group and per network role (an ordinary account is 1).
GROUP_ACTIVITY = {
    NETWORK: 6.0, NEWS: 25.0, RELIGIOUS: 3.0, POLITICAL: 3.0, COUNTER: 4.0, RESEARCHER: 0.4,
    LOOKALIKE: 1.0, PARODY: 3.0, SPAM: 8.0, ORDINARY: 1.0,
}
ROLE_ACTIVITY = {MEDIA: 0.5, SCRIPTURE: 0.9, PROVINCIAL: 0.9, AMPLIFIER: 1.7, SHOUTOUT: 1.0,
                 RECRUITER: 0.9, FIGHTER: 0.9}
ROLE_SHARES = (0.04, 0.1, 0.14, 0.36, 0.1, 0.1, 0.16)
# Median follower counts outside the collected graph, by group (the collection is partial).
_BASE_FOLLOWERS = {NETWORK: 300, NEWS: 20000, RELIGIOUS: 2000, POLITICAL: 800, COUNTER: 1500,
                   RESEARCHER: 1500, LOOKALIKE: 80, PARODY: 150, SPAM: 30, ORDINARY: 80}
DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
# Groups whose accounts keep signing up during the window (lookalikes and spam have their own
# stories: decoys appear after suspensions, spam returns).
SIGNUP_GROUPS = (ORDINARY, NEWS, RELIGIOUS, POLITICAL, COUNTER, RESEARCHER)


@dataclass
class AccountTable:
    """Column store of every account; grows as returnees and decoys are created.

    Numeric columns are numpy arrays with spare capacity; ``table.group`` (any column name as
    an attribute) is the view of the rows in use. Text columns are lists in ``texts``."""

    size: int = 0
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    person_root: list[int] = field(default_factory=list)

    @classmethod
    def with_capacity(cls, capacity: int) -> AccountTable:
        table = cls()
        for name, (dtype, default) in _NUMERIC_COLUMNS.items():
            table.columns[name] = np.full(capacity, default, dtype=dtype)
        for name in _TEXT_COLUMNS:
            table.texts[name] = []
        return table

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name][: self.__dict__["size"]]
        raise AttributeError(name)

    def _grow(self) -> None:
        for name, column in self.columns.items():
            dtype, default = _NUMERIC_COLUMNS[name]
            extra = np.full(max(column.size, 1024), default, dtype=dtype)
            self.columns[name] = np.concatenate([column, extra])

    def add(self, **values: object) -> int:
        """Append one account; unspecified numeric columns get their defaults."""
        if self.size >= self.columns["person"].size:
            self._grow()
        index = self.size
        self.size += 1
        for name in _TEXT_COLUMNS:
            self.texts[name].append(str(values.pop(name, "")))
        for name, value in values.items():
            self.columns[name][index] = value
        return index

    def copy_style(self, source: int) -> dict[str, object]:
        """The per-person columns a returnee inherits from ``source``."""
        names = ("person", "group", "role", "community", "language", "region", "outlet", "rate",
                 "hour_peak", "hour_spread", "signature", "signature_rate", "emoji", "tag",
                 "protected_media")
        return {name: self.columns[name][source].item() for name in names}

    def new_person(self, root_account: int) -> int:
        self.person_root.append(root_account)
        return len(self.person_root) - 1

    def text(self, name: str, index: int) -> str:
        return self.texts[name][index]


def group_family(group: int) -> str:
    """The vocabulary family of a group (lookalikes talk like ordinary users)."""
    name = GROUPS[group]
    return "ordinary" if name == "lookalike" else name


def outlet_name(outlet: int, arabic: bool) -> str:
    """Name of media outlet ``outlet``: "Qamar Bulletin", "نشرة قمر", "Qamar Bulletin Sarim"."""
    combos = len(vocab.OUTLET_FIRST) * len(vocab.OUTLET_SECOND)
    first = vocab.OUTLET_FIRST[outlet % len(vocab.OUTLET_FIRST)]
    # Vary the second word with the first so that a handful of outlets do not all share it;
    # (outlet % 10, outlet // 10) stays one-to-one for the first 80 outlets.
    second = vocab.OUTLET_SECOND[(outlet // len(vocab.OUTLET_FIRST) + 3 * (outlet % len(vocab.OUTLET_FIRST)))
                                 % len(vocab.OUTLET_SECOND)]
    name = f"{second[1]} {first[1]}" if arabic else f"{first[0]} {second[0]}"
    if outlet >= combos:
        region = vocab.REGIONS[(outlet // combos - 1) % len(vocab.REGIONS)]
        name += f" {region[1] if arabic else region[0]}"
    return name


def person_slug(table: AccountTable, person: int) -> str:
    """A stable lower-case name the person uses off-platform (channel names and the like)."""
    root = table.person_root[person]
    stem = "".join(ch for ch in table.texts["username"][root].lower() if ch.isalnum())[:10]
    return stem + lower_token(person * 7919 + 13, 3)


def telegram_url(table: AccountTable, person: int) -> str:
    return f"https://t.me/{person_slug(table, person)}"


def fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def compose_bio(table: AccountTable, account: int, dice: Dice, generation: int = 0) -> str:
    """A bio in the account's group voice and language."""
    group = int(table.columns["group"][account])
    role = int(table.columns["role"][account])
    arabic = _writes_arabic(int(table.columns["language"][account]), dice)
    family = "media" if group == NETWORK and role == MEDIA else group_family(group)
    templates = vocab.BIOS.get(family, vocab.BIOS["ordinary"])[1 if arabic else 0]
    region = vocab.REGIONS[int(table.columns["region"][account]) % len(vocab.REGIONS)][1 if arabic else 0]
    values = {
        "sig": signature_text(table, account, arabic),
        "region": region,
        "gen": str(generation + 1),
        "outlet": outlet_name(max(int(table.columns["outlet"][account]), 0), arabic),
        "newsname": vocab.NEWS_OUTLETS[max(int(table.columns["outlet"][account]), 0) % len(vocab.NEWS_OUTLETS)][1 if arabic else 0],
        "maxim": dice.pick(vocab.MAXIMS)[1 if arabic else 0],
        "city": dice.pick(vocab.CITIES)[1 if arabic else 0],
    }
    return fill(dice.pick(templates), values).strip()


def signature_text(table: AccountTable, account: int, arabic: bool) -> str:
    family = group_family(int(table.columns["group"][account]))
    pool = vocab.SIGNATURES.get(family, vocab.SIGNATURES["ordinary"])[1 if arabic else 0]
    return pool[int(table.columns["signature"][account]) % len(pool)]


def _writes_arabic(language: int, dice: Dice) -> bool:
    return language == ARABIC or (language == MIXED and dice.chance(0.5))


def avatar_url(created_ms: int, salt: int) -> str:
    """A profile image URL: a snowflake-like upload id and a random-looking name."""
    upload = ((max(created_ms, TWITTER_EPOCH_MS) - TWITTER_EPOCH_MS) << 22) | (mix64(salt) & 0x3FFFFF)
    return f"https://pbs.twimg.com/profile_images/{upload}/{lower_token(salt, 8)}_normal.jpg"


def build_population(config: WorldConfig, rng: np.random.Generator, registry: HandleRegistry,
                     dice: Dice) -> AccountTable:
    """The first account of every person: most exist when the window opens; sign-ups and
    network recruits (``joined``) are created at a uniform time during it (the lifecycle moves
    some recruits to just after a suspension in their cell)."""
    n = config.accounts
    table = AccountTable.with_capacity(int(n * 1.08) + 1024)
    start_ms = int(config.start.timestamp() * 1000)
    counts = _group_counts(config)
    groups = np.concatenate([np.full(count, group, dtype=np.int8) for group, count in counts])
    network = groups == NETWORK

    roles, communities, regions, languages, founding = _network_structure(config, rng)
    language = np.where(rng.random(n) < 0.55, ARABIC, np.where(rng.random(n) < 0.75, ENGLISH, MIXED))
    language[groups == SPAM] = np.where(rng.random((groups == SPAM).sum()) < 0.7, ENGLISH, ARABIC)
    language[network] = languages

    age_days = rng.uniform(10, 3 * 365 - 10, n)
    age_days[network] = np.minimum(rng.lognormal(np.log(70), 0.8, network.sum()), 3 * 365 - 10)
    created = start_ms - (age_days * MS_PER_DAY).astype(np.int64) - rng.integers(0, MS_PER_DAY, n)
    joined = np.full(n, JOINED_INITIAL, dtype=np.int8)
    joined[np.isin(groups, SIGNUP_GROUPS) & (rng.random(n) < config.signup_fraction)] = JOINED_SIGNUP
    joined[_recruits(config, rng, founding)] = JOINED_RECRUIT  # the network comes first in ``groups``
    new = joined != JOINED_INITIAL
    # Up to two hours before the end, so that every newcomer can be seen doing something.
    created[new] = start_ms + rng.integers(0, config.days * MS_PER_DAY - 2 * MS_PER_HOUR, int(new.sum()))

    activity = rng.lognormal(0.0, 0.8, n) * np.array([GROUP_ACTIVITY[g] for g in range(len(GROUPS))])[groups]
    activity[network] *= np.array([ROLE_ACTIVITY[r] for r in range(len(ROLES))])[roles]
    hour_peak = np.where(language == ENGLISH, rng.normal(15, 4, n), rng.normal(18.5, 2.5, n)) % 24
    base_followers = (rng.lognormal(0, 1.0, n) * np.array([_BASE_FOLLOWERS[g] for g in range(len(GROUPS))])[groups])
    base_followers[network] *= np.where(np.isin(roles, (MEDIA, SHOUTOUT)), 4.0, 1.0)

    columns = table.columns
    columns["group"][:n] = groups
    columns["person"][:n] = np.arange(n)
    columns["language"][:n] = language
    columns["created_ms"][:n] = created
    columns["rate"][:n] = activity
    columns["hour_peak"][:n] = hour_peak
    columns["hour_spread"][:n] = rng.uniform(1.5, 4.5, n)
    columns["signature"][:n] = rng.integers(0, 64, n)
    columns["signature_rate"][:n] = np.where(network, rng.uniform(0.15, 0.6, n), rng.uniform(0.0, 0.25, n))
    columns["emoji"][:n] = rng.integers(0, 64, n)
    columns["tag"][:n] = rng.integers(0, 64, n)
    columns["region"][:n] = rng.integers(0, len(vocab.REGIONS), n)
    columns["region"][:n][network] = regions
    columns["role"][:n][network] = roles
    columns["community"][:n][network] = communities
    base_following = rng.lognormal(np.log(120), 0.9, n)
    base_tweets = activity * age_days * rng.uniform(0.2, 1.5, n)
    # A new account starts from nothing: a few follows from outside the collection at most.
    base_followers[new] = rng.integers(0, 30, int(new.sum()))
    base_following[new] = rng.integers(0, 60, int(new.sum()))
    base_tweets[new] = 0
    columns["base_followers"][:n] = base_followers.astype(np.int32)
    columns["base_following"][:n] = base_following.astype(np.int32)
    columns["base_tweets"][:n] = base_tweets.astype(np.int32)
    columns["listed"][:n] = (base_followers * rng.uniform(0.0, 0.03, n)).astype(np.int32)
    columns["verified"][:n] = (groups == NEWS) & (rng.random(n) < 0.3) & ~new
    columns["joined"][:n] = joined
    columns["image_key"][:n] = np.where(rng.random(n) < np.where(network, 0.97, 0.8), np.arange(n) + 1, 0)
    media = np.flatnonzero(network)[roles == MEDIA]
    columns["outlet"][media] = np.arange(media.size)
    columns["protected_media"][media] = rng.random(media.size) < config.protected_media_fraction
    news = np.flatnonzero(groups == NEWS)
    columns["outlet"][news] = rng.integers(0, len(vocab.NEWS_OUTLETS), news.size)
    table.size = n

    network_handles: list[str] = []
    for account in range(n):
        group = int(groups[account])
        handle, name = _identity(table, account, group, dice, network_handles)
        if group == NETWORK and int(columns["role"][account]) != MEDIA:
            name = network_display_name(name, config.seed, account, config.distinctive_name_share)
        handle = registry.claim_close(handle)
        if group == NETWORK:
            network_handles.append(handle)
        table.texts["username"].append(handle)
        table.texts["display_name"].append(clip_name(name))
        table.person_root.append(account)
    for account in range(n):
        table.texts["bio"].append(compose_bio(table, account, dice))
        table.texts["location"].append(_location(table, account, dice))
        table.texts["avatar_url"].append(
            avatar_url(int(created[account]), account * 31 + 7) if columns["image_key"][account] else DEFAULT_AVATAR
        )
        table.texts["profile_url"].append(_profile_url(table, account, dice))
    return table


def _group_counts(config: WorldConfig) -> list[tuple[int, int]]:
    n = config.accounts
    minimum = {NEWS: 3, RELIGIOUS: 3, POLITICAL: 3, COUNTER: 3, RESEARCHER: 2, LOOKALIKE: 3, SPAM: 6}
    fractions = {NEWS: config.news_fraction, RELIGIOUS: config.religious_fraction,
                 POLITICAL: config.political_fraction, COUNTER: config.counter_fraction,
                 RESEARCHER: config.researcher_fraction, LOOKALIKE: config.lookalike_fraction,
                 SPAM: config.spam_fraction}
    counts = [(NETWORK, config.network)]
    for group, fraction in fractions.items():
        counts.append((group, max(minimum[group], round(fraction * n))))
    used = sum(count for _, count in counts)
    counts.append((ORDINARY, n - used))
    return counts


def _network_structure(config: WorldConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Roles, planted cells (communities), home regions and languages of the network persons,
    and which of them must exist from the start (``founding``: one of each role, each cell's
    first three members, among them its shoutout and amplifier, and every outlet)."""
    m = config.network
    sizes: list[int] = []
    while sum(sizes) < m:
        sizes.append(int(rng.integers(config.community_size_min, config.community_size_max + 1)))
    sizes[-1] -= sum(sizes) - m
    if sizes[-1] < config.community_size_min and len(sizes) > 1:
        smallest = sizes.pop()
        sizes[-1] += smallest
    communities = np.repeat(np.arange(len(sizes)), sizes).astype(np.int32)
    community_region = rng.integers(0, len(vocab.REGIONS), len(sizes))
    community_language = rng.choice([ARABIC, ENGLISH, MIXED], size=len(sizes), p=[0.6, 0.25, 0.15])
    roles = rng.choice(len(ROLES), size=m, p=np.array(ROLE_SHARES) / sum(ROLE_SHARES)).astype(np.int8)
    # Every role exists, and every cell has someone to promote and amplify its returnees.
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    roles[starts[starts + 1 < m] + 1] = SHOUTOUT
    roles[starts[starts + 2 < m] + 2] = AMPLIFIER
    roles[: len(ROLES)] = np.arange(len(ROLES))
    regions = np.where(rng.random(m) < 0.8, community_region[communities], rng.integers(0, len(vocab.REGIONS), m))
    languages = np.where(rng.random(m) < 0.75, community_language[communities], rng.choice([ARABIC, ENGLISH, MIXED], size=m))
    # Outlets publish for both audiences more often than individuals do.
    languages = np.where((roles == MEDIA) & (rng.random(m) < 0.5), MIXED, languages)
    founding = roles == MEDIA
    founding[: len(ROLES)] = True
    for offset in range(3):
        founding[starts[starts + offset < m] + offset] = True
    return roles, communities, regions.astype(np.int16), languages.astype(np.int8), founding


def _recruits(config: WorldConfig, rng: np.random.Generator, founding: np.ndarray) -> np.ndarray:
    """Network persons (indices into the network block) whose first account is created during
    the window; capped by the persons not needed from the start."""
    eligible = np.flatnonzero(~founding)
    count = min(round(config.recruit_fraction * founding.size), eligible.size)
    return np.sort(rng.choice(eligible, size=count, replace=False))


def _identity(table: AccountTable, account: int, group: int, dice: Dice,
              network_handles: list[str]) -> tuple[str, str]:
    language = int(table.columns["language"][account])
    if group == NEWS:
        return news_identity(dice, int(table.columns["outlet"][account]))
    if group == SPAM:
        return spam_identity(dice)
    if group == LOOKALIKE and network_handles:
        # Same naming habits as a network account, by chance: a near handle, own name.
        handle = mutate_handle(dice.pick(network_handles), dice.pick((DIGIT_INCREMENT, AFFIX, TYPO)), dice)
        _, name = arabic_identity(dice, 0.3, 0.5)
        return handle, name
    if group == NETWORK and int(table.columns["role"][account]) == MEDIA:
        outlet = int(table.columns["outlet"][account])
        arabic = language == ARABIC
        name = outlet_name(outlet, arabic)
        compact = "".join(part[:6] for part in outlet_name(outlet, False).split())
        return compact + str(dice.below(100)) if dice.chance(0.6) else compact, name
    if language == ENGLISH and not (group == NETWORK and dice.chance(0.5)):
        return english_identity(dice)
    kunya = 0.6 if group == NETWORK else 0.3
    digits = 0.8 if group == NETWORK else 0.5
    return arabic_identity(dice, kunya, digits)


def _location(table: AccountTable, account: int, dice: Dice) -> str:
    group = int(table.columns["group"][account])
    arabic = int(table.columns["language"][account]) == ARABIC
    if group == NETWORK:
        if int(table.columns["role"][account]) in (PROVINCIAL, FIGHTER) or dice.chance(0.4):
            return vocab.REGIONS[int(table.columns["region"][account])][1 if arabic else 0]
        return ""
    if group == NEWS or dice.chance(0.45):
        return dice.pick(vocab.CITIES)[1 if arabic else 0]
    return ""


def _profile_url(table: AccountTable, account: int, dice: Dice) -> str:
    group = int(table.columns["group"][account])
    if group == NETWORK:
        return telegram_url(table, int(table.columns["person"][account])) if dice.chance(0.2) else ""
    if group == NEWS:
        domain = vocab.NEWS_OUTLETS[int(table.columns["outlet"][account]) % len(vocab.NEWS_OUTLETS)][2]
        return f"https://www.{domain}/"
    if group == RESEARCHER:
        return f"https://research.example.edu/people/{table.texts['username'][account].lower()}"
    if group == ORDINARY and dice.chance(0.03):
        return f"https://{table.texts['username'][account].lower().replace('_', '')}.example.com/"
    return ""
