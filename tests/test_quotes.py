"""Issue «Quotes that answer»: complete statements, lists brought along, the expected
answer type preferred, Markdown never quoted or interpreted."""

from __future__ import annotations

import pytest

from core.quotable import ITEM_SEPARATOR, statements
from retrieval.answer import Calibration, answer_question
from retrieval.answer_type import has_type, question_type
from retrieval.search import Searcher
from retrieval.trust import actors_as_written, asks_who_is_responsible
from ui.render import excerpt, literal

AREAS = ("Rätten till arbete och försörjning", "Rätten till utbildning", "Rätten till kultur",
         "Rätten till social omsorg och trygghet")


@pytest.mark.parametrize(("question", "kind"), [
    ("Vem ansvarar för uppföljningen?", "who"),
    ("Vilken nämnd ska genomföra strategin?", "who"),
    ("När trädde lagen i kraft?", "when"),
    ("Vilket år startade satsningen?", "when"),
    ("Hur många romer bor i Stockholm?", "amount"),
    ("Vad kostar ett pass?", "amount"),
    ("Hur länge är brobyggarna anställda?", "duration"),
    ("Hur långt i förväg ska tolk beställas?", "duration"),
    ("How long is the permit valid?", "duration"),
    ("Vilka rättighetsområden bygger strategin på?", None),
    ("Vad är romsk inkludering?", None),
])
def test_question_types(question: str, kind: str | None) -> None:
    assert question_type(question) == kind


@pytest.mark.parametrize(("kind", "sentence", "has"), [
    ("who", "Socialnämnden ska utveckla arbetet.", True),
    ("who", "Handläggaren beställer tolk.", True),
    ("who", "Arbetet ska vara en integrerad del av verksamheten.", False),
    ("when", "Remisstiden sträcker sig fram till 20 april 2018.", True),
    ("when", "Arbetet ska vara en integrerad del av verksamheten.", False),
    ("amount", "Avgiften är 350 kronor.", True),
    ("amount", "Femton ledamöter ska finnas.", True),
    ("amount", "Arbetet ska vara en integrerad del av verksamheten.", False),
    ("duration", "Tolk ska beställas senast två arbetsdagar före besöket.", True),
    ("duration", "Två brobyggare projektanställdes under två år.", True),
    ("duration", "Tillståndet gäller i tre månader.", True),
    ("duration", "Handläggaren beställer tolk när det behövs.", False),
])
def test_sentences_hold_the_type(kind: str, sentence: str, has: bool) -> None:
    assert has_type(kind, sentence) is has  # type: ignore[arg-type]


def test_a_lead_in_brings_its_list_with_offsets() -> None:
    text = ("# Rubrik om ansvar\n\nFörvaltningen ansvarar för följande uppgifter:\n\n"
            "- att följa upp arbetet\n- att rapportera till nämnden\n\n## Nästa avsnitt\n\nEtt stycke om annat.\n")
    found = statements(text)
    lead = next(st for st in found if st.text.startswith("Förvaltningen ansvarar"))
    assert lead.text == ("Förvaltningen ansvarar för följande uppgifter:"
                         f"{ITEM_SEPARATOR}att följa upp arbetet{ITEM_SEPARATOR}att rapportera till nämnden")
    assert text[lead.start : lead.end].startswith("Förvaltningen") and text[lead.start : lead.end].endswith("nämnden")
    assert not any("Rubrik" in st.text for st in found)  # a heading is never a statement
    assert not any(st.text.startswith(("#", "-", "att ")) for st in found)


def test_pdf_list_after_a_lead_in_stops_at_the_next_heading() -> None:
    text = ("Strategins bygger på fyra rättighetsområden, dessa är; \n \n"
            + "".join(f" {area}  \n" for area in AREAS) + "Ansvarsfördelning \n"
            "Kommunstyrelsen föreslås ansvara för uppföljning av strategin. \n")
    lead = statements(text)[0]
    assert lead.text.split(ITEM_SEPARATOR)[1:] == list(AREAS)


def test_a_lead_in_without_its_list_and_fragments_are_not_quoted() -> None:
    text = "början av en mening som chunken kapade. Följande gäller för alla:\n\nEn mening utan punkt i slutet"
    assert statements(text) == []


def test_a_markdown_heading_is_never_quoted() -> None:
    text = ("# Uppdrag till Statskontoret att utvärdera arbetet med romsk inkludering\n\n"
            "## Bakgrund och syfte med uppdraget\n\n| Tabell | rad med flera ord |\n\n"
            "> Ett citerat stycke med några ord.\n\n"
            "Regeringen ger Statskontoret i uppdrag att utvärdera arbetet.\n")
    assert [st.text for st in statements(text)] == ["Regeringen ger Statskontoret i uppdrag att utvärdera arbetet."]


