from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.embedders import HashingEmbedder
from core.records import Page
from core.text import indexed_text
from ingest.chunking import chunk_pages, find_sections
from tests.conftest import REPO

COUNT = HashingEmbedder().count_tokens
DEFAULT_DOC = REPO / "corpus" / "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"


def _chunks(pages: list[Page], size: int = 60, overlap: int = 10, markdown: bool = True):  # type: ignore[no-untyped-def]
    return chunk_pages(pages, doc="d.md", title="T", doc_hash="h", markdown=markdown,
                       chunk_tokens=size, overlap=overlap, count_tokens=COUNT)


def _assert_invariants(pages: list[Page], chunks, size: int) -> None:  # type: ignore[no-untyped-def]
    by_number = {p.number: p for p in pages}
    for c in chunks:
        assert c.text.strip(), "no empty chunks"
        assert by_number[c.page].text[c.start : c.end] == c.text, "offsets reproduce the text"
        # a single word longer than the limit is the only way past it
        assert COUNT(c.text) <= size or len(c.text.split()) == 1
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks), "ids are unique"


words = st.text(alphabet=st.sampled_from("abcåäöABCÅÄÖ .,\n-#"), min_size=0, max_size=2000)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=4), st.integers(20, 120))
def test_invariants_on_arbitrary_text(texts: list[str], size: int) -> None:
    pages = [Page(i + 1, t) for i, t in enumerate(texts)]
    chunks = _chunks(pages, size=size, overlap=size // 5)
    _assert_invariants(pages, chunks, size)
    # every non-space character of every page is covered by some chunk
    for page in pages:
        covered = [False] * len(page.text)
        for c in chunks:
            if c.page == page.number:
                for i in range(c.start, c.end):
                    covered[i] = True
        assert all(covered[i] for i, ch in enumerate(page.text) if not ch.isspace())


def test_default_document_sections_and_invariants() -> None:
    text = DEFAULT_DOC.read_text(encoding="utf-8")
    pages = [Page(None, text)]
    headings = [s.heading for s in find_sections(pages, markdown=True)]
    assert headings == ["Sammanfattning", "Bakgrund", "Ärendets beredning", "Ärendet",
                        "Ansvarsfördelning", "Socialnämndens ansvar", "Förvaltningens synpunkter och förslag"]
    chunks = _chunks(pages, size=200, overlap=40)
    _assert_invariants(pages, chunks, 200)
    hit = [c for c in chunks if "Kommunstyrelsen föreslås ansvara" in c.text]
    assert hit and hit[0].section == "Ansvarsfördelning"


def test_page_numbers_survive_and_sections_carry_over_pages() -> None:
    pages = [Page(1, "Bakgrund\n\nFörsta sidans text om strategin."),
             Page(2, "Fortsättning på andra sidan utan rubrik.")]
    chunks = _chunks(pages)
    assert [(c.page, c.section) for c in chunks] == [(1, "Bakgrund"), (2, "Bakgrund")]


def test_markdown_and_numbered_headings() -> None:
    text = "# Lag\n\n## Allmänna bestämmelser\n\n### 1 §\n\nDenna lag gäller.\n\n2.1 Ansvar för uppföljning\nKommunen ska följa upp."
    sections = find_sections([Page(None, text)], markdown=True)
    assert [s.heading for s in sections] == ["Allmänna bestämmelser – 1 §", "1 § – 2.1 Ansvar för uppföljning"]


def test_lists_are_not_headings() -> None:
    text = "Områdena är;\n\nRätten till arbete\n\nRätten till kultur\n\nRätten till utbildning\n\nAnsvar\nKommunstyrelsen ansvarar."
    assert [s.heading for s in find_sections([Page(None, text)], markdown=True)] == [None, "Ansvar"]


def test_stable_ids_and_title_prefix() -> None:
    pages = [Page(None, "Sammanfattning\nStrategin gäller 2018-2022 och rör fyra områden.")]
    a, b = _chunks(pages), _chunks(pages)
    assert [c.id for c in a] == [c.id for c in b]
    assert indexed_text(a[0]).startswith("T – Sammanfattning\n")


def test_a_heading_line_is_never_part_of_a_quoted_sentence() -> None:
    from core.sentences import split_sentences

    def split(text: str) -> list[str]:
        return [text[s:e] for s, e in split_sentences(text)]

    assert split("Beställning\nHandläggaren beställer tolk. Det är bra.") == [
        "Beställning", "Handläggaren beställer tolk.", "Det är bra."]
    assert split("## Ansvar\nKommunstyrelsen ansvarar.") == ["Ansvar", "Kommunstyrelsen ansvarar."]  # the marks are not text
    # a sentence wrapped by a PDF line break stays whole
    assert split("Socialnämnden ska också\nutveckla ett arbete.") == ["Socialnämnden ska också\nutveckla ett arbete."]
    assert split("Prioriterade grupper är\n\nromska kvinnor samt barn.") == [
        "Prioriterade grupper är\n\nromska kvinnor samt barn."]
