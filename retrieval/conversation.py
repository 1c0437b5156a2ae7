"""Follow-up questions resolved against the conversation, deterministically.

A question that leans on the earlier turns ("Och vem ska göra det?") is searched as a
question built from them ("Vem ska göra det – romska barn som omhändertas enligt LVU?");
a question that is complete in itself is left alone. Everything here is pure: no
Streamlit, no search, no model.

A follow-up is recognised by
- a leading connective: "Och …", "Men …", "Samma för …", "Än …", "Hur är det med …";
- no topic of its own: no word left once stop words, question words and light verbs
  ("göra", "gäller", "ansvarar", "följer upp", …) are taken away ("Vem ska göra det?");
- a pronoun standing for something earlier ("det", "den", "de", "detta", "dessa", …, not
  followed by a word it determines, not "det att"/"det som") in a question with at most
  one topic word of its own ("När ska den vara klar?").

The topic carried into a follow-up is the earlier question's wording from its first
topic word on ("Vad gäller för romska barn som omhändertas enligt LVU?" gives "romska
barn som omhändertas enligt LVU"), taken from the latest earlier question that has one,
as that question was itself understood, so a chain of follow-ups keeps its topic.

Where a language model is configured (issue #15), a `Rewriter` may build the complete
question instead; the rule here stays the fallback when it gives nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.lexical import STOPWORDS
from core.privacy import mask_personal_data, warning_for
from retrieval.pasted import question_part

# (question, earlier questions oldest first, all masked) -> the complete question, or None.
Rewriter = Callable[[str, Sequence[str]], "str | None"]

_WORD = re.compile(r"[\wÅÄÖåäö-]+", re.UNICODE)
_CONNECTIVE = re.compile(
    r"^\s*(?:(?:och|men|samt)\b(?=[\s,]+(?:,|vad|vem|vems|vilka|vilken|vilket|hur|när|var|vart|varför|om|för|i|på|"
    r"till|med|det|den|de|dem|detta|dessa|där|då|samma|inte|gäller|ska|kan|måste|får|bör|har|är|finns|även|också)\b)"
    r"|än|även|också|samma\s+(?:för|med|sak)|hur\s+(?:är|blir)\s+det\s+(?:med|för)"
    r"|vad\s+(?:sägs|säger\s+du)\s+om|gäller\s+det\s+också)\b[\s,]*",
    re.IGNORECASE,
)
# Words that are no topic of their own: question words, pronouns, auxiliaries, light verbs.
_LIGHT = frozenset("""
vad vem vems vilka vilken vilket hur när var vart varför varifrån
det den de dem detta denna dessa dess deras där då sådan sådant sådana samma
ska skall skulle kan kunde får fick måste bör borde vill behöver behövs
göra gör gjorde gjort görs gäller gälla gällde ansvarar ansvara ansvarig ansvariga ansvaret
följer följa följs uppföljning upp sker ske skedde går gå gick till finns fanns få ha har hade
vara är var blir bli blev ta tar tas handlar innebär betyder menas står stå säger säga
också även mer fler annars så exakt egentligen alltså nu sen sedan igen dessutom ytterligare
länge ofta mycket många stor stort fram bygger bygga byggs omfattar omfatta innehåller
klar klart klara hända händer utför utföra genomför genomföra genomförs ansvarsfördelningen
""".split())
_ANAPHORS = frozenset("det den de dem detta denna dessa dess deras där sådan sådant sådana".split())
# After one of these the pronoun still stands alone ("för det i staden", "det då").
_AFTER_ANAPHOR = frozenset(STOPWORDS | _LIGHT) - {"att", "som"}
_QUESTION_WORDS = frozenset("vad vem vems vilka vilken vilket hur när var vart varför varifrån".split())
_AUXILIARIES = frozenset("ska skall kan måste bör får vill skulle kunde borde har hade".split())
_DASH = " – "
MAX_OWN_WITH_PRONOUN = 2  # topic words a question with a pronoun may have and still lean on earlier turns


@dataclass(frozen=True)
class Understood:
    """What was asked and what was searched for.

    `asked`: the words as typed, personal data masked. `searched`: the question the
    search and the answer get. `rewritten`: `searched` was built from earlier turns.
    `part`: for a long pasted text, the part that is answered ("Svarar på: …").
    `by`: "regel" (the rule here) or "modell" (a configured Rewriter)."""

    asked: str
    searched: str
    rewritten: bool = False
    part: str | None = None
    by: str = "regel"
    warnings: tuple[str, ...] = ()  # personal data found (and masked) in this turn or the earlier ones


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def topic_words(question: str) -> list[str]:
    """The question's own topic: its words that are neither stop words nor light words."""
    return [w for w in _words(question)
            if w not in STOPWORDS and w not in _LIGHT and (not w.isdigit() or len(w) == 4)]


