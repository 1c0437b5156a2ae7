"""The link from a source under an answer to the original, and the text the source page
shows (ui/sources.py); the page picture of a PDF (ui/pdfview.py); the file lookup."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from PIL import Image

from core.records import Chunk, DocInfo
from tests.pdfs import make_pdf
from ui.pdfview import render_page
from ui.render import ShownSource
from ui.source import original_file
from ui.sources import (
    ANCHOR,
    SourceRef,
    assemble,
    cited_html,
    cited_text,
    link_label,
    link_markdown,
    parse_ref,
    quoted_sentences,
    source_link,
)

PAGE_2 = ("Beställning av tolk\n\nHandläggaren beställer tolk senast tre arbetsdagar före mötet.\n"
          "Barn och anhöriga får aldrig användas som tolkar. Vid akuta ärenden kan telefontolk användas.")


def chunk(ident: str, page: int | None, start: int, text: str, section: str | None = None, ordinal: int = 0,
          doc: str = "d.pdf") -> Chunk:
    return Chunk(ident, doc, "Titel", page, None, section, start, start + len(text), text, "h", "dh", ordinal)


def shown(**kw: object) -> ShownSource:
    base: dict[str, object] = dict(n=1, doc="riktlinjer tolk (2024).pdf", title="T", page=2, page_label=None,
                                   section=None, text="x", html="x", quoted=True, validity="")
    base.update(kw)
    return ShownSource(**base)  # type: ignore[arg-type]


def params(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query))


# --- the link ------------------------------------------------------------------------


def test_link_names_document_page_chunk_and_quote_in_page_offsets() -> None:
    link = source_link(shown(chunk_id="ab12", start=100, spans=((5, 40), (50, 60))))
    assert link.startswith("kalla?")  # relative: holds behind a path prefix
    assert params(link) == {"doc": "riktlinjer tolk (2024).pdf", "page": "2", "chunk": "ab12", "q": "105-140,150-160"}
    assert " " not in link and "(" not in link  # safe inside a Markdown link
    assert parse_ref(params(link)) == SourceRef("riktlinjer tolk (2024).pdf", 2, "ab12", ((105, 140), (150, 160)))


def test_link_without_page_or_quote() -> None:
    link = source_link(shown(doc="plan.md", page=None, chunk_id="ff"))
    assert params(link) == {"doc": "plan.md", "chunk": "ff"}


def test_labels_show_the_page_for_formats_with_pages() -> None:
    assert link_label(3, None) == "Öppna originalet (s. 3)"
    assert link_label(3, "iv") == "Öppna originalet (s. iv)"  # the printed label
    assert link_label(None, None) == "Öppna avsnittet"
    md = link_markdown(shown(chunk_id="ab"))
    assert md.startswith(":material/open_in_new: [Öppna originalet (s. 2)](kalla?doc=")


def test_malformed_parameters_are_left_out() -> None:
    assert parse_ref({}) is None
    ref = parse_ref({"doc": "../../etc/passwd", "page": "-1", "chunk": "x'><script>", "q": "9-3,abc,1-2"})
    assert ref == SourceRef("../../etc/passwd", None, "", ((1, 2),))  # the name is checked against the index


# --- the text shown ------------------------------------------------------------------


def test_pages_are_assembled_by_offsets_with_overlap_once() -> None:
    a = chunk("a", 1, 10, "Första meningen. Andra")
    b = chunk("b", 1, 27, "Andra meningen.")  # overlaps "Andra"
    c = chunk("c", 1, 44, "Tredje.")  # two characters of whitespace dropped before it
    base, text = assemble([c, a, b])
    assert base == 10
    assert text == "Första meningen. Andra meningen.\n\nTredje."
    for ch in (a, b, c):
        assert text[ch.start - base: ch.end - base] == ch.text


def test_pdf_shows_the_whole_cited_page_with_the_quote_marked() -> None:
    first = chunk("p1", 1, 0, "Syfte\n\nRiktlinjerna beskriver tolk.", ordinal=0)
    head, tail = PAGE_2[:60], PAGE_2[60:]
    c1 = chunk("c1", 2, 0, head, ordinal=1)
    c2 = chunk("c2", 2, 60, tail, ordinal=2)
    quote = PAGE_2.index("Barn och")
    end = PAGE_2.index("tolkar.") + len("tolkar.")
    cited = cited_text([first, c1, c2], SourceRef("d.pdf", 2, "c2", ((quote, end),)))
    assert cited is not None
    assert cited.page == 2 and cited.text == PAGE_2 and cited.found
    assert quoted_sentences(cited) == ["Barn och anhöriga får aldrig användas som tolkar."]
    markup = cited_html(cited)
    assert f"<mark id='{ANCHOR}'>Barn och anhöriga får aldrig användas som tolkar.</mark>" in markup
    # Another page of the same document: its text, the quote not placed there.
    other = cited_text([first, c1, c2], SourceRef("d.pdf", 2, "c2", ((quote, end),)), page=1)
    assert other is not None and other.page == 1 and other.spans == () and "<mark" not in cited_html(other)


def test_markdown_shows_the_section_of_the_cited_passage() -> None:
    doc = [
        chunk("a", None, 0, "# Plan\n\nInledning.", "Plan", 0, "plan.md"),
        chunk("b", None, 20, "## Ansvar\n\nKommunstyrelsen ansvarar.", "Ansvar", 1, "plan.md"),
        chunk("c", None, 57, "Nämnderna genomför <b>åtgärderna</b>.", "Ansvar", 2, "plan.md"),
        chunk("d", None, 96, "## Uppföljning\n\nÅrligen.", "Uppföljning", 3, "plan.md"),
    ]
    cited = cited_text(doc, SourceRef("plan.md", None, "c", ((doc[2].start, doc[2].end),)))
    assert cited is not None and cited.section == "Ansvar" and cited.page is None
    assert cited.text.startswith("## Ansvar") and "Nämnderna" in cited.text and "Inledning" not in cited.text
    assert "Årligen" not in cited.text
    markup = cited_html(cited)
    assert "&lt;b&gt;åtgärderna&lt;/b&gt;" in markup and "<b>" not in markup  # escaped
    assert f"<mark id='{ANCHOR}'>Nämnderna" in markup
    assert markup.startswith("<strong>Ansvar</strong><br>") and "#" not in markup  # the heading, in bold


def test_without_a_quote_the_passage_gets_the_anchor() -> None:
    doc = [chunk("a", None, 0, "Ett. Två.", "S", 0), chunk("b", None, 10, "Tre.", "S", 1)]
    cited = cited_text(doc, SourceRef("d.pdf", None, "b"))
    assert cited is not None and cited.passage == (10, 14)
    assert cited_html(cited).endswith(f"<span id='{ANCHOR}'></span>Tre.")


def test_a_page_without_text_is_shown_empty_when_asked_for() -> None:
    doc = [chunk("a", 1, 0, "Sida ett."), chunk("c", 3, 0, "Sida tre.")]
    empty = cited_text(doc, SourceRef("d.pdf", 1, "a"), page=2)
    assert empty is not None and empty.page == 2 and empty.text == "" and cited_html(empty) == ""
    assert cited_text(doc, SourceRef("d.pdf", 2, "gone")) is None  # the cited page itself: nothing to show


def test_a_chunk_gone_from_the_index_shows_the_page_without_marks() -> None:
    doc = [chunk("a", 1, 0, "Sida ett."), chunk("b", 2, 0, "Sida två.")]
    cited = cited_text(doc, SourceRef("d.pdf", 2, "gone", ((0, 4),)))
    assert cited is not None and cited.page == 2 and not cited.found and cited.spans == ()


# --- the original file -----------------------------------------------------------------


def info(name: str, data: bytes) -> DocInfo:
    return DocInfo(name, "T", hashlib.sha256(data).hexdigest(), "m", 1, 1, 0.0)


def test_original_file_is_looked_up_inside_the_corpus_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.md").write_bytes(b"# A\n")
    (tmp_path / "secret.md").write_bytes(b"hemligt")
    (corpus / "link.md").symlink_to(tmp_path / "secret.md")
    found = original_file(corpus, info("sub/a.md", b"# A\n"))
    assert found.path == (corpus / "sub" / "a.md").resolve() and not found.changed
    assert original_file(corpus, info("sub/a.md", b"older")).changed
    assert original_file(corpus, info("gone.md", b"")).path is None
    for name in ("../secret.md", "/etc/passwd", "link.md", "sub/../../secret.md"):
        assert original_file(corpus, info(name, b"hemligt")).path is None, name


def test_a_pdf_page_is_rendered_with_the_quote_marked_in_yellow() -> None:
    data = make_pdf(["Första sidan.", "Handläggaren beställer tolk. Barn och anhöriga får aldrig användas "
                                      "som tolkar vid samtal med socialtjänsten."])
    plain = Image.open(io.BytesIO(render_page(data, 2)))
    marked = Image.open(io.BytesIO(render_page(data, 2, ["Barn och anhöriga får aldrig användas som tolkar"])))
    assert plain.size == marked.size and plain.width > 800

    def yellow(img: Image.Image) -> int:
        return sum(1 for r, g, b in img.convert("RGB").get_flattened_data() if r > 200 and g > 180 and b < 200)

    assert yellow(plain) == 0 and yellow(marked) > 1000
    try:
        render_page(data, 3)
    except IndexError:
        pass
    else:
        raise AssertionError("page 3 of a two-page PDF")


def test_passage_text_keeps_list_items_on_lines_of_their_own() -> None:
    """PDF text runs wrapped lines on, but each list item starts a line, and a heading after
    the last item stands apart from it (the source page and the chat's passages)."""
    from ui.render import highlight_html

    text = ("dessa är;\n\n• Rätten till kultur\n• Rätten till social omsorg och trygghet\n\nAnsvarsfördelning\n\n"
            "Kommunstyrelsen föreslås ansvara för\nkommunikation.")
    quote = text.index("Kommunstyrelsen")
    assert highlight_html(text, [(quote, len(text))]) == (
        "dessa är;<br>• Rätten till kultur<br>• Rätten till social omsorg och trygghet<br>Ansvarsfördelning<br>"
        "<mark>Kommunstyrelsen föreslås ansvara för kommunikation.</mark>")
