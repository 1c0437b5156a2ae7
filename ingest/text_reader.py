"""Plain text and Markdown files: decoding (UTF-8, UTF-16 with or without BOM, cp1252) into one page."""

from __future__ import annotations

import codecs

from core.errors import DocumentError
from core.records import Page

BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text(data: bytes, name: str) -> list[Page]:
    """The text of a non-empty text file as one page without a page number."""
    text = normalise(_decode_text(data, name))
    if not text.strip():
        raise DocumentError(name, "filen innehåller bara blanksteg")
    return [Page(number=None, text=text)]


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when `data` looks like mostly Latin text in UTF-16
    without a byte order mark (every other byte NUL), else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    half = len(sample) // 2
    if sample[1::2].count(0) >= half * 0.6 and sample[0::2].count(0) <= half * 0.1:
        return "utf-16-le"
    if sample[0::2].count(0) >= half * 0.6 and sample[1::2].count(0) <= half * 0.1:
        return "utf-16-be"
    return None


def _decode_text(data: bytes, name: str) -> str:
    utf16 = _utf16_without_bom(data)
    if data.startswith(BOMS_UTF16):
        text = try_decode(data, "utf-16", True)
    elif utf16 is not None:
        text = try_decode(data, utf16, True)
    else:
        text = try_decode(data, "utf-8-sig", True)
        if text is None:
            text = try_decode(data, "cp1252", True)
    if (
        text is None
        and sum(1 for b in data if b < 32 and b not in b"\t\n\r\f") > len(data) * 0.05
    ):
        raise DocumentError(name, "filen verkar vara en binärfil och inte text")
    if text is None:
        raise DocumentError(
            name,
            "filens teckenkodning känns inte igen; spara den som UTF-8 och läs in den igen",
        )
    if not mostly_printable(text):
        raise DocumentError(name, "filen verkar vara en binärfil och inte text")
    return text


def try_decode(data: bytes, encoding: str, final: bool) -> str | None:
    """`data` decoded, or None; with final=False a character cut at the end is no error."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        return None


def mostly_printable(text: str) -> bool:
    if not text:
        return False
    bad = sum(
        1 for ch in text if not (ch.isprintable() or ch.isspace() or ch == "\u00ad")
    )
    return bad <= len(text) * 0.05


def normalise(text: str) -> str:
    """Unix line ends and no NUL characters."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
