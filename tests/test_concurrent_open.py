"""Several processes opening the same new, empty data folder at the same moment (a chat
and an ingest starting together, issue #16): each gets a working store, every time. Real
Chroma, separate processes released together by a shared start time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

OPENER = """
import sys, time
from core.settings import load_settings
from core.store import open_client
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
client = open_client(load_settings().with_data(sys.argv[1]))
client.get_or_create_collection("probe", embedding_function=None)
print("ok")
"""

PROCESSES = 4
ROUNDS = 8


def test_new_data_folder_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    failures = []
    for round_ in range(ROUNDS):
        data = tmp_path / f"d{round_}"
        start = time.time() + 3.0  # every process has imported chromadb by then
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(data), str(start)], cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(PROCESSES)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0 or out.strip() != "ok":
                failures.append(err[-2000:])
    assert not failures, f"{len(failures)} of {PROCESSES * ROUNDS} opens failed:\n" + failures[0]
