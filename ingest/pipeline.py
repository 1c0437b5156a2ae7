"""One ingest run: compare the corpus folder with the live index by content hash,
read and embed only what changed, build a new generation beside the live one, and
switch to it in one step.

The stages are plain functions: hash the corpus files, plan (ingest/plan.py, pure),
read and chunk, embed what is missing, publish (create a generation, add, switch,
drop old ones)."""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from chromadb.api import ClientAPI

from core.chroma_disk import prune_segment_folders
from core.embedders import Embedder, background_embedding, token_counter
from core.errors import AssistantError, DocumentError
from core.privacy import identity_numbers, mask_identity_numbers
from core.records import Chunk, DocInfo
from core.settings import Settings
from core.snapshot import (
    drop_snapshots,
    has_statements,
    load_snapshot,
    load_statements,
    reading_order,
    write_snapshot,
    write_statements,
)
from core.statement_vectors import build_statement_vectors
from core.store import (
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
from ingest.classify import with_groups
from ingest.describe import describe_document, document_title
from ingest.formats import check_size, check_type, is_markdown
from ingest.kept_vectors import forget_vectors, keep_vectors, kept_vectors
from ingest.lock import ingest_lock
from ingest.manifest import DocMeta, load_manifest
from ingest.ocr import OcrJob
from ingest.plan import CorpusFile, Plan, Step, make_plan
from ingest.readers import os_reason, read_document
from ingest.report import DocOutcome, Report, append_history, is_utf8_name, note_switch, settle_switched, shown_name
from ingest.trash import purge_expired

Progress = Callable[[float, str], None]
# Called at the phases "locked", "embedding", "created", "added" and "switched" (a crash
# test pauses there to kill the run at a known point).
OnPhase = Callable[[str], None]
Record = tuple[Chunk, str, np.ndarray | None]  # chunk, embed hash, vector (None: not embedded yet)
EMBED_BATCH = 64


IndexText = Callable[[Chunk], str]


def _noop(_fraction: float, _message: str) -> None:
    pass


def _no_phase(_phase: str) -> None:
    pass


def run_ingest(
    settings: Settings, embedder: Embedder, client: ClientAPI, progress: Progress = _noop,
    on_phase: OnPhase | None = None, index_text: IndexText = indexed_text,
) -> Report:
    """Raises ManifestError (nothing changed), IngestBusyError; failures of single
    documents are in the report. Every run that got the lock is kept in the history,
    also one that stopped on an error. `on_phase` is told each step of the switch (for
    crash tests); `index_text` is what the model reads of a chunk (for benchmarks)."""
    with ingest_lock(settings.data_dir), ingest_lease(settings, client):
        report = Report(started=time.time())
        settle_switched(settings.data_dir)  # a run killed after its switch
        try:
            with background_embedding():  # questions asked meanwhile in this process go first
                _run(settings, embedder, client, progress, on_phase or _no_phase, index_text, report)
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
    settings: Settings, embedder: Embedder, client: ClientAPI, progress: Progress, on_phase: OnPhase,
    index_text: IndexText, report: Report,
) -> None:
    manifest = load_manifest(settings.corpus_dir)  # a malformed manifest stops the run here
    # v4: PDF running lines and hyphens, Word, HTML; v5: PDF reading order from word geometry,
    # tables as rows, and OCR of PDF pages without a text layer
    chunking = f"{settings.chunk_tokens}/{settings.chunk_overlap}/v5" + ("/masked" if settings.mask_index else "")
    live = read_live(client)
    # Another model or chunking: every document is chunked and embedded again.
    report.rebuilt = live is not None and (live.model_id != embedder.model_id or live.chunking != chunking)
    live_docs: dict[str, DocInfo] = dict(live.documents) if live else {}
    _drop_generations(client, settings, [g for g in ([live.generation, live.previous] if live else []) if g])

    progress(0.0, "Läser dokumenten …")
    on_phase("locked")
    purge_expired(settings.data_dir, settings.trash_days)
    forget_vectors(settings.data_dir, older_than_days=settings.trash_days)
    files = hash_files(corpus_files(settings.corpus_dir), settings.max_file_bytes, settings.corpus_dir)
    report.warnings += missing_in_manifest(manifest, files)
    old_records, vectors = stored_records(client, live, embedder.model_id)
    plan = make_plan(files, manifest, live_docs, {n: len(r) for n, r in old_records.items()}, report.rebuilt)
    # A document put back as it was removed (Ångra) takes the vectors kept at its removal.
    for e_hash, vec in kept_vectors(settings.data_dir, {s.doc_hash for s in plan.steps if s.action == "read"}
                                    ).items():
        vectors.setdefault(e_hash, vec)
    tracked = _Tracked(progress)  # the OCR of a page tells of it at the document's point
    build = carry_out(plan, old_records, lambda step: read_and_chunk(step, settings, embedder, tracked),
                      embedder.model_id, tracked, report, index_text)
    grouped = with_groups(build.documents)  # the filters' document groups (ingest/classify.py)
    regrouped = any(grouped[name] is not info for name, info in build.documents.items())
    build.documents = grouped
    report.personal_numbers = {n: i.personal_numbers for n, i in build.documents.items() if i.personal_numbers}
    removed = sorted(set(plan.removed) | {name for name in build.dropped if name in live_docs})
    report.outcomes += [DocOutcome(name, "removed", live_docs[name].chunks) for name in removed]
    keep_removed_vectors(settings.data_dir, removed, live_docs, old_records)
    report.chunks_total = len(build.records)
    with_statements = settings.statement_vectors and index_text is indexed_text
    if live is not None and not removed and not build.read and not regrouped:
        report.generation = live.generation
        if with_statements:  # an earlier run stopped before they were written, or had them off
            add_statements(settings, embedder, live.generation, live.previous, None, report, progress)
        progress(1.0, "Indexet är redan aktuellt.")
        return

    on_phase("embedding")
    report.chunks_embedded = embed_missing(build.records, vectors, embedder, progress, index_text)
    progress(0.92, "Bygger det nya indexet …")
    state = LiveState(generation=new_generation_name(), model_id=embedder.model_id, dim=0, created=time.time(),
                      chunking=chunking, documents=build.documents, previous=live.generation if live else None)
    publish(client, settings, state, build.records, vectors, report, on_phase, index_text)
    forget_vectors(settings.data_dir, {info.doc_hash for info in build.documents.values()})  # live again
    if with_statements:  # after the switch: the new index answers meanwhile
        add_statements(settings, embedder, state.generation, state.previous, [c for c, _, _ in build.records],
                       report, progress)
    progress(1.0, "Klart.")


