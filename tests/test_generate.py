"""Generated answers (retrieval/generate.py) over the repository's corpus, ingested with the
real embedding model into the real Chroma: what a model writes reaches staff only sentence
by sentence, each sentence backed by a quote of the passage it cites, else the extractive
answer with a note. Scripted models stand in for the language model here (what they write
is the point of each test); the real llama.cpp server with Gemma 3 270M runs in the tests
marked slow at the end."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ModelTimeoutError, ModelUnavailableError
from core.llm import OpenAIChatModel
from core.sentences import split_sentences
from retrieval.answer import Answer, answer_question
from retrieval.generate import (
    NOTE_MODEL_NO_ANSWER,
    NOTE_NO_SUPPORT,
    Generation,
    generate,
    prompt_messages,
    run_generation,
    split_generated,
    with_generation,
)
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from retrieval.turn import ask_turn
from retrieval.verify import verify
from tests.llama import start_llama
from tests.scripted_model import Never, Scripted, words_of
from tests.servers import Server
from ui.render import answer_record

WHO = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
LVU = "Vad gäller för romska barn som omhändertas enligt LVU?"
UNANSWERABLE = "Hur många parkeringsplatser finns vid Globen?"
KS = "Kommunstyrelsen föreslås ansvara för kommunikation"


@pytest.fixture(scope="module")
def calibration() -> Calibration:
    return Calibration.load()


@pytest.fixture(scope="module")
def who(default_searcher: Searcher, calibration: Calibration) -> tuple[Answer, int]:
    answer = answer_question(WHO, default_searcher, calibration)
    assert not answer.refused
    n = next(i for i, p in enumerate(answer.passages[:3], start=1) if KS in " ".join(p.chunk.text.split()))
    return answer, n


def test_a_supported_sentence_is_shown_with_the_quote_that_backs_it(who: tuple[Answer, int]) -> None:
    answer, n = who
    model = Scripted(words_of(f"Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [{n}]."))
    generation = run_generation(answer, model)
    assert generation.outcome == "generated", generation
    (claim,) = generation.claims
    assert claim.n == n and claim.text.startswith("Kommunstyrelsen ansvarar")
    assert claim.quote.startswith(KS)
    assert answer.passages[n - 1].chunk.text[claim.start:claim.end].split()[:3] == KS.split()[:3]
    shown = with_generation(answer, generation)
    assert shown.text == f"{claim.text} [{n}]" and shown.generated == (claim,)
    assert [(q.n, q.start, q.end) for q in shown.quotes] == [(n, claim.start, claim.end)]
    record = answer_record(shown)
    assert record.generated and record.sources[n - 1].quoted and "<mark>Kommunstyrelsen" in record.sources[n - 1].html
    assert not generation.note and generation.first_piece_s is not None


@pytest.mark.parametrize("wrong", [
    "Socialnämnden ansvarar för kommunikation, samordning och uppföljning av strategin [{n}].",  # committee
    "Kommunstyrelsen ansvarar sedan 2016 för kommunikation, samordning och uppföljning av strategin [{n}].",  # year
    "Kommunstyrelsen ansvarar inte för kommunikation, samordning och uppföljning av strategin [{n}].",  # negation
    "Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin.",  # no citation
    "Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [9].",  # not shown
])
def test_a_sentence_the_passage_does_not_back_never_reaches_staff(who: tuple[Answer, int], wrong: str) -> None:
    answer, n = who
    generation = run_generation(answer, Scripted(words_of(wrong.format(n=n))))
    assert generation.outcome == "no_support" and not generation.claims and generation.dropped
    shown = with_generation(answer, generation)
    assert shown.text == answer.text and shown.quotes == answer.quotes and not shown.generated
    assert shown.model_notes == (NOTE_NO_SUPPORT,)
    assert "Socialnämnden ansvarar" not in answer_record(shown).text


def test_of_two_sentences_only_the_supported_one_is_shown(who: tuple[Answer, int]) -> None:
    answer, n = who
    text = (f"Kommunstyrelsen ansvarar för samordning och uppföljning av strategin [{n}]. "
            f"Strategin ska följas upp av Socialnämnden varje år sedan 2015 [{n}].")
    generation = run_generation(answer, Scripted(words_of(text)))
    assert generation.outcome == "generated" and len(generation.claims) == 1
    assert generation.dropped == ("missing_fact",)
    assert generation.note == "1 av språkmodellens meningar visas inte: de stöds inte av källorna."
    assert "Socialnämnden" not in with_generation(answer, generation).text


def test_our_refusal_comes_first_and_no_model_is_called(default_searcher: Searcher,
                                                        calibration: Calibration) -> None:
    answer = answer_question(UNANSWERABLE, default_searcher, calibration)
    assert answer.refused
    generation = run_generation(answer, Never())
    assert generation.outcome == "not_called" and not generation.called
    assert with_generation(answer, generation).text == answer.text


def test_the_model_saying_the_passages_do_not_answer_gives_the_extractive_answer(who: tuple[Answer, int]) -> None:
    answer, _ = who
    generation = run_generation(answer, Scripted(words_of("Avsnitten svarar inte på frågan.")))
    assert generation.outcome == "model_no_answer"
    shown = with_generation(answer, generation)
    assert shown.text == answer.text and shown.model_notes == (NOTE_MODEL_NO_ANSWER,)


@pytest.mark.parametrize("error", [ModelUnavailableError("gone"), ModelTimeoutError("slow")])
def test_a_model_failing_midway_leaves_the_extractive_answer_and_no_generated_sentence(
        who: tuple[Answer, int], error: Exception) -> None:
    answer, n = who
    good = f"Kommunstyrelsen ansvarar för kommunikation och uppföljning av strategin [{n}]. Arbetsmarknads"
    events = list(generate(answer, Scripted(words_of(good), fail=error)))
    assert any(not isinstance(e, Generation) for e in events)  # a sentence was shown while it streamed …
    generation = events[-1]
    assert isinstance(generation, Generation)
    assert generation.outcome == "model_error" and not generation.claims  # … and is taken back
    shown = with_generation(answer, generation)
    assert shown.text == answer.text and not shown.generated
    assert shown.model_notes == (error.swedish_message(),)  # type: ignore[attr-defined]


def test_sentences_are_shown_as_they_come_and_the_stream_is_closed_at_the_limit(who: tuple[Answer, int]) -> None:
    answer, n = who
    sentences = [f"Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [{n}].",
                 f"Arbetsmarknads-, kultur-, utbildnings- och socialnämnden samt stadsdelsnämnderna ansvarar för "
                 f"att genomföra strategin [{n}]."]
    model = Scripted(words_of(" ".join(sentences * 5)))
    events = generate(answer, model, max_sentences=2)
    first = next(events)
    assert not isinstance(first, Generation) and model.read < len(words_of(sentences[0])) + 2
    rest = list(events)
    generation = rest[-1]
    assert isinstance(generation, Generation) and len(generation.claims) == 2
    assert model.closed and model.read < len(model.pieces)


def test_repeated_short_and_off_topic_sentences_are_dropped(who: tuple[Answer, int]) -> None:
    answer, n = who
    text = (f"Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [{n}]. "
            f"Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [{n}]. "
            f"Ansvarsfördelning [{n}].")
    generation = run_generation(answer, Scripted(words_of(text)))
    assert len(generation.claims) == 1 and set(generation.dropped) <= {"repeated", "too_short", "not_covered"}
    assert "repeated" in generation.dropped


def test_only_the_masked_question_and_the_passages_are_sent(default_searcher: Searcher,
                                                            calibration: Calibration) -> None:
    turn = ask_turn(f"Mitt personnummer är 19460921-1919 och jag ringer från 070-1234567. {WHO}", [],
                    default_searcher, calibration)
    assert not turn.answer.refused
    model = Scripted(["Avsnitten svarar inte på frågan."])
    run_generation(turn.answer, model)
    (messages,) = model.sent
    sent = "\n".join(m.content for m in messages)
    assert "19460921" not in sent and "1919" not in sent and "1234567" not in sent
    assert [m.role for m in messages] == ["user"]  # Gemma's chat format drops system messages
    flat = " ".join(sent.split())
    for p in turn.answer.passages[:3]:
        for a, b in split_sentences(p.chunk.text):
            assert " ".join(p.chunk.text[a:b].split()) in flat
    fourth = turn.answer.passages[3].chunk.text
    assert not any(" ".join(fourth[a:b].split()) in flat for a, b in split_sentences(fourth))  # the top three only


def test_prompt_numbers_every_sentence_of_each_passage(who: tuple[Answer, int]) -> None:
    answer, n = who
    (message,) = prompt_messages(answer.question, answer.passages[:3])
    assert f"{KS}, samordning och uppföljning av strategin. [{n}]" in message.content
    assert message.content.rstrip().endswith(f"Fråga: {answer.question}")


@pytest.mark.parametrize(("text", "final", "sentences"), [
    ("Kommunstyrelsen ansvarar. [1] Soc", False, ["Kommunstyrelsen ansvarar [1]."]),
    ("Kommunstyrelsen ansvarar. [", False, []),  # its marker may still come
    ("Kommunstyrelsen ansvarar. [1]", False, []),
    ("Kommunstyrelsen ansvarar. [1]", True, ["Kommunstyrelsen ansvarar [1]."]),
    ("[1] Ansvar [1] Kommunstyrelsen ansvarar [1]. Nästa", False, ["Ansvar [1]", "Kommunstyrelsen ansvarar [1]."]),
    ("Det gäller bl.a. LVU [2]. Och", False, ["Det gäller bl.a. LVU [2]."]),
])
def test_generated_text_is_cut_into_sentences_with_their_markers(text: str, final: bool,
                                                                 sentences: list[str]) -> None:
    assert split_generated(text, final)[0] == sentences


# ---------------------------------------------------------------- the real llama.cpp server

def _local(server: Server) -> OpenAIChatModel:
    return OpenAIChatModel(server.url + "/v1", token_timeout=180.0, timeout=400.0)  # two loaded cores


@pytest.mark.slow
def test_the_local_model_s_shown_sentences_are_all_backed(llama: Server, default_searcher: Searcher,
                                                          calibration: Calibration) -> None:
    outcomes = []
    for question in (WHO, LVU):
        answer = answer_question(question, default_searcher, calibration)
        generation = run_generation(answer, _local(llama), max_tokens=200)
        outcomes.append(generation.outcome)
        assert generation.outcome in ("generated", "no_support", "model_no_answer"), generation
        assert generation.sentences >= 1  # the model wrote something, and each sentence was judged
        for claim in generation.claims:
            passage = answer.passages[claim.n - 1]
            assert verify(f"{claim.text} [{claim.n}]", answer.passages[:3]).ok
            assert " ".join(passage.chunk.text[claim.start:claim.end].split()) == claim.quote
        shown = with_generation(answer, generation)
        assert (shown.text == answer.text) == (generation.outcome != "generated")


@pytest.mark.slow
def test_the_local_server_killed_mid_answer_leaves_the_extractive_answer(
        gemma: Path, tmp_path: Path, default_searcher: Searcher, calibration: Calibration) -> None:
    server = start_llama(gemma, tmp_path / "server.log")
    answer = answer_question(WHO, default_searcher, calibration)
    try:
        model = _local(server)
        killed = False

        def kill_after_first_piece(pieces: Iterator[str]) -> Iterator[str]:
            nonlocal killed
            for i, piece in enumerate(pieces):
                if i == 3 and not killed:
                    os.killpg(server.proc.pid, signal.SIGKILL)
                    killed = True
                yield piece

        stream = model.stream
        model.stream = lambda messages, **kw: kill_after_first_piece(stream(messages, **kw))  # type: ignore[method-assign]
        generation = run_generation(answer, model)
    finally:
        server.stop()
    assert killed and generation.outcome == "model_error" and generation.error == "ModelUnavailableError"
    shown = with_generation(answer, generation)
    assert shown.text == answer.text and not shown.generated
    assert shown.model_notes == (ModelUnavailableError("x").swedish_message(),)
