"""Tests for ingest.validity and the validity wording of core.wording."""

from __future__ import annotations

from datetime import date

import pytest

from core.records import Validity
from core.wording import period, validity_label, validity_note
from ingest.manifest import DocMeta
from ingest.validity import validity_for

TODAY = date(2025, 6, 1)


def test_manifest_dates_win_over_title() -> None:
    meta = DocMeta(valid_from="2019-01-01", valid_to="2023-06-30")
    assert validity_for(meta, "Strategi 2018–2022") == Validity(
        "2019-01-01", "2023-06-30", "sources.toml"
    )


def test_manifest_with_only_valid_to() -> None:
    assert validity_for(DocMeta(valid_to="2022"), "Plan") == Validity(
        None, "2022", "sources.toml"
    )


def test_manifest_without_dates_falls_back_to_title() -> None:
    assert validity_for(DocMeta(title="x"), "Program 2017–2020") == Validity(
        "2017", "2020", "titel"
    )


@pytest.mark.parametrize(
    "title",
    [
        "Stockholms stads strategi för romsk inkludering 2018–2022",  # en dash
        "Strategi 2018-2022",  # hyphen
        "Strategi 2018—2022 (remissvar)",  # em dash
        "Strategi 2018 – 2022",
        "Strategi (2018-2022)",
    ],
)
def test_year_range_in_title(title: str) -> None:
    assert validity_for(None, title) == Validity("2018", "2022", "titel")


@pytest.mark.parametrize(
    "title",
    [
        "Lag (2009:724) om nationella minoriteter",
        "Yttrande 2019-10-01 (KS 19/246)",  # a date, not a range
        "Rapport 2022–2018",  # backwards
        "Arkiv 1850–1900",  # before 1900
        "Vision 2090–2150",  # after 2100
        "Diarienummer 12018–20225",  # not 4-digit years
        "Skr. 2011/12:56",
        "Utan årtal",
    ],
)
def test_no_range_in_title(title: str) -> None:
    assert validity_for(None, title) == Validity(None, None, "okänd")


def test_report_titles_get_no_period() -> None:
    title = "Romsk inkludering lokalt – nuläget i kommuner med statligt stöd 2012–2017"
    assert validity_for(None, title) == Validity(None, None, "okänd")


def test_first_valid_range_is_used() -> None:
    assert validity_for(None, "Plan 2030–2020, reviderad 2021–2024").valid_to == "2024"


@pytest.mark.parametrize(
    ("valid_to", "today", "expired"),
    [
        ("2022", date(2022, 12, 31), False),  # a bare year lasts the whole year
        ("2022", date(2023, 1, 1), True),
        ("2022-06-30", date(2022, 6, 30), False),
        ("2022-06-30", date(2022, 7, 1), True),
        ("2032", TODAY, False),
        (None, TODAY, False),
        ("inte ett datum", TODAY, False),
    ],
)
def test_is_expired(valid_to: str | None, today: date, expired: bool) -> None:
    assert Validity("2018", valid_to, "titel").is_expired(today) is expired


def test_only_valid_from_never_expires() -> None:
    assert not Validity("2001", None, "sources.toml").is_expired(TODAY)


@pytest.mark.parametrize(
    ("title", "note"),
    [
        (
            "Stockholms stads strategi för romsk inkludering 2018–2022",
            "Strategin gällde 2018–2022. Kontrollera om den har ersatts.",
        ),
        ("Integrationsstrategin 2018–2022", "Strategin gällde 2018–2022. Kontrollera om den har ersatts."),
        (
            "Stockholms stads program mot våld i nära relationer 2017–2020",
            "Programmet gällde 2017–2020. Kontrollera om det har ersatts.",
        ),
        ("Äldreomsorgsprogrammet 2018–2022", "Programmet gällde 2018–2022. Kontrollera om det har ersatts."),
        ("Riktlinjer för bistånd 2018–2022", "Riktlinjerna gällde 2018–2022. Kontrollera om de har ersatts."),
        ("Riktlinjerna för handläggning 2018–2022", "Riktlinjerna gällde 2018–2022. Kontrollera om de har ersatts."),
        ("Handlingsplan 2018–2022", "Planen gällde 2018–2022. Kontrollera om den har ersatts."),
        (
            "Strategiska mål 2018–2022",
            None,
        ),  # not the noun "strategi": not a governing document, so no period from the title
        (
            "Program för genomförande av strategin 2018–2022",
            "Programmet gällde 2018–2022. Kontrollera om det har ersatts.",
        ),  # first wins
        ("strategi", "Strategin gällde 2018–2022. Kontrollera om den har ersatts."),  # a kind works too
    ],
)
def test_validity_note_subject(title: str, note: str) -> None:
    v = (
        validity_for(None, title)
        if "20" in title
        else Validity("2018", "2022", "sources.toml")
    )
    assert validity_note(title, v, TODAY) == note


