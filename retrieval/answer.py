"""Extractive answers: the sentences of the top passages that best answer the
question, quoted verbatim with citation markers, or a refusal when evidence is weak.

Nothing here writes text of its own except the fixed refusal sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.records import Passage
from core.sentences import display, split_sentences
from retrieval.language import is_english
from retrieval.lexical import LexicalIndex, analyze
from retrieval.privacy import mask_personal_data, warning_for
from retrieval.refusal import REFUSAL, Calibration, Evidence, gather_evidence
from retrieval.search import METHODS, Candidate, Method, Mode, Searcher, to_passages
from retrieval.trust import asks_who_is_responsible, find_responsible, prefer_newer, validity_notes

SENTENCE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's number in the answer, 1-based
    text: str  # the sentence, words verbatim, whitespace made single
    chunk_id: str
    start: int  # offsets into the passage text
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    question: str  # as processed: personal data masked
    text: str
    refused: bool
    passages: list[Passage]
    quotes: list[Quote]
    evidence: Evidence
    warnings: list[str] = field(default_factory=list)
    responsible: tuple[str, ...] = ()  # actors named first, for "who is responsible" questions


def _coverage(query_terms: list[str], text: str, lexical: LexicalIndex) -> float:
    if not query_terms:
        return 0.0
    present = set(analyze(text))
    total = sum(lexical.idf(t) for t in set(query_terms))
    hit = sum(lexical.idf(t) for t in set(query_terms) if t in present)
    return hit / total if total else 0.0


def score_sentences(
    question: str, passages: Sequence[Candidate], lexical: LexicalIndex
) -> list[tuple[float, int, int, int]]:
    """(score, passage index, start, end) for each sentence of the first passages."""
    terms = analyze(question)
    scored = []
    for p_index, cand in enumerate(passages[:SENTENCE_POOL]):
        text = cand.chunk.text
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if len(sentence.split()) < 4 or _cut_off(text, start, end):
                continue  # headings, fragments and sentences cut by the chunk's edge
            rank_prior = 0.15 / (1 + p_index)
            scored.append((_coverage(terms, sentence, lexical) + rank_prior, p_index, start, end))
    scored.sort(key=lambda s: -s[0])
    return scored


def _score_by_meaning(
    query: np.ndarray, passages: Sequence[Candidate], searcher: Searcher
) -> list[tuple[float, int, int, int]]:
    """For English questions: rank the sentences of the top passage by embedding
    similarity to the question's vector (words do not overlap across languages).
    Costs one embedding call for the sentences."""
    spans = [(0, s, e) for s, e in split_sentences(passages[0].chunk.text)]
    spans = [(p, s, e) for p, s, e in spans if len(passages[p].chunk.text[s:e].split()) >= 4]
    if not spans:
        return []
    vectors = searcher.embedder.embed([passages[p].chunk.text[s:e] for p, s, e in spans], "passage")
    scored = [(float(v @ query), p, s, e) for v, (p, s, e) in zip(vectors, spans, strict=True)]
    return sorted(scored, key=lambda x: -x[0])


def _cut_off(text: str, start: int, end: int) -> bool:
    """A sentence the chunk boundary cut: it starts mid-sentence or ends unfinished."""
    head = text[start:end].lstrip()
    starts_cut = start == 0 and head[:1].islower()
    ends_cut = end >= len(text.rstrip()) and not text[:end].rstrip().endswith((".", "!", "?", ":", ")", "»", '"'))
    return starts_cut or ends_cut


def _dedupe(picked: list[tuple[float, int, int, int]], texts: list[str]) -> list[tuple[float, int, int, int]]:
    """Overlapping chunks repeat sentences: quote each sentence once."""
    seen: list[str] = []
    out = []
    for item, text in zip(picked, texts, strict=True):
        norm = " ".join(text.split()).lower()
        if any(norm in other or other in norm for other in seen):
            continue
        seen.append(norm)
        out.append(item)
    return out


def _pick(scored: list[tuple[float, int, int, int]], by_meaning: bool = False) -> list[tuple[float, int, int, int]]:
    """The best sentence and those nearly as good, in reading order."""
    if not scored:
        return []
    best = scored[0][0]
    if by_meaning:  # cosine similarities lie close together
        picked = [s for s in scored if s[0] >= best - 0.015][:2]
    else:
        picked = [s for s in scored if s[0] >= best * 0.75 and s[0] > 0.2][:MAX_QUOTES]
    return sorted(picked or scored[:1], key=lambda s: (s[1], s[2]))


def answer_question(
    question: str,
    searcher: Searcher,
    calibration: Calibration,
    k: int = 5,
    mode: Mode | Method = "hybrid",
    today: dt.date | None = None,
) -> Answer:
    masked = mask_personal_data(question)  # before anything else happens to the question
    warnings = [w for w in [warning_for(masked.findings)] if w]
    q = masked.text
    english = is_english(q)  # the one language decision for this question
    # Embedded once: the search uses it, and so does the quote of an English answer.
    method = METHODS[mode] if isinstance(mode, str) else mode
    vector = searcher.embed_query(q) if method.dense or english else None
    gen, candidates = searcher.search_generation(q, max(k, SENTENCE_POOL), method, vector, english)
    candidates, newer_notes = prefer_newer(candidates, gen.state)
    passages = to_passages(candidates[:k], gen.state)
    scored = score_sentences(q, candidates, gen.lexical)
    evidence = gather_evidence(q, candidates, scored, gen.lexical, english)
    if not candidates or calibration.refuses(evidence):
        return Answer(q, REFUSAL, True, passages, [], evidence, warnings)
    if evidence.english:
        scored = _score_by_meaning(vector, candidates, searcher)  # type: ignore[arg-type]  # set for English
    picked = _pick(sorted(_dedupe(scored, [candidates[p].chunk.text[s:e] for _, p, s, e in scored]),
                          key=lambda x: -x[0]), evidence.english)
    responsible = find_responsible(q, candidates, gen.state) if asks_who_is_responsible(q) else None
    lead = ""
    if responsible is not None:
        r = responsible
        picked = [(r.score, r.passage, r.start, r.end)] + [
            s for s in picked if not (s[1] == r.passage and s[2] < r.end and r.start < s[3])
        ][: MAX_QUOTES - 1]
        lead = f"Ansvarig enligt dokumenten: {', '.join(r.actors)}. "
    quotes = [
        Quote(p + 1, display(candidates[p].chunk.text[s:e]), candidates[p].chunk.id, s, e, score)
        for score, p, s, e in picked
    ]
    text = lead + " ".join(f"{quote.text} [{quote.n}]" for quote in quotes)
    cited = [candidates[quote.n - 1].chunk.doc for quote in quotes]
    notes = validity_notes(cited, gen.state, today or dt.date.today())
    for doc in dict.fromkeys(cited):
        for note in (notes.get(doc), newer_notes.get(doc)):
            if note and note not in warnings:
                warnings.append(note)
    actors = responsible.actors if responsible else ()
    return Answer(q, text, False, passages, quotes, evidence, warnings, actors)
