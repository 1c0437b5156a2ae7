"""Table rows as text, shared by the Word, HTML and PDF readers.

A table row becomes one line of its own, "Nämnd: Kommunstyrelsen — Ansvar: Uppföljning.",
the header row naming each cell, so a row is found and quoted whole and is never glued
into a sentence or taken for a heading (it ends with a full stop; core/sentences.py
reads such a line as a unit of its own).
"""

from __future__ import annotations

from collections.abc import Sequence

_TERMINAL = (".", "!", "?", ":", ";")


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """One line per data row: "Header: cell — Header: cell." (the first row names the
    columns; without names, the cells alone). Empty cells are left out."""
    cleaned = [[" ".join(c.split()) for c in row] for row in rows if any(c.strip() for c in row)]
    if not cleaned:
        return []
    header, body = (cleaned[0], cleaned[1:]) if len(cleaned) > 1 else ([], cleaned)
    lines = []
    for row in body:
        cells = [f"{header[i]}: {cell}" if i < len(header) and header[i] and header[i] != cell else cell
                 for i, cell in enumerate(row) if cell]
        if cells:
            line = " — ".join(cells)
            lines.append(line if line.endswith(_TERMINAL) else line + ".")
    return lines
