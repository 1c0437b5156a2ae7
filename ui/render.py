"""Turning answers into what the chat shows (HTML-escaped, Swedish)."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Sequence
from typing import Any

from retrieval.answer import Answer
from retrieval.sentences import display
from retrieval.trust import expired


def highlight_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The passage, escaped, with the quoted sentences in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return _flow("".join(out))


def _flow(markup: str) -> str:
    """PDF text breaks every line, often with blank lines between: keep a break only
    where a sentence or heading ended, and let wrapped lines run on."""
    def joint(m: re.Match[str]) -> str:
        before = m.string[: m.start()].rstrip()
        ended = before.endswith((".", ":", ";", "!", "?", "</mark>")) or not before
        blank = m.group(0).count("\n") > 1
        return "<br>" if ended or (blank and _short_last_line(before)) else " "

    return re.sub(r"[ \t]*\n\s*", joint, markup)


def _short_last_line(text: str) -> bool:
    last = text.rsplit("<br>", 1)[-1].rsplit("\n", 1)[-1].strip()
    return len(last.split()) <= 6 and last[:1].isupper() and "," not in last


def where(page: int | None, page_label: str | None, section: str | None) -> str:
    parts = []
    if page is not None:
        parts.append(f"s. {page_label or page}")
    if section:
        parts.append(f"avsnitt ”{section}”")
    return ", ".join(parts)


def answer_record(answer: Answer) -> dict[str, Any]:
    """A plain, serialisable record of an answer for the session history."""
    sources = []
    for n, p in enumerate(answer.passages, start=1):
        c = p.chunk
        spans = [(q.start, q.end) for q in answer.quotes if q.n == n]
        sources.append({
            "n": n, "doc": c.doc, "title": c.title, "where": where(c.page, c.page_label, c.section),
            "page": c.page, "page_label": c.page_label, "section": c.section, "text": c.text,
            "html": highlight_html(c.text, spans), "quoted": bool(spans),
            "preview": display(c.text)[:160],
            "validity": validity_label(p.doc_meta),
        })
    return {
        "question": answer.question, "text": answer.text, "refused": answer.refused,
        "quotes": [{"n": q.n, "text": q.text} for q in answer.quotes],
        "sources": sources, "warnings": list(answer.warnings), "responsible": list(answer.responsible),
    }


def validity_label(meta: dict[str, object]) -> str:
    start, end = meta.get("valid_from"), meta.get("valid_to")
    if expired(meta, dt.date.today()):
        return f"gällde {start}–{end}, har upphört" if start else f"gällde till {end}, har upphört"
    if start and end:
        return f"gäller {start}–{end}"
    if start:
        return f"gäller från {start}"
    if end:
        return f"gäller till {end}"
    return ""


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
