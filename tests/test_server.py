"""Server mode on a real `chroma run`: ingest through ASSISTANT_CHROMA_URL, two separate
asking processes (each with an empty data folder of its own, like two app instances on
two machines), a re-ingest while they ask, and the switch seen by both."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.embedders import HashingEmbedder
from core.errors import IngestBusyError, StoreUnavailableError
from core.settings import Settings, load_settings
from core.store import (
    LEASE_ID,
    Lease,
    _meta,
    _write_lease,
    acquire_lease,
    generations,
    ingest_lease,
    open_client,
    read_lease,
    read_live,
    release_lease,
)
from ingest.pipeline import run_ingest
from retrieval.search import Searcher
from tests.conftest import DEFAULT_QUESTION, REPO
from tests.servers import Server, base_env, free_port, start_chroma

pytestmark = pytest.mark.slow

DOC = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"
OLD = "Kommunstyrelsen föreslås ansvara"
NEW = "Socialnämnden föreslås ansvara"

# A long-running asker: one process, one Searcher, answer_question in a loop; one JSON
# line per answer (or per error) on stdout. Bounded by a deadline and a stop file.
ASKER = r"""
import json, sys, time, traceback
from pathlib import Path
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from core.embedders import make_embedder
from retrieval.search import Searcher
from core.settings import load_settings
from core.store import open_client

question, stop, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
settings = load_settings()
searcher = Searcher(open_client(settings), make_embedder(settings))
calibration = Calibration.load()
deadline = time.monotonic() + seconds
while time.monotonic() < deadline and not stop.exists():
    try:
        before = searcher.current().state.generation
        answer = answer_question(question, searcher, calibration, k=settings.top_k)
        after = searcher.current().state.generation
        row = {"t": time.time(), "answer": answer.text, "refused": answer.refused,
               "generation": before if before == after else "switching"}
    except Exception as exc:
        row = {"t": time.time(), "error": repr(exc), "trace": traceback.format_exc()}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    time.sleep(0.1)
