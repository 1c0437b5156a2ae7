"""The statements an English quote may show are embedded once, by the ingest
(core/statement_vectors.py): with the real model and the real store, an English answer
embeds only its question and quotes what the per-question way quotes."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import retrieval.search as search_module
from core.embedders import Embedder, HashingEmbedder, Role
from core.quotable import statements
from core.settings import load_settings
from core.snapshot import load_snapshot, snapshot_dir
from core.statement_vectors import statement_key
from core.store import open_client, read_live
from ingest.pipeline import run_ingest
from retrieval.answer import answer_question
from retrieval.search import Searcher, window
from tests.index_checks import never_refuse

REPO = Path(__file__).resolve().parents[1]
NEVER_REFUSE = never_refuse()
ENGLISH = [
    "Who is responsible for following up the strategy?",
    "Which committees shall carry out the strategy in practice?",
    "What is the strategy for Roma inclusion meant to achieve?",
    "Which rights does the social welfare committee mainly answer for?",
    "How long is the strategy valid?",
]


class Counting:
    """The embedder, with its calls counted."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model_id = inner, inner.model_id
        self.calls: list[tuple[Role, int]] = []

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls.append((role, len(texts)))
        return self.inner.embed(texts, role)

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))  # type: ignore[attr-defined]


def test_an_english_answer_embeds_only_its_question_and_quotes_as_before(default_searcher) -> None:  # type: ignore[no-untyped-def]
    counting = Counting(default_searcher.embedder)
    with_files = Searcher(default_searcher.client, counting, files=default_searcher.files)  # type: ignore[arg-type]
    assert with_files.current().statements is not None and with_files.current().source == "files"
    per_question = Searcher(default_searcher.client, default_searcher.embedder)  # from Chroma: no statement vectors
    assert per_question.current().statements is None
    for question in ENGLISH:
        counting.calls.clear()
        got = answer_question(question, with_files, NEVER_REFUSE)
        assert counting.calls == [("query", 1)], question
        before = answer_question(question, per_question, NEVER_REFUSE)
        assert not got.refused and got.quotes, question
        assert [q.text for q in got.quotes] == [q.text for q in before.quotes], question


def test_every_statement_of_every_window_is_stored_as_the_model_embeds_it(default_searcher) -> None:  # type: ignore[no-untyped-def]
    gen = default_searcher.current()
    stored = gen.statements
    assert stored is not None
    texts = [st.text for row in range(len(gen.chunks)) for st in statements(window(gen, gen.chunks[row], 1)[0].text)]
    found = stored.lookup([statement_key(gen.state.model_id, t) for t in texts])
    assert texts and all(v is not None for v in found)
    sample = list(dict.fromkeys(texts))[:12]
    direct = default_searcher.embedder.embed(sample, "passage")
    for text, vec in zip(sample, direct, strict=True):
        (kept,) = stored.lookup([statement_key(gen.state.model_id, text)])
        assert kept is not None
        assert float(kept @ vec) / float(np.linalg.norm(vec)) > 0.999, text  # float16 on disk


def _ingest(tmp_path: Path, on: bool) -> tuple[Searcher, HashingEmbedder, Path]:
    settings = load_settings().with_corpus(REPO / "corpus").with_data(tmp_path / "data")
    settings = dataclasses.replace(settings, statement_vectors=on)
    embedder = HashingEmbedder()
    client = open_client(settings)
    report = run_ingest(settings, embedder, client)
    assert (report.statements_embedded > 0) is on
    return Searcher(client, embedder, files=settings.data_dir), embedder, settings.data_dir


def test_turned_off_the_english_quote_embeds_its_statements_per_question(tmp_path: Path) -> None:
    searcher, embedder, data = _ingest(tmp_path, on=False)
    state = read_live(searcher.client)
    assert state is not None
    assert not (snapshot_dir(data, state.generation) / "statement_keys.npy").exists()
    assert searcher.current().statements is None
    calls = embedder.calls
    answer = answer_question(ENGLISH[0], searcher, NEVER_REFUSE)
    assert answer.quotes and embedder.calls - calls == 2  # the question, then the top passage's statements


def test_statements_added_after_the_switch_are_picked_up_by_a_running_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher, embedder, data = _ingest(tmp_path, on=False)
    gen = searcher.current()
    assert gen.statements is None and gen.source == "files"
    # The ingest adds them after its switch; a run that stopped before (or had them off)
    # leaves them to the next run, even when nothing else changed.
    settings = dataclasses.replace(load_settings().with_corpus(REPO / "corpus").with_data(data),
                                   statement_vectors=True)
    again = run_ingest(settings, embedder, searcher.client)
    assert not again.switched and again.statements_embedded > 0
    monkeypatch.setattr(search_module, "STATEMENTS_LOOK_SECONDS", 0.0)
    assert searcher.current() is gen and gen.statements is not None
    calls = embedder.calls
    assert answer_question(ENGLISH[0], searcher, NEVER_REFUSE).quotes
    assert embedder.calls - calls == 1  # the question only
    assert run_ingest(settings, embedder, searcher.client).statements_embedded == 0  # there already


def test_statement_files_that_do_not_agree_are_not_used(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    searcher, embedder, data = _ingest(tmp_path, on=True)
    state = read_live(searcher.client)
    assert state is not None
    folder = snapshot_dir(data, state.generation)
    assert (folder / "statement_keys.npy").is_file()
    np.save(folder / "statement_keys.npy", np.arange(3, dtype=np.uint64))  # fewer keys than vectors
    snapshot = load_snapshot(data, state.generation)
    assert snapshot is not None and snapshot.statements is None  # the rest of the files still serve
    assert "statement vectors" in caplog.text
    fresh = Searcher(searcher.client, embedder, files=data)
    calls = embedder.calls
    assert answer_question(ENGLISH[0], fresh, NEVER_REFUSE).quotes
    assert embedder.calls - calls == 2  # the question, then its top passage's statements
