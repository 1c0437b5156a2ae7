"""The document groups of ingest/classify.py: over the real corpus manifest (each of its
documents, checked by reading the table) and over made-up entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.groups import ISSUER_GROUPS, KIND_GROUPS
from core.records import DocInfo
from ingest.classify import classify, split_title, with_groups
from ingest.manifest import load_manifest

# What each document of ../shared/corpus gets: (kind group, issuer group) per file name
# prefix, checked against its title and source.
EXPECTED = {
    "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018": ("yttrande", "stockholm"),
    "lag-2009-724-minoritetslagen": ("lag", "regeringen"),
    "lansstyrelsen-stockholm-romsk-inkluderin-01": ("ovrigt", "lansstyrelsen"),  # older web page
    "lansstyrelsen-stockholm-romsk-inkluderin-02": ("ovrigt", "lansstyrelsen"),  # minoritet.se page
    "lansstyrelsen-stockholm-romsk-inkluderin-03": ("ovrigt", "lansstyrelsen"),
    "lansstyrelsen-stockholm-romsk-inkluderin-04": ("rapport", "lansstyrelsen"),  # "Samordning/uppföljning"
    "lansstyrelsen-stockholm-romsk-inkluderin-05": ("rapport", "lansstyrelsen"),  # "Nulägesbeskrivningar"
    "lansstyrelsen-stockholm-romsk-inkluderin-06": ("rapport", "lansstyrelsen"),
    "lansstyrelsen-stockholm-romsk-inkluderin-07": ("rapport", "lansstyrelsen"),  # årsrapport 2018
    "lansstyrelsen-stockholm-romsk-inkluderin-08": ("rapport", "lansstyrelsen"),
    "lansstyrelsen-stockholm-romsk-inkluderin-09": ("rapport", "lansstyrelsen"),
    "lansstyrelsen-stockholm-romsk-inkluderin-10": ("rapport", "lansstyrelsen"),
    "ovriga-kommuner-romsk-inkludering-01": ("ovrigt", "kommun"),  # Uppsala kommun's page
    "ovriga-kommuner-romsk-inkludering-02": ("strategi", "kommun"),  # Göteborg, "Strategier och handlingsplaner"
    "ovriga-kommuner-romsk-inkludering-03": ("ovrigt", "kommun"),
    "ovriga-kommuner-romsk-inkludering-04": ("ovrigt", "kommun"),  # Helsingborg, not Socialstyrelsen
    "ovriga-kommuner-romsk-inkludering-05": ("yttrande", "kommun"),  # Södertälje's yttrande
    "ovriga-kommuner-romsk-inkludering-06": ("riktlinjer", "kommun"),  # Umeå
    "ovriga-kommuner-romsk-inkludering-07": ("ovrigt", "lansstyrelsen"),  # minoritet.se
    "regeringen-skr-20111256": ("proposition", "regeringen"),
    "regeringen-romsk-inkludering": ("ovrigt", "regeringen"),
    "regeringen-sa-arbetar-sverige": ("ovrigt", "regeringen"),
    "regeringen-prop-": ("proposition", "regeringen"),
    "regeringen-uppdrag-": ("uppdrag", "regeringen"),
    "regeringen-andring-av-beslut-om-uppdrag": ("uppdrag", "regeringen"),
    "regeringen-bidrag-till-utvecklingskommuner": ("uppdrag", "regeringen"),  # under /regeringsuppdrag/
    "regeringen-vald-i-nara-relationer": ("ovrigt", "regeringen"),  # press release
    "regeringen-insatser-inom-omradena": ("ovrigt", "regeringen"),
    "regeringen-lansstyrelsen-i-stockholms-lans-arbete": ("ovrigt", "regeringen"),
    "skr-2011-12-56-strategi-romsk-inkluderin-01": ("proposition", "regeringen"),
    "skr-2011-12-56-strategi-romsk-inkluderin-02": ("ovrigt", "lansstyrelsen"),  # minoritet.se fact sheet
    "skr-2011-12-56-strategi-romsk-inkluderin-03": ("ovrigt", "myndighet"),  # Socialstyrelsen/Kunskapsguiden
    "skr-2011-12-56-strategi-romsk-inkluderin-04": ("ovrigt", "regeringen"),  # gov.se
    "skr-2011-12-56-strategi-romsk-inkluderin-05": ("ovrigt", "regeringen"),
    "skr-2011-12-56-strategi-romsk-inkluderin-06": ("ovrigt", "regeringen"),
    "skr-2011-12-56-strategi-romsk-inkluderin-07": ("rapport", "myndighet"),  # Statskontoret's utvärdering
    "socialstyrelsen-i-bemotandet-tar-framtid-01": ("ovrigt", "myndighet"),
    "socialstyrelsen-i-bemotandet-tar-framtid-02": ("ovrigt", "myndighet"),
    "socialstyrelsen-i-bemotandet-tar-framtid-03": ("ovrigt", "myndighet"),
    "socialstyrelsen-i-bemotandet-tar-framtid-04": ("rapport", "myndighet"),  # a report's Sammanfattning
    "stockholm-program-vald-nara-relationer-h-01": ("strategi", "stockholm"),  # Förslag till program
    "stockholm-program-vald-nara-relationer-h-02": ("ovrigt", "stockholm"),  # press release
    "stockholm-program-vald-nara-relationer-h-03": ("ovrigt", "stockholm"),
    "stockholm-riktlinjer-nationella-minorite-01": ("yttrande", "stockholm"),  # tjänsteutlåtande
    "stockholm-riktlinjer-nationella-minorite-02": ("ovrigt", "stockholm"),  # start.stockholm
    "stockholm-riktlinjer-nationella-minorite-03": ("ovrigt", "stockholm"),
    "stockholm-strategi-romsk-inkludering-201-01": ("strategi", "stockholm"),  # the strategy text
    "stockholm-strategi-romsk-inkludering-201-02": ("ovrigt", "stockholm"),
}


def test_every_document_of_the_shared_corpus(shared_corpus: Path) -> None:
    manifest = load_manifest(shared_corpus)
    assert len(manifest) == 65
    titles = [m.title or "" for m in manifest.values()]
    table = []
    for name, meta in manifest.items():
        facts = classify(meta.title or "", meta.kind, meta.issuer, meta.source, titles)
        table.append(f"{facts.kind_group:11} {facts.issuer_group:13} {name}")
        expected = [v for prefix, v in EXPECTED.items() if name.startswith(prefix)]
        assert len(expected) == 1, name
        assert (facts.kind_group, facts.issuer_group) == expected[0], name
    print("\n".join(table))  # pytest -s shows what each document gets


def test_the_manifest_kind_and_issuer_win_when_they_name_a_group() -> None:
    title = "Uppdrag till Socialstyrelsen om romsk inkludering"
    assert classify(title) == classify(title, kind="utdrag")  # a provenance word names no group
    assert classify(title).kind_group == "uppdrag" and classify(title).issuer_group == "regeringen"
    assert classify(title, kind="rapport", issuer="Socialstyrelsen").kind_group == "rapport"
    assert classify(title, issuer="Socialstyrelsen").issuer_group == "myndighet"
    assert classify("Vad som helst", kind="Handlingsplan", issuer="Stockholms stad").kind_group == "strategi"
    assert classify("Vad som helst", issuer="Stockholms stad").issuer_group == "stockholm"
    # The metadata form's kinds, and the groups' own keys and labels.
    form = {"strategi": "strategi", "riktlinjer": "riktlinjer", "program": "strategi", "handlingsplan": "strategi",
            "lag": "lag", "förordning": "lag", "regeringsuppdrag": "uppdrag", "tjänsteutlåtande": "yttrande",
            "remissvar": "yttrande", "rapport": "rapport", "webbsida": "ovrigt", "annat": "ovrigt"}
    for kind, group in form.items():
        assert classify("Ett dokument", kind=kind).kind_group == group, kind
    for key, label in KIND_GROUPS.items():
        assert classify("x", kind=key).kind_group == key == classify("x", kind=label).kind_group
    for key, label in ISSUER_GROUPS.items():
        assert classify("x", issuer=label).issuer_group == key


def test_titles_alone() -> None:
    assert classify("Lag (2009:724) om nationella minoriteter").kind_group == "lag"
    assert classify("Riktlinjer för tolkanvändning").kind_group == "riktlinjer"
    assert classify("Handlingsplan för nationella minoriteter 2024–2027").kind_group == "strategi"
    assert classify("prop. 2017/18:199 En stärkt minoritetspolitik") == classify("En skrivelse", kind="skrivelse")
    assert classify("Minnesanteckningar").kind_group == "ovrigt"
    assert classify("Minnesanteckningar").issuer_group == "okand"
    assert classify("Malmö stads plan", kind="plan").issuer_group == "kommun"
    assert classify("Stockholms stads plan").issuer_group == "stockholm"


def test_a_part_of_a_collection_is_read_by_its_own_name_first() -> None:
    a = 'Samling om X – Stadens sidor – start.stockholm, "Riktlinjer för X"'
    b = "Samling om X – Stadens sidor – Hägersten-Liljeholmens stadsdelsförvaltning, tjänsteutlåtande"
    assert split_title(a, [a, b]) == ("Samling om X", 'start.stockholm, "Riktlinjer för X"')
    assert split_title(a, [a]) == ("", a)
    assert classify(b, other_titles=[a, b]).kind_group == "yttrande"
    # A dash inside a quoted name is not a separator.
    c = 'Samling – Länsstyrelsen publication page, "Romsk inkludering – årsrapport 2018"'
    d = "Samling – annat"
    assert split_title(c, [c, d])[1] == 'Länsstyrelsen publication page, "Romsk inkludering – årsrapport 2018"'


def _doc(name: str, title: str, **kw: object) -> DocInfo:
    return DocInfo(doc=name, title=title, doc_hash="h", meta_hash="", pages=1, chunks=1, ingested_at=0.0,
                   **kw)  # type: ignore[arg-type]


def test_with_groups_keeps_unchanged_records() -> None:
    docs = {"a.md": _doc("a.md", "Riktlinjer för X", issuer="Stockholms stad")}
    grouped = with_groups(docs)
    assert (grouped["a.md"].kind_group, grouped["a.md"].issuer_group) == ("riktlinjer", "stockholm")
    again = with_groups(grouped)
    assert again["a.md"] is grouped["a.md"]


@pytest.mark.parametrize("source", ["https://www.regeringen.se/regeringsuppdrag/2016/06/x/",
                                    "https://www.regeringen.se/rattsliga-dokument/proposition/2018/03/y/"])
def test_one_source_address_tells_kind_and_issuer(source: str) -> None:
    facts = classify("En stärkt minoritetspolitik", source=source)
    assert facts.issuer_group == "regeringen"
    assert facts.kind_group == ("uppdrag" if "regeringsuppdrag" in source else "proposition")
