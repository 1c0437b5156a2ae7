"""The text of the documents an evaluation set refers to, for checking its phrases:
read from the corpus folder as ingest reads it (PDFs too), or rebuilt from the chunks
of the live index generation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import DocumentError
from core.records import Chunk
from ingest.readers import read_document


@dataclass(frozen=True)
class Missing:
    """No text for a document: `reason` (Swedish) when it exists but cannot be read,
    None when it is not there at all."""

    reason: str | None = None


def corpus_text(corpus_dir: Path, doc: str, max_bytes: int) -> str | Missing:
    """The document's page texts joined by newlines, read through the ingest readers."""
    path = corpus_dir / doc
    if not path.is_file():
        return Missing()
    try:
        pages = read_document(path, doc, max_bytes)
    except DocumentError as err:
        return Missing(err.reason)
    return "\n".join(page.text for page in pages)


def indexed_texts(chunks: Iterable[Chunk]) -> dict[str, str]:
    """Per document, the text its chunks cover (see `merge_chunks`): for the chunks of a
    generation the search has loaded, so the index is read once for the check and the run."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc, []).append(chunk)
    return {doc: merge_chunks(parts) for doc, parts in by_doc.items()}


def merge_chunks(chunks: Iterable[Chunk]) -> str:
    """One document's chunks put back together by their page offsets.

    Overlapping chunks are merged (the overlap once), so a phrase that spans a chunk
    boundary is found and none is made up of text repeated by the overlap. Between
    chunks that do not touch lies only whitespace (the chunker strips it), so a gap
    becomes a space; pages are joined by newlines, as `corpus_text` joins them.
    """
    parts: list[str] = []
    page: int | None = None
    covered = 0  # end offset of what `parts` holds of the current page
    for index, chunk in enumerate(sorted(chunks, key=lambda c: (c.page or 0, c.start, c.end))):
        if index == 0 or chunk.page != page:
            if index:
                parts.append("\n")
            page, covered = chunk.page, chunk.start
        elif chunk.start > covered:
            parts.append(" ")
            covered = chunk.start
        if chunk.end > covered:
            parts.append(chunk.text[covered - chunk.start :])
            covered = chunk.end
    return "".join(parts)
