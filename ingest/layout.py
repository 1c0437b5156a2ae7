"""The layout of a PDF's text. Running headers and footers: lines that repeat at the top or the bottom of
most pages (digits ignored: "Sida 2 (6)" and "Sida 3 (6)" are one line) are taken out
of the page text, so they reach no chunk and no quote; a printed page number among them
("Sida 3 (6)", "3 (6)", "Sida 3 av 6", "- 3 -") becomes the page's label.

Words hyphenated at a line end are joined when the joined word is Swedish.

Pure functions over the pages' texts, so they are tested without PDFs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

EDGE_LINES = 4  # lines at the top and at the bottom of a page that may be running lines
MIN_SHARE = 0.6  # a line is running when it is on at least this share of the pages
MIN_PAGES = 3  # ... and on at least this many (two pages repeat by chance)
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:sida\s+|s\.\s*|page\s+)?[-–(]?\s*(\d{1,4})\s*[-–)]?\s*(?:\(\s*\d{1,4}\s*\)|(?:av|/|of)\s*\d{1,4})?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CleanPage:
    text: str  # the page without its running lines
    label: str | None  # the printed page number read from them, if any
    removed: tuple[str, ...]  # the running lines taken out
    dropped: tuple[int, ...] = ()  # their indexes among the page's lines


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).casefold())


def _edges(lines: Sequence[str]) -> list[int]:
    """Indexes of the first and last EDGE_LINES non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def page_label(line: str) -> str | None:
    """The page number a running line prints ("Sida 3 (6)" -> "3"), else None."""
    m = _PAGE_NUMBER.match(" ".join(line.split()))
    return m.group(1) if m else None


def strip_running_lines(texts: Sequence[str]) -> list[CleanPage]:
    """Each page without the lines that run over most pages at its top or bottom."""
    split = [text.splitlines() for text in texts]
    with_text = [lines for lines in split if any(line.strip() for line in lines)]
    counts: Counter[str] = Counter()
    for lines in with_text:
        counts.update({_key(lines[i]) for i in _edges(lines)})
    need = max(MIN_PAGES, MIN_SHARE * len(with_text))
    running = {k for k, n in counts.items() if n >= need and k.strip()}
    out = []
    for lines in split:
        edge = set(_edges(lines))
        drop = {i for i in edge if _key(lines[i]) in running}
        # A lone page number at the very top or bottom is a running line too.
        filled = [i for i, line in enumerate(lines) if line.strip()]
        for i in filled[:1] + filled[-1:]:
            if len(with_text) >= MIN_PAGES and page_label(lines[i]) is not None:
                drop.add(i)
        labels = [lab for i in sorted(drop) if (lab := page_label(_number_part(lines[i]))) is not None]
        kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
        out.append(CleanPage(kept.strip("\n") + ("\n" if kept.strip() else ""), labels[0] if labels else None,
                             tuple(lines[i].strip() for i in sorted(drop)), tuple(sorted(drop))))
    return out


def _number_part(line: str) -> str:
    """The "Sida 3 (6)" at the end of a running line that also holds other text
    ("Socialförvaltningen Tjänsteutlåtande Sida 3 (6)")."""
    m = re.search(r"(?:sida|page|s\.)\s*\d{1,4}\s*(?:\(\s*\d{1,4}\s*\)|(?:av|/|of)\s*\d{1,4})?\s*$", line,
                  re.IGNORECASE)
    return m.group(0) if m else line


# --- Words hyphenated at a line end ------------------------------------------------------

_HYPHENATED = re.compile(r"(\w+)-[ \t]*\n[ \t]*([a-zåäöéü]\w*)")
_WORD = re.compile(r"\w+")


def join_hyphenated(texts: Sequence[str], known: Callable[[str], bool]) -> list[str]:
    """Each text with a word split by a hyphen at a line end joined again ("säker-" +
    "ställa" -> "säkerställa") when the joined word is Swedish (`known`) or occurs
    elsewhere in the document; a hyphen that belongs to the text stays ("styr- och
    ledningssystem", "Arbetsmarknads-, kultur-")."""
    vocabulary = {w.casefold() for text in texts for w in _WORD.findall(text)}

    def join(m: re.Match[str]) -> str:
        word = m.group(1) + m.group(2)
        if word.casefold() in vocabulary or known(word.casefold()):
            return word + "\n"
        return m.group(0)

    return [_HYPHENATED.sub(join, text) for text in texts]


_END_HYPHEN = re.compile(r"(\w+)-\s*$")
_START_WORD = re.compile(r"^\s*([a-zåäöéü]\w*)[ \t]*")


def join_across_pages(texts: Sequence[str], known: Callable[[str], bool]) -> list[str]:
    """A word hyphenated at the end of a page ("Förvalt-" + "ningsgruppen" on the next)
    is made whole on the page where it starts, under the same rule as `join_hyphenated`."""
    out = list(texts)
    vocabulary = {w.casefold() for text in texts for w in _WORD.findall(text)}
    for i in range(len(out) - 1):
        head, tail = _END_HYPHEN.search(out[i]), _START_WORD.match(out[i + 1])
        if head and tail:
            word = head.group(1) + tail.group(1)
            if word.casefold() in vocabulary or known(word.casefold()):
                out[i] = out[i][: head.start()] + word + "\n"
                out[i + 1] = out[i + 1][tail.end() :]
    return out
