"""PDF files: the text layer per page, with printed page labels."""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from core.dictionary import is_swedish_word
from core.errors import DocumentError
from core.records import Page
from ingest import ocr
from ingest.layout import join_hyphenated, strip_running_lines
from ingest.text_reader import normalise

_CORRUPT = "PDF-filen är skadad eller ofullständig och kan inte läsas"
_AES = (
    "PDF-filen är krypterad (AES) och kan inte läsas i den här installationen "
    "(Python-paketet cryptography saknas)"
)


def read_pdf(data: bytes, name: str) -> list[Page]:
    """The pages of a PDF that have text; DocumentError if none has."""
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
    read_by_ocr = _ocr_missing(data, texts)
    texts = [read_by_ocr.get(i, text) for i, text in enumerate(texts)]
    # Running headers and footers out of the text; a page number printed in them is the
    # page's label where the PDF has no label of its own.
    cleaned = strip_running_lines(join_hyphenated([normalise(text or "") for text in texts], _known))
    pages = [
        Page(number=i + 1, text=page.text, label=labels[i] or _printed(page.label, i + 1), ocr=i in read_by_ocr)
        for i, page in enumerate(cleaned)
        if page.text.strip()
    ]
    if not pages:
        raise DocumentError(name, _no_text_reason())
    return pages


def _ocr_missing(data: bytes, texts: Sequence[str | None]) -> dict[int, str]:
    """OCR text of the pages without a text layer (ingest/ocr.py)."""
    missing = [i for i, text in enumerate(texts) if not (text or "").strip()]
    if not missing:
        return {}
    job = ocr.current_job()
    try:
        return ocr.ocr_pdf_pages(data, missing, job)
    except Exception:  # noqa: BLE001 - pypdf read it; a file pdfium cannot open is read without OCR
        job.unread += [i + 1 for i in missing]
        job.notes.append(f"{ocr.pages_sv([i + 1 for i in missing])} saknar textlager och kunde inte läsas med OCR")
        return {}


def _no_text_reason() -> str:
    """Why a PDF without any page of text is refused: no OCR here, or OCR read nothing."""
    job = ocr.current_job()
    if not ocr.available(job.command):
        return f"PDF-filen saknar textlager – troligen en skannad bild; {ocr.NOT_AVAILABLE}"
    if not job.unread:
        return "PDF-filen saknar textlager och sidorna är tomma"
    return (f"PDF-filen saknar textlager, och {ocr.pages_sv(job.unread)} kunde inte "
            "läsas med OCR")


def _known(word: str) -> bool:
    """Swedish by the dictionary; without it (not installed) only the document's words count."""
    try:
        return is_swedish_word(word)
    except (OSError, ImportError):
        return False


def _printed(label: str | None, number: int) -> str | None:
    """A printed page number, None where it is just the physical page number."""
    return None if label is None or label == str(number) else label


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
