"""Calmer answers in a real browser (issue #16): only the quoted sources under an answer by
default, the validity note with what to do, document Markdown never rendered or fetched,
and the previous answer never on screen twice while the next question is answered."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DEFAULT_QUESTION, REPO
from tests.servers import CHROMIUM_ARGS, Server, base_env, start_streamlit
from tests.test_browser import ANSWER_TIMEOUT, ASSISTANT, START_TIMEOUT, _browser_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

TRAP = "127.0.0.1:9"  # nothing listens here; a request to it would mean a document's image was fetched
MARKDOWN_DOC = (
    "# Rutin för besök ![logga](http://127.0.0.1:9/title.png)\n\n"
    "Besökare till förvaltningen anmäler sig i receptionen på plan två före mötet. "
    f"Läs mer på [intranätet](http://{TRAP}/intranat) och se ![karta](http://{TRAP}/karta.png) här.\n"
)
MARKDOWN_QUESTION = "Var anmäler sig besökare till förvaltningen?"
VALIDITY_NOTE = "Strategin gällde 2018–2022. Kontrollera om den har ersatts."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-calm")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in (REPO / "corpus").iterdir():
        if path.is_file():
            shutil.copy(path, corpus)
    (corpus / "besok.md").write_text(MARKDOWN_DOC, encoding="utf-8")
    env = base_env(ASSISTANT_DATA=str(root / "data"), ASSISTANT_CORPUS=str(corpus))
    started = start_streamlit(env, root / "streamlit.log")
    try:
        yield started
    finally:
        started.stop()
        log = started.log_tail(20000)
        assert "Traceback" not in log, log


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(_browser_or_skip()), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30_000)
            tab = context.new_page()
            tab.requests = []  # type: ignore[attr-defined]
            tab.on("request", lambda r: tab.requests.append(r.url))  # type: ignore[attr-defined]
            tab.goto(server.url)
            tab.locator('[data-testid="stChatInputTextArea"]').wait_for(timeout=START_TIMEOUT)
            yield tab
        finally:
            browser.close()


def _ask(page: Any, question: str, expect_text: str) -> Any:
    from playwright.sync_api import expect

    before = page.locator(ASSISTANT).count()
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    box.press("Enter")
    answer = page.locator(ASSISTANT).nth(before)
    expect(answer).to_contain_text(expect_text, timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(500)  # the run ends: its stale elements are gone
    return answer


def test_only_quoted_sources_and_the_validity_note(page: Any) -> None:
    from playwright.sync_api import expect

    answer = _ask(page, DEFAULT_QUESTION, "Kommunstyrelsen föreslås ansvara")
    expect(answer.get_by_test_id("stAlertContentWarning").get_by_text(VALIDITY_NOTE)).to_be_visible(timeout=ANSWER_TIMEOUT)
    cited = {n for n in range(1, 10) if f"[{n}]" in answer.locator('[data-testid="stMarkdown"]').first.inner_text()}
    sources = answer.locator('[data-testid="stExpander"] summary').filter(has_text="[")
    labels = [sources.nth(i).inner_text() for i in range(sources.count())]
    numbers = sorted(int(m.group(1)) for label in labels if (m := re.search(r"\[(\d+)\]", label)))
    assert cited and numbers == sorted(cited), labels  # the quoted sources, and only they
    more = answer.get_by_text("Visa fler källor")
    expect(more).to_be_visible()
    more.click()
    page.wait_for_timeout(1500)
    assert answer.locator('[data-testid="stExpander"] summary').filter(has_text="[").count() > len(labels)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Avsnitt" not in sidebar and "Modell" not in sidebar


def test_the_previous_answer_is_never_shown_twice(page: Any) -> None:
    first = _ask(page, DEFAULT_QUESTION, "Kommunstyrelsen föreslås ansvara")
    marker = "Kommunstyrelsen föreslås ansvara"
    assert first.count() == 1
    # Count, on every change of the page while the next question is answered, how many
    # chat messages show the first answer.
    page.evaluate("""(marker) => {
        window.__most = 0;
        const count = () => {
            const n = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
                .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]')
                             && m.innerText.includes(marker)).length;
            window.__most = Math.max(window.__most, n);
        };
        new MutationObserver(count).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""", marker)
    _ask(page, "Vilka år gäller strategin?", "2018")
    most = page.evaluate("window.__most")
    assert most <= 2  # the first answer, and the second if it quotes the same sentence
    texts = [page.locator(ASSISTANT).nth(i).inner_text() for i in range(page.locator(ASSISTANT).count())]
    assert len(texts) == 2


def test_markdown_in_a_document_is_shown_as_written(page: Any, server: Server) -> None:
    answer = _ask(page, MARKDOWN_QUESTION, "receptionen på plan två")
    answer.locator('[data-testid="stExpander"] summary').first.click()
    page.wait_for_timeout(1000)
    shown = answer.inner_text()
    assert f"http://{TRAP}/karta.png" in shown or f"http://{TRAP}/intranat" in shown  # the address, as text
    assert answer.locator("img").count() == answer.locator('[data-testid="stChatMessageAvatarAssistant"] img').count()
    assert answer.locator(f'a[href*="{TRAP}"]').count() == 0
    assert not [url for url in page.requests if TRAP in url]
    # The page Källa shows the whole section: the same, as text.
    href = answer.locator('a[href*="kalla?"]').first.get_attribute("href")
    page.goto(href if href.startswith("http") else f"{server.url}/{href.lstrip('/')}")
    page.get_by_text("receptionen på plan två").first.wait_for(timeout=START_TIMEOUT)
    page.wait_for_timeout(1000)
    main = page.locator('[data-testid="stMain"]')
    assert f"http://{TRAP}/karta.png" in main.inner_text()
    assert main.locator("img").count() == 0 and main.locator(f'a[href*="{TRAP}"]').count() == 0
    assert not [url for url in page.requests if TRAP in url]