def keep_removed_vectors(data_dir: Path, removed: list[str], live_docs: dict[str, DocInfo],
                         old_records: dict[str, list[Record]]) -> None:
    """Keep the vectors of the documents this run removes (ingest/kept_vectors.py), for
    a document that is put back unchanged. Best effort: lost ones are embedded again."""
    for name in removed:
        vectors = {h: v for _, h, v in old_records.get(name, []) if v is not None}
        if name in live_docs and vectors:
            keep_vectors(data_dir, live_docs[name].doc_hash, vectors)


def corpus_files(corpus_dir: Path) -> list[tuple[str, Path]]:
    """(name relative to the corpus folder, path) of every candidate document. A name
    that is not UTF-8 is given escaped (ingest/report.shown_name): hash_files refuses it."""
    out = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if rel.as_posix() == "sources.toml":
            continue
        name = rel.as_posix()
        out.append((name if is_utf8_name(name) else shown_name(name), path))
    return out


NOT_UTF8_NAME = "filnamnet är inte giltig UTF-8; byt namn på filen så läses den in"
OUTSIDE_CORPUS = "filen är en länk till en fil utanför dokumentmappen och läses inte in"


def hash_files(files: list[tuple[str, Path]], max_bytes: int, corpus_dir: Path | None = None) -> list[CorpusFile]:
    """The content hash of every file, or why it is refused before it is read (an
    unsupported type, a too large file, a name that is not UTF-8, a link out of
    `corpus_dir` is not hashed)."""
    root = corpus_dir.resolve() if corpus_dir is not None else None
    out = []
    for name, path in files:
        try:
            if not is_utf8_name(os.fspath(path)):
                raise DocumentError(name, NOT_UTF8_NAME)
            if root is not None and not path.resolve().is_relative_to(root):
                raise DocumentError(name, OUTSIDE_CORPUS)
            check_type(name, path.suffix)
            check_size(name, path.stat().st_size, max_bytes)
            out.append(CorpusFile(name, path, doc_hash=hashlib.sha256(path.read_bytes()).hexdigest()))
        except DocumentError as err:
            out.append(CorpusFile(name, path, refused=err.reason))
        except OSError as err:  # unreadable or vanished
            out.append(CorpusFile(name, path, refused=os_reason(err)))
    return out


def missing_in_manifest(manifest: dict[str, DocMeta], files: list[CorpusFile]) -> list[str]:
    """Warnings (plain Swedish) for sources.toml entries whose file is not in the corpus folder."""
    present = {unicodedata.normalize("NFC", f.name) for f in files}
    return [f"sources.toml har uppgifter om {shown_name(name)}, men filen finns inte i dokumentmappen"
            for name in sorted(set(manifest) - present)]


