"""Re-ingest against the real Chroma with the counting HashingEmbedder: what costs
embedding work, what switches, what is cleaned up, the lock, the report and history."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

import ingest.__main__ as ingest_cli
from core.embedders import HashingEmbedder
from core.errors import IngestBusyError
from core.settings import Settings, load_settings
from core.store import LivePointer, generations, iter_records, open_client, open_generation, read_live
from ingest.lock import ingest_lock
from ingest.pipeline import embed_hash, run_ingest
from ingest.report import HISTORY, read_history
from retrieval.answer import answer_question
from retrieval.search import Searcher
from tests.index_checks import check_index, live_chunks, never_refuse

NEVER_REFUSE = never_refuse()
OLD = "Kommunstyrelsen ansvarar för uppföljningen av boendestödet i Farsta."
NEW = "Socialnämnden ansvarar för uppföljningen av boendestödet i Farsta."
QUESTION = "Vem ansvarar för uppföljningen av boendestödet?"

SOURCES = """\
["parkering.md"]
title = "Boendeparkering i innerstaden"
source = "Trafikkontoret"
kind = "information"
"""


def _section(topic: str, n: int) -> str:
    return " ".join(f"{topic} mening {i} handlar om stadens arbete med {topic.lower()} och service."
                    for i in range(n))


def boendestod(responsible: str = OLD) -> str:
    return (
        "# Uppföljning av boendestödet\n\n## Ansvar\n\n" + responsible + "\n\n"
        "## Tidplan\n\n" + _section("Tidplanen", 12) + "\n\n"
        "## Budget\n\n" + _section("Budgeten", 12) + "\n"
    )


def write_corpus(corpus: Path) -> Path:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "boendestod.md").write_text(boendestod(), encoding="utf-8")
    (corpus / "parkering.md").write_text(
        "# Parkering\n\nBoendeparkering kostar 1 100 kronor i månaden i innerstaden.\n", encoding="utf-8")
    (corpus / "bibliotek.md").write_text(
        "# Bibliotekens öppettider\n\n" + "\n\n".join(
            f"## {day}\n\n" + _section(f"Biblioteket {day.lower()}", 8)
            for day in ("Måndag", "Tisdag", "Onsdag")
        ) + "\n", encoding="utf-8")
    (corpus / "sources.toml").write_text(SOURCES, encoding="utf-8")
    return corpus


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.corpus = write_corpus(tmp_path / "corpus")
        self.settings: Settings = load_settings().with_corpus(self.corpus).with_data(tmp_path / "data")
        self.client = open_client(self.settings)
        self.embedder = HashingEmbedder()

    def ingest(self):  # type: ignore[no-untyped-def]
        report = run_ingest(self.settings, self.embedder, self.client)
        check_index(self.client)
        return report

    def embed_hashes(self) -> set[str]:
        state = read_live(self.client)
        assert state is not None
        return {h for _, h, _ in iter_records(open_generation(self.client, state.generation), False)}


@pytest.fixture
def env(tmp_path: Path) -> Env:
    e = Env(tmp_path)
    first = e.ingest()
    assert sorted((o.doc, o.status) for o in first.outcomes) == [
        ("bibliotek.md", "added"), ("boendestod.md", "added"), ("parkering.md", "added")]
    assert first.chunks_embedded == first.chunks_total == len(e.embed_hashes())
    # and every quotable statement once, for English quotes (core/statement_vectors.py)
    assert first.statements_embedded > 0
    assert e.embedder.texts_embedded == first.chunks_embedded + first.statements_embedded
    return e


def statuses(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {o.doc: o.status for o in report.outcomes}


def test_unchanged_corpus_costs_no_embedding_and_keeps_live(env: Env) -> None:
    before = read_live(env.client)
    calls, texts = env.embedder.calls, env.embedder.texts_embedded
    again = env.ingest()
    assert (env.embedder.calls, env.embedder.texts_embedded) == (calls, texts)
    assert set(statuses(again).values()) == {"unchanged"} and not again.switched
    assert again.chunks_embedded == 0 and again.chunks_total == before.chunk_count  # type: ignore[union-attr]
    assert read_live(env.client) == before


def test_changed_document_is_rechunked_and_only_new_text_embedded(env: Env) -> None:
    before = read_live(env.client)
    assert before is not None
    old_hashes = env.embed_hashes()
    others = {c.id for c in live_chunks(env.client) if c.doc != "boendestod.md"}
    texts = env.embedder.texts_embedded
    (env.corpus / "boendestod.md").write_text(boendestod(NEW), encoding="utf-8")

    report = env.ingest()
    assert statuses(report) == {"boendestod.md": "changed", "bibliotek.md": "unchanged",
                                "parkering.md": "unchanged"}
    new_hashes = env.embed_hashes()
    fresh = new_hashes - old_hashes
    assert fresh and report.chunks_embedded == len(fresh)
    # the statements of the changed text only: the others keep their vectors
    assert 0 < report.statements_embedded < 5
    assert env.embedder.texts_embedded - texts == report.chunks_embedded + report.statements_embedded
    assert report.chunks_embedded < read_live(env.client).documents["boendestod.md"].chunks  # type: ignore[union-attr]
    chunks = live_chunks(env.client)
    assert {c.id for c in chunks if c.doc != "boendestod.md"} == others  # untouched
    texts_now = " ".join(c.text for c in chunks)
    assert NEW in texts_now and OLD not in texts_now
    ans = answer_question(QUESTION, Searcher(env.client, env.embedder), NEVER_REFUSE)
    assert "Socialnämnden ansvarar" in ans.text and "Kommunstyrelsen" not in ans.text


def test_removed_document_disappears_with_all_its_chunks(env: Env) -> None:
    searcher = Searcher(env.client, env.embedder)
    assert searcher.search("boendeparkering kostar", k=3)[0].chunk.doc == "parkering.md"
    texts = env.embedder.texts_embedded
    (env.corpus / "parkering.md").unlink()
    report = env.ingest()
    assert statuses(report)["parkering.md"] == "removed" and report.switched
    assert env.embedder.texts_embedded == texts
    state = read_live(env.client)
    assert state is not None and "parkering.md" not in state.documents
    assert all(c.doc != "parkering.md" for c in live_chunks(env.client))
    for mode in ("dense", "bm25", "hybrid"):  # both retrievers moved to the new generation
        assert all(c.chunk.doc != "parkering.md" for c in searcher.search("boendeparkering kostar", 10, mode))
    gen = searcher.current()
    assert gen.state.generation == state.generation and len(gen.chunks) == gen.collection.count()


def test_same_content_under_a_new_name_is_not_embedded_again(env: Env) -> None:
    calls, texts = env.embedder.calls, env.embedder.texts_embedded
    (env.corpus / "bibliotek.md").rename(env.corpus / "bibliotek-2024.md")
    report = env.ingest()
    assert statuses(report) == {"bibliotek-2024.md": "added", "bibliotek.md": "removed",
                                "boendestod.md": "unchanged", "parkering.md": "unchanged"}
    assert (env.embedder.calls, env.embedder.texts_embedded) == (calls, texts)
    assert report.chunks_embedded == 0
    state = read_live(env.client)
    assert state is not None and state.documents["bibliotek-2024.md"].title == "Bibliotekens öppettider"
    hits = Searcher(env.client, env.embedder).search("biblioteket onsdag", k=3)
    assert hits[0].chunk.doc == "bibliotek-2024.md"


def test_changed_sources_entry_updates_metadata_and_title(env: Env) -> None:
    state = read_live(env.client)
    assert state is not None
    assert state.documents["parkering.md"].title == "Boendeparkering i innerstaden"
    texts = env.embedder.texts_embedded

    # Only metadata that is not indexed text: new metadata, no embedding.
    (env.corpus / "sources.toml").write_text(SOURCES.replace('"information"', '"taxa"'), encoding="utf-8")
    report = env.ingest()
    assert statuses(report) == {"parkering.md": "metadata", "boendestod.md": "unchanged",
                                "bibliotek.md": "unchanged"}
    assert env.embedder.texts_embedded == texts
    assert read_live(env.client).documents["parkering.md"].kind == "taxa"  # type: ignore[union-attr]

    # A new title is part of the indexed text: that document's chunks are embedded again.
    (env.corpus / "sources.toml").write_text(SOURCES.replace("Boendeparkering i innerstaden",
                                                             "Parkeringstaxor 2025"), encoding="utf-8")
    report = env.ingest()
    state = read_live(env.client)
    assert state is not None and statuses(report)["parkering.md"] == "metadata"
    assert env.embedder.texts_embedded - texts == state.documents["parkering.md"].chunks
    assert state.documents["parkering.md"].title == "Parkeringstaxor 2025"
    assert {c.title for c in live_chunks(env.client) if c.doc == "parkering.md"} == {"Parkeringstaxor 2025"}
    ans = answer_question("Vad kostar boendeparkering?", Searcher(env.client, env.embedder),
                          NEVER_REFUSE, k=1)
    assert ans.passages[0].chunk.title == "Parkeringstaxor 2025"


def test_generations_switch_and_old_ones_are_dropped(env: Env) -> None:
    searcher = Searcher(env.client, env.embedder)
    seen = [read_live(env.client).generation]  # type: ignore[union-attr]
    for i, topic in enumerate(("snöröjning", "lövblåsning", "sandupptagning")):
        (env.corpus / f"extra{i}.md").write_text(f"# Extra {i}\n\nTillägg om {topic} i parkerna.\n",
                                                 encoding="utf-8")
        report = env.ingest()  # check_index: <= 2 generations, no orphaned or duplicated chunks
        state = read_live(env.client)
        assert state is not None and report.switched and state.previous == seen[-1]
        assert set(generations(env.client)) == {state.generation, seen[-1]}
        seen.append(state.generation)
        got = searcher.search(f"{topic} i parkerna", k=1, mode="bm25")
        assert got[0].chunk.doc == f"extra{i}.md"  # BM25 is rebuilt from the generation it queries
        assert searcher.current().state.generation == state.generation
        # Chroma leaves a dropped collection's vector files behind; the ingest removes them:
        # what is left is one folder per collection at most (meta, live, previous).
        folders = [f for f in env.settings.chroma_path.iterdir() if f.is_dir()]
        assert len(folders) <= 3, folders
    assert len(set(seen)) == 4


def test_searcher_retries_when_its_generation_was_dropped(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that read `live` just before two later ingests dropped that generation
    re-reads `live` and answers from the current one instead of failing. (With Chroma's
    approximate search, which asks the store at each query; the exact search of a loaded
    generation answers from memory: see the next test.)"""
    import retrieval.search as search_mod

    monkeypatch.setattr(search_mod, "EXACT_MAX", 0)
    searcher = Searcher(open_client(env.settings), env.embedder)
    assert searcher.search(QUESTION, k=3)
    stale = read_live(env.client)
    for i in range(2):
        (env.corpus / f"extra{i}.md").write_text(f"# Extra {i}\n\nTillägg {i}.\n", encoding="utf-8")
        env.ingest()
    assert stale is not None and stale.generation not in generations(env.client)

    real = search_mod.read_pointer
    for reset in (False, True):  # a generation already loaded / none loaded yet
        calls = {"n": 0}

        def first_stale(client, _calls=calls):  # type: ignore[no-untyped-def]
            _calls["n"] += 1
            return LivePointer(stale.generation, stale.model_id) if _calls["n"] == 1 else real(client)

        monkeypatch.setattr(search_mod, "read_pointer", first_stale)
        if reset:
            searcher._loaded = None
        got = searcher.search(QUESTION, k=3)
        assert got and calls["n"] == 2
        assert searcher.current().state.generation == read_live(env.client).generation  # type: ignore[union-attr]


