"""The chat with a language model configured (AppTest, the real embedding model, the default
document, the real llama.cpp server with Gemma 3 270M): the answer is marked as generated
and every sentence shown stands over the quote that backs it; with the model down, the
extractive answer and a plain Swedish note; a refusal asks no model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import ModelUnavailableError
from retrieval.generate import GENERATED_LABEL
from tests.conftest import REPO
from tests.servers import Server, base_env, free_port, start
from ui.resources import resources

pytestmark = pytest.mark.slow

WHO = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
UNANSWERABLE = "Hur många parkeringsplatser finns vid Globen?"


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, log: bool = False,
         rewrite: bool = False) -> AppTest:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    monkeypatch.setenv("ASSISTANT_LLM_URL", url)
    monkeypatch.setenv("ASSISTANT_LLM_TOKEN_TIMEOUT", "180")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "400")
    if log:
        monkeypatch.setenv("ASSISTANT_LOG_QUESTIONS", "1")
    monkeypatch.setenv("ASSISTANT_LLM_REWRITE", "1" if rewrite else "0")
    resources.clear()  # process-wide: would otherwise keep another test's settings
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=400)
    app.run()
    return app


def _last_answer(app: AppTest):  # type: ignore[no-untyped-def]
    return [m for m in app.chat_message if m.name == "assistant"][-1]


def _plain(text: str) -> str:
    return text.replace("\\", "")


def test_the_chat_shows_only_backed_generated_sentences(llama: Server, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, monkeypatch, llama.url + "/v1")
    app.chat_input[0].set_value(WHO).run()
    assert not app.exception
    answer = _last_answer(app)
    captions = " ".join(_plain(c.value) for c in answer.caption)
    infos = " ".join(_plain(i.value) for i in answer.info)
    quotes = [md.value for md in answer.markdown if "claim-quote" in md.value]
    if GENERATED_LABEL in captions:
        assert quotes, "every generated sentence has its quote"
        assert any("Kommunstyrelsen" in q for q in quotes)
    else:  # the small model backed nothing: the quotes, with the note
        assert "svaret nedan är citat ur dokumenten" in infos and not quotes
    assert not (tmp_path / "data" / "questions.jsonl").exists()  # nothing stored without question logging


def test_the_model_down_leaves_the_extractive_answer_with_a_note(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, monkeypatch, f"http://127.0.0.1:{free_port()}/v1", log=True)
    app.chat_input[0].set_value(WHO).run()
    assert not app.exception
    answer = _last_answer(app)
    assert ModelUnavailableError("x").swedish_message() in _plain(" ".join(i.value for i in answer.info))
    text = _plain(" ".join(md.value for md in answer.markdown))
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in text
    assert GENERATED_LABEL not in " ".join(_plain(c.value) for c in answer.caption)
    (line,) = (tmp_path / "data" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert "generated" not in json.loads(line)


def test_a_refusal_asks_no_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, monkeypatch, f"http://127.0.0.1:{free_port()}/v1")  # nothing listens: any call would note it
    app.chat_input[0].set_value(UNANSWERABLE).run()
    assert not app.exception
    answer = _last_answer(app)
    assert not answer.info
    assert "Jag hittar inget svar" in _plain(" ".join(md.value for md in answer.markdown))


REWRITTEN = "Vem ska se över rutinerna för romska barn som omhändertas enligt LVU?"


def test_with_rewriting_on_the_model_s_complete_question_is_searched(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    argv = [sys.executable, str(REPO / "tests" / "scripted_llm.py"), "{port}", "0", REWRITTEN]
    endpoint = start("scripted llm", argv, tmp_path / "llm.log", "/v1/models", base_env())
    try:
        app = _app(tmp_path, monkeypatch, endpoint.url + "/v1", rewrite=True)
        app.chat_input[0].set_value("Vad gäller för romska barn som omhändertas enligt LVU?").run()
        app.chat_input[0].set_value("Och vem ska göra det?").run()
        assert not app.exception
    finally:
        endpoint.stop()
    answer = _last_answer(app)
    assert f"Tolkat som: {REWRITTEN}" in " ".join(_plain(c.value) for c in answer.caption)
    assert "Socialnämnden ska i samarbete med stadsdelarna" in _plain(" ".join(md.value for md in answer.markdown))
