"""End to end in a real browser: Playwright drives Debian's Chromium against
`streamlit run app.py` on a free loopback port, with a data folder and a corpus (the
statement plus a two-page PDF) in tmp. Screenshots of every step go to
artifacts/browser/.

Without a browser these tests skip, except in CI (CI set), where that is a failure."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEFAULT_QUESTION, REPO
from tests.servers import CHROMIUM, CHROMIUM_ARGS, Server, base_env, start_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ARTIFACTS = REPO / "artifacts" / "browser"
PASSWORD = "samordnare-i-test"
TESTER_PASSWORD = "testare-i-test"
REFUSAL = "Jag hittar inget svar på det i dokumenten."
PLACEHOLDER = "Skriv din fråga här …"
STATEMENT_TITLE = "Socialförvaltningens tjänsteutlåtande"
PDF_TITLE = "Riktlinjer för tolkanvändning i socialtjänsten"
PDF_QUESTION = "Får barn användas som tolkar?"
PDF_ANSWER = "Barn och anhöriga får aldrig användas som tolkar."
NEW_DOC_QUESTION = "När är Stadshusets reception öppen?"
NEW_DOC_ANSWER = "Stadshusets reception är öppen vardagar klockan 8–16."

START_TIMEOUT = 240_000  # ms: model load and the first ingest on two slow cores
ANSWER_TIMEOUT = 90_000

ASSISTANT = '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])'


def _browser_or_skip() -> Path:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is not installed")
    if missing:
        reason = "no browser for the end-to-end tests: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is a failure)")
        pytest.skip(reason)
    return CHROMIUM


def _make_pdf(path: Path) -> None:
    """Two pages; the answer to PDF_QUESTION is on page 2 only."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, PDF_TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 7, "Syfte\n\nRiktlinjerna beskriver när socialtjänsten ska använda tolk i samtal med "
                         "enskilda. Den enskilde har rätt till tolk när han eller hon inte behärskar svenska. "
                         "Tolken ska vara opartisk och ha tystnadsplikt.", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 7, "Beställning av tolk\n\nHandläggaren beställer tolk senast tre arbetsdagar före mötet "
                         "genom stadens tolkförmedling. Vid akuta ärenden kan telefontolk användas samma dag. "
                         f"{PDF_ANSWER}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@dataclass
class App:
    server: Server
    corpus: Path
    data: Path
    saw_progress: bool

    @property
    def url(self) -> str:
        return self.server.url


class Shots:
    """Numbered screenshots in artifacts/browser/ (kept by CI as artifacts)."""

    def __init__(self) -> None:
        self.n = 0
        if ARTIFACTS.exists():
            for old in ARTIFACTS.glob("*.png"):
                old.unlink()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str, settle: float = 0.0, show: Any = None) -> Path:
        """`settle`: seconds to wait first (tables are drawn on a canvas a moment later).
        `show`: a locator to scroll to the middle of the view just before the shot (the
        chat scrolls inside Streamlit's main block and sticks to the bottom, so a
        full-page shot would not show it)."""
        self.n += 1
        path = ARTIFACTS / f"{self.n:02d}-{name}.png"
        if settle:
            page.mouse.move(0, 0)  # no tooltip of the button last clicked
            page.wait_for_timeout(settle * 1000)
        if show is not None:
            show.evaluate("(el) => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(100)
        page.screenshot(path=str(path), full_page=show is None)
        return path


@pytest.fixture(scope="module")
def shots() -> Shots:
    return Shots()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, browser: Any, shots: Shots) -> Iterator[App]:
    """The app on a fresh data folder; the first visit ingests with a progress bar."""
    root = tmp_path_factory.mktemp("browser")
    corpus, data = root / "corpus", root / "data"
    corpus.mkdir()
    for path in (REPO / "corpus").iterdir():
        if path.is_file():
            shutil.copy(path, corpus)
    _make_pdf(corpus / "riktlinjer-tolk.pdf")
    with open(corpus / "sources.toml", "a", encoding="utf-8") as manifest:
        manifest.write(f'\n["riktlinjer-tolk.pdf"]\ntitle = "{PDF_TITLE}"\nsource = "Testdokument"\n'
                       'kind = "riktlinjer"\nexcerpt = false\n')
    env = base_env(ASSISTANT_DATA=str(data), ASSISTANT_CORPUS=str(corpus),
                   ASSISTANT_COORDINATOR_PASSWORD=PASSWORD, ASSISTANT_TESTER_PASSWORD=TESTER_PASSWORD)
    server = start_streamlit(env, root / "streamlit.log")
    try:
        context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
        first = context.new_page()
        first.goto(server.url)
        saw_progress = False
        try:
            first.wait_for_selector('[data-testid="stProgress"]', timeout=START_TIMEOUT)
            saw_progress = True
            shots(first, "first-start-progress")
        except Exception:  # noqa: BLE001 - asserted in the first test, with the screenshot
            shots(first, "first-start-no-progress")
        first.wait_for_selector('[data-testid="stChatInputTextArea"]', timeout=START_TIMEOUT)
        shots(first, "first-start-ready")
        context.close()
        yield App(server, corpus, data, saw_progress)
    finally:
        server.stop()
        log = server.log_tail(20000)
        assert "Traceback" not in log, log