def test_an_exactly_searched_generation_answers_the_same_from_memory_after_it_was_dropped(env: Env) -> None:
    """The exact dense search keeps every vector of the loaded generation, so a reader in
    the middle of a switch answers from one consistent generation without asking the store."""
    searcher = Searcher(open_client(env.settings), env.embedder)
    before = [c.chunk.id for c in searcher.search(QUESTION, k=3)]
    gen = searcher.current()
    assert gen.vectors is not None and len(gen.vectors) == len(gen.chunks)
    for i in range(2):
        (env.corpus / f"extra{i}.md").write_text(f"# Extra {i}\n\nTillägg {i}.\n", encoding="utf-8")
        env.ingest()
    assert gen.state.generation not in generations(env.client)
    vector = searcher.embed_query(QUESTION)
    from retrieval.search import retrieve
    scores = retrieve(gen, QUESTION, vector, 30)
    assert list(scores.dense)[:1] and set(before) & set(scores.dense)


def test_second_ingest_stops_while_the_lock_is_held(env: Env, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = read_live(env.client)
    (env.corpus / "boendestod.md").write_text(boendestod(NEW), encoding="utf-8")
    monkeypatch.setattr(ingest_cli, "make_embedder", lambda _s: env.embedder)
    with ingest_lock(env.settings.data_dir):
        with pytest.raises(IngestBusyError):
            run_ingest(env.settings, env.embedder, env.client)
        code = ingest_cli.main([str(env.corpus), "--data", str(env.settings.data_dir)])
    assert code == 3 and "En annan inläsning pågår redan" in capsys.readouterr().err
    assert read_live(env.client) == before
    # A lock file left behind (here with a dead pid) does not block: the kernel lock is gone.
    (env.settings.data_dir / "ingest.lock").write_text("999999")
    assert env.ingest().switched


def test_report_and_readable_history(env: Env, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (env.corpus / "boendestod.md").write_text(boendestod(NEW), encoding="utf-8")
    (env.corpus / "parkering.md").unlink()
    (env.corpus / "ny.md").write_text("# Nytt\n\nEn ny text om fritidsgårdar.\n", encoding="utf-8")
    (env.corpus / "tom.txt").write_bytes(b"")
    report = env.ingest()
    assert statuses(report) == {"boendestod.md": "changed", "bibliotek.md": "unchanged", "ny.md": "added",
                                "parkering.md": "removed", "tom.txt": "failed"}
    assert report.failed[0].reason == "filen är tom"
    assert report.finished >= report.started and 0 < report.seconds < 60
    state = read_live(env.client)
    assert state is not None and report.generation == state.generation
    assert report.chunks_total == state.chunk_count
    summary = report.summary_sv()
    for text in ("1 tillagt", "1 ändrat", "1 oförändrat", "1 borttaget", "1 fel",
                 "FEL tom.txt: filen är tom"):
        assert text in summary

    (env.corpus / "sources.toml").write_text('["ny.md"\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(Exception, match="rad 1"):
        env.ingest()

    rows = read_history(env.settings.data_dir)
    assert len(rows) == 3 == len((env.settings.data_dir / HISTORY).read_text().splitlines())
    last_ok = rows[1]
    assert last_ok["counts"] == {"added": 1, "changed": 1, "unchanged": 1, "removed": 1, "failed": 1,
                                 "metadata": 0}
    assert last_ok["chunks_total"] == state.chunk_count and last_ok["seconds"] >= 0
    failed = {"doc": "tom.txt", "status": "failed", "chunks": 0, "reason": "filen är tom", "notes": []}
    assert failed in last_ok["outcomes"]
    assert rows[2]["error"] and "rad 1" in rows[2]["error"] and not rows[2]["switched"]
    json.loads((env.settings.data_dir / HISTORY).read_text().splitlines()[-1])

    with (env.settings.data_dir / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write('{"started": 17')  # a line cut short by a crash is skipped
    assert ingest_cli.main(["--history", "--data", str(env.settings.data_dir)]) == 0
    out = capsys.readouterr().out
    t = time.localtime(rows[0]["started"])
    months = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
              "oktober", "november", "december")
    assert f"{t.tm_mday} {months[t.tm_mon - 1]} {t.tm_year} kl. {t.tm_hour:02d}.{t.tm_min:02d}" in out
    assert "3 tillagt" in out and "1 ändrat, 1 oförändrat, 1 borttaget, 1 fel" in out
    assert "FEL tom.txt: filen är tom" in out and "Avbröts: Filen" in out and "rad 1" in out
    assert str(int(rows[0]["started"])) not in out  # no raw timestamps
    assert out.count("Avsnitt i indexet") == 2


def test_other_chunk_size_rebuilds_and_still_reports_removals(env: Env) -> None:
    (env.corpus / "parkering.md").unlink()
    env.settings = dataclasses.replace(env.settings, chunk_tokens=64, chunk_overlap=8)
    report = env.ingest()
    assert report.rebuilt and report.switched
    assert statuses(report) == {"parkering.md": "removed", "boendestod.md": "changed",
                                "bibliotek.md": "changed"}
    assert "Indexet byggdes om" in report.summary_sv()
    assert read_live(env.client).chunking.startswith("64/8/")  # type: ignore[union-attr]
    again = env.ingest()
    assert not again.rebuilt and not again.switched


def test_embed_hash_depends_on_model_and_text() -> None:
    assert embed_hash("a", "x") != embed_hash("b", "x") != embed_hash("a", "y")
