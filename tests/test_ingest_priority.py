"""An ingest lowers its own CPU priority (ASSISTANT_INGEST_NICE), every thread of it,
so questions asked on the same machine go first (issue #17, 6). The real CLI in a
subprocess; its threads' niceness read from /proc while it runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.__main__ import lower_priority
from tests.servers import REPO, base_env

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


def thread_niceness(pid: int) -> dict[str, int]:
    """Every thread's niceness (field 19 of /proc/PID/task/TID/stat), by "tid name"."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread just ended
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        out[f"{task.name} {name}"] = int(stat.rsplit(")", 1)[1].split()[16])
    return out


def test_the_ingest_cli_runs_every_thread_at_lower_priority(tmp_path: Path) -> None:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    env = base_env(ASSISTANT_CORPUS=str(tmp_path / "corpus"), ASSISTANT_DATA=str(tmp_path / "data"))
    expected = min(19, os.nice(0) + 10)  # the default step, from this process's niceness
    proc = subprocess.Popen([sys.executable, "-m", "ingest"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[str, int] = {}
    lowered = False  # the main thread was lowered in an earlier sample: the rest right after it
    try:
        while proc.poll() is None:
            try:
                now = thread_niceness(proc.pid)
            except OSError:
                break
            if lowered:
                seen.update(now)
            lowered = lowered or any(t.startswith(f"{proc.pid} ") and n == expected for t, n in now.items())
            time.sleep(0.02)
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == 0
    assert len(seen) > 3, f"never saw the ingest's threads: {seen}"  # main, numpy's, the engine, OpenMP's
    assert {t: n for t, n in seen.items() if n != expected} == {}, seen


def test_zero_leaves_the_priority() -> None:
    assert lower_priority(0) == os.nice(0)
