"""Retrieval and refusal metrics for an evaluation set.

Each relevant spec of a question is one relevant item; a passage is relevant when it
matches any spec. Everything is computed from `first_ranks`: for each spec, the 1-based
rank of the first passage matching it, or None (see `evalset.first_match_ranks`).

- Hit@k: some relevant passage in the top k.
- Recall@5: fraction of specs matched by some passage in the top 5.
- MRR@10: 1 / rank of the first relevant passage, 0 beyond rank 10.
- nDCG@10: binary gains; a passage gains 1 when it is the first match of at least one
  spec (so each spec counts once); ideal DCG has min(#specs, 10) gains at the top.

Unanswerable questions (no specs) have no retrieval scores; for them only refusal
counts. Refusal rate = refused / unanswerable; false-refusal rate = refused /
answerable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluation.evalset import EvalQuestion, first_match_ranks

RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "recall@5", "mrr@10", "ndcg@10")


@dataclass(frozen=True)
class QuestionScores:
    """Scores for one question; `retrieval` is empty for an unanswerable question."""

    id: str
    answerable: bool
    retrieval: Mapping[str, float]
    refused: bool | None = None


@dataclass(frozen=True)
class Summary:
    overall: dict[str, float]
    per_type: dict[str, dict[str, float]]


def hit_at(first_ranks: Sequence[int | None], k: int) -> float:
    return 1.0 if any(r is not None and r <= k for r in first_ranks) else 0.0


def recall_at(first_ranks: Sequence[int | None], k: int) -> float:
    if not first_ranks:
        raise ValueError("recall needs at least one relevant item")
    return sum(1 for r in first_ranks if r is not None and r <= k) / len(first_ranks)


def reciprocal_rank_at(first_ranks: Sequence[int | None], k: int) -> float:
    found = [r for r in first_ranks if r is not None and r <= k]
    return 1.0 / min(found) if found else 0.0


def ndcg_at(first_ranks: Sequence[int | None], k: int) -> float:
    if not first_ranks:
        raise ValueError("nDCG needs at least one relevant item")
    gaining = {r for r in first_ranks if r is not None and r <= k}
    dcg = sum(1.0 / math.log2(r + 1) for r in gaining)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(first_ranks), k) + 1))
    return dcg / ideal


def retrieval_scores(first_ranks: Sequence[int | None]) -> dict[str, float]:
    for rank in first_ranks:
        if rank is not None and rank < 1:
            raise ValueError(f"ranks are 1-based, got {rank}")
    return {
        "hit@1": hit_at(first_ranks, 1),
        "hit@3": hit_at(first_ranks, 3),
        "hit@5": hit_at(first_ranks, 5),
        "recall@5": recall_at(first_ranks, 5),
        "mrr@10": reciprocal_rank_at(first_ranks, 10),
        "ndcg@10": ndcg_at(first_ranks, 10),
    }


def score_question(
    qid: str, first_ranks: Sequence[int | None], refused: bool | None = None
) -> QuestionScores:
    """Scores from per-spec first-match ranks; no ranks: an unanswerable question."""
    if not first_ranks:
        return QuestionScores(qid, False, {}, refused)
    return QuestionScores(qid, True, retrieval_scores(first_ranks), refused)


def evaluate_question(
    q: EvalQuestion, ranked: Sequence[tuple[str, str]], refused: bool | None = None
) -> QuestionScores:
    """Score a ranked list of (doc, passage text) pairs against one question."""
    return score_question(q.id, first_match_ranks(q, ranked), refused)


def refusal_rates(per_question: Sequence[QuestionScores]) -> dict[str, float]:
    """Refusal rate on unanswerable and false-refusal rate on answerable questions.

    Questions with `refused is None` are left out; a rate without questions is omitted.
    """
    rates: dict[str, float] = {}
    unanswerable = [
        s.refused for s in per_question if not s.answerable and s.refused is not None
    ]
    answerable = [
        s.refused for s in per_question if s.answerable and s.refused is not None
    ]
    if unanswerable:
        rates["refusal_rate"] = sum(unanswerable) / len(unanswerable)
    if answerable:
        rates["false_refusal_rate"] = sum(answerable) / len(answerable)
    return rates


def _aggregate(per_question: Sequence[QuestionScores]) -> dict[str, float]:
    answerable = [s for s in per_question if s.answerable]
    result: dict[str, float] = {
        "n": float(len(per_question)),
        "n_answerable": float(len(answerable)),
    }
    if answerable:
        for name in RETRIEVAL_METRICS:
            result[name] = sum(s.retrieval[name] for s in answerable) / len(answerable)
    result.update(refusal_rates(per_question))
    return result


def summarise(
    per_question: Sequence[QuestionScores], types: Mapping[str, str | None]
) -> Summary:
    """Means over all questions and per question type (`types` maps id to type).

    Retrieval metrics are averaged over answerable questions only; questions without a
    type are grouped under "(ingen typ)".
    """
    groups: dict[str, list[QuestionScores]] = {}
    for scores in per_question:
        if scores.id not in types:
            raise KeyError(f"no type given for question {scores.id!r}")
        groups.setdefault(types[scores.id] or "(ingen typ)", []).append(scores)
    return Summary(
        overall=_aggregate(per_question),
        per_type={name: _aggregate(group) for name, group in sorted(groups.items())},
    )
