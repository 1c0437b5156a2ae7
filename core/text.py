"""Text as the index reads it (shared by ingest and the query side)."""

from __future__ import annotations

from core.records import Chunk


def indexed_text(chunk: Chunk) -> str:
    """What the models and the lexical index read: title and section before the text."""
    head = chunk.title if not chunk.section or chunk.section == chunk.title else f"{chunk.title} – {chunk.section}"
    return f"{head}\n{chunk.text}"
