"""Detection and masking of personal data in questions typed by staff, and of
personal identity numbers in documents at ingest (`identity_numbers`, `mask_identity_numbers`).

Every question passes through `mask_personal_data` before it is searched, shown
back, logged or stored. Detected: Swedish personal identity numbers
(personnummer), coordination numbers (samordningsnummer), Swedish phone numbers
and e-mail addresses. Check digits and dates are validated with python-stdnum.

A personnummer or samordningsnummer is YYMMDD or YYYYMMDD, then a separator, then
four digits. Any separator people write is accepted: none, "-", "–", "+" (aged 100
or more), ".", "/", a space, and spaces around a sign ("19460921 - 1919"). Which
are masked:

* a number with a valid date and check digit (python-stdnum's Luhn and date check;
  for a samordningsnummer the day minus 60), whatever its separator;
* a number with an invalid check digit or date only when it is written with a
  personnummer separator ("-", "–", "+", or spaces): "121212-1213" is most likely
  a mistyped personnummer and is masked as "[nummer]" (``valid=False``, so the UI can
  warn differently), while bare ten or twelve digits or "123456.7890" that fail
  the check are some other number (an order, an invoice) and left alone, unless
  the phone pattern takes them.

Phone numbers: national ("0" + 7-9 digits) or international (+46 / 0046), digit
groups split by spaces, "-" or "/" (with or without spaces around).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer

__all__ = [
    "WARNING_SV",
    "Finding",
    "MaskResult",
    "contains_personal_data",
    "find_personal_data",
    "identity_numbers",
    "mask_identity_numbers",
    "mask_personal_data",
    "question_for_log",
    "warning_for",
]

WARNING_SV = (
    "Skriv inte personuppgifter i frågan. Personnummer, telefonnummer och "
    "e-postadresser har tagits bort innan frågan behandlades."
)


@dataclass(frozen=True)
class Finding:
    """One piece of personal data; `start`/`end` index the original text."""

    kind: str  # "personnummer", "samordningsnummer", "telefon" or "epost"
    start: int
    end: int
    valid: bool


@dataclass(frozen=True)
class MaskResult:
    """The masked text (safe to log and store) and what was removed."""

    text: str
    findings: tuple[Finding, ...]


# Separators people type: hyphen, en dash, space, no-break space.
_DASHES = "-\u2013"
_SPACES = " \u00a0"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"
)

# YYMMDD / YYYYMMDD, an optional separator ("+" means aged 100 or more), NNNN.
# Not glued to other digits, nor to "digit + separator" (ISBN, SFS, ranges).
_PNR = re.compile(
    r"(?<![0-9])(?<![0-9][-\u2013+./:])"
    r"(?P<date>(?:[0-9]{2})?[0-9]{6})"
    r"(?P<sep>[ \u00a0]{0,2}[-\u2013+./][ \u00a0]{0,2}|[ \u00a0]{1,2}|)"
    r"(?P<serial>[0-9]{4})"
    r"(?![0-9])(?![-\u2013+./:][0-9])"
)
# The separators that make a number a personnummer even with a wrong check digit.
_PNR_SEPARATOR = re.compile(r"[ \u00a0]*[-\u2013+]?[ \u00a0]*")

# National ("0" + 7-9 digit subscriber number) or international (+46 / 0046,
# optionally "(0)") Swedish numbers, digit groups split by space or dash.
_SEP = r"(?:[ \u00a0]?[-\u2013/][ \u00a0]?|[ \u00a0])?"
_PHONE = re.compile(
    r"(?<![\w+])(?<![0-9][-\u2013./: \u00a0])"
    r"(?:(?:\+|00)46" + _SEP + r"(?:\(0\)" + _SEP + r")?|0)"
    r"[1-9](?:" + _SEP + r"[0-9]){6,8}"
    r"(?![0-9])(?![-\u2013./:][0-9])"
)

# DD-MM-YYYY style dates would otherwise look like "0" + seven digits.
_DATE_LIKE = re.compile(r"[0-9]{2}[-./][0-9]{2}[-./][0-9]{4}")

_LABELS = {
    "personnummer": "[personnummer]",
    "samordningsnummer": "[samordningsnummer]",
    "telefon": "[telefonnummer]",
    "epost": "[e-postadress]",
}
_INVALID_LABEL = "[nummer]"


def _is_valid_personnummer(canonical: str) -> bool:
    return personnummer.is_valid(canonical)


def _is_valid_samordningsnummer(date: str, sign: str, serial: str) -> bool:
    """Coordination number: the day is the birth day + 60.

    stdnum's `personnummer.validate` rejects day 61-91, so the date is checked
    on the number with the day lowered by 60 and the check digit (Luhn, with
    stdnum) on the ten digits as written.
    """
    day = int(date[-2:])
    if not 61 <= day <= 91:
        return False
    birth = date[:-2] + f"{day - 60:02d}"
    try:
        personnummer.get_birth_date(birth + sign + serial)
    except (ValidationError, ValueError):
        return False
    return luhn.is_valid((date + serial)[-10:])


def _classify(match: re.Match[str]) -> Finding:
    date, sep, serial = match.group("date", "sep", "serial")
    sign = "+" if "+" in sep else "-"
    start, end = match.span()
    if _is_valid_personnummer(date + sign + serial):
        return Finding("personnummer", start, end, True)
    if _is_valid_samordningsnummer(date, sign, serial):
        return Finding("samordningsnummer", start, end, True)
    return Finding("personnummer", start, end, False)


def _overlaps(start: int, end: int, taken: Iterable[Finding]) -> bool:
    return any(start < f.end and f.start < end for f in taken)


def find_personal_data(text: str) -> list[Finding]:
    """All personal data in `text`, sorted by position, never overlapping."""
    found: list[Finding] = [
        Finding("epost", m.start(), m.end(), True) for m in _EMAIL.finditer(text)
    ]

    # A wrong check digit counts only with a personnummer separator (module docstring),
    # and after the phone numbers: "076217-5266" is a phone number.
    deferred: list[Finding] = []
    for m in _PNR.finditer(text):
        if _overlaps(m.start(), m.end(), found):
            continue
        finding = _classify(m)
        if finding.valid:
            found.append(finding)
        elif m.group("sep") and _PNR_SEPARATOR.fullmatch(m.group("sep")):
            deferred.append(finding)

    for m in _PHONE.finditer(text):
        if _DATE_LIKE.fullmatch(m.group(0)):
            continue
        if not _overlaps(m.start(), m.end(), found):
            found.append(Finding("telefon", m.start(), m.end(), True))

    found.extend(f for f in deferred if not _overlaps(f.start, f.end, found))

    return sorted(found, key=lambda f: f.start)


def _label(finding: Finding) -> str:
    return _LABELS[finding.kind] if finding.valid else _INVALID_LABEL


def mask_personal_data(text: str) -> MaskResult:
    """Replace every finding with a Swedish placeholder; the rest is untouched."""
    return _masked(text, find_personal_data(text))


def identity_numbers(text: str) -> list[Finding]:
    """The valid personnummer and samordningsnummer in a document's text. Only valid
    ones: a document's "556036-0793" is an organisationsnummer, which is public."""
    return [f for f in find_personal_data(text) if f.valid and f.kind in ("personnummer", "samordningsnummer")]


def mask_identity_numbers(text: str) -> MaskResult:
    """A document's text with its valid identity numbers replaced by placeholders."""
    return _masked(text, identity_numbers(text))


def _masked(text: str, findings: list[Finding]) -> MaskResult:
    parts: list[str] = []
    pos = 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(_label(f))
        pos = f.end
    parts.append(text[pos:])
    return MaskResult("".join(parts), tuple(findings))


def contains_personal_data(text: str) -> bool:
    return bool(find_personal_data(text))


def warning_for(findings: Iterable[Finding]) -> str | None:
    """The Swedish warning to show the user, or None when nothing was found."""
    return WARNING_SV if any(True for _ in findings) else None


def question_for_log(question: str, enabled: bool) -> str | None:
    """What may be written to a log: nothing unless question logging is
    explicitly enabled, and then only the masked question."""
    if not enabled:
        return None
    return mask_personal_data(question).text
