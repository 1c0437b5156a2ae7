"""One ingest run: compare the corpus folder with the live index by content hash,
read and embed only what changed, build a new generation beside the live one, and
switch to it in one step."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
from chromadb.api import ClientAPI

from core.embedders import Embedder, token_counter
from core.errors import AssistantError, DocumentError
from core.records import Chunk, Page
from core.settings import Settings
from core.store import (
    DocInfo,
    LiveState,
    add_chunks,
    create_generation,
    drop_old_generations,
    ingest_lease,
    iter_records,
    new_generation_name,
    open_generation,
    read_live,
    switch_live,
)
from core.text import indexed_text
from ingest.chunking import chunk_pages
from ingest.formats import SUPPORTED_SUFFIXES
from ingest.lock import ingest_lock
from ingest.manifest import DocMeta, load_manifest, manifest_fingerprint
from ingest.readers import read_document
from ingest.report import DocOutcome, Report, append_history
from ingest.responsibility import extract_responsibilities
from ingest.validity import validity_for

Progress = Callable[[float, str], None]
EMBED_BATCH = 64


def _noop(_fraction: float, _message: str) -> None:
    pass


def _pause_for_tests(phase: str) -> None:
    """Test-only hook: with ASSISTANT_TEST_PAUSE_AT=<phase> the run announces the phase on
    stderr and sleeps there, so a crash test can SIGKILL it at a known point. Phases:
    locked, embedding, created, added, switched. Never set outside tests."""
    if os.environ.get("ASSISTANT_TEST_PAUSE_AT") == phase:
        print(f"\nTEST-PAUSE {phase}", file=sys.stderr, flush=True)
        time.sleep(600)


def _drop_generations(client: ClientAPI, settings: Settings, keep: list[str]) -> None:
    """Drop every generation but `keep`, and the files Chroma leaves behind.

    chromadb 1.5.9 does not remove a deleted collection's vector segment directory
    (chroma-core/chroma#5520), and every re-ingest deletes a generation, so the data
    folder would grow with each run. Directories that no segment refers to any more are
    removed; this runs under the ingest lock, so no collection is being created meanwhile.
    """
    drop_old_generations(client, keep)
    db = settings.chroma_path / "chroma.sqlite3"
    if settings.chroma_url or not db.exists():
        return
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            in_use = {str(row[0]) for row in con.execute("SELECT id FROM segments")}
        finally:
            con.close()
    except sqlite3.Error:
        return  # best effort: leftovers are only disk space
    for folder in settings.chroma_path.iterdir():
        if folder.is_dir() and _is_uuid(folder.name) and folder.name not in in_use:
            shutil.rmtree(folder, ignore_errors=True)


def _is_uuid(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


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
    """The manifest's title, else the first heading (a Markdown `#` line, or the first
    line of a PDF or text file when it reads as a title), else the file name."""
    if meta and meta.title:
        return meta.title
    markdown = name.lower().endswith((".md", ".markdown"))
    for page in pages[:1]:
        lines = [line.strip() for line in page.text.splitlines() if line.strip()]
        for line in lines[:15]:
            m = re.match(r"^#{1,3}\s+(.+?)\s*#*$", line)
            if m:
                return m.group(1).strip()
        if lines and not markdown:
            first = lines[0]
            if len(first) <= 120 and len(first.split()) <= 15 and not first.endswith((".", ",", ";", ":")):
                return first
    stem = Path(name).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:]


def _indexed_as(live_docs: dict[str, DocInfo], name: str, doc_hash: str) -> bool:
    info = live_docs.get(name)
    return info is not None and info.doc_hash == doc_hash


def responsibility_rows(pages: list[Page]) -> list[dict[str, object]]:
    """Who is to do what, per page; offsets are into the page text."""
    return [
        {"actor": r.actor, "measure": r.measure, "sentence": r.sentence_display,
         "page": page.number, "start": r.start, "end": r.end}
        for page in pages
        for r in extract_responsibilities(page.text)
    ]


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
    documents are in the report. Every run that got the lock is kept in the history,
    also one that stopped on an error."""
    with ingest_lock(settings.data_dir), ingest_lease(settings, client):
        report = Report(started=time.time())
        try:
            _run(settings, embedder, client, progress, report)
        except Exception as err:
            report.error = (err.swedish_message() if isinstance(err, AssistantError)
                            else f"Oväntat fel: {type(err).__name__}: {err}")
            report.finished = time.time()
            append_history(settings.data_dir, report)
            raise
        report.finished = time.time()
        append_history(settings.data_dir, report)
        return report