def _open_chat(page: Any, app: App) -> Any:
    page.goto(app.url)
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.wait_for(timeout=START_TIMEOUT)
    return box


def _ask(page: Any, question: str, expect_text: str) -> Any:
    """Type the question, press Enter, wait for an assistant answer containing `expect_text`."""
    from playwright.sync_api import expect

    before = page.locator(ASSISTANT).count()
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(question)
    box.press("Enter")
    answer = page.locator(ASSISTANT).nth(before)
    expect(answer).to_contain_text(expect_text, timeout=ANSWER_TIMEOUT)
    return answer


def _words(text: str) -> list[str]:
    return text.split()


def _source(answer: Any, n: int) -> Any:
    return answer.locator('[data-testid="stExpander"]').nth(n - 1)


# --- colour contrast (WCAG 2.x) ------------------------------------------------------

_COLOURS_JS = """(el) => {
  const parse = (s) => {
    const m = s.match(/^rgba?\\(([^)]+)\\)$/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const colour = getComputedStyle(el).color;
  let opacity = 1;
  const backgrounds = [];
  for (let e = el; e; e = e.parentElement) {
    const cs = getComputedStyle(e);
    opacity *= parseFloat(cs.opacity);
    const bg = parse(cs.backgroundColor);
    if (bg && bg[3] > 0) backgrounds.push(bg);
    if (bg && bg[3] >= 1) break;
  }
  return {colour, fg: parse(colour), opacity, backgrounds};
}"""


