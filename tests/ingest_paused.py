"""Test only: the real ingest CLI, paused at one phase so that a crash test can SIGKILL
it there.

    python tests/ingest_paused.py CORPUS --data DATA --pause-at PHASE

Every argument but --pause-at goes to `python -m ingest`. At PHASE (locked, embedding,
created, added, files, switched) the run prints "TEST-PAUSE PHASE" on stderr and sleeps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from ingest.__main__ import main  # noqa: E402
from ingest.pipeline import OnPhase  # noqa: E402

PHASES = ("locked", "embedding", "created", "added", "files", "switched")


def pause_at(phase: str, seconds: float = 600) -> OnPhase:
    def on_phase(current: str) -> None:
        if current == phase:
            print(f"\nTEST-PAUSE {phase}", file=sys.stderr, flush=True)
            time.sleep(seconds)

    return on_phase


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause-at", required=True, choices=PHASES)
    args, rest = parser.parse_known_args()
    sys.exit(main(rest, on_phase=pause_at(args.pause_at)))
