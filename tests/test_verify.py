"""The sentence check of generated answers (retrieval/verify.py) on its labelled set
(eval/support.jsonl) and on cases of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.records import Chunk, DocInfo, Passage
from evaluation.supportset import load
from retrieval.verify import citations, verify


def passage(text: str, doc: str = "d.md") -> Passage:
    chunk = Chunk(f"{doc}#0", doc, doc, 1, None, None, 0, len(text), text, "", "", 0)
    return Passage(chunk, 1.0, DocInfo(doc, doc, "", "", 1, 1, 0.0))


SOURCE = passage(
    "Kommunstyrelsen föreslås ansvara för kommunikation, samordning och uppföljning av strategin. "
    "Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet. "
    "Socialförvaltningen har projektanställt fyra brobyggare från 2018 under två år. "
    "Staden samverkar med idéburen sektor för att nå grupper som inte kommer i kontakt med stadens verksamheter."
)


def test_labelled_set(shared_corpus: Path) -> None:
    items = load()
    supported = [i for i in items if i.label == "supported"]
    perturbed = [i for i in items if i.label == "perturbed"]
    assert len(supported) >= 60 and len(perturbed) >= 100
    passed = [i.id for i in perturbed if verify(i.sentence, i.passages).ok]
    assert passed == []
    ok = sum(verify(i.sentence, i.passages).ok for i in supported)
    assert ok >= 0.9 * len(supported)


def test_labelled_set_default_document_alone() -> None:
    """The rows of the repository's own document need no shared corpus."""
    items = [i for i in load() if all(p.chunk.doc.startswith("socialnamnden-") for p in i.passages)]
    assert len(items) > 50
    for item in items:
        assert verify(item.sentence, item.passages).ok == (item.label == "supported"), item.id


def test_inflection_and_highlight() -> None:
    v = verify("Socialnämndens uppgift är att utveckla ett strategiskt arbete med romsk brobyggarverksamhet [1].",
               [SOURCE])
    assert v.ok and v.n == 1
    assert SOURCE.chunk.text[v.start : v.end].startswith("Socialnämnden ska utveckla")


def test_written_numbers() -> None:
    assert verify("Socialförvaltningen har projektanställt 4 brobyggare under två år från 2018 [1].", [SOURCE]).ok
    v = verify("Socialförvaltningen har projektanställt fem brobyggare från 2018 under två år [1].", [SOURCE])
    assert not v.ok and v.reason == "missing_fact" and v.fact == "5"
    v = verify("Socialförvaltningen har projektanställt fyra brobyggare från 2018 under två månader [1].", [SOURCE])
    assert not v.ok and v.reason == "missing_fact" and v.fact == "månad"


def test_thousands_and_millions() -> None:
    source = passage("Staden beviljas 1 800 000 kronor för arbetet med romsk inkludering under 2019.")
    assert verify("Staden beviljas 1,8 miljoner kronor för arbetet med romsk inkludering under 2019 [1].", [source]).ok
    assert verify("Staden beviljas 1 800 000 kronor för arbetet med romsk inkludering [1].", [source]).ok
    assert not verify("Staden beviljas 1 900 000 kronor för arbetet med romsk inkludering [1].", [source]).ok


def test_missing_and_bad_citation() -> None:
    assert verify("Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet.",
                  [SOURCE]).reason == "no_citation"
    v = verify("Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet [2].", [SOURCE])
    assert not v.ok and v.reason == "bad_citation" and v.fact == "[2]"
    assert verify("Socialnämnden ska utveckla romsk brobyggarverksamhet [0].", [SOURCE]).reason == "bad_citation"
    assert citations("Text [1][3] och [2, 4].") == [1, 3, 2, 4]


def test_negation_both_ways() -> None:
    v = verify("Socialnämnden ska inte utveckla ett strategiskt arbete med romsk brobyggarverksamhet [1].", [SOURCE])
    assert not v.ok and v.reason == "negation"
    v = verify("Staden samverkar med idéburen sektor för att nå grupper som kommer i kontakt med stadens "
               "verksamheter [1].", [SOURCE])
    assert not v.ok and v.reason == "negation"
    assert verify("Staden samverkar med idéburen sektor för att nå grupper som inte kommer i kontakt med "
                  "stadens verksamheter [1].", [SOURCE]).ok


def test_swapped_actor() -> None:
    v = verify("Socialnämnden föreslås ansvara för kommunikation, samordning och uppföljning av strategin [1].",
               [SOURCE])
    assert not v.ok
    v = verify("Kommunstyrelsen ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet [1].", [SOURCE])
    assert not v.ok and v.reason == "missing_fact" and v.fact == "Kommunstyrelsen"


def test_two_source_sentences_do_not_combine() -> None:
    """Each half is in the passage, but no one sentence holds both."""
    v = verify("Kommunstyrelsen ansvarar för uppföljning av strategin och Socialnämnden ska utveckla romsk "
               "brobyggarverksamhet [1].", [SOURCE])
    assert not v.ok


def test_any_cited_passage_may_support() -> None:
    other = passage("Boverket ska redovisa uppdraget till Länsstyrelsen i Stockholms län.", "b.md")
    v = verify("Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet [2][1].",
               [SOURCE, other])
    assert v.ok and v.n == 1
    v = verify("Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet [2].",
               [SOURCE, other])
    assert not v.ok and v.reason in ("missing_fact", "not_covered")


@pytest.mark.parametrize("law", ["LVU", "SoL", "lag (2009:724)", "minoritetslagen"])
def test_laws_are_facts(law: str) -> None:
    source = passage("Enligt minoritetslagen och lag (2009:724) ska kommunen informera om rättigheterna.")
    claim = f"Enligt {law} ska kommunen informera om rättigheterna [1]."
    assert verify(claim, [source]).ok == (law in ("lag (2009:724)", "minoritetslagen"))
