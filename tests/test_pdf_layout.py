"""PDFs as they really come (ingest/geometry.py, ingest/pdf_reader.py): the default
document set as a City of Stockholm tjänsteutlåtande (tests/pdfs.city_document_pdf) is
read without its running header and footer, with its hyphenated words whole, its table
as row lines and its two-column page column by column."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.records import Page
from core.sentences import split_sentences
from core.settings import load_settings
from core.store import open_client
from core.wording import chunk_citation
from ingest.chunking import chunk_pages, find_sections
from ingest.geometry import Line, Table, Word, lines_of, page_text
from ingest.pdf_reader import read_pdf
from ingest.pipeline import run_ingest
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from tests import pdfs

NOISE = [re.compile(p) for p in (r"\bTjänsteutlåtande\b", r"Dnr 1\.2\.3-123/2018", r"Sida \d+ \(\d+\)",
                                 r"Box 44", r"08-508 25 000", r"start\.stockholm")]
ROWS = [f"Nämnd: {a} — Ansvar: {b}." for a, b in pdfs.RESPONSIBILITY[1:]]


@pytest.fixture(scope="module")
def city() -> tuple[bytes, list[str]]:
    return pdfs.city_document_pdf()


@pytest.fixture(scope="module")
def pages(city: tuple[bytes, list[str]]) -> list[Page]:
    return read_pdf(city[0], "tjansteutlatande.pdf")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_header_and_footer_are_in_no_page_text(pages: list[Page]) -> None:
    assert len(pages) >= 4
    for page in pages:
        for noise in NOISE:
            assert not noise.search(page.text), (page.number, noise.pattern)


def test_hyphenated_words_are_whole(city: tuple[bytes, list[str]], pages: list[Page]) -> None:
    words = [w.replace("-", "") for w in city[1]]
    assert "säkerställa" in words and len(words) >= 10
    text = _flat(" ".join(p.text for p in pages))
    for word in words:
        assert re.search(rf"\b{word}\b", text), word


def test_table_rows_are_lines_of_their_own_and_their_cells_leave_the_running_text(pages: list[Page]) -> None:
    text = "\n".join(p.text for p in pages)
    lines = text.splitlines()
    for row in ROWS:
        assert lines.count(row) == 1, row
    assert _flat(text).count("Genomförande: rätten till utbildning") == 1  # only in its row
    page = next(p for p in pages if ROWS[0] in p.text)
    sections = find_sections([page], markdown=False)
    assert not any(s.heading and ("Nämnd" in s.heading or "Genomförande" in s.heading) for s in sections)
    spans = [page.text[a:b] for a, b in split_sentences(page.text)]
    for row in ROWS:
        assert row in spans  # a sentence of its own, never glued to its neighbours


def test_a_two_column_page_is_read_column_by_column(pages: list[Page]) -> None:
    last = _flat(pages[-1].text)
    assert last.startswith("Förvaltningens synpunkter och förslag Socialförvaltningen anser att strategin ger "
                           "förutsättningar för det fortsatta arbetet inom området")
    assert "romers rättigheter som nationell minoritetsgrupp. Stockholm ska vara en stad" in last
    assert last.index("minoritetsgrupp.") < last.index("att två brobyggare projektanställts")
    assert last.endswith("om Stockholms stads strategi för romsk inkludering.")


def test_geometry_without_a_pdf() -> None:
    def line(y: float, *spans: tuple[float, str]) -> list[Word]:
        out, x = [], 0.0
        for start, text in spans:
            x = start
            for w in text.split():
                out.append(Word(w, x, x + 6 * len(w), y, y + 10))
                x += 6 * len(w) + 4
        return out

    left = [f"vänster rad {i} med några ord" for i in range(8)]
    right = [f"höger rad {i} med några ord" for i in range(8)]
    words = [w for i in range(8) for w in line(100 + 14 * i, (50, left[i]), (260, right[i]))]
    text = page_text(lines_of(words), [], 595)
    assert text.split("\n\n") == ["\n".join(left), "\n".join(right) + "\n"]
    # one column with the same lines: read line by line
    one = [w for i in range(8) for w in line(100 + 14 * i, (50, left[i] + " " + right[i]))]
    assert page_text(lines_of(one), [], 595).splitlines() == [f"{a} {b}" for a, b in zip(left, right, strict=True)]
    # a form's labels and values (short labels far from the values) stay line by line
    form = [w for i in range(8) for w in line(100 + 14 * i, (50, f"Etikett{i}"), (330, f"värde {i} av formuläret"))]
    assert page_text(lines_of(form), [], 595).splitlines()[0] == "Etikett0 värde 0 av formuläret"
    # a table is a block of its own at its height, its words left out by the reader
    table = Table(50, 500, 150, 170, ("Nämnd: Kommunstyrelsen — Ansvar: Uppföljning.",))
    lines = [Line(tuple(ws)) for ws in (line(100, (50, "Före tabellen.")), line(200, (50, "Efter tabellen.")))]
    assert page_text(lines, [table], 595) == ("Före tabellen.\n\nNämnd: Kommunstyrelsen — Ansvar: Uppföljning."
                                              "\n\nEfter tabellen.\n")


def test_the_printed_page_number_is_the_citation() -> None:
    data, _ = pdfs.city_document_pdf(cover=True)
    pages = read_pdf(data, "tjansteutlatande.pdf")
    assert [(p.number, p.label) for p in pages[:3]] == [(1, None), (2, "1"), (3, "2")]
    chunks = chunk_pages(pages, doc="tjansteutlatande.pdf", title="Tjänsteutlåtande", doc_hash="x", markdown=False,
                         chunk_tokens=200, overlap=30, count_tokens=lambda t: len(t.split()))
    table = next(c for c in chunks if ROWS[0] in c.text)
    page = next(p for p in pages if p.number == table.page)
    assert f"s. {page.label}" in chunk_citation(table) and page.label == str(page.number - 1)


@pytest.mark.slow
def test_table_rows_are_found_and_quoted_whole(tmp_path: Path, real_embedder: Any,
                                               city: tuple[bytes, list[str]]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tjansteutlatande.pdf").write_bytes(city[0])
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    client = open_client(settings)
    report = run_ingest(settings, real_embedder, client)
    assert not report.failed, report.summary_sv()
    searcher = Searcher(client, real_embedder)
    calibration = Calibration.never_refuse()

    ans = answer_question("Vem ansvarar för uppföljningen?", searcher, calibration)
    assert any(ROWS[0] in p.chunk.text for p in ans.passages[:3])
    for question in ("Vem ansvarar för uppföljningen?", "Vilken nämnd ansvarar för rätten till utbildning?",
                     "Vem ska genomföra strategin?"):
        ans = answer_question(question, searcher, calibration)
        for quote in ans.quotes:
            flat = _flat(quote.text)
            assert not any(r[:-1] in flat and flat != r for r in ROWS), flat  # a row is quoted alone
            assert not any(n.search(flat) for n in NOISE)
        for p in ans.passages:
            assert not any(n.search(p.chunk.text) for n in NOISE)

    ans = answer_question("Hur ska staden säkerställa romers mänskliga rättigheter?", searcher, calibration)
    assert any("säkerställa romers mänskliga rättigheter" in _flat(p.chunk.text) for p in ans.passages[:3])


def test_the_title_is_the_largest_type_after_a_cover_page() -> None:
    """A cover page of a few big words ("Stockholms stad / Socialförvaltningen") is not the
    title; the title printed largest on the first page of text is, wrapped over two lines."""
    from ingest.describe import document_title

    data, _ = pdfs.city_document_pdf(cover=True)
    assert document_title(None, read_pdf(data, "x.pdf"), "x.pdf") == pdfs.TITLE


def test_a_heading_after_a_lists_last_item_ends_the_list(pages: list[Page]) -> None:
    """"• Rätten till social omsorg och trygghet" / "Ansvarsfördelning" / "Kommunstyrelsen
    föreslås …": the heading is a section of its own, and neither it nor the paragraph
    after it is glued to the list item in a quote."""
    page = next(p for p in pages if "Ansvarsfördelning" in p.text)
    sentences = [" ".join(page.text[s:e].split()) for s, e in split_sentences(page.text)]
    assert "Rätten till social omsorg och trygghet" in sentences
    assert "Ansvarsfördelning" in sentences
    assert any(s.startswith("Kommunstyrelsen föreslås ansvara för kommunikation") for s in sentences)
    assert "Ansvarsfördelning" in [s.heading for s in find_sections([page], markdown=False)]
