"""Passages match small (a chunk) and are shown with their neighbours: a hit is shown
with CONTEXT chunks on each side, of the same page and section (bench/README.md, "Two
levels: match small, show the surroundings"). Shared by the search, which shows the
windows, and the ingest, which embeds the statements of every chunk's window once for the
quotes of English answers (core/statement_vectors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.records import Chunk

CONTEXT = 1
MAX_GAP = 16  # characters of whitespace between two chunks that still count as neighbours


def _neighbour(chunks: Sequence[Chunk], row: int, step: int, end: int, taken: set[str]) -> Chunk | None:
    """The chunk `step` places away in reading order when it is of the same page and
    section, not shown already (`taken`), and at most MAX_GAP characters from the text
    shown so far."""
    chunk = chunks[row]
    row += step
    if not 0 <= row < len(chunks):
        return None
    other = chunks[row]
    same = (other.doc == chunk.doc and other.page == chunk.page and other.section == chunk.section
            and other.id not in taken)
    gap = other.start - end if step > 0 else end - other.end
    return other if same and gap <= MAX_GAP else None


def joined(first: Chunk, second: Chunk) -> str:
    """The text of two neighbouring chunks of one page: overlapping text once, and the
    whitespace the chunker left between them (it strips only whitespace) as newlines of
    the same length, so that offsets into the page still hold."""
    gap = second.start - first.end
    return first.text + "\n" * gap + second.text[max(0, -gap):]


def window_at(chunks: Sequence[Chunk], row: int, context: int,
              taken: set[str] | None = None) -> tuple[Chunk, frozenset[str]]:
    """The chunk at `row` of `chunks` (a generation's, in reading order) widened by up to
    `context` neighbours on each side (same page and section, neighbouring text, none in
    `taken`), as one Chunk that keeps the hit's id, and the ids it covers.
    Offsets still hold: page_text[start:end] is the text, up to the kind of whitespace
    between the chunks, so quotes and highlights keep their places."""
    chunk = chunks[row]
    shown, covered = chunk, {chunk.id}
    left, right = row, row
    for _ in range(context):
        before = _neighbour(chunks, left, -1, shown.start, taken or set())
        if before is not None:
            shown = replace(shown, start=before.start, text=joined(before, shown))
            left -= 1
            covered.add(before.id)
        after = _neighbour(chunks, right, 1, shown.end, taken or set())
        if after is not None:
            shown = replace(shown, end=max(shown.end, after.end), text=joined(shown, after))
            right += 1
            covered.add(after.id)
    return shown, frozenset(covered)
