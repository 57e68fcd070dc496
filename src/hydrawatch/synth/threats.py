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

Two held-out sets, testing different things. ``threat_corpus(..., holdout=True)``: fifteen
phrasings that are mostly *vocabulary* no cue list has ("we have your address"); with so few
phrasings each one moves recall by several points. :func:`second_holdout_corpus`: phrasings
composed from parts (actor, future, harm verb, object, target; Arabic prefixes and clitics) and
hard negatives built from the same parts, testing *generalisation* over paraphrase, inflection,
word order, negation and targets; it was committed before the structural detector.
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


# --- Second held-out corpus ----------------------------------------------------------------------
# Written before the structural detector (threat-structure-2) and committed first; the detector
# was never revised against it. The first held-out lists above are mostly *new words* (a test of
# vocabulary the cue lists lack); this one tests what a detector should generalise over:
# paraphrase, inflection, contraction, word order, passive voice, negation used as a threat,
# other targets (journalists, researchers), Arabic conjunction/future prefixes and object
# clitics, and hard negatives built from the same parts (negated intent, harm verbs in everyday
# or sports use, reports of threats). Wording stays mild and generic.

SECOND_TARGETS_EN = ("the reporter at {outlet}", "the journalist who wrote about us", "the researcher {name}",
                     "the trust and safety team", "{p} moderators", "whoever reported our channel")
SECOND_SUBJECTS_EN = ("we will", "we'll", "I will", "I'll", "we are going to", "I'm gonna", "we shall",
                      "someone will", "our people will", "we're going to", "soon we will", "one by one we will")
SECOND_ACTIONS_EN = ("hurt {o}", "harm {o}", "punish {o}", "track {o} down", "go after {o}", "make {o} suffer",
                     "teach {o} a lesson", "get even with {o}", "ruin {o}", "silence {o}", "take revenge on {o}",
                     "settle the score with {o}", "deal with {o} personally", "make {o} pay")
SECOND_OBJECTS_EN = ("you", "you all", "all of you", "every one of you")
SECOND_SECOND_PERSON_EN = (
    "you will be punished", "you'll be hurt", "you are going to be tracked down", "you will be dealt with",
    "you will suffer for this", "you'll suffer", "you are going to regret this", "you will get what you deserve",
    "you're going to get hurt", "you will be made to pay", "you will all be punished",
    "you will never be safe again", "you won't escape us", "you cannot hide from us forever",
    "there is nowhere you can hide", "we will never forgive you", "you will not get away with this",
    "no one will protect you", "mark my words: you will suffer", "it is you we are coming for",
    "we are hunting you", "we have found you", "we'll be coming for you",
)
SECOND_ACTIONS_AR = ("لاحق", "عاقب", "حاسب", "طارد", "ؤذي", "ؤدب", "جد")
SECOND_SUFFIXES_AR = ("ك", "كم", "ه", "هم")
SECOND_SECOND_PERSON_AR = (
    "ستندم", "ستندمون", "ستعاقبون", "ستحاسب على ما فعلت", "لن تفلت منا", "لن تفلتوا منا", "لن تهربوا منا",
    "لا مكان تختبئون فيه", "لن يحميكم أحد", "سننتقم منكم", "وسوف ننتقم منك", "سنصل إليك أينما كنت",
)
SECOND_TARGETS_AR = ("موظفي تويتر", "إدارة المنصة", "مشرفي المنصة", "يا من أغلق حساباتنا", "الصحفي في {outlet}")
SECOND_NEGATIVES_EN = (
    "we will never hurt anyone, we only want our accounts back",
    "nobody is going to harm you @{friend}, relax",
    "I would never threaten {staff}, I just want a reply",
    "we won't punish you for being late @{friend}",
    "I'm going to hurt myself at the gym tomorrow lol",
    "this heat is going to ruin me today in {city}",
    "we will track down your lost parcel @{friend}",
    "I'll hunt down that recipe for you @{friend}",
    "this update will ruin your battery, do not install it",
    "you will suffer through the long meeting anyway lol",
    "we'll deal with your request tomorrow, thanks for waiting",
    "you'll never be bored again in {city}",
    "we are going to crush you on sunday @{team}",
    "{team} will make you suffer in the second half",
    "we will punish every mistake you make @{team}",
    "{outlet}: user who said he would hurt {staff} was fined",
    "{name} says she was threatened after her report ({outlet})",
    "moderators are being targeted online, {outlet} finds",
    "@{support} you will lose users if you keep banning people for nothing",
    "@{support} I will never use your app again",
    "to whoever threatens {staff}: you will be reported and banned",
    "they will all pay one day",
    "justice will come for the oppressors",
)
SECOND_NEGATIVES_AR = (
    "لن نؤذي أحدا، نريد حساباتنا فقط", "سنجد لك مقعدا قريبا @{friend}", "سنهزمكم في المباراة القادمة @{team}",
    "الشرطة: تحقيق في تهديدات ضد موظفي المنصة", "ستدفع أقل في سوق {city_ar}", "سنصل إليكم غدا بالهدايا @{friend}",
    "سيأتي يوم الحساب",
)


