"""PDF files: the text layer per page in reading order, with printed page labels.

pypdf opens the file (broken and encrypted files, the page labels); PDFium (pypdfium2,
C++, ~15 ms a page) gives the words with their boxes, and pdfplumber's table finder
(pure Python, ~250 ms a page, so run only on a page that draws a grid) the ruled tables,
from which ingest/geometry.py builds the reading order: paragraphs, two columns read one
after the other, a table's rows as lines of their own ("Nämnd: Kommunstyrelsen — Ansvar:
…"). Where PDFium cannot read a file that pypdf can, pypdf's text is used as before.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from core.dictionary import is_swedish_word
from core.errors import DocumentError
from core.records import Page
from ingest import ocr
from ingest.geometry import Line, Table, Word, lines_of, page_text, printed_title
from ingest.layout import join_across_pages, join_hyphenated, strip_running_lines
from ingest.tables import table_lines
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
        for i in range(count):  # a broken content stream is refused, as it was when pypdf read the text
            contents = reader.pages[i].get_contents()
            if contents is not None:
                contents.get_data()
        geometry = _geometry(data, count)
        texts = [reader.pages[i].extract_text() for i in range(count)] if geometry is None else []
    except DocumentError:
        raise
    except DependencyError as exc:
        raise DocumentError(name, _AES) from exc
    except Exception as exc:  # deliberately broad, see comment above
        raise DocumentError(name, _CORRUPT) from exc
    if count == 0:
        raise DocumentError(name, "PDF-filen innehåller inga sidor")
    labels = _page_labels(reader, count)
    # Running headers and footers out of the text; a page number printed in them is the
    # page's label where the PDF has no label of its own. Pages without a text layer are
    # read by OCR (ingest/ocr.py) and go the same way.
    if geometry is None:
        read_by_ocr = _ocr_missing(data, texts)
        texts = [read_by_ocr.get(i, text) for i, text in enumerate(texts)]
        cleaned = strip_running_lines(join_hyphenated([normalise(text or "") for text in texts], _known))
    else:
        layer = ["\n".join(line.text for line in lines) if lines or tables else ""
                 for lines, tables, _ in geometry]
        read_by_ocr = _ocr_missing(data, layer)
        cleaned = strip_running_lines([read_by_ocr.get(i, text) for i, text in enumerate(layer)])
        read = [_ocr_text(read_by_ocr[i], clean.dropped) if i in read_by_ocr else
                page_text([line for j, line in enumerate(lines) if j not in set(clean.dropped)], tables, width)
                for i, ((lines, tables, width), clean) in enumerate(zip(geometry, cleaned, strict=True))]
        joined = join_across_pages(join_hyphenated([normalise(t) for t in read], _known), _known)
        cleaned = [replace(clean, text=text) for clean, text in zip(cleaned, joined, strict=True)]
    pages = [
        Page(number=i + 1, text=page.text, label=labels[i] or _printed(page.label, i + 1), ocr=i in read_by_ocr)
        for i, page in enumerate(cleaned)
        if page.text.strip()
    ]
    if not pages:
        raise DocumentError(name, _no_text_reason())
    title = _metadata_title(reader) or (printed_title([lines for lines, _, _ in geometry]) if geometry else None)
    return [replace(pages[0], title=title), *pages[1:]] if title else pages


def _metadata_title(reader: PdfReader) -> str | None:
    """The title in the PDF's document information, when it is one ("Microsoft Word -
    dokument1.docx" and file names such as "beslut-2017" are not)."""
    try:
        value = (reader.metadata.title if reader.metadata else None) or ""
    except Exception:  # noqa: BLE001 - a broken info dictionary must not lose the document
        return None
    value = re.sub(r"^Microsoft Word\s*-\s*", "", " ".join(str(value).split()))
    file_name = re.search(r"\.(docx?|pdf|odt|rtf)$", value, re.IGNORECASE) or re.fullmatch(r"\S*[-_]\S*", value)
    if len(value) < 4 or file_name or not re.search(r"[a-zåäö]{3}", value):
        return None
    return value


