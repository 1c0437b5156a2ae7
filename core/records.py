"""Records that flow between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Page:
    """One page of a document as a reader returns it. `number` is the 1-based
    physical page (None for formats without pages); `label` the printed page label."""

    number: int | None
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of one page, with where it came from.

    `start`/`end` are character offsets into the text of page `page`, so
    `page_text[start:end] == text` always holds.
    """

    id: str
    doc: str
    title: str
    page: int | None
    page_label: str | None
    section: str | None
    start: int
    end: int
    text: str
    content_hash: str
    doc_hash: str
    ordinal: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its rank score and document metadata."""

    chunk: Chunk
    score: float
    doc_meta: dict[str, object] = field(default_factory=dict)
