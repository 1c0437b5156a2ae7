"""Extractive answers: the sentences of the top passages that best answer the
question, quoted verbatim with citation markers, or a refusal when evidence is weak.

Nothing here writes text of its own except the fixed refusal sentence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.privacy import mask_personal_data, warning_for
from core.quotable import statement_at
from core.records import Claim, Passage
from core.spelling import QueryCorrection
from retrieval.filters import NO_DOCUMENTS, NO_FILTER, DocFilter
from retrieval.language import is_english
from retrieval.quotes import SENTENCE_POOL, Quote, Scored, choose, quotes_of, score_sentences, with_first
from retrieval.refusal import REFUSAL, Calibration, Evidence, gather_evidence
from retrieval.search import METHODS, Method, Mode, Searcher, to_passages
from retrieval.trust import (
    actors_as_written,
    asks_who_is_responsible,
    find_responsible,
    prefer_newer,
    validity_notes,
)


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
    spelling: QueryCorrection | None = None  # the misspellings the lexical search corrected ("Menade du …?")
    docs: DocFilter = NO_FILTER  # the documents searched
    # A language model's answer (retrieval/generate.py): the sentences shown, each backed by
    # a quote (then `text` and `quotes` are theirs); notes on what the model did; its name.
    generated: tuple[Claim, ...] = ()
    model_notes: tuple[str, ...] = ()
    model_id: str = ""

    @property
    def scope(self) -> str:
        """"Sökte bara i: …" under a filter, else ""."""
        return f"Sökte bara i: {self.docs.describe()}." if self.docs.active else ""


def answer_question(
    question: str,
    searcher: Searcher,
    calibration: Calibration,
    k: int = 5,
    mode: Mode | Method = "hybrid",
    today: dt.date | None = None,
    docs: DocFilter = NO_FILTER,
) -> Answer:
    masked = mask_personal_data(question)  # before anything else happens to the question
    warnings = [w for w in [warning_for(masked.findings)] if w]
    q = masked.text
    english = is_english(q)  # the one language decision for this question
    # Embedded once: the search uses it, and so does the quote of an English answer.
    method = METHODS[mode] if isinstance(mode, str) else mode
    vector = searcher.embed_query(q) if method.dense or english else None
    day = today or dt.date.today()
    gen, candidates = searcher.search_generation(q, max(k, SENTENCE_POOL), method, vector, english, docs, day)
    candidates, newer_notes = prefer_newer(candidates, gen.state)
    passages = to_passages(candidates[:k], gen.state)
    spelling = gen.lexical.correct(q)
    scored = score_sentences(q, candidates, gen.lexical)
    evidence = gather_evidence(q, candidates, scored, gen.lexical, english)
    if not candidates or calibration.refuses(evidence):
        none = docs.active and not docs.allowed(gen.state.documents, day)  # not the refusal: nothing was searched
        text = NO_DOCUMENTS.format(filter=docs.describe()) if none else REFUSAL
        return Answer(q, text, True, passages, [], evidence, warnings, spelling=spelling, docs=docs)
    picked = choose(q, candidates, gen, evidence.english, vector, searcher.embedder)
    responsible = find_responsible(q, candidates, gen.state) if asks_who_is_responsible(q) else None
    lead = ""
    if responsible is not None:
        r = responsible
        first = Scored(r.score, r.passage, statement_at(candidates[r.passage].chunk.text, r.start, r.end))
        picked = with_first(first, picked)
        lead = f"Ansvarig enligt dokumenten: {actors_as_written(r.sentence, r.actors)}. "
    quotes = quotes_of(picked, candidates)
    text = lead + " ".join(f"{quote.text} [{quote.n}]" for quote in quotes)
    cited = [candidates[quote.n - 1].chunk.doc for quote in quotes]
    notes = validity_notes(cited, gen.state, day)
    for doc in dict.fromkeys(cited):
        for note in (notes.get(doc) or newer_notes.get(doc),):  # a validity note names the newer one itself
            if note and note not in warnings:
                warnings.append(note)
    actors = responsible.actors if responsible else ()
    return Answer(q, text, False, passages, quotes, evidence, warnings, actors, spelling, docs)