def _ocr_text(text: str, dropped: Sequence[int]) -> str:
    """An OCR page's text without its running lines."""
    return "\n".join(line for i, line in enumerate(text.splitlines()) if i not in set(dropped))


PageGeometry = tuple[list[Line], list[Table], float]  # lines (tables' words out), tables, page width


def _geometry(data: bytes, count: int) -> list[PageGeometry] | None:
    """Each page's lines and tables; None where PDFium cannot read the file."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data, password="")
    except Exception:  # noqa: BLE001 - PDFium's errors on a file pypdf opened: read it with pypdf
        return None
    try:
        if len(document) != count:
            return None
        out: list[PageGeometry] = []
        for index in range(count):
            page = document[index]
            width, height = (float(v) for v in page.get_size())
            tables = _tables(data, index) if _ruled(page) else []
            words = [w for w in _words(page, height) if not any(t.holds(w) for t in tables)]
            out.append((lines_of(words), tables, width))
            page.close()
        return out
    except Exception:  # noqa: BLE001 - as above
        return None
    finally:
        document.close()


_LINE_END_HYPHENS = frozenset("\x02\u00ad")


def _words(page: Any, height: float) -> list[Word]:
    """The page's words from PDFium's characters (loose boxes: a word's letters touch),
    cut at spaces, at a gap wider than a quarter of the letter size and at a new line."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    words: list[Word] = []
    chars: list[str] = []
    box = [0.0, 0.0, 0.0, 0.0]  # x0, x1, top, bottom of the word so far

    def flush() -> None:
        if chars:
            words.append(Word("".join(chars), box[0], box[1], box[2], box[3]))
        chars.clear()

    for i in range(textpage.count_chars()):
        ch = chr(raw.FPDFText_GetUnicode(textpage.raw, i))
        if ch in _LINE_END_HYPHENS:  # PDFium reports a hyphen at a line end as \x02
            ch = "-"
        if ch.isspace() or not ch.isprintable():
            flush()
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        top, bottom = height - top, height - bottom
        size = max(bottom - top, 1.0)
        if chars and (left - box[1] > 0.25 * size or left < box[0] - 0.5
                      or not box[2] - 0.3 * size <= (top + bottom) / 2 <= box[3] + 0.3 * size):
            flush()
        if not chars:
            box[:] = [left, right, top, bottom]
        box[1], box[2], box[3] = max(box[1], right), min(box[2], top), max(box[3], bottom)
        chars.append(ch)
    flush()
    textpage.close()
    return words


def _ruled(page: Any) -> bool:
    """Whether the page draws a grid (two boxes, or two lines across and two down) that
    may be a ruled table: only then is the table finder run."""
    import pypdfium2.raw as raw

    across = down = boxes = 0
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_PATH,), max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        w, h = right - left, top - bottom
        if w > 4 and h > 4:
            boxes += 1
        elif w > 10:
            across += 1
        elif h > 4:
            down += 1
    return boxes >= 2 or (across >= 2 and down >= 2)


def _tables(data: bytes, index: int) -> list[Table]:
    """The page's ruled tables (pdfplumber's table finder, line strategy) of two rows
    and two columns or more."""
    import pdfplumber

    out = []
    with pdfplumber.open(io.BytesIO(data), password="", pages=[index + 1]) as pdf:
        for found in pdf.pages[0].find_tables():
            rows = [[cell or "" for cell in row] for row in found.extract()]
            if len(rows) < 2 or max(len(row) for row in rows) < 2:
                continue
            lines = table_lines([join_hyphenated(row, _known) for row in rows])
            if lines:
                x0, top, x1, bottom = (float(v) for v in found.bbox)
                out.append(Table(x0, x1, top, bottom, tuple(lines)))
    return out


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
