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


def test_convex_fusion_normalises_each_retriever() -> None:
    from retrieval.fusion import convex_fusion

    fused = convex_fusion({"a": 0.9, "b": 0.8, "c": 0.7}, {"c": 12.0, "d": 2.0}, alpha=0.5, norm="minmax")
    scores = dict(fused)
    assert scores["a"] == pytest.approx(0.5) and scores["c"] == pytest.approx(0.5)
    assert scores["d"] == pytest.approx(0.0) and scores["b"] == pytest.approx(0.25)
    assert [k for k, _ in fused][:2] == ["a", "c"], "ties keep first-seen order"
    assert [k for k, _ in convex_fusion({"a": 0.9, "b": 0.8}, {"b": 5.0}, alpha=1.0)] == ["a", "b"]
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        convex_fusion({}, {}, alpha=1.5)


def test_z_score_fusion() -> None:
    from retrieval.fusion import convex_fusion

    dense = {"a": 0.9, "b": 0.8, "c": 0.7}  # z: +1.22, 0, -1.22
    lexical = {"c": 12.0, "d": 2.0}  # z: +1, -1
    scores = dict(convex_fusion(dense, lexical, alpha=0.5))
    z = 1.224744871391589
    assert scores["a"] == pytest.approx(0.5 * z + 0.5 * -1)  # missing in BM25: its lowest z
    assert scores["c"] == pytest.approx(0.5 * -z + 0.5 * 1)
    assert scores["d"] == pytest.approx(0.5 * -z + 0.5 * -1)  # missing in dense: its lowest z
    # b (middle dense, no BM25) falls below c (last dense, best BM25)
    assert [k for k, _ in convex_fusion(dense, lexical, alpha=0.5)] == ["a", "c", "b", "d"]
    # one hit, or all equal: no spread, every z is 0; an empty side adds nothing
    assert dict(convex_fusion({"a": 0.5}, {}, alpha=1.0)) == {"a": 0.0}
    assert [k for k, _ in convex_fusion({"a": 0.9, "b": 0.8}, {}, alpha=1.0)] == ["a", "b"]
    # min-max keeps its old meaning: missing = 0, the lowest normalised score
    old = dict(convex_fusion(dense, lexical, alpha=0.5, norm="minmax"))
    assert old == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.0})
