"""Small PDF makers for tests (fpdf2 + pypdf), shared by the ingest tests."""

from __future__ import annotations

import io
import random
import textwrap

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter


def make_pdf(texts: list[str], *, compress: bool = True) -> bytes:
    """One page per text, with a real text layer (Helvetica: Latin-1, so Swedish letters work)."""
    pdf = FPDF()
    pdf.set_compression(compress)
    pdf.set_font("Helvetica", size=12)
    for text in texts:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def with_password(data: bytes, user: str = "hemligt", owner: str = "ägare") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user, owner_password=owner)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def without_text_layer() -> bytes:
    """What a scan looks like to a reader: pages with drawings but no text."""
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.add_page()
    return bytes(pdf.output())


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupt() -> bytes:
    return b"%PDF-1.4\n" + bytes(range(256)) * 8


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def scanned_page(text: str, dpi: int = 200) -> Image.Image:
    """What a scanner gives: an A4 page image (grey, `dpi`) of `text` in 11 pt DejaVu Sans,
    wrapped at 80 characters; a blank line starts a new paragraph."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    size = int(11 / 72 * dpi)
    font = ImageFont.truetype(FONT, size)
    y = dpi
    for para in text.split("\n\n"):
        for line in textwrap.wrap(para, 80):
            draw.text((dpi, y), line, font=font, fill=0)
            y += int(size * 1.5)
        y += size
    return image


def noise_page(dpi: int = 200, dots: int = 1000, seed: int = 1) -> Image.Image:
    """A page of specks and smudges: ink, but nothing to read."""
    rng = random.Random(seed)
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(dots):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(1, 4)
        draw.ellipse((x, y, x + r, y + r), fill=0)
    return image


def image_pdf(pages: list[str | Image.Image]) -> bytes:
    """One page per item: a text (a real text layer) or an image (a scan, no text layer)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page in pages:
        pdf.add_page()
        if isinstance(page, str):
            pdf.multi_cell(0, 10, page)
        else:
            pdf.image(page, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())
