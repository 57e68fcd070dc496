"""Text normalisation that every matcher and classifier shares.

A banned account comes back under a name that *looks* the same to a person but differs byte for
byte: ``abu_x12`` returns as ``abu_x13``, ``аbu_x12`` (Cyrillic ``а``), ``abu\u200b_x12`` (a
zero-width space), ``ab0u_x12``; an Arabic display name returns with a different hamza seat or
with diacritics added. The functions here reduce such strings to keys that compare equal when a
reader would call them the same.

Which function to use
---------------------
=====================  =====================================================================
``normalize_text``     free text (posts, bios) before classifying or comparing; keeps accents,
                       word boundaries and every script; only removes what a reader cannot see
``skeleton``           any short string compared for *look-alikeness*: folds case, accents and
                       Cyrillic/Greek/... look-alikes of Latin letters (Unicode TR39 style)
``handle_skeleton``    platform handles (``@abu_x12``): skeleton plus digit/letter swaps, drops
                       ``_ . -``; deliberately lossy, a blocking key
``name_skeleton``      display names: skeleton without emoji, symbols and punctuation
``strip_invisible``    just remove zero-width, bidi and other invisible characters
``normalize_arabic``   just fold Arabic spelling variants, diacritics and digits
``script_of``          dominant script of a text: ``latin``, ``arabic``, ``cyrillic``, ``other``
                       or ``none``
=====================  =====================================================================

Guarantees, for every ``str`` (empty, huge, right-to-left, emoji-only, lone surrogates):

* no function raises;
* every normalising function is idempotent, ``f(f(s)) == f(s)``. Each runs its steps until the
  output stops changing, because removing a character can let its neighbours compose under
  Unicode normalisation (``a`` + ``\u0640`` + ``\u0301`` becomes ``á`` only once the tatweel is
  gone). In practice that costs one extra, verifying pass;
* outputs contain no lone surrogates (they become U+FFFD), so they can always be encoded as UTF-8
  and written to a store.

Outputs depend on the Unicode version of the running Python (normalisation and case folding).
Store :data:`NORMALIZATION_VERSION` next to any persisted key and recompute keys when it changes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from hydrawatch.core.confusables import (
    INVISIBLE_RANGES,
    LATIN_LOOKALIKES,
    LATIN_MULTI_LOOKALIKES,
)

__all__ = [
    "NORMALIZATION_VERSION",
    "handle_skeleton",
    "is_emoji_only",
    "name_skeleton",
    "normalize_arabic",
    "normalize_text",
    "script_counts",
    "script_of",
    "skeleton",
    "strip_invisible",
]

#: Version of these rules plus the Unicode version they run on. Bump the first part whenever a
#: table or step changes; persisted skeletons with another version must be recomputed.
NORMALIZATION_VERSION = f"1+unicode-{unicodedata.unidata_version}"

# Strings up to this length go through the LRU caches: handles and display names repeat a lot
# (every post carries its author's), free text does not and would only evict them.
_CACHE_MAX_LEN = 128
_CACHE_SIZE = 1 << 16
_MAX_ROUNDS = 8


def _until_stable(step: Callable[[str], str], s: str) -> str:
    """Apply ``step`` until the string stops changing; this makes every caller idempotent."""
    for _ in range(_MAX_ROUNDS):
        after = step(s)
        if after == s:
            return s
        s = after
    return s


def _ranges(*pairs: tuple[int, int]) -> list[int]:
    """Code points of inclusive ``(first, last)`` ranges."""
    return [cp for lo, hi in pairs for cp in range(lo, hi + 1)]


# --- invisible characters -------------------------------------------------------------------

# Control characters that are not whitespace (NUL, ESC, DEL, C1 controls) never render either;
# tab, newline and the other whitespace controls are kept for normalize_text to collapse.
_CONTROLS = [cp for cp in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if not chr(cp).isspace()]
_INVISIBLE_TABLE: dict[int, str | None] = dict.fromkeys(
    [*_ranges(*INVISIBLE_RANGES), *_CONTROLS], None
)
# Lone surrogates cannot be encoded as UTF-8; every function that produces a key replaces them.
_SURROGATE_TABLE: dict[int, str | None] = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")


def strip_invisible(s: str) -> str:
    """Remove characters that render as nothing.

    Removed: zero-width space/joiners (U+200B..U+200D), bidi marks, embeddings, overrides and
    isolates (U+200E/F, U+202A..U+202E, U+2066..U+2069, U+061C), word joiner and invisible
    operators (U+2060..U+2064), the BOM (U+FEFF), soft hyphen (U+00AD), Mongolian vowel separator
    (U+180E), variation selectors, tag characters, Hangul fillers, and every other
    *Default_Ignorable_Code_Point*; plus C0/C1 control characters other than whitespace.

    Why: each of these lets two handles or names that display identically differ in their bytes
    (``abu\\u200b_x12`` shows as ``abu_x12``), and bidi overrides can make a string *display*
    reversed. For matching we want what a reader sees.

    ZWJ and ZWNJ are removed too, even though they are meaningful inside emoji sequences
    (👨‍👩‍👧 falls apart into 👨👩👧) and Persian words: the visible letters and pictographs stay,
    which is what matters for comparing. Format characters that *do* render (Arabic number
    signs such as U+0600) are kept; see ``confusables.VISIBLE_FORMAT_RANGES``.
    """
    return s.translate(_INVISIBLE_TABLE)


# --- Arabic ---------------------------------------------------------------------------------

_ARABIC_LETTER_VARIANTS = {
    "ا": "أإآٱٲٳٵ",  # alef with hamza above/below, madda, wasla, wavy hamzas -> bare alef
    "ي": "ىئیېۍ",  # alef maksura, yeh with hamza, Farsi/Pashto yehs -> Arabic yeh
    "ه": "ةۃہەھۀۂ",  # teh marbuta and Urdu/Kurdish hehs -> heh
    "و": "ؤ",  # waw with hamza -> waw
    "ك": "کڪ",  # Persian keheh, swash kaf -> Arabic kaf
}
_ARABIC_MARKS = [
    *_ranges((0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED)),
    # Every other nonspacing mark of the Arabic blocks: honorific signs (U+0610..U+061A),
    # extended Quranic annotation (U+08D3..).
    *(
        cp
        for cp in _ranges((0x0610, 0x061A), (0x0898, 0x08FF))
        if unicodedata.category(chr(cp)) == "Mn"
    ),
    0x0640,  # tatweel: stretches a word for display only
]


def _arabic_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(_ARABIC_MARKS, None)
    for target, sources in _ARABIC_LETTER_VARIANTS.items():
        table.update((ord(c), target) for c in sources)
    table.update((0x0660 + d, str(d)) for d in range(10))  # Arabic-Indic digits
    table.update((0x06F0 + d, str(d)) for d in range(10))  # Eastern (Persian/Urdu) digits
    # Presentation forms (U+FB50..U+FDFF, U+FE70..U+FEFF) are glyph variants that NFKC folds;
    # folding them here too makes normalize_arabic complete on its own (ﺃﺑﻮ -> ابو).
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp):
            mapped = folded.translate(table).strip()
            table[cp] = mapped or None
    return table


_ARABIC_TABLE = _arabic_table()


def normalize_arabic(s: str) -> str:
    """Fold Arabic spelling variants that writers, keyboards and evaders use interchangeably.

    * alef variants ``أ إ آ ٱ ٲ ٳ ٵ`` -> ``ا``: hamza seats are often omitted or misplaced;
    * alef maksura ``ى`` -> ``ي`` and yeh with hamza ``ئ`` -> ``ي``: final yeh is written both
      ways, especially in Egypt;
    * teh marbuta ``ة`` -> ``ه``: both are written word-finally for the same word;
    * waw with hamza ``ؤ`` -> ``و``;
    * Persian/Urdu/Kurdish letter shapes ``ک ڪ`` -> ``ك``, ``ی ې ۍ`` -> ``ي``,
      ``ہ ە ھ ۀ ۂ ۃ`` -> ``ه``: the same letters typed on a non-Arabic keyboard;
    * harakat and Quranic marks (U+064B..U+065F, U+0670, U+06D6..U+06ED, and the other Arabic
      nonspacing marks) and tatweel ``ـ`` are removed: optional vocalisation and elongation do
      not change the word;
    * Arabic-Indic ``٠..٩`` and Eastern Arabic-Indic ``۰..۹`` digits -> ``0..9``;
    * presentation forms (isolated/initial/final glyphs, ligatures such as ``ﻻ``) -> letters.

    Non-Arabic text passes through unchanged. This is the folding used in Arabic information
    retrieval (Larkey et al.'s "light" normaliser, Lucene's ArabicNormalizer), without stemming.
    """
    return s.translate(_ARABIC_TABLE)


# --- free text ------------------------------------------------------------------------------

_TEXT_TABLE: dict[int, str | None] = {**_SURROGATE_TABLE, **_INVISIBLE_TABLE, **_ARABIC_TABLE}
_ASCII_CONTROL_TABLE = dict.fromkeys([cp for cp in _CONTROLS if cp < 0x80], None)


def _collapse_whitespace(s: str) -> str:
    return " ".join(s.split())


def _normalize_text_step(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    s = unicodedata.normalize("NFKC", s)  # case folding can un-normalise (NFKC_Casefold)
    return _collapse_whitespace(s.translate(_TEXT_TABLE))


def normalize_text(s: str) -> str:
    """Normalise free text (posts, bios) for comparing and classifying.

    Steps, and why:

    1. **NFKC**: one code point sequence per visible character, and compatibility variants
       folded: fullwidth ``ａｂｕ``, mathematical bold ``𝐚𝐛𝐮``, ligatures ``ﬁ``, Arabic
       presentation forms, superscripts, non-breaking spaces.
    2. **casefold**: case-insensitive comparison that also handles ``ß`` -> ``ss`` and Greek
       final sigma (``str.lower`` does not).
    3. :func:`strip_invisible`: zero-width and bidi characters.
    4. :func:`normalize_arabic`: Arabic spelling variants, diacritics and digits.
    5. **collapse whitespace**: any run of Unicode whitespace becomes one space; leading and
       trailing whitespace is dropped.

    Accents and scripts are kept (``café`` stays ``café``, Cyrillic stays Cyrillic): a classifier
    needs the words. Use :func:`skeleton` for look-alike matching.
    """
    if s.isascii():  # fast path: NFKC and the Arabic table are identities on ASCII
        return _collapse_whitespace(s.translate(_ASCII_CONTROL_TABLE).lower())
    return _until_stable(_normalize_text_step, s)


# --- skeletons ------------------------------------------------------------------------------

# Combining diacritics of the generic blocks, used by Latin, Greek and Cyrillic (é = e + U+0301,
# й = и + U+0306) and Hebrew points. Script-specific marks elsewhere (kana voicing marks,
# Devanagari vowel signs) change the letter rather than decorate it, so they stay.
_DIACRITICS = [
    cp
    for cp in _ranges(
        (0x0300, 0x036F), (0x0591, 0x05C7), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
        (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
    )  # fmt: skip
    if unicodedata.category(chr(cp)) in ("Mn", "Me")
]


def _skeleton_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {**_TEXT_TABLE, **dict.fromkeys(_DIACRITICS, None)}
    for latin, sources in LATIN_LOOKALIKES.items():
        table.update((ord(c), latin) for c in sources)
    table.update((ord(c), latin) for c, latin in LATIN_MULTI_LOOKALIKES.items())
    return table


_SKELETON_TABLE = _skeleton_table()


def _skeleton_step(s: str) -> str:
    # Look-alikes are mapped before NFKD as well, because NFKD turns a few of them into
    # something else (lunate sigma ϲ, which looks like c, decomposes to σ).
    s = unicodedata.normalize("NFKD", s.translate(_SKELETON_TABLE))
    # Map with case kept (В -> B), fold, then map again for what folding produced.
    s = s.translate(_SKELETON_TABLE).casefold().translate(_SKELETON_TABLE)
    return unicodedata.normalize("NFC", s)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _skeleton_cached(s: str) -> str:
    return _until_stable(_skeleton_step, s)


def skeleton(s: str) -> str:
    """Reduce a string to what it looks like, in the spirit of Unicode TR39 skeletons.

    Two strings with equal skeletons are visually confusable: ``skeleton("аbu") ==
    skeleton("abu")`` although the first ``а`` is Cyrillic. Steps, and why:

    1. **NFKD**: fold compatibility variants (fullwidth, mathematical alphanumerics, ligatures,
       presentation forms) and split accents from their letters.
    2. :func:`strip_invisible`: zero-width and bidi characters.
    3. **drop diacritics**: combining marks of the generic blocks (U+0300..U+036F and friends),
       so ``é``, ``ё`` and ``e`` agree; Hebrew points too.
    4. **map look-alikes to Latin**: Cyrillic ``а е о р с у х і ј ѕ ԁ һ ӏ``, Greek
       ``α ε ι κ ν ο ρ τ υ``, Armenian, Cherokee, Lisu and Latin small capitals or stroked
       letters (table and sources in :mod:`hydrawatch.core.confusables`). Capitals are mapped
       before case folding, so ``АВU`` (Cyrillic) matches ``ABU`` while lowercase Russian ``в``,
       which does not look like ``b``, stays Cyrillic.
    5. **casefold**.
    6. :func:`normalize_arabic`: Arabic is folded in its own script, never to Latin.
    7. **NFC**: recompose what is left (Hangul syllables, kana with voicing marks).

    Unlike TR39 the skeleton is case-insensitive and digits are left alone (see
    :func:`handle_skeleton`). Whitespace is kept as it is.
    """
    if s.isascii():
        # Every step is per character on ASCII and maps it to ASCII (NFKD and NFC change
        # nothing, no look-alike table entry is ASCII, casefold is lower): drop the controls
        # that are not whitespace, lower-case. Ten times faster than the general path.
        return s.translate(_ASCII_CONTROL_TABLE).lower()
    if len(s) <= _CACHE_MAX_LEN:
        return _skeleton_cached(s)
    return _until_stable(_skeleton_step, s)


# Digits and letters that stand in for each other in handles. 1, l and i (and I, by case
# folding) all collapse to l; separators and whitespace disappear.
_HANDLE_TABLE = {
    **str.maketrans("01i34578", "olleastb", "_.-"),
    **dict.fromkeys((cp for cp in range(0x3001) if chr(cp).isspace()), None),  # all whitespace
}
# Letter pairs that render like one letter in most UI fonts (TR39 lists m -> rn, w -> vv).
_HANDLE_DIGRAPHS = (("rn", "m"), ("vv", "w"))


def _handle_step(handle: str) -> str:
    s = skeleton(handle).translate(_HANDLE_TABLE).lstrip("@")
    for digraph, letter in _HANDLE_DIGRAPHS:
        s = s.replace(digraph, letter)
    return s


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _handle_skeleton_cached(handle: str) -> str:
    return _until_stable(_handle_step, handle)


def handle_skeleton(handle: str) -> str:
    """Blocking key for platform handles: ``@Abu_X12``, ``abu.x12``, ``аbu_xl2`` all agree.

    Steps: :func:`skeleton`; then the digit/letter swaps evaders use, ``0->o``, ``1->l``,
    ``i->l`` (so ``1``, ``l``, ``i`` and ``I`` collapse), ``3->e``, ``4->a``, ``5->s``, ``7->t``,
    ``8->b``; drop separators ``_ . -`` and whitespace; drop leading ``@``; and fold the
    letter pairs ``rn -> m`` and ``vv -> w``.

    This is deliberately lossy: ``abu_x1`` and ``abux_l`` get the same key, and so may two
    unrelated people. Use it to *find candidates* (blocking, indexing), then compare the original
    handles and other evidence before calling two accounts the same. It does not hide real
    differences such as ``abu_x12`` vs ``abu_x13``; edit distance on the keys handles those.
    """
    if handle.isascii():
        # One step is already stable on ASCII: its output is lower-case without digits,
        # separators or a leading @, and replacing rn and vv leaves neither behind.
        return _handle_step(handle)
    if len(handle) <= _CACHE_MAX_LEN:
        return _handle_skeleton_cached(handle)
    return _until_stable(_handle_step, handle)


_APOSTROPHES = "'`\u00b4\u2018\u2019\u02bc\u02bb"


class _LazyCharTable(dict[int, "int | str | None"]):
    """A ``str.translate`` table computed per character on first use.

    Tables over all 1.1 million code points would take a second to build at import; most texts
    use a few hundred distinct characters, and dict hits inside ``translate`` run at C speed.
    """

    def __init__(self, classify: Callable[[str], int | str | None]) -> None:
        super().__init__()
        self._classify = classify

    def __missing__(self, cp: int) -> int | str | None:
        value = self._classify(chr(cp))
        if len(self) < 300_000:  # bounded even for adversarial input
            self[cp] = value
        return value


def _name_char(ch: str) -> int | str | None:
    if ch in _APOSTROPHES:
        return None  # inside transliterated names (Mu'adh): dropping keeps the word whole
    if unicodedata.category(ch)[0] in "SP":
        return " "  # emoji and punctuation separate words (Abu.Bakr, Abu🦅Bakr)
    return ord(ch)


_NAME_TABLE = _LazyCharTable(_name_char)


def _name_step(display_name: str) -> str:
    return _collapse_whitespace(skeleton(display_name).translate(_NAME_TABLE))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _name_skeleton_cached(display_name: str) -> str:
    return _until_stable(_name_step, display_name)


def name_skeleton(display_name: str) -> str:
    """Comparison key for display names: ``"🔥 Abu   Bakr ☝️"`` -> ``"abu bakr"``.

    Steps: :func:`skeleton`; every symbol and punctuation character (Unicode categories S* and
    P*: emoji, flags, ``★``, ``|``, ``.``, ``-``, ``۞``) becomes a space, except apostrophes,
    which are dropped because they sit inside transliterated names (``Mu'adh``); whitespace is
    collapsed and stripped.

    Why: returning accounts keep the name but change the decoration (flags, emoji, brackets
    around a number), and ``Abu.Bakr`` / ``Abu-Bakr`` / ``Abu Bakr`` are one name. An emoji-only
    name yields ``""``: it has nothing to match on, see :func:`is_emoji_only`.
    """
    if len(display_name) <= _CACHE_MAX_LEN:
        return _name_skeleton_cached(display_name)
    return _until_stable(_name_step, display_name)


# --- scripts and emoji ----------------------------------------------------------------------

_SCRIPT_RANGES = {
    "latin": ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x250, 0x2AF), (0x1D00, 0x1DBF),
              (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F)),
    "arabic": ((0x600, 0x6FF), (0x750, 0x77F), (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
               (0x10E60, 0x10E7F), (0x1EE00, 0x1EEFF)),
    "cyrillic": ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F),
                 (0x1E030, 0x1E08F)),
}  # fmt: skip
_SCRIPT_CODES = {"latin": "L", "arabic": "A", "cyrillic": "C", "other": "O"}


def _script_char(ch: str) -> str | None:
    """One-letter script code of a letter, or None for anything that is not a letter."""
    base = unicodedata.normalize("NFKC", ch)[:1] or ch  # 𝐚 and ﻻ count as their base letter
    if not base.isalpha():
        return None  # digits, punctuation, emoji, marks are shared by all scripts
    cp = ord(base)
    for script, ranges in _SCRIPT_RANGES.items():
        if any(lo <= cp <= hi for lo, hi in ranges):
            return _SCRIPT_CODES[script]
    return "O"


_SCRIPT_TABLE = _LazyCharTable(_script_char)


def script_counts(s: str) -> dict[str, int]:
    """Count letters per script: ``{"latin": 3, "cyrillic": 1}``; scripts with none are left out.

    Only letters count; digits, punctuation, emoji and marks belong to no script. Fullwidth and
    mathematical letters count as Latin, Arabic presentation forms as Arabic. A handle or name
    with letters from two scripts (``раypal``) is itself a signal of a disguise (TR39 calls it
    mixed-script).
    """
    codes = s.translate(_SCRIPT_TABLE)
    counts = {script: codes.count(code) for script, code in _SCRIPT_CODES.items()}
    return {script: n for script, n in counts.items() if n}


def script_of(s: str) -> str:
    """Dominant script: ``"latin"``, ``"arabic"``, ``"cyrillic"``, ``"other"``, or ``"none"``.

    The script with the most letters wins; ties go to the first of latin, arabic, cyrillic,
    other. ``"none"`` means the text has no letters at all (empty, digits, emoji). Classifiers
    use it to pick the Arabic or English model; matchers to decide which normalisation matters.
    """
    counts = script_counts(s)
    if not counts:
        return "none"
    return max(_SCRIPT_CODES, key=lambda script: counts.get(script, 0))


_KEYCAP = re.compile("[0-9#*]\ufe0f?\u20e3")  # 1️⃣: a digit made into an emoji


def is_emoji_only(s: str) -> bool:
    """True if ``s`` shows only emoji or other pictographic symbols (and spaces).

    Such display names (``🦅🖤``, ``🇸🇦 ☝️``) give a name matcher nothing to compare, so callers
    skip or down-weight them. Counted as emoji: symbols of category So (pictographs, dingbats,
    flag letters), modifiers Sk (skin tones), combining enclosing marks and keycaps; invisible
    joiners and variation selectors are ignored. Python's ``unicodedata`` has no Emoji property,
    so ``★`` and ``©`` count too, while ``+`` (a math symbol) and ``$`` do not.
    """
    rest = _KEYCAP.sub("\u2b50", strip_invisible(s))  # any So stands in for a keycap
    has_symbol = False
    for ch in rest:
        category = unicodedata.category(ch)
        if category == "So":
            has_symbol = True
        elif category not in ("Sk", "Me", "Mn") and not ch.isspace():
            return False
    return has_symbol
