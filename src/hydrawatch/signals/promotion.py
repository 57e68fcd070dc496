"""Posts that announce or promote a (new) account: the "shoutout" that tells a network where a
suspended member came back.

A shoutout names an account (``@handle``) and says, in English or Arabic, some of: that the
account is new or a replacement; that readers should follow, support or spread it; that an
earlier account was suspended, deleted or banned; that someone is back. One cue alone is weak
("follow @news for updates" is not a shoutout); the detector adds the cues it finds and reports
each, so a moderator sees why a post counted.

The cue lists are written from how such posts are phrased in general, not from any one data
set; they are checked against the real pro-IS tweets (../shared/data/isis-fanboy) and against
Arabic and English hard negatives in the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hydrawatch.core.text import normalize_text

VERSION = "promotion-cues-1"

# Each cue: (name, weight, pattern over normalize_text(text)). normalize_text folds case,
# Arabic letter variants (ة -> ه, أ/إ/آ -> ا, ى -> ي) and diacritics, so the Arabic patterns
# are written in the folded forms.
_CUES: tuple[tuple[str, float, str], ...] = (
    # an account that is new / a replacement / numbered
    ("new account", 2.0, r"\bnew (account|acc|acct|handle|profile|id)s?\b|\baccount (no\.?|number|#) ?\d+|"
     r"\b(backup|alternate|alt|replacement|spare) (account|acc)\b|"
     r"حساب[اٍ]?ت? ?(ال)?جديد|(ال)?حساب(ه|ي|نا)? (ال)?جديد|(ال)?حساب (ال)?بديل|حساب رقم|(ال)?حساب (ال)?احتياطي"),
    # readers are asked to follow / support / spread
    ("follow request", 1.0, r"\b(follow|support|spread|share|retweet|rt|add)s?\b|"
     r"تابعو|ادعمو|انشرو|انشر|تابع |ادعم |ساندو|رتويت"),
    # an earlier account was suspended / deleted / banned
    ("earlier account lost", 1.5, r"\b(suspended|suspension|deleted|banned|blocked|closed|removed)\b|"
     r"\b(previous|old|former|last) (account|acc)\b|"
     r"(ايقاف|توقيف|تعليق|حذف|حظر|اغلاق|اقفال) (ال)?حساب|بعد (ال)?(ايقاف|توقيف|تعليق|حذف|حظر|اغلاق)|(ال)?حساب (ال)?سابق|(ال)?حساب (ال)?قديم"),
    # someone (or we) came back
    ("is back", 1.0, r"\b(is|am|are|we'?re|i'?m) back\b|\bback (again|online)\b|\breturned\b|"
     r"\bعدنا\b|\bعاد\b|\bرجعنا\b|\bرجع\b|عودة|من جديد"),
    # the account of a named member ("our brother's account")
    ("member's account", 0.5, r"\b(brother|sister|akhi|ukhti)'?s? (new )?(account|acc)\b|حساب (ال)?(اخ|اخت|اخو)"),
)
_COMPILED = tuple((name, weight, re.compile(pattern)) for name, weight, pattern in _CUES)
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)

#: A post scoring at least this much is a promotion: it names an account and says it is new
#: (or that an earlier one was lost) plus something more.
DEFAULT_THRESHOLD = 2.5


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion post's verdict: score, the cues found, and the handles it promotes."""

    score: float
    cues: tuple[str, ...]
    handles: tuple[str, ...]

    def is_promotion(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """A promotion of the named handles, or (naming none) of the author's own new account."""
        return self.score >= threshold

    @property
    def announces_self(self) -> bool:
        """"I'm back, spread my new account": the promoted account is the author."""
        return not self.handles

    def describe(self) -> str:
        return "promotion cues: " + ", ".join(self.cues) if self.cues else "no promotion cues"


def score_promotion(text: str, mentioned: tuple[str, ...] | list[str] | None = None) -> Promotion:
    """Score a post. ``mentioned`` are the handles the platform says the post mentions (its
    entities); without them, ``@handles`` are taken from the text. A retweet's "RT @x:" prefix
    names the retweeted author, not a promoted account, so it is dropped."""
    text = text or ""
    body = re.sub(r"^RT @[A-Za-z0-9_]+:?\s*", "", text)
    handles = tuple(dict.fromkeys(h.lower() for h in (mentioned if mentioned is not None else _MENTION.findall(body))))
    # Cues are read in the words around the handles, not in the handles (@support) or links.
    folded = normalize_text(_URL.sub(" ", _MENTION.sub(" ", body)))
    found = tuple(name for name, _, pattern in _COMPILED if pattern.search(folded))
    score = sum(weight for name, weight, _ in _COMPILED if name in found)
    # Asking to follow someone is everyday Twitter; it only counts beside a stronger cue.
    if found == ("follow request",):
        score = 0.0
    return Promotion(score, found, handles)
