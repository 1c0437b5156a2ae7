"""The way from a source under an answer to the original: the link that names the
document, the cited page or section and the quoted sentences, and the choice of text
the source page shows (read from the index, so that it matches the citation).

Plain functions; the page itself is ui/source.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from core.records import Chunk
from ui.render import ShownSource, _flow, html_text

SOURCE_URL_PATH = "kalla"  # app.py registers ui/source.py under this path
ANCHOR = "citerat"  # the id of the first quoted sentence (or the cited passage) on the source page
MAX_SPANS = 20
_SPAN = re.compile(r"(\d{1,9})-(\d{1,9})")


@dataclass(frozen=True)
class SourceRef:
    """What a link to the source page names: the document (its name in the index), the
    page (PDF), the cited chunk, and the quoted sentences as offsets into the page text."""

    doc: str
    page: int | None = None
    chunk: str = ""
    spans: tuple[tuple[int, int], ...] = ()


def source_link(source: ShownSource) -> str:
    """A link relative to the app's base URL (so it holds behind a path prefix)."""
    params = {"doc": source.doc}
    if source.page is not None:
        params["page"] = str(source.page)
    if source.chunk_id:
        params["chunk"] = source.chunk_id
    if source.spans:
        params["q"] = ",".join(f"{source.start + a}-{source.start + b}" for a, b in source.spans)
    return f"{SOURCE_URL_PATH}?{urlencode(params, quote_via=quote, safe='')}"


def link_label(page: int | None, page_label: str | None) -> str:
    """"Öppna originalet (s. 3)" for a format with pages, else "Öppna avsnittet"."""
    if page is None:
        return "Öppna avsnittet"
    return f"Öppna originalet (s. {page_label or page})"


def link_markdown(source: ShownSource) -> str:
    """The link as Markdown (Streamlit opens a Markdown link in a new tab)."""
    return f":material/open_in_new: [{link_label(source.page, source.page_label)}]({source_link(source)})"


def parse_ref(params: Mapping[str, str]) -> SourceRef | None:
    """The link's query parameters read back; None without a document. A malformed
    page or span is left out (the page then shows less, never something else)."""
    doc = params.get("doc", "")
    if not doc:
        return None
    raw_page = params.get("page", "")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else None
    spans = []
    for part in params.get("q", "").split(",")[:MAX_SPANS]:
        m = _SPAN.fullmatch(part.strip())
        if m and int(m.group(1)) < int(m.group(2)):
            spans.append((int(m.group(1)), int(m.group(2))))
    chunk = params.get("chunk", "")
    return SourceRef(doc, page, chunk if re.fullmatch(r"[0-9a-f]{1,64}", chunk) else "", tuple(spans))


@dataclass(frozen=True)
class CitedText:
    """The text the source page shows: a whole PDF page, or the whole section of the
    cited passage. `base` is where `text` starts in the page's text; `spans` (quoted
    sentences) and `passage` (the cited chunk) are offsets into `text`."""

    page: int | None
    page_label: str | None
    section: str | None
    base: int
    text: str
    spans: tuple[tuple[int, int], ...]
    passage: tuple[int, int] | None
    found: bool  # the cited chunk is in the index (else the quote cannot be placed)
    headings: tuple[tuple[int, int], ...] = ()  # the heading lines that start sections, offsets into `text`


def assemble(chunks: Sequence[Chunk]) -> tuple[int, str]:
    """The text of chunks of one page, by their offsets: overlapping text once, the
    whitespace the chunker dropped between them as newlines of the same length (so that
    offsets into the page still hold). (start offset, text)."""
    ordered = sorted(chunks, key=lambda c: (c.start, c.end))
    base = end = ordered[0].start
    parts = []
    for c in ordered:
        if c.end <= end:
            continue
        parts.append("\n" * (c.start - end) + c.text if c.start >= end else c.text[end - c.start:])
        end = c.end
    return base, "".join(parts)


