"""Section-aware chunking, sized in the embedding model's tokens.

Pages are cut into sections at headings (Markdown `#`, numbered headings such as
"3.2 Ansvar", and short title-like lines in PDF text); each section is split with
langchain's RecursiveCharacterTextSplitter. Every chunk keeps its page and character
offsets, so `page.text[chunk.start:chunk.end] == chunk.text`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from core.records import Chunk, Page

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\s*(\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,4}\.)\s+[A-ZÅÄÖ][^.!?:;]{1,70}$")
_BULLET = re.compile(r"^\s*([-*•–·]|\d+[.)]\s*$)")
_END_PUNCT = re.compile(r"[.!?:;,]\s*$")
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Section:
    page_index: int
    start: int
    end: int
    heading: str | None


def _clean_heading(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip("#").strip())


def _title_like(line: str) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= 70
        and len(line.split()) <= 6
        and line[0].isupper()
        and not _END_PUNCT.search(line)
        and not _BULLET.match(line)
        and ", " not in line
    )


def _is_plain_heading(lines: list[str], i: int) -> bool:
    """A short title-like line standing after a finished sentence (or a list), before
    body text. Runs of title-like lines are lists or tables of contents, not headings."""
    line = lines[i].strip()
    if not line or line[0] in "\uf0b7\u2022":
        return False
    if _NUMBERED.match(line):
        return True
    if not _title_like(line):
        return False
    prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
    nxt = next((lines[j].strip() for j in range(i + 1, len(lines)) if lines[j].strip()), "")
    if not nxt or _title_like(nxt) or not (nxt[0].isupper() or nxt[0].isdigit()):
        return False
    # A list ends where a heading follows its last item, with or without final punctuation
    # ("• Rätten till social omsorg och trygghet" / "Ansvarsfördelning" / "Kommunstyrelsen …").
    return (not prev or bool(_END_PUNCT.search(prev)) or _title_like(prev) or prev.endswith(("»", '"'))
            or bool(_BULLET.match(prev)))


def _label(stack: list[tuple[int, str]]) -> str | None:
    """A heading path without the document title: "Allmänna bestämmelser – 1 §"."""
    names = [name for _, name in stack]
    if len(names) > 1 and stack[0][0] == 1:
        names = names[1:]
    return " – ".join(names[-2:]) if names else None


def find_sections(pages: Sequence[Page], markdown: bool) -> list[Section]:
    """Cut pages at headings. A section's heading carries over page breaks; a heading
    with no text under it joins the next section, whose label then names both."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading); plain headings are level 7
    for p_index, page in enumerate(pages):
        text = page.text
        lines = text.split("\n")
        offsets, pos = [], 0
        for line in lines:
            offsets.append(pos)
            pos += len(line) + 1
        start, has_body = 0, False
        for i, line in enumerate(lines):
            md = _MD_HEADING.match(line) if markdown else None
            if md or _is_plain_heading(lines, i):
                if has_body:
                    sections.append(Section(p_index, start, offsets[i], _label(stack)))
                    start, has_body = offsets[i], False
                level = len(md.group(1)) if md else 7
                stack = [(lv, name) for lv, name in stack if lv < level]
                stack.append((level, _clean_heading(md.group(2) if md else line)))
            elif line.strip():
                has_body = True
        if text[start:].strip():
            sections.append(Section(p_index, start, len(text), _label(stack)))
    return sections


def _splitter(chunk_tokens: int, overlap: int, count: Callable[[str], int]) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens, chunk_overlap=overlap, length_function=count,
        separators=SEPARATORS, keep_separator="end", strip_whitespace=True,
    )


def _locate(text: str, pieces: list[str], base: int) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for piece in pieces:
        found = text.find(piece, cursor)
        if found < 0:  # overlap may start before the cursor
            found = text.find(piece)
        if found < 0:
            raise AssertionError("splitter returned text not in the section")
        spans.append((base + found, base + found + len(piece)))
        cursor = found + 1
    return spans


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_pages(
    pages: Sequence[Page],
    *,
    doc: str,
    title: str,
    doc_hash: str,
    markdown: bool,
    chunk_tokens: int,
    overlap: int,
    count_tokens: Callable[[str], int],
) -> list[Chunk]:
    """Split a document's pages into chunks that record where they came from."""
    splitter = _splitter(chunk_tokens, overlap, count_tokens)
    chunks: list[Chunk] = []
    for section in find_sections(pages, markdown):
        page = pages[section.page_index]
        body = page.text[section.start : section.end]
        pieces = [p for p in splitter.split_text(body) if p.strip()]
        for start, end in _locate(body, pieces, section.start):
            text = page.text[start:end]
            c_hash = content_hash(text)
            ident = hashlib.sha256(f"{doc}\0{page.number}\0{start}\0{c_hash}".encode()).hexdigest()[:32]
            chunks.append(
                Chunk(
                    id=ident, doc=doc, title=title, page=page.number, page_label=page.label,
                    section=section.heading, start=start, end=end, text=text,
                    content_hash=c_hash, doc_hash=doc_hash, ordinal=len(chunks), ocr=page.ocr,
                )
            )
    return chunks
