"""The Chroma store: one collection per index generation, and a `live` record that
names the generation queries use.

A re-ingest writes a whole new generation collection and then upserts the `live`
record in one call: that is the atomic switch. Readers look up `live` before each
query; a reader that opens a generation by name sees all of it (Chroma does not show
a long-running reader vectors added to a collection it already has open, so a
generation is never written to after it goes live).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from retrieval.errors import ConfigError, StoreUnavailableError
from retrieval.model import Chunk
from retrieval.settings import Settings

META = "assistant_meta"
PREFIX = "chunks_"
LIVE_ID = "live"
PAGE_SIZE = 5000


@dataclass(frozen=True)
class DocInfo:
    """What the index knows of one document (kept in the live record)."""

    doc: str
    title: str
    doc_hash: str
    meta_hash: str
    pages: int
    chunks: int
    ingested_at: float
    status: str = "ok"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveState:
    generation: str
    model_id: str
    dim: int
    created: float
    chunking: str
    documents: dict[str, DocInfo]
    previous: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @staticmethod
    def from_json(raw: str) -> LiveState:
        data = json.loads(raw)
        docs = {k: DocInfo(**v) for k, v in data.pop("documents").items()}
        return LiveState(documents=docs, **data)

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents.values())


def open_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        if not url.hostname:
            raise ConfigError(f"ASSISTANT_CHROMA_URL är ingen giltig adress: {settings.chroma_url!r}")
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreUnavailableError(str(exc)) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def _meta(client: ClientAPI) -> Collection:
    return client.get_or_create_collection(META, embedding_function=None)


def read_live(client: ClientAPI) -> LiveState | None:
    got = _meta(client).get(ids=[LIVE_ID], include=["documents"])
    docs = got.get("documents") or []
    return LiveState.from_json(docs[0]) if docs and docs[0] else None


def switch_live(client: ClientAPI, state: LiveState) -> None:
    """The atomic step: one upsert of one record."""
    _meta(client).upsert(ids=[LIVE_ID], documents=[state.to_json()], embeddings=[[1.0]])


def new_generation_name() -> str:
    return f"{PREFIX}{time.strftime('%Y%m%d%H%M%S')}_{int(time.time_ns() % 1_000_000):06d}"


def create_generation(client: ClientAPI, name: str, model_id: str) -> Collection:
    return client.create_collection(
        name, embedding_function=None,
        metadata={"hnsw:space": "cosine", "model_id": model_id},
    )


def open_generation(client: ClientAPI, name: str) -> Collection:
    return client.get_collection(name, embedding_function=None)


def chunk_metadata(chunk: Chunk, embed_hash: str) -> dict[str, str | int]:
    return {
        "doc": chunk.doc, "title": chunk.title, "page": chunk.page if chunk.page is not None else -1,
        "page_label": chunk.page_label or "", "section": chunk.section or "",
        "start": chunk.start, "end": chunk.end, "content_hash": chunk.content_hash,
        "doc_hash": chunk.doc_hash, "ordinal": chunk.ordinal, "embed_hash": embed_hash,
    }


def chunk_from_record(ident: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = int(meta["page"])
    return Chunk(
        id=ident, doc=str(meta["doc"]), title=str(meta["title"]),
        page=None if page < 0 else page, page_label=str(meta["page_label"]) or None,
        section=str(meta["section"]) or None, start=int(meta["start"]), end=int(meta["end"]),
        text=text, content_hash=str(meta["content_hash"]), doc_hash=str(meta["doc_hash"]),
        ordinal=int(meta["ordinal"]),
    )


def add_chunks(
    collection: Collection, chunks: Sequence[Chunk], vectors: np.ndarray, embed_hashes: Sequence[str]
) -> None:
    for i in range(0, len(chunks), PAGE_SIZE):
        part = chunks[i : i + PAGE_SIZE]
        collection.add(
            ids=[c.id for c in part],
            embeddings=vectors[i : i + PAGE_SIZE],
            documents=[c.text for c in part],
            metadatas=[chunk_metadata(c, h) for c, h in zip(part, embed_hashes[i : i + PAGE_SIZE], strict=True)],
        )


def iter_records(collection: Collection, with_vectors: bool) -> Iterator[tuple[Chunk, str, np.ndarray | None]]:
    """Every chunk of a generation with its embed hash (and vector when asked)."""
    include: list[Any] = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
    total = collection.count()
    for offset in range(0, total, PAGE_SIZE):
        got = collection.get(include=include, limit=PAGE_SIZE, offset=offset)
        vectors = got.get("embeddings") if with_vectors else None
        for i, ident in enumerate(got["ids"]):
            meta = dict(got["metadatas"][i])  # type: ignore[index]
            vec = None if vectors is None else np.asarray(vectors[i], dtype=np.float32)
            yield chunk_from_record(ident, got["documents"][i], meta), str(meta["embed_hash"]), vec  # type: ignore[index]


def generations(client: ClientAPI) -> list[str]:
    return sorted(c.name for c in client.list_collections() if c.name.startswith(PREFIX))


def drop_old_generations(client: ClientAPI, keep: Sequence[str]) -> list[str]:
    """Delete every generation but `keep` (the live one and the one before it, which
    readers may still be querying). Orphans of crashed runs go too."""
    dropped = []
    for name in generations(client):
        if name not in keep:
            client.delete_collection(name)
            dropped.append(name)
    return dropped

