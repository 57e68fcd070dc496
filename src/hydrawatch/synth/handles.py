"""Handles and display names: fresh ones in the styles people really use, and the mutations a
returnee applies so that followers recognise the new account ("abu_x12" -> "abu_x13").

Handles obey Twitter's rules: ``[A-Za-z0-9_]``, 4 to 15 characters, unique case-insensitively.
:class:`HandleRegistry` guarantees uniqueness across the whole world (stricter than Twitter,
which only needs uniqueness among existing accounts), so a handle names one account forever.
"""

from __future__ import annotations

import random
import re

from hydrawatch.core.text import script_counts

from . import vocabulary as vocab
from .kinds import (
    AFFIX,
    CONFUSABLE,
    DIGIT_INCREMENT,
    NEW_HANDLE_NEW_NAME,
    NEW_HANDLE_SAME_NAME,
    TYPO,
)
from .randomness import Dice, lower_token, mix64

MAX_HANDLE = 15
MIN_HANDLE = 4
MAX_DISPLAY_NAME = 50
HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9_]{4,15}$")
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_HANDLE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"


def is_valid_handle(handle: str) -> bool:
    """True if Twitter would accept ``handle`` as a username."""
    return bool(HANDLE_PATTERN.match(handle))


def _fit(base: str, suffix: str = "", prefix: str = "") -> str:
    """``prefix + base + suffix`` cut to 15 characters by shortening ``base``."""
    room = MAX_HANDLE - len(prefix) - len(suffix)
    return prefix + base[: max(room, 1)] + suffix


def _digits(dice: Dice, probability: float) -> str:
    if not dice.chance(probability):
        return ""
    width = dice.pick((1, 2, 2, 3))
    return str(dice.below(10**width)).zfill(width if dice.chance(0.3) else 1)


def _region_slug(dice: Dice) -> tuple[str, str]:
    english, arabic = dice.pick(vocab.REGIONS)
    return english.lower().replace(" ", ""), arabic


def arabic_identity(dice: Dice, kunya_probability: float, digit_probability: float) -> tuple[str, str]:
    """A handle candidate and display name in the style of Arabic-speaking users; the network
    and ordinary Arabic users share these styles (so handle style alone proves nothing)."""
    female = dice.chance(0.15)
    latin, arabic = dice.pick(vocab.ARABIC_FEMALE if female else vocab.ARABIC_MALE)
    kunya_latin, kunya_arabic = ("umm", "أم") if female else ("abu", "أبو")
    kunya = dice.chance(kunya_probability)
    region, region_arabic = _region_slug(dice)
    digits = _digits(dice, digit_probability)
    style = dice.below(7)
    if kunya and style < 3:
        handle = _fit(latin, digits, kunya_latin + ("_" if style != 1 else ""))
    elif style == 3:
        handle = _fit(f"{latin}_{region}", digits)
    elif style == 4:
        handle = _fit(f"{dice.pick(vocab.HANDLE_WORDS)}_{latin}", digits)
    elif style == 5:
        handle = _fit(f"ibn_{latin}", digits)
    else:
        other_latin, _ = dice.pick(vocab.ARABIC_MALE)
        handle = _fit(latin + other_latin, digits)
    if kunya:
        name = f"{kunya_arabic} {dice.pick(vocab.ARABIC_MALE)[1]}" if dice.chance(0.5) else f"{kunya_arabic} {arabic}"
        if dice.chance(0.4) and " " not in region_arabic:
            name += f" ال{region_arabic}ي"
    else:
        name = arabic if dice.chance(0.5) else f"{arabic} {dice.pick(vocab.ARABIC_MALE)[1]}"
    if dice.chance(0.3):
        # Latin transliteration, as many Arabic-speaking users write their names.
        name = (f"{kunya_latin.title()} {latin.title()}" if kunya else f"{latin.title()} {dice.pick(vocab.ARABIC_MALE)[0].title()}")
    return handle, name


