"""When a governing document (strategy, programme, guidelines) was in force.

The period comes from `valid_from`/`valid_to` in sources.toml when given, otherwise
from a year range in the title ("… 2018–2022"). Expired documents get a short
Swedish note so answers do not present them as current.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ingest.manifest import DocMeta

_RANGE_RE = re.compile(r"(?<!\d)(\d{4})\s*[-–—]\s*(\d{4})(?!\d)")
# Head words of Swedish compounds ("integrationsstrategi", "handlingsprogrammet"),
# with their inflected forms; the first one in the text decides the subject.
_SUBJECTS = (
    (re.compile(r"\w*strategi(?:n|er|erna)?\b", re.IGNORECASE), "Strategin"),
    (re.compile(r"\w*program(?:met|men)?\b", re.IGNORECASE), "Programmet"),
    (re.compile(r"\w*riktlinje(?:n|r|rna)?\b", re.IGNORECASE), "Riktlinjerna"),
    (re.compile(r"\w*plan(?:en|er|erna)?\b", re.IGNORECASE), "Planen"),
)


@dataclass(frozen=True)
class Validity:
    valid_from: str | None
    valid_to: str | None
    source: str  # "sources.toml", "titel" or "okänd"


def validity_for(meta: DocMeta | None, title: str) -> Validity:
    """The validity period from the manifest, else from the title, else unknown."""
    if meta is not None and (meta.valid_from or meta.valid_to):
        return Validity(meta.valid_from, meta.valid_to, "sources.toml")
    if _subject(title) == "Dokumentet":
        # A year range in a report's title is the period it describes ("nuläget
        # 2012–2017"), not a period of validity: only governing documents get one.
        return Validity(None, None, "okänd")
    for match in _RANGE_RE.finditer(title):
        first, second = int(match.group(1)), int(match.group(2))
        if 1900 <= first <= second <= 2100:
            return Validity(match.group(1), match.group(2), "titel")
    return Validity(None, None, "okänd")


def is_expired(v: Validity, today: dt.date) -> bool:
    """True when the period ended before `today` (a bare year ends on 31 December)."""
    end = _end_date(v.valid_to)
    return end is not None and end < today


def validity_note(title_or_kind: str, v: Validity, today: dt.date) -> str | None:
    """E.g. "Strategin gällde 2018–2022." for an expired document, else None."""
    if not is_expired(v, today) or v.valid_to is None:
        return None
    subject = _subject(title_or_kind)
    if v.valid_from is None:
        return f"{subject} gällde till och med {v.valid_to}."
    dash = "–" if len(v.valid_from) == 4 and len(v.valid_to) == 4 else " – "
    return f"{subject} gällde {v.valid_from}{dash}{v.valid_to}."


def _subject(text: str) -> str:
    best: tuple[int, str] | None = None
    for pattern, subject in _SUBJECTS:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), subject)
    return best[1] if best else "Dokumentet"


def _end_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}", value):
            return dt.date(int(value), 12, 31)
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
