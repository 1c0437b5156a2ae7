"""A generated answer in a real browser (Playwright, Debian's Chromium, `streamlit run
app.py`, the real embedding model over the default document) with a language model
configured: a scripted OpenAI-compatible endpoint in a process of its own
(tests/scripted_llm.py) writes a backed sentence, one with the wrong committee and year,
and another backed one, a word at a time. The backed sentences appear one by one while it
writes, each over its highlighted quote; the wrong one never appears; the endpoint killed
in the middle of an answer leaves the extractive answer with a Swedish note."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.errors import ModelUnavailableError
from retrieval.generate import GENERATED_LABEL, WRITING_NOTE
from tests.conftest import REPO
from tests.scripted_llm import BACKED, BACKED_TOO, WRONG
from tests.servers import Server, base_env, start, start_streamlit
from tests.test_browser import ASSISTANT, START_TIMEOUT, browser, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

WHO = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
ARTIFACTS = REPO / "artifacts" / "browser"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("llm") / "scripted.log"
    server = start("scripted llm", [sys.executable, str(REPO / "tests" / "scripted_llm.py"), "{port}", "0.3"],
                   log, "/v1/models", base_env())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, endpoint: Server) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("generated")
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    env = base_env(ASSISTANT_DATA=str(root / "data"), ASSISTANT_CORPUS=str(corpus),
                   ASSISTANT_LLM_URL=endpoint.url + "/v1")
    server = start_streamlit(env, root / "streamlit.log")
    try:
        yield server
    finally:
        server.stop()
        assert "Traceback" not in server.log_tail(20000)


def _plain(sentence: str) -> str:
    return sentence.replace(" [1]", "")


def _ask_and_watch(tab: Any, chat: Server, on_first: Any = None) -> tuple[list[str], str]:
    """Ask WHO; the answer's text each time it changed, until its sources show."""
    tab.goto(chat.url)
    box = tab.locator('[data-testid="stChatInputTextArea"]')
    box.wait_for(timeout=START_TIMEOUT)
    box.fill(WHO)
    box.press("Enter")
    answer = tab.locator(ASSISTANT).first
    answer.wait_for(timeout=120_000)
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        text = answer.inner_text()
        if not seen or seen[-1] != text:
            seen.append(text)
            if on_first is not None and _plain(BACKED) in text:
                on_first()
                on_first = None
        if "Källor" in text:
            return seen, answer.inner_html()
        tab.wait_for_timeout(150)
    raise AssertionError(f"no whole answer within 240 s; last seen: {seen[-1:]}")


def test_backed_sentences_stream_in_with_their_quotes_and_the_wrong_one_never_shows(
        chat: Server, page: Any) -> None:  # noqa: F811 - fixture
    seen, html = _ask_and_watch(page, chat)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "generated-answer.png"), full_page=True)
    while_writing = [t for t in seen if WRITING_NOTE in t]
    assert any(_plain(BACKED) in t and _plain(BACKED_TOO) not in t for t in while_writing), seen  # one by one
    assert not any("Socialnämnden ansvarar för uppföljningen" in t or "2016" in t for t in seen), seen
    final = seen[-1]
    assert GENERATED_LABEL in final and _plain(BACKED) in final and _plain(BACKED_TOO) in final
    assert "1 av språkmodellens meningar visas inte" in final
    assert "<mark>Kommunstyrelsen föreslås ansvara för kommunikation, samordning och uppföljning av strategin.</mark>" in html
    assert WRONG not in final


def test_the_endpoint_killed_mid_answer_leaves_the_extractive_answer(
        chat: Server, endpoint: Server, page: Any) -> None:  # noqa: F811 - fixture
    seen, _ = _ask_and_watch(page, chat, on_first=lambda: os.killpg(endpoint.proc.pid, signal.SIGKILL))
    page.screenshot(path=str(ARTIFACTS / "generated-answer-model-killed.png"), full_page=True)
    final = seen[-1]
    assert ModelUnavailableError("x").swedish_message() in final
    assert "Ansvarig enligt dokumenten: Kommunstyrelsen." in final and GENERATED_LABEL not in final
    assert any(_plain(BACKED) in t for t in seen)  # it had been streaming