def _run(
    settings: Settings, embedder: Embedder, client: ClientAPI, progress: Progress, report: Report
) -> None:
    manifest = load_manifest(settings.corpus_dir)  # a malformed manifest stops the run here
    chunking = f"{settings.chunk_tokens}/{settings.chunk_overlap}/v2"  # v2: responsibilities per document
    live = read_live(client)
    # Another model or chunking: every document is chunked and embedded again.
    report.rebuilt = live is not None and (live.model_id != embedder.model_id or live.chunking != chunking)
    live_docs: dict[str, DocInfo] = dict(live.documents) if live else {}
    keep = [g for g in ([live.generation, live.previous] if live else []) if g]
    _drop_generations(client, settings, keep)  # orphans of crashed runs

    progress(0.0, "Läser dokumenten …")
    _pause_for_tests("locked")
    files = corpus_files(settings.corpus_dir)
    max_bytes = settings.max_file_bytes
    precheck_failed: dict[str, str] = {}  # name -> reason, for files refused before hashing
    hashed: list[tuple[str, str, Path]] = []
    for name, path in files:
        try:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.stat().st_size > max_bytes:
                read_document(path, name, max_bytes)  # rejects these with its own wording
            doc_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        except DocumentError as err:
            precheck_failed[name] = err.reason
            continue
        except OSError:  # unreadable or vanished: let the reader word it
            try:
                read_document(path, name, max_bytes)
                reason = "filen kunde inte läsas från disken"
            except DocumentError as err:
                reason = err.reason
            precheck_failed[name] = reason
            continue
        hashed.append((name, doc_hash, path))

    # The same content under two names is read once. The name already indexed with that
    # content wins (a new copy must not push the indexed document out), else the first name.
    owner: dict[str, str] = {}
    for name, doc_hash, _ in hashed:  # names are sorted
        if doc_hash not in owner or (_indexed_as(live_docs, name, doc_hash)
                                     and not _indexed_as(live_docs, owner[doc_hash], doc_hash)):
            owner[doc_hash] = name
    plan: list[tuple[str, str, DocMeta | None, Path]] = []  # name, doc hash, meta, path to read
    for name, doc_hash, path in hashed:
        if owner[doc_hash] != name:
            precheck_failed[name] = f"samma innehåll som {owner[doc_hash]}; bara den läses in"
            continue
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

    def keep_previous(name: str, reason: str) -> None:
        """A failed document that was indexed before keeps its previous version."""
        old = live_docs.get(name)
        if old and len(old_records.get(name, [])) == old.chunks:
            reason = reason.rstrip(". ") + ". Den tidigare versionen finns kvar i indexet."
            new_docs[name] = old
            records.extend(old_records.get(name, []))
        report.outcomes.append(DocOutcome(name, "failed", reason=reason))

    for name, reason in sorted(precheck_failed.items()):
        keep_previous(name, reason)
    for i, (name, doc_hash, meta, path) in enumerate(plan):
        progress(0.05 + 0.25 * i / max(1, len(plan)), f"Läser {name}")
        meta_hash = manifest_fingerprint(meta) if meta else ""
        old = live_docs.get(name)
        if (old and not report.rebuilt and old.doc_hash == doc_hash and old.meta_hash == meta_hash
                and len(old_records.get(name, [])) == old.chunks):
            new_docs[name] = old
            records.extend(old_records.get(name, []))
            report.outcomes.append(DocOutcome(name, "unchanged", old.chunks))
            continue
        try:
            pages = read_document(path, name, max_bytes)
        except DocumentError as err:
            keep_previous(name, err.reason)
            continue
        changed = True
        title = document_title(meta, pages, name)
        chunks = chunk_pages(
            pages, doc=name, title=title, doc_hash=doc_hash,
            markdown=path.suffix.lower() in {".md", ".markdown"},
            chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap,
            count_tokens=token_counter(embedder),
        )
        for chunk in chunks:
            records.append((chunk, embed_hash(embedder.model_id, indexed_text(chunk)), None))
        status = "added" if not old else (
            "metadata" if old.doc_hash == doc_hash and not report.rebuilt else "changed")
        report.outcomes.append(DocOutcome(name, status, len(chunks)))
        new_docs[name] = DocInfo(
            doc=name, title=title, doc_hash=doc_hash, meta_hash=meta_hash,
            pages=max((p.number or 1) for p in pages), chunks=len(chunks),
            ingested_at=time.time(), meta=_doc_meta(meta, title),
            responsibilities=responsibility_rows(pages),
        )
    for name in sorted(set(live_docs) - set(new_docs)):
        changed = True
        report.outcomes.append(DocOutcome(name, "removed", live_docs[name].chunks))
    report.chunks_total = len(records)
    if not changed and live is not None:
        report.generation = live.generation
        progress(1.0, "Indexet är redan aktuellt.")
        return

    _pause_for_tests("embedding")
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
    _pause_for_tests("created")
    chunks_out = [c for c, _, _ in records]
    hashes = [h for _, h, _ in records]
    dim = 0
    if records:
        matrix = np.vstack([v if v is not None else by_embed_hash[h] for _, h, v in records])
        dim = int(matrix.shape[1])
        add_chunks(collection, chunks_out, matrix, hashes)
    _pause_for_tests("added")
    state = LiveState(
        generation=name, model_id=embedder.model_id, dim=dim, created=time.time(),
        chunking=chunking, documents=new_docs, previous=live.generation if live else None,
    )
    switch_live(client, state)
    report.generation = name
    report.switched = True
    _pause_for_tests("switched")
    _drop_generations(client, settings, [name] + ([live.generation] if live else []))
    progress(1.0, "Klart.")
