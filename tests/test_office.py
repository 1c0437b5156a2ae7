"""Word files and web pages: read as Markdown text with their headings, lists and table
rows, and through the same ingest, search and citation path as the other formats."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from core.errors import DocumentError
from core.settings import load_settings
from core.store import open_client, read_live
from ingest.formats import sniff_kind
from ingest.office_reader import read_docx, read_html
from ingest.pipeline import run_ingest
from ingest.tables import table_lines
from ingest.uploads import check_upload
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher

HTML = """<!DOCTYPE html><html lang="sv"><head><title>Brobyggare – Stockholms stad</title></head><body>
<header><nav><ul><li><a href="/">Startsida</a></li><li><a href="/om">Om staden</a></li><li>Kontakta oss</li></ul></nav></header>
<div class="cookie-banner">Vi använder kakor för att webbplatsen ska fungera. <button>Godkänn alla kakor</button></div>
<main><article>
<h1>Brobyggare för romsk inkludering</h1>
<p>Stockholms stad har anställt brobyggare som arbetar med att öka den romska minoritetens förtroende för
socialtjänsten. Brobyggarna har kunskap om romsk kultur och språk, och de hjälper familjer i kontakten med
skolan och med förskolan.</p>
<h2>Vem kan få stöd av brobyggarna?</h2>
<p>Alla romer som bor i Stockholm kan vända sig till brobyggarna. Stödet är kostnadsfritt och du kan vara
anonym när du ringer.</p>
<ul><li>Hjälp vid kontakt med socialtjänsten</li><li>Stöd vid möten med skolan</li></ul>
<h2>Ansvar för verksamheten</h2>
<table><tr><th>Nämnd</th><th>Ansvar</th></tr>
<tr><td>Kommunstyrelsen</td><td>Samordning och uppföljning av brobyggarverksamheten</td></tr>
<tr><td>Socialnämnden</td><td>Anställning och handledning av brobyggarna</td></tr></table>
</article></main>
<footer><p>Stockholms stad, 105 35 Stockholm. Telefon 08-508 000 00.</p><p>Om webbplatsen | Tillgänglighetsredogörelse</p></footer>
</body></html>"""


def make_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Riktlinjer för tolkning i socialtjänsten", level=1)
    d.add_paragraph("Riktlinjerna gäller för alla stadsdelsförvaltningar. Den som inte talar svenska har rätt "
                    "till tolk vid möten med socialtjänsten.")
    d.add_heading("Beställning av tolk", level=2)
    d.add_paragraph("Handläggaren beställer tolk senast två arbetsdagar före mötet. Vid akuta ärenden "
                    "används telefontolk.")
    d.add_paragraph("Ta med följande till mötet:")
    d.add_paragraph("Ärendets diarienummer", style="List Bullet")
    d.add_paragraph("Vilket språk och vilken dialekt som behövs", style="List Bullet")
    d.add_heading("Ansvarsfördelning", level=2)
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Nämnd", "Ansvar"), ("Kommunstyrelsen", "Uppföljning av riktlinjerna"),
                                ("Socialnämnden", "Upphandling av tolktjänster")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    d.add_paragraph("Riktlinjerna följs upp årligen i stadens styr- och ledningssystem.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_table_rows_are_lines_naming_their_columns() -> None:
    assert table_lines([["Nämnd", "Ansvar"], ["Kommunstyrelsen", "Uppföljning"], ["", ""]]) == [
        "Nämnd: Kommunstyrelsen — Ansvar: Uppföljning."]
    assert table_lines([["Kommunstyrelsen", "Uppföljning."]]) == ["Kommunstyrelsen — Uppföljning."]


def test_a_word_file_keeps_headings_lists_and_table_rows_in_order() -> None:
    text = read_docx(make_docx(), "tolk.docx")[0].text
    assert text.startswith("# Riktlinjer för tolkning i socialtjänsten")
    assert "## Beställning av tolk" in text and "## Ansvarsfördelning" in text
    assert "- Ärendets diarienummer" in text
    assert "Nämnd: Kommunstyrelsen — Ansvar: Uppföljning av riktlinjerna." in text
    assert text.index("## Ansvarsfördelning") < text.index("Nämnd: Socialnämnden") < text.index("följs upp årligen")


def test_a_web_page_keeps_its_main_text_only() -> None:
    text = read_html(HTML.encode(), "brobyggare.html")[0].text
    assert text.startswith("# Brobyggare för romsk inkludering")
    assert "## Vem kan få stöd av brobyggarna?" in text
    assert "Nämnd: Kommunstyrelsen — Ansvar: Samordning och uppföljning av brobyggarverksamheten." in text
    for noise in ("kakor", "Startsida", "Telefon", "Tillgänglighetsredogörelse", "Kontakta oss"):
        assert noise not in text, noise


def test_uploads_are_checked_by_content() -> None:
    data = make_docx()
    assert sniff_kind(data) == "docx" and check_upload("tolk.docx", data, 10**7) == "tolk.docx"
    assert check_upload("sida.html", HTML.encode(), 10**7) == "sida.html"
    with pytest.raises(DocumentError, match="inget Word-dokument"):
        check_upload("tolk.docx", b"just text, not a Word file", 10**7)
    with pytest.raises(DocumentError, match="Word-dokument; döp om"):
        check_upload("tolk.txt", data, 10**7)
    with pytest.raises(DocumentError, match="skadad"):
        read_docx(b"PK\x03\x04 broken", "trasig.docx")


@pytest.mark.slow
def test_word_and_web_pages_are_searched_and_cited_by_section(tmp_path: Path, real_embedder: Any) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tolk.docx").write_bytes(make_docx())
    (corpus / "brobyggare.html").write_text(HTML, encoding="utf-8")
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    client = open_client(settings)
    report = run_ingest(settings, real_embedder, client)
    assert [o.status for o in report.outcomes] == ["added", "added"]
    state = read_live(client)
    assert state is not None
    assert state.documents["tolk.docx"].title == "Riktlinjer för tolkning i socialtjänsten"
    searcher = Searcher(client, real_embedder)
    calibration = Calibration.never_refuse()

    ans = answer_question("Vem ansvarar för uppföljningen av riktlinjerna?", searcher, calibration)
    top = ans.passages[0].chunk
    assert top.doc == "tolk.docx" and top.section == "Ansvarsfördelning"
    assert "Nämnd: Kommunstyrelsen — Ansvar: Uppföljning av riktlinjerna." in ans.text

    ans = answer_question("Hur långt i förväg ska tolk beställas?", searcher, calibration)
    assert ans.passages[0].chunk.section == "Beställning av tolk"
    assert "senast två arbetsdagar" in ans.text

    ans = answer_question("Vem har ansvar för samordningen av brobyggarverksamheten?", searcher, calibration)
    top = ans.passages[0].chunk
    assert top.doc == "brobyggare.html" and top.section == "Ansvar för verksamheten"
    assert all("kakor" not in p.chunk.text and "Telefon" not in p.chunk.text for p in ans.passages)
