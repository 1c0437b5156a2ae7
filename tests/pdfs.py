"""Small PDF makers for tests (fpdf2 + pypdf), shared by the ingest tests."""

from __future__ import annotations

import io
import random
import textwrap

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter


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


# --- A realistic City of Stockholm document ----------------------------------------------

DEFAULT_DOC = "corpus/socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"
HEADER = ("Socialförvaltningen", "Tjänsteutlåtande", "Dnr 1.2.3-123/2018")
FOOTER = "Socialförvaltningen · Box 44, 104 20 Stockholm · Telefon 08-508 25 000 · start.stockholm"
TITLE = "Strategi för romsk inkludering 2018-2022 – svar på remiss"
RESPONSIBILITY = [  # the division of responsibility of the document, as its table
    ("Nämnd", "Ansvar"),
    ("Kommunstyrelsen", "Kommunikation, samordning och uppföljning av strategin samt den årliga årsrapporten"),
    ("Arbetsmarknadsnämnden", "Genomförande: rätten till arbete och försörjning"),
    ("Kulturnämnden", "Genomförande: rätten till kultur"),
    ("Utbildningsnämnden", "Genomförande: rätten till utbildning"),
    ("Socialnämnden", "Genomförande: rätten till social omsorg och trygghet"),
    ("Stadsdelsnämnderna", "Genomförande inom respektive nämnds verksamhet och ekonomiska ram"),
]
TWO_COLUMN_SECTION = "Förvaltningens synpunkter och förslag"  # set in two columns on a page of its own
_DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans"


def document_blocks(text: str) -> list[tuple[str, str]]:
    """The default document (text as a PDF once gave it: an empty line between wrapped
    lines, a line holding a space between paragraphs, a leading space before list items
    and page starts) as blocks: ("h", heading), ("p", paragraph), ("li", list item)."""
    blocks: list[tuple[str, str]] = []
    cur: list[str] = []
    kind = "p"

    def flush() -> None:
        nonlocal cur
        if cur:
            blocks.append((kind, " ".join(cur)))
        cur = []

    raw_lines = text.splitlines()
    for i, raw in enumerate(raw_lines):
        line = raw.strip()
        if not raw:
            continue  # a line break inside the paragraph
        if not line:
            flush()
            kind = "p"
            continue
        nxt = next((w.strip() for w in raw_lines[i + 1 :] if w.strip()), "")
        last = cur[-1] if cur else (blocks[-1][1] if blocks else "")
        closed = not cur or cur[-1].endswith((".", ":", ";")) or kind == "li" and not raw.startswith(" ")
        if raw.startswith(" ") and (kind == "li" or last.endswith((":", ";"))):
            flush()
            kind, cur = "li", [line]
        elif (closed and len(line.split()) <= 5 and not line.endswith((".", ":", ";", ","))
              and line[0].isupper() and nxt[:1].isupper()):
            flush()
            kind, cur = "h", [line]
            flush()
            kind = "p"
        elif raw.startswith(" "):
            flush()
            kind, cur = "p", [line]
        else:
            cur.append(line)
    flush()
    return blocks


class _CityTemplate(FPDF):
    cover = False  # a cover page without header and footer: the printed numbers start on page 2

    pages_total = 0  # printed pages (without the cover), known after a first pass

    def header(self) -> None:
        if self.cover and self.page_no() == 1:
            return
        self.set_font("DejaVu", size=8.5)
        self.set_text_color(60, 60, 60)
        self.set_xy(25, 10)
        self.cell(80, 4.2, HEADER[0])
        self.set_xy(130, 10)
        self.cell(55, 4.2, HEADER[1], align="R")
        self.set_xy(130, 14.2)
        self.cell(55, 4.2, HEADER[2], align="R")
        self.set_xy(130, 18.4)
        total = "{nb}" if not self.cover else str(self.pages_total)
        self.cell(55, 4.2, f"Sida {self.page_no() - self.cover} ({total})", align="R")
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        if self.cover and self.page_no() == 1:
            return
        self.set_font("DejaVu", size=7.5)
        self.set_text_color(60, 60, 60)
        self.line(25, 279, 185, 279)
        self.set_xy(25, 281)
        self.cell(160, 4, FOOTER, align="C")
        self.set_text_color(0, 0, 0)


