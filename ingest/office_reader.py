"""Word (.docx) and web pages (.html) as Markdown text, so that they go through the same
Markdown chunking (sections from their headings), metadata and re-ingest path as the
other formats.

- Word: python-docx walks the body in order; heading styles ("Heading N", "Rubrik N",
  "Title"/"Rubrik") become `#` headings, list paragraphs `- ` items, tables rows.
- HTML: trafilatura keeps the main text (no menus, cookie banners or footers) with its
  headings, lists and tables.

A table row becomes one line of its own (ingest/tables.py), "Nämnd: Kommunstyrelsen — Ansvar: Uppföljning.",
the header row naming each cell, so a row is found and quoted whole and is never glued
into a sentence or taken for a heading.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from core.errors import DocumentError
from core.records import Page
from ingest.tables import table_lines
from ingest.text_reader import normalise, try_decode

_HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "rubrik", "titel"})
_LIST_STYLE = re.compile(r"list|liststycke|punkt|numrering", re.IGNORECASE)


def _join(blocks: Iterable[str]) -> str:
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


# --- Word ------------------------------------------------------------------------------


def read_docx(data: bytes, name: str) -> list[Page]:
    """The document as one page of Markdown text (Word has no fixed pages)."""
    try:
        import docx
        from docx.document import Document
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document: Document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - zip, package or XML errors of a broken file: one plain reason
        raise DocumentError(name, "Word-filen kunde inte läsas (den verkar vara skadad)") from exc
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = " ".join(item.text.split())
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            heading = _HEADING_STYLE.match(style.strip())
            if heading:
                blocks.append("#" * min(6, int(heading.group(1))) + " " + text)
            elif style.strip().casefold() in _TITLE_STYLES:
                blocks.append("# " + text)
            elif _LIST_STYLE.search(style) or item._p.pPr is not None and item._p.pPr.numPr is not None:
                blocks.append("- " + text)
            else:
                blocks.append(text)
        elif isinstance(item, Table):
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            blocks.extend(table_lines(_unmerged(rows)))
    text = normalise(_join(blocks))
    if not text.strip():
        raise DocumentError(name, "Word-filen innehåller ingen text")
    return [Page(number=None, text=text)]


def _unmerged(rows: list[list[str]]) -> list[list[str]]:
    """python-docx repeats a merged cell in every grid column it spans: keep it once."""
    out = []
    for row in rows:
        kept: list[str] = []
        for cell in row:
            if not kept or cell != kept[-1]:
                kept.append(cell)
        out.append(kept)
    return out


# --- HTML ------------------------------------------------------------------------------

_MD_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def read_html(data: bytes, name: str) -> list[Page]:
    """The page's main text as one page of Markdown text."""
    import trafilatura

    html = try_decode(data, "utf-8-sig", True) or try_decode(data, "cp1252", True)
    if html is None:
        raise DocumentError(name, "webbsidans teckenkodning känns inte igen; spara den som UTF-8")
    try:
        markdown = trafilatura.extract(html, output_format="markdown", include_tables=True,
                                       include_formatting=True, include_comments=False, include_images=False,
                                       include_links=False, favor_recall=True)
    except Exception as exc:  # noqa: BLE001 - a page the parser cannot take: one plain reason
        raise DocumentError(name, "webbsidan kunde inte läsas") from exc
    if not markdown or not markdown.strip():
        raise DocumentError(name, "webbsidan innehåller ingen text att läsa in")
    text = normalise(_join(_tables_as_rows(markdown.splitlines())))
    title = _html_title(html)
    if title and not text.lstrip().startswith("# "):
        text = f"# {title}\n\n{text}"
    return [Page(number=None, text=text)]


def _html_title(html: str) -> str:
    import trafilatura

    meta = trafilatura.extract_metadata(html)
    return " ".join((meta.title or "").split()) if meta is not None else ""


def _tables_as_rows(lines: Sequence[str]) -> list[str]:
    """Markdown text with each pipe table turned into row lines (`table_lines`), and the
    rest as paragraphs (a blank line between blocks)."""
    blocks: list[str] = []
    table: list[list[str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if table:
            blocks.extend(table_lines(table))
        if paragraph:
            blocks.append("\n".join(paragraph))
        table.clear()
        paragraph.clear()

    for line in lines:
        row = _MD_TABLE_ROW.match(line)
        rule = _MD_TABLE_RULE.match(line)
        if row or (table and rule):
            if paragraph or (row and not table):
                flush()  # a table starts: the paragraph before it ends
            if row and not rule:
                table.append([c.strip() for c in row.group(1).split("|")])
        elif not line.strip() or line.lstrip().startswith(("#", "- ", "* ")):
            flush()
            if line.strip():
                blocks.append(line.strip())
        else:
            if table:
                flush()
            paragraph.append(line.strip())
    flush()
    return blocks
