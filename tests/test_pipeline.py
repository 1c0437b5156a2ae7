"""Ingest and search against the real Chroma with the fast hashing embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.embedders import HashingEmbedder
from core.errors import IndexMissingError, ModelMismatchError
from core.settings import Settings, load_settings
from core.store import generations, open_client, read_live
from ingest.pipeline import run_ingest
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from tests.conftest import REPO

NEVER_REFUSE = Calibration.never_refuse()


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPO / "corpus" / "sources.toml", corpus)
    shutil.copy(REPO / "corpus" / "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md", corpus)
    (corpus / "parkering.md").write_text("# Parkering\n\nBoendeparkering kostar 1 100 kronor i månaden i innerstaden.\n", encoding="utf-8")
    return corpus


def _settings(tmp_path: Path, corpus: Path) -> Settings:
    return load_settings().with_corpus(corpus).with_data(tmp_path / "data")


def test_ingest_then_search_and_cite(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _corpus(tmp_path))
    embedder = HashingEmbedder()
    client = open_client(settings)
    report = run_ingest(settings, embedder, client)
    assert [o.status for o in report.outcomes] == ["added", "added"]
    assert report.switched and report.chunks_total == report.chunks_embedded > 5
    state = read_live(client)
    assert state is not None and state.model_id == embedder.model_id
    doc = state.documents["socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"]
    assert doc.title.startswith("Socialförvaltningens tjänsteutlåtande")
    assert doc.kind == "remissvar" and doc.validity.valid_from == "2018"

    searcher = Searcher(client, embedder)
    ans = answer_question("Vem ansvarar för kommunikation, samordning och uppföljning av strategin?",
                          searcher, NEVER_REFUSE)
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in ans.text
    assert ans.text.rstrip().endswith("]")
    top = ans.passages[0].chunk
    assert top.doc.startswith("socialnamnden") and top.section == "Ansvarsfördelning"
    for q in ans.quotes:  # every quote is verbatim from its passage
        assert ans.passages[q.n - 1].chunk.text[q.start : q.end].split() == q.text.split()


def test_modes_return_ranked_candidates(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _corpus(tmp_path))
    embedder = HashingEmbedder()
    run_ingest(settings, embedder, open_client(settings))
    searcher = Searcher(open_client(settings), embedder)
    for mode in ("dense", "bm25", "hybrid"):
        got = searcher.search("boendeparkering kostar", k=3, mode=mode)
        assert got[0].chunk.doc == "parkering.md", mode
    assert searcher.search("boendeparkering", k=3, mode="bm25")[0].dense is None


def test_unchanged_corpus_costs_no_embedding(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _corpus(tmp_path))
    embedder = HashingEmbedder()
    client = open_client(settings)
    run_ingest(settings, embedder, client)
    first = read_live(client)
    calls = embedder.calls
    again = run_ingest(settings, embedder, client)
    assert embedder.calls == calls and not again.switched
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert read_live(client) == first
    assert (settings.data_dir / "ingest-history.jsonl").read_text().count("\n") == 2


def test_missing_index_and_model_mismatch(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _corpus(tmp_path))
    client = open_client(settings)
    with pytest.raises(IndexMissingError):
        Searcher(client, HashingEmbedder()).search("fråga", k=3)
    run_ingest(settings, HashingEmbedder(), client)
    with pytest.raises(ModelMismatchError) as err:
        Searcher(client, HashingEmbedder(dim=128)).search("fråga", k=3)
    assert "Läs in dokumenten igen" in err.value.swedish_message()
    assert len(generations(client)) == 1


def test_document_title_without_manifest_entry() -> None:
    from core.records import Page
    from ingest.describe import document_title

    assert document_title(None, [Page(None, "\n# Riktlinjer för tolk\n\nText.")], "a.md") == "Riktlinjer för tolk"
    pdf = [Page(1, "Riktlinjer för tolk i socialtjänsten\nSyfte\nRiktlinjerna beskriver när.")]
    assert document_title(None, pdf, "tolk.pdf") == "Riktlinjer för tolk i socialtjänsten"
    prose = [Page(1, "Det här är en lång inledande mening som slutar med punkt.\nMer text.")]
    assert document_title(None, prose, "tolk-riktlinjer.pdf") == "Tolk riktlinjer"
    assert document_title(None, [Page(None, "bara text utan rubrik.")], "min_fil.md") == "Min fil"


def test_the_live_record_stays_small_and_old_states_go(tmp_path: Path) -> None:
    """Every query reads `live`: it holds only the generation and the model; the state
    (documents, metadata, responsibilities) is read when the generation changes."""
    from core.store import LIVE_ID, STATE_PREFIX, _meta, read_pointer

    corpus = _corpus(tmp_path)
    settings = _settings(tmp_path, corpus)
    embedder = HashingEmbedder()
    client = open_client(settings)
    for i in range(3):
        (corpus / f"extra{i}.md").write_text(f"# Extra {i}\n\nTillägg nummer {i}.\n", encoding="utf-8")
        run_ingest(settings, embedder, client)
    live = _meta(client).get(ids=[LIVE_ID], include=["documents"])["documents"][0]
    assert len(live) < 200 and "documents" not in live
    pointer = read_pointer(client)
    state = read_live(client)
    assert pointer is not None and state is not None and state.generation == pointer.generation
    states = [i for i in _meta(client).get(include=[])["ids"] if i.startswith(STATE_PREFIX)]
    assert sorted(states) == sorted(STATE_PREFIX + g for g in generations(client))
    assert len(states) == 2  # live and previous


def test_an_answer_embeds_the_question_once(tmp_path: Path) -> None:
    """Latency: the question is embedded once per answer; an English answer embeds, in
    one more call, only the sentences of its top passage to pick the quote."""
    settings = _settings(tmp_path, _corpus(tmp_path))
    embedder = HashingEmbedder()
    client = open_client(settings)
    run_ingest(settings, embedder, client)
    searcher = Searcher(client, embedder)
    searcher.current()  # loading the generation embeds nothing, but keep it out of the count
    before = embedder.calls, embedder.texts_embedded
    swedish = answer_question("Vem ansvarar för uppföljningen av strategin?", searcher, NEVER_REFUSE)
    assert not swedish.refused and swedish.quotes
    assert (embedder.calls - before[0], embedder.texts_embedded - before[1]) == (1, 1)

    before = embedder.calls, embedder.texts_embedded
    english = answer_question("Who is responsible for following up the strategy?", searcher, NEVER_REFUSE)
    assert not english.refused and english.quotes
    sentences = embedder.texts_embedded - before[1] - 1
    assert embedder.calls - before[0] == 2
    assert 1 <= sentences <= len(english.passages[0].chunk.text.split(". ")) + 1
    assert all(q.n == 1 for q in english.quotes)  # quoted from the passage whose sentences were embedded


def test_the_searcher_loads_a_new_generation_before_anyone_asks(tmp_path: Path) -> None:
    import time

    corpus = _corpus(tmp_path)
    settings = _settings(tmp_path, corpus)
    embedder = HashingEmbedder()
    client = open_client(settings)
    run_ingest(settings, embedder, client)
    searcher = Searcher(open_client(settings), embedder)
    stop = searcher.follow(0.05)
    try:
        first = searcher.current()
        (corpus / "parkering.md").write_text("# Parkering\n\nBoendeparkering kostar 900 kronor.\n", encoding="utf-8")
        report = run_ingest(settings, embedder, client)  # another client, as another process would
        assert report.switched
        new = read_live(client)
        assert new is not None and new.generation != first.state.generation
        deadline = time.monotonic() + 10
        while searcher.loaded_generation != new.generation and time.monotonic() < deadline:
            time.sleep(0.02)
        assert searcher.loaded_generation == new.generation, "not loaded in the background"
        loaded = searcher._loaded
        ans = answer_question("Vad kostar boendeparkering?", searcher, NEVER_REFUSE)
        assert searcher._loaded is loaded  # the question found it loaded
        assert "900 kronor" in ans.text
    finally:
        stop.set()


def test_following_ends_with_the_searcher(tmp_path: Path) -> None:
    import gc
    import threading

    settings = _settings(tmp_path, _corpus(tmp_path))
    embedder = HashingEmbedder()
    run_ingest(settings, embedder, open_client(settings))
    searcher = Searcher(open_client(settings), embedder)
    before = set(threading.enumerate())
    searcher.follow(0.02)
    followers = [t for t in threading.enumerate() if t not in before]
    assert [t.name for t in followers] == ["searcher-follow"]
    del searcher
    gc.collect()
    for thread in followers:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in followers), "a follower outlived its Searcher"


EXIT_WHILE_FOLLOWING = """
import sys, time
from pathlib import Path
from ingest.pipeline import run_ingest
from core.embedders import HashingEmbedder
from retrieval.search import Searcher
from core.settings import load_settings
from core.store import open_client
settings = load_settings().with_corpus(Path(sys.argv[1])).with_data(Path(sys.argv[2]))
embedder = HashingEmbedder()
run_ingest(settings, embedder, open_client(settings))
kept = [Searcher(open_client(settings), embedder) for _ in range(8)]
for searcher in kept:
    searcher.follow(0.0005)
time.sleep(0.3)
"""


def test_a_process_exits_cleanly_while_searchers_follow(tmp_path: Path) -> None:
    """Followers polling the store when the interpreter shut down crashed it (SIGSEGV in
    the store's native code): they are stopped before finalisation now."""
    import subprocess
    import sys

    corpus = _corpus(tmp_path)
    for run in range(3):
        done = subprocess.run([sys.executable, "-c", EXIT_WHILE_FOLLOWING, str(corpus), str(tmp_path / f"data{run}")],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"run {run}: exit {done.returncode}\n{done.stderr[-2000:]}"
