"""Which words of the top passages an answer quotes: complete statements only.

A statement is a sentence of a paragraph or list item that starts as a sentence starts
and ends in terminal punctuation; a lead-in that ends in ":" or ";" is quoted together
with the list that follows it (up to MAX_ITEMS items). Headings, Markdown syntax and
fragments cut by the chunk's edge are never quoted. Statements are scored by the share
of the question's words they hold, the passage's rank, and a bonus when they hold the
kind of answer the question asks for (retrieval/answer_type.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.lexical import LexicalIndex, analyze, covers
from core.sentences import Unit, display, split_sentences, split_unit, units
from retrieval.answer_type import counted, has_type, question_type
from retrieval.search import Candidate, Searcher

SENTENCE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3
MAX_ITEMS = 10  # list items a lead-in brings along
MAX_LIST_CHARS = 900
TYPE_BONUS = 0.15  # added to a statement that holds the kind of answer asked for
TYPE_BONUS_BY_MEANING = 0.01  # the same for English questions, on the cosine scale
ITEM_SEPARATOR = "\n• "  # between a lead-in and its items in a quote's text
_LEAD_IN = (":", ";")
_TERMINAL = (".", "!", "?", "…", ")", '"', "»", "”", "[...]", "[…]")
_MARKUP = re.compile(r"^(?:#|[*+|>]|-\s|\d{1,2}[.)]\s)")


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's number in the answer, 1-based
    text: str  # the sentence, words verbatim, whitespace made single; a lead-in's items after ITEM_SEPARATOR
    chunk_id: str
    start: int  # offsets into the passage text (a lead-in: from its start to its last item's end)
    end: int
    score: float


@dataclass(frozen=True)
class Statement:
    """A quotable span of a passage's text and the words a quote of it shows."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Scored:
    score: float
    passage: int  # index into the candidates
    statement: Statement


# --- What may be quoted ------------------------------------------------------------


def _indent(text: str, pos: int) -> int:
    """The leading whitespace of the line that holds `pos`."""
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return len(line) - len(line.lstrip())


def _complete(text: str, start: int, end: int) -> bool:
    body = text[start:end]
    return (
        len(body.split()) >= 4
        and not _MARKUP.match(body)
        and not body[:1].islower()  # a continuation, or cut by the chunk's start
        and body.rstrip().endswith(_TERMINAL)  # unfinished, or cut by the chunk's end
    )


def list_after(text: str, all_units: Sequence[Unit], index: int) -> list[tuple[int, int]]:
    """The items of the list that follows the lead-in ending unit `index`: Markdown list
    items, or (PDF text, whose bullets are lost) the lines indented further than the
    lead-in, all at the indentation of the first."""
    lead_indent = _indent(text, all_units[index].start)
    items: list[tuple[int, int]] = []
    item_indent: int | None = None
    length = 0
    for u in all_units[index + 1 :]:
        indent = _indent(text, u.start)
        if u.kind == "item":
            pass
        elif indent > lead_indent and (item_indent is None or indent == item_indent):
            item_indent = indent
        else:
            break
        length += u.end - u.start
        if len(items) >= MAX_ITEMS or (items and length > MAX_LIST_CHARS):
            break
        items.append((u.start, u.end))
    if len(items) > 1 and _cut_item(text, items):
        items.pop()
    return items


def _cut_item(text: str, items: Sequence[tuple[int, int]]) -> bool:
    """The last item runs to the chunk's end unfinished while the others are sentences
    (or it is as long as one): the chunk's edge cut it."""
    start, end = items[-1]
    if end < len(text.rstrip()) or text[start:end].rstrip().endswith(_TERMINAL):
        return False
    return len(text[start:end].split()) > 8 or any(text[a:b].rstrip().endswith(_TERMINAL) for a, b in items[:-1])


def statements(text: str) -> list[Statement]:
    """Every quotable statement of a passage, in reading order."""
    all_units = units(text)
    out = []
    for index, u in enumerate(all_units):
        if u.kind == "heading":
            continue
        spans = split_unit(text, u)
        for j, (start, end) in enumerate(spans):
            body = text[start:end].rstrip()
            if j == len(spans) - 1 and body.endswith(_LEAD_IN):
                items = list_after(text, all_units, index)
                if items and len(body.split()) >= 3 and not _MARKUP.match(body) and not body[:1].islower():
                    shown = display(body) + "".join(ITEM_SEPARATOR + display(text[a:b]) for a, b in items)
                    out.append(Statement(start, items[-1][1], shown))
                continue  # a lead-in without its list is not a statement
            if _complete(text, start, end):
                out.append(Statement(start, end, display(text[start:end])))
    return out


def statement_at(text: str, start: int, end: int) -> Statement:
    """The statement that begins at `start` (a lead-in with its list), else the span as given."""
    for st in statements(text):
        if st.start == start:
            return st
    return Statement(start, end, display(text[start:end]))


# --- Scoring -------------------------------------------------------------------------


def _coverage(query_terms: list[str], text: str, lexical: LexicalIndex) -> float:
    if not query_terms:
        return 0.0
    present = set(analyze(text))
    total = sum(lexical.idf(t) for t in set(query_terms))
    hit = sum(lexical.idf(t) for t in set(query_terms) if t in present)
    return hit / total if total else 0.0


