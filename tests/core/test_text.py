"""Tests for hydrawatch.core.text: tables of real evasion patterns, then properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hydrawatch.core import confusables
from hydrawatch.core import text as text_module
from hydrawatch.core.text import (
    NORMALIZATION_VERSION,
    handle_skeleton,
    is_emoji_only,
    name_skeleton,
    normalize_arabic,
    normalize_text,
    script_counts,
    script_of,
    skeleton,
    strip_invisible,
)

NORMALIZERS = [
    strip_invisible,
    normalize_arabic,
    normalize_text,
    skeleton,
    handle_skeleton,
    name_skeleton,
]
# Functions whose output is a key: no lone surrogates, invisible characters never matter.
KEY_FUNCTIONS = [normalize_text, skeleton, handle_skeleton, name_skeleton]

INVISIBLES = [
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
    "\u202e", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\u2066", "\u2067", "\u2068",
    "\u2069", "\ufeff", "\u061c", "\u180e", "\u00ad", "\u034f", "\ufe0f", "\U000e0067",
    "\u3164", "\u115f", "\x00", "\x1b", "\x7f",
]  # fmt: skip
# Characters that exercise the tricky paths: look-alikes, combining marks next to letters,
# Arabic variants and marks, presentation forms, emoji pieces, case-folding specials.
INTERESTING = [
    *INVISIBLES,
    *"аеорсухіјѕԁһӏАВЕКМНОРСТХαεικνορτυΑΒΕΗΙΚΜΝΟΡΤΥΧσςΣϲϹγΓօսᎪꭺꓮøłđ",
    *"أإآٱىئؤةـکیېہەھ٠١٩۰۹ﻻﺃﷺ\u064b\u064e\u0651\u0670\u0653\u0654\u06dd",
    *"\u0301\u0308\u0327\u0345\u3099\u20e3éİßẞﬁＡ𝐚ǰ",
    *"0123456789iIl_.-@ rnvv\t\n",
    "🔥", "🇸", "🇦", "👨", "🏽", "☝", "★", "©", "+", "'", "’",
]  # fmt: skip

any_char = st.characters(exclude_categories=())
surrogate = st.characters(categories=["Cs"])
texts = st.text(
    st.one_of(any_char, st.sampled_from(INTERESTING), st.sampled_from(INTERESTING), surrogate),
    max_size=40,
)


# --- tables of cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abu\u200b_x12", "abu_x12"),  # zero-width space inside a handle
        ("a\u200cb\u200dc", "abc"),  # ZWNJ, ZWJ
        ("\u202eabc\u202c", "abc"),  # right-to-left override (displays reversed)
        ("\u2067abu\u2069", "abu"),  # bidi isolate
        ("\u200fابو\u200e", "ابو"),  # RLM, LRM
        ("\ufeffabu", "abu"),  # BOM
        ("ab\u00adu", "abu"),  # soft hyphen
        ("a\u2060b\u2063c", "abc"),  # word joiner, invisible separator
        ("\u061cابو", "ابو"),  # Arabic letter mark
        ("a\u180eb", "ab"),  # Mongolian vowel separator
        ("\u3164", ""),  # Hangul filler: a "blank" display name
        ("\U0001f3f4\U000e0067\U000e0062\U000e007f", "\U0001f3f4"),  # tag sequence of a flag
        ("a\x00b\x1bc\x7f", "abc"),  # controls that are not whitespace
        ("a b\tc\nd", "a b\tc\nd"),  # whitespace is kept
        ("\u0600١", "\u0600١"),  # Arabic number sign renders: kept
        ("🔥☝️", "🔥☝"),  # emoji kept, variation selector dropped
        ("", ""),
    ],
)
def test_strip_invisible(raw: str, expected: str) -> None:
    assert strip_invisible(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أحمد", "احمد"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("آمن", "امن"),  # alef with madda
        ("ٱلله", "الله"),  # alef wasla
        ("ٲٳ", "اا"),
        ("مصطفى", "مصطفي"),  # alef maksura
        ("دولة", "دوله"),  # teh marbuta
        ("الخلافــــة", "الخلافه"),  # tatweel
        ("مُؤْمِنٌ", "مومن"),  # harakat and waw with hamza
        ("قُرْآنٌ", "قران"),
        ("شَيْءٌ", "شيء"),  # lone hamza stays
        ("رئيس", "رييس"),  # yeh with hamza
        ("کتاب", "كتاب"),  # Persian keheh
        ("علی", "علي"),  # Farsi yeh
        ("ہ ە", "ه ه"),  # heh goal, Kurdish ae
        ("الرَّحْمٰنِ", "الرحمن"),  # superscript alef U+0670
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("ﺃﺑﻮ ﺑﻜﺮ", "ابو بكر"),  # presentation forms
        ("ﻻ", "لا"),  # lam-alef ligature
        ("abu_x12", "abu_x12"),  # non-Arabic untouched
        ("", ""),
    ],
)
def test_normalize_arabic(raw: str, expected: str) -> None:
    assert normalize_arabic(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Hello\t\tWORLD \n", "hello world"),
        ("ＡＢＵ　ＢＡＫＲ", "abu bakr"),  # fullwidth letters and ideographic space
        ("𝐀𝐁𝐔", "abu"),  # mathematical bold
        ("Straße", "strasse"),
        ("ΣΟΦΙΑ", "σοφια"),  # Greek stays Greek
        ("Café", "café"),  # accents stay
        ("a\u00a0b", "a b"),  # no-break space
        ("abu\u200b\u200b bakr", "abu bakr"),
        ("الدولة الإسلامية", "الدوله الاسلاميه"),
        ("ﷲ", "الله"),
        ("", ""),
        ("\u200b \u202e", ""),
        ("x\ud800", "x\ufffd"),  # lone surrogate
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("аbu", "abu"),  # Cyrillic а
        ("АВU", "ABU"),  # Cyrillic capitals А, В
        ("раураl", "paypal"),  # Cyrillic р а у
        ("ѕсоре", "scope"),
        ("іјԁһӏ", "ijdhl"),
        ("οαρντ", "oapvt"),  # Greek small
        ("ΑΒΕΗΙΚΜΝΟΡΤΧ", "ABEHIKMNOPTX"),  # Greek capitals
        ("ϲat", "cat"),  # lunate sigma, whose NFKD is σ
        ("ꭺꓮ", "aa"),  # Cherokee small letter (folds to capital), Lisu
        ("օս", "ou"),  # Armenian
        ("ÀbÜ", "abu"),  # Latin accents
        ("ǅemal", "dzemal"),  # NFKD splits the digraph
        ("ＡＢＵ", "abu"),  # fullwidth
        ("𝕒𝕓𝕦", "abu"),  # double-struck
        ("ab\u200bu", "abu"),
        ("øłđ", "old"),  # stroked letters without decomposition
        ("Ææ", "aeae"),
    ],
)
def test_skeleton_folds_lookalikes(disguised: str, plain: str) -> None:
    assert skeleton(disguised) == skeleton(plain) == plain.casefold()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("вид", "вид"),  # lowercase Cyrillic that does not look Latin stays Cyrillic
        ("вот", "вoт"),  # ... while its о is folded
        ("Σ", "o"),  # folds to σ, which looks like o (documented over-merge)
        ("أبو", "ابو"),  # Arabic folded within Arabic, never to Latin
        ("ابو بكر البغدادى", "ابو بكر البغدادي"),
        ("が", "が"),  # kana voicing mark is not a diacritic to drop
        ("한국", "한국"),  # Hangul recomposes after NFKD
        ("abu x12", "abu x12"),  # whitespace is kept
        ("x\ud800", "x\ufffd"),
        ("", ""),
    ],
)
def test_skeleton_keeps(raw: str, expected: str) -> None:
    assert skeleton(raw) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("ab0u_x1", "abou_xl"),  # digit swaps
        ("@Abu_X12", "abu.x12"),  # @, case, separators
        ("abu_x12", "abu-x-12"),
        ("аbu_x12", "abu_x12"),  # Cyrillic а
        ("abu\u200b_x12", "abu_x12"),  # zero width space
        ("abu\u202e_x12", "abu_x12"),  # RTL override
        ("ＡＢＵ＿Ｘ１２", "abu_x12"),  # fullwidth
        ("abu_xI2", "abu_xl2"),  # capital I vs l
        ("abu_xi2", "abu_x12"),  # i vs 1
        ("sh4m_3l1te", "sham_elite"),  # leet
        ("b4q1y4", "baqiya"),
        ("5t8", "stb"),
        ("0sama", "osama"),
        ("rnohamed", "mohamed"),  # rn renders like m
        ("vvilayat", "wilayat"),
        (" @abu ", "abu"),
        ("＠abu", "abu"),
        ("@_@abu", "abu"),
    ],
)
def test_handle_skeleton_collides(left: str, right: str) -> None:
    assert handle_skeleton(left) == handle_skeleton(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("abu_x12", "abu_x13"),  # a real change: edit distance on keys, not equality
        ("abu", "abd"),
        ("abu2", "abuz"),  # 2 is not folded
        ("ابو", "abu"),
    ],
)
def test_handle_skeleton_keeps_apart(left: str, right: str) -> None:
    assert handle_skeleton(left) != handle_skeleton(right)


def test_handle_skeleton_value() -> None:
    assert handle_skeleton("@Abu_X12") == "abuxl2"
    assert handle_skeleton("") == ""
    assert handle_skeleton("@") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("🔥 Abu   Bakr ☝️", "abu bakr"),
        ("Abu.Bakr", "abu bakr"),
        ("Abu-Bakr", "abu bakr"),
        ("Abu🦅Bakr", "abu bakr"),
        ("[Abu Bakr] #2", "abu bakr 2"),
        ("Mu'adh", "muadh"),
        ("Mu’adh", "muadh"),
        ("🦅🖤", ""),
        ("🇸🇦 ☝️", ""),
        ("👨\u200d👩\u200d👧", ""),
        ("★彡 Ａｂｕ 彡★", "彡 abu 彡"),  # 彡 is a CJK letter, not a symbol
        ("أَبُو بَكْرٍ ۞", "ابو بكر"),
        ("ابــو بكــر", "ابو بكر"),
        ("аbu bаkr", "abu bakr"),
        ("", ""),
        ("\u2800", ""),  # braille blank: a blank name
        ("x\ud800", "x"),
    ],
)
def test_name_skeleton(raw: str, expected: str) -> None:
    assert name_skeleton(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello world", "latin"),
        ("مرحبا بالعالم", "arabic"),
        ("Привет мир", "cyrillic"),
        ("こんにちは", "other"),
        ("Ἀθῆναι", "other"),  # Greek
        ("abu бакр", "cyrillic"),  # 4 Cyrillic letters beat 3 Latin
        ("ab аб", "latin"),  # tie: latin first
        ("الدولة ISIS", "arabic"),
        ("ＡＢＣ", "latin"),
        ("ﻻﻻ", "arabic"),
        ("12345 🔥 !!", "none"),
        ("", "none"),
        ("\ud800", "none"),
    ],
)
def test_script_of(raw: str, expected: str) -> None:
    assert script_of(raw) == expected


def test_script_counts_reports_mixed_script() -> None:
    assert script_counts("раypal") == {"latin": 4, "cyrillic": 2}
    assert script_counts("أبو 12") == {"arabic": 3}
    assert script_counts("") == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("🦅🖤", True),
        ("🇸🇦 ☝️", True),
        ("👨\u200d👩\u200d👧\u200d👦", True),
        ("👍🏽", True),  # skin tone modifier
        ("1️⃣2️⃣", True),  # keycaps
        ("★ ©", True),
        ("🔥 abu", False),
        ("123", False),
        ("+++", False),
        ("", False),
        ("   ", False),
        ("\u200b", False),
    ],
)
def test_is_emoji_only(raw: str, expected: bool) -> None:
    assert is_emoji_only(raw) is expected


# --- the data tables ----------------------------------------------------------------------------


def test_every_lookalike_maps_to_its_latin_letter() -> None:
    for latin, sources in confusables.LATIN_LOOKALIKES.items():
        for source in sources:
            assert skeleton(source) == latin.casefold(), (source, f"U+{ord(source):04X}")
    for source, latin in confusables.LATIN_MULTI_LOOKALIKES.items():
        assert skeleton(source) == latin.casefold()


def test_lookalike_sources_are_unique_non_ascii_letters() -> None:
    sources = [c for group in confusables.LATIN_LOOKALIKES.values() for c in group]
    assert len(sources) == len(set(sources))
    assert all(not c.isascii() and c.isalpha() for c in sources)


def test_every_format_character_is_stripped_or_documented_as_visible() -> None:
    visible = {cp for lo, hi in confusables.VISIBLE_FORMAT_RANGES for cp in range(lo, hi + 1)}
    for cp in range(0x110000):
        char = chr(cp)
        if unicodedata.category(char) == "Cf" and cp not in visible:
            assert strip_invisible(char) == "", f"U+{cp:04X} {unicodedata.name(char, '')}"


def test_normalization_version_names_the_unicode_version() -> None:
    assert NORMALIZATION_VERSION.endswith(unicodedata.unidata_version)


# --- properties ---------------------------------------------------------------------------------


@pytest.mark.parametrize("normalize", NORMALIZERS, ids=lambda f: f.__name__)
@settings(deadline=None, max_examples=300)
@given(text=texts)
def test_idempotent(normalize, text: str) -> None:  # type: ignore[no-untyped-def]
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize("normalize", [strip_invisible, *KEY_FUNCTIONS], ids=lambda f: f.__name__)
@settings(deadline=None, max_examples=300)
@given(
    text=texts,
    insertions=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(INVISIBLES)), max_size=5),
)
def test_invisible_characters_do_not_change_the_result(  # type: ignore[no-untyped-def]
    normalize, text: str, insertions: list[tuple[int, str]]
) -> None:
    disguised = text
    for position, invisible in insertions:
        disguised = disguised[:position] + invisible + disguised[position:]
    assert normalize(disguised) == normalize(text)


@settings(deadline=None, max_examples=300)
@given(text=st.text(st.one_of(any_char, surrogate)))
def test_never_raises_and_keys_encode_as_utf8(text: str) -> None:
    for normalize in NORMALIZERS:
        assert isinstance(normalize(text), str)
    for key in KEY_FUNCTIONS:
        key(text).encode("utf-8")  # no lone surrogates left
    assert script_of(text) in {"latin", "arabic", "cyrillic", "other", "none"}
    assert isinstance(is_emoji_only(text), bool)


@given(handle=st.from_regex(r"@?[A-Za-z0-9_]{1,15}", fullmatch=True))
def test_handle_skeleton_ignores_case(handle: str) -> None:
    assert handle_skeleton(handle) == handle_skeleton(handle.upper())
    assert handle_skeleton(handle) == handle_skeleton(handle.lower())


@given(text=st.text(st.characters(max_codepoint=0x7F)))
def test_ascii_fast_path_matches_the_general_path(text: str) -> None:
    general = text_module._until_stable(text_module._normalize_text_step, text)
    assert normalize_text(text) == general


_LOWER_LOOKALIKES = {
    latin: sources for latin, sources in confusables.LATIN_LOOKALIKES.items() if latin.islower()
}


@given(data=st.data(), word=st.text(st.sampled_from(sorted(_LOWER_LOOKALIKES)), max_size=20))
def test_swapping_in_lookalikes_keeps_the_skeleton(data: st.DataObject, word: str) -> None:
    disguised = "".join(
        data.draw(st.sampled_from([c, *_LOWER_LOOKALIKES[c]])) for c in word
    )
    assert skeleton(disguised) == skeleton(word) == word


@pytest.mark.parametrize("normalize", NORMALIZERS, ids=lambda f: f.__name__)
def test_handles_100kb_strings(normalize) -> None:  # type: ignore[no-untyped-def]
    big = ("أبو بكر аbu\u200b_x12 🔥 Straße ﷺ " * 4000)[:100_000]
    result = normalize(big)
    assert normalize(result) == result
    if normalize is not normalize_arabic:
        assert "\u200b" not in result


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_fast_path_of_skeleton_equals_the_general_steps(s):
    from hydrawatch.core.text import _skeleton_step, _until_stable

    assert skeleton(s) == _until_stable(_skeleton_step, s)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127), max_size=40),
                 st.text(alphabet="rnvvm@_.-01i34578 Il|\t\x00", max_size=30)))
def test_ascii_fast_path_of_handle_skeleton_equals_the_general_steps(handle):
    from hydrawatch.core.text import _handle_step, _until_stable

    assert handle_skeleton(handle) == _until_stable(_handle_step, handle)
