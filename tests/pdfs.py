"""Small PDF makers for tests (fpdf2 + pypdf), shared by the ingest tests."""

from __future__ import annotations

import io

from fpdf import FPDF
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
