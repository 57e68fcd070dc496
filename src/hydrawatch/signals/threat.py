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

Set phrases alone do not generalise (the first version found 4% of held-out phrasings), so
intent is also read from the *structure* of a clause: a first-person actor ("we", "I",
"someone"), a future or modal ("will", "are going to", contractions expanded first), a verb
from a harm class in any inflection (``hunt down``, ``hunting``, ``hunted down``) and a person
as object; or the person as subject of a harmful future ("you will be punished", "you'll
suffer for this"); or a negation that threatens ("you will never be safe", "no one will
protect you"). Arabic: optional و/ف, future س/سوف, first-person ن/ا, a harm stem and the
object as a clitic (وسنلاحقكم) or after a preposition (سننتقم منكم). Weak verbs (find, get,
beat, destroy) count only when the clause stops at the person ("we will find you a seat" is not
a threat), negated first-person intents ("we will never hurt anyone") match nothing, and an
intent in a subordinate clause ("when you're dead") or inside quotation marks (someone else's
words, reported) does not count as the poster's.

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
VERSION = "threat-structure-2"
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
_CLAUSE_END = r"(?=\s*(?:$|[.!,:;#?\x22\u201d\u00bb\u2019)]|down\b|one by one|soon|all\b|wherever|everywhere|wherever you are))"
_ENGLISH_INTENT = (
    rf"{_SUBJECT} (?:{_STRONG_VERBS})\b(?: (?:down|after|for))? {_OBJECT}",
    rf"{_SUBJECT} (?:{_WEAK_VERBS}) {_OBJECT}{_CLAUSE_END}",
    rf"\b(?:we|they)(?: are|'re) coming (?:for|after) {_OBJECT}",
    # "you will pay / die / be next / regret", not "you will pay less"
    r"\b(?:you|u|he|she|they)(?: will|'ll| shall| are going to| is going to|'re going to| gonna)"
    r" (?:die|pay(?! (?:less|more|only|just|extra|half|the bill|for (?:the|a|an|your|dinner|lunch|drinks|coffee|tickets?)))"
    r"|be (?:next|killed|slaughtered|punished|targeted|hunted|found)|be (?:dead|sorry)(?=\s*(?:$|[.!,:;#?@]|now|soon|already|this is a promise|remember))|regret (?:this|it|the day))\b",
    r"\b(?:you|u|they)(?: will|'ll)(?: not|n't| never) be safe\b|\bnowhere (?:will be|is) safe for (?:you|u)\b",
    r"\byou(?:'re| are) (?:next|a (?:dead|marked) (?:man|woman)|dead(?=\s*(?:$|[.!,:;#?@]|now|soon|already|this is a promise|remember))|a target|on (?:our|the) list)\b",
    r"\b(?:we|i) know where you (?:live|work|sleep|are)\b",
    r"\bwatch your back\b|\byour days are numbered\b|\bcount your days\b|"
    r"\byour (?:day|time|turn|end) (?:is|will) (?:come|coming|near)\b|\byour (?:day|time|turn) has come\b|"
    r"\byour time is (?:almost |nearly )?up\b(?=\s*(?:$|[.!,:;#]|remember|soon|this is a promise))",
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
    r"regret (?:not|missing|buying)|die (?:laughing|of laughter)|dying to|(?:head|mind|brain) (?:will|is going to) (?:explode|spin|melt))\b",
    r"(?:مباراه|المباراه|الدوري|النهائي|كاس|منتخب)",
)
_FRIENDLY = (
    r"\b(?:congrat\w*|welcome|thanks?|thank you|love|happy|birthday|wedding|invitation|cheers|good luck)\b",
    r"(?:مبروك|شكرا|مبارك|تهانينا|عيد سعيد)",
)
# --- structural cues: who (first person) + when (future/modal) + harm verb class + whom ---------
# The phrase lists above catch set phrasings; these catch the *shape* of an intent to harm, so
# paraphrases, inflections, contractions, word order and passive voice count too. They run on
# text whose contractions were expanded (:func:`_expand_contractions`).


def _inflections(verb: str) -> str:
    """A verb's base, -s, -ing and -ed forms as one alternation ("hunt" -> hunt|hunts|hunting|
    hunted); irregular past forms are listed in ``_IRREGULAR``. The particle (``down``) stays."""
    head, _, rest = verb.partition(" ")
    tail = f" {rest}" if rest else ""
    if head in _IRREGULAR:
        forms = {head, *_IRREGULAR[head]}
    else:
        stem = head[:-1] if head.endswith("e") else head
        double = head[-1] if len(head) <= 4 and head[-1] in "bgnpt" and head[-2] in "aeiou" and head[-3:-2] not in "aeiou" else ""
        forms = {head, head + ("es" if head.endswith(("sh", "ch", "s")) else "s"), stem + double + "ing",
                 (head + "d") if head.endswith("e") else (stem + double + "ed")}
    return "|".join(sorted((f + tail for f in forms), key=len, reverse=True))


_IRREGULAR = {"hurt": ("hurts", "hurting"), "shoot": ("shoots", "shooting", "shot"), "hang": ("hangs", "hanging", "hanged", "hung"),
              "burn": ("burns", "burning", "burned", "burnt"), "find": ("finds", "finding", "found"), "get": ("gets", "getting", "got", "gotten"),
              "beat": ("beats", "beating", "beaten"), "break": ("breaks", "breaking", "broke", "broken"), "bury": ("buries", "burying", "buried"),
              "come for": ("comes for", "coming for"), "catch": ("catches", "catching", "caught"), "teach": ("teaches", "teaching", "taught")}
# Harm verbs that threaten a person whatever follows; the weak ones only when the clause stops
# at the person ("we will find you." but not "we will find you a seat", "we will beat you 3-0").
_HARM_STRONG = ("hurt", "harm", "kill", "murder", "slaughter", "behead", "butcher", "shoot", "stab", "bomb", "burn", "hang",
                "execute", "punish", "torture", "attack", "assault", "maim", "eliminate", "silence", "avenge", "bury",
                "hunt down", "hunt", "track down", "chase down", "go after", "come for", "come after", "get even with",
                "take revenge on", "get back at", "make an example of")
_HARM_WEAK = ("find", "get", "reach", "visit", "target", "end", "deal with", "crush", "beat", "break", "ruin", "smash",
              "destroy", "finish", "catch", "expose")
_STRONG_FORMS = "|".join(_inflections(v) for v in _HARM_STRONG)
_WEAK_FORMS = "|".join(_inflections(v) for v in _HARM_WEAK)
# "make you suffer", "teach you a lesson", "track you down": the object sits inside the phrase.
_WRAPPED = r"(?:make|makes|making|made) {obj} (?:suffer|pay|regret|bleed|disappear)|(?:teach|teaches|teaching|taught) {obj} a lesson|(?:track|tracking|tracked|hunt|hunting|hunted) {obj} down"
_ACTOR = r"\b(?:we|i|they|someone|somebody|one of us|our (?:people|brothers|men|friends))"
_MODAL = r"(?: (?:will|shall|are going to|am going to|is going to|are about to|am about to|are coming to|will be coming to))"
_NOW = r"(?: (?:are|am|is|have|has|have been|are now|have already|are already))"
_ADVERB = r"(?: (?:soon|all|personally|eventually|definitely|surely|certainly|also|then|now|really|finally|still|one day))*"
_PERSON = r"(?:you|u|you all|all of you|every one of you|each of you|you people|you guys|him|her|them|your (?:family|families|kids|children|people|staff|team))\b"
_STOP = r"(?=\s*(?:$|[.!,:;#?\x22\u201d\u00bb\u2019)]|down\b|one by one|soon|personally|one day|for (?:this|it|that|what)|wherever|everywhere|@|remember|this is a promise|mark my words|count on it))"
_HARM_PP = (r"hurt|harmed|punished|killed|slaughtered|executed|hunted(?: down)?|tracked down|found|dealt with|silenced|destroyed|"
            r"targeted|attacked|made to (?:pay|suffer|regret)|taught a lesson|made an example of|buried|finished")
_YOU = r"\b(?:you|u|you all|all of you|every one of you|your (?:family|families|kids|children|people))"
_YOU_MODAL = r"(?: (?:will|shall|are going to|is going to|are about to))(?: (?:all|soon|surely|definitely|certainly|also|then|really))*"
_STRUCTURAL_EN = (
    rf"{_ACTOR}{_MODAL}{_ADVERB} (?:{_STRONG_FORMS}) {_PERSON}",
    rf"{_ACTOR}{_MODAL}{_ADVERB} (?:{_WEAK_FORMS}) {_PERSON}{_STOP}",
    rf"{_ACTOR}{_MODAL}{_ADVERB} (?:{_WRAPPED.format(obj=_PERSON[3:-3].join('()'))})",
    rf"{_ACTOR}{_NOW}{_ADVERB} (?:{_STRONG_FORMS}|coming for|coming after|watching) {_PERSON}",
    rf"{_ACTOR}{_NOW} (?:found|reached|targeted) {_PERSON}{_STOP}",
    # the person as subject: "you will be punished", "you'll suffer for this", "you will regret it"
    rf"{_YOU}{_YOU_MODAL} (?:be|get|be getting) (?:{_HARM_PP})\b",
    rf"{_YOU}{_YOU_MODAL} (?:suffer|pay|die|be sorry){_STOP}",
    rf"{_YOU}{_YOU_MODAL} (?:regret|answer for|pay for|suffer for) (?:this|it|that|what|the day|everything|ever)\b",
    rf"{_YOU}{_YOU_MODAL} (?:get|receive) what (?:you|he|she|they) deserve",
    # negation that threatens: "you will never be safe", "you will not escape us", "no one will protect you"
    rf"{_YOU}(?: will| shall| are going to)? (?:never|not|can not|cannot) (?:be safe\b|(?:escape|hide|run|get away)(?: from)?(?: (?:us|me))?{_STOP})",
    rf"\bnowhere (?:to|you can|for you to|left to) (?:hide|run)(?: from (?:us|me))?{_STOP}|\bthere is no (?:escape|place to hide) for you\b",
    r"\b(?:no one|nobody|no-one)(?: will| can| is going to) (?:protect|save|help|hide) (?:you|u|you all|all of you)\b",
    rf"\b(?:we|i)(?: will| shall)? (?:never|not) (?:forgive|forget) {_PERSON}",
)
# Arabic: optional conjunction (و/ف), future (س/سوف), person (ن we, ا I), a harm stem, and the
# object as a clitic (سنلاحقكم) or after a preposition (سننتقم منكم). Stems are over
# normalize_text output, so نؤذي is spelled نوذي and أؤدب اودب.
_AR_FUTURE = r"(?:^|(?<=\s))[وف]?(?:س|سوف )"
_AR_STEMS = r"قتل|ذبح|نحر|حرق|فجر|لاحق|طارد|اصطاد|عاقب|حاسب|وذي|ودب|ادب|جد|ستهدف|سحق|دمر|عذب|صفي|لقن|سكت|نتقم|صطاد|تبع"
_AR_OBJECT = r"(?:ك|كم|كما|كن|ه|ها|هم)\b"
_STRUCTURAL_AR = (
    rf"{_AR_FUTURE}(?:ن|ا)(?:{_AR_STEMS}){_AR_OBJECT}",
    rf"{_AR_FUTURE}(?:ن|ا)(?:نتقم|صل|تي|نال|ثار) (?:من|ال|الي|ل)(?:ك|كم|ه|هم|يك|يكم|يه|يهم)\b",
    rf"{_AR_FUTURE}ت(?:ندم|عاقب|حاسب|موت|لاحق|طارد|ذبح|قتل)(?:ون|ين|وا)?\b",
    r"\bلن (?:تفلت|تهرب|تنجو|تنجوا|تسلم)(?:وا|ون)?\b",
    r"\bلا مكان (?:ل)?(?:تختب|تهرب|تفر)\w*",
    r"\bلن (?:يحمي|ينقذ|ينفع)(?:ك|كم|ه|هم) (?:احد|شيء)\b",
    r"\bلن (?:ننسا|ننسي|نغفر|نسامح)(?:ك|كم|ه|هم)\b|\bلن (?:نغفر|نسامح) (?:لك|لكم)\b",
)
_CONTRACTIONS = ((re.compile(r"\bwon't\b"), "will not"), (re.compile(r"\bcan't\b"), "can not"), (re.compile(r"\bain't\b"), "are not"),
                 (re.compile(r"\bgonna\b"), "going to"), (re.compile(r"'ll\b"), " will"), (re.compile(r"\bi'm\b"), "i am"),
                 (re.compile(r"'re\b"), " are"), (re.compile(r"'ve\b"), " have"), (re.compile(r"n't\b"), " not"),
                 (re.compile(r"\bur\b"), "your"))


def _expand_contractions(folded: str) -> str:
    folded = re.sub("(?<=\\w)\u2019(?=\\w)", "'", folded)  # a curly apostrophe inside a word; quotes stay
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    return re.sub(r"\s+", " ", folded)


_COMPILED = {
    "intent to harm": tuple(re.compile(p) for p in (*_ENGLISH_INTENT, *_ARABIC_INTENT, *_STRUCTURAL_EN, *_STRUCTURAL_AR)),
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


_SUBORDINATE = re.compile(r"\b(?:when|if|until|once|unless|whether|before|after)\s+$")
_OPENING_QUOTES = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb", "\u2018": "\u2019"}


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` sits inside a quotation: someone else's words, reported."""
    before, after = text[:start], text[end:]
    for opening, closing in _OPENING_QUOTES.items():
        if opening == closing:
            if before.count(opening) % 2 == 1:
                return True
        elif before.count(opening) > before.count(closing) and closing in after:
            return True
    return False


def _intent(text: str) -> tuple[str | None, bool]:
    """The first intent-to-harm cue not in a subordinate clause ("when you're dead"), and
    whether every such cue was inside a quotation."""
    quoted_only = None
    for pattern in _COMPILED["intent to harm"]:
        for found in pattern.finditer(text):
            if _SUBORDINATE.search(text[max(0, found.start() - 10):found.start()]):
                continue
            if not _quoted(text, found.start(), found.end()):
                return found.group(0).strip(), False
            quoted_only = quoted_only or found.group(0).strip()
    return quoted_only, quoted_only is not None


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
    folded = _expand_contractions(normalize_text(_URL.sub(" ", _MENTION.sub(" @ ", body))))
    found = {name: _first(patterns, folded) for name, patterns in _COMPILED.items() if name != "intent to harm"}
    found["intent to harm"], quoted = _intent(folded)
    if quoted and not found["reporting or condemning"]:
        found["reporting or condemning"] = "quoted speech"
    found = {name: found[name] for name in _COMPILED}
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
