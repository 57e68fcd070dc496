"""Post text with its entities, as the Twitter API v2 reports them.

Templates from :mod:`hydrawatch.synth.vocabulary` are filled slot by slot; slots that are
entities (links, hashtags, mentions) record their ``start``/``end`` offsets in code points of
the final text, which is how the API counts. Links are wrapped in t.co URLs; some go through
an invented shortener first (recorded so out-link resolution can be tested). Retweets,
replies and quotes get the API's shapes: ``RT @user: ...`` (cut at 140 characters), a leading
``@parent``, a trailing quoted-tweet URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import vocabulary as vocab
from .clock import iso_ms
from .config import WorldConfig
from .kinds import (
    ANSWER,
    ARCHIVE,
    CHAT_REPLY,
    COUNTER_REPLY,
    DIASPORA,
    FRIENDICA,
    JUSTPASTE,
    LINK_COUNTER,
    LINK_GENERIC,
    LINK_NEWS,
    LINK_RESEARCH,
    LINK_SPAM,
    MIGRATION,
    MIXED,
    NETWORK,
    NEWS,
    NEWS_QUOTE,
    PARODY,
    PLATFORMS,
    PROMOTION,
    QUESTION,
    RELEASE,
    ROLES,
    SELF_ANNOUNCE,
    SHOUTOUT,
    SPAM_PURPOSE,
    TEASER,
    TELEGRAM,
    VK,
    ARABIC,
)
from .population import AccountTable, group_family, outlet_name, person_slug
from .randomness import Dice, lower_token, mix64, token

RETWEET_LIMIT = 140
_SLOT = re.compile(r"\{(\w+)\}")
_NON_WORD_SLOTS = frozenset({"link", "tag", "emoji", "mention", "num", "gen"})
DIASPORA_PODS = ("diaspora.example-pod.org", "pod.example-diaspora.net", "joindiaspora.example.com")
FRIENDICA_NODES = ("friendica.example-node.net", "social.example-friendica.org")
SHORTENERS = ("shrt.example", "tinylnk.example", "qk.example")
SPAM_SITES = ("best-deals.example", "free-gifts.example", "followers-fast.example")
GENERIC_SITES = ("www.youtube.example/watch?v=", "blog.example.com/post/", "photos.example.net/p/")


def _parse(template: str) -> tuple[tuple[tuple[bool, str], ...], bool]:
    tokens: list[tuple[bool, str]] = []
    last = 0
    for match in _SLOT.finditer(template):
        if match.start() > last:
            tokens.append((False, template[last : match.start()]))
        tokens.append((True, match.group(1)))
        last = match.end()
    if last < len(template):
        tokens.append((False, template[last:]))
    has_words = any((not slot and any(ch.isalpha() for ch in value)) or (slot and value not in _NON_WORD_SLOTS)
                    for slot, value in tokens)
    return tuple(tokens), has_words


_PARSED = {(family, language): tuple(_parse(template) for template in templates[language])
           for family, templates in vocab.TEMPLATES.items() for language in (0, 1)}


# Template families chosen by purpose alone; the others depend on group and role.
_PURPOSE_FAMILY = {RELEASE: "release", TEASER: "media", MIGRATION: "migration", PROMOTION: "promotion",
                   SELF_ANNOUNCE: "self_announce", QUESTION: "question", ANSWER: "answer",
                   NEWS_QUOTE: "news_quote", SPAM_PURPOSE: "spam"}


def display_url(url: str) -> str:
    """The shortened form the API shows: no scheme, no ``www.``, cut at 26 characters."""
    shown = url.split("://", 1)[-1]
    shown = shown[4:] if shown.startswith("www.") else shown
    return shown if len(shown) <= 26 else shown[:26] + "…"


def tco(value: int) -> str:
    return "https://t.co/" + token(value, 10)


@dataclass
class Composed:
    text: str
    entities: dict[str, list[dict[str, object]]] | None
    lang: str


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    length: int = 0
    mentions: list[dict[str, object]] = field(default_factory=list)
    hashtags: list[dict[str, object]] = field(default_factory=list)
    urls: list[dict[str, object]] = field(default_factory=list)

    def add(self, text: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return start, self.length

    def trim_trailing_space(self) -> None:
        while self.parts and self.parts[-1].endswith(" "):
            self.parts[-1] = self.parts[-1][:-1]
            self.length -= 1

    def url(self, short: str, expanded: str, **extra: object) -> None:
        start, end = self.add(short)
        self.urls.append({"start": start, "end": end, "url": short, "expanded_url": expanded,
                          "display_url": display_url(expanded), **extra})

    def result(self, lang: str) -> Composed:
        self.trim_trailing_space()
        entities: dict[str, list[dict[str, object]]] = {}
        if self.urls:
            entities["urls"] = self.urls
        if self.hashtags:
            entities["hashtags"] = self.hashtags
        if self.mentions:
            entities["mentions"] = self.mentions
        return Composed("".join(self.parts), entities or None, lang)


class Composer:
    """Writes the text of each post. Draws come from ``dice`` in post order, so the same
    world always gets the same texts."""

    def __init__(self, config: WorldConfig, table: AccountTable, dice: Dice, outlet_count: int,
                 account_ids: list[str], handle_at: Callable[[int, int], str]) -> None:
        self.config = config
        self.table = table
        self.dice = dice
        self.outlet_count = max(outlet_count, 1)
        self.account_ids = account_ids
        self.handle_at = handle_at
        self.shortlinks: dict[str, str] = {}
        self.migrations: dict[tuple[int, int, int, str], None] = {}
        self.mentioned: set[int] = set()
        self._group = table.group.tolist()
        self._role = table.role.tolist()
        self._language = table.language.tolist()
        self._region = table.region.tolist()
        self._outlet = table.outlet.tolist()
        self._person = table.person.tolist()
        self._generation = table.generation.tolist()
        self._emoji = table.emoji.tolist()
        self._tag = table.tag.tolist()
        self._signature = table.signature.tolist()
        self._signature_rate = table.signature_rate.tolist()

    # --- public shapes -----------------------------------------------------------------------

    def original(self, post_id: int, when: int, author: int, purpose: int, link: int, release_number: int,
                 target: int, photo_handle: str | None) -> Composed:
        builder, lang = self._body(post_id, when, author, purpose, link, release_number, target)
        if photo_handle is not None:
            builder.trim_trailing_space()
            builder.add(" ")
            builder.url(tco(post_id * 8 + 7), f"https://twitter.com/{photo_handle}/status/{post_id}/photo/1",
                        media_key=f"3_{post_id}")
            builder.urls[-1]["display_url"] = "pic.twitter.com/" + token(post_id, 10)
        return builder.result(lang)

    def reply(self, post_id: int, when: int, author: int, purpose: int, link: int, parent_author: int,
              parent_handle: str) -> Composed:
        prefix = _Builder()
        start, end = prefix.add("@" + parent_handle)
        prefix.mentions.append({"start": start, "end": end, "username": parent_handle,
                                "id": self.account_ids[parent_author]})
        self.mentioned.add(parent_author)
        prefix.add(" ")
        builder, lang = self._body(post_id, when, author, purpose, link, -1, -1, prefix)
        return builder.result(lang)

    def quote(self, post_id: int, when: int, author: int, purpose: int, quoted_id: int, quoted_handle: str) -> Composed:
        builder, lang = self._body(post_id, when, author, purpose, -1, -1, -1)
        builder.trim_trailing_space()
        builder.add(" ")
        builder.url(tco(post_id * 8 + 6), f"https://twitter.com/{quoted_handle}/status/{quoted_id}")
        return builder.result(lang)

    def retweet(self, original_text: str, original_entities: dict | None, original_lang: str,
                original_author: int, original_handle: str) -> Composed:
        prefix = f"RT @{original_handle}: "
        full = prefix + original_text
        shift = len(prefix)
        text = full if len(full) <= RETWEET_LIMIT else full[: RETWEET_LIMIT - 1] + "…"
        limit = len(text) if len(full) <= RETWEET_LIMIT else RETWEET_LIMIT - 1
        entities: dict[str, list[dict[str, object]]] = {}
        mentions = [{"start": 3, "end": 4 + len(original_handle), "username": original_handle,
                     "id": self.account_ids[original_author]}]
        self.mentioned.add(original_author)
        for name, items in (original_entities or {}).items():
            shifted = [{**item, "start": item["start"] + shift, "end": item["end"] + shift}
                       for item in items if item["end"] + shift <= limit]
            if name == "mentions":
                mentions.extend(shifted)
            elif shifted:
                entities[name] = shifted
        entities["mentions"] = mentions
        return Composed(text, entities, original_lang)

    # --- the body of a post ------------------------------------------------------------------

    def _body(self, post_id: int, when: int, author: int, purpose: int, link: int, release_number: int,
              target: int, builder: _Builder | None = None) -> tuple[_Builder, str]:
        dice = self.dice
        builder = builder or _Builder()
        arabic = self._writes_arabic(author)
        family = self._family(author, purpose)
        if purpose == PROMOTION and self._generation[target] == 0:
            family = "welcome"
        tokens, has_words = dice.pick(_PARSED[(family, 1 if arabic else 0)])
        values = _SlotValues(self, author, arabic, release_number, when)
        link_used = False
        for is_slot, value in tokens:
            if not is_slot:
                builder.add(value)
            elif value == "link":
                if link >= 0:
                    self._add_link(builder, post_id, when, author, link, release_number)
                    link_used = True
                else:
                    builder.trim_trailing_space()
            elif value == "tag":
                tag = values.hashtag(family)
                start, end = builder.add("#" + tag)
                builder.hashtags.append({"start": start, "end": end, "tag": tag})
            elif value == "mention":
                handle = self.handle_at(target, when)
                start, end = builder.add("@" + handle)
                builder.mentions.append({"start": start, "end": end, "username": handle, "id": self.account_ids[target]})
                self.mentioned.add(target)
            else:
                builder.add(values.text(value))
        if link >= 0 and not link_used:
            builder.trim_trailing_space()
            builder.add(" ")
            self._add_link(builder, post_id, when, author, link, release_number)
        if dice.uniform() < self._signature_rate[author] and purpose not in (RELEASE, MIGRATION):
            builder.trim_trailing_space()
            builder.add(" " + values.signature())
        return builder, ("ar" if arabic else "en") if has_words else "und"

    def _writes_arabic(self, author: int) -> bool:
        language = self._language[author]
        return language == ARABIC or (language == MIXED and self.dice.chance(0.5))

    def _family(self, author: int, purpose: int) -> str:
        group = self._group[author]
        if purpose in _PURPOSE_FAMILY:
            return _PURPOSE_FAMILY[purpose]
        if purpose == COUNTER_REPLY:
            return "parody_reply" if group == PARODY else "counter_reply"
        if purpose == CHAT_REPLY:
            return "network_chat" if group == NETWORK else "ordinary_reply"
        if group == NETWORK:
            return ROLES[self._role[author]]
        if group == NEWS:
            return "news_org" if self.dice.chance(0.45) else "news_general"
        family = group_family(group)
        return family if family in vocab.TEMPLATES else "ordinary"

    # --- links -------------------------------------------------------------------------------

    def _add_link(self, builder: _Builder, post_id: int, when: int, author: int, link: int, release_number: int) -> None:
        expanded = self._destination_url(post_id, when, author, link, release_number)
        shortened = self.dice.chance(0.8 if link == LINK_SPAM else self.config.shortener_share)
        if shortened:
            short = f"https://{SHORTENERS[mix64(post_id) % len(SHORTENERS)]}/{token(post_id * 5 + 3, 7)}"
            self.shortlinks[short] = expanded
            expanded = short
        builder.url(tco(post_id * 8 + 1), expanded)

    def _destination_url(self, post_id: int, when: int, author: int, link: int, release_number: int) -> str:
        dice = self.dice
        if link < len(PLATFORMS):
            person = self._person[author]
            if link in (JUSTPASTE, ARCHIVE):
                url = release_url(self._outlet[author], release_number, link)
            else:
                url = platform_url(self.table, person, link, dice.chance(0.3))
            self.migrations[(person, author, link, normalise_destination(url))] = None
            return url
        if link == LINK_NEWS:
            domain = vocab.NEWS_OUTLETS[mix64(author) % len(vocab.NEWS_OUTLETS)][2]
            day = iso_ms(when)
            return (f"https://www.{domain}/{dice.pick(vocab.NEWS_SECTIONS)}/{day[:4]}/{day[5:7]}/"
                    f"{lower_token(post_id, 8)}-{post_id % 100000}")
        if link == LINK_SPAM:
            return f"http://{dice.pick(SPAM_SITES)}/{lower_token(post_id, 6)}"
        if link == LINK_RESEARCH:
            return f"https://research.example.edu/papers/{lower_token(post_id, 6)}"
        if link == LINK_COUNTER:
            return f"https://realstories.example.org/story/{post_id % 997}"
        if link == LINK_GENERIC:
            return f"https://{dice.pick(GENERIC_SITES)}{token(post_id, 11)}"
        raise ValueError(f"unknown link kind {link}")


class _SlotValues:
    """Values of the plain-text slots for one post."""

    def __init__(self, composer: Composer, author: int, arabic: bool, release_number: int, when: int) -> None:
        self.composer = composer
        self.author = author
        self.language = 1 if arabic else 0
        self.release_number = release_number
        self.when = when

    def text(self, slot: str) -> str:
        composer, dice, language = self.composer, self.composer.dice, self.language
        author = self.author
        if slot == "org":
            return dice.pick(vocab.ORG_SHORT[language])
        if slot == "outlet":
            own = composer._outlet[author]
            outlet = own if own >= 0 and composer._group[author] == NETWORK else dice.below(composer.outlet_count)
            return outlet_name(outlet, bool(language))
        if slot == "region":
            return self._region()
        if slot == "num":
            return str(self.release_number if self.release_number >= 0 else 2 + dice.below(60))
        if slot == "title":
            outlet = max(composer._outlet[author], 0)
            number = self.release_number if self.release_number >= 0 else dice.below(100)
            title = vocab.RELEASE_TITLES[(number * 7 + outlet) % len(vocab.RELEASE_TITLES)][language]
            return title.replace("{region}", self._region())
        if slot == "maxim":
            return dice.pick(vocab.MAXIMS)[language]
        if slot == "event":
            return dice.pick(vocab.LOCAL_EVENTS)[language].replace("{region}", dice.pick(vocab.REGIONS)[language])
        if slot == "live":
            return dice.pick(vocab.LIVE_REPORTS)[language]
        if slot == "emoji":
            pool = vocab.EMOJI.get(self._family(), vocab.EMOJI["ordinary"])
            return pool[composer._emoji[author] % len(pool)] if dice.chance(0.7) else dice.pick(pool)
        if slot == "gen":
            return str(composer._generation[author] + 1)
        if slot == "city":
            return dice.pick(vocab.CITIES)[language]
        if slot == "team":
            return dice.pick(vocab.TEAMS)[language]
        if slot == "food":
            return dice.pick(vocab.FOODS)[language]
        if slot == "newsname":
            return dice.pick(vocab.NEWS_OUTLETS)[language]
        raise KeyError(f"template slot {{{slot}}} has no filler")

    def _family(self) -> str:
        return group_family(self.composer._group[self.author])

    def _region(self) -> str:
        composer = self.composer
        if composer._group[self.author] == NETWORK and composer.dice.chance(0.8):
            return vocab.REGIONS[composer._region[self.author]][self.language]
        return composer.dice.pick(vocab.REGIONS)[self.language]

    def hashtag(self, family: str) -> str:
        composer, dice = self.composer, self.composer.dice
        group = composer._group[self.author]
        if family in ("promotion", "welcome") or (group == NETWORK and composer._role[self.author] == SHOUTOUT and dice.chance(0.5)):
            pool = vocab.HASHTAGS["shoutout"][self.language]
        else:
            pool = vocab.HASHTAGS.get(self._family(), vocab.HASHTAGS["ordinary"])[self.language]
            if group == NETWORK and dice.chance(0.2):
                return self._region().replace(" ", "_")
        return pool[composer._tag[self.author] % len(pool)] if dice.chance(0.6) else dice.pick(pool)

    def signature(self) -> str:
        composer = self.composer
        pools = vocab.SIGNATURES.get(self._family(), vocab.SIGNATURES["ordinary"])
        pool = pools[self.language]
        return pool[composer._signature[self.author] % len(pool)]


def platform_url(table: AccountTable, person: int, platform: int, alternate: bool) -> str:
    """The person's address on a migration platform (stable across their accounts)."""
    slug = person_slug(table, person)
    if platform == TELEGRAM:
        return f"https://{'telegram.me' if alternate else 't.me'}/{slug}"
    if platform == DIASPORA:
        return f"https://{DIASPORA_PODS[mix64(person) % len(DIASPORA_PODS)]}/u/{slug}"
    if platform == FRIENDICA:
        return f"https://{FRIENDICA_NODES[mix64(person + 1) % len(FRIENDICA_NODES)]}/profile/{slug}"
    if platform == VK:
        return f"https://vk.com/{slug}"
    raise ValueError(f"not a migration platform: {platform}")


def release_url(outlet: int, number: int, store: int) -> str:
    """Where an outlet's release ``number`` is stored."""
    if store == JUSTPASTE:
        return f"https://justpaste.it/{lower_token(outlet * 100003 + number, 5)}"
    slug = "".join(ch for ch in outlet_name(outlet, False).lower() if ch.isalnum())
    return f"https://archive.org/details/{slug}-{number:03d}"


def normalise_destination(url: str) -> str:
    """``t.me/x`` for ``https://telegram.me/x`` and the like: scheme and ``www.`` dropped,
    Telegram's two domains folded into one."""
    bare = url.split("://", 1)[-1]
    bare = bare[4:] if bare.startswith("www.") else bare
    if bare.startswith("telegram.me/"):
        bare = "t.me/" + bare[len("telegram.me/"):]
    return bare.rstrip("/")
