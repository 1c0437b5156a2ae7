"""Read one corpus file (PDF, Markdown or plain text) into pages.

Every failure is raised as `DocumentError(name, reason)` with `reason` in plain
Swedish, so the caller can show it as is and go on with the next document.
"""

from __future__ import annotations

import codecs
import io
import math
import os
import re
import unicodedata
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from core.errors import DocumentError
from core.records import Page

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt"}

_MB = 1024 * 1024
_MAX_FILENAME = 120
_SNIFF_BYTES = 1024 * 1024
_BOMS_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CORRUPT = "PDF-filen är skadad eller ofullständig och kan inte läsas"
_AES = (
    "PDF-filen är krypterad (AES) och kan inte läsas i den här installationen "
    "(Python-paketet cryptography saknas)"
)


def read_document(path: Path, name: str, max_bytes: int) -> list[Page]:
    """Read `path` into pages; `name` is the corpus-relative name used in errors."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "utan filändelse"
        raise DocumentError(
            name, f"filtypen {shown} stöds inte (PDF, Markdown och text stöds)"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                name,
                f"filen är för stor ({_mb(size, up=True)} MB, gränsen är {_mb(max_bytes, up=False)} MB)",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, _os_reason(exc)) from exc
    if len(data) > max_bytes:  # the file grew between stat and read
        raise DocumentError(
            name,
            f"filen är för stor ({_mb(len(data), up=True)} MB, gränsen är {_mb(max_bytes, up=False)} MB)",
        )
    if not data.strip():
        raise DocumentError(
            name, "filen är tom" if not data else "filen innehåller bara blanksteg"
        )
    if suffix == ".pdf":
        return _read_pdf(data, name)
    text = _normalise(_decode_text(data, name))
    if not text.strip():
        raise DocumentError(name, "filen innehåller bara blanksteg")
    return [Page(number=None, text=text)]


def sniff_kind(data: bytes) -> str | None:
    """Content-based type of an upload: "pdf", "text" or None (unknown/binary)."""
    head = data[:1024].removeprefix(codecs.BOM_UTF8)
    if head.lstrip(b" \t\r\n\f").startswith(b"%PDF-"):
        return "pdf"
    sample = data[:_SNIFF_BYTES]
    final = len(data) <= _SNIFF_BYTES
    if not sample.strip():
        return None
    text: str | None = None
    if sample.startswith(_BOMS_UTF16):
        text = _try_decode(sample, "utf-16", final)
    elif b"\x00" not in sample:
        text = _try_decode(sample, "utf-8-sig", final)
        if text is None:
            text = _try_decode(sample, "cp1252", final)
    if text is None or "\x00" in text:
        return None
    return "text" if _mostly_printable(text) else None


def safe_filename(name: str) -> str:
    """Sanitise an uploaded file name to a safe base name; ValueError if nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    chars: list[str] = []
    for ch in base:
        cat = unicodedata.category(ch)
        keep = cat[0] in "LM" or cat == "Nd" or ch in " -_."
        if keep:
            chars.append(ch)
        elif not chars or chars[-1] != "_":
            chars.append("_")
    cleaned = "".join(chars).strip(" ").lstrip(".").rstrip(". ")
    if not any(unicodedata.category(c)[0] in "LN" for c in cleaned):
        raise ValueError("ogiltigt filnamn")
    if len(cleaned) > _MAX_FILENAME:
        stem, ext = os.path.splitext(cleaned)
        if not ext or len(ext) > 16:
            stem, ext = cleaned, ""
        cleaned = stem[: _MAX_FILENAME - len(ext)].rstrip(". ") + ext
    return cleaned


# --- PDF ---------------------------------------------------------------------------


def _read_pdf(data: bytes, name: str) -> list[Page]:
    # pypdf raises PdfReadError/PdfStreamError for broken files, but also plain
    # TypeError/AttributeError/KeyError/... from deep inside its parser, and often
    # only lazily (in extract_text), so every step is guarded with a broad except.
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _decrypt_or_fail(reader, name)
        count = len(reader.pages)
        texts = [reader.pages[i].extract_text() for i in range(count)]
    except DocumentError:
        raise
    except DependencyError as exc:
        raise DocumentError(name, _AES) from exc
    except Exception as exc:  # deliberately broad, see comment above
        raise DocumentError(name, _CORRUPT) from exc
    if count == 0:
        raise DocumentError(name, "PDF-filen innehåller inga sidor")
    labels = _page_labels(reader, count)
    normalised = [_normalise(text or "") for text in texts]
    pages = [
        Page(number=i + 1, text=text, label=labels[i])
        for i, text in enumerate(normalised)
        if text.strip()
    ]
    if not pages:
        raise DocumentError(
            name, "PDF-filen saknar textlager – troligen en skannad bild; kör OCR först"
        )
    return pages


def _decrypt_or_fail(reader: PdfReader, name: str) -> None:
    # Many "protected" PDFs only restrict printing/copying and open with the empty
    # user password; only ask for a password when that fails.
    if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise DocumentError(
            name,
            "PDF-filen är lösenordsskyddad; spara en version utan lösenord och läs in den i stället",
        )


def _page_labels(reader: PdfReader, count: int) -> list[str | None]:
    """Printed page labels, None where the label is just the physical page number."""
    try:
        raw = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - a broken label tree must not lose the document
        return [None] * count
    labels: list[str | None] = []
    for i in range(count):
        label = raw[i].strip() if i < len(raw) and isinstance(raw[i], str) else ""
        labels.append(None if not label or label == str(i + 1) else label)
    return labels


# --- Text --------------------------------------------------------------------------


def _decode_text(data: bytes, name: str) -> str:
    if data.startswith(_BOMS_UTF16):
        text = _try_decode(data, "utf-16", True)
    else:
        text = _try_decode(data, "utf-8-sig", True)
        if text is None:
            text = _try_decode(data, "cp1252", True)
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
    if not _mostly_printable(text):
        raise DocumentError(name, "filen verkar vara en binärfil och inte text")
    return text


def _try_decode(data: bytes, encoding: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        return None


def _mostly_printable(text: str) -> bool:
    if not text:
        return False
    bad = sum(
        1 for ch in text if not (ch.isprintable() or ch.isspace() or ch == "\u00ad")
    )
    return bad <= len(text) * 0.05


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "filen finns inte (längre)"
    if isinstance(exc, PermissionError):
        return "filen kunde inte öppnas – behörighet saknas"
    if isinstance(exc, IsADirectoryError):
        return "det är en mapp, inte en fil"
    return "filen kunde inte läsas från disken"


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _mb(size: int, *, up: bool) -> str:
    """Size in MB with one decimal and a Swedish decimal comma; rounded so that an
    over-limit size never prints equal to the limit."""
    tenths = size * 10 / _MB
    value = (math.ceil(tenths) if up else math.floor(tenths)) / 10
    shown = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return shown.replace(".", ",")
