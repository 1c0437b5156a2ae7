"""A PDF page's reading order from the positions of its words (pdfplumber gives them,
ingest/pdf_reader.py): lines from the words' heights, paragraphs from the gaps between
lines, two columns from a clear vertical gutter, tables as blocks of row lines.

Pure functions over word boxes (points, top-down), so they are tested without PDFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

GUTTER_MIN = 6.0  # points (2 mm): the narrowest gap between two columns
GUTTER_MAX = 0.15  # share of the page width: a wider gap parts a form's labels from its values
GUTTER_SHARE = 0.15  # at most this share of the page's lines may cross the gutter (headings, footer)
MIN_COLUMN_LINES = 4  # a run of split lines shorter than this is read line by line (a header line)
PARAGRAPH_GAP = 1.3  # a gap between lines this many times the usual line pitch starts a paragraph


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]  # left to right

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Table:
    x0: float
    x1: float
    top: float
    bottom: float
    rows: tuple[str, ...]  # one line per row (ingest/tables.py)

    def holds(self, word: Word) -> bool:
        cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        return self.x0 <= cx <= self.x1 and self.top <= cy <= self.bottom


def lines_of(words: Sequence[Word]) -> list[Line]:
    """Words grouped into lines by height, top to bottom; a word belongs to a line when
    its middle lies within the line's first word's height."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        mid = (word.top + word.bottom) / 2
        if lines and lines[-1][0].top <= mid <= lines[-1][0].bottom:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [Line(tuple(sorted(ws, key=lambda w: w.x0))) for ws in lines]


def gutter(lines: Sequence[Line], width: float) -> tuple[float, float] | None:
    """The widest vertical strip in the middle half of the page that (almost) no line
    crosses, while lines have words on both sides of it and the left column's lines run
    up to it (text, not a form's short labels): two columns. None for one."""
    if len(lines) < 2 * MIN_COLUMN_LINES:
        return None
    lo, hi = int(width * 0.25), int(width * 0.75)
    crossing = [0] * (hi - lo)
    for line in lines:
        for w in line.words:
            for x in range(max(lo, int(w.x0)), min(hi, int(w.x1) + 1)):
                crossing[x - lo] += 1
    limit = GUTTER_SHARE * len(lines)
    best: tuple[float, float] | None = None
    start = None
    for i, n in enumerate([*crossing, len(lines) + 1]):
        if n <= limit and start is None:
            start = i
        elif n > limit and start is not None:
            if i - start >= GUTTER_MIN and (best is None or i - start > best[1] - best[0]):
                best = (float(lo + start), float(lo + i - 1))
            start = None
    if best is None:
        return None
    g0, g1 = best
    if g1 - g0 > GUTTER_MAX * width:
        return None
    lefts = [[w for w in line.words if w.x1 <= g0 + 1] for line in lines]
    lefts = [ws for ws in lefts if ws]
    right = sum(1 for line in lines if any(w.x0 >= g1 - 1 for w in line.words))
    if min(len(lefts), right) < MIN_COLUMN_LINES:
        return None
    column_start = min(ws[0].x0 for ws in lefts)
    return best if median(ws[-1].x1 for ws in lefts) >= g0 - 0.25 * (g0 - column_start) else None


def _crosses(line: Line, g: tuple[float, float]) -> bool:
    return any(w.x0 < g[1] and w.x1 > g[0] for w in line.words)


def reading_order(lines: Sequence[Line], tables: Sequence[Table], width: float) -> list[list[Line] | Table]:
    """Blocks in reading order: runs of lines (a column is one run) and tables. On a page
    with two columns, each run of lines that do not cross the gutter is read left
    column first; lines across it (a heading over both columns, a footer) stay in place."""
    g = gutter(lines, width)
    items: list[Line | Table] = sorted([*lines, *tables], key=lambda it: it.top)
    blocks: list[list[Line] | Table] = []
    run: list[Line] = []

    def flush() -> None:
        if not run:
            return
        if g is not None and len(run) >= MIN_COLUMN_LINES:
            left = [Line(ws) for line in run if (ws := tuple(w for w in line.words if w.x1 <= g[0] + 1))]
            right = [Line(ws) for line in run if (ws := tuple(w for w in line.words if w.x0 > g[0] + 1))]
            blocks.extend(b for b in (left, right) if b)
        else:
            blocks.append(list(run))
        run.clear()

    for item in items:
        if isinstance(item, Table):
            flush()
            blocks.append(item)
        elif g is not None and not _crosses(item, g):
            run.append(item)
        else:
            flush()
            if blocks and isinstance(blocks[-1], list) and (g is None or _crosses(blocks[-1][-1], g)):
                blocks[-1].append(item)
            else:
                blocks.append([item])
    flush()
    return blocks


def page_text(lines: Sequence[Line], tables: Sequence[Table], width: float) -> str:
    """The page's text in reading order: a line per line, a blank line between
    paragraphs, each table's rows as a paragraph of their own."""
    parts: list[str] = []
    for block in reading_order(lines, tables, width):
        if isinstance(block, Table):
            parts.append("\n".join(block.rows))
            continue
        pitches = [b.top - a.top for a, b in zip(block, block[1:], strict=False) if b.top > a.top]
        pitch = median(pitches) if pitches else 0.0
        para: list[str] = []
        for prev, line in zip([None, *block], block, strict=False):
            if prev is not None and pitch and line.top - prev.top > PARAGRAPH_GAP * pitch:
                parts.append("\n".join(para))
                para = []
            para.append(line.text)
        parts.append("\n".join(para))
    return "\n\n".join(p for p in parts if p.strip()) + "\n"


def printed_title(pages: Sequence[Sequence[Line]]) -> str | None:
    """The title as printed: the largest type on the first page with body text (a cover
    page of a few words is passed over), when it stands clearly above the body text; the
    lines of that size that follow it belong to it ("Strategi för romsk inkludering
    2018-2022 – svar på" / "remiss")."""
    for lines in pages[:3]:
        if sum(len(line.words) for line in lines) < 40:
            continue  # a cover page (or an empty one): its big words are the city's name
        size = [line.bottom - line.top for line in lines]
        body = sorted(h for line, h in zip(lines, size, strict=True) for _ in line.words)[
            sum(len(line.words) for line in lines) // 2]
        top = max(size)
        if top < 1.3 * body:
            return None
        first = size.index(top)
        taken = [lines[first]]
        for line, h in zip(lines[first + 1 :], size[first + 1 :], strict=False):
            if abs(h - top) > 0.1 * top or line.top - taken[-1].bottom > 0.8 * top:
                break
            taken.append(line)
        title = " ".join(line.text for line in taken).strip()
        return title if 3 <= len(title) <= 200 else None
    return None
