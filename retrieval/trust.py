"""What makes an answer trustworthy for staff: who is responsible, and whether the
cited documents still apply."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.lexical import analyze
from core.records import Statement
from core.store import LiveState
from core.wording import validity_note
from retrieval.search import Candidate

_DUTY = (r"(ansvar\w*|ska\b|uppdrag\w*|leder|samordna\w*|genomför\w*|följer upp|följa upp|utveckla\w*|"
         r"ta fram|sprida|spreds?|utser|utse)")
_BODY = (r"(nämnd\w*|myndighet\w*|förvaltning\w*|organisation\w*|aktör\w*|styrelse\w*|instans\w*|enhet\w*|"
         r"aktör\w*|person\w*|roll\w*|funktion\w*|verk|verket|kommun\w*|region\w*|departement\w*)")
# "Vem …", or "Vilken nämnd/myndighet …" (an actor is asked for), with a duty in the question;
# "Vilka rättighetsområden …" or "Vilka insatser ska genomföras?" ask for no actor.
_WHO = re.compile(
    rf"^\s*(vem|vad heter den (nämnd|myndighet)|(vilka|vilken|vilket)\s+(\w+\s+)?{_BODY}\b)\b.*\b{_DUTY}"
    rf"|^\s*(vilka|vilken|vilket)\s+{_DUTY}"
    r"|^\s*who\b.*\b(responsible|in charge|task\w*|assign\w*)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w]*-?")
_JOINT = re.compile(r"^(\s|,|-|och|samt|eller)*$", re.IGNORECASE)


@dataclass(frozen=True)
class Responsible:
    actors: tuple[str, ...]
    passage: int  # index into the candidates
    start: int  # offsets into the passage text
    end: int
    sentence: str
    score: float


def asks_who_is_responsible(question: str) -> bool:
    return bool(_WHO.search(question))


def find_responsible(question: str, candidates: Sequence[Candidate], state: LiveState) -> Responsible | None:
    """The statement of responsibility in the top passages that best matches the question."""
    terms = set(analyze(question))
    best: Responsible | None = None
    for index, cand in enumerate(candidates[:3]):
        chunk = cand.chunk
        info = state.documents.get(chunk.doc)
        if info is None:
            continue
        by_sentence: dict[tuple[int, int], list[Statement]] = {}
        for row in info.statements:
            if row.page == chunk.page and chunk.start <= row.start and row.end <= chunk.end:
                by_sentence.setdefault((row.start, row.end), []).append(row)
        for (start, end), rows in by_sentence.items():
            words = set(analyze(rows[0].sentence + " " + " ".join(r.measure for r in rows)))
            overlap = len(terms & words) / len(terms) if terms else 0.0
            score = overlap - 0.1 * index
            if overlap >= 0.34 and (best is None or score > best.score):
                actors = tuple(dict.fromkeys(r.actor for r in rows))
                best = Responsible(actors, index, start - chunk.start, end - chunk.start, rows[0].sentence, score)
    return best


def _mention(sentence: str, actor: str) -> tuple[int, int] | None:
    """Where the sentence names `actor`: the name itself (any case, genitive -s), else a
    word of the same stem ("stadsdelsnämnder"), else the first part of a joint list
    ("Arbetsmarknads-, kultur- … och socialnämnden")."""
    whole = re.search(rf"\b{re.escape(actor)}s?\b", sentence, re.IGNORECASE)
    if whole:
        return whole.span()
    head = actor.split()[0].casefold()
    words = list(_WORD.finditer(sentence))
    for m in words:
        w = m.group().casefold().rstrip("-")
        if len(w) >= 5 and len(os.path.commonprefix([w, head])) >= max(5, len(head) - 3) and w[:1] == head[:1]:
            return m.span()
    for i, m in enumerate(words):
        w = m.group().casefold()
        nxt = words[i + 1].group().casefold() if i + 1 < len(words) else ""
        joint = w.endswith("-") or nxt in ("och", "samt", "eller")
        if joint and len(w.rstrip("-")) >= 4 and head.startswith(w.rstrip("-")):
            return m.span()
    return None


def actors_as_written(sentence: str, actors: Sequence[str]) -> str:
    """The actors named as the sentence names them: one phrase when the mentions stand
    together ("Arbetsmarknads-, kultur-, utbildnings och socialnämnden samt
    stadsdelsnämnderna"), else each mention; an actor the sentence does not name (a
    passive sentence under a heading that names it) as the index has it."""
    spans, missing = [], []
    for actor in actors:
        span = _mention(sentence, actor)
        if span is None:
            missing.append(actor)
        elif span not in spans:
            spans.append(span)
    spans.sort()
    together = bool(spans) and all(_JOINT.match(sentence[a[1] : b[0]]) for a, b in itertools.pairwise(spans))
    if together:
        names = [sentence[spans[0][0] : spans[-1][1]]]
    else:
        names = [sentence[a:b] for a, b in spans]
    named = ", ".join(dict.fromkeys(names + missing))
    return named[:1].upper() + named[1:]


def validity_notes(docs: Sequence[str], state: LiveState, today: dt.date) -> dict[str, str]:
    """doc -> "Strategin gällde 2018–2022. Kontrollera om den har ersatts." for each cited
    document whose period ended; its replacement named (by title when it is indexed) when
    `replaced_by` is known."""
    notes = {}
    for doc in dict.fromkeys(docs):
        info = state.documents.get(doc)
        if info is None:
            continue
        newer = state.documents.get(info.replaced_by or "")
        replacement = " ".join(newer.title.split()) if newer else info.replaced_by or ""
        note = validity_note(info.title, info.validity, today, replacement)
        if note:
            notes[doc] = note
    return notes


def prefer_newer(candidates: list[Candidate], state: LiveState) -> tuple[list[Candidate], dict[str, str]]:
    """Move passages of a replaced document after those of its replacement, and name the
    newer document: doc -> "Det finns ett nyare dokument: …"."""
    replaced: dict[str, str] = {}
    for cand in candidates:
        info = state.documents.get(cand.chunk.doc)
        newer = (info.replaced_by or "") if info else ""
        if newer and newer in state.documents and newer != cand.chunk.doc:
            replaced[cand.chunk.doc] = newer
    if not replaced:
        return candidates, {}
    present = {c.chunk.doc for c in candidates}
    ordered = sorted(
        candidates,
        key=lambda c: candidates.index(c) + (len(candidates) if replaced.get(c.chunk.doc) in present else 0),
    )
    notes = {
        old: f"Det finns ett nyare dokument: {state.documents[new].title}."
        for old, new in replaced.items()
    }
    return ordered, notes
