"""Hybrid search over the live index generation: dense (Chroma) + BM25, fused."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import NotFoundError

from core.embedders import Embedder
from core.errors import IndexMissingError, ModelMismatchError
from core.lexical import LexicalIndex
from core.records import Chunk, Passage
from core.snapshot import ChunkTable, Snapshot, load_snapshot, load_statements, reading_order, unit_rows, write_snapshot
from core.statement_vectors import StatementVectors
from core.store import LiveState, iter_records, open_generation, read_pointer, read_state
from core.text import indexed_text
from core.windows import CONTEXT, window_at
from retrieval.filters import NO_FILTER, DocFilter
from retrieval.fusion import Norm, convex_fusion, reciprocal_rank_fusion
from retrieval.language import is_english

Mode = Literal["hybrid", "hybrid-rrf", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "hybrid-rrf", "dense", "bm25")
ALPHA = 0.5  # weight of the dense scores in the convex fusion (bench/README.md)
NORM: Norm = "z"  # how each retriever's scores are scaled before the fusion (bench/README.md)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    score: float
    dense: float | None  # cosine similarity, when the dense retriever found it
    lexical: float | None  # BM25 score, when the lexical retriever found it


# Up to this many chunks (about 150 MB of vectors) the dense search is exact, in numpy over
# every vector loaded with the generation; above it, Chroma's approximate HNSW search.
EXACT_MAX = 100_000
# The ingest adds a generation's statement vectors after switching to it: a reader without
# them looks in the generation's files this often (one stat).
STATEMENTS_LOOK_SECONDS = 5.0


class LoadedGeneration:
    """Everything a query needs from one generation, loaded once: from the generation's
    files (core/snapshot.py) when the ingest or an earlier reader wrote them, else from
    Chroma (every chunk read, BM25 built)."""

    def __init__(self, state: LiveState, collection: Collection, chunks: Sequence[Chunk],
                 lexical: LexicalIndex, vectors: np.ndarray | None, source: Literal["files", "store"],
                 statements: StatementVectors | None = None) -> None:
        self.state = state
        self.collection = collection
        self.chunks = chunks  # in reading order; a row is a position in it
        if isinstance(chunks, ChunkTable):
            ids, self.docs = chunks.ids, chunks.docs
        else:
            ids, self.docs = [c.id for c in chunks], np.array([c.doc for c in chunks], dtype=object)
        self.ids = ids  # row by row
        self.by_id = {ident: row for row, ident in enumerate(ids)}
        self.lexical = lexical
        # Unit vectors of every chunk, row for row, for the exact dense search; None above
        # EXACT_MAX (Chroma's approximate search then).
        self.vectors = vectors if vectors is not None and len(chunks) <= EXACT_MAX else None
        self.source = source
        self.statements = statements  # the statements' vectors for English quotes, when the ingest wrote them
        self.statements_looked = time.monotonic()  # when the files were last looked at for them

    @classmethod
    def from_store(cls, state: LiveState, collection: Collection,
                   index_text: Callable[[Chunk], str] = indexed_text) -> LoadedGeneration:
        exact = collection.count() <= EXACT_MAX
        records = list(iter_records(collection, with_vectors=exact))
        records = [records[i] for i in reading_order([c for c, _, _ in records])]
        chunks = [c for c, _, _ in records]
        vectors = None
        if exact and records and all(v is not None for _, _, v in records):
            vectors = unit_rows(np.stack([v for _, _, v in records if v is not None]))
        return cls(state, collection, chunks, LexicalIndex([index_text(c) for c in chunks]), vectors, "store")

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, collection: Collection) -> LoadedGeneration:
        return cls(snapshot.state, collection, snapshot.chunks, snapshot.lexical, snapshot.vectors, "files",
                   snapshot.statements)

    def chunks_of(self, doc: str) -> list[Chunk]:
        """The chunks of one document, in reading order."""
        return [self.chunks[int(row)] for row in np.flatnonzero(self.docs == doc)]


class Searcher:
    """Follows the live generation; safe to share between threads."""

    def __init__(self, client: ClientAPI, embedder: Embedder, pool: int = 30,
                 index_text: Callable[[Chunk], str] = indexed_text, files: Path | None = None) -> None:
        self.client = client
        # The data folder whose generation files (core/snapshot.py) this searcher reads, and
        # writes for the next process when it had to build a generation from Chroma.
        self.files = files if index_text is indexed_text else None
        self.embedder = embedder
        self.pool = pool
        self.index_text = index_text  # what the lexical index reads of a chunk (the ingest's choice)
        self._lock = threading.Lock()
        self._loaded: LoadedGeneration | None = None

    def current(self) -> LoadedGeneration:
        for attempt in (1, 2):
            pointer = read_pointer(self.client)  # small: read before every query
            if pointer is None:
                raise IndexMissingError("no live generation")
            if pointer.model_id != self.embedder.model_id:
                raise ModelMismatchError(pointer.model_id, self.embedder.model_id)
            loaded = self._loaded
            if loaded is None or loaded.state.generation != pointer.generation:
                with self._lock:
                    loaded = self._loaded
                    if loaded is None or loaded.state.generation != pointer.generation:
                        try:
                            loaded = self._load(pointer.generation)
                        except NotFoundError:
                            if attempt == 2:
                                raise
                            continue  # dropped by a later ingest after we read `live`: read it again
                        self._loaded = loaded
            if loaded.statements is None and loaded.source == "files" and self.files is not None:
                self._look_for_statements(loaded)
            return loaded
        raise AssertionError("unreachable")

    def _load(self, generation: str) -> LoadedGeneration:
        """Generation `generation`, from its files when they are there, else from Chroma
        (and then its files written, when the data folder allows). NotFoundError when it
        was dropped meanwhile."""
        collection = open_generation(self.client, generation)
        if self.files is not None:
            snapshot = load_snapshot(self.files, generation)
            if snapshot is not None:
                return LoadedGeneration.from_snapshot(snapshot, collection)
        state = read_state(self.client, generation)
        if state is None:
            raise NotFoundError(f"state of {generation}")
        loaded = LoadedGeneration.from_store(state, collection, self.index_text)
        if self.files is not None and loaded.vectors is not None:
            try:
                write_snapshot(self.files, state, loaded.chunks, loaded.vectors, self.index_text,
                               lexical=loaded.lexical, ordered=True)
            except OSError as exc:  # a read-only data folder: the next process builds it again
                log.info("could not write the files of generation %s: %s", generation, exc)
        return loaded

    def _look_for_statements(self, loaded: LoadedGeneration) -> None:
        now = time.monotonic()
        if now - loaded.statements_looked >= STATEMENTS_LOOK_SECONDS:
            loaded.statements_looked = now
            assert self.files is not None
            loaded.statements = load_statements(self.files, loaded.state.generation)

    def follow(self, every: float) -> threading.Event:
        """Load each new live generation in the background, within `every` seconds of
        its switch, so that the first question after a re-ingest does not wait for the
        load (BM25 over 10k chunks: seconds). Set the returned event to stop; it stops by
        itself when this Searcher is collected, and at exit before the interpreter shuts
        down (no store call runs during finalisation)."""
        stop = threading.Event()
        ref = weakref.ref(self)

        def run() -> None:
            while not stop.wait(every):
                searcher = ref()
                if searcher is None:
                    return
                try:
                    searcher.current()
                except Exception as exc:  # noqa: BLE001 - no index yet, store away: the next question says so
                    log.debug("following the live index: %s", exc)
                del searcher

        thread = threading.Thread(target=run, name="searcher-follow", daemon=True)
        thread.start()
        weakref.finalize(self, _stop_following, stop, thread)
        return stop

    @property
    def loaded_generation(self) -> str | None:
        loaded = self._loaded
        return loaded.state.generation if loaded else None

    def embed_query(self, question: str) -> np.ndarray:
        vector: np.ndarray = self.embedder.embed([question], "query")[0]
        return vector

    def search(self, question: str, k: int, mode: Mode | Method = "hybrid",
               query_vector: np.ndarray | None = None, english: bool | None = None,
               docs: DocFilter = NO_FILTER, today: dt.date | None = None) -> list[Candidate]:
        return self.search_generation(question, k, mode, query_vector, english, docs, today)[1]

    def search_generation(
        self, question: str, k: int, mode: Mode | Method = "hybrid", query_vector: np.ndarray | None = None,
        english: bool | None = None, docs: DocFilter = NO_FILTER, today: dt.date | None = None,
    ) -> tuple[LoadedGeneration, list[Candidate]]:
        """The candidates and the generation they came from (one generation, always).
        `english`: the caller's language decision for the question (else made here);
        `docs`: only passages of the documents it allows are searched (none when it allows none)."""
        method = METHODS[mode] if isinstance(mode, str) else mode
        pool = max(self.pool, k)
        for attempt in (1, 2):
            gen = self.current()
            allowed = docs.allowed(gen.state.documents, today or dt.date.today()) if docs.active else None
            if not gen.chunks or allowed == []:
                return gen, []
            if method.dense and query_vector is None:
                query_vector = self.embed_query(question)
            try:
                scores = retrieve(gen, question, query_vector if method.dense else None, pool, method.lexical,
                                  allowed)
            except NotFoundError:
                # A later ingest dropped this generation while we were using it: forget it,
                # read `live` again and retry once (dense and BM25 stay on one generation).
                with self._lock:
                    if self._loaded is gen:
                        self._loaded = None
                if attempt == 2:
                    raise
                continue
            fused = method.fuse(scores, is_english(question) if english is None else english)
            ranked = [
                Candidate(gen.chunks[gen.by_id[ident]], score, scores.dense.get(ident), scores.lexical.get(ident))
                for ident, score in fused
                if ident in gen.by_id
            ]
            return gen, with_context(gen, ranked, method.context)[:k]
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class Scores:
    """What each retriever returned for a question: chunk id -> score, best first."""

    dense: dict[str, float]  # cosine similarity
    lexical: dict[str, float]  # BM25
    pool: int  # how many each retriever was asked for


def retrieve(gen: LoadedGeneration, question: str, vector: np.ndarray | None, pool: int,
             lexical: bool = True, docs: Sequence[str] | None = None) -> Scores:
    """The dense scores (when a query vector is given) and the BM25 scores (when
    `lexical`) of `pool` candidates each, of the chunks of `docs` only when given (not
    empty). NotFoundError when the generation was dropped."""
    dense: dict[str, float] = {}
    rows = None if docs is None else np.isin(gen.docs, list(docs))
    size = len(gen.chunks) if rows is None else int(rows.sum())
    if vector is not None and size and gen.vectors is not None:
        dense = _exact(gen, vector, min(pool, size), rows)
    elif vector is not None and size:
        # Chroma filters on the metadata first and searches the vectors of those ids only.
        where: Any = None if docs is None else {"doc": {"$in": list(docs)}}
        got = gen.collection.query(query_embeddings=[vector.tolist()], n_results=min(pool, size),
                                   where=where, include=["distances"])
        dense = {i: 1.0 - float(d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)}  # type: ignore[index]
    bm25 = {gen.ids[row]: s for row, s in gen.lexical.search(question, pool, rows)} if lexical else {}
    return Scores(dense, bm25, pool)


def _exact(gen: LoadedGeneration, vector: np.ndarray, n: int, rows: np.ndarray | None) -> dict[str, float]:
    """The `n` chunks (of `rows` when given) most similar to `vector` by cosine, over every
    vector: the same answer in every process (Chroma's HNSW is approximate, and a fresh
    process's graph can miss the best passage). Ties go to the earlier chunk."""
    assert gen.vectors is not None
    norm = float(np.linalg.norm(vector))
    sims = gen.vectors @ (np.asarray(vector, dtype=np.float32) / (norm or 1.0))
    if rows is not None:
        sims = np.where(rows, sims, -np.inf)
    order = np.argsort(-sims, kind="stable")[:n]
    return {gen.ids[i]: float(sims[i]) for i in order if np.isfinite(sims[i])}


Fusion = Callable[[Scores, bool], list[tuple[str, float]]]  # (scores, English question) -> ranked ids


def convex(alpha: float = ALPHA, norm: Norm = NORM) -> Fusion:
    """The fusion of mode "hybrid"."""
    def fuse(scores: Scores, english: bool) -> list[tuple[str, float]]:
        return fuse_hybrid(scores.dense, scores.lexical, english, scores.pool, alpha, norm)

    return fuse


def rrf(weights: Mapping[str, float] | None = None, k: int = 60, english_switch: bool = True) -> Fusion:
    """Reciprocal rank fusion (mode "hybrid-rrf"); over one retriever's list, its order."""
    def fuse(scores: Scores, english: bool) -> list[tuple[str, float]]:
        rankings = {name: list(s) for name, s in (("dense", scores.dense), ("bm25", scores.lexical)) if s}
        w = {"dense": 1.0, "bm25": 1.0, **(weights or {})}
        if english and english_switch:
            w["bm25"] = 0.0
        return reciprocal_rank_fusion(rankings, w, k)

    return fuse


@dataclass(frozen=True)
class Method:
    """Which retrievers run, how their scores are fused, and how many neighbouring
    passages on each side a hit is shown with (`context`, see `with_context`)."""

    dense: bool
    lexical: bool
    fuse: Fusion
    context: int = CONTEXT


METHODS: dict[Mode, Method] = {
    "hybrid": Method(True, True, convex()),
    "hybrid-rrf": Method(True, True, rrf()),
    "dense": Method(True, False, rrf(english_switch=False)),
    "bm25": Method(False, True, rrf(english_switch=False)),
}


def _stop_following(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    if thread is not threading.current_thread():
        thread.join(timeout=10)


def fuse_hybrid(dense: dict[str, float], lexical: dict[str, float], english: bool, pool: int,
                alpha: float = ALPHA, norm: Norm = NORM) -> list[tuple[str, float]]:
    """The fusion of mode "hybrid": `pool` candidates asked of each retriever."""
    if english:  # Swedish stems do not match English words: dense alone for English questions
        return convex_fusion(dense, {}, 1.0, norm)
    # Fewer BM25 hits than asked for: the list holds every matching chunk, the rest score 0.
    floor = 0.0 if len(lexical) < pool else None
    return convex_fusion(dense, lexical, alpha, norm, floor)


def window(gen: LoadedGeneration, chunk: Chunk, context: int,
           taken: set[str] | None = None) -> tuple[Chunk, frozenset[str]]:
    """`chunk` of `gen` widened by its neighbours (core/windows.py)."""
    return window_at(gen.chunks, gen.by_id[chunk.id], context, taken)


def with_context(gen: LoadedGeneration, ranked: Sequence[Candidate], context: int) -> list[Candidate]:
    """Each hit shown with its neighbours; a hit already shown inside a better one's
    window is dropped, so the list holds distinct text."""
    if context <= 0:
        return list(ranked)
    out: list[Candidate] = []
    shown: set[str] = set()
    for cand in ranked:
        if cand.chunk.id in shown:
            continue
        chunk, covered = window(gen, cand.chunk, context, shown)
        shown |= covered
        out.append(replace(cand, chunk=chunk))
    return out


def to_passages(candidates: Sequence[Candidate], state: LiveState) -> list[Passage]:
    return [Passage(chunk=c.chunk, score=c.score, doc=state.documents[c.chunk.doc]) for c in candidates]