def _has_anaphor(question: str) -> bool:
    """A pronoun standing alone for something outside the question: not determining the
    word after it, not pointing ahead ("Hur går det till att …"), and not after a clause
    of the question that names its own topic ("Vad är X och hur får man det?")."""
    ws = _words(question)
    for i, w in enumerate(ws):
        if w not in _ANAPHORS:
            continue
        after = ws[i + 1] if i + 1 < len(ws) else None
        # "Hur ofta ska det sammanträda?" (not "Vad ska den heltäckande sjukförsäkringen vara?")
        subject = i > 0 and ws[i - 1] in _AUXILIARIES and len(topic_words(" ".join(ws[i + 1:]))) <= 1
        if after is not None and after not in _AFTER_ANAPHOR and not subject:
            continue
        if "att" in ws[i + 1:i + 3] or "som" in ws[i + 1:i + 2]:
            continue
        before = ws[:i]
        if "och" in before and topic_words(" ".join(before[:before.index("och")])):
            continue
        return True
    return False


def is_follow_up(question: str) -> bool:
    """Does the question lean on earlier turns? (See the module's description.)"""
    if _CONNECTIVE.match(question):
        return True
    own = topic_words(question)
    ws = _words(question)
    # "Och kulturnämnden?", "Och år 2004?", "I Malmö då?"
    elliptic = not set(ws) & _QUESTION_WORDS and (
        len(ws) <= 2 or (len(ws) <= 4 and (ws[-1] == "då" or ws[0] in ("och", "men"))))
    return not own or elliptic or (len(own) <= MAX_OWN_WITH_PRONOUN and _has_anaphor(question))


def topic_of(question: str) -> str:
    """The earlier question's wording from its first topic word on, without the question
    mark and a dangling preposition; "" when it has no topic word."""
    body = question.split(_DASH, 1)[1] if _DASH in question else question
    tokens = body.strip().rstrip("?.!").split()
    # "Vilka rättighetsområden bygger strategin på?": the noun asked for is the answer,
    # not the topic; the topic is what the rest is about ("strategin").
    low = [t.lower() for t in tokens]
    slot = 2 if low[:1] == ["hur"] and low[1:2] in (["många"], ["mycket"]) else 1 if low[:1] in (
        ["vilka"], ["vilken"], ["vilket"]) else 0
    start = next((i for i, t in enumerate(tokens) if i > slot and topic_words(t)), None) if slot else None
    if start is None:
        start = next((i for i, t in enumerate(tokens) if topic_words(t)), None)
    if start is None:
        return ""
    kept = tokens[start:]
    while kept and not topic_words(kept[-1]):  # up to its last topic word
        kept.pop()
    return " ".join(kept).strip(",;: ")


def _own_words(question: str) -> str:
    rest = _CONNECTIVE.sub("", question, count=1).strip() or question.strip()
    return rest[:1].upper() + rest[1:]


def rule_rewrite(question: str, previous: Sequence[str]) -> str | None:
    """The deterministic rewrite: the follow-up's own words and the topic of the latest
    earlier question that has one; None when the question is complete or there is no
    earlier topic."""
    if not previous or not is_follow_up(question):
        return None
    own = _own_words(question).rstrip("?.! ")
    if not set(_words(own)) & _QUESTION_WORDS:
        # "Samma för kulturnämnden?", "Och för äldre?": the earlier question, asked of this.
        latest = previous[-1].split(_DASH, 1)[0].rstrip("?.! ")
        tail = re.sub(r"^\s*(?:och|men)\b[\s,]*", "", question.strip(), flags=re.IGNORECASE).rstrip("?.! ")
        return f"{latest}{_DASH}{tail}?"
    topic = next((t for t in map(topic_of, reversed(previous)) if t), "")
    if not topic:
        return None
    return f"{own}{_DASH}{topic}?"


def understand(
    question: str, previous: Sequence[str] = (), rewriter: Rewriter | None = None
) -> Understood:
    """Mask every turn, find the question part of a long pasted text, and resolve a
    follow-up against the earlier questions (oldest first, as they were understood)."""
    masks = [mask_personal_data(t) for t in [question, *previous]]  # before anything else happens to any turn
    asked, earlier = masks[0].text, [m.text for m in masks[1:] if m.text.strip()]
    warning = warning_for(f for m in masks for f in m.findings)
    pasted = question_part(asked)
    own = pasted.question if pasted else asked
    context = earlier + ([pasted.before] if pasted and pasted.before else [])
    searched, by = None, "regel"
    if rewriter is not None and context and is_follow_up(own):
        searched, by = rewriter(own, context), "modell"
        if searched is not None:
            searched = mask_personal_data(searched).text
    if not searched:
        searched, by = rule_rewrite(own, context), "regel"
    return Understood(asked, searched or own, searched is not None, pasted.question if pasted else None, by,
                      (warning,) if warning else ())


def understand_history(questions: Sequence[str], rewriter: Rewriter | None = None) -> list[Understood]:
    """Earlier questions as typed (oldest first), each understood against the ones before
    it: what a conversation had searched for, turn by turn."""
    turns: list[Understood] = []
    for question in questions:
        turns.append(understand(question, [t.searched for t in turns], rewriter))
    return turns


def understood_lines(understood: Understood | None) -> list[str]:
    """What an answer says about the question it answers (Swedish): the part of a pasted
    text it answers, and the complete question a follow-up was searched as."""
    if understood is None:
        return []
    lines = [f"Svarar på: {understood.part}"] if understood.part else []
    if understood.rewritten:
        lines.append(f"Tolkat som: {understood.searched}")
    return lines
