"""Scanned PDFs: pages without a text layer are read by Tesseract in Swedish, marked as
read by OCR in the index and the citation; a page OCR cannot read is reported by
number; without Tesseract the file is reported and the run goes on.

Without Tesseract (tesseract-ocr, tesseract-ocr-swe) the OCR tests skip, except in CI
(CI set), where that is a failure."""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from pathlib import Path

import pytest

from core.embedders import HashingEmbedder
from core.records import Chunk
from core.settings import Settings, load_settings
from core.store import chunk_from_record, chunk_metadata, open_client
from core.wording import chunk_citation, citation
from ingest import ocr
from ingest.pipeline import run_ingest
from ingest.readers import read_document
from retrieval.answer import answer_question
from retrieval.answer_json import answer_json
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from tests import pdfs
from tests.index_checks import live_chunks

SCAN_TEXT = (
    "Riktlinjer för hemtjänst i Skärholmen\n\n"
    "Äldreförvaltningen ansvarar för att varje brukare får ett skriftligt beslut inom två veckor. "
    "Biståndshandläggaren gör en bedömning av behovet och dokumenterar den i journalen. "
    "Om beslutet överklagas ska ärendet lämnas till förvaltningsrätten utan dröjsmål.\n\n"
    "Avgiften för hemtjänst räknas ut efter inkomst och får inte överstiga högkostnadsskyddet. "
    "Brukaren kan när som helst säga upp insatsen genom att kontakta sin handläggare."
)
TEXT_PAGE = "Skolvalet i Stockholm görs i januari varje år via stadens e-tjänst."
MIXED_SCAN = "Sophämtning i Bromma sker varannan tisdag. Grovsopor lämnas på återvinningscentralen."


@pytest.fixture(scope="module")
def tesseract() -> str:
    if not ocr.available("tesseract"):
        reason = "Tesseract with Swedish data is not installed (apt-get install tesseract-ocr tesseract-ocr-swe)"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is a failure)")
        pytest.skip(reason)
    return "tesseract"


def _settings(tmp_path: Path, **changes: object) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def test_a_scanned_page_reads_with_swedish_letters(tesseract: str, tmp_path: Path) -> None:
    path = tmp_path / "skannad.pdf"
    path.write_bytes(pdfs.image_pdf([pdfs.scanned_page(SCAN_TEXT)]))
    job = ocr.OcrJob(command=tesseract)
    started = time.monotonic()
    pages = read_document(path, "skannad.pdf", 10**8, ocr=job)
    seconds = time.monotonic() - started
    assert [p.number for p in pages] == [1] and pages[0].ocr and not job.notes
    rate = pdfs.cer(SCAN_TEXT, pages[0].text)
    print(f"OCR: character error rate {rate:.4f}, {job.seconds[1]:.1f} s for the page ({seconds:.1f} s in all)")
    assert rate < 0.02
    for word in ("Äldreförvaltningen", "Biståndshandläggaren", "överklagas", "högkostnadsskyddet", "dröjsmål"):
        assert word in pages[0].text
    # Paragraphs as printed: the heading stands alone, a sentence is not cut by a blank line.
    assert pages[0].text.startswith("Riktlinjer för hemtjänst i Skärholmen\n\nÄldreförvaltningen")
    assert "inom\ntvå veckor" in pages[0].text or "inom två veckor" in pages[0].text


