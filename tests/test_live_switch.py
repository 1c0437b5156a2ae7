"""A second process asks questions in a loop while re-ingests build new generations,
switch to them and drop old ones: no query fails, and the answers move from the old
content to the new one, never back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.embedders import HashingEmbedder
from core.settings import load_settings
from core.store import open_client, read_live
from ingest.pipeline import run_ingest
from tests.conftest import REPO
from tests.index_checks import check_index
from tests.test_reingest import NEW, OLD, QUESTION, boendestod, write_corpus

pytestmark = pytest.mark.slow

READER = """
import json, sys, time
from pathlib import Path
from retrieval.answer import answer_question
from core.embedders import HashingEmbedder
from retrieval.search import Searcher
from core.settings import load_settings
from core.store import open_client

settings = load_settings().with_data(sys.argv[1])
stop = Path(sys.argv[2])
searcher = Searcher(open_client(settings), HashingEmbedder())
from tests.index_checks import never_refuse
while not stop.exists():
    try:
        ans = answer_question(sys.argv[3], searcher, never_refuse())
        row = {"answer": ans.text, "gen": searcher.current().state.generation}
    except Exception as exc:  # every failure is reported, none ends the loop
        row = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(row, ensure_ascii=False), flush=True)
"""


def test_queries_never_fail_and_move_from_old_to_new(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    client, embedder = open_client(settings), HashingEmbedder()
    run_ingest(settings, embedder, client)
    switched = [read_live(client).generation]  # type: ignore[union-attr]

    stop = tmp_path / "stop"
    env = dict(os.environ, PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([sys.executable, "-c", READER, str(settings.data_dir), str(stop), QUESTION],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows: list[dict[str, str]] = []

    def collect() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            rows.append(json.loads(line))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 60
        target = len(rows) + n
        while len(rows) < target:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the reader stopped answering"
            time.sleep(0.05)

    try:
        wait_for(5)  # the old content, while the reader is warm
        (corpus / "boendestod.md").write_text(boendestod(NEW), encoding="utf-8")
        assert run_ingest(settings, embedder, client).switched
        switched.append(read_live(client).generation)  # type: ignore[union-attr]
        wait_for(5)
        # More ingests switch again and drop the generation the reader may still be using.
        for i, topic in enumerate(("snöröjning", "lövblåsning", "sandupptagning", "glasåtervinning")):
            (corpus / f"extra{i}.md").write_text(f"# {topic.title()}\n\nOm {topic}.\n", encoding="utf-8")
            assert run_ingest(settings, embedder, client).switched
            switched.append(read_live(client).generation)  # type: ignore[union-attr]
            wait_for(2)
        wait_for(3)
    finally:
        stop.touch()
        proc.wait(timeout=30)
        reader.join(timeout=10)
    check_index(client)

    errors = [r["error"] for r in rows if "error" in r]
    assert not errors, errors[:3]
    kinds = ["old" if OLD in r["answer"] else "new" if NEW in r["answer"] else "?" for r in rows]
    assert "?" not in kinds
    first_new = kinds.index("new")
    assert first_new >= 5 and set(kinds[first_new:]) == {"new"}, kinds
    gens = [r["gen"] for r in rows]
    order = [switched.index(g) for g in gens]  # every generation it saw was a live one ...
    assert order == sorted(order) and order[0] == 0 and order[-1] == len(switched) - 1  # ... in order
