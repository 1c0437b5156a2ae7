"""The first start in a real browser (issue #17, item 3): `streamlit run` on an empty data
folder over the 65 shared documents, with a short ASSISTANT_FIRST_START_WAIT. The page
shows at once what is happening with a progress bar, then documents and chunks done and
an estimated time left; a second tab sees the same run; once the index exists the chat
appears by itself and answers. Only generous timeouts, no timing thresholds."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.report import read_history
from tests.conftest import DEFAULT_QUESTION, SHARED_CORPUS
from tests.servers import CHROMIUM_ARGS, Server, base_env, start_streamlit
from tests.test_browser import ANSWER_TIMEOUT, ASSISTANT, _browser_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

INTRO = "Första start: dokumenten läses in …"
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
SHOWN = 60_000  # ms: the progress screen (the model loads first)
INGESTED = 900_000  # ms: 225 chunks on two shared cores


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    if not (SHARED_CORPUS / "sources.toml").exists():
        pytest.skip(f"../shared/corpus is not beside the repository ({SHARED_CORPUS}): no corpus large enough")
    root = tmp_path_factory.mktemp("browser-first-start")
    shutil.copytree(SHARED_CORPUS, root / "corpus")
    data = root / "data"
    env = base_env(ASSISTANT_DATA=str(data), ASSISTANT_CORPUS=str(root / "corpus"),
                   ASSISTANT_FIRST_START_WAIT="0.5")
    started = start_streamlit(env, root / "streamlit.log")
    try:
        yield started, data
    finally:
        started.stop()
        log = started.log_tail(20000)
        assert "Traceback" not in log, log


@pytest.fixture
def browser() -> Iterator[Any]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(_browser_or_skip()), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _tab(browser: Any, url: str) -> Any:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(url)
    return tab


def test_progress_then_estimate_then_the_chat_answers(server: tuple[Server, Path], browser: Any) -> None:
    from playwright.sync_api import expect

    app, data = server
    tab = _tab(browser, app.url)
    expect(tab.get_by_text(INTRO)).to_be_visible(timeout=SHOWN)
    expect(tab.locator('[data-testid="stProgress"]')).to_be_visible()
    expect(tab.locator(CHAT_INPUT)).to_be_disabled()  # where it will be, with a note
    expect(tab.get_by_text("Du kan ställa frågor så snart dokumenten är inlästa.")).to_be_visible()
    expect(tab.get_by_text("Tid kvar: beräknar …")).to_be_visible(timeout=INGESTED)  # before a rate is known

    other = _tab(browser, app.url)  # a second session: the same run, not another
    expect(other.get_by_text(INTRO)).to_be_visible(timeout=SHOWN)
    expect(other.locator('[data-testid="stProgress"]')).to_be_visible()

    # The estimate from the measured rate, with the chunks done of all, redrawn without a click.
    expect(tab.get_by_text("Tid kvar: cirka")).to_be_visible(timeout=INGESTED)
    expect(tab.get_by_text("Avsnitt:")).to_contain_text(" av ")
    expect(tab.get_by_text(re.compile(r"Dokument: (\d+) av \1 lästa"))).to_be_visible()

    # The index exists: the chat appears by itself in both tabs and answers.
    expect(tab.locator(CHAT_INPUT)).to_be_enabled(timeout=INGESTED)
    expect(tab.get_by_text(INTRO)).to_have_count(0)
    expect(other.locator(CHAT_INPUT)).to_be_enabled(timeout=SHOWN)
    box = tab.locator(CHAT_INPUT)
    box.fill(DEFAULT_QUESTION)
    box.press("Enter")
    expect(tab.locator(ASSISTANT).last).to_contain_text("[1]", timeout=ANSWER_TIMEOUT)
    assert len(read_history(data)) == 1  # one ingest for both sessions
