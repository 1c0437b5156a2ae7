"""Read one corpus file (any format of ingest/formats.py) into pages.

Every failure is raised as `DocumentError(name, reason)` with `reason` in plain
Swedish, so the caller can show it as is and go on with the next document.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from core.errors import DocumentError
from core.records import Page
from ingest.formats import check_file, check_size, check_type
from ingest.ocr import OcrJob, ocr_job

_MAX_FILENAME = 120


def read_document(path: Path, name: str, max_bytes: int, ocr: OcrJob | None = None) -> list[Page]:
    """Read `path` into pages; `name` is the corpus-relative name used in errors. PDF
    pages without a text layer are read by OCR as `ocr` says (defaults without it), and
    what it could not read is in `ocr.notes`."""
    suffix = path.suffix.lower()
    check_type(name, suffix)
    try:
        check_size(name, path.stat().st_size, max_bytes)  # before reading a huge file
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, os_reason(exc)) from exc
    fmt = check_file(name, suffix, data, max_bytes)  # again: the file may have grown since stat
    with ocr_job(ocr):
        return fmt.reader(data, name)


def os_reason(exc: OSError) -> str:
    """Why a file could not be read, in plain Swedish."""
    if isinstance(exc, FileNotFoundError):
        return "filen finns inte (längre)"
    if isinstance(exc, PermissionError):
        return "filen kunde inte öppnas – behörighet saknas"
    if isinstance(exc, IsADirectoryError):
        return "det är en mapp, inte en fil"
    return "filen kunde inte läsas från disken"


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