def cited_text(doc_chunks: Sequence[Chunk], ref: SourceRef, page: int | None = None) -> CitedText | None:
    """The page `page` (default: the cited one) of a document with pages, else the
    section of the cited chunk. `doc_chunks`: the document's chunks in reading order.
    The quote is placed only on the page (or section) of the cited chunk."""
    if not doc_chunks:
        return None
    hit = next((c for c in doc_chunks if c.id == ref.chunk), None) if ref.chunk else None
    paged = doc_chunks[0].page is not None
    if paged:
        wanted = page or (hit.page if hit else None) or ref.page or doc_chunks[0].page
        shown = [c for c in doc_chunks if c.page == wanted]
        if not shown:  # a page without text (a picture, an empty page): shown as such when asked for
            return CitedText(page, None, None, 0, "", (), None, hit is not None) if page else None
    else:
        anchor = hit or _covering(doc_chunks, ref.spans) or doc_chunks[0]
        shown = _section_run(doc_chunks, anchor)
    base, text = assemble(shown)
    first = shown[0]
    here = hit is not None and hit.page == first.page and hit in shown
    spans = tuple(_clip(a - base, b - base, len(text)) for a, b in ref.spans) if here else ()
    passage = _clip(hit.start - base, hit.end - base, len(text)) if here and hit else None
    return CitedText(first.page, first.page_label, None if paged else first.section, base, text,
                     tuple(s for s in spans if s[0] < s[1]), passage, hit is not None, _headings(shown, base))


def _headings(shown: Sequence[Chunk], base: int) -> tuple[tuple[int, int], ...]:
    """Where a section starts among `shown` with its heading line (the chunker starts a
    section at its heading): that line's offsets, so that it is shown as a heading."""
    out, previous = [], None
    for c in sorted(shown, key=lambda c: c.start):
        if c.section and c.section != previous:
            line = c.text.split("\n", 1)[0]
            if _clean(line) and _clean(line) == _clean(c.section.split(" – ")[-1]):
                out.append((c.start - base, c.start - base + len(line)))
        previous = c.section
    return tuple(out)


def _clean(heading: str) -> str:
    return " ".join(heading.strip().strip("#").split())


def _covering(doc_chunks: Sequence[Chunk], spans: Sequence[tuple[int, int]]) -> Chunk | None:
    if not spans:
        return None
    return next((c for c in doc_chunks if c.start <= spans[0][0] < c.end), None)


def _section_run(doc_chunks: Sequence[Chunk], anchor: Chunk) -> list[Chunk]:
    """The chunks next to `anchor` in reading order with its page and section."""
    i = doc_chunks.index(anchor)

    def same(c: Chunk) -> bool:
        return c.page == anchor.page and c.section == anchor.section

    lo = i
    while lo > 0 and same(doc_chunks[lo - 1]):
        lo -= 1
    hi = i + 1
    while hi < len(doc_chunks) and same(doc_chunks[hi]):
        hi += 1
    return list(doc_chunks[lo:hi])


def _clip(a: int, b: int, n: int) -> tuple[int, int]:
    return max(0, min(a, n)), max(0, min(b, n))


def cited_html(cited: CitedText) -> str:
    """The text, escaped, with the quoted sentences in <mark>; the first quoted
    sentence (or, without one, the start of the cited passage) carries id=ANCHOR.
    Section headings are shown in bold on a line of their own (Markdown's # left out)."""
    marks = sorted(cited.spans)
    cuts: list[tuple[int, int, str]] = []  # (offset, order, markup)
    pos = -1
    for start, end in marks:
        if start < pos:
            continue
        cuts.append((start, 1, "<mark>"))
        cuts.append((end, 0, "</mark>"))
        pos = end
    for start, end in cited.headings:
        if not any(a < end and start < b for a, b in marks):
            cuts.append((start, 2, f"<strong>{html_text(_clean(cited.text[start:end]))}</strong><br>"))
            cuts.append((end, -1, ""))  # the heading's own text is replaced
    if not marks and cited.passage:  # no quote: an empty anchor where the passage starts
        at = next((a for a, b in cited.headings if a < cited.passage[0] < b), cited.passage[0])
        cuts.append((at, 1, f"<span id='{ANCHOR}'></span>"))
    out, last, anchored = [], 0, False
    for offset, order, markup in sorted(cuts):
        out.append("" if order == -1 else html_text(cited.text[last:offset]))
        if markup == "<mark>" and not anchored:
            markup = f"<mark id='{ANCHOR}'>"
        anchored = anchored or markup.startswith(("<mark", "<span"))
        out.append(markup)
        last = offset
    out.append(html_text(cited.text[last:]))
    return _flow("".join(out))


def quoted_sentences(cited: CitedText) -> list[str]:
    """The quoted sentences on one line each, for the box at the top of the page."""
    return [" ".join(cited.text[a:b].split()) for a, b in sorted(cited.spans)]
