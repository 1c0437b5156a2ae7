"""Thumbs-down drafts for the evaluation set: plain functions, and the chat through AppTest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from evaluation.evalset import EvalSetError, load_eval_set
from tests.conftest import DEFAULT_QUESTION, REPO
from ui.feedback import (
    COMMENT_CHARS,
    NOTE,
    REASONS,
    RECEIVED,
    RECEIVED_THUMB,
    THUMBS_DOWN,
    append_drafts,
    draft_line,
    drafts_of,
    first_words,
    to_jsonl,
)
from ui.render import ShownAnswer, ShownSource, highlight_html
from ui.resources import resources

PNR = "19121212-1212"
DOC = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"
PASSAGE = ("Ansvarsfördelning \n\nKommunstyrelsen föreslås ansvara för kommunikation, samordning och "
           "uppföljning av strategin. Det är <viktigt> & bra.")


def source(n: int = 1, section: str | None = "Ansvarsfördelning", text: str = PASSAGE) -> ShownSource:
    """A source as ui.render.answer_record makes it."""
    return ShownSource(n=n, doc=DOC, title="Tjänsteutlåtandet", page=None, page_label=None, section=section,
                       text=text, html=highlight_html(text, [(19, 60)]), quoted=True, validity="gäller 2018–2022")


def record(question: str, refused: bool = False, sources: list[ShownSource] | None = None,
           **fields: Any) -> ShownAnswer:
    return ShownAnswer(question=question, text=fields.pop("text", "…"), refused=refused,
                       sources=tuple([source()] if sources is None else sources), **fields)


def test_draft_line_has_the_format_and_masks_the_question_again() -> None:
    # The history holds the masked question; a record that somehow does not is masked here.
    rec = record(f"Vem ansvarar för {PNR}, tel 070-123 45 67, anna.svensson@example.se?")
    draft = draft_line(rec)
    dumped = json.dumps(draft, ensure_ascii=False)
    for personal in (PNR, "070-123 45 67", "anna.svensson@example.se", "191212"):
        assert personal not in dumped
    assert draft["question"] == "Vem ansvarar för [personnummer], tel [telefonnummer], [e-postadress]?"
    assert draft["id"].startswith("utkast-") and len(draft["id"]) > len("utkast-")
    assert draft["relevant"] == [] and draft["type"] == "utkast" and draft["note"] == NOTE
    assert draft["shown"] == [{"doc": DOC, "title": "Tjänsteutlåtandet", "page": None,
                               "section": "Ansvarsfördelning",
                               "contains": "Ansvarsfördelning Kommunstyrelsen föreslås ansvara för kommunikation, "
                                           "samordning och"}]
    assert set(draft) == {"id", "question", "relevant", "type", "shown", "note", "reason", "comment"}
    assert draft["reason"] == "" and draft["comment"] == ""  # nothing said yet


def test_nothing_else_goes_into_the_draft() -> None:
    rec = record("Vad gäller?", text=f"Svar som nämner {PNR}", warnings=(f"varning {PNR}",),
                 responsible=(f"anteckning {PNR}",))
    assert PNR not in to_jsonl([draft_line(rec)])


def test_the_contains_phrase_is_verbatim_passage_text() -> None:
    assert draft_line(record("Vad gäller?"))["shown"][0]["contains"] == first_words(PASSAGE)  # not the flowed HTML
    assert first_words("  a  b\n\nc d e f g h i j ") == "a b c d e f g h"
    assert first_words("bara tre ord") == "bara tre ord"


def test_a_source_is_cited_by_page_label_and_section() -> None:
    where = ShownSource(n=1, doc=DOC, title="T", page=5, page_label="iv", section="Bakgrund, del 2", text="x",
                        html="x", quoted=False, validity="").where
    assert where == "s. iv, avsnitt ”Bakgrund, del 2”"
    assert source(section=None).where == ""


def test_refusal_shows_three_documents_and_ids_are_stable() -> None:
    sources = [source(n, text=f"Passage nummer {n} om något helt annat.") for n in range(1, 6)]
    draft = draft_line(record("Vad kostar sophämtningen för [personnummer]?", refused=True, sources=sources))
    assert [s["contains"] for s in draft["shown"]] == [f"Passage nummer {n} om något helt annat." for n in (1, 2, 3)]
    again = draft_line(record("Vad kostar sophämtningen för [personnummer]?", refused=True, sources=sources))
    assert again["id"] == draft["id"]
    assert draft_line(record("En annan fråga?", sources=sources))["id"] != draft["id"]


def test_drafts_of_the_session_are_the_thumbs_down_answers() -> None:
    up = record("Första frågan?", feedback_id="a1")
    down = record(f"Andra frågan {PNR}?", feedback_id="b2")
    untouched = record("Tredje frågan?", feedback_id="c3")
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Första frågan?"}, {"role": "assistant", "answer": up},
        {"role": "user", "content": "Andra frågan [personnummer]?"}, {"role": "assistant", "answer": down},
        {"role": "assistant", "answer": untouched}, {"role": "assistant", "answer": down},
    ]
    values = {"feedback_a1": 1, "feedback_b2": THUMBS_DOWN}
    drafts = drafts_of(messages, values)
    assert [d["question"] for d in drafts] == ["Andra frågan [personnummer]?"]  # once, masked


def test_append_drafts_creates_dedupes_and_masks(tmp_path: Path) -> None:
    path = tmp_path / "data" / "feedback.jsonl"
    first = draft_line(record("Fråga ett?"))
    second = draft_line(record("Fråga två?"))
    leaked = {**second, "id": "utkast-handgjord", "question": f"Fråga tre {PNR}?", "extra": PNR}
    assert append_drafts(path, [first]) == 1
    assert append_drafts(path, [first, second, second]) == 1
    assert append_drafts(path, [leaked]) == 1
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in lines] == [first["id"], second["id"], "utkast-handgjord"]
    assert PNR not in path.read_text(encoding="utf-8")
    assert lines[2]["question"] == "Fråga tre [personnummer]?" and "extra" not in lines[2]


def test_a_draft_carries_the_reason_and_the_masked_comment(tmp_path: Path) -> None:
    rec = record("Vem ansvarar?")
    draft = draft_line(rec, "fel_kalla", f"Fel dokument, ring mig på 070-123 45 67 eller {PNR}   " + "x" * 900)
    assert draft["reason"] == "fel_kalla"
    assert draft["comment"].startswith("Fel dokument, ring mig på [telefonnummer] eller [personnummer] x")
    assert PNR not in json.dumps(draft) and len(draft["comment"]) <= COMMENT_CHARS + 20
    assert draft_line(rec, "hittepå")["reason"] == ""  # only the listed reasons
    assert draft_line(rec, "svaret_saknas")["id"] == draft["id"]  # the same answer: the same id
    path = tmp_path / "feedback.jsonl"
    assert append_drafts(path, [draft_line(rec)]) == 1  # the thumbs-down, at once
    assert append_drafts(path, [draft, draft]) == 1  # then what was wrong, as a second line of the id
    assert append_drafts(path, [draft]) == 0
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(d["id"], d["reason"]) for d in lines] == [(draft["id"], ""), (draft["id"], "fel_kalla")]
    assert set(REASONS.values()) == {"Fel källa", "Svaret saknas", "Ofullständigt", "Borde ha vägrat", "Annat"}


def test_a_draft_is_not_a_valid_line_until_completed(tmp_path: Path) -> None:
    """The draft is deliberately incomplete: the loader names what a tester must fix."""
    path = tmp_path / "utkast.jsonl"
    draft = draft_line(record("Vem ansvarar för kommunikationen?"))
    path.write_text(to_jsonl([draft]), encoding="utf-8")
    with pytest.raises(EvalSetError) as err:
        load_eval_set(path)
    assert err.value.problems == ["rad 1: okänt fält 'comment'", "rad 1: okänt fält 'note'",
                                  "rad 1: okänt fält 'reason'", "rad 1: okänt fält 'shown'"]
    done = {k: v for k, v in draft.items() if k not in ("shown", "note", "reason", "comment")}
    done.update(type="ansvar", relevant=[{"doc": DOC, "contains": draft["shown"][0]["contains"]}])
    path.write_text(json.dumps(done, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load_eval_set(path)[0].relevant[0].doc == DOC


# --- The chat ---------------------------------------------------------------------------


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    monkeypatch.setenv("ASSISTANT_LOG_QUESTIONS", "1")  # then thumbs-down drafts are kept in the data folder
    resources.clear()
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    yield at
    resources.clear()


@pytest.mark.slow
def test_thumbs_down_in_the_chat_gives_a_masked_draft(chat: AppTest, tmp_path: Path) -> None:
    at = chat
    at.chat_input[0].set_value(DEFAULT_QUESTION).run()
    at.chat_input[0].set_value(f"Vad kostar sophämtningen för {PNR} i Stockholm?").run()
    assert not at.exception
    assert len(at.feedback) == 2  # thumbs on every answer
    assert not at.sidebar.download_button

    at.feedback[1].set_value(THUMBS_DOWN).run()
    at.feedback[0].set_value(1).run()  # thumbs up: no draft
    assert not at.exception
    drafts = at.session_state["feedback_drafts"]
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft["question"] == "Vad kostar sophämtningen för [personnummer] i Stockholm?"
    assert draft["type"] == "utkast" and draft["relevant"] == [] and draft["id"].startswith("utkast-")
    assert 1 <= len(draft["shown"]) <= 3  # a refusal lists the nearest documents
    assert all(s["doc"] == DOC and s["contains"] for s in draft["shown"])
    assert [b.label for b in at.sidebar.download_button] == ["Ladda ner utkast till utvärderingen (1)"]
    saved = (tmp_path / "data" / "feedback.jsonl").read_text(encoding="utf-8")
    assert PNR not in saved and json.loads(saved)["id"] == draft["id"]
    assert PNR not in json.dumps(at.session_state.to_dict(), ensure_ascii=False, default=str)

    at.feedback[0].set_value(THUMBS_DOWN).run()
    assert [d["question"] for d in at.session_state["feedback_drafts"]] == [
        DEFAULT_QUESTION, "Vad kostar sophämtningen för [personnummer] i Stockholm?"]
    assert len((tmp_path / "data" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.slow
def test_no_feedback_file_without_question_logging(chat: AppTest, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LOG_QUESTIONS", "0")
    resources.clear()
    at = chat
    at.run()
    at.chat_input[0].set_value(DEFAULT_QUESTION).run()
    at.feedback[0].set_value(THUMBS_DOWN).run()
    assert not at.exception
    assert len(at.session_state["feedback_drafts"]) == 1  # the download still has it
    assert not (tmp_path / "data" / "feedback.jsonl").exists()


@pytest.mark.slow
def test_thumbs_down_asks_what_was_wrong_and_confirms(chat: AppTest, tmp_path: Path) -> None:
    at = chat
    at.chat_input[0].set_value(DEFAULT_QUESTION).run()
    assert not at.radio and not at.success  # nothing asked before a thumbs-down
    at.feedback[0].set_value(THUMBS_DOWN).run()
    assert not at.exception
    assert RECEIVED_THUMB in [c.value for c in at.caption]
    radio = at.radio(key=f"feedback_reason_{at.session_state['messages'][1]['answer'].feedback_id}")
    assert radio.label == "Vad var fel?"
    assert radio.options == list(REASONS.values())  # as shown
    radio.set_value("ofullstandigt")
    at.text_input[0].set_value(f"Det saknas ett steg, fråga {PNR}")
    at.button[-1].click().run()  # the form's "Skicka"
    assert not at.exception
    assert [s.value for s in at.success] == [RECEIVED]
    assert not at.radio  # asked once
    draft = at.session_state["feedback_drafts"][0]
    assert draft["reason"] == "ofullstandigt" and draft["comment"] == "Det saknas ett steg, fråga [personnummer]"
    lines = [json.loads(line) for line in (tmp_path / "data" / "feedback.jsonl").read_text("utf-8").splitlines()]
    assert [d["reason"] for d in lines] == ["", "ofullstandigt"]
    assert PNR not in json.dumps(at.session_state.to_dict(), ensure_ascii=False, default=str)
