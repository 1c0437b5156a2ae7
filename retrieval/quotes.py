"""Which words of the top passages an answer quotes: complete statements only (what a
statement is: core/quotable.py). Statements are scored by the share
of the question's words they hold, the passage's rank, and a bonus when they hold the
kind of answer the question asks for (retrieval/answer_type.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.embedders import Embedder
from core.lexical import LexicalIndex, analyze, covers
from core.quotable import Statement, statements
from core.sentences import split_sentences
from core.statement_vectors import vectors_of
from retrieval.answer_type import counted, has_type, question_type
from retrieval.search import Candidate, LoadedGeneration

SENTENCE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3
TYPE_BONUS = 0.15  # added to a statement that holds the kind of answer asked for
TYPE_BONUS_BY_MEANING = 0.01  # the same for English questions, on the cosine scale


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's number in the answer, 1-based
    text: str  # the sentence, words verbatim, whitespace made single; a lead-in's items after ITEM_SEPARATOR
    chunk_id: str
    start: int  # offsets into the passage text (a lead-in: from its start to its last item's end)
    end: int
    score: float


@dataclass(frozen=True)
class Scored:
    score: float
    passage: int  # index into the candidates
    statement: Statement


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


def score_by_meaning(question: str, query: np.ndarray, passages: Sequence[Candidate], gen: LoadedGeneration,
                     embedder: Embedder) -> list[Scored]:
    """For English questions: the statements of the top passage by embedding similarity to
    the question's vector (words do not overlap across languages). Their vectors come
    from the generation's files (core/statement_vectors.py); any they lack are embedded."""
    found = statements(passages[0].chunk.text)
    if not found:
        return []
    kind, noun = question_type(question), counted(question)
    vectors = vectors_of([st.text for st in found], gen.state.model_id, gen.statements,
                         lambda texts: embedder.embed(texts, "passage"))
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


def choose(question: str, candidates: Sequence[Candidate], gen: LoadedGeneration, english: bool,
           vector: np.ndarray | None, embedder: Embedder) -> list[Scored]:
    """The statements an answer quotes, in reading order."""
    if english and vector is not None:
        scored = score_by_meaning(question, vector, candidates, gen, embedder)
        if scored:
            return pick(dedupe(scored), by_meaning=True)
    return pick(dedupe(score_statements(question, candidates, gen.lexical)))


def with_first(first: Scored, picked: Sequence[Scored]) -> list[Scored]:
    """`first` (the statement of responsibility) and the other picks it does not overlap."""
    rest = [s for s in picked if not (s.passage == first.passage and s.statement.start < first.statement.end
                                      and first.statement.start < s.statement.end)]
    return [first, *rest[: MAX_QUOTES - 1]]


def quotes_of(picked: Sequence[Scored], candidates: Sequence[Candidate]) -> list[Quote]:
    return [Quote(s.passage + 1, s.statement.text, candidates[s.passage].chunk.id, s.statement.start,
                  s.statement.end, s.score) for s in picked]
