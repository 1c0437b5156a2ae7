"""A generation's files (core/snapshot.py): the ingest writes them before it switches, a
process loads the generation from them, and every answer is the one a process that built
the generation from Chroma gives. Real Chroma, the real embedding model, the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from core.lexical import LexicalIndex
from core.settings import load_settings
from core.snapshot import STALE_TMP_SECONDS, ChunkTable, drop_snapshots, generations_dir, load_snapshot
from core.store import iter_records, open_client, open_generation, read_live
from evaluation.evalset import load_eval_set
from ingest.pipeline import run_ingest
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from tests.conftest import REPO

pytestmark = pytest.mark.slow
QUESTIONS = [q.question for q in load_eval_set(REPO / "eval" / "default.jsonl")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, real_embedder):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("snapshot")
    shutil.copytree(REPO / "corpus", root / "corpus")
    settings = load_settings().with_corpus(root / "corpus").with_data(root / "data")
    client = open_client(settings)
    report = run_ingest(settings, real_embedder, client)
    assert report.switched and not report.failed
    return settings, client


def test_the_ingest_writes_the_files_of_the_generation_it_switches_to(site) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    live = read_live(client)
    assert live is not None
    folder = generations_dir(settings.data_dir)
    assert [p.name for p in folder.iterdir()] == [live.generation]
    snapshot = load_snapshot(settings.data_dir, live.generation)
    assert snapshot is not None and snapshot.state == live
    stored = sorted(iter_records(open_generation(client, live.generation), with_vectors=True),
                    key=lambda r: (r[0].doc, r[0].ordinal))
    assert list(snapshot.chunks) == [c for c, _, _ in stored]
    assert [snapshot.chunks[np.int64(i)] for i in range(len(stored))] == [c for c, _, _ in stored]
    for row, (_, _, vector) in enumerate(stored):
        assert vector is not None
        assert float(snapshot.vectors[row] @ (vector / np.linalg.norm(vector))) == pytest.approx(1.0, abs=1e-5)


def test_answers_from_the_files_are_those_built_from_chroma(site, real_embedder) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    from_files = Searcher(client, real_embedder, files=settings.data_dir)
    from_store = Searcher(client, real_embedder)
    assert from_files.current().source == "files" and from_store.current().source == "store"
    calibration = Calibration.load()
    for question in QUESTIONS:
        a = answer_question(question, from_files, calibration)
        b = answer_question(question, from_store, calibration)
        assert (a.text, a.refused, [p.chunk for p in a.passages]) == \
            (b.text, b.refused, [p.chunk for p in b.passages]), question
        # The ingest's vectors, not Chroma's float32 copies of them: equal to rounding.
        assert [p.score for p in a.passages] == pytest.approx([p.score for p in b.passages], rel=1e-4, abs=1e-5)


def test_missing_or_inconsistent_files_are_built_from_chroma_and_written_again(  # type: ignore[no-untyped-def]
        site, real_embedder, tmp_path: Path) -> None:
    settings, client = site
    live = read_live(client)
    assert live is not None
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    moved = open_client(settings.with_data(data))
    folder = generations_dir(data) / live.generation
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "chunks": meta["chunks"] + 1}))
    first = Searcher(moved, real_embedder, files=data)
    assert first.current().source == "store"  # the count does not match the state's
    assert Searcher(moved, real_embedder, files=data).current().source == "store"  # a complete folder stays
    shutil.rmtree(folder)
    assert Searcher(moved, real_embedder, files=data).current().source == "store"
    assert Searcher(moved, real_embedder, files=data).current().source == "files"  # written by the one before


def test_a_re_ingest_drops_the_files_of_generations_it_drops(site, real_embedder) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    gens = []
    for n in range(3):
        (settings.corpus_dir / "extra.md").write_text(f"# Tillägg {n}\n\nBrobyggarna träffas {n + 2} gånger per år.\n")
        report = run_ingest(settings, real_embedder, client)
        assert report.switched
        gens.append(report.generation)
    live = read_live(client)
    assert live is not None and live.generation == gens[-1]
    left = sorted(p.name for p in generations_dir(settings.data_dir).iterdir())
    assert left == sorted([live.generation, live.previous])
    searcher = Searcher(client, real_embedder, files=settings.data_dir)
    answer = answer_question("Hur ofta träffas brobyggarna?", searcher, Calibration.load())
    assert searcher.current().source == "files" and "4 gånger" in answer.text


def test_a_stale_temporary_folder_is_removed_and_a_fresh_one_left(tmp_path: Path) -> None:
    folder = generations_dir(tmp_path)
    stale, fresh = folder / ".tmp-old-1-1", folder / ".tmp-new-2-2"
    stale.mkdir(parents=True)
    fresh.mkdir()
    old = time.time() - STALE_TMP_SECONDS - 10
    os.utime(stale, (old, old))
    assert drop_snapshots(tmp_path, keep=[]) == []
    assert not stale.exists() and fresh.exists()


def test_a_saved_lexical_index_searches_as_the_one_built(tmp_path: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.md"))]
    paragraphs = [p for t in texts for p in t.split("\n\n") if p.strip()]
    built = LexicalIndex(paragraphs)
    built.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    probes = QUESTIONS + ["komunstyrelsen uppföljnig", "följa upp strategin", "brobyggarverksamhet"]
    for question in probes:
        assert loaded.search(question, 10) == built.search(question, 10), question
        assert loaded.correct(question) == built.correct(question)
    mask = np.arange(len(paragraphs)) % 2 == 0
    assert loaded.search(QUESTIONS[0], 5, mask) == built.search(QUESTIONS[0], 5, mask)
    empty = LexicalIndex([])
    empty.save(tmp_path / "empty")
    assert LexicalIndex.load(tmp_path / "empty").search("vem", 3) == []


def test_a_chunk_table_reads_rows_by_any_integer(site) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    live = read_live(client)
    assert live is not None
    table = ChunkTable(generations_dir(settings.data_dir) / live.generation)
    assert table[-1] == table[len(table) - 1] and table[0:2] == [table[0], table[1]]
    with pytest.raises(IndexError):
        table[len(table)]