def stored_records(
    client: ClientAPI, live: LiveState | None, model_id: str
) -> tuple[dict[str, list[Record]], dict[str, np.ndarray]]:
    """The live generation's records per document, and its vectors by embed hash; none
    when the live index was built by another model (its vectors are of no use)."""
    by_doc: dict[str, list[Record]] = {}
    vectors: dict[str, np.ndarray] = {}
    if live is not None and live.model_id == model_id:
        for chunk, e_hash, vec in iter_records(open_generation(client, live.generation), with_vectors=True):
            assert vec is not None
            by_doc.setdefault(chunk.doc, []).append((chunk, e_hash, vec))
            vectors[e_hash] = vec
    return by_doc, vectors


@dataclass
class Build:
    """The documents and records of the new generation, as the plan is carried out."""

    documents: dict[str, DocInfo] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    read: int = 0  # documents read and chunked
    dropped: list[str] = field(default_factory=list)  # reading failed, no previous version to keep

    def keep(self, step: Step, old_records: dict[str, list[Record]]) -> bool:
        """Keep the step's previous version, if it has one."""
        if step.previous is None:
            return False
        self.documents[step.name] = step.previous
        self.records += old_records.get(step.name, [])
        return True


class _Tracked:
    """A progress callback that remembers where it is, so a reader can tell of its pages."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.fraction = progress, 0.0

    def __call__(self, fraction: float, message: str) -> None:
        self.fraction = fraction
        self.progress(fraction, message)

    def say(self, message: str) -> None:
        self.progress(self.fraction, message)


Read = Callable[[Step], tuple[DocInfo, list[Chunk], list[str]]]  # the document, its chunks, notes


def carry_out(
    plan: Plan, old_records: dict[str, list[Record]], read: Read,
    model_id: str, progress: Progress, report: Report, index_text: IndexText = indexed_text,
) -> Build:
    """Keep, read or refuse each document of the plan; the outcomes go into the report."""
    build = Build()
    docs = sum(1 for s in plan.steps if s.action in ("unchanged", "read"))
    done = 0
    for step in plan.steps:
        if step.action in ("failed", "duplicate"):
            _failed(step, step.reason, build, old_records, report)
            continue
        progress(0.05 + 0.25 * done / max(1, docs), f"Läser {step.name} ({done + 1} av {docs})")
        done += 1
        if step.action == "unchanged" and step.previous is not None:
            build.keep(step, old_records)
            report.outcomes.append(DocOutcome(step.name, "unchanged", step.previous.chunks))
            continue
        try:
            info, chunks, notes = read(step)
        except DocumentError as err:
            _failed(step, err.reason, build, old_records, report)
            continue
        build.documents[step.name] = info
        build.records += [(c, embed_hash(model_id, index_text(c)), None) for c in chunks]
        build.read += 1
        report.outcomes.append(DocOutcome(step.name, step.status, len(chunks), notes=notes))
    return build


def _failed(step: Step, reason: str, build: Build, old_records: dict[str, list[Record]], report: Report) -> None:
    """A failed document that was indexed before keeps its previous version."""
    if build.keep(step, old_records):
        reason = reason.rstrip(". ") + ". Den tidigare versionen finns kvar i indexet."
    elif step.action == "read":
        build.dropped.append(step.name)
    report.outcomes.append(DocOutcome(step.name, "failed", reason=reason))


def read_and_chunk(
    step: Step, settings: Settings, embedder: Embedder, progress: _Tracked | None = None
) -> tuple[DocInfo, list[Chunk], list[str]]:
    """Read a document of the plan and cut it into chunks; DocumentError if it cannot be
    read. The notes name pages left out (a scanned page OCR could not read)."""
    assert step.path is not None

    def on_page(number: int, of: int) -> None:
        if progress is not None:
            progress.say(f"Läser {step.name} med OCR: sida {number} av {of} …")

    job = OcrJob(command=settings.ocr_command, page_seconds=settings.ocr_page_seconds,
                 max_pages=settings.ocr_max_pages, on_page=on_page)
    pages = read_document(step.path, step.name, settings.max_file_bytes, ocr=job)
    numbers = sum(len(identity_numbers(page.text)) for page in pages)
    if numbers and settings.mask_index:  # before chunking: chunk offsets index the masked text
        pages = [replace(page, text=mask_identity_numbers(page.text).text) for page in pages]
    title = document_title(step.meta, pages, step.name)
    chunks = chunk_pages(
        pages, doc=step.name, title=title, doc_hash=step.doc_hash, markdown=is_markdown(step.name),
        chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap,
        count_tokens=token_counter(embedder),
    )
    notes = list(job.notes)
    info = describe_document(step.name, step.doc_hash, step.meta_hash, step.meta, title, pages, chunks, notes,
                             personal_numbers=numbers)
    return info, chunks, notes


def embed_hash(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


def embed_missing(records: list[Record], vectors: dict[str, np.ndarray], embedder: Embedder,
                  progress: Progress, index_text: IndexText = indexed_text) -> int:
    """Embed the records without a vector whose embed hash is not in `vectors` yet, and
    add them there. Returns how many texts were embedded."""
    missing = sorted({h for _, h, v in records if v is None and h not in vectors})
    texts = {h: index_text(c) for c, h, v in records if v is None}
    step = max(EMBED_BATCH, int(getattr(embedder, "parallel_texts", 0)))  # keeps every service URL busy
    for start in range(0, len(missing), step):
        part = missing[start : start + step]
        progress(0.3 + 0.6 * start / max(1, len(missing)), f"Beräknar vektorer {start}/{len(missing)} …")
        vectors.update(zip(part, embedder.embed([texts[h] for h in part], "passage"), strict=True))
    return len(missing)


def add_statements(settings: Settings, embedder: Embedder, generation: str, previous: str | None,
                   chunks: list[Chunk] | None, report: Report, progress: Progress) -> None:
    """Embed every quotable statement of `generation`'s windows and add the vectors to its
    files (core/statement_vectors.py), those of `previous` reused; nothing when the
    generation has them already or has no files. `chunks`: the generation's (else read
    from its files). Runs after the switch, so questions are answered meanwhile (an English
    one embeds its statements until they are there); progress from 0.95 to 0.99."""
    if has_statements(settings.data_dir, generation):
        return
    if chunks is None:
        snapshot = load_snapshot(settings.data_dir, generation)
        if snapshot is None:
            return
        chunks = list(snapshot.chunks)
    ordered = [chunks[i] for i in reading_order(chunks)]
    old = load_statements(settings.data_dir, previous) if previous else None

    def tell(done: int, total: int) -> None:
        progress(0.95 + 0.04 * done / max(1, total),
                 f"Indexet är i bruk. Beräknar vektorer för citat {done}/{total} …")

    step = max(EMBED_BATCH, int(getattr(embedder, "parallel_texts", 0)))
    statements, report.statements_embedded = build_statement_vectors(
        ordered, embedder.model_id, lambda texts: embedder.embed(texts, "passage"), old, step, tell)
    write_statements(settings.data_dir, generation, statements)


def publish(
    client: ClientAPI, settings: Settings, state: LiveState, records: list[Record],
    vectors: dict[str, np.ndarray], report: Report, on_phase: OnPhase, index_text: IndexText = indexed_text,
) -> None:
    """Create the generation `state.generation`, add the records, write the generation's
    files for its readers (core/snapshot.py), switch the live record to it, drop the
    generations before the previous one."""
    collection = create_generation(client, state.generation, state.model_id)
    on_phase("created")
    chunks = [c for c, _, _ in records]
    matrix = np.zeros((0, state.dim or 0), dtype=np.float32)
    if records:
        matrix = np.vstack([v if v is not None else vectors[h] for _, h, v in records])
        state = replace(state, dim=int(matrix.shape[1]))
        add_chunks(collection, chunks, matrix, [h for _, h, _ in records])
    on_phase("added")
    live = replace(state, created=time.time())
    if index_text is indexed_text:  # what readers build BM25 from; other choices are benchmarks'
        write_snapshot(settings.data_dir, live, chunks, matrix, index_text)
    on_phase("files")
    switch_live(client, live)
    report.generation = state.generation
    report.switched = True
    note_switch(settings.data_dir, report)  # recorded even if the run is killed from here on
    on_phase("switched")
    _drop_generations(client, settings, [state.generation] + ([state.previous] if state.previous else []))


def _drop_generations(client: ClientAPI, settings: Settings, keep: list[str]) -> None:
    """Drop every generation but `keep`, and (embedded store) the vector folders Chroma
    leaves behind (core/chroma_disk.py). This runs under the ingest lock, so no collection
    is being created meanwhile: no age margin. A Chroma server's folder is pruned on its
    host (`python -m ingest --prune-chroma`)."""
    drop_old_generations(client, keep)
    drop_snapshots(settings.data_dir, keep)
    if not settings.chroma_url:
        prune_segment_folders(settings.chroma_path)
