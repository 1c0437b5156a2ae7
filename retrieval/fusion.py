"""Fusing ranked lists from several retrievers."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Literal

Norm = Literal["z", "minmax"]


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float] | None = None, k: int = 60
) -> list[tuple[str, float]]:
    """Weighted RRF: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.
    Ties keep the order in which items were first seen."""
    if k < 1:
        raise ValueError("k must be at least 1")
    scores: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def _min_max(scores: Mapping[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    span = hi - lo
    return {k: (v - lo) / span if span > 0 else 1.0 for k, v in scores.items()}


def _z(values: Sequence[float]) -> list[float]:
    mean = statistics.fmean(values)
    std = statistics.pstdev(values, mean)
    return [(v - mean) / std if std > 0 else 0.0 for v in values]


def convex_fusion(
    dense: Mapping[str, float], lexical: Mapping[str, float], alpha: float, norm: Norm = "z",
    lexical_floor: float | None = None,
) -> list[tuple[str, float]]:
    """alpha * dense + (1 - alpha) * BM25 over the union of both candidate lists.

    "z": an item a retriever did not return gets a stand-in score, the lowest it did
    return (for BM25 `lexical_floor` when given: 0 when the list holds every matching
    item), and each retriever's scores are z-normalised over the union. "minmax": each
    retriever's scores are scaled to [0, 1] over its own hits and a missing item scores
    0. Ties keep first-seen order."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must be between 0 and 1")
    items = list(dense) + [k for k in lexical if k not in dense]
    if norm == "z":
        d_floor = min(dense.values(), default=0.0)
        b_floor = lexical_floor if lexical_floor is not None else min(lexical.values(), default=0.0)
        d = dict(zip(items, _z([dense.get(k, d_floor) for k in items]), strict=True)) if items else {}
        b = dict(zip(items, _z([lexical.get(k, b_floor) for k in items]), strict=True)) if items else {}
    else:
        d, b = _min_max(dense), _min_max(lexical)
    order = {item: i for i, item in enumerate(items)}
    scored = {k: alpha * d.get(k, 0.0) + (1 - alpha) * b.get(k, 0.0) for k in items}
    return sorted(scored.items(), key=lambda kv: (-kv[1], order[kv[0]]))