def test_scans_are_searchable_cited_and_unreadable_pages_reported(
    tesseract: str, tmp_path: Path, real_embedder  # type: ignore[no-untyped-def]
) -> None:
    settings = _settings(tmp_path)
    corpus = settings.corpus_dir
    (corpus / "hemtjanst-skannad.pdf").write_bytes(pdfs.image_pdf([pdfs.scanned_page(SCAN_TEXT)]))
    (corpus / "blandad.pdf").write_bytes(pdfs.image_pdf([TEXT_PAGE, pdfs.scanned_page(MIXED_SCAN)]))
    (corpus / "med-brus.pdf").write_bytes(
        pdfs.image_pdf([pdfs.scanned_page(MIXED_SCAN), pdfs.Image.new("L", (200, 280), 255),
                        pdfs.noise_page()]))
    (corpus / "bara-brus.pdf").write_bytes(pdfs.image_pdf([pdfs.noise_page(seed=2)]))
    messages: list[str] = []
    report = run_ingest(settings, real_embedder, open_client(settings), lambda _f, m: messages.append(m))

    outcomes = {o.doc: o for o in report.outcomes}
    assert {d for d, o in outcomes.items() if o.status == "added"} == {
        "hemtjanst-skannad.pdf", "blandad.pdf", "med-brus.pdf"}
    # The noise page is reported by its number; the blank page 2 is just empty, as in any PDF.
    assert outcomes["med-brus.pdf"].notes == ["sidan 3 kunde inte läsas med OCR"]
    assert outcomes["hemtjanst-skannad.pdf"].notes == [] and outcomes["blandad.pdf"].notes == []
    assert outcomes["bara-brus.pdf"].status == "failed"
    assert outcomes["bara-brus.pdf"].reason == "PDF-filen saknar textlager, och sidan 1 kunde inte läsas med OCR"
    assert "med-brus.pdf; sidan 3 kunde inte läsas med OCR" in report.summary_sv()
    assert "Läser blandad.pdf med OCR: sida 2 av 2 …" in messages

    chunks = live_chunks(open_client(settings))
    marks = {(c.doc, c.page, c.ocr) for c in chunks}
    assert ("blandad.pdf", 1, False) in marks and ("blandad.pdf", 2, True) in marks
    assert not any(c.doc == "blandad.pdf" and (c.page == 1) == c.ocr for c in chunks)
    assert {(c.page, c.ocr) for c in chunks if c.doc == "med-brus.pdf"} == {(1, True)}

    searcher = Searcher(open_client(settings), real_embedder)
    hit = searcher.search("vart överklagas beslutet om hemtjänst", k=3)[0].chunk
    assert hit.doc == "hemtjanst-skannad.pdf" and "förvaltningsrätten" in hit.text
    assert chunk_citation(hit).startswith("s. 1, läst med OCR")
    text_hit = searcher.search("när görs skolvalet", k=1)[0].chunk
    assert text_hit.doc == "blandad.pdf" and not text_hit.ocr and "OCR" not in chunk_citation(text_hit)
    # `ask --json` tells which sources were read by OCR.
    sources = answer_json(answer_question("Vart lämnas ärendet om beslutet om hemtjänst överklagas?", searcher,
                                          Calibration.load(), k=3))["passages"]
    assert isinstance(sources, list)
    assert {(s["doc"], s["page"], s["ocr"]) for s in sources} >= {("hemtjanst-skannad.pdf", 1, True)}
    assert all(s["ocr"] is (s["doc"] != "blandad.pdf" or s["page"] == 2) for s in sources)


def test_without_tesseract_the_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ocr_command=str(tmp_path / "ingen-tesseract"))
    corpus = settings.corpus_dir
    (corpus / "skannad.pdf").write_bytes(pdfs.image_pdf([pdfs.scanned_page(SCAN_TEXT)]))
    (corpus / "blandad.pdf").write_bytes(pdfs.image_pdf([TEXT_PAGE, pdfs.scanned_page(MIXED_SCAN)]))
    (corpus / "lekplats.md").write_text("# Lekplatser\n\nLekplatsen i Vasaparken rustas.\n", encoding="utf-8")
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    outcomes = {o.doc: o for o in report.outcomes}
    assert report.switched and outcomes["lekplats.md"].status == "added"
    assert outcomes["skannad.pdf"].status == "failed"
    assert outcomes["skannad.pdf"].reason == (
        "PDF-filen saknar textlager – troligen en skannad bild; "
        "OCR (Tesseract med svenska) finns inte på den här datorn")
    assert outcomes["blandad.pdf"].status == "added"
    assert outcomes["blandad.pdf"].notes == [
        "sidan 2 saknar textlager och lästes inte: OCR (Tesseract med svenska) finns inte på den här datorn"]


