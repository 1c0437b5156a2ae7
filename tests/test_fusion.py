import pytest

from retrieval.fusion import reciprocal_rank_fusion


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "bm25": ["b", "d", "a"]}, k=60)
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_weights_and_ties() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a"], "bm25": ["b"]}, weights={"dense": 1.0, "bm25": 2.0})
    assert [i for i, _ in fused] == ["b", "a"]
    tie = reciprocal_rank_fusion({"dense": ["a"], "bm25": ["b"]})
    assert [i for i, _ in tie] == ["a", "b"], "ties keep first-seen order"


def test_rrf_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        reciprocal_rank_fusion({"x": ["a"]}, k=0)
