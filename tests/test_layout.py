"""Running headers and footers of PDFs (ingest/layout.py): out of the text, the printed
page number read from them."""

from __future__ import annotations

from fpdf import FPDF

from ingest.layout import page_label, strip_running_lines
from ingest.pdf_reader import read_pdf

BODY = [
    "Kommunstyrelsen föreslås ansvara för kommunikation, samordning och uppföljning av strategin.",
    "Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet.",
    "Brobyggarna har projektanställts från 2018 under två år.",
    "Strategin gäller i fem år, 2018-2022, och följs upp årligen.",
]


def _page(n: int, total: int, body: str) -> str:
    return (f"Socialförvaltningen\nTjänsteutlåtande\nDnr 1.2.3-456/2018\nSida {n} ({total})\n\n{body}\n\n"
            "Postadress Box 44, 104 20 Stockholm\nTelefon 08-508 25 000\nstart.stockholm")


def test_page_numbers_are_read_from_running_lines() -> None:
    assert page_label("Sida 3 (6)") == "3"
    assert page_label("Sida 3 av 6") == "3"
    assert page_label("- 12 -") == "12"
    assert page_label("12") == "12"
    assert page_label("Strategin gäller 2018") is None


def test_running_lines_leave_every_page_and_the_body_stays() -> None:
    pages = strip_running_lines([_page(i + 1, 4, b) for i, b in enumerate(BODY)])
    for page, body in zip(pages, BODY, strict=True):
        assert page.text.strip() == body
        for noise in ("Tjänsteutlåtande", "Dnr", "Sida", "Postadress", "Telefon", "start.stockholm"):
            assert noise not in page.text
    assert [p.label for p in pages] == ["1", "2", "3", "4"]


def test_the_printed_number_is_the_label_when_it_differs_from_the_physical_page() -> None:
    texts = ["Stockholms stad\n\nStrategi för romsk inkludering"] + [_page(i + 1, 4, b) for i, b in enumerate(BODY)]
    pages = strip_running_lines(texts)
    assert pages[0].text.startswith("Stockholms stad") and pages[0].label is None
    assert [p.label for p in pages[1:]] == ["1", "2", "3", "4"]


def test_lines_that_repeat_on_only_some_pages_stay() -> None:
    texts = [f"Rubrik\n\n{b}" if i < 2 else b for i, b in enumerate(BODY)]  # on 2 of 4 pages
    pages = strip_running_lines(texts)
    assert pages[0].text.startswith("Rubrik") and pages[1].text.startswith("Rubrik")
    short = strip_running_lines([_page(1, 2, BODY[0]), _page(2, 2, BODY[1])])  # two pages: no pattern yet
    assert "Socialförvaltningen" in short[0].text


def test_a_pdf_with_header_and_footer_is_read_without_them() -> None:
    class Template(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 5, "Socialförvaltningen   Tjänsteutlåtande   Dnr 1.2.3-456/2018", new_x="LMARGIN", new_y="NEXT")
            self.cell(0, 5, f"Sida {self.page_no()} (4)", new_x="LMARGIN", new_y="NEXT")
            self.ln(8)

        def footer(self) -> None:
            self.set_y(-20)
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, "Postadress Box 44, 104 20 Stockholm. Telefon 08-508 25 000", new_x="LMARGIN", new_y="NEXT")
            self.cell(0, 5, "start.stockholm")

    pdf = Template()
    for body in BODY:
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, body)
    pages = read_pdf(bytes(pdf.output()), "tjansteutlatande.pdf")
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert [p.label for p in pages] == [None, None, None, None]  # printed numbers equal the physical ones
    for page, body in zip(pages, BODY, strict=True):
        assert " ".join(page.text.split()) == body


def test_words_hyphenated_at_a_line_end_are_joined_when_swedish() -> None:
    from core.dictionary import is_swedish_word
    from ingest.layout import join_hyphenated

    text = ("Insatser ska säker-\nställa att stadsdel-\nsnämnderna och styr-\noch ledningssystem samt "
            "Arbetsmarknads-, kultur-\n och socialnämnden arbetar med brobyggar-\nverksamhet.")
    joined = join_hyphenated([text, "Brobyggarverksamhet nämns här."], is_swedish_word)[0]
    assert "säkerställa" in joined and "stadsdelsnämnderna" in joined
    assert "brobyggarverksamhet" in joined  # from the document's own words
    assert "styr-\noch ledningssystem" in joined and "Arbetsmarknads-, kultur-" in joined


def test_a_pdf_with_hyphenated_line_ends_is_searchable_by_the_whole_word() -> None:
    from ingest.pdf_reader import read_pdf
    from tests.pdfs import make_pdf

    pages = read_pdf(make_pdf(["Socialnämnden ska säker-\nställa att romska barn får stöd."]), "a.pdf")
    assert "säkerställa att romska barn" in " ".join(pages[0].text.split())
