"""How document facts are worded for staff: one formatter for a validity period and
one for a citation, used by the answer, the chat, the CLI and the pages."""

from __future__ import annotations

import datetime as dt
import re

from core.records import Chunk, Validity

# Head words of Swedish compounds ("integrationsstrategi", "handlingsprogrammet"),
# with their inflected forms; the first one in the text decides the subject.
_SUBJECTS = (
    (re.compile(r"\w*strategi(?:n|er|erna)?\b", re.IGNORECASE), "Strategin"),
    (re.compile(r"\w*program(?:met|men)?\b", re.IGNORECASE), "Programmet"),
    (re.compile(r"\w*riktlinje(?:n|r|rna)?\b", re.IGNORECASE), "Riktlinjerna"),
    (re.compile(r"\w*plan(?:en|er|erna)?\b", re.IGNORECASE), "Planen"),
)
GENERIC_SUBJECT = "Dokumentet"


def subject(title_or_kind: str) -> str:
    """"Strategin", "Programmet", "Riktlinjerna", "Planen", else "Dokumentet"."""
    best: tuple[int, str] | None = None
    for pattern, name in _SUBJECTS:
        match = pattern.search(title_or_kind)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else GENERIC_SUBJECT


def period(v: Validity) -> str:
    """"2018–2022", "2018-01-01 – 2022-06-30", "från 2018", "till och med 2022", or ""."""
    if v.valid_from and v.valid_to:
        dash = "–" if len(v.valid_from) == 4 and len(v.valid_to) == 4 else " – "
        return f"{v.valid_from}{dash}{v.valid_to}"
    if v.valid_from:
        return f"från {v.valid_from}"
    if v.valid_to:
        return f"till och med {v.valid_to}"
    return ""


def validity_label(v: Validity, today: dt.date) -> str:
    """Beside a source: "gällde 2018–2022, har upphört", "gäller från 2024", or ""."""
    if not period(v):
        return ""
    if v.is_expired(today):
        return f"gällde {period(v)}, har upphört"
    return f"gäller {period(v)}"


_PRONOUNS = {"Strategin": "den", "Programmet": "det", "Riktlinjerna": "de", "Planen": "den"}


def validity_note(title_or_kind: str, v: Validity, today: dt.date, replaced_by: str = "") -> str | None:
    """Under an answer, for an expired document, what it means and what to do: "Strategin
    gällde 2018–2022. Kontrollera om den har ersatts.", or with its known replacement
    "Strategin gällde 2018–2022 och har ersatts av ”…”."; None while it is valid."""
    if not v.is_expired(today):
        return None
    name = subject(title_or_kind)
    if replaced_by:
        return f"{name} gällde {period(v)} och har ersatts av ”{replaced_by}”."
    return f"{name} gällde {period(v)}. Kontrollera om {_PRONOUNS.get(name, 'det')} har ersatts."


def citation(page: int | None, page_label: str | None = None, section: str | None = None,
             ocr: bool = False) -> str:
    """"s. 5, avsnitt ”Bakgrund”": the printed page label when there is one; "s. 3, läst
    med OCR" for a scanned page."""
    parts = []
    if page is not None:
        parts.append(f"s. {page_label or page}")
    if ocr:
        parts.append("läst med OCR")
    if section:
        parts.append(f"avsnitt ”{section}”")
    return ", ".join(parts)


def chunk_citation(chunk: Chunk) -> str:
    return citation(chunk.page, chunk.page_label, chunk.section, chunk.ocr)
