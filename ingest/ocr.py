"""OCR of PDF pages without a text layer: each page is rendered to a grey image
(pypdfium2, 300 dpi) and read by Tesseract in Swedish (`tesseract -l swe`, a plain
subprocess with a time limit per page).

Tesseract is a Debian package (tesseract-ocr, tesseract-ocr-swe), not a Python one;
without it (or without its Swedish data) `available()` is False and the PDF reader
reports the pages as it did before OCR. A page OCR cannot read (no ink, no words it is
sure of, an error, the time limit) is named by its number in `OcrJob.notes`.

The PDF reader gets its job from `read_document(..., ocr=job)` through a context
variable, so the reader table (ingest/formats.py) keeps its plain signature.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image
    from pypdfium2 import PdfPage

DPI = 300  # Tesseract reads body text best at about 300 dpi
MAX_PIXELS = 40_000_000  # a poster-sized page is rendered smaller (A3 at 300 dpi is 17 Mpx)
INK_SHARE = 0.0001  # a page with fewer dark pixels is blank (an empty back side), not a scan
MIN_CONFIDENCE = 50.0  # Tesseract's word confidence (0–100) for a word it is sure of
MIN_SURE_WORDS = 3  # a page with fewer sure words than this could not be read
MIN_SURE_SHARE = 0.5  # ... or where most words are unsure (noise, a photo)
HEADING_WORDS = 8  # a one-line paragraph of at most this many words is a heading
NOT_AVAILABLE = "OCR (Tesseract med svenska) finns inte på den här datorn"


@dataclass
class OcrJob:
    """How to OCR the pages of one document, and what came of it."""

    command: str = "tesseract"  # empty: OCR is turned off
    page_seconds: float = 120.0  # the time limit for one page (a page of dense noise takes minutes)
    max_pages: int = 100  # pages OCRed per document; the rest are reported
    on_page: Callable[[int, int], None] = lambda _n, _of: None  # (page, pages in the PDF), before each
    notes: list[str] = field(default_factory=list)  # plain Swedish, for the ingest report
    unread: list[int] = field(default_factory=list)  # pages (1-based) with ink that OCR did not read
    seconds: dict[int, float] = field(default_factory=dict)  # time per OCRed page (1-based)


@dataclass(frozen=True)
class PageText:
    text: str  # "" when the page could not be read
    words: int  # words Tesseract found
    sure: int  # words with confidence >= MIN_CONFIDENCE


_JOB: ContextVar[OcrJob | None] = ContextVar("ocr_job", default=None)


@contextmanager
def ocr_job(job: OcrJob | None) -> Iterator[OcrJob]:
    """Make `job` the current one while a document is read (a default job if None)."""
    token = _JOB.set(job or OcrJob())
    try:
        yield _JOB.get() or OcrJob()
    finally:
        _JOB.reset(token)


def current_job() -> OcrJob:
    return _JOB.get() or OcrJob()


def available(command: str) -> bool:
    """Tesseract runs and has its Swedish data."""
    path = shutil.which(command) if command else None
    return path is not None and _has_swedish(path)


@functools.lru_cache(maxsize=8)
def _has_swedish(path: str) -> bool:
    try:
        out = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return "swe" in (out.stdout + out.stderr).split()


def ocr_pdf_pages(data: bytes, indexes: Sequence[int], job: OcrJob) -> dict[int, str]:
    """The text of the pages at `indexes` (0-based) that OCR could read. Blank pages are
    left out quietly; the pages that could not be read go into `job.unread` and a note,
    as do those over `job.max_pages`, and all of them when Tesseract is not installed."""
    import pypdfium2 as pdfium

    can_read = available(job.command)
    todo, skipped = list(indexes[: job.max_pages]), list(indexes[job.max_pages :])
    out: dict[int, str] = {}
    failed: list[int] = []
    pdf = pdfium.PdfDocument(data)
    try:
        for i in todo:
            if can_read:
                job.on_page(i + 1, len(pdf))
            started = time.monotonic()
            try:
                image = _render(pdf[i])
            except Exception:  # noqa: BLE001 - a page pdfium cannot draw is reported, not fatal
                failed.append(i)
                continue
            if _blank(image):
                continue
            if not can_read:
                failed.append(i)
                continue
            page = read_image(image, job.command, job.page_seconds)
            job.seconds[i + 1] = time.monotonic() - started
            if page.text:
                out[i] = page.text
            else:
                failed.append(i)
    finally:
        pdf.close()
    failed, skipped = [i + 1 for i in failed], [i + 1 for i in skipped]  # page numbers from here
    job.unread += failed + skipped
    if failed and not can_read:
        job.notes.append(f"{pages_sv(failed)} saknar textlager och lästes inte: {NOT_AVAILABLE}")
    elif failed:
        job.notes.append(f"{pages_sv(failed)} kunde inte läsas med OCR")
    if skipped:
        job.notes.append(f"{pages_sv(skipped)} lästes inte: högst {job.max_pages} sidor per dokument läses med "
                         "OCR (ASSISTANT_OCR_MAX_PAGES)")
    return out


def _render(page: PdfPage) -> Image.Image:
    """The page as a grey PIL image at DPI (smaller for a huge page)."""
    width, height = page.get_size()  # points
    scale = min(DPI / 72, (MAX_PIXELS / max(1.0, width * height)) ** 0.5)
    image: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
    return image


def _blank(image: Image.Image) -> bool:
    hist = image.convert("L").histogram()
    return sum(hist[:128]) < INK_SHARE * max(1, sum(hist))


def read_image(image: Image.Image, command: str, seconds: float) -> PageText:
    """Tesseract's Swedish reading of one image; empty text when it is not sure of it."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one thread: with two cores and other work, more is slower
    try:
        out = subprocess.run(
            [command, "stdin", "stdout", "-l", "swe", "--dpi", str(DPI), "tsv"],
            input=buf.getvalue(), capture_output=True, timeout=seconds, env=env, check=False,
        )
    except (OSError, subprocess.SubprocessError):  # not found, the time limit
        return PageText("", 0, 0)
    if out.returncode != 0:
        return PageText("", 0, 0)
    return from_tsv(out.stdout.decode("utf-8", errors="replace"))


