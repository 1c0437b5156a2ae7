"""The one sentence splitter: quotes of answers and statements of responsibility use it.

Sentences are found on the original text, so offsets index it: lines of PDF text
wrapped inside a paragraph (with or without blank lines between them) are joined;
short title lines, Markdown headings, bold lines, list items and table rows
("Nämnd: Kommunstyrelsen — Ansvar: Uppföljning.", ingest/tables.py) are units of their own;
a paragraph is cut after ".", "!", "?" or "…" before a capital, except after a known
abbreviation ("bl.a.", "t.ex.", "prop.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MD_HEADING = re.compile(r"#{1,6}\s+")
_BOLD_LINE = re.compile(r"\*\*[^*]+\*\*$")
_ROW = re.compile(r"[^\s:—][^:—]{0,60}: \S.*\s—\s[^:—]{1,60}: \S")  # "Header: cell — Header: cell."
_ITEM = re.compile(r"(?:[-*•–—→]|\d{1,2}[.)])\s+")
_FUNCTION_WORDS = frozenset(
    "i på av för till med och att som en ett den det de om från samt eller vid inom under mot enligt genom "
    "är har ska kan bland annat".split()
)
_TERMINAL = (".", "!", "?", ":", ";", "…", "[...]", "[…]")
_ABBR = frozenset(
    "bl.a t.ex m.m s.k dvs d.v.s ca resp kap prop skr bet rskr sou nr jfr kungl m.fl osv inkl "
    "exkl fr.o.m t.o.m ang tel dnr st f.d o.s.v p".split()
)
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”»)\]]*\s+(?=[\"“«(\[]?[A-ZÅÄÖ0-9])")
_WORD_WINDOW = 64
_ELLIPSIS = re.compile(r"\[(?:\.\.\.|…)\]")


@dataclass
class Unit:
    kind: str  # "heading" (title line), "para", "item", "row" (a table row, one line, quoted whole)
    start: int
    end: int


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append((pos, pos + len(raw)))
        pos += len(raw) + 1
    if text.startswith("---\n"):  # YAML front matter
        close = next((i for i, (s, e) in enumerate(out) if i > 0 and text[s:e].strip() == "---"), 0)
        out = out[close + 1 :]
    return out


def units(text: str) -> list[Unit]:
    lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
    units: list[Unit] = []
    cur: Unit | None = None
    prev_closed = True
    for i, (s, e) in enumerate(lines):
        raw = text[s:e]
        cs, ce = s + len(raw) - len(raw.lstrip()), s + len(raw.rstrip())
        content = text[cs:ce]
        nxt = text[lines[i + 1][0] : lines[i + 1][1]].strip() if i + 1 < len(lines) else ""
        md = _MD_HEADING.match(content)
        item = _ITEM.match(content)
        words = content.split()
        standalone = (
            not item
            and len(content) <= 60
            and (content[0].isupper() or content[0].isdigit())
            and not content.endswith((",",) + _TERMINAL)
            and words[-1].lower() not in _FUNCTION_WORDS
            and (prev_closed or (cur is not None and cur.kind == "item"))  # a heading after a list's last item
            and (not nxt or nxt[0].isupper() or nxt[0].isdigit() or nxt[0] == "#")
        )
        if md or _BOLD_LINE.match(content) or standalone:
            off = md.end() if md else (2 if content.startswith("**") else 0)
            units.append(Unit("heading", cs + off, ce - (2 if content.endswith("**") and not md else 0)))
            cur, prev_closed = None, True
            continue
        if _ROW.match(content):
            units.append(Unit("row", cs, ce))
            cur, prev_closed = None, True
            continue
        if item:
            cur = Unit("item", cs + item.end(), ce)
            units.append(cur)
        elif cur is not None and (not prev_closed or (cur.kind == "item" and raw[:1].isspace())):
            cur.end = ce
        else:
            cur = Unit("para", cs, ce)
            units.append(cur)
        prev_closed = content.endswith(_TERMINAL)
    return units


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while True:
        seg = text[s:e]
        s2 = s + len(seg) - len(seg.lstrip())
        e2 = s + len(seg.rstrip())
        m = _ELLIPSIS.match(text, s2, e2)
        if m:
            s, e = m.end(), e2
            continue
        return s2, e2


def split_unit(text: str, u: Unit) -> list[tuple[int, int]]:
    if u.kind in ("heading", "row"):
        return [(u.start, u.end)]
    cuts: list[tuple[int, int]] = []
    for m in _BOUNDARY.finditer(text, u.start, u.end):
        # Only the last characters before the cut are looked at (a slice from the unit's
        # start would make a long paragraph quadratic); a longer word is no abbreviation.
        tok = re.search(r"(\S+)$", text[max(u.start, m.start() - _WORD_WINDOW) : m.start()])
        if tok and tok.group(1).lower().rstrip(".").lstrip("(") in _ABBR:
            continue
        cuts.append((m.start(), m.end()))
    for m in re.finditer(r"\s" + _ELLIPSIS.pattern + r"\s", text[u.start : u.end]):
        cuts.append((u.start + m.start(), u.start + m.end()))
    cuts.sort()
    spans, pos = [], u.start
    for a, b in cuts:
        if a >= pos:
            spans.append((pos, a))
            pos = b
    spans.append((pos, u.end))
    out = []
    for s, e in spans:
        s, e = _trim(text, s, e)
        if e > s and re.search(r"\w", text[s:e]):
            out.append((s, e))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence/title/list item in reading order."""
    return [span for u in units(text) for span in split_unit(text, u)]


def display(text: str) -> str:
    """The words exactly as written, with line breaks and runs of spaces made single."""
    return re.sub(r"\s+", " ", text.replace("\uf0b7", "•")).strip()
