"""Tests for core.privacy: detection and masking of personal data."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.se import personnummer

from core.privacy import (
    WARNING_SV,
    Finding,
    MaskResult,
    contains_personal_data,
    find_personal_data,
    mask_personal_data,
    question_for_log,
    warning_for,
)

# Skatteverket's published test number, in every accepted format.
VALID_FORMATS = [
    "121212-1212",  # YYMMDD-NNNN
    "121212+1212",  # YYMMDD+NNNN (aged 100 or more)
    "1212121212",  # YYMMDDNNNN
    "19121212-1212",  # YYYYMMDD-NNNN
    "191212121212",  # YYYYMMDDNNNN
    "121212 1212",  # space instead of dash
    "19121212 1212",
]
COORDINATION = "701063-2391"  # day 63 = the 3rd + 60


def _with_bad_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _kinds(text: str) -> list[tuple[str, bool]]:
    return [(f.kind, f.valid) for f in find_personal_data(text)]


def test_reference_numbers_are_valid_according_to_stdnum() -> None:
    for number in VALID_FORMATS:
        assert personnummer.is_valid(number), number
    # stdnum has no coordination-number support: its date check rejects day 63,
    # but the check digit holds and the day minus 60 is a real date.
    assert not personnummer.is_valid(COORDINATION)
    assert luhn.is_valid(COORDINATION.replace("-", ""))
    assert personnummer.get_birth_date("701003-2391") == datetime.date(1970, 10, 3)


@pytest.mark.parametrize("number", VALID_FORMATS)
def test_valid_personnummer_in_every_format(number: str) -> None:
    text = f"Klienten har personnummer {number} och bor i Skärholmen."
    result = mask_personal_data(text)
    start = text.index(number)
    assert result.findings == (
        Finding("personnummer", start, start + len(number), True),
    )
    assert (
        result.text == "Klienten har personnummer [personnummer] och bor i Skärholmen."
    )


@pytest.mark.parametrize("number", [COORDINATION, "7010632391", "19701063-2391"])
def test_samordningsnummer(number: str) -> None:
    result = mask_personal_data(f"Samordningsnummer {number}.")
    assert [(f.kind, f.valid) for f in result.findings] == [("samordningsnummer", True)]
    assert result.text == "Samordningsnummer [samordningsnummer]."


@pytest.mark.parametrize("number", [n for n in [*VALID_FORMATS, COORDINATION] if not n.isdigit()])
def test_invalid_check_digit_is_masked_but_not_valid(number: str) -> None:
    bad = _with_bad_check_digit(number)
    assert not personnummer.is_valid(bad)
    text = f"Gäller {bad} i ärendet"
    result = mask_personal_data(text)
    assert [(f.kind, f.valid) for f in result.findings] == [("personnummer", False)]
    assert result.text == "Gäller [nummer] i ärendet"
    assert bad not in result.text
    assert bad.replace("-", "").replace("+", "").replace(" ", "") not in result.text


@pytest.mark.parametrize("number", ["1212121213", "191212121213", "121212.1213", "121212/1213"])
def test_invalid_check_digit_without_a_personnummer_separator_is_another_number(number: str) -> None:
    """Bare digits (or "." / "/") failing the check are an order or invoice number (module docstring)."""
    assert find_personal_data(f"Order {number} skickad") == []


@pytest.mark.parametrize("number", ["991332-1234", "19990231-1234", "121232 1212"])
def test_invalid_date_is_masked_but_not_valid(number: str) -> None:
    result = mask_personal_data(f"Nummer {number}")
    assert _kinds(f"Nummer {number}") == [("personnummer", False)]
    assert result.text == "Nummer [nummer]"


@pytest.mark.parametrize(
    "phone",
    [
        "070-123 45 67",
        "070-1234567",
        "070 123 45 67",
        "0701234567",
        "08-123 456 78",
        "08 123 45 67",
        "08-12 34 56",
        "031-123 45 67",
        "+46 70 123 45 67",
        "+46701234567",
        "+46 (0)8-123 456 78",
        "0046 70 123 45 67",
        "0046701234567",
        "070\u00a0123\u00a045\u00a067",
    ],
)
def test_phone_numbers(phone: str) -> None:
    text = f"Ring mig på {phone}, tack."
    result = mask_personal_data(text)
    assert _kinds(text) == [("telefon", True)]
    assert result.text == "Ring mig på [telefonnummer], tack."


@pytest.mark.parametrize(
    "email",
    [
        "anna.svensson@stockholm.se",
        "kalle+soc@example.com",
        "åsa-lind@förvaltning.stockholm.se",
    ],
)
def test_email_addresses(email: str) -> None:
    text = f"Mejla {email}."
    result = mask_personal_data(text)
    assert _kinds(text) == [("epost", True)]
    assert result.text == "Mejla [e-postadress]."


@pytest.mark.parametrize(
    "text",
    [
        "Året 2019 och 1990-talet",
        "Under perioden 2018-2022 ökade kostnaderna.",
        "Beloppet är 1 250 000 kr, eller 3 045 000 000 kronor totalt.",
        "Se SFS 2009:724 och socialtjänstlagen (2001:453).",
        "Enligt Rapport 2020:8 från Socialstyrelsen.",
        "ISBN 978-91-7937-024-4",
        "Beslut 2020-01-01, ändrat 01-02-2020, kl. 08.30-17.00.",
        "Dnr SOC 2021/1234, 12 %, 0,5 procent.",
    ],
)
def test_false_positives_untouched(text: str) -> None:
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == MaskResult(text, ())
    assert not contains_personal_data(text)


def test_mixed_question_keeps_everything_else_byte_for_byte() -> None:
    text = (
        "Hej!\tKan 19121212-1212 (tel 070-123 45 67, a.b@c.se) få\n"
        "försörjningsstöd enligt 2001:453 för 2018-2022?  Fel: 121212-1213 "
    )
    result = mask_personal_data(text)
    assert result.text == (
        "Hej!\tKan [personnummer] (tel [telefonnummer], [e-postadress]) få\n"
        "försörjningsstöd enligt 2001:453 för 2018-2022?  Fel: [nummer] "
    )
    assert [f.kind for f in result.findings] == [
        "personnummer",
        "telefon",
        "epost",
        "personnummer",
    ]
    assert [f.valid for f in result.findings] == [True, True, True, False]
    for f in result.findings:
        assert text[f.start : f.end] not in result.text


def test_warning_and_contains() -> None:
    assert warning_for([]) is None
    findings = find_personal_data("pnr 121212-1212")
    assert warning_for(findings) == WARNING_SV
    assert warning_for(mask_personal_data("fel 121212-1213").findings) == WARNING_SV
    assert contains_personal_data("ring 08-123 456 78")
    assert not contains_personal_data("Vad gäller för ekonomiskt bistånd?")


def test_question_for_log() -> None:
    question = "Gäller detta 121212-1212?"
    assert question_for_log(question, enabled=False) is None
    assert question_for_log(question, enabled=True) == "Gäller detta [personnummer]?"


def test_dataclasses_are_frozen() -> None:
    finding = Finding("epost", 0, 1, True)
    with pytest.raises(AttributeError):
        finding.start = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        MaskResult("x", ()).text = "y"  # type: ignore[misc]


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    """A personnummer or samordningsnummer, valid according to stdnum."""
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2024, 12, 31)))
    coordination = draw(st.booleans())
    day = born.day + (60 if coordination else 0)
    short = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    ten = short + luhn.calc_check_digit(short)
    fmt = draw(
        st.sampled_from(
            ["short-", "short+", "short ", "short", "long-", "long", "long "]
        )
    )
    head = ten[:6] if fmt.startswith("short") else f"{born.year // 100}{ten[:6]}"
    number = head + fmt.removeprefix("short").removeprefix("long") + ten[6:]
    if coordination:
        real = number[: len(head) - 2] + f"{born.day:02d}" + number[len(head) :]
        assume(personnummer.is_valid(real))
        assert luhn.is_valid(ten)
    else:
        assume(personnummer.is_valid(number))
    return number


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=40), number=valid_numbers(), after=st.text(max_size=40))
def test_masked_text_never_contains_inserted_number(
    before: str, number: str, after: str
) -> None:
    text = f"{before} {number} {after}"
    result = mask_personal_data(text)
    digits = "".join(c for c in number if c.isdigit())
    assert number not in result.text
    assert digits not in result.text
    assert any(
        f.valid and f.kind in ("personnummer", "samordningsnummer")
        for f in result.findings
    )