def _fake_tesseract(tmp_path: Path, body: str) -> str:
    """A `tesseract` that knows Swedish but does `body` when asked to read."""
    path = tmp_path / "tesseract"
    path.write_text(f'#!/bin/sh\nif [ "$1" = --list-langs ]; then echo swe; exit 0; fi\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize("body", ["sleep 5", "echo trasig >&2; exit 1"])
def test_a_page_over_the_time_limit_or_an_error_is_reported(tmp_path: Path, body: str) -> None:
    path = tmp_path / "skannad.pdf"
    path.write_bytes(pdfs.image_pdf([TEXT_PAGE, pdfs.scanned_page(MIXED_SCAN)]))
    job = ocr.OcrJob(command=_fake_tesseract(tmp_path, body), page_seconds=1)
    pages = read_document(path, "skannad.pdf", 10**8, ocr=job)
    assert [p.number for p in pages] == [1] and job.notes == ["sidan 2 kunde inte läsas med OCR"]


def test_pages_over_the_limit_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "skannad.pdf"
    path.write_bytes(pdfs.image_pdf([TEXT_PAGE] + [pdfs.scanned_page(MIXED_SCAN)] * 3))
    job = ocr.OcrJob(command=_fake_tesseract(tmp_path, "exit 1"), page_seconds=1, max_pages=1)
    read_document(path, "skannad.pdf", 10**8, ocr=job)
    assert job.notes == ["sidan 2 kunde inte läsas med OCR", "sidorna 3–4 lästes inte: högst 1 sidor per "
                         "dokument läses med OCR (ASSISTANT_OCR_MAX_PAGES)"]


TSV_HEAD = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def _tsv(words: list[tuple[int, int, int, str, float]]) -> str:
    return TSV_HEAD + "".join(f"5\t1\t{b}\t{p}\t{ln}\t1\t0\t0\t1\t1\t{conf}\t{w}\n" for b, p, ln, w, conf in words)


def test_tesseract_paragraphs_and_unsure_pages() -> None:
    words = [(1, 1, 1, "Rubrik", 95.0), (2, 1, 1, "Ett", 95.0), (2, 1, 1, "beslut", 95.0), (2, 1, 1, "ska", 95.0),
             (2, 1, 1, "fattas", 95.0), (2, 1, 1, "inom", 95.0), (2, 1, 1, "en", 95.0), (2, 1, 1, "vecka", 95.0),
             (2, 1, 1, "efter", 95.0), (2, 1, 1, "att", 95.0),
             (2, 2, 1, "ansökan", 95.0), (2, 2, 1, "kommit.", 95.0), (3, 1, 1, "Sedan", 95.0), (3, 1, 2, "mer.", 95.0)]
    assert ocr.from_tsv(_tsv(words)).text == (
        "Rubrik\n\nEtt beslut ska fattas inom en vecka efter att\nansökan kommit.\n\nSedan\nmer.\n")
    unsure = [(1, 1, 1, w, 20.0) for w in ("~", "ii", "Il", "m", "‚")] + [(1, 1, 1, "och", 90.0)]
    assert ocr.from_tsv(_tsv(unsure)).text == ""


def test_pages_in_swedish() -> None:
    assert ocr.pages_sv([4]) == "sidan 4"
    assert ocr.pages_sv([7, 2, 8, 9, 5]) == "sidorna 2, 5 och 7–9"
    assert ocr.pages_sv([3, 4]) == "sidorna 3–4"


def test_the_ocr_mark_is_stored_and_cited() -> None:
    chunk = Chunk(id="a", doc="d.pdf", title="T", page=3, page_label=None, section="Avgifter", start=0, end=1,
                  text="x", content_hash="h", doc_hash="dh", ordinal=0, ocr=True)
    meta = chunk_metadata(chunk, "e")
    assert chunk_from_record("a", "x", meta) == chunk
    del meta["ocr"]  # a record stored before OCR
    assert chunk_from_record("a", "x", meta).ocr is False
    assert chunk_citation(chunk) == "s. 3, läst med OCR, avsnitt ”Avgifter”"
    assert citation(3, ocr=True) == "s. 3, läst med OCR" and citation(3) == "s. 3"
