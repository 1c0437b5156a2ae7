"""Long pasted texts: the question part of an e-mail-like text.

Staff paste a whole e-mail ("Hej! Vi har … Vem ska …? Med vänlig hälsning …"). The
greeting and the signature are taken away and the last question sentences (the last
sentence that ends with "?", with the question sentences right before it) are what is
searched; the answer says which part it answered. A text that is not long, has no
question sentence, or is one paragraph of background and question without greeting or
signature (under VERY_LONG_CHARS), is searched as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.sentences import split_sentences

LONG_CHARS = 280  # shorter than this, a text is a question, not a pasted text
VERY_LONG_CHARS = 800  # longer than this, a text is pasted even without a greeting or signature
MAX_QUESTION_SENTENCES = 2
_GREETING = re.compile(
    r"^\s*(?:hej|hejsan|hallå|god\s+(?:morgon|dag|eftermiddag|kväll)|bästa|kära|till)\b[^\n.!?]{0,60}[,!.:]?\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^\s*(?:med\s+vänlig(?:a)?\s+hälsning(?:ar)?|vänliga\s+hälsningar|vänlig\s+hälsning|hälsningar|mvh|"
    r"tack\s+på\s+förhand|tack\s+för\s+hjälpen|ha\s+en\s+(?:bra|fin)\s+dag|/\s*\w+|--\s*$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Pasted:
    question: str  # the part searched
    before: str  # the text before it (greeting and signature taken away), for a follow-up in it


def _body(text: str) -> str:
    lines = text.strip().split("\n")
    while lines and (not lines[0].strip() or _GREETING.match(lines[0])):
        lines.pop(0)
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line):
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


def question_part(text: str) -> Pasted | None:
    """The question part of a long pasted text; None for a question of normal length
    or a text without a question sentence."""
    stripped = text.strip()
    if len(stripped) < LONG_CHARS:
        return None
    body = _body(text)
    framed = body != stripped or stripped.count("\n") >= 2  # a greeting, a signature, or paragraphs
    if not framed and len(stripped) < VERY_LONG_CHARS:
        return None  # a long question with its background in one paragraph is asked whole
    spans = split_sentences(body)
    sentences = [" ".join(body[s:e].split()) for s, e in spans]
    asks = [i for i, s in enumerate(sentences) if s.endswith("?")]
    if not asks:
        return None
    last = asks[-1]
    first = last
    while first - 1 in asks and last - first + 1 < MAX_QUESTION_SENTENCES:
        first -= 1
    part = " ".join(sentences[first:last + 1])
    before = " ".join(sentences[:first])
    return Pasted(part, before)
