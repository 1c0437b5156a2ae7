"""What an ingest run does with each document, decided from the corpus files (with
their content hashes or the reason they were refused), the manifest and the live
state alone: no reading, no Chroma. `make_plan` is a pure function."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.records import DocInfo
from ingest.manifest import DocMeta, manifest_fingerprint

# unchanged: the indexed version stays; read: read, chunk and embed it; failed: refused
# before reading; duplicate: the same content as another name, which is read instead.
Action = Literal["unchanged", "read", "failed", "duplicate"]


@dataclass(frozen=True)
class CorpusFile:
    """A candidate file: its content hash, or why it was refused before hashing."""

    name: str
    path: Path
    doc_hash: str = ""
    refused: str = ""  # plain Swedish; set when there is no hash


@dataclass(frozen=True)
class Step:
    name: str
    action: Action
    # The indexed version that is kept: for unchanged, and for a failure (also a read
    # that fails) when the live index holds that version completely; else None.
    previous: DocInfo | None = None
    reason: str = ""  # failed, duplicate
    path: Path | None = None  # read
    doc_hash: str = ""
    meta: DocMeta | None = None
    meta_hash: str = ""
    status: str = ""  # read: "added", "metadata" or "changed"


@dataclass(frozen=True)
class Plan:
    steps: list[Step]  # refusals by name first, then the other documents in file order
    removed: list[str]  # indexed documents dropped whatever happens (so is a failed read without `previous`)


def make_plan(
    files: Sequence[CorpusFile], manifest: Mapping[str, DocMeta], live_docs: Mapping[str, DocInfo],
    stored_chunks: Mapping[str, int], rebuilt: bool,
) -> Plan:
    """`stored_chunks`: chunks per document in the live generation (a document whose
    chunks are not all there cannot be kept); `rebuilt`: another model or chunking, so
    every document is read again. `files` are sorted by name."""
    owner = content_owners(files, live_docs)

    def previous(name: str) -> DocInfo | None:
        old = live_docs.get(name)
        return old if old is not None and stored_chunks.get(name, 0) == old.chunks else None

    refused = [Step(f.name, "failed", previous(f.name), f.refused) for f in files if f.refused] + [
        Step(f.name, "duplicate", previous(f.name), f"samma innehåll som {owner[f.doc_hash]}; bara den läses in")
        for f in files if not f.refused and owner[f.doc_hash] != f.name
    ]
    steps = sorted(refused, key=lambda s: s.name)
    for f in files:
        if f.refused or owner[f.doc_hash] != f.name:
            continue
        meta = manifest.get(unicodedata.normalize("NFC", f.name))
        meta_hash = manifest_fingerprint(meta) if meta else ""
        old, kept = live_docs.get(f.name), previous(f.name)
        if kept and not rebuilt and kept.doc_hash == f.doc_hash and kept.meta_hash == meta_hash:
            steps.append(Step(f.name, "unchanged", kept))
            continue
        status = "added" if not old else ("metadata" if old.doc_hash == f.doc_hash and not rebuilt else "changed")
        steps.append(Step(f.name, "read", kept, path=f.path, doc_hash=f.doc_hash, meta=meta,
                          meta_hash=meta_hash, status=status))
    staying = {s.name for s in steps if s.previous is not None or s.action == "read"}
    return Plan(steps, sorted(set(live_docs) - staying))


def content_owners(files: Sequence[CorpusFile], live_docs: Mapping[str, DocInfo]) -> dict[str, str]:
    """Content hash -> the one name it is read under. The same content under two names
    is read once: the name already indexed with that content wins (a new copy must not
    push the indexed document out), else the first name."""
    owner: dict[str, str] = {}
    for f in files:
        if f.refused:
            continue
        if f.doc_hash not in owner or (_indexed_as(live_docs, f.name, f.doc_hash)
                                       and not _indexed_as(live_docs, owner[f.doc_hash], f.doc_hash)):
            owner[f.doc_hash] = f.name
    return owner


def _indexed_as(live_docs: Mapping[str, DocInfo], name: str, doc_hash: str) -> bool:
    info = live_docs.get(name)
    return info is not None and info.doc_hash == doc_hash