class _Typesetter:
    """Justified lines with words hyphenated at line ends (Swedish patterns, pyphen)."""

    TOP, BOTTOM, LEAD = 32.0, 272.0, 5.6

    def __init__(self, pdf: _CityTemplate) -> None:
        import pyphen

        self.pdf = pdf
        self.hyphen = pyphen.Pyphen(lang="sv_SE")
        self.y = self.TOP
        self.hyphenated: list[str] = []  # words split at a line end, as "säker-ställa"

    def page(self) -> None:
        self.pdf.add_page()
        self.y = self.TOP

    def lines(self, text: str, width: float) -> list[tuple[list[str], bool]]:
        """The paragraph broken into lines: (words, justify)."""
        words, out, cur = text.split(), [], []
        width_of = self.pdf.get_string_width
        space = width_of(" ")
        while words:
            word = words.pop(0)
            used = width_of(" ".join(cur)) + (space if cur else 0)
            if not cur or used + width_of(word) <= width:
                cur.append(word)
                continue
            rest = width - used
            if rest > 0.05 * width and word.isalpha() and len(word) >= 7:
                for head, tail in self.hyphen.iterate(word):
                    if len(head) >= 3 and len(tail) >= 3 and width_of(head + "-") <= rest:
                        cur.append(head + "-")
                        words.insert(0, tail)
                        self.hyphenated.append(f"{head}-{tail}")
                        break
                else:
                    words.insert(0, word)
            else:
                words.insert(0, word)
            out.append((cur, True))
            cur = []
        if cur:
            out.append((cur, False))
        return out

    def set_line(self, words: list[str], x: float, width: float, justify: bool) -> None:
        pdf = self.pdf
        if len(words) == 1 or not justify:
            pdf.set_xy(x, self.y)
            pdf.cell(width, self.LEAD, " ".join(words))
            return
        natural = sum(pdf.get_string_width(w) for w in words)
        gap = (width - natural) / (len(words) - 1)
        pos = x
        for word in words:
            pdf.set_xy(pos, self.y)
            pdf.cell(pdf.get_string_width(word) + 0.01, self.LEAD, word)
            pos += pdf.get_string_width(word) + gap

    def paragraph(self, text: str, x: float = 25, width: float = 160, indent: float = 0,
                  bottom: float | None = None) -> None:
        self.pdf.set_font("DejaVu", size=10.5)
        for words, justify in self.lines(text, width - indent):
            if self.y + self.LEAD > (bottom or self.BOTTOM):
                self.page()
            self.set_line(words, x + indent, width - indent, justify)
            self.y += self.LEAD
        self.y += 2.4

    def heading(self, text: str, size: float = 11.5) -> None:
        if self.y + 3 * self.LEAD > self.BOTTOM:
            self.page()
        self.y += 1.5
        self.pdf.set_font("DejaVu", "B", size)
        self.pdf.set_xy(25, self.y)
        self.pdf.cell(160, self.LEAD + 1, text)
        self.y += self.LEAD + 2.5


def city_document_pdf(source: str | None = None, cover: bool = False) -> tuple[bytes, list[str]]:
    """The default document set the way a City of Stockholm tjänsteutlåtande looks: a
    three-line running header (administration, kind, diarienummer, "Sida N (M)"), a
    footer with postal address, telephone and web address, justified text with words
    hyphenated at line ends, the division of responsibility also as a ruled table
    "Nämnd | Ansvar", and its last section set in two columns on a page of its own.
    With `cover`, a cover page without header comes first, so that the printed "Sida 1
    (M)" is physical page 2. Returns the PDF and the words it hyphenated ("säker-ställa")."""
    if cover:
        first, _ = city_document_pdf(source)
        total = len(PdfReader(io.BytesIO(first)).pages)
        return _city_document(source, total)
    return _city_document(source, 0)