def test_the_responsibility_lead_is_only_for_responsibility() -> None:
    assert not asks_who_is_responsible("Vilka rättighetsområden bygger strategin på?")
    assert not asks_who_is_responsible("Vilka insatser ska genomföras?")
    assert asks_who_is_responsible("Vilka nämnder ska genomföra strategin?")


def test_actors_are_named_as_the_sentence_names_them() -> None:
    sentence = ("Arbetsmarknads-, kultur-, utbildnings och socialnämnden samt stadsdelsnämnderna ansvarar för att "
                "genomföra strategin.")
    actors = ("Arbetsmarknadsnämnden", "Kulturnämnden", "Utbildningsnämnden", "Socialnämnden", "Stadsdelsnämnderna")
    assert actors_as_written(sentence, actors) == ("Arbetsmarknads-, kultur-, utbildnings och socialnämnden samt "
                                                   "stadsdelsnämnderna")
    assert actors_as_written("I budget gavs kommunstyrelsen i uppdrag.", ("Kommunstyrelsen",)) == "Kommunstyrelsen"


def test_literal_markdown() -> None:
    assert literal("Rapport_2024_final.pdf") == "Rapport\\_2024\\_final.pdf"
    assert literal("# Uppdrag") == "\\# Uppdrag"
    assert literal("*viktigt* [länk](x) $5$ <b>") == "\\*viktigt\\* \\[länk\\](x) \\$5\\$ \\<b\\>"
    assert literal("dessa är;\n- ett\n2. två") == "dessa är;  \n\\- ett  \n2\\. två"
    assert literal("http://a.se/x och www.b.se") == "http:\\//a.se/x och www\\.b.se"  # shown, not made links
    assert excerpt("ord " * 100).endswith(" …") and len(excerpt("ord " * 100)) <= 221


def test_literal_in_the_chat(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The chat shows a quote with Markdown syntax as text (Streamlit's AppTest)."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        from ui.chat import show_answer
        from ui.render import ShownAnswer, ShownSource

        src = ShownSource(1, "rapport_2024_.md", "# Titel _2024_", None, None, None, "text", "text", True, "")
        show_answer(ShownAnswer("fråga", "*Inte kursiv* _2024_ [1]", False, (src,)))

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert at.markdown[0].value == "\\*Inte kursiv\\* \\_2024\\_ \\[1\\]"
    assert at.expander[0].label == "\\[1\\] \\# Titel \\_2024\\_"


@pytest.fixture
def searcher(default_searcher: Searcher) -> Searcher:
    return default_searcher


@pytest.mark.slow
def test_the_four_rights_areas_are_quoted(searcher: Searcher) -> None:
    answer = answer_question("Vilka rättighetsområden bygger strategin på?", searcher, Calibration.load())
    assert not answer.refused and not answer.responsible
    assert not answer.text.startswith("Ansvarig")
    quote = next(q for q in answer.quotes if "rättighetsområden, dessa är;" in q.text)
    assert all(area in quote.text for area in AREAS)
    passage = answer.passages[quote.n - 1].chunk.text
    assert passage[quote.start : quote.end].startswith("Strategins bygger")
    assert passage[quote.start : quote.end].rstrip().endswith("trygghet")


@pytest.mark.slow
def test_how_long_picks_the_duration(searcher: Searcher) -> None:
    # The shipped calibration refuses this question (the evidence is the refusal's
    # business); the quote it would give is the one asked about here.
    answer = answer_question("Hur länge är brobyggarna anställda?", searcher, Calibration.never_refuse())
    assert "under två år" in answer.quotes[0].text


@pytest.mark.slow
def test_no_quote_is_a_heading_or_unfinished(searcher: Searcher) -> None:
    for question in ["Vad handlar socialnämndens ansvar om?", "Vilka delmål i stadens program är relevanta?",
                     "Vilka romska barn placeras enligt SoL?", "Which children are placed according to SoL?"]:
        answer = answer_question(question, searcher, Calibration.never_refuse())
        for quote in answer.quotes:
            lead = quote.text.split(ITEM_SEPARATOR)[0]
            assert lead.endswith((".", "!", "?", ":", ";", ")")), quote.text
            assert quote.text not in ("Socialnämndens ansvar", "Ansvarsfördelning")
