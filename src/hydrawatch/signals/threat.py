"""Posts that threaten platform staff or named people: a separate, high-priority case type.

When a platform suspends a network, some members threaten the people they hold responsible:
the platform's staff and founders, moderators, journalists and researchers who report on them.
These posts must reach a person quickly whatever else the account does, so they become
``threat`` cases, which the review queue puts above every other type
(:data:`hydrawatch.review.cases.SEVERITY`).

Method
------
A post is a threat when it states an intent to harm (*intent* cues) and has a *target*: the
platform's staff or management, an account it names (``@handle``), or the reader addressed as
"you". Either alone is everyday speech ("I will kill for a coffee", "@support my account was
suspended"). Two things lower the score: *reporting* (news and counter-messaging describe
threats: "police say he threatened staff", "threats against moderators are unacceptable") and
*idiom* ("killing it", "kill the game", sports and gaming talk) and *friendly words*
("congrats", "thanks"). The cue lists are in English
and Arabic, matched on :func:`hydrawatch.core.text.normalize_text` output (case folded, Arabic
letter variants and diacritics folded), and written from how threats are phrased in general,
not from any data set.

The score is a rule score mapped to [0, 1] (not a calibrated probability): 0.9 for an explicit
intent to harm with a staff target, lower for weaker combinations. Every cue found is
evidence, so a moderator sees why a post counted. Measured on a synthetic labelled corpus
(:mod:`hydrawatch.synth.threats`) and, for false positives, on real English and Arabic posts
that are not threats (``benchmarks/threats.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hydrawatch.core.model import Evidence
from hydrawatch.core.text import normalize_text

SIGNAL = "threat_cues"
VERSION = "threat-cues-1"
#: Score from which a post becomes a threat case.
DEFAULT_THRESHOLD = 0.6
#: Posts longer than this are read on their first part only (a threat is a sentence).
MAX_CHARS = 4000

# --- cue lists (over normalize_text output: lower case, Arabic folded: ة->ه, أ/إ/آ->ا, ى->ي) -----

# Verbs that threaten whatever follows them, and verbs that only do when the sentence stops at
# the person ("we will find you." is a threat, "we will find you a seat" is not).
_STRONG_VERBS = r"kill|murder|slaughter|behead|butcher|shoot|stab|bomb|burn|hang|execute|hunt(?: down)?|punish|hurt|destroy|silence"
_WEAK_VERBS = r"find|get|come for|come after|reach|visit|target|end|deal with"
_SUBJECT = r"\b(?:we|i|they|brothers|soldiers)(?: will|'ll| shall| are going to| am going to|'re going to|'m going to| gonna)"
_OBJECT = r"(?:you|u|him|her|them|each of you|all of you|every one of you)\b"
_CLAUSE_END = r"(?=\s*(?:$|[.!,:;#?]|down\b|one by one|soon|all\b|wherever|everywhere|wherever you are))"
_ENGLISH_INTENT = (
    rf"{_SUBJECT} (?:{_STRONG_VERBS})\b(?: (?:down|after|for))? {_OBJECT}",
    rf"{_SUBJECT} (?:{_WEAK_VERBS}) {_OBJECT}{_CLAUSE_END}",
    rf"\b(?:we|they)(?: are|'re) coming (?:for|after) {_OBJECT}",
    # "you will pay / die / be next / regret", not "you will pay less"
    r"\b(?:you|u|he|she|they)(?: will|'ll| shall| are going to| is going to|'re going to| gonna)"
    r" (?:die|pay(?! (?:less|more|only|just|extra|half|the bill|for (?:the|a|an|your|dinner|lunch|drinks|coffee|tickets?)))"
    r"|be (?:next|killed|slaughtered|punished|targeted|hunted|found|dead|sorry)|regret (?:this|it|the day))\b",
    r"\b(?:you|u|they)(?: will|'ll)(?: not|n't| never) be safe\b|\bnowhere (?:will be|is) safe for (?:you|u)\b",
    r"\byou(?:'re| are) (?:next|a (?:dead|marked) (?:man|woman)|dead|a target|on (?:our|the) list)\b",
    r"\b(?:we|i) know where you (?:live|work|sleep|are)\b",
    r"\bwatch your back\b|\byour days are numbered\b|\bcount your days\b|"
    r"\byour (?:day|time|turn|end) (?:is|will) (?:come|coming|near)\b|\byour (?:day|time|turn) has come\b|"
    r"\byour time is (?:almost |nearly )?up\b(?=\s*(?:$|[.!,:;#]|remember|soon))",
    r"\b(?:death|bullets?|a knife|the sword|a bomb) (?:to|for|awaits|is coming for) (?:you|him|her|them)\b",
    r"\b(?:your|his|her) (?:head|neck|blood) (?:will|is|belongs)\b",
)
_ARABIC_INTENT = (
    # first person future + harm verb + object suffix: سنقتلك، سنذبحكم، سنصل اليك، سأقتله
    r"\b(?:س|سوف )(?:ن|ا)(?:قتل|ذبح|صل|لاحق|حرق|نحر|عاقب|طارد|اصطاد|فجر|ستهدف|سحق)(?:ك|كم|كما|كن|ه|ها|هم)\b",
    r"\b(?:س|سوف )(?:ن|ا)(?:صل|اتي) (?:ال|لـ?)?(?:يك|يكم|يه|يهم)\b",
    r"\b(?:ستدفع|ستدفعون|سيدفع|سيدفعون) (?:ال)?ثمن\b",
    r"\bنعرف (?:اين|مكان) (?:تسكن|تعمل|تعيش|بيتك|سكنك)(?:ون)?\b",
    r"\b(?:ايامك|ايامكم) (?:معدوده|معدودات)\b",
    r"\b(?:لن|ما|لا) (?:تكون|تكونوا|تكونون) (?:في|ب) ?(?:ال)?امان\b",
    r"\b(?:انتظر|انتظروا|ترقب|ترقبوا) (?:ال)?(?:موت|ذبح|قتل|رد|انتقام)\b",
    r"\b(?:جاء|اتي|سياتي|اقترب) (?:دورك|دوركم|يومك|يومكم)\b",
    r"\b(?:دمك|دمكم|راسك|رقبتك|رقابكم|رؤوسكم|رووسكم) (?:حلال|مهدور|مطلوب|لنا)\b",
    r"\bانت (?:التالي|هدف|ميت)\b|\bانتم (?:التالون|هدف|اهداف)\b",
)
_STAFF = (
    r"\b(?:twitter|facebook|meta|telegram|youtube|instagram|tiktok|platform|site|company)(?:'s)? "
    r"(?:staff|employees?|workers?|admins?|administrators?|moderators?|mods|team|management|managers?|ceo|founders?|executives?|bosses|owners?|offices?|headquarters|hq)\b",
    r"\b(?:ceo|founder|owner) of (?:twitter|facebook|meta|telegram|youtube|instagram)\b",
    r"\b(?:moderators?|mods|admins|trust and safety|t&s|the safety team|the support team)\b",
    r"\b(?:whoever|those who|the ones who|you who|people who) (?:suspend|suspended|ban|banned|delete|deleted|close|closed|block|blocked|report|reported)",
    r"\byou (?:suspended|banned|deleted|closed|blocked|reported) (?:my|our|us|me|the brothers)\b",
    r"(?:موظفي|موظفو|موظف|ادارة|اداره|مدير|مديري|مؤسس|موسس|عمال|العاملين في|مشرفي|فريق) ?(?:ال)?(?:تويتر|فيسبوك|فيس بوك|تلغرام|تليجرام|يوتيوب|منصه|شركه|موقع)",
    r"\b(?:من|الذين|اللي) (?:اغلق|اغلقوا|علق|علقوا|حذف|حذفوا|اوقف|اوقفوا|بلغ|بلغوا) (?:حساب|حسابات|حسابي|حسابنا)",
)
_REPORTING = (
    r"\b(?:threat|threats|threatened|threatening|threatens)\b",
    r"\b(?:police|arrested|charged|sentenced|convicted|court|prosecutors?|investigat\w*|authorities)\b",
    r"\b(?:reportedly|according to|said (?:he|she|they) would|allegedly|condemn\w*|unacceptable|report(?:ed|s)? that)\b",
    r"(?:تهديد|تهديدات|هدد|يهدد|الشرطه|اعتقال|القبض|محكمه|ادان|يدين|نستنكر|استنكار|حسب|وفقا ل)",
)
_IDIOM = (
    r"\b(?:kill(?:ing|ed)? it|kill(?:ing)? (?:the|this) (?:game|vibe|beat|mood|time)|killing me|kill for a|"
    r"destroy(?:ed)? (?:them|you) (?:in|at) (?:the )?(?:match|game|final|debate|polls?|election)|"
    r"(?:match|game|final|tournament|season|league|tonight's game)|you'?ll pay for (?:the|dinner|lunch|drinks|coffee)|"
    r"regret (?:not|missing|buying)|die (?:laughing|of laughter)|dying to)\b",
    r"(?:مباراه|المباراه|الدوري|النهائي|كاس|منتخب)",
)
_FRIENDLY = (
    r"\b(?:congrat\w*|welcome|thanks?|thank you|love|happy|birthday|wedding|invitation|cheers|good luck)\b",
    r"(?:مبروك|شكرا|مبارك|تهانينا|عيد سعيد)",
)
_COMPILED = {
    "intent to harm": tuple(re.compile(p) for p in (*_ENGLISH_INTENT, *_ARABIC_INTENT)),
    "platform staff named": tuple(re.compile(p) for p in _STAFF),
    "reporting or condemning": tuple(re.compile(p) for p in _REPORTING),
    "idiom or sport": tuple(re.compile(p) for p in _IDIOM),
    "friendly words": tuple(re.compile(p) for p in _FRIENDLY),
}
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_RETWEET = re.compile(r"^RT @[A-Za-z0-9_]+:?\s*")
_SECOND_PERSON = re.compile(r"\b(?:you|your|u|انت|انتم|لك|لكم|عليك|عليكم|اليك|اليكم)\b")


@dataclass(frozen=True, slots=True)
class Threat:
    """A post's verdict: a score in [0, 1], the target kind (``staff``, ``person``, or empty),
    the accounts it names, and the cues found, each with the words that matched."""

    score: float
    target: str
    handles: tuple[str, ...]
    cues: tuple[tuple[str, str], ...]  # (cue, matched words)

    def is_threat(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        return self.score >= threshold

    def evidence(self) -> tuple[Evidence, ...]:
        found = [Evidence(SIGNAL, f'{cue}: "{words}"', words) for cue, words in self.cues]
        if self.target:
            who = "platform staff" if self.target == "staff" else ("@" + ", @".join(self.handles) if self.handles else "the reader addressed")
            found.append(Evidence(SIGNAL, f"target: {who}", self.target, self.score))
        return tuple(found)

    def as_dict(self) -> dict:
        return {"signal": SIGNAL, "version": VERSION, "score": round(self.score, 3), "target": self.target,
                "handles": list(self.handles), "cues": [f"{cue}: {words}" for cue, words in self.cues]}


def _first(patterns: Sequence[re.Pattern], text: str) -> str | None:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found.group(0).strip()
    return None


def score_threat(text: str | None, mentioned: Sequence[str] | None = None) -> Threat:
    """Score one post. ``mentioned``: the handles the platform says the post names (its
    entities); without them ``@handles`` are read from the text. A retweet's ``RT @x:`` names
    the retweeted author, not a target, and is dropped. Never raises."""
    raw = (text if isinstance(text, str) else "")[:MAX_CHARS]
    body = _RETWEET.sub("", raw)
    handles = tuple(dict.fromkeys(h.lower() for h in (mentioned if mentioned is not None else _MENTION.findall(body))))
    folded = normalize_text(_URL.sub(" ", _MENTION.sub(" @ ", body)))
    found = {name: _first(patterns, folded) for name, patterns in _COMPILED.items()}
    cues = tuple((name, words) for name, words in found.items() if words)
    intent, staff = found["intent to harm"], found["platform staff named"]
    if not intent:
        return Threat(0.0, "", handles, cues)
    if staff:
        target, score = "staff", 0.9
    elif handles:
        target, score = "person", 0.75
    elif _SECOND_PERSON.search(folded):
        target, score = "person", 0.65
    else:  # an intent with no one in particular ("they will pay")
        target, score = "", 0.4
    if found["reporting or condemning"]:
        score -= 0.35
    if found["idiom or sport"]:
        score -= 0.3
    if found["friendly words"]:
        score -= 0.3
    return Threat(round(max(score, 0.0), 3), target, handles, cues)


def score_threats(texts: Sequence[str | None], mentioned: Sequence[Sequence[str] | None] | None = None) -> list[Threat]:
    """:func:`score_threat` over a batch (``mentioned`` aligned with ``texts``, or None)."""
    if mentioned is None:
        return [score_threat(t) for t in texts]
    return [score_threat(t, m) for t, m in zip(texts, mentioned, strict=True)]
