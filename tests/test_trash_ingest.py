"""The trash with the real Chroma and the real model: a document removed on the Dokument
page, ingested away and put back unchanged is answered from again without embedding."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import load_settings
from core.store import open_client, read_live
from ingest.kept_vectors import kept_folder
from ingest.pipeline import run_ingest
from ingest.trash import list_trash, restore_document, trash_document
from retrieval.answer import answer_question
from retrieval.search import Searcher
from tests.index_checks import check_index, never_refuse

pytestmark = pytest.mark.slow

QUESTION = "Hur många dagar före mötet ska handläggaren boka tolk?"
FACT = "Handläggaren bokar tolk senast tre arbetsdagar före mötet."
TOLK = f"# Rutin för tolkbokning\n\n{FACT} Tolken ska vara auktoriserad.\n"
PARK = "# Boendeparkering\n\nBoendeparkering kostar 1 100 kronor i månaden i innerstaden.\n"
SOURCES = '# Our documents.\n\n["tolk.md"]\ntitle = "Rutin för tolkbokning"  # from the intranet\nkind = "riktlinjer"\n'


def test_restored_document_needs_no_embedding(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (corpus / "tolk.md").write_text(TOLK, encoding="utf-8")
    (corpus / "parkering.md").write_text(PARK, encoding="utf-8")
    (corpus / "sources.toml").write_text(SOURCES, encoding="utf-8")
    settings = load_settings().with_corpus(corpus).with_data(data)
    client = open_client(settings)
    searcher = Searcher(client, real_embedder)

    def answers_from_tolk() -> bool:
        ans = answer_question(QUESTION, searcher, never_refuse())
        return any(p.chunk.doc == "tolk.md" for p in ans.passages) and "tre arbetsdagar" in ans.text

    first = run_ingest(settings, real_embedder, client)
    assert first.chunks_embedded > 0 and answers_from_tolk()

    entry = trash_document(corpus, data, "tolk.md", who="samordnare@stockholm.se")
    removal = run_ingest(settings, real_embedder, client)
    assert {o.doc: o.status for o in removal.outcomes}["tolk.md"] == "removed"
    assert removal.chunks_embedded == 0 and not answers_from_tolk()
    assert len(list(kept_folder(data).glob("*.npz"))) == 1  # its vectors are kept

    assert restore_document(corpus, data, entry.id) == "tolk.md"
    assert list_trash(data) == [] and "# from the intranet" in (corpus / "sources.toml").read_text(encoding="utf-8")
    back = run_ingest(settings, real_embedder, client)
    assert {o.doc: o.status for o in back.outcomes}["tolk.md"] == "added"
    assert back.switched and back.chunks_embedded == 0
    state = check_index(client)
    assert state.documents["tolk.md"].title == "Rutin för tolkbokning" and state.documents["tolk.md"].kind == "riktlinjer"
    assert answers_from_tolk()
    assert list(kept_folder(data).glob("*.npz")) == []  # live again: the kept copy is gone
    assert read_live(client) is not None