def nom_de_guerre(name: str, key: int, latin: bool) -> str:
    """A distinctive display name built on ``name`` (a kunya or given name): a nisba from an
    invented place and, for some, a mark of their own ("Abu Omar al-Qarnadi 🌿").

    Network members mostly write such names: in the real Kaggle collection of ~100 supporters,
    display names repeat only among one person's accounts, where plain kunyas drawn from a few
    dozen names would give a dozen chance namesakes per hundred people. The draws come from
    ``key`` (a stable hash) rather than the world's dice; later draws still depend on the name's
    letters (which ones a confusable returnee can swap), so a world made with these names is a
    new sample of the same design, not the old world renamed."""
    rng = random.Random(mix64(key))
    first = rng.randrange(len(vocab.NISBA_SYLLABLES))
    second = rng.randrange(len(vocab.NISBA_SYLLABLES))
    place_latin = vocab.NISBA_SYLLABLES[first][0] + vocab.NISBA_SYLLABLES[second][0]
    place_arabic = vocab.NISBA_SYLLABLES[first][1] + vocab.NISBA_SYLLABLES[second][1]
    named = f"{name} al-{place_latin.title()}i" if latin else f"{name} ال{place_arabic}ي"
    mark = rng.randrange(6)
    if mark == 0:
        named += " " + rng.choice(vocab.EMOJI["network"])
    elif mark == 1:
        named += f" {rng.randrange(10, 100)}"
    elif mark == 2:
        named = f"{rng.choice(vocab.EMOJI['network'])} {named}"
    return named


def network_display_name(name: str, seed: int, key: int, share: float) -> str:
    """``name`` as a network member writes it: a :func:`nom_de_guerre` for ``share`` of them
    (decided by a stable hash of the world's seed and ``key``), the plain name for the rest."""
    digest = mix64(mix64(seed) ^ key)
    if (digest >> 11) / float(1 << 53) >= share:
        return name
    return nom_de_guerre(name, digest, latin="arabic" not in script_counts(name))


def english_identity(dice: Dice) -> tuple[str, str]:
    first = dice.pick(vocab.ENGLISH_FIRST)
    last = dice.pick(vocab.ENGLISH_LAST)
    word = dice.pick(vocab.HANDLE_WORDS)
    style = dice.below(6)
    handle = (
        first + last,
        _fit(f"{first}_{last}", _digits(dice, 0.5)),
        _fit(word + first),
        _fit(first, _digits(dice, 1.0)),
        _fit("the" + word, _digits(dice, 0.7)),
        _fit(f"{first}_{word}"),
    )[style]
    name_style = dice.below(4)
    if name_style == 0:
        name = first.title()
    elif name_style == 1 and dice.chance(0.5):
        name = f"{first.title()} {last[0].upper()}."
    else:
        name = f"{first.title()} {last.title()}"
    if dice.chance(0.15):
        name += " " + dice.pick(vocab.EMOJI["ordinary"])
    return _fit(handle), name


def news_identity(dice: Dice, outlet: int) -> tuple[str, str]:
    english, arabic, _ = vocab.NEWS_OUTLETS[outlet % len(vocab.NEWS_OUTLETS)]
    compact = english.replace(" ", "").replace("-", "")
    if dice.chance(0.35):
        # The outlet's own account (or a regional edition of it).
        suffix = dice.pick(("", "_ar", "_en", "_live", "_world"))
        return _fit(compact, suffix), arabic if suffix == "_ar" else english
    first, last = dice.pick(vocab.ENGLISH_FIRST), dice.pick(vocab.ENGLISH_LAST)
    return _fit(first + last, "_news" if dice.chance(0.4) else ""), f"{first.title()} {last.title()} ({english})"


def spam_identity(dice: Dice) -> tuple[str, str]:
    handle = _fit(dice.pick(vocab.SPAM_WORDS) + dice.pick(vocab.HANDLE_WORDS), _digits(dice, 0.9))
    name = dice.pick(("Best Deals", "Free Gifts", "Promo Daily", "عروض اليوم", "Follow Boost"))
    return handle, f"{name} {dice.pick(vocab.EMOJI['spam'])}"


class HandleRegistry:
    """Hands out handles that no other account in the world has ever used."""

    def __init__(self, dice: Dice) -> None:
        self._dice = dice
        self._taken: set[str] = set()

    def __contains__(self, handle: str) -> bool:
        return handle.lower() in self._taken

    def claim(self, candidate: str) -> str | None:
        """``candidate`` if it is valid and free (and now taken), else None."""
        key = candidate.lower()
        if not is_valid_handle(candidate) or key in self._taken:
            return None
        self._taken.add(key)
        return candidate

    def claim_close(self, candidate: str) -> str:
        """``candidate`` or, if taken, a close variant with other trailing digits (what the
        sign-up page would suggest); falls back to a random tail."""
        if len(candidate) < MIN_HANDLE:
            candidate = candidate + "_" * (MIN_HANDLE - len(candidate))
        claimed = self.claim(candidate)
        if claimed:
            return claimed
        stem = _TRAILING_DIGITS.sub("", candidate) or candidate
        for width in (1, 2, 2, 3, 3, 4, 4, 5):
            claimed = self.claim(_fit(stem, str(self._dice.below(10**width))))
            if claimed:
                return claimed
        while True:
            claimed = self.claim(_fit(stem[:9], "_" + lower_token(int(self._dice.uniform() * 2**52), 5)))
            if claimed:
                return claimed

    def mutate(self, handle: str, mutation: int, fresh_candidate: str) -> str:
        """A free handle derived from ``handle`` by ``mutation``; ``fresh_candidate`` is used
        for the two ``new_handle_*`` kinds."""
        if mutation in (NEW_HANDLE_SAME_NAME, NEW_HANDLE_NEW_NAME):
            return self.claim_close(fresh_candidate)
        for _ in range(12):
            candidate = mutate_handle(handle, mutation, self._dice)
            if candidate.lower() != handle.lower():
                claimed = self.claim(candidate)
                if claimed:
                    return claimed
        # Everything near is taken: keep the shape of the mutation but append digits.
        return self.claim_close(mutate_handle(handle, mutation, self._dice))


