"""One page of a PDF as a picture (pypdfium2, Apache-2.0), with the quoted sentences
marked on it where PDFium finds their words on the page."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

SCALE = 1.6  # pixels per PDF point: an A4 page is about 950 pixels wide
MARK = (255, 214, 0, 96)  # the highlight over the picture: yellow, translucent
Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels


def render_page(data: bytes, number: int, quotes: Sequence[str] = (), scale: float = SCALE) -> bytes:
    """Page `number` (1-based) as PNG, the quotes marked. IndexError for a page the PDF
    does not have."""
    pdf = pdfium.PdfDocument(data)
    try:
        if not 1 <= number <= len(pdf):
            raise IndexError(number)
        page = pdf[number - 1]
        image = page.render(scale=scale).to_pil().convert("RGBA")
        boxes = quote_boxes(page, quotes, scale) if quotes and page.get_rotation() == 0 else []
        if boxes:
            layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(layer)
            for left, top, right, bottom in boxes:
                draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=MARK)
            image = Image.alpha_composite(image, layer)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def _letters(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


def quote_boxes(page: pdfium.PdfPage, quotes: Sequence[str], scale: float) -> list[Box]:
    """Boxes (one per line) around the characters of each quote on the page. The quote
    is found by its letters and digits alone, so that line breaks, hyphens at line ends
    and spacing differences between our text and PDFium's do not matter."""
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n)
        if len(text) != n:  # characters outside the BMP: indices no longer line up
            return []
        kept = [i for i, ch in enumerate(text) if ch.isalnum()]
        letters = "".join(text[i].lower() for i in kept)
        left0, _, _, top0 = page.get_bbox()  # the box the picture shows (get_cropbox may fall back wrongly)
        boxes: list[Box] = []
        for quote in quotes:
            wanted = _letters(quote)
            at = letters.find(wanted) if wanted else -1
            if at < 0:
                continue
            chars = [textpage.get_charbox(kept[j]) for j in range(at, at + len(wanted))]
            boxes.extend(_lines([((lf - left0) * scale, (top0 - tp) * scale, (rt - left0) * scale,
                                  (top0 - bt) * scale) for lf, bt, rt, tp in chars]))
        return boxes
    finally:
        textpage.close()


def _lines(chars: Sequence[Box]) -> list[Box]:
    """Character boxes in reading order joined into one box per line."""
    lines: list[Box] = []
    for box in chars:
        if lines:
            left, top, right, bottom = lines[-1]
            middle = (box[1] + box[3]) / 2
            if top - 1 <= middle <= bottom + 1 and box[0] >= left - 1:
                lines[-1] = (min(left, box[0]), min(top, box[1]), max(right, box[2]), max(bottom, box[3]))
                continue
        lines.append(box)
    return lines
