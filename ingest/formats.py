"""The one table of supported file formats, and the one file check that both the
ingest reader and the upload check use (type by file name ending, size against the
limit, empty or blank content)."""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from core.errors import DocumentError
from core.records import Page
from ingest.office_reader import read_docx, read_html
from ingest.pdf_reader import read_pdf
from ingest.text_reader import BOMS_UTF16, mostly_printable, read_text, try_decode

_MB = 1024 * 1024
_SNIFF_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Format:
    """One supported file format."""

    name_sv: str  # shown in the document list ("Format")
    in_sentence_sv: str  # the same inside a sentence ("PDF, Markdown och text")
    reader: Callable[[bytes, str], list[Page]]  # (file content, name for errors) -> pages
    kind: str  # what the content must sniff as (sniff_kind): "pdf", "docx" or "text"
    markdown: bool = False  # chunked and titled as Markdown


_PDF = Format("PDF", "PDF", read_pdf, "pdf")
_MARKDOWN = Format("Markdown", "Markdown", read_text, "text", markdown=True)
_TEXT = Format("Text", "text", read_text, "text")
# Word and web pages are read as Markdown text (ingest/office_reader.py).
_WORD = Format("Word", "Word", read_docx, "docx", markdown=True)
_HTML = Format("Webbsida", "webbsidor (HTML)", read_html, "text", markdown=True)
FORMATS: dict[str, Format] = {".pdf": _PDF, ".docx": _WORD, ".html": _HTML, ".htm": _HTML,
                              ".md": _MARKDOWN, ".markdown": _MARKDOWN, ".txt": _TEXT}
SUPPORTED_SUFFIXES = frozenset(FORMATS)
UPLOAD_SUFFIXES = sorted(s.lstrip(".") for s in FORMATS)  # for a file picker: without the dot


def formats_sv(conjunction: str) -> str:
    """The supported formats in a Swedish sentence: "PDF, Markdown och text"."""
    names = list(dict.fromkeys(f.in_sentence_sv for f in FORMATS.values()))
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}" if len(names) > 1 else names[0]


def format_name_sv(name: str) -> str:
    """The format's display name for a file name, "" if not supported."""
    fmt = FORMATS.get(_suffix(name))
    return fmt.name_sv if fmt else ""


def is_markdown(name: str) -> bool:
    fmt = FORMATS.get(_suffix(name))
    return fmt is not None and fmt.markdown


def check_type(name: str, suffix: str) -> Format:
    """The format of a file name ending (any case); DocumentError if not supported."""
    fmt = FORMATS.get(suffix.lower())
    if fmt is None:
        shown = suffix.lower() or "utan filändelse"
        raise DocumentError(name, f"filtypen {shown} stöds inte ({formats_sv('och')} stöds)")
    return fmt


def check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DocumentError(
            name, f"filen är för stor ({size_mb(size, up=True)} MB, gränsen är {size_mb(max_bytes, up=False)} MB)"
        )


def check_file(name: str, suffix: str, data: bytes, max_bytes: int) -> Format:
    """The one file check: a supported type, not larger than the limit, not empty or blank."""
    fmt = check_type(name, suffix)
    check_size(name, len(data), max_bytes)
    if not data.strip():
        raise DocumentError(name, "filen är tom" if not data else "filen innehåller bara blanksteg")
    return fmt


def sniff_kind(data: bytes) -> str | None:
    """Content-based type of an upload: "pdf", "docx", "text" or None (unknown/binary)."""
    head = data[:1024].removeprefix(codecs.BOM_UTF8)
    if head.lstrip(b" \t\r\n\f").startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(data) else None
    sample = data[:_SNIFF_BYTES]
    final = len(data) <= _SNIFF_BYTES
    if not sample.strip():
        return None
    text: str | None = None
    if sample.startswith(BOMS_UTF16):
        text = try_decode(sample, "utf-16", final)
    elif b"\x00" not in sample:
        text = try_decode(sample, "utf-8-sig", final)
        if text is None:
            text = try_decode(sample, "cp1252", final)
    if text is None or "\x00" in text:
        return None
    return "text" if mostly_printable(text) else None


def _is_docx(data: bytes) -> bool:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def size_mb(size: int, *, up: bool) -> str:
    """Size in MB with one decimal and a Swedish decimal comma; rounded so that an
    over-limit size never prints equal to the limit."""
    tenths = size * 10 / _MB
    value = (math.ceil(tenths) if up else math.floor(tenths)) / 10
    shown = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return shown.replace(".", ",")


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower()