"""


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers a test starts itself (restarts); all stopped at the end."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in (REPO / "corpus").iterdir():
        if path.is_file():
            shutil.copy(path, corpus)
    return corpus


def _edit(corpus: Path) -> None:
    path = corpus / DOC
    text = path.read_text(encoding="utf-8")
    assert text.count(OLD) == 1
    path.write_text(text.replace(OLD, NEW), encoding="utf-8")


def _server_settings(tmp_path: Path, corpus: Path, url: str, name: str = "data") -> Settings:
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / name)
    return dataclasses.replace(settings, chroma_url=url)


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip().startswith("{") and line.endswith("}")]


def _wait(what: str, done: Callable[[], bool], timeout: float,
          askers: list[tuple[subprocess.Popen[bytes], Path, Path]]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        for proc, out, _ in askers:
            if proc.poll() is not None:
                err = out.with_suffix(".err").read_text(errors="replace")[-3000:]
                raise AssertionError(f"an asker exited with {proc.returncode} while waiting for {what}:\n{err}")
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.timeout(900)
def test_two_processes_follow_a_reingest_on_the_server(tmp_path: Path, chroma: Server) -> None:
    corpus = _corpus(tmp_path)
    ingest_env = base_env(ASSISTANT_CHROMA_URL=chroma.url, ASSISTANT_DATA=str(tmp_path / "ingest-data"))
    first = _cli("ingest", str(corpus), env=ingest_env)
    assert first.returncode == 0, first.stderr
    assert "1 tillagt" in first.stdout
    assert not (tmp_path / "ingest-data" / "chroma").exists(), "server mode writes no embedded store"
    assert (tmp_path / "ingest-data" / "ingest-history.jsonl").exists()

    stop = tmp_path / "stop"
    askers: list[tuple[subprocess.Popen[bytes], Path, Path]] = []
    # Both address forms of ASSISTANT_CHROMA_URL: a URL and a bare host:port.
    for n, url in enumerate([chroma.url, f"127.0.0.1:{chroma.port}"]):
        data = tmp_path / f"asker{n}-data"
        out = tmp_path / f"asker{n}.jsonl"
        env = base_env(ASSISTANT_CHROMA_URL=url, ASSISTANT_DATA=str(data))
        with open(out, "wb") as stdout, open(out.with_suffix(".err"), "wb") as stderr:
            proc = subprocess.Popen([sys.executable, "-c", ASKER, DEFAULT_QUESTION, str(stop), "600"],
                                    cwd=REPO, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        askers.append((proc, out, data))
    procs = [p for p, _, _ in askers]
    try:
        def answered(text: str, times: int, after: float = 0.0) -> Callable[[], bool]:
            def each(out: Path) -> int:
                return sum(1 for r in _rows(out) if text in str(r.get("answer", "")) and r["t"] >= after)

            return lambda: all(each(out) >= times for _, out, _ in askers)

        _wait("both askers to answer from the first index", answered(OLD, 3), 240, askers)
        _edit(corpus)
        started = time.time()
        second = _cli("ingest", str(corpus), env=ingest_env)
        finished = time.time()
        assert second.returncode == 0, second.stderr
        assert "1 ändrat" in second.stdout
        # While the re-ingest ran, both kept answering (from the old generation).
        for _, out, _ in askers:
            during = [r for r in _rows(out) if started <= r["t"] <= finished]
            assert during, "an asker gave no answer while the re-ingest ran"
        _wait("both askers to switch to the new index", answered(NEW, 3, after=finished), 120, askers)
    finally:
        stop.touch()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    live = read_live(open_client(_server_settings(tmp_path, corpus, chroma.url, "reader-data")))
    assert live is not None and live.previous is not None
    for proc, out, data in askers:
        err = out.with_suffix(".err").read_text(errors="replace")
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        rows = _rows(out)
        errors = [r for r in rows if "error" in r]
        assert not errors, errors[0].get("trace")
        assert all(not r["refused"] for r in rows)
        kinds = [OLD if OLD in str(r["answer"]) else NEW if NEW in str(r["answer"]) else "other" for r in rows]
        assert "other" not in kinds, [r["answer"] for r in rows if OLD not in str(r["answer"])]
        switch = kinds.index(NEW)
        assert kinds == [OLD] * switch + [NEW] * (len(kinds) - switch), "the switch is one step, never back"
        # Each answer came from one generation: the first index, then the new one
        # (an answer that spanned the switch is marked and left out).
        assert {r["generation"] for r in rows[:switch]} - {"switching"} == {live.previous}
        assert {r["generation"] for r in rows[switch:]} - {"switching"} == {live.generation}
        assert not (data / "chroma").exists(), "an app instance needs no local store"

    # The command line asks the server too, from yet another empty data folder.
    ask_env = base_env(ASSISTANT_CHROMA_URL=chroma.url, ASSISTANT_DATA=str(tmp_path / "cli-data"))
    done = _cli("retrieval", "ask", DEFAULT_QUESTION, "--json", env=ask_env)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert NEW in got["answer"] and got["passages"][0]["section"] == "Ansvarsfördelning"


def test_read_live_and_searcher_follow_a_switch_made_by_another_client(tmp_path: Path, chroma: Server) -> None:
    corpus = _corpus(tmp_path)
    writer_settings = _server_settings(tmp_path, corpus, chroma.url, "writer")
    reader_settings = _server_settings(tmp_path, corpus, f"127.0.0.1:{chroma.port}", "reader")
    writer, reader = open_client(writer_settings), open_client(reader_settings)
    embedder = HashingEmbedder()
    assert read_live(reader) is None

    first = run_ingest(writer_settings, embedder, writer)
    state = read_live(reader)
    assert state is not None and state.generation == first.generation
    assert state.documents[DOC].title.startswith("Socialförvaltningens tjänsteutlåtande")
    searcher = Searcher(reader, embedder)
    top = searcher.search(DEFAULT_QUESTION, k=3)[0].chunk
    assert OLD in top.text and top.section == "Ansvarsfördelning"
    loaded = searcher.current()

    _edit(corpus)
    second = run_ingest(writer_settings, embedder, writer)
    assert second.switched and second.generation != first.generation
    state = read_live(reader)
    assert state is not None and state.generation == second.generation and state.previous == first.generation
    top = searcher.search(DEFAULT_QUESTION, k=3)[0].chunk
    assert NEW in top.text and OLD not in top.text
    assert searcher.current() is not loaded and searcher.current().state.generation == second.generation
    # The generation before stays queryable for readers still on it; older ones go.
    assert loaded.collection.count() == len(loaded.chunks)
    assert generations(reader) == sorted([first.generation, second.generation])  # type: ignore[type-var]
    (corpus / "tillagg.md").write_text("# Tillägg\n\nEtt nytt dokument.\n", encoding="utf-8")
    third = run_ingest(writer_settings, embedder, writer)
    assert generations(reader) == sorted([second.generation, third.generation])  # type: ignore[type-var]


def test_ingest_lease_keeps_a_second_ingest_out(tmp_path: Path, chroma: Server) -> None:
    settings = _server_settings(tmp_path, _corpus(tmp_path), chroma.url)
    a, b = open_client(settings), open_client(settings)
    with ingest_lease(settings, a):
        held = read_lease(b)
        assert held is not None and held.expires > time.time()
        with pytest.raises(IngestBusyError):
            acquire_lease(b, "another-host:1", settle=0)
        with pytest.raises(IngestBusyError):
            with ingest_lease(settings, b):
                pass
        release_lease(b, "another-host:1")  # not the holder: nothing happens
        assert read_lease(a) == held
    assert read_lease(b) is None, "released on exit"

    _write_lease(a, Lease("crashed-host:9", time.time() - 1))  # a lease that ran out
    assert acquire_lease(b, "b:2", settle=0).holder == "b:2"
    release_lease(b, "b:2")
    assert not _meta(b).get(ids=[LEASE_ID])["ids"]
    assert read_live(b) is None, "the lease is not the live record"

    # Renewed while the ingest runs: a short lease outlives its ttl.
    with ingest_lease(settings, a, ttl=0.9):
        time.sleep(2.0)
        lease = read_lease(b)
        assert lease is not None and lease.expires > time.time()
    # The embedded store has its flock: no lease there.
    with ingest_lease(dataclasses.replace(settings, chroma_url=""), a):
        assert read_lease(b) is None


def test_a_server_that_is_gone_is_reported_in_swedish(tmp_path: Path, chroma: Server) -> None:
    corpus = _corpus(tmp_path)
    client = open_client(_server_settings(tmp_path, corpus, chroma.url))
    assert read_live(client) is None
    chroma.stop()
    with pytest.raises(StoreUnavailableError):
        read_live(client)

    nowhere = f"http://127.0.0.1:{free_port()}"
    env = base_env(ASSISTANT_CHROMA_URL=nowhere, ASSISTANT_DATA=str(tmp_path / "data"))
    done = _cli("ingest", str(corpus), env=env)
    assert done.returncode == 4, done.stderr
    assert "Dokumentlagret (Chroma) svarar inte" in done.stderr and "Traceback" not in done.stderr
    done = _cli("retrieval", "ask", DEFAULT_QUESTION, env=env)
    assert done.returncode == 2 and "Dokumentlagret (Chroma) svarar inte" in done.stderr


def test_restart_and_restore_of_the_server_folder(tmp_path: Path, servers: list[Server]) -> None:
    """What the README promises: the apps ride out a server restart, and a copy of the
    server's data folder taken while it was stopped brings that index back."""
    folder, backup = tmp_path / "chroma-server", tmp_path / "backup"
    servers.append(start_chroma(folder, tmp_path / "chroma.log"))
    port = servers[-1].port
    corpus = _corpus(tmp_path)
    settings = _server_settings(tmp_path, corpus, servers[-1].url)
    client, embedder = open_client(settings), HashingEmbedder()
    first = run_ingest(settings, embedder, client)
    searcher = Searcher(client, embedder)  # an app instance, kept across the restarts
    assert OLD in searcher.search(DEFAULT_QUESTION, k=3)[0].chunk.text

    servers[-1].stop()
    with pytest.raises(StoreUnavailableError):
        searcher.search(DEFAULT_QUESTION, k=3)
    shutil.copytree(folder, backup)
    servers.append(start_chroma(folder, tmp_path / "chroma.log", port=port))
    assert OLD in searcher.search(DEFAULT_QUESTION, k=3)[0].chunk.text, "the same client works again"

    _edit(corpus)
    second = run_ingest(settings, embedder, client)
    assert NEW in searcher.search(DEFAULT_QUESTION, k=3)[0].chunk.text

    servers[-1].stop()
    shutil.rmtree(folder)
    shutil.copytree(backup, folder)
    servers.append(start_chroma(folder, tmp_path / "chroma.log", port=port))
    state = read_live(client)
    assert state is not None and state.generation == first.generation != second.generation
    assert OLD in searcher.search(DEFAULT_QUESTION, k=3)[0].chunk.text, "the restored index is served"


def test_a_second_ingest_from_another_machine_exits_with_3(tmp_path: Path, chroma: Server) -> None:
    """The lease is wired into the ingest: another machine's run (a held lease in the
    meta collection; our own data folder, so our flock is free) stops with exit 3."""
    settings = _server_settings(tmp_path, _corpus(tmp_path), chroma.url)
    other = open_client(settings)
    _write_lease(other, Lease("other-machine:77", time.time() + 60))
    env = dict(os.environ, ASSISTANT_CHROMA_URL=chroma.url, ASSISTANT_DATA=str(tmp_path / "own-data"))
    done = _cli("ingest", str(settings.corpus_dir), env=env)
    assert done.returncode == 3, done.stderr
    assert "En annan inläsning pågår redan" in done.stderr
    assert read_live(other) is None, "nothing was switched"
    release_lease(other, "other-machine:77")
