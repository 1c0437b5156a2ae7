"""Two levels: a hit is matched as a chunk and shown with its neighbours (retrieval.search.window)."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.embedders import HashingEmbedder
from core.settings import load_settings
from core.store import open_client
from ingest.pipeline import run_ingest
from ingest.readers import read_document
from retrieval.search import METHODS, Candidate, Method, Searcher, window, with_context
from tests.conftest import REPO

DOC = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"


def _searcher(tmp_path: Path) -> Searcher:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPO / "corpus" / "sources.toml", corpus)
    shutil.copy(REPO / "corpus" / DOC, corpus)
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    embedder = HashingEmbedder()
    client = open_client(settings)
    run_ingest(settings, embedder, client)
    return Searcher(client, embedder)


def test_a_window_is_contiguous_page_text_of_one_section(tmp_path: Path) -> None:
    searcher = _searcher(tmp_path)
    gen = searcher.current()
    pages = {p.number: p.text for p in read_document(tmp_path / "corpus" / DOC, DOC, 10**8)}
    widened = 0
    for chunk in gen.chunks:
        shown, covered = window(gen, chunk, 1)
        assert shown.id == chunk.id and chunk.id in covered
        page = pages[shown.page][shown.start:shown.end]  # offsets still hold, up to the kind of whitespace
        assert len(page) == len(shown.text) and page.split() == shown.text.split()
        assert all(a == b or (a.isspace() and b.isspace()) for a, b in zip(page, shown.text, strict=True))
        assert chunk.text in shown.text
        members = [gen.chunks[gen.by_id[i]] for i in covered]
        assert {(c.page, c.section) for c in members} == {(chunk.page, chunk.section)}
        assert len(covered) <= 3
        widened += len(covered) > 1
    assert widened >= len(gen.chunks) // 2  # most chunks have a neighbour in their section


def test_a_hit_inside_a_better_hits_window_is_not_shown_twice(tmp_path: Path) -> None:
    searcher = _searcher(tmp_path)
    gen = searcher.current()
    first = next(c for c in gen.chunks if len(window(gen, c, 1)[1]) == 3)
    _, covered = window(gen, first, 1)
    neighbour = next(gen.chunks[gen.by_id[i]] for i in covered if i != first.id)
    ranked = [Candidate(first, 2.0, None, None), Candidate(neighbour, 1.0, None, None)]
    shown = with_context(gen, ranked, 1)
    assert [c.chunk.id for c in shown] == [first.id]
    assert with_context(gen, ranked, 0) == ranked


def test_search_shows_windows_and_distinct_text(tmp_path: Path) -> None:
    searcher = _searcher(tmp_path)
    question = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
    alone = searcher.search(question, 5, Method(True, True, METHODS["hybrid"].fuse, context=0))
    shown = searcher.search(question, 5)
    gen = searcher.current()
    assert shown[0].chunk == window(gen, alone[0].chunk, 1)[0]
    texts = [c.chunk.text for c in shown]
    for i, a in enumerate(texts):  # no passage is inside another
        assert all(a not in b for j, b in enumerate(texts) if i != j)
