"""Data tables for :mod:`hydrawatch.core.text`: Latin look-alikes and invisible characters.

Kept apart from the code so that the tables can be read and reviewed on their own. Nothing here
runs at import time beyond building two small dicts; :mod:`hydrawatch.core.text` turns them into
``str.translate`` tables.

Where the look-alikes come from
-------------------------------
The Unicode Consortium's ``confusables.txt`` (UTS #39, "Unicode Security Mechanisms",
https://www.unicode.org/Public/security/latest/confusables.txt) maps every character to a
prototype that looks the same. Most of its ~6,000 lines are irrelevant here: they are handled by
NFKC already (fullwidth and mathematical letters, ligatures, Roman numerals), or map between
non-Latin scripts, or map to punctuation. We keep, by hand, the entries whose prototype is a
single Latin letter and whose source is a letter of a script that evasion actually uses:
Cyrillic, Greek, Armenian, Cherokee, Lisu, plus Latin small capitals and barred or stroked Latin
letters that have no canonical decomposition (``ø``, ``ł``, ``đ``, ``ħ``).

Deliberate departures from confusables.txt:

* Case is kept. confusables.txt maps capital Cyrillic ``В`` to Latin ``B`` but leaves lowercase
  ``в`` alone (it does not look like ``b``). We map before case-folding so that ``АВU`` and
  ``ABU`` match while the common lowercase Russian ``в`` stays Cyrillic.
* Targets are letters only. Digit prototypes (``З`` -> ``3``, ``б`` -> ``6``) are left out of the
  general skeleton; digit/letter swaps belong to :func:`hydrawatch.core.text.handle_skeleton`.
* ``I`` and ``l`` are not merged here (confusables.txt maps ``I`` -> ``l``): the general skeleton
  case-folds, so ``I`` becomes ``i``. ``handle_skeleton`` collapses ``1``/``l``/``i`` afterwards.
* Arabic and Hebrew letters are never mapped to Latin (confusables.txt has ``ا`` -> ``l`` and
  ``ه`` -> ``o``): they are scripts our users' data is written in, not disguises, and mapping
  them would make Arabic names collide with Latin strings.
* Greek small epsilon and kappa (``ε`` -> ``e``, ``κ`` -> ``k``) are added: confusables.txt maps
  them to IPA letters, but in handles and display names they stand in for Latin.

Because skeletons case-fold, a lowercase entry also catches the capital that folds to it
(``Σ`` -> ``σ`` -> ``o``). That over-merges a few capitals that do not look Latin. A skeleton is
a blocking key, not a verdict, so the extra collisions are cheap; missing a real disguise is not.
"""

from __future__ import annotations

#: Latin letter -> the characters that render like it. Sources are listed by script in the
#: order Cyrillic, Greek, Armenian, Cherokee, Lisu, Latin extensions.
LATIN_LOOKALIKES: dict[str, str] = {
    "A": "АΑᎪꓮ",
    "B": "ВΒᏴꓐꞴ",
    "C": "СϹᏟꓚ",
    "D": "ᎠꓓĐÐ",
    "E": "ЕΕᎬꓰ",
    "F": "Ϝꓝ",
    "G": "ԌᏀᏳꓖ",
    "H": "НΗᎻꓧĦ",
    "I": "ІΙꓲ",
    "J": "ЈͿᎫꓙ",
    "K": "КΚᏦꓗ",
    "L": "ᏞꓡŁ",
    "M": "МΜϺᎷꓟ",
    "N": "Νꓠ",
    "O": "ОΟՕꓳØ",
    "P": "РΡᏢꓑ",
    "Q": "Ԛ",
    "R": "ᎡᏒꓣ",
    "S": "ЅՏᏚᏕꓢ",
    "T": "ТΤᎢꓔŦ",
    "U": "Սꓴ",
    "V": "ѴᏙꓦ",
    "W": "ԜᏔᎳꓪ",
    "X": "ХΧꓫ",
    "Y": "УΥҮϒᎩᎽꓬ",
    "Z": "ΖᏃꓜ",
    "a": "аαɑ",
    "b": "ЬᏏƀ",
    "c": "сϲᴄ",
    "d": "ԁᏧꓒđð",
    "e": "еҽε",
    "f": "ք",
    "g": "ցɡ",
    "h": "һհᏂħ",
    "i": "іιɩɪıᎥɨ",
    "j": "јϳȷ",
    "k": "κ",
    "l": "Ӏӏł",
    "n": "ոռ",
    "o": "оοօσᴏø",
    "p": "рρϱ",
    "q": "ԛգզ",
    "r": "гᴦ",
    "s": "ѕꜱ",
    "t": "τŧ",
    "u": "υսᴜʉ",
    "v": "νѵᴠ",
    "w": "ԝѡաᴡ",
    "x": "х",
    "y": "уүγʏ",
    "z": "ᴢ",
}

#: Letters that look like two Latin letters. NFKC already splits ligatures such as ``ﬁ`` and
#: ``ĳ``; these have no compatibility decomposition.
LATIN_MULTI_LOOKALIKES: dict[str, str] = {
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ӕ": "AE",
    "ӕ": "ae",
}

#: Code point ranges (inclusive) that render as nothing: the Default_Ignorable_Code_Point
#: property of Unicode (DerivedCoreProperties.txt, stable since Unicode 6), plus the
#: interlinear annotation controls U+FFF9..U+FFFB, which are format characters that only delimit
#: ruby text. The ranges include reserved code points so that a character assigned later in
#: these blocks is already handled.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers: blank "letters" used for blank names
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors (VS16 turns a symbol into an emoji)
    (0xFEFF, 0xFEFF),  # zero width no-break space / byte order mark
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFFB),  # reserved, then interlinear annotation controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags (used in flag sequences) and variation selectors supplement
)

#: Format characters (category Cf) that are deliberately *kept* because they render visibly:
#: Unicode's prepended concatenation marks (Arabic number signs, Syriac abbreviation mark, Kaithi
#: number signs) and the Egyptian hieroglyph format controls, which change the layout of visible
#: signs. U+06DD (Arabic end of ayah) is removed by Arabic normalisation instead.
VISIBLE_FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1345F),
)
