"""The refusal: figures that read the question against the passages and sentences the
search found (Evidence), and a small logistic model per language (Calibration) that
turns them into P(answerable); below the model's threshold the answer is the refusal.

Every figure is a share, a similarity or a yes/no about this question and its own
candidates, never a count over the corpus, so one calibration serves a corpus of one
document and one of thousands. bench/calibrate.py fits the models into calibration.json.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from core.lexical import LexicalIndex, analyze, covers, words
from retrieval.answer_type import counted, counts, has_type, question_type
from retrieval.search import Candidate

REFUSAL = "Jag hittar inget svar på det i dokumenten."
CALIBRATION = Path(__file__).with_name("calibration.json")
COVERAGE_PASSAGES = 3  # the first passages, whose words count for `coverage`
BEST_SENTENCES = 3  # the sentences an answer would quote: the expected answer is looked for in them
MARGIN_DEPTH = 4  # passages behind the best one that the margin compares with (k = 5 gives them)

_NEGATIONS = frozenset("inte ej icke aldrig ingen inget inga varken not never no".split())


def negated(text: str) -> bool:
    return any(w in _NEGATIONS for w in words(text))


_SPECIFIC = re.compile(r"\d+|(?<=[\s(\"'«])[A-ZÅÄÖ][\wåäöÅÄÖ-]*")


def specifics(question: str) -> list[str]:
    """What pins a question to one fact: its numbers and years, and its capitalised
    words (names) after the first word, lower-cased."""
    return list(dict.fromkeys(m.group(0).lower() for m in _SPECIFIC.finditer(question)))


def specifics_covered(question: str, text: str) -> float:
    """Share of the question's specifics that occur in `text` (a name as the start of
    a word, without its genitive s: "Stockholms" in "Stockholm", "Göteborg" in
    "Göteborgs"); 1 when the question has none."""
    wanted = specifics(question)
    if not wanted:
        return 1.0
    present = set(words(text))
    found = 0
    for w in wanted:
        stem = w[:-1] if w.endswith("s") and len(w) > 4 and not w.isdigit() else w  # genitive s
        found += w in present if w.isdigit() else any(p.startswith(stem) for p in present)
    return found / len(wanted)


def share_covered(terms: Sequence[str], weights: Sequence[float], tokens: set[str]) -> float:
    """Weighted share of the terms the tokens cover; 0 for no terms."""
    total = sum(weights)
    hit = sum(w for t, w in zip(terms, weights, strict=True) if covers(t, tokens))
    return hit / total if total else 0.0


def salient(terms: Sequence[str], idf: Sequence[float]) -> list[str]:
    """The question's rarer half: terms whose IDF is at least the question's mean
    (a term the index lacks has the highest IDF, so it is always salient)."""
    if not terms:
        return []
    mean = sum(idf) / len(idf)
    return [t for t, w in zip(terms, idf, strict=True) if w >= mean - 1e-9]


@dataclass(frozen=True)
class Evidence:
    """Figures that do not depend on the size of the corpus, so one calibration
    serves a corpus of one document and one of thousands. Higher is more evidence
    of an answer, for every figure."""

    dense_top: float  # best cosine similarity between the question and a passage
    coverage: float  # share of the question's content words found in the top passages
    sentence_top: float  # share of them found in the single best sentence
    english: bool  # English question over Swedish text: word overlap means nothing
    dense_margin: float = 0.0  # best cosine minus the mean of the next MARGIN_DEPTH
    sentence_weighted: float = 0.0  # IDF-weighted share of the question's terms in the best sentence
    salient_covered: float = 0.0  # share of the salient terms some candidate sentence covers
    rarest_covered: float = 0.0  # 1 when the question's rarest term is in one of the best sentences
    answer_type: float = 1.0  # 0 when the expected kind of answer (a date, a number…) is in none of them
    negation: float = 1.0  # 0 when the question negates and none of the best sentences does
    specifics_covered: float = 1.0  # share of the question's numbers and names in the top passages
    counted_number: float = 1.0  # 0 when a "how many <noun>" question finds no number of that noun

    def features(self, names: Sequence[str]) -> list[float]:
        return [float(getattr(self, n)) for n in names]


FEATURES = tuple(f.name for f in fields(Evidence) if f.name != "english")


def gather_evidence(
    question: str,
    candidates: Sequence[Candidate],
    scored: Sequence[tuple[float, int, int, int]],
    lexical: LexicalIndex,
    english: bool,
) -> Evidence:
    """The evidence for `question` from its ranked candidates and their scored
    sentences ((score, passage index, start, end), best first)."""
    terms = list(dict.fromkeys(analyze(question)))
    content = set(terms)
    idf = [lexical.idf(t) for t in terms]
    dense = sorted((c.dense for c in candidates[: 1 + MARGIN_DEPTH] if c.dense is not None), reverse=True)
    dense_hits = [c.dense for c in candidates if c.dense is not None]
    top = max(dense_hits) if dense_hits else 0.0
    margin = top - sum(dense[1:]) / len(dense[1:]) if len(dense) > 1 else 0.0
    sentences = [candidates[p].chunk.text[s:e] for _, p, s, e in scored]
    tokens = [set(analyze(s)) for s in sentences]
    best = sentences[:BEST_SENTENCES]
    best_tokens = set().union(*tokens[:BEST_SENTENCES]) if tokens else set()
    pool_tokens = set().union(*tokens) if tokens else set()
    key = salient(terms, idf)
    rarest = max(zip(idf, terms, strict=True))[1] if terms else None
    kind, noun = question_type(question), counted(question)
    return Evidence(
        dense_top=top,
        coverage=_share(content, " ".join(c.chunk.text for c in candidates[:COVERAGE_PASSAGES])),
        sentence_top=max((_share(content, s) for s in sentences), default=0.0),
        english=english,
        dense_margin=margin,
        sentence_weighted=max((share_covered(terms, idf, t) for t in tokens), default=0.0),
        salient_covered=share_covered(key, [1.0] * len(key), pool_tokens),
        rarest_covered=1.0 if rarest is not None and covers(rarest, best_tokens) else 0.0,
        answer_type=0.0 if kind and not any(has_type(kind, s, noun) for s in best) else 1.0,
        counted_number=0.0 if noun and not any(counts(noun, s) for s in sentences) else 1.0,
        negation=0.0 if negated(question) and not any(negated(s) for s in best) else 1.0,
        specifics_covered=specifics_covered(question, " ".join(c.chunk.text for c in candidates[:COVERAGE_PASSAGES])),
    )


def _share(terms: set[str], text: str) -> float:
    """Unweighted share of content words present (independent of corpus statistics)."""
    return len(terms & set(analyze(text))) / len(terms) if terms else 0.0


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]  # names of Evidence figures, in the order of the weights
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, evidence.features(self.features), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-500.0, min(500.0, z))))


@dataclass(frozen=True)
class Calibration:
    """P(answerable | evidence), one logistic model for Swedish and one for English
    questions; refuse below the model's threshold."""

    swedish: Logistic
    english: Logistic

    def model(self, evidence: Evidence) -> Logistic:
        return self.english if evidence.english else self.swedish

    def probability(self, evidence: Evidence) -> float:
        return self.model(evidence).probability(evidence)

    def refuses(self, evidence: Evidence) -> bool:
        model = self.model(evidence)
        return model.probability(evidence) < model.threshold

    @staticmethod
    def from_json(data: dict[str, object]) -> Calibration:
        def one(d: dict[str, object]) -> Logistic:
            names = tuple(str(n) for n in d["features"])  # type: ignore[attr-defined]
            unknown = [n for n in names if n not in FEATURES]
            if unknown:
                raise ValueError(f"calibration: unknown features {unknown}")
            weights = tuple(float(w) for w in d["weights"])  # type: ignore[attr-defined]
            if len(weights) != len(names):
                raise ValueError("calibration: one weight per feature")
            return Logistic(names, weights, float(d["bias"]), float(d["threshold"]))  # type: ignore[arg-type]

        return Calibration(one(data["swedish"]), one(data["english"]))  # type: ignore[arg-type]

    @staticmethod
    def load(path: Path = CALIBRATION) -> Calibration:
        return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))

    @staticmethod
    def never_refuse() -> Calibration:
        always = Logistic((), (), 10.0, 0.0)
        return Calibration(always, always)
