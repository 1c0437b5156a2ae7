"""Invariants of the index after an ingest, checked against the real Chroma."""

from __future__ import annotations

from collections import Counter

from chromadb.api import ClientAPI

from core.records import Chunk
from core.store import LiveState, generations, iter_records, open_generation, read_live


def live_chunks(client: ClientAPI) -> list[Chunk]:
    state = read_live(client)
    assert state is not None
    return [c for c, _, _ in iter_records(open_generation(client, state.generation), with_vectors=False)]


def check_index(client: ClientAPI, settled: bool = True) -> LiveState:
    """The live collection holds exactly the chunks the live record lists, once each, and
    they agree with their documents. Settled (after a completed run): at most two
    generations, the live one and the previous one; a killed run may leave more."""
    state = read_live(client)
    assert state is not None, "no live generation"
    gens = generations(client)
    assert state.generation in gens, gens
    if settled:
        assert len(gens) <= 2 and set(gens) <= {state.generation, state.previous}, gens
    collection = open_generation(client, state.generation)
    records = list(iter_records(collection, with_vectors=False))
    ids = [c.id for c, _, _ in records]
    assert len(ids) == len(set(ids)), "duplicated chunk ids"
    assert collection.count() == len(ids) == state.chunk_count
    assert Counter(c.doc for c, _, _ in records) == Counter(
        {d: info.chunks for d, info in state.documents.items() if info.chunks}
    ), "orphaned chunks or missing chunks"
    for chunk, _, _ in records:
        info = state.documents[chunk.doc]
        assert chunk.doc_hash == info.doc_hash and chunk.title == info.title, chunk.doc
    for doc, info in state.documents.items():
        ordinals = sorted(c.ordinal for c, _, _ in records if c.doc == doc)
        assert ordinals == list(range(info.chunks)), doc
    return state


def never_refuse():  # type: ignore[no-untyped-def]
    """A calibration that always answers (the refusal model is not under test here)."""
    from retrieval.refusal import Calibration

    return Calibration.never_refuse()
