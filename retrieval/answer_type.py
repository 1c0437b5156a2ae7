"""What kind of answer a question asks for, and whether a sentence holds one: who → an
actor, when → a date or year, how many / how much → a number or amount, how long → a
duration. Pure surface patterns (Swedish, and the English question words); used as a
bonus in the scoring of quotes, never as a filter."""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["who", "when", "amount", "duration"]

_NUMBER_WORDS = (
    r"två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo|trettio|fyrtio|femtio|sextio|sjuttio|"
    r"åttio|nittio|hundra|tusen|\w*hundra|\w*tusen|miljon\w*|miljard\w*|halvt?|dubbelt"
)
_UNITS = r"år|års|månad(?:er|en|s)?|veck(?:a|or|an|ors)|dag(?:ar|en|s)?|arbetsdag(?:ar|en)?|vardag(?:ar)?|" \
         r"timm(?:e|ar|en)|minut(?:er)?|sekund(?:er)?|dygn|kvart|terminer?|läsår|" \
         r"years?|months?|weeks?|days?|hours?|minutes?"

_QUESTION = [
    ("duration", re.compile(
        r"\b(hur\s+läng[e]?|hur\s+lång\s+tid|hur\s+långt\s+i\s+förväg|under\s+hur\s+lång|inom\s+hur\s+lång|"
        r"hur\s+många\s+(år|månader|veckor|dagar|timmar)|how\s+long|for\s+how\s+many\s+(years|months))\b",
        re.IGNORECASE)),
    ("amount", re.compile(
        r"\b(hur\s+många|hur\s+mycket|hur\s+stor[at]?|hur\s+hög[at]?|vad\s+kostar|vilket\s+belopp|"
        r"hur\s+mkt|till\s+vilket\s+pris|how\s+many|how\s+much)\b", re.IGNORECASE)),
    ("when", re.compile(
        r"\b(när|sedan\s+när|från\s+när|vilket\s+år|vilka\s+år|vilket\s+datum|vilken\s+dag|vilket\s+århundrade|"
        r"vilken\s+tid|hur\s+tidigt|when|what\s+year|in\s+which\s+year)\b", re.IGNORECASE)),
    ("who", re.compile(
        r"^\s*(vem|vems|vilka\s+personer|vilken\s+person|who|whom|whose)\b"
        r"|\b(vilken|vilka|vilket)\s+(\w+\s+)?(nämnd\w*|myndighet\w*|förvaltning\w*|organisation\w*|aktör\w*|"
        r"styrelse\w*|instans\w*|verk|enhet\w*|kommun\w*|region\w*|person\w*|roll\w*|befattning\w*|"
        r"yrkes\w*|företag\w*|förening\w*|departement\w*|land|länder)\b"
        r"|^\s*vad\s+heter\s+(den|det)\s+\w+", re.IGNORECASE)),
]

_ACTOR_WORD = re.compile(
    r"\b\w*(nämnd|nämnden|nämnder|nämnderna|förvaltning|förvaltningen|förvaltningar|styrelse|styrelsen|verket|"
    r"myndighet|myndigheten|myndigheter|inspektionen|kassan|kommun|kommunen|kommuner|regionen|regeringen|"
    r"riksdagen|departementet|rådet|ombudsmannen|institutet|fullmäktige|organisation|organisationer|"
    r"förening|föreningen|föreningar|handläggare|handläggaren|chef|chefen|direktör|samordnare|samordnaren|"
    r"rektor|rektorn|läkare|läkaren|sjuksköterska|arbetsgivare|arbetsgivaren|ombud|ombudet|brobyggare|"
    r"socialsekreterare|tjänsteman|tjänstemän|personal|personalen|medarbetare)s?\b",
    re.IGNORECASE,
)
_PROPER = re.compile(r"(?<=[\w,;:)] )[A-ZÅÄÖ][\wåäöé-]+")  # a capital after the first word: a name
_YEAR = re.compile(r"\b(1[0-9]\d\d|20\d\d)(-talet)?\b|\b\d{4}-\d{2}-\d{2}\b")
_MONTH = re.compile(
    r"\b(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|"
    r"måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|\w+århundradet|january|february|march|june|july|"
    r"august|october)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(rf"\d|\b({_NUMBER_WORDS})\b|\bprocent\b|%|\bkronor\b|\bkr\b", re.IGNORECASE)
_DURATION = re.compile(
    rf"\b(\d+([,.]\d+)?|en|ett|{_NUMBER_WORDS}|några|flera|ett\s+par|a|an|one|two|three|four|five|six|ten)"
    rf"\s+(\w+\s+)?({_UNITS})\b"
    r"|\bsenast\b|\bi\s+förväg\b|\b(livstid|permanent|tillsvidare|tills\s+vidare)\b",
    re.IGNORECASE,
)


def question_type(question: str) -> AnswerType | None:
    """The kind of answer asked for; None when the question asks for none of them."""
    for kind, pattern in _QUESTION:
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def counted(question: str) -> str | None:
    """What a "how many" question counts: "besök" in "Hur många besök …"."""
    m = re.search(r"\bhur\s+många\s+([^\W\d_]{3,})", question, re.IGNORECASE)
    return m.group(1).casefold() if m else None


def has_type(kind: AnswerType | None, sentence: str, noun: str | None = None) -> bool:
    """Whether the sentence holds an answer of that kind; for "how many <noun>" also
    "ett/en <noun>" ("gäller bara för ett besök")."""
    if kind == "amount" and noun:
        stem = re.escape(noun[: max(3, len(noun) - 2)])
        if re.search(rf"\b(en|ett|ingen|inget|inga)\s+{stem}", sentence, re.IGNORECASE):
            return True
    if kind == "who":
        return bool(_ACTOR_WORD.search(sentence) or _PROPER.search(sentence))
    if kind == "when":
        return bool(_YEAR.search(sentence) or _MONTH.search(sentence))
    if kind == "amount":
        return bool(_AMOUNT.search(sentence))
    if kind == "duration":
        return bool(_DURATION.search(sentence))
    return False


def counts(noun: str, sentence: str) -> bool:
    """Whether the sentence gives a number of what a "how many <noun>" question counts: a
    figure or a number word right before the noun or a form of it ("två brobyggare",
    "5 000 romer"), a year not counted as such."""
    stem = re.escape(noun[: max(3, len(noun) - 2)])
    figure = r"(?<![\d-])(?!1[0-9]\d\d\b|20\d\d\b)\d[\d\s.,]*"
    return bool(re.search(rf"(?:{figure}|\b(?:{_NUMBER_WORDS})\b)\s+(?:\w+\s+)?{stem}", sentence, re.IGNORECASE))