def from_tsv(tsv: str) -> PageText:
    """Text from Tesseract's TSV: its lines in reading order, a blank line between its
    paragraphs where the one before ends a sentence or is one short line (a heading);
    Tesseract also breaks paragraphs in the middle of a sentence."""
    paragraphs: dict[tuple[int, int], dict[int, list[str]]] = {}
    words = sure = 0
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or cols[0] != "5" or not cols[11].strip():
            continue
        words += 1
        if float(cols[10]) >= MIN_CONFIDENCE and any(ch.isalnum() for ch in cols[11]):
            sure += 1
        lines = paragraphs.setdefault((int(cols[2]), int(cols[3])), {})
        lines.setdefault(int(cols[4]), []).append(cols[11].strip())
    if sure < MIN_SURE_WORDS or sure < MIN_SURE_SHARE * words:
        return PageText("", words, sure)
    text, before = "", [""]
    for lines in paragraphs.values():
        para = [" ".join(line) for line in lines.values()]
        if text:
            heading = len(before) == 1 and len(before[0].split()) <= HEADING_WORDS
            text += "\n\n" if heading or before[-1].endswith((".", "!", "?", ":", ";")) else "\n"
        text += "\n".join(para)
        before = para
    return PageText(text + "\n", words, sure)


def pages_sv(numbers: Sequence[int]) -> str:
    """"sidan 4", "sidorna 2, 5 och 7–9" for page numbers."""
    numbers = sorted(numbers)
    runs: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [0]:
        if n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = n
    if len(numbers) == 1:
        return f"sidan {runs[0]}"
    listed = runs[0] if len(runs) == 1 else f"{', '.join(runs[:-1])} och {runs[-1]}"
    return f"sidorna {listed}"
