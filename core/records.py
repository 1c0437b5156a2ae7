"""Records that flow between the pipeline stages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True)
class Page:
    """One page of a document as a reader returns it. `number` is the 1-based
    physical page (None for formats without pages); `label` the printed page label;
    `ocr` when the text was read by OCR from a scanned page."""

    number: int | None
    text: str
    label: str | None = None
    ocr: bool = False
    title: str | None = None  # the document's title as printed on this page, where the reader can tell


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
    ocr: bool = False  # the page was read by OCR


Scalar = str | int | float | bool
Role = Literal["query", "passage"]  # what an embedder is given: a question or a passage


@dataclass(frozen=True)
class Validity:
    """When a governing document was in force: years ("2018") or dates ("2018-01-01")."""

    valid_from: str | None = None
    valid_to: str | None = None
    source: str = "okänd"  # "sources.toml", "titel" or "okänd"

    def end_date(self) -> dt.date | None:
        """The last day in force (a bare year ends on 31 December); None when open or unreadable."""
        value = self.valid_to
        if not value:
            return None
        try:
            if re.fullmatch(r"\d{4}", value):
                return dt.date(int(value), 12, 31)
            return dt.date.fromisoformat(value)
        except ValueError:
            return None

    def is_expired(self, today: dt.date) -> bool:
        end = self.end_date()
        return end is not None and end < today


@dataclass(frozen=True)
class Statement:
    """A statement of responsibility found at ingest: who is to do what, where it is said.
    `start`/`end` are offsets into the text of page `page`."""

    actor: str
    measure: str
    sentence: str  # whitespace made single
    page: int | None
    start: int
    end: int


@dataclass(frozen=True)
class DocInfo:
    """What the index knows of one document."""

    doc: str  # the name relative to the corpus folder
    title: str
    doc_hash: str
    meta_hash: str
    pages: int
    chunks: int
    ingested_at: float
    status: str = "ok"
    kind: str | None = None
    issuer: str | None = None
    source: str | None = None
    adopted: str | None = None
    excerpt: bool = False
    validity: Validity = Validity()
    replaced_by: str | None = None
    statements: tuple[Statement, ...] = ()
    # Keys of core.groups.KIND_GROUPS / ISSUER_GROUPS, derived at ingest ("" in an index
    # built before they were).
    kind_group: str = ""
    issuer_group: str = ""
    # Valid personnummer and samordningsnummer in the text as read (masked in the index
    # with ASSISTANT_MASK_INDEX); the numbers themselves are never kept.
    personal_numbers: int = 0
    extra: Mapping[str, Scalar] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "statements", tuple(self.statements))


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its rank score and what the index knows of its document."""

    chunk: Chunk
    score: float
    doc: DocInfo


@dataclass(frozen=True)
class Claim:
    """One sentence a language model wrote that passed the check (retrieval/verify.py):
    `text` as shown (its citation markers taken out), `n` the passage it cites (1-based),
    `start`/`end` the supporting sentence's offsets into that passage's chunk text and
    `quote` that sentence as the chat shows it."""

    text: str
    n: int
    start: int
    end: int
    quote: str
    score: float
