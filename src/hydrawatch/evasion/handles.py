"""How a returning account's handle relates to the one that was banned, in several views.

A suspended supporter "will create a new account, usually under a very similar name". The
similar names fall into a few kinds a moderator recognises at once, and each kind gets its own
test here, with words to say what it found:

* the same skeleton (``abu_x12`` -> ``abu_xl2``, ``ab0u`` -> ``abou``): look-alike characters;
* a number raised or lowered (``abu_x12`` -> ``abu_x13``, ``abuayisha102`` -> ``abuayisha108``);
* an affix added or removed (``abu_x12`` -> ``real_abu_x12``, ``abu_x12_back``, ``abu_x122``);
* a small edit (one character inserted, deleted, swapped);
* overall similarity of the skeletons (normalised edit distance, character-trigram Jaccard).

Every function is a pure function of two handles; none raises on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from hydrawatch.core.text import handle_skeleton, skeleton

#: Affixes returning accounts are known to add (English and transliterated Arabic).
KNOWN_AFFIXES = (
    "real", "the", "new", "back", "again", "official", "2", "3", "_2", "_3", "_new", "_back", "re", "true",
    "abu", "al", "el", "1", "0", "x", "_", "__",
)
_NUMBER = re.compile(r"\d+")


def _plain(handle: str) -> str:
    return skeleton((handle or "").lstrip("@"))


@dataclass(frozen=True, slots=True)
class HandleRelation:
    """Everything the handle views say about two handles (old, new)."""

    edit_similarity: float  # 1 - Levenshtein / longer length, on the plain (case/look-alike folded) form
    damerau_similarity: float
    trigram_jaccard: float  # on the handle skeletons
    same_skeleton: bool
    identical: bool
    digit_change: int | None  # new number - old number when only a number differs
    affix: str | None  # the affix added (or removed, prefixed with "-")
    single_edit: bool

    def describe(self, old: str, new: str) -> str:
        """One sentence for a moderator."""
        if self.identical:
            return f"@{new} is the same handle as @{old}"
        if self.digit_change is not None:
            verb = "raised" if self.digit_change > 0 else "lowered"
            return f"@{new} is @{old} with its number {verb} by {abs(self.digit_change)}"
        if self.same_skeleton:
            return f"@{new} looks the same as @{old} (look-alike characters swapped)"
        if self.affix:
            if self.affix.startswith("-"):
                return f"@{new} is @{old} with '{self.affix[1:]}' removed"
            return f"@{new} is @{old} with '{self.affix}' added"
        if self.single_edit and len(_plain(old)) == len(_plain(new)) and self.edit_similarity < 1.0 - 1.0 / max(len(_plain(old)), 1) - 1e-9:
            return f"@{new} is @{old} with two neighbouring characters swapped"
        if self.single_edit:
            return f"@{new} is @{old} with one character changed"
        return f"@{new} resembles @{old} ({self.edit_similarity:.0%} similar)"


def relate(old: str, new: str) -> HandleRelation:
    """Compare an old handle with a new one under every view."""
    return relate_many([old], new)[0]


def relate_many(olds: list[str], new: str) -> list[HandleRelation]:
    """``[relate(old, new) for old in olds]``, with the new handle's views computed once (the
    online matcher compares one new handle with a shortlist of old ones)."""
    b, sb = _plain(new), handle_skeleton(new or "")
    tb = trigrams(sb)
    relations = []
    for old in olds:
        a, sa = _plain(old), handle_skeleton(old or "")
        longer = max(len(a), len(b)) or 1
        damerau = DamerauLevenshtein.distance(a, b)
        ta = trigrams(sa)
        relations.append(HandleRelation(
            edit_similarity=1.0 - Levenshtein.distance(a, b) / longer,
            damerau_similarity=1.0 - damerau / longer,
            trigram_jaccard=len(ta & tb) / len(ta | tb) if ta and tb else 0.0,
            same_skeleton=bool(sa) and sa == sb,
            identical=bool(a) and a == b,
            digit_change=digit_change(a, b),
            affix=affix(a, b),
            single_edit=bool(a) and bool(b) and a != b and damerau == 1,
        ))
    return relations


def trigrams(text: str) -> set[str]:
    """Character trigrams of a string padded with boundary marks (so short strings have some)."""
    padded = f"^{text}$"
    if len(padded) < 3:
        return {padded} if text else set()
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_jaccard(a: str, b: str) -> float:
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def digit_change(a: str, b: str, max_change: int = 50) -> int | None:
    """``new - old`` when the two differ only in one number (``abu_x12`` -> ``abu_x13`` is +1);
    None otherwise or when the change is implausibly large."""
    if a == b:
        return None
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    if not na or len(na) != len(nb) or _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return None
    changed = [(x, y) for x, y in zip(na, nb) if x != y]
    if len(changed) != 1:
        return None
    old, new = int(changed[0][0]), int(changed[0][1])
    if old == new or abs(new - old) > max_change:
        return None
    return new - old


def affix(a: str, b: str, max_len: int = 6) -> str | None:
    """The short affix that turns one handle into the other: ``"real_"`` for
    ``abu`` -> ``real_abu``, ``"-_back"`` for ``abu_back`` -> ``abu``. None when the shorter
    handle is not a prefix or suffix of the longer, or the remainder is long."""
    if not a or not b or a == b:
        return None
    short, long_, removed = (a, b, False) if len(a) < len(b) else (b, a, True)
    if len(short) < 3 or len(long_) - len(short) > max_len:
        return None
    if long_.startswith(short):
        extra = long_[len(short) :]
    elif long_.endswith(short):
        extra = long_[: len(long_) - len(short)]
    else:
        return None
    return ("-" if removed else "") + extra
