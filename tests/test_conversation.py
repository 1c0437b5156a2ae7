"""Follow-ups resolved against the conversation, long pasted texts, the take-away text,
and follow-ups in the evaluation format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evaluation.evalset import FOLLOW_UP, EvalSetError, load_eval_set
from retrieval.conversation import is_follow_up, rule_rewrite, understand, understand_history, understood_lines
from retrieval.pasted import question_part
from retrieval.privacy import WARNING_SV

LVU = "Vad gäller för romska barn som omhändertas enligt LVU?"
AREAS = "Vilka rättighetsområden bygger strategin på?"
EMAIL = """Hej!

Jag arbetar som handläggare på en stadsdelsförvaltning och har ett ärende där ett romskt barn
kan komma att omhändertas enligt LVU. Familjen har frågat om barnet kan placeras i ett
familjehem med romsk kulturkompetens, och jag vill göra rätt från början.
Vem ska se över rutinerna för sådana placeringar?

Med vänlig hälsning
Anna Andersson
Stadsdelsförvaltningen"""


@pytest.mark.parametrize("question", [
    "Och vem ska göra det?", "Och vem följer upp det?", "Vem ansvarar för det?", "Hur ofta ska det sammanträda?",
    "Samma för samiska?", "Och för finska?", "Och år 2004?", "Men vem betalar?", "I Malmö då?",
])
def test_follow_ups_are_recognised(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", [
    "Vilka nämnder ska genomföra strategin?", "Vad är LVU?", "Vem kan söka?", "Blir jag kallad?",
    "Hur går det till att få ett covidbevis?", "Vad är ett samordningsnummer och hur får man det?",
    "Vad ska den heltäckande sjukförsäkringen vara?", "Finns det stöd för tolkar?",
    "Men hjälp av vad sker bakningen på industribagerier?", "Och Kommunstyrelsens ansvar för uppföljningen av strategin?",
])
def test_complete_questions_are_left_alone(question: str) -> None:
    u = understand(question, ["Vad gäller för romska barn som omhändertas enligt LVU?"])
    assert not u.rewritten and u.searched == question


def test_the_topic_of_the_earlier_question_is_carried() -> None:
    assert rule_rewrite("Och vem ska göra det?", [LVU]) == "Vem ska göra det – romska barn som omhändertas enligt LVU?"
    # The noun asked for ("rättighetsområden") was the earlier answer; the topic is the strategy.
    assert rule_rewrite("Och vem följer upp det?", [AREAS]) == "Vem följer upp det – strategin?"
    assert rule_rewrite("Samma för samiska?", ["Vilka kommuner ingår i förvaltningsområdet för meänkieli?"]) == (
        "Vilka kommuner ingår i förvaltningsområdet för meänkieli – Samma för samiska?")


def test_no_earlier_question_no_rewrite() -> None:
    u = understand("Och vem ska göra det?")
    assert not u.rewritten and u.searched == "Och vem ska göra det?"


def test_a_chain_keeps_its_topic() -> None:
    searched = understand_history([LVU, "Och vem ska göra det?"])
    u = understand("Och när ska det vara klart?", searched)
    assert u.rewritten and u.searched.endswith("– romska barn som omhändertas enligt LVU?")


def test_personal_data_is_masked_in_every_turn_before_the_rewrite() -> None:
    u = understand("Och vem ska göra det för 19121212-1212?", ["Vad gäller för barn med pnr 19121212-1212 enligt LVU?"])
    assert "19121212-1212" not in u.asked + u.searched
    assert "[personnummer]" in u.searched and u.rewritten
    assert u.warnings == (WARNING_SV,)
    earlier_only = understand("Och vem ska göra det?", ["Gäller LVU för anna@example.se?"])
    assert "anna@example.se" not in earlier_only.searched and earlier_only.warnings == (WARNING_SV,)


def test_a_model_rewrite_plugs_in_and_the_rule_stays_the_fallback() -> None:
    seen: list[tuple[str, Sequence[str]]] = []

    def model(question: str, previous: Sequence[str]) -> str | None:
        seen.append((question, list(previous)))
        return "Vem ska se över rutinerna för placering av romska barn enligt LVU, 070-123 45 67?"

    u = understand("Och vem ska göra det?", [LVU], rewriter=model)
    assert u.by == "modell" and u.searched.startswith("Vem ska se över rutinerna") and "070-123 45 67" not in u.searched
    assert seen == [("Och vem ska göra det?", [LVU])]
    fallback = understand("Och vem ska göra det?", [LVU], rewriter=lambda q, p: None)
    assert fallback.by == "regel" and fallback.searched == rule_rewrite("Och vem ska göra det?", [LVU])
    untouched = understand("Vilka nämnder ska genomföra strategin?", [LVU], rewriter=model)
    assert not untouched.rewritten and len(seen) == 1  # a complete question never reaches the model


def test_long_pasted_text_its_question_part() -> None:
    part = question_part(EMAIL)
    assert part is not None and part.question == "Vem ska se över rutinerna för sådana placeringar?"
    assert "Anna" not in part.question and "Hej" not in part.before
    u = understand(EMAIL)
    assert u.part == part.question and u.searched == part.question
    assert understood_lines(u) == [f"Svarar på: {part.question}"]
    assert question_part(LVU) is None
    assert question_part("Hej!\n\nVi undrar över strategin.\n\nMed vänlig hälsning\nAnna") is None  # no question


def test_the_lines_shown_for_a_rewritten_question() -> None:
    u = understand("Och vem ska göra det?", [LVU])
    assert understood_lines(u) == ["Tolkat som: Vem ska göra det – romska barn som omhändertas enligt LVU?"]


# --- The evaluation format -----------------------------------------------------------------


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_follow_up_lines_load_and_are_their_own_type(tmp_path: Path) -> None:
    rel = [{"doc": "a.md", "contains": "x"}]
    path = _write(tmp_path, [{"id": "a", "question": LVU, "relevant": rel, "type": "fakta"},
                             {"id": "b", "question": "Och vem?", "previous": [LVU], "relevant": rel, "type": "ansvar"}])
    first, second = load_eval_set(path)
    assert first.previous == () and first.reported_type == "fakta"
    assert second.previous == (LVU,) and second.reported_type == FOLLOW_UP == "uppföljning"


def test_malformed_follow_up_lines_are_reported_with_their_line(tmp_path: Path) -> None:
    rel = [{"doc": "a.md", "contains": "x"}]
    path = _write(tmp_path, [
        {"id": "a", "question": "Och?", "previous": LVU, "relevant": rel},
        {"id": "b", "question": "Och?", "previous": [], "relevant": rel},
        {"id": "c", "question": "Och?", "previous": [LVU, 3], "relevant": rel},
        {"id": "d", "question": "Och?", "previous": ["  "], "relevant": rel},
    ])
    with pytest.raises(EvalSetError) as caught:
        load_eval_set(path)
    assert caught.value.problems == [
        "rad 1: fältet 'previous' ska vara en lista med de tidigare frågorna, inte en text",
        "rad 2: fältet 'previous' är en tom lista (utelämna fältet för en fråga utan tidigare frågor)",
        "rad 3: previous[2]: ska vara en text, inte ett tal",
        "rad 4: previous[1]: frågan är tom",
    ]


@pytest.mark.parametrize("name", ["followups.jsonl", "followups-default.jsonl"])
def test_the_shipped_follow_up_sets_load(name: str) -> None:
    questions = load_eval_set(Path(__file__).parents[1] / "eval" / name)
    assert all(q.previous for q in questions)
