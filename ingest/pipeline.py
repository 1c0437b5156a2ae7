"""One ingest run: compare the corpus folder with the live index by content hash,
read and embed only what changed, build a new generation beside the live one, and
switch to it in one step."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
from chromadb.api import ClientAPI

from ingest.chunking import chunk_pages, indexed_text
from ingest.lock import ingest_lock
from ingest.manifest import DocMeta, load_manifest, manifest_fingerprint
from ingest.readers import SUPPORTED_SUFFIXES, read_document
from ingest.report import DocOutcome, Report, append_history
from ingest.validity import validity_for
from retrieval.embedders import Embedder, token_counter
from retrieval.errors import DocumentError
from retrieval.model import Chunk, Page
from retrieval.settings import Settings
from retrieval.store import (
    DocInfo, LiveState, add_chunks, create_generation, drop_old_generations, iter_records,
    new_generation_name, open_generation, read_live, switch_live,
)

Progress = Callable[[float, str], None]
EMBED_BATCH = 64


def _noop(_fraction: float, _message: str) -> None:
    pass


def corpus_files(corpus_dir: Path) -> list[tuple[str, Path]]:
    """(name relative to the corpus folder, path) of every candidate document."""
    out = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if rel.as_posix() == "sources.toml":
            continue
        out.append((rel.as_posix(), path))
    return out


def document_title(meta: DocMeta | None, pages: list[Page], name: str) -> str:
    if meta and meta.title:
        return meta.title
    for page in pages[:1]:
        for line in page.text.splitlines()[:15]:
            m = re.match(r"^\s{0,3}#{1,3}\s+(.+?)\s*#*$", line)
            if m:
                return m.group(1).strip()
    stem = Path(name).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:]


def embed_hash(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


def _doc_meta(meta: DocMeta | None, title: str) -> dict[str, object]:
    validity = validity_for(meta, title)
    data: dict[str, object] = {"valid_from": validity.valid_from, "valid_to": validity.valid_to,
                               "validity_source": validity.source}
    if meta:
        plain = {f.name: getattr(meta, f.name) for f in fields(meta) if f.name != "extra"}
        extra = dict(meta.extra)
        data.update({k: v for k, v in plain.items() if v is not None})
        data.update({k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in extra.items()})
    return data


def run_ingest(
    settings: Settings, embedder: Embedder, client: ClientAPI, progress: Progress = _noop
) -> Report:
    """Raises ManifestError (nothing changed), IngestBusyError; failures of single
    documents are in the report."""
    with ingest_lock(settings.data_dir):
        report = Report(started=time.time())
        _run(settings, embedder, client, progress, report)
        report.finished = time.time()
        append_history(settings.data_dir, report)
        return report


def _run(settings: Settings, embedder: Embedder, client: ClientAPI, progress: Progress, report: Report) -> None:
    manifest = load_manifest(settings.corpus_dir)  # a malformed manifest stops the run here
    chunking = f"{settings.chunk_tokens}/{settings.chunk_overlap}/v1"
    live = read_live(client)
    if live is not None and (live.model_id != embedder.model_id or live.chunking != chunking):
        live_docs: dict[str, DocInfo] = {}  # another model or chunking: rebuild everything
    else:
        live_docs = dict(live.documents) if live else {}
    keep = [g for g in ([live.generation, live.previous] if live else []) if g]
    drop_old_generations(client, keep)  # orphans of crashed runs

    progress(0.0, "Läser dokumenten …")
    files = corpus_files(settings.corpus_dir)
    seen_hash: dict[str, str] = {}
    plan: list[tuple[str, str, DocMeta | None, Path | None]] = []  # name, doc hash, meta, path to read
    for name, path in files:
        max_bytes = settings.max_file_mb * 1024 * 1024
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.stat().st_size > max_bytes:
            try:  # the reader rejects these before parsing, with its own wording
                read_document(path, name, max_bytes)
            except DocumentError as err:
                report.outcomes.append(DocOutcome(name, "failed", reason=err.reason))
                continue
        doc_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        if doc_hash in seen_hash:
            report.outcomes.append(DocOutcome(name, "failed", reason=f"samma innehåll som {seen_hash[doc_hash]}; bara den läses in"))
            continue
        seen_hash[doc_hash] = name
        plan.append((name, doc_hash, manifest.get(unicodedata.normalize("NFC", name)), path))

    old_records: dict[str, list[tuple[Chunk, str, np.ndarray]]] = {}
    by_embed_hash: dict[str, np.ndarray] = {}
    if live is not None and live.model_id == embedder.model_id:
        for chunk, e_hash, vec in iter_records(open_generation(client, live.generation), with_vectors=True):
            assert vec is not None
            old_records.setdefault(chunk.doc, []).append((chunk, e_hash, vec))
            by_embed_hash[e_hash] = vec

    new_docs: dict[str, DocInfo] = {}
    records: list[tuple[Chunk, str, np.ndarray | None]] = []
    changed = False
    for i, (name, doc_hash, meta, path) in enumerate(plan):
        progress(0.05 + 0.25 * i / max(1, len(plan)), f"Läser {name}")
        meta_hash = manifest_fingerprint(meta) if meta else ""
        old = live_docs.get(name)
        if old and old.doc_hash == doc_hash and old.meta_hash == meta_hash and name in old_records:
            new_docs[name] = old
            records.extend(old_records[name])
            report.outcomes.append(DocOutcome(name, "unchanged", old.chunks))
            continue
        changed = True
        try:
            assert path is not None
            pages = read_document(path, name, settings.max_file_mb * 1024 * 1024)
        except DocumentError as err:
            kept = " Den tidigare versionen finns kvar i indexet." if old and name in old_records else ""
            report.outcomes.append(DocOutcome(name, "failed", reason=err.reason + kept))
            if kept and old:
                new_docs[name] = old
                records.extend(old_records[name])
            continue
        title = document_title(meta, pages, name)
        chunks = chunk_pages(
            pages, doc=name, title=title, doc_hash=doc_hash,
            markdown=path.suffix.lower() in {".md", ".markdown"},
            chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap,
            count_tokens=token_counter(embedder),
        )
        for chunk in chunks:
            records.append((chunk, embed_hash(embedder.model_id, indexed_text(chunk)), None))
        status = "added" if not old else ("metadata" if old.doc_hash == doc_hash else "changed")
        report.outcomes.append(DocOutcome(name, status, len(chunks)))
        new_docs[name] = DocInfo(
            doc=name, title=title, doc_hash=doc_hash, meta_hash=meta_hash,
            pages=max((p.number or 1) for p in pages), chunks=len(chunks),
            ingested_at=time.time(), meta=_doc_meta(meta, title),
        )
    for name in sorted(set(live_docs) - set(new_docs)):
        changed = True
        report.outcomes.append(DocOutcome(name, "removed", live_docs[name].chunks))
    report.chunks_total = len(records)
    if not changed and live is not None:
        report.generation = live.generation
        progress(1.0, "Indexet är redan aktuellt.")
        return

    missing = sorted({h for _, h, v in records if v is None and h not in by_embed_hash})
    texts = {h: indexed_text(c) for c, h, v in records if v is None}
    for start in range(0, len(missing), EMBED_BATCH):
        part = missing[start : start + EMBED_BATCH]
        progress(0.3 + 0.6 * start / max(1, len(missing)), f"Beräknar vektorer {start}/{len(missing)} …")
        vectors = embedder.embed([texts[h] for h in part], "passage")
        by_embed_hash.update(zip(part, vectors, strict=True))
    report.chunks_embedded = len(missing)

    progress(0.92, "Bygger det nya indexet …")
    name = new_generation_name()
    collection = create_generation(client, name, embedder.model_id)
    chunks_out = [c for c, _, _ in records]
    hashes = [h for _, h, _ in records]
    dim = 0
    if records:
        matrix = np.vstack([v if v is not None else by_embed_hash[h] for _, h, v in records])
        dim = int(matrix.shape[1])
        add_chunks(collection, chunks_out, matrix, hashes)
    state = LiveState(
        generation=name, model_id=embedder.model_id, dim=dim, created=time.time(),
        chunking=chunking, documents=new_docs, previous=live.generation if live else None,
    )
    switch_live(client, state)
    report.generation = name
    report.switched = True
    drop_old_generations(client, [name] + ([live.generation] if live else []))
    progress(1.0, "Klart.")
