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


def _z(scores: Mapping[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    mean = statistics.fmean(scores.values())
    std = statistics.pstdev(scores.values(), mean)
    return {k: (v - mean) / std if std > 0 else 0.0 for k, v in scores.items()}


def convex_fusion(
    dense: Mapping[str, float], lexical: Mapping[str, float], alpha: float, norm: Norm = "z"
) -> list[tuple[str, float]]:
    """alpha * dense + (1 - alpha) * BM25, each normalised over its own hits (z-scores,
    or min-max to [0, 1]); an item one retriever did not return gets that retriever's
    lowest normalised score. Ties keep first-seen order."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must be between 0 and 1")
    scale = _z if norm == "z" else _min_max
    d, b = scale(dense), scale(lexical)
    d_floor, b_floor = min(d.values(), default=0.0), min(b.values(), default=0.0)
    order = {item: i for i, item in enumerate(list(dense) + [k for k in lexical if k not in dense])}
    scored = {k: alpha * d.get(k, d_floor) + (1 - alpha) * b.get(k, b_floor) for k in order}
    return sorted(scored.items(), key=lambda kv: (-kv[1], order[kv[0]]))
