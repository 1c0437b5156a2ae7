"""The refusal (retrieval/refusal.py): the evidence figures as pure functions, the
calibration file, and with the real model the refusal over the default document."""

from __future__ import annotations

import json

import pytest

from core.lexical import covers
from retrieval.answer import answer_question
from retrieval.answer_type import counted, counts
from retrieval.refusal import (
    CALIBRATION,
    FEATURES,
    REFUSAL,
    Calibration,
    Evidence,
    negated,
    salient,
    share_covered,
    specifics,
    specifics_covered,
)
from retrieval.search import Searcher
from tests.conftest import REPO


def test_a_count_question_needs_a_number_of_what_it_counts() -> None:
    noun = counted("Hur många romer bor i Stockholm?")
    assert noun == "romer"
    assert counts(noun, "I Stockholm bor omkring 5 000 romer.")
    assert counts(noun, "Staden har tre romska föreningar.")
    assert not counts(noun, "Målet är att den rom som år 2032 fyller 20 år ska ha samma möjligheter.")
    assert not counts("brobyggare", "Brobyggare anställdes 2018.")
    assert counts("brobyggare", "Två brobyggare projektanställdes.")


def test_negation_and_coverage() -> None:
    assert negated("Vilka celler bär inte receptormolekyler?")
    assert not negated("Vilka celler bär receptormolekyler?")
    assert covers("brobyggar", {"brobyggarutbildningen"})  # a compound holds the term
    assert not covers("bro", {"brobyggarutbildningen"})  # short terms must match whole
    assert share_covered(["a1", "b2"], [3.0, 1.0], {"a1"}) == 0.75
    assert share_covered([], [], {"a1"}) == 0.0
    assert salient(["vanlig", "sallsynt"], [1.0, 5.0]) == ["sallsynt"]


def test_specifics() -> None:
    q = "Hur många anmälningar tog Stockholms socialtjänst emot 2019?"
    assert specifics(q) == ["stockholms", "2019"]
    assert specifics_covered(q, "I Stockholm kom 2019 många anmälningar.") == 1.0
    assert specifics_covered(q, "I Stockholm kom 2018 många anmälningar.") == 0.5
    assert specifics_covered("Vad gör staden?", "Ingenting.") == 1.0  # nothing specific asked


def test_the_shipped_calibration_loads_and_names_known_features() -> None:
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    calibration = Calibration.load()
    for model in (calibration.swedish, calibration.english):
        assert set(model.features) <= set(FEATURES) and len(model.features) == len(model.weights)
        assert all(w >= 0 for w in model.weights)  # more evidence never makes an answer less likely
    assert data["fitted_on"] and data["fitted_at"]
    assert not any("shared.jsonl" in s or "default.jsonl" in s for s in data["fitted_on"])  # regression sets


def test_unknown_features_are_rejected() -> None:
    bad = {"features": ["dense_top", "shoe_size"], "weights": [1.0, 1.0], "bias": 0.0, "threshold": 0.5}
    with pytest.raises(ValueError, match="shoe_size"):
        Calibration.from_json({"swedish": bad, "english": bad})


def test_english_and_swedish_models_are_separate() -> None:
    sv = {"features": ["dense_top"], "weights": [10.0], "bias": -8.0, "threshold": 0.5}
    en = {"features": [], "weights": [], "bias": 5.0, "threshold": 0.5}
    calibration = Calibration.from_json({"swedish": sv, "english": en})
    weak = Evidence(dense_top=0.7, coverage=0.0, sentence_top=0.0, english=False)
    assert calibration.refuses(weak)
    assert not calibration.refuses(Evidence(dense_top=0.7, coverage=0.0, sentence_top=0.0, english=True))


def _questions() -> dict[str, str]:
    rows = [json.loads(line) for line in (REPO / "eval" / "default.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return {r["id"]: r["question"] for r in rows}


@pytest.mark.slow
def test_the_default_document_refuses_what_it_does_not_answer(default_searcher: Searcher) -> None:
    """Over corpus/ (one document): an off-topic question and an on-topic question whose
    answer the document lacks (eval/default.jsonl, d-obes-04: the date of the council's
    decision) are refused; the answerable fact and responsibility questions of the same
    set are answered."""
    calibration = Calibration.load()
    questions = _questions()
    refused = {
        "off-topic": "Vad kostar sophämtningen för ett villahushåll i Stockholm?",
        "d-obes-04": questions["d-obes-04"],
    }
    for label, question in refused.items():
        answer = answer_question(question, default_searcher, calibration, k=10)
        assert answer.refused and answer.text == REFUSAL, (label, calibration.probability(answer.evidence))
    # The one false refusal of the set at this calibration (the gate counts it): the
    # sentence with the date shares no word with the question but "datum".
    known_false = {"d-fakta-02"}
    for qid in [q for q in questions if q.startswith(("d-fakta", "d-ansvar")) and q not in known_false]:
        answer = answer_question(questions[qid], default_searcher, calibration, k=10)
        assert not answer.refused, (qid, calibration.probability(answer.evidence))