def _statement_coverage(query_terms: list[str], text: str, lexical: LexicalIndex) -> float:
    """Like `_coverage`, but a term also counts when a word of the statement holds it
    (compounds and derivations: "återrapporteras" / "Återrapporteringen")."""
    terms = set(query_terms)
    present = set(analyze(text))
    total = sum(lexical.idf(t) for t in terms)
    hit = sum(lexical.idf(t) for t in terms if covers(t, present))
    return hit / total if total else 0.0


def cut_off(text: str, start: int, end: int) -> bool:
    """A sentence the chunk boundary cut: it starts mid-sentence or ends unfinished."""
    head = text[start:end].lstrip()
    starts_cut = start == 0 and head[:1].islower()
    ends_cut = end >= len(text.rstrip()) and not text[:end].rstrip().endswith((".", "!", "?", ":", ")", "»", '"'))
    return starts_cut or ends_cut


def score_sentences(
    question: str, passages: Sequence[Candidate], lexical: LexicalIndex
) -> list[tuple[float, int, int, int]]:
    """(score, passage index, start, end) for each sentence of the first passages: the
    word overlap the refusal's evidence measures (every sentence of four words or more
    that the chunk's edge did not cut)."""
    terms = analyze(question)
    scored = []
    for p_index, cand in enumerate(passages[:SENTENCE_POOL]):
        text = cand.chunk.text
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if len(sentence.split()) < 4 or cut_off(text, start, end):
                continue
            rank_prior = 0.15 / (1 + p_index)
            scored.append((_coverage(terms, sentence, lexical) + rank_prior, p_index, start, end))
    scored.sort(key=lambda s: -s[0])
    return scored


def score_statements(question: str, passages: Sequence[Candidate], lexical: LexicalIndex) -> list[Scored]:
    """The statements of the first passages, best first."""
    terms = analyze(question)
    kind, noun = question_type(question), counted(question)
    scored = []
    for p_index, cand in enumerate(passages[:SENTENCE_POOL]):
        for st in statements(cand.chunk.text):
            bonus = TYPE_BONUS if has_type(kind, st.text, noun) else 0.0
            scored.append(Scored(_statement_coverage(terms, st.text, lexical) + 0.15 / (1 + p_index) + bonus,
                                 p_index, st))
    return sorted(scored, key=lambda s: -s.score)


def score_by_meaning(
    question: str, query: np.ndarray, passages: Sequence[Candidate], searcher: Searcher
) -> list[Scored]:
    """For English questions: the statements of the top passage by embedding similarity to
    the question's vector (words do not overlap across languages). Costs one embedding
    call for the statements."""
    found = statements(passages[0].chunk.text)
    if not found:
        return []
    kind, noun = question_type(question), counted(question)
    vectors = searcher.embedder.embed([st.text for st in found], "passage")
    scored = [Scored(float(v @ query) + (TYPE_BONUS_BY_MEANING if has_type(kind, st.text, noun) else 0.0), 0, st)
              for v, st in zip(vectors, found, strict=True)]
    return sorted(scored, key=lambda s: -s.score)


# --- Picking -------------------------------------------------------------------------


def dedupe(scored: Sequence[Scored]) -> list[Scored]:
    """Overlapping chunks repeat sentences: quote each sentence once."""
    seen: list[str] = []
    out = []
    for item in scored:
        norm = " ".join(item.statement.text.split()).lower()
        if any(norm in other or other in norm for other in seen):
            continue
        seen.append(norm)
        out.append(item)
    return out


def pick(scored: Sequence[Scored], by_meaning: bool = False) -> list[Scored]:
    """The best statement and those nearly as good, in reading order."""
    if not scored:
        return []
    best = scored[0].score
    if by_meaning:  # cosine similarities lie close together
        picked = [s for s in scored if s.score >= best - 0.015][:2]
    else:
        picked = [s for s in scored if s.score >= best * 0.75 and s.score > 0.2][:MAX_QUOTES]
    return sorted(picked or list(scored[:1]), key=lambda s: (s.passage, s.statement.start))


def choose(question: str, candidates: Sequence[Candidate], lexical: LexicalIndex, english: bool,
           vector: np.ndarray | None, searcher: Searcher) -> list[Scored]:
    """The statements an answer quotes, in reading order."""
    if english and vector is not None:
        scored = score_by_meaning(question, vector, candidates, searcher)
        if scored:
            return pick(dedupe(scored), by_meaning=True)
    return pick(dedupe(score_statements(question, candidates, lexical)))


def with_first(first: Scored, picked: Sequence[Scored]) -> list[Scored]:
    """`first` (the statement of responsibility) and the other picks it does not overlap."""
    rest = [s for s in picked if not (s.passage == first.passage and s.statement.start < first.statement.end
                                      and first.statement.start < s.statement.end)]
    return [first, *rest[: MAX_QUOTES - 1]]


def quotes_of(picked: Sequence[Scored], candidates: Sequence[Candidate]) -> list[Quote]:
    return [Quote(s.passage + 1, s.statement.text, candidates[s.passage].chunk.id, s.statement.start,
                  s.statement.end, s.score) for s in picked]
