"""What the index records of one document: its title, and its DocInfo (validity,
manifest metadata, statements of responsibility), built in one place."""

from __future__ import annotations

import re
import time
from pathlib import Path

from core.records import Chunk, DocInfo, Page, Scalar, Statement
from ingest.formats import is_markdown
from ingest.manifest import DocMeta
from ingest.responsibility import MAX_SENTENCE_CHARS, extract_responsibilities
from ingest.validity import validity_for


def document_title(meta: DocMeta | None, pages: list[Page], name: str) -> str:
    """The manifest's title, else the title the reader found (a PDF's document
    information, or its largest type), else the first heading (a Markdown `#` line, or the
    first line of a PDF or text file when it reads as a title), else the file name."""
    if meta and meta.title:
        return meta.title
    printed = next((page.title for page in pages if page.title), None)
    if printed:
        return printed
    markdown = is_markdown(name)
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


def statements_of(pages: list[Page], notes: list[str] | None = None) -> tuple[Statement, ...]:
    """Who is to do what, per page; offsets are into the page text. A note on the
    sentences too long to analyse is appended to `notes`."""
    skipped: list[tuple[int, int]] = []
    out = tuple(
        Statement(r.actor, r.measure, r.sentence_display, page.number, r.start, r.end)
        for page in pages
        for r in extract_responsibilities(page.text, skipped)
    )
    if skipped and notes is not None:
        limit = f"{MAX_SENTENCE_CHARS:,}".replace(",", "\u00a0")
        notes.append(f"{len(skipped)} {'mening' if len(skipped) == 1 else 'meningar'} längre än {limit} tecken "
                     "söktes inte igenom efter ansvarsfördelning (texten finns i indexet)")
    return out


def _scalar(value: object) -> Scalar:
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def describe_document(
    name: str, doc_hash: str, meta_hash: str, meta: DocMeta | None, title: str,
    pages: list[Page], chunks: list[Chunk], notes: list[str] | None = None, personal_numbers: int = 0,
) -> DocInfo:
    """The DocInfo of a document just read and chunked; what could not be analysed is
    appended to `notes` (plain Swedish, for the report)."""
    m = meta or DocMeta()
    return DocInfo(
        doc=name, title=title, doc_hash=doc_hash, meta_hash=meta_hash,
        pages=max((p.number or 1) for p in pages), chunks=len(chunks), ingested_at=time.time(),
        kind=m.kind, issuer=m.issuer, source=m.source, adopted=m.adopted, excerpt=m.excerpt,
        validity=validity_for(meta, title), replaced_by=m.replaced_by, statements=statements_of(pages, notes),
        extra={k: _scalar(v) for k, v in m.extra.items()}, personal_numbers=personal_numbers,
    )
