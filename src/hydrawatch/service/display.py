"""Showing what users wrote without letting it act: every piece of user text is escaped, put in
a ``<bdi>`` (its direction cannot leak into the page around it), and its invisible characters
(bidi overrides and isolates, zero-width spaces and joiners, soft hyphens, fillers) are shown
as visible marks naming the code point, so ``"\u202egnp.exe"`` reads as
``[U+202E]gnp.exe`` and two handles that differ by a zero-width space look different.

Also here: the character diff of two handles (changed characters highlighted, look-alike
letters from other scripts named), shared phrases of two accounts, and short time spans.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta

from markupsafe import Markup, escape

#: Characters that may pass for Unicode's "Format" category but are not in it, or that render
#: as blanks: Hangul fillers, braille blank, combining grapheme joiner, line/paragraph separators.
_EXTRA_INVISIBLE = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x2028, 0x2029, 0x180E}
#: In running text, zero-width (non-)joiners shape Persian, Arabic, Indic scripts and emoji
#: sequences: they are shown as marks in names and handles only.
_SHAPING = {0x200C, 0x200D}


def is_invisible(char: str) -> bool:
    code = ord(char)
    if code in _EXTRA_INVISIBLE:
        return True
    category = unicodedata.category(char)
    if category == "Cf":
        return True
    if category == "Cc" and char not in "\n\t":
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False  # they change emoji presentation only; keep them
    return category in ("Zl", "Zp")


def _mark(char: str) -> str:
    code = ord(char)
    name = unicodedata.name(char, "")
    title = f"U+{code:04X} {name}".strip()
    return f'<span class="invisible-char" title="{escape(title)}">[U+{code:04X}]</span>'


def reveal(text: object, keep_shaping: bool = False) -> Markup:
    """Escaped text with invisible characters shown as marks (no ``<bdi>``)."""
    if text is None:
        return Markup("")
    text = str(text)
    parts: list[str] = []
    plain: list[str] = []
    for char in text:
        if is_invisible(char) and not (keep_shaping and ord(char) in _SHAPING):
            if plain:
                parts.append(str(escape("".join(plain))))
                plain = []
            parts.append(_mark(char))
        else:
            plain.append(char)
    if plain:
        parts.append(str(escape("".join(plain))))
    return Markup("".join(parts))


def user_text(text: object) -> Markup:
    """A post or bio: escaped, isolated, invisible characters shown (joiners kept)."""
    if text is None or text == "":
        return Markup("")
    return Markup('<bdi class="user-text">') + reveal(text, keep_shaping=True) + Markup("</bdi>")


def user_name(text: object) -> Markup:
    """A handle or display name: escaped, isolated, every invisible character shown."""
    if text is None or text == "":
        return Markup('<span class="muted">(none)</span>')
    return Markup('<bdi class="user-name">') + reveal(text) + Markup("</bdi>")


def handle(text: object) -> Markup:
    if text is None or text == "":
        return Markup('<span class="muted">(no handle)</span>')
    return Markup('<bdi class="user-name handle">@') + reveal(str(text).lstrip("@")) + Markup("</bdi>")


def has_tricks(text: object) -> bool:
    """True when the text holds invisible characters (worth a warning beside it)."""
    return text is not None and any(is_invisible(c) for c in str(text))


def _char(char: str, css: str) -> str:
    if is_invisible(char):
        return _mark(char)
    escaped = str(escape(char))
    if ord(char) > 0x7F:
        name = unicodedata.name(char, "")
        return f'<span class="{css} non-ascii" title="U+{ord(char):04X} {escape(name)}">{escaped}</span>'
    return f'<span class="{css}">{escaped}</span>'


def handle_diff(old: str | None, new: str | None) -> tuple[Markup, Markup]:
    """The two handles with the characters that differ highlighted: removed ones in the old
    handle, added ones in the new. Non-ASCII characters in a change carry their Unicode name
    (a Cyrillic 'а' among Latin letters is the classic look-alike)."""
    old, new = (old or "").lstrip("@"), (new or "").lstrip("@")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    left: list[str] = []
    right: list[str] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            left.append(str(reveal(old[a0:a1])))
            right.append(str(reveal(new[b0:b1])))
        else:
            left.extend(_char(c, "diff-del") for c in old[a0:a1])
            right.extend(_char(c, "diff-ins") for c in new[b0:b1])
    wrap = '<bdi class="user-name handle handle-diff">@{}</bdi>'
    return Markup(wrap.format("".join(left))), Markup(wrap.format("".join(right)))


_WORD = re.compile(r"[#@]?\w[\w'’-]*", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "") if not w.lower().startswith(("http", "@"))]


def shared_phrases(texts_a: list[str], texts_b: list[str], min_words: int = 3, limit: int = 8) -> list[tuple[str, int]]:
    """Phrases of the second account's posts made of runs of ``min_words``-word sequences the
    first account also wrote (overlapping runs merged, so a shared sentence comes out whole),
    longest first, with how many of the second account's posts contain them."""
    grams_a: set[tuple[str, ...]] = set()
    for words in (_words(t) for t in texts_a):
        for i in range(len(words) - min_words + 1):
            grams_a.add(tuple(words[i : i + min_words]))
    counts: Counter[str] = Counter()
    for words in (_words(t) for t in texts_b):
        spans: list[list[int]] = []
        for i in range(len(words) - min_words + 1):
            if tuple(words[i : i + min_words]) in grams_a:
                if spans and i <= spans[-1][1]:
                    spans[-1][1] = i + min_words
                else:
                    spans.append([i, i + min_words])
        for phrase in {" ".join(words[a:b][:24]) for a, b in spans}:
            counts[phrase] += 1
    ranked = sorted(counts.items(), key=lambda item: (-len(item[0].split()), -item[1], item[0]))
    chosen: list[tuple[str, int]] = []
    for phrase, count in ranked:
        if not any(phrase in longer for longer, _ in chosen):
            chosen.append((phrase, count))
        if len(chosen) >= limit:
            break
    return chosen


def span(seconds: float | None) -> str:
    """'3.2 h', '2 d 4 h', '12 min' (negative: 'before')."""
    if seconds is None:
        return "unknown"
    sign = "" if seconds >= 0 else "-"
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{sign}{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{sign}{seconds / 3600:.1f} h"
    days = int(seconds // 86400)
    return f"{sign}{days} d {int((seconds - days * 86400) // 3600)} h"


def when(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() in (None, timedelta(0)) else value.isoformat()
    text = str(value)
    return text.replace("T", " ")[:16] + (" UTC" if text.endswith(("+00:00", "Z")) else "")


def case_type_label(case_type: str) -> str:
    """'threat' -> 'threat to staff'; an unknown type (a newer detector) as it is stored."""
    from hydrawatch.review import CASE_TYPE_LABELS

    return CASE_TYPE_LABELS.get(case_type, str(case_type).replace("_", " "))
