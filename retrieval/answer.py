"""Extractive answers: the sentences of the top passages that best answer the
question, quoted verbatim with citation markers, or a refusal when evidence is weak.

Nothing here writes text of its own except the fixed refusal sentence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.lexical import LexicalIndex, analyze
from retrieval.model import Passage
from retrieval.privacy import mask_personal_data, warning_for
from retrieval.search import Candidate, Mode, Searcher, to_passages
from retrieval.sentences import display, sentence_spans

REFUSAL = "Jag hittar inget svar på det i dokumenten."
CALIBRATION = Path(__file__).with_name("calibration.json")
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
class Evidence:
    dense_top: float  # best cosine similarity among dense hits
    coverage: float  # IDF-weighted share of question terms found in the top passages
    sentence_top: float  # best sentence score

    def features(self) -> list[float]:
        return [self.dense_top, self.coverage, self.sentence_top]


@dataclass(frozen=True)
class Answer:
    question: str  # as processed: personal data masked
    text: str
    refused: bool
    passages: list[Passage]
    quotes: list[Quote]
    evidence: Evidence
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Calibration:
    """Logistic model of P(answerable | evidence); refuse below `threshold`."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, evidence.features(), strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    @staticmethod
    def load(path: Path = CALIBRATION) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Calibration(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]))


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
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if len(sentence.split()) < 4:
                continue  # headings and fragments are not answers
            rank_prior = 0.15 / (1 + p_index)
            scored.append((_coverage(terms, sentence, lexical) + rank_prior, p_index, start, end))
    scored.sort(key=lambda s: -s[0])
    return scored


def _pick(scored: list[tuple[float, int, int, int]]) -> list[tuple[float, int, int, int]]:
    if not scored:
        return []
    best = scored[0][0]
    picked = [s for s in scored if s[0] >= max(best * 0.75, 0.2)][:MAX_QUOTES]
    return sorted(picked or scored[:1], key=lambda s: (s[1], s[2]))


def answer_question(
    question: str,
    searcher: Searcher,
    calibration: Calibration,
    k: int = 5,
    mode: Mode = "hybrid",
) -> Answer:
    masked = mask_personal_data(question)
    warnings = [w for w in [warning_for(masked.findings)] if w]
    q = masked.text
    candidates = searcher.search(q, k=max(k, SENTENCE_POOL), mode=mode)
    gen = searcher.current()
    passages = to_passages(candidates[:k], gen.state)
    terms = analyze(q)
    scored = score_sentences(q, candidates, gen.lexical)
    dense_hits = [c.dense for c in candidates if c.dense is not None]
    evidence = Evidence(
        dense_top=max(dense_hits) if dense_hits else 0.0,
        coverage=_coverage(terms, " ".join(c.chunk.text for c in candidates[:SENTENCE_POOL]), gen.lexical),
        sentence_top=scored[0][0] if scored else 0.0,
    )
    if not candidates or calibration.probability(evidence) < calibration.threshold:
        return Answer(q, REFUSAL, True, passages, [], evidence, warnings)
    quotes = [
        Quote(p + 1, display(candidates[p].chunk.text[s:e]), candidates[p].chunk.id, s, e, score)
        for score, p, s, e in _pick(scored)
    ]
    text = " ".join(f"{quote.text} [{quote.n}]" for quote in quotes)
    return Answer(q, text, False, passages, quotes, evidence, warnings)
