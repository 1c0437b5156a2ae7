"""Extractive answers: the sentences of the top passages that best answer the
question, quoted verbatim with citation markers, or a refusal when evidence is weak.

Nothing here writes text of its own except the fixed refusal sentence.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.records import Passage
from retrieval.language import is_english
from retrieval.lexical import analyze
from retrieval.privacy import mask_personal_data, warning_for
from retrieval.quotes import SENTENCE_POOL, Quote, Scored, choose, quotes_of, score_sentences, statement_at, with_first
from retrieval.search import METHODS, Method, Mode, Searcher, to_passages
from retrieval.spelling import QueryCorrection
from retrieval.trust import (
    actors_as_written,
    asks_who_is_responsible,
    find_responsible,
    prefer_newer,
    validity_notes,
)

REFUSAL = "Jag hittar inget svar på det i dokumenten."
CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Evidence:
    """Figures that do not depend on the size of the corpus, so one calibration
    serves a corpus of one document and one of thousands."""

    dense_top: float  # best cosine similarity between the question and a passage
    coverage: float  # share of the question's content words found in the top passages
    sentence_top: float  # share of them found in the single best sentence
    english: bool  # English question over Swedish text: word overlap means nothing

    def features(self) -> list[float]:
        return [self.dense_top] if self.english else [self.dense_top, self.coverage, self.sentence_top]


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


@dataclass(frozen=True)
class Logistic:
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Calibration:
    """P(answerable | evidence), one logistic model for Swedish and one for English
    questions; refuse below the model's threshold."""

    swedish: Logistic
    english: Logistic

    def probability(self, evidence: Evidence) -> float:
        return (self.english if evidence.english else self.swedish).probability(evidence.features())

    def refuses(self, evidence: Evidence) -> bool:
        model = self.english if evidence.english else self.swedish
        return model.probability(evidence.features()) < model.threshold

    @staticmethod
    def load(path: Path = CALIBRATION) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))

        def one(d: dict[str, object]) -> Logistic:
            return Logistic(tuple(d["weights"]), float(d["bias"]), float(d["threshold"]))  # type: ignore[arg-type]

        return Calibration(one(data["swedish"]), one(data["english"]))

    @staticmethod
    def never_refuse() -> Calibration:
        always = Logistic((0.0, 0.0, 0.0), 10.0, 0.0)
        return Calibration(always, Logistic((0.0,), 10.0, 0.0))


def _share(terms: set[str], text: str) -> float:
    """Unweighted share of content words present (independent of corpus statistics)."""
    return len(terms & set(analyze(text))) / len(terms) if terms else 0.0


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
    terms = analyze(q)
    spelling = gen.lexical.correct(q)
    scored = score_sentences(q, candidates, gen.lexical)
    dense_hits = [c.dense for c in candidates if c.dense is not None]
    content = set(terms)
    best_sentence = max((_share(content, candidates[p].chunk.text[s:e]) for _, p, s, e in scored), default=0.0)
    evidence = Evidence(
        dense_top=max(dense_hits) if dense_hits else 0.0,
        coverage=_share(content, " ".join(c.chunk.text for c in candidates[:SENTENCE_POOL])),
        sentence_top=best_sentence,
        english=english,
    )
    if not candidates or calibration.refuses(evidence):
        return Answer(q, REFUSAL, True, passages, [], evidence, warnings, spelling=spelling)
    picked = choose(q, candidates, gen.lexical, evidence.english, vector, searcher)
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
    notes = validity_notes(cited, gen.state, today or dt.date.today())
    for doc in dict.fromkeys(cited):
        for note in (notes.get(doc), newer_notes.get(doc)):
            if note and note not in warnings:
                warnings.append(note)
    actors = responsible.actors if responsible else ()
    return Answer(q, text, False, passages, quotes, evidence, warnings, actors, spelling)