def _second_target_en(rng: random.Random, staff: bool) -> str:
    if staff:
        if rng.random() < 0.5:
            return _staff(rng)
        return rng.choice(SECOND_TARGETS_EN).format(outlet=rng.choice(vocab.NEWS_OUTLETS)[0], name=_name(rng),
                                                    p=rng.choice(PLATFORMS_EN))
    return f"@{_handle(rng)}" if rng.random() < 0.7 else _name(rng)


def _second_clause_en(rng: random.Random) -> str:
    if rng.random() < 0.5:
        action = rng.choice(SECOND_ACTIONS_EN).format(o=rng.choice(SECOND_OBJECTS_EN))
        return f"{rng.choice(SECOND_SUBJECTS_EN)} {action}"
    return rng.choice(SECOND_SECOND_PERSON_EN)


def _second_clause_ar(rng: random.Random) -> str:
    if rng.random() < 0.55:
        conjunction = rng.choice(("", "و", "ف"))
        future = rng.choice(("س", "سوف "))
        return f"{conjunction}{future}ن{rng.choice(SECOND_ACTIONS_AR)}{rng.choice(SECOND_SUFFIXES_AR)}"
    return rng.choice(SECOND_SECOND_PERSON_AR)


def second_holdout_corpus(seed: int = 0, n: int = 2000, positive_share: float = 0.3) -> list[ThreatPost]:
    """The second held-out corpus (see the comment above ``SECOND_TARGETS_EN``): ``n`` posts,
    about ``positive_share`` threats (categories ``staff_en``, ``staff_ar``, ``person_en``,
    ``person_ar``), the rest ``second_negative``. Deterministic per seed."""
    if not 0.0 < positive_share < 1.0:
        raise ValueError(f"positive_share must be in (0, 1), not {positive_share}")
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        if rng.random() < positive_share:
            category = rng.choice(("staff_en", "person_en", "staff_ar", "person_ar"))
            if category.endswith("_en"):
                target, clause = _second_target_en(rng, category == "staff_en"), _second_clause_en(rng)
                text = f"{target}, {clause}" if rng.random() < 0.6 else f"{clause[0].upper()}{clause[1:]}, {target}"
            else:
                target = (rng.choice(SECOND_TARGETS_AR).format(outlet=rng.choice(vocab.NEWS_OUTLETS)[1])
                          if category == "staff_ar" else f"@{_handle(rng)}")
                text = f"{target} {_second_clause_ar(rng)}"
            posts.append(ThreatPost(text, 1, category))
        else:
            arabic = rng.random() < 0.25
            template = rng.choice(SECOND_NEGATIVES_AR if arabic else SECOND_NEGATIVES_EN)
            text = template.format(
                outlet=rng.choice(vocab.NEWS_OUTLETS)[0], staff=_staff(rng), name=_name(rng), friend=_handle(rng),
                support=rng.choice(("ChirpSupport", "PlatformHelp")), team=rng.choice(vocab.TEAMS)[0].replace(" ", ""),
                city=rng.choice(vocab.CITIES)[0], city_ar=rng.choice(vocab.CITIES)[1])
            posts.append(ThreatPost(text, 0, "second_negative"))
    return posts
