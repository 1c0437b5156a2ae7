"""What of a passage may be quoted: complete statements only.

A statement is a sentence of a paragraph or list item that starts as a sentence starts
and ends in terminal punctuation; a lead-in that ends in ":" or ";" is quoted together
with the list that follows it (up to MAX_ITEMS items). Headings, Markdown syntax and
fragments cut by the chunk's edge are never quoted. Shared by the answer
(retrieval/quotes.py) and the ingest, which embeds every statement once for the quotes of
English answers (core/statement_vectors.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.sentences import Unit, display, split_unit, units

MAX_ITEMS = 10  # list items a lead-in brings along
MAX_LIST_CHARS = 900
ITEM_SEPARATOR = "\n• "  # between a lead-in and its items in a quote's text
_LEAD_IN = (":", ";")
_TERMINAL = (".", "!", "?", "…", ")", '"', "»", "”", "[...]", "[…]")
_MARKUP = re.compile(r"^(?:#|[*+|>]|-\s|\d{1,2}[.)]\s)")


@dataclass(frozen=True)
class Statement:
    """A quotable span of a passage's text and the words a quote of it shows."""

    start: int
    end: int
    text: str


def _indent(text: str, pos: int) -> int:
    """The leading whitespace of the line that holds `pos`."""
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return len(line) - len(line.lstrip())


def _complete(text: str, start: int, end: int) -> bool:
    body = text[start:end]
    return (
        len(body.split()) >= 4
        and not _MARKUP.match(body)
        and not body[:1].islower()  # a continuation, or cut by the chunk's start
        and body.rstrip().endswith(_TERMINAL)  # unfinished, or cut by the chunk's end
    )


def list_after(text: str, all_units: Sequence[Unit], index: int) -> list[tuple[int, int]]:
    """The items of the list that follows the lead-in ending unit `index`: Markdown list
    items, or (PDF text, whose bullets are lost) the lines indented further than the
    lead-in, all at the indentation of the first."""
    lead_indent = _indent(text, all_units[index].start)
    items: list[tuple[int, int]] = []
    item_indent: int | None = None
    length = 0
    for u in all_units[index + 1 :]:
        indent = _indent(text, u.start)
        if u.kind == "item":
            pass
        elif indent > lead_indent and (item_indent is None or indent == item_indent):
            item_indent = indent
        else:
            break
        length += u.end - u.start
        if len(items) >= MAX_ITEMS or (items and length > MAX_LIST_CHARS):
            break
        items.append((u.start, u.end))
    if len(items) > 1 and _cut_item(text, items):
        items.pop()
    return items


def _cut_item(text: str, items: Sequence[tuple[int, int]]) -> bool:
    """The last item runs to the chunk's end unfinished while the others are sentences
    (or it is as long as one): the chunk's edge cut it."""
    start, end = items[-1]
    if end < len(text.rstrip()) or text[start:end].rstrip().endswith(_TERMINAL):
        return False
    return len(text[start:end].split()) > 8 or any(text[a:b].rstrip().endswith(_TERMINAL) for a, b in items[:-1])


def statements(text: str) -> list[Statement]:
    """Every quotable statement of a passage, in reading order."""
    all_units = units(text)
    out = []
    for index, u in enumerate(all_units):
        if u.kind == "heading":
            continue
        spans = split_unit(text, u)
        for j, (start, end) in enumerate(spans):
            body = text[start:end].rstrip()
            if j == len(spans) - 1 and body.endswith(_LEAD_IN):
                items = list_after(text, all_units, index)
                if items and len(body.split()) >= 3 and not _MARKUP.match(body) and not body[:1].islower():
                    shown = display(body) + "".join(ITEM_SEPARATOR + display(text[a:b]) for a, b in items)
                    out.append(Statement(start, items[-1][1], shown))
                continue  # a lead-in without its list is not a statement
            if _complete(text, start, end):
                out.append(Statement(start, end, display(text[start:end])))
    return out


def statement_at(text: str, start: int, end: int) -> Statement:
    """The statement that begins at `start` (a lead-in with its list), else the span as given."""
    for st in statements(text):
        if st.start == start:
            return st
    return Statement(start, end, display(text[start:end]))