def mutate_handle(handle: str, mutation: int, dice: Dice) -> str:
    """One candidate for ``handle`` changed by ``mutation`` (may be taken or unchanged; the
    registry retries)."""
    if mutation == DIGIT_INCREMENT:
        match = _TRAILING_DIGITS.search(handle)
        if match is None:
            return _fit(handle, "2")
        number = match.group(1)
        step = 1 if dice.chance(0.75) else 1 + dice.below(3)
        bumped = str(int(number) + step).zfill(len(number))
        return _fit(handle[: match.start()], bumped)
    if mutation == AFFIX:
        return _toggle_affix(handle, dice)
    if mutation == CONFUSABLE:
        positions = [i for i, char in enumerate(handle) if char.lower() in vocab.HANDLE_CONFUSABLES]
        if not positions:
            return _typo(handle, dice)
        characters = list(handle)
        for _ in range(1 if dice.chance(0.7) else 2):
            position = dice.pick(positions)
            characters[position] = vocab.HANDLE_CONFUSABLES[characters[position].lower()]
        return "".join(characters)
    if mutation == TYPO:
        return _typo(handle, dice)
    raise ValueError(f"mutate_handle does not make fresh handles (mutation {mutation})")


def _toggle_affix(handle: str, dice: Dice) -> str:
    lower = handle.lower()
    present = [affix for affix in vocab.AFFIXES if (lower.startswith(affix) if affix.endswith("_") else lower.endswith(affix))]
    if present and dice.chance(0.6):
        affix = present[0]
        stripped = handle[len(affix):] if affix.endswith("_") else handle[: -len(affix)]
        if len(stripped) >= MIN_HANDLE:
            return stripped
    # Prefer affixes that fit; a full handle first drops its number ("abu_x12" -> "abu_x_new").
    fitting = [affix for affix in vocab.AFFIXES if len(handle) + len(affix) <= MAX_HANDLE]
    if not fitting:
        handle = _TRAILING_DIGITS.sub("", handle) or handle
        fitting = [affix for affix in vocab.AFFIXES if len(handle) + len(affix) <= MAX_HANDLE] or ["2", "x"]
    affix = dice.pick(fitting)
    if affix.endswith("_"):
        return _fit(handle, prefix=affix)
    return _fit(handle, affix)


def _typo(handle: str, dice: Dice) -> str:
    kind = dice.below(3)
    position = dice.below(len(handle))
    if kind == 0 and len(handle) < MAX_HANDLE:
        return handle[:position] + dice.pick(_HANDLE_ALPHABET) + handle[position:]
    if kind == 1 and len(handle) > MIN_HANDLE:
        return handle[:position] + handle[position + 1 :]
    if len(handle) >= 2:
        position = min(position, len(handle) - 2)
        return handle[:position] + handle[position + 1] + handle[position] + handle[position + 2 :]
    return handle + "_"


def confusable_name(name: str, dice: Dice) -> str:
    """``name`` with one or two letters swapped for look-alikes (Cyrillic or Greek for Latin
    letters, regional variants for Arabic letters). Returns ``name`` if nothing can change."""
    positions = [i for i, char in enumerate(name) if char in vocab.NAME_CONFUSABLES]
    if not positions:
        return name
    characters = list(name)
    for _ in range(1 if dice.chance(0.6) else 2):
        position = dice.pick(positions)
        characters[position] = vocab.NAME_CONFUSABLES.get(characters[position], characters[position])
    return "".join(characters)


def clip_name(name: str) -> str:
    """Display names are at most 50 characters."""
    return name[:MAX_DISPLAY_NAME]
