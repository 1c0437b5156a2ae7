"""The shipped evaluation sets load, their phrases occur in the corpus, and their
question types are spread as intended."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evaluation.evalset import (
    EvalQuestion,
    RelevantSpec,
    check_phrases,
    collapse,
    load_eval_set,
)
from retrieval.language import is_english

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "eval"
MAIN_CORPUS = ROOT / "corpus"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT_DOC = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"

ANSWERABLE_TYPES = {
    "default": {"ansvar", "fakta", "omformulerad", "stavfel", "engelska"},
    "shared": {
        "ansvar",
        "fakta",
        "omformulerad",
        "minoritetslagen",
        "engelska",
        "stavfel",
    },
    "calibration": {"besvarbar"},
}

needs_shared = pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(),
    reason=f"the shared corpus {SHARED_CORPUS} is not present",
)


def load(name: str) -> list[EvalQuestion]:
    return load_eval_set(EVAL_DIR / f"{name}.jsonl")


@pytest.mark.parametrize("name", ["default", "shared", "calibration"])
def test_types_and_relevance_agree(name: str) -> None:
    for q in load(name):
        assert q.type in ANSWERABLE_TYPES[name] | {"obesvarbar"}, q.id
        assert (q.type == "obesvarbar") == (not q.relevant), q.id
        if q.relevant and name != "calibration":
            assert q.answer, f"{q.id} has no answer"


def test_default_phrases_occur_in_the_default_document() -> None:
    questions = load("default")
    assert check_phrases(questions, MAIN_CORPUS) == []
    assert {spec.doc for q in questions for spec in q.relevant} == {DEFAULT_DOC}


def test_default_spread() -> None:
    questions = load("default")
    counts = Counter(q.type for q in questions)
    assert len(questions) >= 22
    assert 3 <= counts["obesvarbar"] <= 4
    assert set(counts) == ANSWERABLE_TYPES["default"] | {"obesvarbar"}


@needs_shared
def test_shared_phrases_occur_in_the_shared_corpus() -> None:
    assert check_phrases(load("shared"), SHARED_CORPUS) == []


def test_shared_spread() -> None:
    questions = load("shared")
    counts = Counter(q.type for q in questions)
    assert len(questions) >= 66
    assert counts["obesvarbar"] == 7
    for qtype in ANSWERABLE_TYPES["shared"]:
        assert counts[qtype] >= 9, qtype
    assert len({spec.doc for q in questions for spec in q.relevant}) >= 25
    law = [q for q in questions if q.type == "minoritetslagen"]
    assert all(
        any(spec.doc == "lag-2009-724-minoritetslagen.md" for spec in q.relevant)
        for q in law
    )


@needs_shared
def test_calibration_phrases_occur_in_the_corpus() -> None:
    assert check_phrases(load("calibration"), SHARED_CORPUS) == []


def test_calibration_phrases_in_the_default_document() -> None:
    default_only = [
        q
        for q in load("calibration")
        if q.relevant and {s.doc for s in q.relevant} == {DEFAULT_DOC}
    ]
    assert default_only, "calibration should cover the default document too"
    assert check_phrases(default_only, MAIN_CORPUS) == []


def test_calibration_spread() -> None:
    counts = Counter(q.type for q in load("calibration"))
    assert set(counts) == {"besvarbar", "obesvarbar"}
    assert counts["besvarbar"] >= 20 and counts["obesvarbar"] >= 20
    english = [q for q in load("calibration") if is_english(q.question)]
    assert sum(bool(q.relevant) for q in english) >= 10 and sum(not q.relevant for q in english) >= 6, (
        "English questions train the refusal model for English"
    )


def questions(qs: list[EvalQuestion]) -> set[str]:
    return {collapse(q.question).casefold() for q in qs}


def specs(qs: list[EvalQuestion]) -> set[RelevantSpec]:
    return {spec for q in qs for spec in q.relevant}


def test_calibration_does_not_overlap_the_other_sets() -> None:
    calibration = load("calibration")
    others = load("default") + load("shared")
    assert not questions(calibration) & questions(others)
    assert not specs(calibration) & specs(others)
    assert not {q.id for q in calibration} & {q.id for q in others}


def test_ids_unique_across_sets() -> None:
    ids = [q.id for name in ("default", "shared", "calibration") for q in load(name)]
    assert len(ids) == len(set(ids))
