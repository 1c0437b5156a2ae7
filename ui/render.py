"""Turning answers into what the chat shows (HTML-escaped, Swedish)."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.records import Claim
from core.wording import citation, validity_label
from retrieval.answer import Answer
from retrieval.conversation import Understood

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|$~&])")
_LINE_START = re.compile(r"^(\s*)(\d{1,9}(?=[.)])|)([-+=.)])", re.MULTILINE)
EXCERPT_CHARS = 220
_AUTOLINK = re.compile(r"(?<=\w):/|\bwww\.", re.IGNORECASE)  # where GFM would make a link of an address
_ENTITY_END = re.compile(r"&#?\w+;$")
_ITEM_START = re.compile(r"(?:<mark>)?[•\uf0b7](?:\s|$)|(?:<mark>)?(?:[-*–]|&#42;) ")  # "*" as html_text writes it


def literal(text: str) -> str:
    """Text as Streamlit's Markdown shows it literally: quotes, passages, titles, file
    names and questions are never read as Markdown or HTML (`_2024_`, `# …`, `*`, `[x](y)`,
    `$…$`), an address is not made a link (`http://…`, `www.…`), and line breaks stay line
    breaks."""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    escaped = _LINE_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), escaped)
    escaped = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)  # no link of its own
    return escaped.replace("\n", "  \n")


# Characters Markdown (and Streamlit's math) would act on, as HTML entities: document text
# inside our HTML is shown as written, never as an image, a link, emphasis or a formula.
_MARKDOWN_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]()!$~|"})
SHORT_TITLE_CHARS = 80


def html_text(text: str) -> str:
    """Document text for our HTML (st.markdown with unsafe_allow_html): HTML-escaped and
    with Markdown's characters as entities, so `![x](http://…)` and `[x](http://…)` are
    shown as written and nothing is fetched."""
    return html.escape(text).translate(_MARKDOWN_ENTITIES)


def short_title(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """A title for a list: its first line, cut at a word (the full title is shown beside
    the passage)."""
    first = next((line.strip() for line in title.splitlines() if line.strip()), "")
    return excerpt(first, limit)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a passage on one line, cut at a word, for a glance."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def highlight_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The passage, escaped, with the quoted sentences in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html_text(text[pos:start]))
        out.append(f"<mark>{html_text(text[start:end])}</mark>")
        pos = end
    out.append(html_text(text[pos:]))
    return _flow("".join(out))


def _flow(markup: str) -> str:
    """PDF text breaks every line, often with blank lines between: keep a break only
    where a sentence or heading ended, and let wrapped lines run on."""
    def joint(m: re.Match[str]) -> str:
        before = m.string[: m.start()].rstrip()
        entity = _ENTITY_END.search(before)  # an escaped character ends the text: "!" ends a sentence
        ended = (entity.group() == "&#33;" if entity
                 else before.endswith((".", ":", ";", "!", "?", "</mark>")) or not before)
        blank = m.group(0).count("\n") > 1
        item = _ITEM_START.match(m.string, m.end()) is not None  # a list item starts its own line
        after_item = blank and _ITEM_START.match(_last_line(before)) is not None  # and ends at a blank line
        return "<br>" if ended or item or after_item or (blank and _short_last_line(before)) else " "

    return re.sub(r"[ \t]*\n\s*", joint, markup)


def _last_line(text: str) -> str:
    return text.rsplit("<br>", 1)[-1].rsplit("\n", 1)[-1].strip()


def _short_last_line(text: str) -> bool:
    last = _last_line(text)
    return len(last.split()) <= 6 and last[:1].isupper() and "," not in last


@dataclass(frozen=True)
class ShownSource:
    """A passage under an answer, as the chat shows it."""

    n: int
    doc: str
    title: str
    page: int | None
    page_label: str | None
    section: str | None
    text: str  # the passage as stored
    html: str  # the passage, escaped, with the quoted sentences marked
    quoted: bool
    validity: str  # "gällde 2018–2022, har upphört", or ""
    chunk_id: str = ""  # the chunk that matched (the passage around it keeps its id)
    start: int = 0  # where the passage starts in its page's text
    spans: tuple[tuple[int, int], ...] = ()  # the quoted sentences: offsets into `text`
    ocr: bool = False  # the page was read by OCR

    @property
    def where(self) -> str:
        return citation(self.page, self.page_label, self.section, self.ocr)

    @property
    def excerpt(self) -> str:
        return excerpt(self.text)


@dataclass(frozen=True)
class ShownAnswer:
    """What the chat keeps of an answer in the session history."""

    question: str  # masked
    text: str
    refused: bool
    sources: tuple[ShownSource, ...]
    warnings: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()
    scope: str = ""  # "Sökte bara i: …" under a filter
    feedback_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # the thumbs widget's key
    searched: str = ""  # the question searched for: what a later follow-up is understood against
    interpreted: str = ""  # shown as "Tolkat som: …" when a follow-up was rewritten
    part: str = ""  # shown as "Svarar på: …" for a long pasted text
    generated: tuple[Claim, ...] = ()  # a language model's sentences, each with its quote (then `text` is theirs)
    model_notes: tuple[str, ...] = ()  # what the model did: sentences dropped, the fallback and why
    model_id: str = ""  # the model that was asked, if one was

    @property
    def history_question(self) -> str:
        return self.searched or self.question


def answer_record(answer: Answer, today: dt.date | None = None, understood: Understood | None = None) -> ShownAnswer:
    today = today or dt.date.today()
    sources = []
    for n, p in enumerate(answer.passages, start=1):
        c = p.chunk
        spans = sorted((q.start, q.end) for q in answer.quotes if q.n == n)
        sources.append(ShownSource(
            n=n, doc=c.doc, title=c.title, page=c.page, page_label=c.page_label, section=c.section,
            text=c.text, html=highlight_html(c.text, spans), quoted=bool(spans),
            validity=validity_label(p.doc.validity, today), chunk_id=c.id, start=c.start, spans=tuple(spans),
            ocr=c.ocr,
        ))
    asked = understood.asked if understood else answer.question
    return ShownAnswer(asked, answer.text, answer.refused, tuple(sources), tuple(answer.warnings),
                       tuple(answer.responsible), answer.scope, searched=answer.question,
                       interpreted=answer.question if understood and understood.rewritten else "",
                       part=(understood.part or "") if understood else "", generated=answer.generated,
                       model_notes=answer.model_notes, model_id=answer.model_id)


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
