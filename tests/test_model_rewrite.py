"""Follow-ups rewritten by a language model (retrieval/model_rewrite.py): a sane complete
question from the model is searched, anything else (or a failing model) leaves the rule's
rewrite; only masked text reaches the model. Scripted models stand in for it; the real
llama.cpp server with Gemma 3 270M runs in the test marked slow at the end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import ModelTimeoutError, ModelUnavailableError
from core.llm import OpenAIChatModel
from core.settings import load_settings
from retrieval.conversation import rule_rewrite, understand
from retrieval.model_rewrite import (
    EXAMPLE,
    first_line,
    model_rewriter,
    model_text,
    rewriter_for,
    sane_rewrite,
)
from tests.scripted_model import Scripted, words_of
from tests.servers import Server

LVU = "Vad gäller för romska barn som omhändertas enligt LVU?"
WHO = "Och vem ska göra det?"
GOOD = "Vem ska se till att romska barn som omhändertas enligt LVU får sina rättigheter?"


def test_a_sane_rewrite_by_the_model_is_searched() -> None:
    model = Scripted(["Fråga: «", *words_of(GOOD), "»\n"])
    u = understand(WHO, [LVU], rewriter=model_rewriter(model))
    assert u.by == "modell" and u.rewritten and u.searched == GOOD
    (message,) = model.sent[0]
    assert message.role == "user" and LVU in message.content and WHO in message.content


def test_only_the_first_line_is_read_and_the_stream_closed_there() -> None:
    model = Scripted(["\n", GOOD, "\nFler", " frågor", " här?"])
    assert first_line(model_text(model, WHO, [LVU])) == GOOD
    assert model.closed and model.read == 3


@pytest.mark.parametrize("written", [
    "Skriv om följdfrågan till en enda fullständig fråga på svenska.",  # the prompt echoed: no question
    WHO,  # the follow-up itself
    LVU,  # an earlier question verbatim
    "- " + EXAMPLE[2],  # the prompt's example
    "Vem?",  # too short
    "Vem ska göra det " + "och sedan " * 15 + "?",  # too long
    "Hur mycket kostar en parkeringsplats vid Globen?",  # nothing of the conversation
    "Vem ska göra det för romska barn enligt LVU från 2019?",  # a year from nowhere
    "Vem ska göra det för [personnummer] enligt LVU?",  # a placeholder
    "",  # nothing
])
def test_an_insane_rewrite_leaves_the_rule(written: str) -> None:
    model = Scripted(words_of(written))
    u = understand(WHO, [LVU], rewriter=model_rewriter(model))
    assert model.sent and u.by == "regel" and u.searched == rule_rewrite(WHO, [LVU])


@pytest.mark.parametrize("error", [ModelUnavailableError("nere"), ModelTimeoutError("långsam")])
def test_a_failing_model_leaves_the_rule(error: Exception) -> None:
    model = Scripted(fail=error)
    u = understand(WHO, [LVU], rewriter=model_rewriter(model))
    assert model.sent and u.by == "regel" and u.searched == rule_rewrite(WHO, [LVU])


def test_a_model_failing_midway_leaves_the_rule() -> None:
    u = understand(WHO, [LVU], rewriter=model_rewriter(Scripted(["Vem ska "], fail=ModelUnavailableError("avbrutet"))))
    assert u.by == "regel"


def test_only_masked_text_reaches_the_model() -> None:
    model = Scripted(words_of(GOOD))
    earlier = "Vad gäller för barn med pnr 19121212-1212 enligt LVU?"
    understand("Och vem ska göra det, ring 070-123 45 67?", [earlier], rewriter=model_rewriter(model))
    (message,) = model.sent[0]
    assert "19121212-1212" not in message.content and "070-123 45 67" not in message.content
    assert "[personnummer]" in message.content


def test_a_complete_question_never_calls_the_model() -> None:
    model = Scripted(fail=AssertionError("the model was called"))
    u = understand("Vilka nämnder ska genomföra strategin?", [LVU], rewriter=model_rewriter(model))
    assert not model.sent and not u.rewritten
    assert not understand(WHO, [], rewriter=model_rewriter(model)).rewritten and not model.sent


def test_the_first_line_is_cleaned() -> None:
    assert first_line("\n  1. **Fullständig fråga: \"Vem utser ledamöterna?\"**\nmer") == "Vem utser ledamöterna?"
    assert first_line("") == ""


def test_numbers_of_the_conversation_may_be_kept() -> None:
    earlier = ["Vad gäller enligt strategin från 2004?"]
    assert sane_rewrite("Vem följer upp strategin från 2004?", "Och vem följer upp den?", earlier)


def test_the_setting_turns_the_model_rewrite_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_LLM_REWRITE", raising=False)
    assert load_settings().llm_rewrite is False
    for raw, on in (("1", True), ("true", True), ("0", False)):
        monkeypatch.setenv("ASSISTANT_LLM_REWRITE", raw)
        assert load_settings().llm_rewrite is on
    monkeypatch.delenv("ASSISTANT_LLM_REWRITE")
    settings = replace(load_settings(), llm_rewrite=True)
    assert rewriter_for(settings, None) is None
    assert rewriter_for(replace(settings, llm_rewrite=False), Scripted()) is None
    rewriter = rewriter_for(settings, Scripted(words_of(GOOD)))
    assert rewriter is not None and rewriter(WHO, [LVU]) == GOOD


# ---------------------------------------------------------------- the real llama.cpp server

@pytest.mark.slow
def test_the_local_model_s_rewrite_is_sane_or_left_to_the_rule(llama: Server) -> None:
    model = OpenAIChatModel(llama.url + "/v1", token_timeout=60.0, timeout=240.0)
    question, earlier = "Och vem utser dem?", ["Hur många ledamöter ska Stockholms råd för nationella minoriteters rättigheter ha?"]
    text = model_text(model, question, earlier)
    assert text.strip()  # the model wrote something
    rewritten = model_rewriter(model)(question, earlier)
    assert rewritten is None or sane_rewrite(rewritten, question, earlier) == rewritten
    u = understand(question, earlier, rewriter=model_rewriter(model))
    assert u.rewritten and u.by == ("modell" if rewritten else "regel")
