"""The Chroma store: one collection per index generation, and a `live` record that
names the generation queries use.

A re-ingest writes a whole new generation collection and then upserts the `live`
record in one call: that is the atomic switch. Readers look up `live` before each
query; a reader that opens a generation by name sees all of it (Chroma does not show
a long-running reader vectors added to a collection it already has open, so a
generation is never written to after it goes live).

With a Chroma server (ASSISTANT_CHROMA_URL) everything a reader needs lives on the
server, so any number of app instances follow the same `live` record. A server that
stops answering is a StoreUnavailableError; an ingest also takes a lease record in the
meta collection (`ingest_lease`), because the flock of `ingest/lock.py` only covers
one machine's data folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from core.errors import ConfigError, IngestBusyError, StoreUnavailableError
from core.records import Chunk, DocInfo, Statement, Validity
from core.settings import Settings

META = "assistant_meta"
PREFIX = "chunks_"
LIVE_ID = "live"
STATE_PREFIX = "state:"
LEASE_ID = "ingest_lease"
# Seconds a lease lasts unless renewed (every LEASE_TTL / 3): an ingest killed on another
# machine blocks others at most this long; one killed on this machine not at all (its pid).
LEASE_TTL = 30.0
_UNIT: list[Sequence[float] | Sequence[int]] = [[1.0]]  # meta records carry a 1-d dummy vector
PAGE_SIZE = 5000
SCHEMA = 2  # of the generation state record; 1: document facts in untyped dicts


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
        data: dict[str, object] = {
            "schema": SCHEMA, "generation": self.generation, "model_id": self.model_id, "dim": self.dim,
            "created": self.created, "chunking": self.chunking, "previous": self.previous,
            "documents": {name: _doc_json(info) for name, info in self.documents.items()},
        }
        return json.dumps(data, ensure_ascii=False)

    @staticmethod
    def from_json(raw: str) -> LiveState:
        data = json.loads(raw)
        read_doc = _doc_from_json if data.get("schema") == SCHEMA else _doc_from_schema_1
        return LiveState(
            generation=str(data["generation"]), model_id=str(data["model_id"]), dim=int(data["dim"]),
            created=float(data["created"]), chunking=str(data["chunking"]), previous=data.get("previous"),
            documents={name: read_doc(d) for name, d in data["documents"].items()},
        )

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents.values())


def _doc_json(info: DocInfo) -> dict[str, object]:
    data = {f.name: getattr(info, f.name) for f in fields(DocInfo)}
    data["validity"] = asdict(info.validity)
    data["statements"] = [asdict(st) for st in info.statements]
    data["extra"] = dict(info.extra)
    return data


def _doc_from_json(data: dict[str, Any]) -> DocInfo:
    data = dict(data)
    validity = Validity(**data.pop("validity"))
    statements = tuple(Statement(**st) for st in data.pop("statements"))
    return DocInfo(validity=validity, statements=statements, **data)


def _doc_from_schema_1(data: dict[str, Any]) -> DocInfo:
    """A document of an index written before the records were typed: facts in a `meta`
    dict, statements as `responsibilities` rows. Read so that the app keeps answering
    until the next ingest rebuilds the index (its chunking tag differs)."""
    meta = dict(data.get("meta") or {})

    def text(key: str) -> str | None:
        value = meta.pop(key, None)
        return None if value is None else str(value)

    validity = Validity(text("valid_from"), text("valid_to"), text("validity_source") or "okänd")
    known = {
        "kind": text("kind"), "issuer": text("issuer"), "source": text("source"), "adopted": text("adopted"),
        "replaced_by": text("replaced_by"), "excerpt": bool(meta.pop("excerpt", False)),
    }
    meta.pop("title", None)
    statements = tuple(
        Statement(str(r["actor"]), str(r["measure"]), str(r["sentence"]), r["page"], int(r["start"]), int(r["end"]))
        for r in data.get("responsibilities") or []
    )
    return DocInfo(
        doc=str(data["doc"]), title=str(data["title"]), doc_hash=str(data["doc_hash"]),
        meta_hash=str(data["meta_hash"]), pages=int(data["pages"]), chunks=int(data["chunks"]),
        ingested_at=float(data["ingested_at"]), status=str(data.get("status", "ok")),
        validity=validity, statements=statements, extra=meta, **known,  # type: ignore[arg-type]
    )


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
    for attempt in range(5):
        try:
            with _opening(settings.chroma_path):
                return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        except chromadb.errors.InternalError as exc:
            # Two processes opening a new, empty data folder at once both run Chroma's
            # schema migration; the loser fails with "table ... already exists". The
            # winner's schema is complete a moment later: open it again.
            if "already exists" not in str(exc) or attempt == 4:
                raise
            # chromadb caches the system before starting it: forget the one that failed.
            SharedSystemClient._identifier_to_system.pop(str(settings.chroma_path), None)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def _opening(path: Path) -> Iterator[None]:
    """One process at a time opens (and on a new folder creates) the embedded store: Chroma
    runs its schema migration when it opens, and two at once race on it. An flock on a file
    beside the store, held only while opening; the lock file stays (it is empty)."""
    with open(path.parent / f".{path.name}-open.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _reachable() -> Iterator[None]:
    """Server mode: a Chroma server that went away is a StoreUnavailableError, not a traceback."""
    try:
        yield
    except httpx.TransportError as exc:
        raise StoreUnavailableError(str(exc)) from exc


# The meta collection's few records are rewritten by every ingest that switches (a state
# record holds every document's facts, about 50 kB for 65 documents). Chroma purges a
# collection's log only up to what its vector index has saved, by default every 1000
# writes: the log kept up to 1000 old state records (the data folder grew by tens of MB).
# Saved every 10 writes, the log keeps at most about 10.
META_SYNC = 10


def _meta(client: ClientAPI) -> Collection:
    return client.get_or_create_collection(
        META, embedding_function=None,
        configuration={"hnsw": {"sync_threshold": META_SYNC, "batch_size": META_SYNC}},
    )


def tune_meta(client: ClientAPI) -> None:
    """Give a meta collection created before META_SYNC its small sync threshold
    (get_or_create keeps an existing collection's configuration)."""
    with _reachable(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "legacy embedding function config"
        meta = _meta(client)
        hnsw = dict(meta.configuration.get("hnsw") or {})
        if hnsw.get("sync_threshold") != META_SYNC:
            meta.modify(configuration={"hnsw": {"sync_threshold": META_SYNC, "batch_size": META_SYNC}})


@dataclass(frozen=True)
class LivePointer:
    """The small `live` record every query reads: which generation, built by which model.
    The generation's whole state (documents, metadata, responsibilities) is a record of
    its own, read only when the generation changes."""

    generation: str
    model_id: str


def _get_document(client: ClientAPI, ident: str) -> str | None:
    with _reachable():
        got = _meta(client).get(ids=[ident], include=["documents"])
    docs = got.get("documents") or []
    return docs[0] if docs and docs[0] else None


def read_pointer(client: ClientAPI) -> LivePointer | None:
    raw = _get_document(client, LIVE_ID)
    if raw is None:
        return None
    data = json.loads(raw)
    return LivePointer(str(data["generation"]), str(data["model_id"]))


def read_state(client: ClientAPI, generation: str) -> LiveState | None:
    raw = _get_document(client, STATE_PREFIX + generation)
    if raw is None:  # an index written before states had records of their own
        live = _get_document(client, LIVE_ID)
        if live is not None and '"documents"' in live:
            state = LiveState.from_json(live)
            return state if state.generation == generation else None
        return None
    return LiveState.from_json(raw)


def read_live(client: ClientAPI) -> LiveState | None:
    pointer = read_pointer(client)
    return read_state(client, pointer.generation) if pointer else None


def switch_live(client: ClientAPI, state: LiveState) -> None:
    """Write the generation's state, then the atomic step: one upsert of the small
    `live` record. A reader that sees the new pointer finds the state already there."""
    pointer = json.dumps({"generation": state.generation, "model_id": state.model_id})
    with _reachable():
        _meta(client).upsert(ids=[STATE_PREFIX + state.generation], documents=[state.to_json()], embeddings=_UNIT)
        _meta(client).upsert(ids=[LIVE_ID], documents=[pointer], embeddings=_UNIT)


@dataclass(frozen=True)
class Lease:
    holder: str
    expires: float


def read_lease(client: ClientAPI) -> Lease | None:
    with _reachable():
        got = _meta(client).get(ids=[LEASE_ID], include=["documents"])
    docs = got.get("documents") or []
    if not docs or not docs[0]:
        return None
    data = json.loads(docs[0])
    return Lease(str(data["holder"]), float(data["expires"]))


def _write_lease(client: ClientAPI, lease: Lease) -> None:
    with _reachable():
        _meta(client).upsert(ids=[LEASE_ID], documents=[json.dumps(asdict(lease))], embeddings=_UNIT)


def new_holder() -> str:
    """A lease holder's name: host, pid and a random part (`host:pid:hex`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(holder: str) -> bool:
    """True when the holder ran on this host and its process no longer exists (killed:
    its lease need not run out). A holder on another host is never known to be gone."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def acquire_lease(client: ClientAPI, holder: str, ttl: float = LEASE_TTL, settle: float = 0.2) -> Lease:
    """Best effort (Chroma has no compare-and-set): refuse while another holder's lease
    is unexpired and its holder may be alive, write ours, wait `settle`, and read back
    that the last writer is us. The refusal says when a stopped holder's lease runs out."""
    current = read_lease(client)
    now = time.time()
    if (current is not None and current.holder != holder and current.expires > now
            and not holder_is_gone(current.holder)):
        raise IngestBusyError(f"ingest lease held by {current.holder}", retry_seconds=current.expires - now)
    lease = Lease(holder, time.time() + ttl)
    _write_lease(client, lease)
    time.sleep(settle)
    back = read_lease(client)
    if back is None or back.holder != holder:
        raise IngestBusyError(f"ingest lease taken by {back.holder if back else 'someone'}", retry_seconds=ttl)
    return lease


def release_lease(client: ClientAPI, holder: str) -> None:
    """Delete the lease if it is still ours."""
    current = read_lease(client)
    if current is not None and current.holder == holder:
        with _reachable():
            _meta(client).delete(ids=[LEASE_ID])


@contextmanager
def ingest_lease(settings: Settings, client: ClientAPI, ttl: float = LEASE_TTL) -> Iterator[None]:
    """One ingest per Chroma server (server mode only; the embedded store has the flock).
    A daemon thread renews the lease every ttl/3 while the ingest runs."""
    if not settings.chroma_url:
        yield
        return
    holder = new_holder()
    acquire_lease(client, holder, ttl)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl / 3):
            try:
                current = read_lease(client)
                if current is None or current.holder != holder:
                    return  # expired and taken over: nothing left to renew
                _write_lease(client, Lease(holder, time.time() + ttl))
            except Exception:  # noqa: BLE001 - best effort; the next round tries again
                continue

    thread = threading.Thread(target=renew, name="ingest-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            release_lease(client, holder)
        except StoreUnavailableError:
            pass  # the lease expires by itself


def new_generation_name() -> str:
    return f"{PREFIX}{time.strftime('%Y%m%d%H%M%S')}_{int(time.time_ns() % 1_000_000):06d}"


def create_generation(client: ClientAPI, name: str, model_id: str) -> Collection:
    return client.create_collection(
        name, embedding_function=None,
        metadata={"hnsw:space": "cosine", "model_id": model_id},
    )


def open_generation(client: ClientAPI, name: str) -> Collection:
    with _reachable():
        return client.get_collection(name, embedding_function=None)


def chunk_metadata(chunk: Chunk, embed_hash: str) -> dict[str, str | int | bool]:
    return {
        "doc": chunk.doc, "title": chunk.title, "page": chunk.page if chunk.page is not None else -1,
        "page_label": chunk.page_label or "", "section": chunk.section or "",
        "start": chunk.start, "end": chunk.end, "content_hash": chunk.content_hash,
        "doc_hash": chunk.doc_hash, "ordinal": chunk.ordinal, "embed_hash": embed_hash, "ocr": chunk.ocr,
    }


def chunk_from_record(ident: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = int(meta["page"])
    return Chunk(
        id=ident, doc=str(meta["doc"]), title=str(meta["title"]),
        page=None if page < 0 else page, page_label=str(meta["page_label"]) or None,
        section=str(meta["section"]) or None, start=int(meta["start"]), end=int(meta["end"]),
        text=text, content_hash=str(meta["content_hash"]), doc_hash=str(meta["doc_hash"]),
        ordinal=int(meta["ordinal"]), ocr=bool(meta.get("ocr", False)),  # no key: stored before OCR
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
    tune_meta(client)
    dropped = []
    for name in generations(client):
        if name not in keep:
            client.delete_collection(name)
            dropped.append(name)
    with _reachable():
        states = _meta(client).get(include=[])["ids"]
    stale = [i for i in states if i.startswith(STATE_PREFIX) and i[len(STATE_PREFIX):] not in keep]
    if stale:
        with _reachable():
            _meta(client).delete(ids=stale)
    return dropped