def _city_document(source: str | None, cover_total: int) -> tuple[bytes, list[str]]:
    from pathlib import Path

    text = source if source is not None else (Path(__file__).resolve().parent.parent / DEFAULT_DOC).read_text("utf-8")
    pdf = _CityTemplate(format="A4")
    pdf.add_font("DejaVu", "", _DEJAVU + ".ttf")
    pdf.add_font("DejaVu", "B", _DEJAVU + "-Bold.ttf")
    pdf.set_auto_page_break(False)
    pdf.alias_nb_pages()
    pdf.cover, pdf.pages_total = bool(cover_total), cover_total
    ts = _Typesetter(pdf)
    if cover_total:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 20)
        pdf.set_xy(25, 110)
        pdf.multi_cell(160, 10, "Stockholms stad\nSocialförvaltningen")
    ts.page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.set_xy(25, ts.y)
    pdf.multi_cell(160, 7, TITLE)
    ts.y = pdf.get_y() + 5
    blocks = document_blocks(text)
    two_col = next((i for i, (k, t) in enumerate(blocks) if k == "h" and t == TWO_COLUMN_SECTION), len(blocks))
    for kind, body in blocks[:two_col]:
        if kind == "h":
            ts.heading(body)
        elif kind == "li":
            pdf.set_font("DejaVu", size=10.5)
            if ts.y + ts.LEAD > ts.BOTTOM:
                ts.page()
            pdf.set_xy(29, ts.y)
            pdf.cell(4, ts.LEAD, "•")
            ts.paragraph(body, x=25, indent=9)
            ts.y -= 1.6
        else:
            ts.paragraph(body)
        if kind == "p" and body.startswith("Kommunstyrelsen föreslås ansvara"):
            _table(pdf, ts)
    if two_col < len(blocks):
        ts.page()
        ts.heading(blocks[two_col][1])
        _two_columns(ts, [b for _, b in blocks[two_col + 1 :]])
    return bytes(pdf.output()), ts.hyphenated


def _table(pdf: _CityTemplate, ts: _Typesetter) -> None:
    pdf.set_font("DejaVu", size=9.5)
    if ts.y + 50 > ts.BOTTOM:
        ts.page()
    pdf.set_xy(25, ts.y + 1)
    pdf.set_left_margin(25)
    with pdf.table(col_widths=(50, 110), width=160, text_align="LEFT", line_height=5,
                   borders_layout="ALL", first_row_as_headings=True) as table:
        for row in RESPONSIBILITY:
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    ts.y = pdf.get_y() + 5


def _two_columns(ts: _Typesetter, paragraphs: list[str]) -> None:
    """Paragraphs in two columns of 76 mm with an 8 mm gutter, balanced on the last page."""
    ts.pdf.set_font("DejaVu", size=10.5)
    width, gutter = 76.0, 8.0
    lines: list[tuple[list[str], bool] | None] = []
    for text in paragraphs:
        lines.extend(ts.lines(text, width))
        lines.append(None)  # space between paragraphs
    while lines:
        capacity = int((ts.BOTTOM - ts.y) // ts.LEAD) - 1
        take = min(len(lines), 2 * capacity)
        half = min(capacity, (take + 1) // 2)
        parts, lines = (lines[:half], lines[half:take]), lines[take:]
        # Placed first, then written in the order of their height on the page, across both
        # columns (as some PDF producers write them): reading them in the order of the
        # content stream would interleave the columns.
        placed: list[tuple[float, float, list[str], bool]] = []
        top, bottom = ts.y, ts.y
        for column, part in enumerate(parts):
            y = top
            for line in part:
                if line is None:
                    y += 2.4
                    continue
                placed.append((y, 25 + column * (width + gutter), line[0], line[1]))
                y += ts.LEAD
            bottom = max(bottom, y)
        for y, x, words, justify in sorted(placed):
            ts.y = y
            ts.set_line(words, x, width, justify)
        ts.y = bottom
        if lines:
            ts.page()


# --- Scanned pages ------------------------------------------------------------------------

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


def cer(truth: str, read: str) -> float:
    """How well a scan was read: the character error rate, edit distance over the length
    of the truth, whitespace made single."""
    a, b = " ".join(truth.split()), " ".join(read.split())
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] / max(1, len(a))
