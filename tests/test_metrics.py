"""Metrics against ir-measures; evaluation-set loading, phrase checks, relevance."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import ir_measures
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir_measures import RR, Qrel, R, ScoredDoc, Success, nDCG

from core.errors import AssistantError
from evaluation.evalset import (
    EvalQuestion,
    EvalSetError,
    RelevantSpec,
    check_phrases,
    collapse,
    first_match_ranks,
    is_relevant,
    load_eval_set,
    relevant_ranks,
)
from evaluation.metrics import (
    evaluate_question,
    ndcg_at,
    score_question,
    summarise,
)

MEASURES = {
    "hit@1": Success @ 1,
    "hit@3": Success @ 3,
    "hit@5": Success @ 5,
    "recall@5": R @ 5,
    "mrr@10": RR @ 10,
    "ndcg@10": nDCG @ 10,
}


def reference(q: EvalQuestion, ranked: Sequence[tuple[str, str]]) -> dict[str, float]:
    """ir-measures on the same run: spec i is qrel doc 'spec{i}'; a passage takes the id
    of the first spec it matches for the first time, any other passage a unique id."""
    qrels = [Qrel("q", f"spec{i}", 1) for i in range(len(q.relevant))]
    claimed: set[int] = set()
    run = []
    for rank, (doc, text) in enumerate(ranked, 1):
        new = [
            i
            for i, s in enumerate(q.relevant)
            if i not in claimed and is_relevant(doc, text, s)
        ]
        doc_id = f"spec{new[0]}" if new else f"passage{rank}"
        claimed.update(new[:1])
        run.append(ScoredDoc("q", doc_id, float(1000 - rank)))
    values = {
        m.measure: m.value for m in ir_measures.iter_calc(MEASURES.values(), qrels, run)
    }
    return {name: values.get(measure, 0.0) for name, measure in MEASURES.items()}


def assert_matches_reference(
    q: EvalQuestion, ranked: Sequence[tuple[str, str]]
) -> None:
    ours = evaluate_question(q, ranked).retrieval
    theirs = reference(q, ranked)
    for name in MEASURES:
        assert math.isclose(ours[name], theirs[name], abs_tol=1e-9), (
            name,
            ours,
            theirs,
        )


QUESTION = EvalQuestion(
    "q1",
    "Vem ansvarar?",
    (RelevantSpec("a.md", "Kommunstyrelsen ansvarar"), RelevantSpec("b.md", "fem år")),
)


@pytest.mark.parametrize(
    "ranked",
    [
        [],
        [("a.md", "x"), ("b.md", "x")],
        [("a.md", "KOMMUNSTYRELSEN\n\nansvarar för")],
        [
            ("c.md", "x"),
            ("b.md", "gäller i fem\når"),
            ("a.md", "kommunstyrelsen ansvarar"),
        ],
        [("c.md", "x")] * 4 + [("a.md", "Kommunstyrelsen  ansvarar")] * 3,
        [("c.md", "x")] * 9
        + [("b.md", "fem år")]
        + [("a.md", "kommunstyrelsen ansvarar")],
        [("b.md", "fem år"), ("b.md", "fem år"), ("a.md", "kommunstyrelsen ansvarar")],
    ],
)
def test_hand_built_runs_match_ir_measures(ranked: list[tuple[str, str]]) -> None:
    assert_matches_reference(QUESTION, ranked)


def test_hand_built_values() -> None:
    ranked = [
        ("c.md", "x"),
        ("b.md", "fem år"),
        ("c.md", "y"),
        ("a.md", "Kommunstyrelsen ansvarar"),
    ]
    scores = evaluate_question(QUESTION, ranked).retrieval
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == 1.0
    assert scores["recall@5"] == 1.0 and scores["mrr@10"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert math.isclose(
        scores["ndcg@10"], (1 / math.log2(3) + 1 / math.log2(5)) / ideal
    )


def test_passage_matching_two_specs_gains_once() -> None:
    q = EvalQuestion(
        "q", "?", (RelevantSpec("a.md", "alfa"), RelevantSpec("a.md", "beta"))
    )
    ranks = first_match_ranks(q, [("a.md", "alfa beta")])
    assert ranks == [1, 1]
    assert ndcg_at(ranks, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert score_question("q", ranks).retrieval["recall@5"] == 1.0


PHRASES = [f"nyckelfras{i}x" for i in range(4)]


@st.composite
def runs(draw: st.DrawFn) -> tuple[EvalQuestion, list[tuple[str, str]]]:
    n_specs = draw(st.integers(1, 4))
    docs = ["a.md", "b.md"]
    specs = tuple(RelevantSpec(docs[i % 2], PHRASES[i]) for i in range(n_specs))
    ranked: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 15))):
        choice = draw(st.integers(-2, n_specs - 1))
        if choice == -2:
            ranked.append((draw(st.sampled_from(docs)), "inget relevant här"))
        elif choice == -1:  # the right phrase in the wrong document
            ranked.append(("c.md", f"text {PHRASES[0]} text"))
        else:
            spec = specs[choice]
            gap = draw(st.sampled_from([" ", "\n", "\n\n ", "\t"]))
            phrase = draw(st.sampled_from([spec.contains, spec.contains.upper()]))
            ranked.append((spec.doc, f"början{gap}{phrase}{gap}slut"))
    return EvalQuestion("q", "?", specs), ranked


@settings(max_examples=300, deadline=None)
@given(runs())
def test_random_runs_match_ir_measures(
    case: tuple[EvalQuestion, list[tuple[str, str]]],
) -> None:
    q, ranked = case
    assert_matches_reference(q, ranked)
    ranks = relevant_ranks(q, ranked)
    firsts = [r for r in first_match_ranks(q, ranked) if r is not None]
    assert set(firsts) <= set(ranks)
    assert (min(ranks) if ranks else None) == (min(firsts) if firsts else None)


def test_summarise_overall_per_type_and_refusals() -> None:
    per_question = [
        score_question("a", [1], refused=False),
        score_question("b", [None], refused=True),
        score_question("c", [], refused=True),
        score_question("d", [], refused=False),
    ]
    types = {"a": "fakta", "b": "fakta", "c": "obesvarbar", "d": "obesvarbar"}
    summary = summarise(per_question, types)
    assert summary.overall["n"] == 4 and summary.overall["n_answerable"] == 2
    assert summary.overall["hit@1"] == 0.5
    assert summary.overall["refusal_rate"] == 0.5
    assert summary.overall["false_refusal_rate"] == 0.5
    assert summary.per_type["fakta"]["mrr@10"] == 0.5
    assert "hit@1" not in summary.per_type["obesvarbar"]
    assert summary.per_type["obesvarbar"]["refusal_rate"] == 0.5


def test_unanswerable_question_has_no_retrieval_scores() -> None:
    scores = score_question("x", [])
    assert not scores.answerable and scores.retrieval == {}


# --- relevance -----------------------------------------------------------------------


def test_collapse_whitespace() -> None:
    assert collapse("  a\n\nb \t c\u00a0d ") == "a b c d"


def test_relevance_ignores_whitespace_and_case_but_not_document() -> None:
    spec = RelevantSpec("doc.md", "Remisstiden  sträcker sig\nfram till")
    assert is_relevant(
        "doc.md", "xx REMISSTIDEN sträcker \n\nsig fram till 20 april", spec
    )
    assert not is_relevant("other.md", "remisstiden sträcker sig fram till", spec)
    assert not is_relevant("doc.md", "remisstiden sträcker sig", spec)


# --- loading -------------------------------------------------------------------------


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good(qid: str, **extra: object) -> str:
    record: dict[str, object] = {
        "id": qid,
        "question": "Vad?",
        "relevant": [{"doc": "a.md", "contains": "x"}],
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False)


def test_load_valid_set(tmp_path: Path) -> None:
    path = write(
        tmp_path, [good("q1", type="fakta", answer="Svar"), "", good("q2", relevant=[])]
    )
    questions = load_eval_set(path)
    assert questions[0] == EvalQuestion(
        "q1", "Vad?", (RelevantSpec("a.md", "x"),), "fakta", "Svar"
    )
    assert questions[1].relevant == () and not questions[1].answerable


def test_load_reports_all_problems_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        good("q1"),
        '{"id": "q2", "relevant": []}',
        "{inte json",
        good("q1"),
        json.dumps({"id": 7, "question": "?", "relevant": "a.md"}),
        good("q6", relevant=[{"doc": "a.md"}], typ="fakta"),
        "[1, 2]",
        good("q8", answer=3),
    ]
    with pytest.raises(EvalSetError) as caught:
        load_eval_set(write(tmp_path, lines))
    problems = caught.value.problems
    assert "rad 2: fältet 'question' saknas" in problems
    assert any(p.startswith("rad 3: ogiltig JSON (") for p in problems)
    assert "rad 4: id 'q1' finns redan på rad 1" in problems
    assert "rad 5: fältet 'id' ska vara en text, inte ett tal" in problems
    assert "rad 5: fältet 'relevant' ska vara en lista, inte en text" in problems
    assert "rad 6: okänt fält 'typ'" in problems
    assert "rad 6: relevant[1]: fältet 'contains' saknas" in problems
    assert "rad 7: raden är inte ett JSON-objekt utan en lista" in problems
    assert "rad 8: fältet 'answer' ska vara en text, inte ett tal" in problems
    assert len(problems) == 9
    assert isinstance(caught.value, AssistantError)
    assert "rad 2: fältet 'question' saknas" in caught.value.swedish_message()


def test_load_rejects_empty_phrase_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, [good("q1", relevant=[{"doc": "a.md", "contains": " \n"}])])
    with pytest.raises(EvalSetError) as caught:
        load_eval_set(path)
    assert caught.value.problems == ["rad 1: relevant[1]: fältet 'contains' är tomt"]
    with pytest.raises(EvalSetError, match="finns inte"):
        load_eval_set(tmp_path / "saknas.jsonl")


# --- phrase checking -----------------------------------------------------------------


def test_check_phrases(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "Strategin gäller i fem år,\n\n2018-2022.", encoding="utf-8"
    )
    questions = [
        EvalQuestion("ok", "?", (RelevantSpec("a.md", "FEM ÅR, 2018-2022"),)),
        EvalQuestion("fel", "?", (RelevantSpec("a.md", "sex år"),)),
        EvalQuestion("saknas", "?", (RelevantSpec("b.md", "fem år"),)),
        EvalQuestion("obesvarbar", "?", ()),
    ]
    problems = check_phrases(questions, tmp_path)
    assert problems == [
        "fråga 'fel': frasen 'sex år' finns inte i 'a.md'",
        f"fråga 'saknas': dokumentet 'b.md' finns inte i {tmp_path}",
    ]
