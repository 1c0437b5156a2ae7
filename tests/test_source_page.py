"""The page "Källa" through Streamlit's AppTest, on the real app, model and store: the
link of a real answer's source opened with its query parameters."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DEFAULT_QUESTION, REPO
from tests.pdfs import make_pdf

pytestmark = pytest.mark.slow

PDF_ANSWER = "Barn och anhöriga får aldrig användas som tolkar."
PDF_PAGES = [
    "Riktlinjer för tolk\n\nRiktlinjerna beskriver när socialtjänsten ska använda tolk i samtal med enskilda.",
    "Beställning av tolk\n\nHandläggaren beställer tolk senast tre arbetsdagar före mötet genom stadens "
    f"tolkförmedling. {PDF_ANSWER} Vid akuta ärenden kan telefontolk användas samma dag.",
]


@dataclass
class Site:
    corpus: Path
    data: Path
    links: dict[str, dict[str, str]]  # question -> the query parameters of source [1]'s link


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Site:
    """The repository's corpus and a two-page PDF, ingested once; the links of two real answers."""
    from core.settings import load_settings
    from core.store import open_client
    from ingest.pipeline import run_ingest
    from retrieval.answer import answer_question
    from retrieval.refusal import Calibration
    from retrieval.search import Searcher
    from ui.render import answer_record
    from ui.sources import source_link

    root = tmp_path_factory.mktemp("source-page")
    corpus, data = root / "corpus", root / "data"
    shutil.copytree(REPO / "corpus", corpus)
    (corpus / "tolk.pdf").write_bytes(make_pdf(PDF_PAGES))
    settings = load_settings().with_corpus(corpus).with_data(data)
    client = open_client(settings)
    report = run_ingest(settings, real_embedder, client)
    assert not report.failed, report.summary_sv()
    searcher = Searcher(client, real_embedder)
    links = {}
    for question in (DEFAULT_QUESTION, "Får barn användas som tolkar?"):
        record = answer_record(answer_question(question, searcher, Calibration.load()))
        assert not record.refused and record.sources[0].quoted, question
        links[question] = dict(parse_qsl(urlsplit(source_link(record.sources[0])).query))
    del searcher, client
    return Site(corpus, data, links)


@pytest.fixture
def site(template: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    from ui.resources import resources

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(template.corpus, corpus)
    shutil.copytree(template.data, data)
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA", str(data))
    resources.clear()
    try:
        yield Site(corpus, data, template.links)
    finally:
        resources.clear()


def source_page(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    at.query_params.update(params)
    at.switch_page("ui/source.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    return " ".join(md.value for md in at.markdown)


def test_pdf_source_opens_at_the_cited_page_with_the_quote_marked(site: Site) -> None:
    params = site.links["Får barn användas som tolkar?"]
    assert params["doc"] == "tolk.pdf" and params["page"] == "2"
    at = source_page(params)
    assert at.title[0].value not in ("", "Källa")  # the document's title from the index
    assert "s. 2" in at.caption[0].value and "tolk.pdf" in at.caption[0].value.replace("\\", "")
    text = shown(at)
    assert f"<mark id='citerat'>{PDF_ANSWER}</mark>" in text
    assert "Beställning av tolk" in text and "Riktlinjerna beskriver" not in text  # page 2, all of it
    assert "Citerat i svaret" in text
    pictures = at.get("image")
    assert len(pictures) == 1 and pictures[0].captions[0].endswith("s. 2")  # the page as a picture
    assert [b.label for b in at.get("download_button")] == ["Ladda ned originalet"]
    assert not at.warning

    # Leafing to page 1: its text, no mark, and a way back.
    at.button(key="prev").click().run()
    assert at.query_params["visa"] == "1"
    text = shown(at)
    assert "Riktlinjerna beskriver" in text and "<mark" not in text
    assert any(b.label == "Till den citerade sidan (s. 2)" for b in at.button)


def test_markdown_source_opens_the_whole_section(site: Site) -> None:
    params = site.links[DEFAULT_QUESTION]
    assert "page" not in params
    at = source_page(params)
    text = shown(at)
    assert "Ansvarsfördelning" in text
    assert "<mark id='citerat'>Kommunstyrelsen föreslås ansvara för kommunikation" in text
    assert not at.get("image")
    assert [b.label for b in at.get("download_button")] == ["Ladda ned originalet"]


def test_a_changed_or_removed_file_is_said_and_the_indexed_text_still_shown(site: Site) -> None:
    params = site.links["Får barn användas som tolkar?"]
    (site.corpus / "tolk.pdf").write_bytes(make_pdf(["Ny version."]))
    at = source_page(params)
    assert "Filen har ändrats sedan den lästes in" in at.warning[0].value
    assert f"<mark id='citerat'>{PDF_ANSWER}</mark>" in shown(at) and not at.get("image")
    (site.corpus / "tolk.pdf").unlink()
    at = source_page(params)
    assert "Filen finns inte längre i dokumentmappen" in at.warning[0].value
    assert f"<mark id='citerat'>{PDF_ANSWER}</mark>" in shown(at) and not at.get("download_button")


@pytest.mark.parametrize("doc", ["../data/chroma/chroma.sqlite3", "/etc/passwd", "finns-inte.pdf", ""])
def test_only_documents_of_the_index_open(site: Site, doc: str) -> None:
    at = source_page({"doc": doc, "page": "1"})
    assert "Dokumentet finns inte i indexet" in at.warning[0].value
    assert not at.get("download_button") and not at.get("image")
