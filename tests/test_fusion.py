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

    dense = {"a": 0.9, "b": 0.8, "c": 0.7}
    lexical = {"c": 12.0, "d": 2.0}
    # By hand: over the union a, b, c, d, dense [0.9, 0.8, 0.7, 0.7 (d: dense's lowest)]
    # has z = [1.508, 0.302, -0.905, -0.905]; BM25 [2, 2, 12, 2] (a, b: BM25's lowest)
    # has z = [-0.577, -0.577, 1.732, -0.577].
    scores = dict(convex_fusion(dense, lexical, alpha=0.5))
    assert scores == pytest.approx({"a": 0.4651, "b": -0.1380, "c": 0.4138, "d": -0.7410}, abs=1e-3)
    assert [k for k, _ in convex_fusion(dense, lexical, alpha=0.5)] == ["a", "c", "b", "d"]
    assert [k for k, _ in convex_fusion(dense, lexical, alpha=1.0)] == ["a", "b", "c", "d"]
    # one BM25 hit, all others scoring 0 (the list held every match): it counts
    one = {"a": 0.9, "b": 0.85, "c": 0.8}
    assert [k for k, _ in convex_fusion(one, {"c": 3.0}, alpha=0.5, lexical_floor=0.0)] == ["a", "c", "b"]
    assert [k for k, _ in convex_fusion(one, {"c": 3.0}, alpha=0.5)] == ["a", "b", "c"]  # no spread, no say
    assert dict(convex_fusion({"a": 0.5}, {}, alpha=1.0)) == {"a": 0.0}
    assert convex_fusion({}, {}, alpha=0.5) == []
    # min-max keeps its old meaning: each over its own hits, missing = 0
    old = dict(convex_fusion(dense, lexical, alpha=0.5, norm="minmax"))
    assert old == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.0})
