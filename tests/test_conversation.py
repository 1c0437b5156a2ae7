"""Follow-ups resolved against the conversation, long pasted texts, the take-away text,
and follow-ups in the evaluation format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from core.privacy import WARNING_SV
from evaluation.evalset import FOLLOW_UP, EvalSetError, load_eval_set
from retrieval.conversation import is_follow_up, rule_rewrite, understand, understand_history, understood_lines
from retrieval.pasted import question_part

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
    searched = [t.searched for t in understand_history([LVU, "Och vem ska göra det?"])]
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


# --- The take-away text ----------------------------------------------------------------------


def _record(**kw: object) -> object:
    from ui.render import ShownAnswer, ShownSource

    sources = (
        ShownSource(1, "a.md", "Strategin", 3, None, "Ansvarsfördelning", "t", "t", True, "gällde 2018–2022, har upphört"),
        ShownSource(2, "b.md", "Annat", None, None, None, "t", "t", False, ""),
    )
    fields: dict[str, object] = {"question": "Och vem ska göra det?", "text": "Socialnämnden ska … [1]",
                                 "refused": False, "sources": sources,
                                 "interpreted": "Vem ska göra det – romska barn?", "searched": "x"}
    fields.update(kw)
    return ShownAnswer(**fields)  # type: ignore[arg-type]


def test_the_copy_text_has_the_answer_and_its_numbered_sources() -> None:
    from ui.take_away import answer_text

    text = answer_text(_record())  # type: ignore[arg-type]
    assert text == ("Fråga: Och vem ska göra det?\nTolkat som: Vem ska göra det – romska barn?\n\n"
                    "Svar: Socialnämnden ska … [1]\n\nKällor:\n"
                    "[1] Strategin, s. 3, avsnitt ”Ansvarsfördelning” (gällde 2018–2022, har upphört) – a.md")


def test_the_copy_text_and_the_download_stay_masked() -> None:
    from ui.take_away import answer_text, conversation_text

    leaky = _record(question="Gäller det 19121212-1212?", text="Ring 070-123 45 67 [1]")
    assert "19121212-1212" not in answer_text(leaky) and "070-123 45 67" not in answer_text(leaky)  # type: ignore[arg-type]
    whole = conversation_text([{"role": "user", "content": "x"}, {"role": "assistant", "answer": leaky},
                               {"role": "assistant", "answer": _record()}])
    assert whole.count("Fråga: ") == 2 and "19121212-1212" not in whole and "\n2.\nFråga: Och vem" in whole


# --- On the default document, with the real model ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("first", "follow_up", "quoted"), [
    (LVU, "Och vem ska göra det?", "Socialnämnden ska i samarbete med stadsdelarna se över rutiner"),
    (AREAS, "Och vem följer upp det?", "Kommunstyrelsen föreslås ansvara för kommunikation, samordning"),
])
def test_the_two_conversations_of_the_issue(default_searcher, first: str, follow_up: str, quoted: str) -> None:  # type: ignore[no-untyped-def]
    from retrieval.refusal import Calibration
    from retrieval.turn import ask_turn

    calibration = Calibration.load()
    before = ask_turn(first, [], default_searcher, calibration)
    turn = ask_turn(follow_up, [before.answer.question], default_searcher, calibration)
    assert turn.understood.rewritten and not turn.answer.refused
    assert quoted in " ".join(turn.answer.text.split())
    alone = ask_turn(follow_up, [], default_searcher, calibration)  # what the issue saw: the topic lost
    assert quoted not in " ".join(alone.answer.text.split())


@pytest.mark.slow
def test_a_pasted_email_is_answered_by_its_question_part(default_searcher) -> None:  # type: ignore[no-untyped-def]
    from retrieval.refusal import Calibration
    from retrieval.turn import ask_turn

    turn = ask_turn(EMAIL, [], default_searcher, Calibration.load())
    assert turn.understood.part == "Vem ska se över rutinerna för sådana placeringar?"
    assert "Socialnämnden ska i samarbete med stadsdelarna" in " ".join(turn.answer.text.split())


@pytest.mark.slow
def test_evaluation_reports_follow_ups_as_their_own_type(default_searcher) -> None:  # type: ignore[no-untyped-def]
    from evaluation.evaluate import format_table, run_eval
    from retrieval.refusal import Calibration

    questions = load_eval_set(Path(__file__).parents[1] / "eval" / "followups-default.jsonl")
    run = run_eval(questions, default_searcher, Calibration.load())
    assert list(run.summary.per_type) == [FOLLOW_UP]
    assert run.summary.per_type[FOLLOW_UP]["hit@5"] >= 0.85
    assert " uppföljning " in format_table([run])
    rewritten = [r for r in run.questions if r.interpreted]
    assert rewritten and rewritten[0].to_json()["previous"] == list(questions[0].previous)
