"""A labelled corpus of synthetic posts for measuring the threat detector.

The simulated world (:mod:`hydrawatch.synth.world`) has no threat posts, and adding them would
change the bytes of every world that shipped models were trained and measured on. So threats
are a separate phenomenon here: ``threat_corpus(seed, n)`` writes posts in the same invented
setting (the "Zephyr Relay", invented names and outlets, ``.example`` hosts), each with a label
and a category, for the detector's held-out measurement (``benchmarks/threats.py``).

Language is generic placeholder intimidation ("you will regret this", "we know where you
work"), never a real threat or a real group's slogan, and nothing graphic. The categories:

positives (label 1)
  ``staff_en``, ``staff_ar``: intimidation aimed at a platform's staff, moderators or founders;
  ``person_en``, ``person_ar``: aimed at a named account (``@handle``) or a named person.
hard negatives (label 0)
  ``news``: outlets reporting threats and arrests; ``counter``: condemning threats;
  ``complaint``: angry posts to a platform's support about a suspension, without a threat;
  ``sport``: match talk with combat words; ``everyday``: "I'll find you a seat", "you'll pay
  less"; ``vague``: the network's slogans that promise something to no one in particular.

The phrasings were written as a set of their own, with paraphrases the detector's cue lists do
not contain, so the measured recall is not the cue lists read back. The same author wrote both,
so treat the numbers as a regression check, and the false-positive rate on real posts
(IRA, OSACT, L-HSAB) as the independent one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import vocabulary as vocab

PLATFORMS_EN = ("Twitter", "the platform", "Chirp", "Telegram", "the site")
STAFF_EN = ("{p} staff", "{p} employees", "the moderators", "the {p} team", "the founder of {p}",
            "{p} management", "the admins", "whoever suspended our accounts", "the ones who banned the brothers")
STAFF_AR = ("موظفي تويتر", "إدارة تويتر", "مؤسس تويتر", "مشرفي المنصة", "فريق المنصة", "من أغلق حساباتنا")

THREAT_EN = (
    "we will find you", "we know where you work", "you will regret this", "your days are numbered",
    "we are coming for you", "you will pay for this", "watch your back", "you are next",
    "your time is almost up", "count your days", "we will hunt you down", "you will not be safe",
    "we will get you one by one", "nowhere will be safe for you", "your turn will come",
)
THREAT_AR = (
    "سنصل إليكم", "ستدفعون الثمن", "نعرف أين تعملون", "جاء دوركم", "انتظروا الانتقام",
    "لن تكونوا في أمان", "سنلاحقكم واحدا واحدا", "أنتم التالون", "أيامكم معدودة",
)
OPENERS_EN = ("", "listen ", "a message to ", "note this ", "hey ")
CLOSERS_EN = ("", " #ZephyrRelay", " remember this", " this is a promise", " soon")

NEWS_EN = (
    "{outlet}: man arrested after threatening {staff} online",
    "{outlet} reports threats against {staff} after the suspensions",
    "police investigate threats made to {staff} this week ({outlet})",
    "{outlet}: court sentences user who threatened {name}",
    "authorities say the group threatened {staff}; {outlet} has the details",
)
NEWS_AR = ("{outlet}: اعتقال شخص بعد تهديد {staff_ar}", "الشرطة تحقق في تهديدات ضد {staff_ar}")
COUNTER_EN = (
    "threatening {staff} is cowardly and never acceptable",
    "we condemn the threats against {name}, stand with her",
    "people who send threats to moderators should be reported",
    "no, you will not scare {staff} with threats",
)
COMPLAINT_EN = (
    "@{support} you suspended my account for nothing, fix it now",
    "@{support} why did you ban me? I did nothing wrong, terrible service",
    "{staff}, you banned the wrong account, please review it",
    "dear {staff} I want my account back, this is unfair",
)
SPORT_EN = (
    "we will destroy you in the final @{team}",
    "{team} are going to kill it tonight, come on",
    "you will pay for that penalty next season @{team}",
    "we are coming for you in the league @{team}",
)
EVERYDAY_EN = (
    "I will find you a seat near the front @{friend}",
    "you will pay less at the {city} market on fridays",
    "we will get you a ticket too @{friend}",
    "watch your step on the stairs at {city} station",
    "I know where you work now, congrats on the new job @{friend}",
    "your time is up on the parking meter, move the car",
)
VAGUE_EN = ("they will pay one day", "the oppressors will regret it", "victory is coming #ZephyrRelay",
            "our day will come")
VAGUE_AR = ("سيدفعون الثمن يوما ما", "النصر قادم", "يومنا قادم")

# Held-out phrasings: written before the detector was revised on the development lists above
# and never used to change it; ``threat_corpus(..., holdout=True)`` draws from these instead.
HOLDOUT_THREAT_EN = (
    "we will make you suffer", "you will be sorry you did this", "we will not forget your names",
    "one day we will meet you", "we will visit your office soon", "you have been warned for the last time",
    "expect us at your door", "you will answer for this", "we have your address", "your family is not safe",
)
HOLDOUT_THREAT_AR = (
    "ستندمون على ما فعلتم", "لن ننسى أسماءكم", "سنزوركم قريبا", "عنوانكم عندنا", "ستحاسبون على هذا",
)
HOLDOUT_NEGATIVE_EN = (
    "{outlet}: {staff} received hundreds of threats after the ban wave",
    "sending threats to {staff} only helps the other side",
    "@{support} you closed my account twice this month, I am furious",
    "we will crush you on saturday @{team}, see you at the stadium",
    "I will visit you at your office tomorrow with the documents @{friend}",
    "you will be sorry you missed the {city} festival",
    "we have your address for the wedding invitation @{friend}",
    "one day we will meet you in {city} for coffee @{friend}",
)
HOLDOUT_VAGUE = ("the day of reckoning is near", "history will judge them", "يوم الحساب قريب")

CATEGORIES = {"staff_en": 1, "staff_ar": 1, "person_en": 1, "person_ar": 1,
              "news": 0, "counter": 0, "complaint": 0, "sport": 0, "everyday": 0, "vague": 0}


@dataclass(frozen=True, slots=True)
class ThreatPost:
    text: str
    label: int
    category: str


def _handle(rng: random.Random) -> str:
    return f"{rng.choice(vocab.ENGLISH_FIRST)}_{rng.choice(vocab.ENGLISH_LAST)}{rng.randint(1, 99)}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(vocab.ENGLISH_FIRST).title()} {rng.choice(vocab.ENGLISH_LAST).title()}"


def _staff(rng: random.Random) -> str:
    return rng.choice(STAFF_EN).format(p=rng.choice(PLATFORMS_EN))


def _holdout_post(rng: random.Random, category: str) -> str:
    if category in ("staff_en", "person_en"):
        target = _staff(rng) if category == "staff_en" else (f"@{_handle(rng)}" if rng.random() < 0.7 else _name(rng))
        return f"{rng.choice(OPENERS_EN)}{target}, {rng.choice(HOLDOUT_THREAT_EN)}".strip()
    if category in ("staff_ar", "person_ar"):
        target = rng.choice(STAFF_AR) if category == "staff_ar" else f"@{_handle(rng)}"
        return f"{target} {rng.choice(HOLDOUT_THREAT_AR)}"
    if category == "vague":
        return rng.choice(HOLDOUT_VAGUE)
    return rng.choice(HOLDOUT_NEGATIVE_EN).format(
        outlet=rng.choice(vocab.NEWS_OUTLETS)[0], staff=_staff(rng), support=rng.choice(("ChirpSupport", "PlatformHelp")),
        team=rng.choice(vocab.TEAMS)[0].replace(" ", ""), friend=_handle(rng), city=rng.choice(vocab.CITIES)[0])


def _post(rng: random.Random, category: str) -> str:
    outlet = rng.choice(vocab.NEWS_OUTLETS)[0]
    if category == "staff_en":
        return f"{rng.choice(OPENERS_EN)}{_staff(rng)}: {rng.choice(THREAT_EN)}{rng.choice(CLOSERS_EN)}".strip()
    if category == "staff_ar":
        return f"إلى {rng.choice(STAFF_AR)}: {rng.choice(THREAT_AR)}"
    if category == "person_en":
        target = f"@{_handle(rng)}" if rng.random() < 0.7 else _name(rng)
        return f"{rng.choice(OPENERS_EN)}{target} {rng.choice(THREAT_EN)}{rng.choice(CLOSERS_EN)}".strip()
    if category == "person_ar":
        return f"@{_handle(rng)} {rng.choice(THREAT_AR)}"
    if category == "news":
        if rng.random() < 0.25:
            return rng.choice(NEWS_AR).format(outlet=rng.choice(vocab.NEWS_OUTLETS)[1], staff_ar=rng.choice(STAFF_AR))
        return rng.choice(NEWS_EN).format(outlet=outlet, staff=_staff(rng), name=_name(rng))
    if category == "counter":
        return rng.choice(COUNTER_EN).format(staff=_staff(rng), name=_name(rng))
    if category == "complaint":
        return rng.choice(COMPLAINT_EN).format(support=rng.choice(("ChirpSupport", "TwitterSupport", "PlatformHelp")), staff=_staff(rng))
    if category == "sport":
        return rng.choice(SPORT_EN).format(team=rng.choice(vocab.TEAMS)[0].replace(" ", ""))
    if category == "everyday":
        return rng.choice(EVERYDAY_EN).format(friend=_handle(rng), city=rng.choice(vocab.CITIES)[0])
    if category == "vague":
        return rng.choice(VAGUE_AR) if rng.random() < 0.3 else rng.choice(VAGUE_EN)
    raise ValueError(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")


def threat_corpus(seed: int = 0, n: int = 2000, positive_share: float = 0.3, holdout: bool = False) -> list[ThreatPost]:
    """``n`` posts, about ``positive_share`` of them threats, spread evenly over the categories
    of each label. The same seed gives the same posts. ``holdout`` draws the phrasings kept
    out of the detector's development (negatives then come from one pooled list, and their
    category says only ``holdout_negative`` or ``vague``)."""
    if not 0.0 < positive_share < 1.0:
        raise ValueError(f"positive_share must be in (0, 1), not {positive_share}")
    rng = random.Random(seed)
    positives = [c for c, label in CATEGORIES.items() if label == 1]
    negatives = [c for c, label in CATEGORIES.items() if label == 0]
    posts = []
    for _ in range(n):
        category = rng.choice(positives) if rng.random() < positive_share else rng.choice(negatives)
        if holdout:
            text = _holdout_post(rng, category)
            category = category if CATEGORIES[category] or category == "vague" else "holdout_negative"
        else:
            text = _post(rng, category)
        posts.append(ThreatPost(text, int(category in CATEGORIES and CATEGORIES[category]), category))
    return posts
