"""Sentence spans in passage text that may contain hard line breaks (PDF text)."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"»”)]?\s+(?=[\"«“(]?[A-ZÅÄÖ0-9])"  # end of sentence, next one capitalised
    r"|\n\s*\n(?=\s*[\uf0b7\u2022\-*–]\s)"  # blank line before a bullet
    r"|\n\s*(?=[\uf0b7\u2022]\s?)"  # a bullet line
    r"|(?<=[:;])\s*\n\s*\n"  # list introduced by a colon
    r"|\n(?=#)|(?<=\n)(?=#)"  # a Markdown heading
)
_ABBREVIATIONS = ("bl.a.", "t.ex.", "m.m.", "s.k.", "dvs.", "ca.", "resp.", "kap.", "prop.", "nr.", "jfr.", "st.")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace-trimmed, covering the text in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[max(0, m.start() - 6) : m.start()].lower()
        if before.endswith(_ABBREVIATIONS):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in _split_headings(text, spans):
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        s2, e2 = s + lead, e - trail
        if e2 > s2 and re.search(r"\w", text[s2:e2]):
            out.append((s2, e2))
    return out


def _split_headings(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split off a leading short title line ("Socialnämndens ansvar") from a sentence."""
    out = []
    for s, e in spans:
        heading = re.match(r"\s*#{1,6} [^\n]*\n", text[s:e])
        if heading:  # a Markdown heading is never part of a sentence
            out.append((s, s + heading.end() - 1))
            s += heading.end()
        m = re.match(r"\s*([^\n.!?:;,]{2,70})\n\s*(?=[A-ZÅÄÖ])", text[s:e])
        if m and len(m.group(1).split()) <= 6 and m.group(1).strip()[:1].isupper():
            out.append((s, s + m.end(1)))
            s += m.end()
        out.append((s, e))
    return out


def display(text: str) -> str:
    """The words exactly as written, with line breaks and runs of spaces made single."""
    return re.sub(r"\s+", " ", text.replace("\uf0b7", "•")).strip()