def test_validity_note_full_dates_and_open_start() -> None:
    full = Validity("2018-01-01", "2022-06-30", "sources.toml")
    assert (
        validity_note("riktlinjer", full, TODAY)
        == "Riktlinjerna gällde 2018-01-01 – 2022-06-30. Kontrollera om de har ersatts."
    )
    open_start = Validity(None, "2022", "sources.toml")
    assert (
        validity_note("Policy", open_start, TODAY)
        == "Dokumentet gällde till och med 2022. Kontrollera om det har ersatts."
    )


def test_validity_note_none_when_current_or_unknown() -> None:
    assert (
        validity_note(
            "Strategi 2012–2032", validity_for(None, "Strategi 2012–2032"), TODAY
        )
        is None
    )
    assert validity_note("Strategi", Validity(None, None, "okänd"), TODAY) is None
    assert (
        validity_note(
            "Program 2017–2020", Validity("2017", "2020", "titel"), date(2020, 12, 31)
        )
        is None
    )


@pytest.mark.parametrize(
    ("v", "shown", "label"),
    [
        (Validity("2018", "2022", "titel"), "2018–2022", "gällde 2018–2022, har upphört"),
        (Validity("2018-01-01", "2022-06-30", "sources.toml"), "2018-01-01 – 2022-06-30",
         "gällde 2018-01-01 – 2022-06-30, har upphört"),
        (Validity("2024", None, "sources.toml"), "från 2024", "gäller från 2024"),
        (Validity(None, "2030", "sources.toml"), "till och med 2030", "gäller till och med 2030"),
        (Validity(None, "2022", "sources.toml"), "till och med 2022", "gällde till och med 2022, har upphört"),
        (Validity(), "", ""),
    ],
)
def test_one_wording_of_a_period(v: Validity, shown: str, label: str) -> None:
    assert period(v) == shown
    assert validity_label(v, TODAY) == label


def test_validity_note_names_the_replacement_when_known() -> None:
    from core.records import DocInfo
    from core.store import LiveState
    from retrieval.trust import validity_notes

    old = Validity("2017", "2020", "titel")
    assert (validity_note("Program mot våld 2017–2020", old, TODAY, "Program mot våld 2021–2025")
            == "Programmet gällde 2017–2020 och har ersatts av ”Program mot våld 2021–2025”.")

    def info(doc: str, title: str, validity: Validity, replaced_by: str | None = None) -> DocInfo:
        return DocInfo(doc, title, "h", "m", 1, 1, 0.0, validity=validity, replaced_by=replaced_by)

    docs = {
        "gammal.md": info("gammal.md", "Program mot våld 2017–2020", old, "ny.md"),
        "ny.md": info("ny.md", "Program mot våld\n2021–2025", Validity("2021", "2025", "titel")),
        "borta.md": info("borta.md", "Strategi 2012–2016", Validity("2012", "2016", "titel"), "saknas.md"),
        "utan.md": info("utan.md", "Riktlinjer 2010–2014", Validity("2010", "2014", "titel")),
    }
    state = LiveState("g", "m", 1, 0.0, "c", docs)
    assert validity_notes(list(docs), state, TODAY) == {
        "gammal.md": "Programmet gällde 2017–2020 och har ersatts av ”Program mot våld 2021–2025”.",
        "borta.md": "Strategin gällde 2012–2016 och har ersatts av ”saknas.md”.",  # not indexed: its file name
        "utan.md": "Riktlinjerna gällde 2010–2014. Kontrollera om de har ersatts.",
    }