def _blend(top: tuple[float, ...], bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    a = top[3]
    return (top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_contrast(locator: Any) -> float:
    """Contrast of an element's text against what is behind it: its own and its
    ancestors' background colours composed over the white page, opacity included."""
    got = locator.evaluate(_COLOURS_JS)
    assert got["fg"] is not None, f"unexpected colour format {got['colour']!r}"
    bg: tuple[float, float, float] = (255.0, 255.0, 255.0)
    for layer in reversed(got["backgrounds"]):
        bg = _blend(tuple(layer), bg)
    r, g, b, a = got["fg"]
    return contrast_ratio(_blend((r, g, b, a * got["opacity"]), bg), bg)


def test_contrast_ratio_formula() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


# --- the tests ------------------------------------------------------------------------


def test_first_start_ingests_then_answers_with_a_cited_highlighted_source(
    app: App, page: Any, shots: Shots
) -> None:
    from playwright.sync_api import expect

    assert app.saw_progress, "the first start showed no progress bar (see artifacts/browser/)"
    _open_chat(page, app)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Dokument")
    answer = _ask(page, DEFAULT_QUESTION, "Kommunstyrelsen föreslås ansvara för kommunikation")
    shots(page, "answer")
    first = _source(answer, 1)
    label = first.locator("summary")
    expect(label).to_contain_text(f"[1] {STATEMENT_TITLE}")
    expect(label).to_contain_text("Ansvarsfördelning")
    mark = first.locator("mark").first
    expect(mark).to_be_hidden()  # closed until opened
    label.click()
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("Kommunstyrelsen föreslås ansvara för kommunikation")
    shots(page, "answer-source-open", settle=0.8, show=mark)


def test_answer_from_page_two_of_a_pdf_cites_the_page(app: App, page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    _open_chat(page, app)
    answer = _ask(page, PDF_QUESTION, PDF_ANSWER)
    label = _source(answer, 1).locator("summary")
    expect(label).to_contain_text(PDF_TITLE)
    expect(label).to_contain_text("s. 2")
    label.click()
    mark = _source(answer, 1).locator("mark").first
    expect(mark).to_be_visible()
    assert _words(mark.inner_text()) == _words(PDF_ANSWER)  # the PDF's line break is a <br>
    shots(page, "pdf-page-2", settle=0.8, show=mark)


def test_a_source_opens_the_cited_pdf_page_with_the_quote_marked(app: App, page: Any, shots: Shots) -> None:
    """The link under a source opens the page "Källa" in a new tab: the cited page as a
    picture beside its text, the quoted sentence marked, the original one click away."""
    from playwright.sync_api import expect

    _open_chat(page, app)
    answer = _ask(page, PDF_QUESTION, PDF_ANSWER)
    _source(answer, 1).locator("summary").click()
    link = _source(answer, 1).get_by_role("link", name="Öppna originalet (s. 2)")
    expect(link).to_be_visible()
    assert link.get_attribute("target") == "_blank"
    shots(page, "answer-source-link", settle=0.8, show=link)
    with page.context.expect_page() as opened:
        link.click()
    source = opened.value
    source.wait_for_load_state()
    assert "/kalla?" in source.url and "page=2" in source.url
    expect(source.get_by_role("heading", name=PDF_TITLE)).to_be_visible(timeout=START_TIMEOUT)
    main = source.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("s. 2")
    expect(main.locator('[data-testid="stImage"] img')).to_be_visible()  # the page as a picture
    mark = main.locator("mark#citerat")
    expect(mark).to_be_visible()
    assert _words(mark.inner_text()) == _words(PDF_ANSWER)
    expect(main).to_contain_text("Beställning av tolk")  # the rest of the page, around the quote
    expect(main.get_by_role("button", name="Ladda ned originalet")).to_be_visible()
    viewer = main.locator("a#pdf-original")  # the browser's own PDF viewer, at the page
    expect(viewer).to_have_attribute("href", re.compile(r"^blob:.*#page=2$"))
    kind = source.evaluate("async () => { const r = await fetch(document.getElementById('pdf-original').href);"
                           " const b = await r.blob(); return [b.type, await b.slice(0, 5).text()]; }")
    assert kind == ["application/pdf", "%PDF-"]
    shots(source, "source-pdf-page-2", settle=1.5)

    # Leafing back: page 1, without the mark; a way back to the cited page.
    main.get_by_role("button", name="Föregående sida").click()
    expect(main).to_contain_text("Riktlinjerna beskriver när socialtjänsten ska använda tolk")
    expect(main.locator("mark")).to_have_count(0)
    expect(main.get_by_role("button", name="Till den citerade sidan (s. 2)")).to_be_visible()
    shots(source, "source-pdf-page-1", settle=1.5)
    source.close()


def test_question_outside_the_documents_is_refused(app: App, page: Any, shots: Shots) -> None:
    from playwright.sync_api import expect

    _open_chat(page, app)
    answer = _ask(page, "Vad kostar sophämtningen för ett villahushåll?", REFUSAL)
    expect(answer).to_contain_text("Kanske relevant")  # the nearest passages, not as an answer
    expect(answer.locator('[data-testid="stExpander"]')).to_have_count(0)  # no sources offered as proof
    shots(page, "refusal")


def _click_copy_button(code: Any) -> None:
    """st.code's copy button fades in on hover; on a loaded machine the expander above it
    may still be moving, and Playwright then waits for a stable box until it times out.
    Hover and try again a few times before clicking where the button is."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = code.locator("button").first
    for _ in range(5):
        code.hover()
        try:
            button.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    button.click(force=True)


def test_a_follow_up_is_understood_copied_and_asked_in_own_words(app: App, browser: Any, shots: Shots) -> None:
    """The second question answered from the first one's topic, "Tolkat som" shown, the
    answer with its sources on the clipboard (st.code's copy button), the words as typed
    sent on request, and "Ny konversation"."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    try:
        page = context.new_page()
        _open_chat(page, app)
        _ask(page, "Vad gäller för romska barn som omhändertas enligt LVU?", "Socialnämnden ska i samarbete")
        answer = _ask(page, "Och vem ska göra det?", "Socialnämnden ska i samarbete med stadsdelarna")
        expect(answer).to_contain_text("Tolkat som: Vem ska göra det – romska barn som omhändertas enligt LVU?")
        shots(page, "follow-up-understood", show=answer)
        answer.get_by_text("Kopiera svaret med källor").click()
        code = answer.locator('[data-testid="stCode"]')
        _click_copy_button(code)
        page.wait_for_timeout(500)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("Fråga: Och vem ska göra det?\nTolkat som: Vem ska göra det"), copied
        assert "Källor:\n[1] Socialförvaltningens tjänsteutlåtande" in copied and "Socialnämnden ska" in copied
        shots(page, "follow-up-copied", show=code)
        before = page.locator(ASSISTANT).count()
        answer.get_by_role("button", name="Sök på mina ord").click()
        expect(page.locator(ASSISTANT)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
        own = page.locator(ASSISTANT).nth(before)
        expect(own).not_to_contain_text("Tolkat som")
        shots(page, "follow-up-own-words", show=own)
        page.get_by_role("button", name="Ny konversation").click()
        expect(page.locator(ASSISTANT)).to_have_count(0)
    finally:
        context.close()


def test_chat_works_by_keyboard_alone_in_swedish_with_readable_contrast(
    app: App, page: Any, shots: Shots
) -> None:
    from playwright.sync_api import expect

    box = _open_chat(page, app)
    expect(box).to_have_attribute("placeholder", PLACEHOLDER)
    assert box.get_attribute("aria-label") == PLACEHOLDER, "the chat input has a Swedish accessible name"
    assert page.title() == "Dokumentassistenten"

    # From the top of the page, Tab alone reaches the chat input.
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    path = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.getAttribute('data-testid') || "
                                "document.activeElement.tagName")
        path.append(focused)
        if focused == "stChatInputTextArea":
            break
    assert path[-1] == "stChatInputTextArea", f"Tab never reached the chat input: {path}"
    page.keyboard.type(DEFAULT_QUESTION)
    page.keyboard.press("Enter")
    answer = page.locator(ASSISTANT).first
    expect(answer).to_contain_text("Kommunstyrelsen föreslås ansvara", timeout=ANSWER_TIMEOUT)
    shots(page, "keyboard-answer")

    # Back with Shift+Tab to source [1] (the one quoted) and open it with Enter.
    focused = ""
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        focused = page.evaluate("() => { const e = document.activeElement; const p = e.querySelector('p'); "
                                "return e.tagName === 'SUMMARY' && p ? p.innerText.trim() : ''; }")
        if focused.startswith("[1]"):
            break
    assert focused.startswith("[1]"), "Shift+Tab from the chat input never reached source [1]"
    page.keyboard.press("Enter")
    expect(page.locator("details[open] mark").first).to_be_visible()
    shots(page, "keyboard-source-open", settle=0.8, show=page.locator("details[open] mark").first)

    # The quoted passage is marked as Swedish.
    assert page.locator("details[open] [lang='sv']").count() >= 1

    # Contrast (WCAG AA, normal text): the answer, the source label, the highlighted sentence.
    checks = {
        "answer": answer.locator('[data-testid="stMarkdownContainer"] p').first,
        "source label": answer.locator("summary p").first,
        "highlight": answer.locator("details[open] mark").first,
    }
    ratios = {name: text_contrast(loc) for name, loc in checks.items()}
    for name, ratio in ratios.items():
        assert ratio >= 4.5, f"{name}: contrast {ratio:.2f} < 4.5 ({ratios})"


def test_page_language_is_swedish(app: App, page: Any) -> None:
    _open_chat(page, app)
    page.wait_for_function("() => document.documentElement.lang === 'sv'", timeout=10_000)
    assert page.evaluate("() => document.documentElement.lang") == "sv"


def test_captions_are_readable(app: App, page: Any) -> None:
    """Captions carry the sources' heading, the excerpts under «Kanske relevant» and the
    index status; Streamlit draws them at 60 % opacity."""
    _open_chat(page, app)
    captions = page.locator('[data-testid="stCaptionContainer"] p')
    ratios = [text_contrast(captions.nth(i)) for i in range(captions.count())]
    assert ratios, "no captions on the chat page"
    assert min(ratios) >= 4.5, f"caption contrast {min(ratios):.2f} < 4.5 ({ratios})"


def test_only_a_tester_may_evaluate(app: App, page: Any, shots: Shots) -> None:
    """Staff see one sentence on Utvärdering; a tester logs in and may run; the login is
    in the audit log."""
    from playwright.sync_api import expect

    from core import audit

    page.goto(f"{app.url}/utvardering")
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Utvärderingen är bara för testare och samordnare – logga in i sidopanelen.",
                                 timeout=START_TIMEOUT)
    expect(page.get_by_role("button", name="Kör utvärderingen")).to_have_count(0)
    assert "ASSISTANT_" not in page.content() and str(app.corpus) not in main.inner_text()
    shots(page, "evaluation-staff", settle=1.0)

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Lösenord för testare eller samordnare").fill(TESTER_PASSWORD)
    sidebar.get_by_role("button", name="Logga in som testare").click()
    expect(sidebar).to_contain_text("Inloggad som testare.")
    expect(page.get_by_role("button", name="Kör utvärderingen")).to_be_visible()
    shots(page, "evaluation-tester", settle=1.0)
    logins = [r for r in audit.parse(audit.read_lines(app.data)) if r["what"] == "login"]
    assert [(r["who"], r["role"]) for r in logins] == [("lösenord", "tester")]
    assert audit.verify(app.data).ok


def test_coordinator_logs_in_and_updates_the_index(app: App, page: Any, shots: Shots) -> None:
    """Last: it changes the index (adds a document) for the same app process."""
    from playwright.sync_api import expect

    page.goto(f"{app.url}/dokument")
    expect(page.get_by_role("heading", name="Dokument", exact=True)).to_be_visible(timeout=START_TIMEOUT)
    expect(page.get_by_role("button", name="Uppdatera index")).to_have_count(0)  # staff cannot
    shots(page, "documents-staff", settle=1.5)

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Lösenord för samordnare").fill(PASSWORD)
    sidebar.get_by_role("button", name="Logga in som samordnare").click()
    expect(sidebar).to_contain_text("Inloggad som samordnare.")
    update = page.get_by_role("button", name="Uppdatera index")
    expect(update).to_be_visible()
    shots(page, "documents-coordinator", settle=1.5)

    (app.corpus / "reception.md").write_text(
        "# Stadshusets reception\n\nReceptionen tar emot besökare till stadshuset. "
        f"{NEW_DOC_ANSWER} Besökare anmäler sig i receptionen.\n",
        encoding="utf-8",
    )
    update.click()
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("Indexet är uppdaterat.", timeout=START_TIMEOUT)
    expect(main).to_contain_text(re.compile(r"1 tillagt, 0 ändrat, 2 oförändrat"))
    expect(main).to_contain_text("reception.md")
    shots(page, "documents-updated", settle=1.5)
    from core import audit

    steps = [(r["what"], r.get("role")) for r in audit.parse(audit.read_lines(app.data))]
    assert steps[-2:] == [("login", "coordinator"), ("reingest", "coordinator")]
    assert audit.verify(app.data).ok

    # The chat of the same app answers from the new index at once.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Fråga").click()
    page.locator('[data-testid="stChatInputTextArea"]').wait_for()
    answer = _ask(page, NEW_DOC_QUESTION, NEW_DOC_ANSWER)
    expect(_source(answer, 1).locator("summary")).to_contain_text("Stadshusets reception")
    shots(page, "answer-from-new-document")
