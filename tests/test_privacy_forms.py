"""Masking against a generated list of the forms personal identity numbers and phone
numbers are written in (issue #16, finding 3): a few valid numbers × separators ×
spacing × century × context, and numbers that must stay as they are."""

from __future__ import annotations

import itertools

from stdnum import luhn
from stdnum.se import personnummer

from core.privacy import find_personal_data, mask_personal_data

# (century, YYMMDD, serial): personnummer, and a samordningsnummer (day 63 = the 3rd + 60).
NUMBERS = [("19", "460921", "1919"), ("19", "121212", "1212"), ("19", "600207", "2798"), ("19", "701063", "2391")]
SEPARATORS = ["", "-", "\u2013", "+", ".", "/", " ", "\u00a0", "  ", " - ", " \u2013 ", "- ", " -", " + ", " . "]
CONTEXTS = ["Personnummer {} gäller.", "({})", "{}", "Klienten {}, tel saknas", "pnr:{}"]

PHONES_NATIONAL = [("08", "508 000 00"), ("076", "217 52 66"), ("031", "123 45 67"), ("08", "5080 0000")]
PHONE_AREA_SEPARATORS = ["", "-", " ", "/", " - ", " / ", "\u2013"]
PHONE_REST = ["{}", "{nospace}", "{dashed}"]
PHONE_PREFIXES = ["+46 ", "+46", "0046 ", "0046", "+46 (0)"]
PHONE_CONTEXTS = ["Ring {} i morgon.", "tel. {}", "{}"]

NOT_PERSONAL = [
    "Strategin gällde 2018–2022.",
    "Perioden 2018-2022 och 2018 - 2022.",
    "Budgeten är 1 800 000 kronor, 250 000 kr och 3 045 000 000 kronor.",
    "Enligt lag (2009:724) om nationella minoriteter och SFS 2001:453.",
    "Beslut 2018-03-21, ändrat 2019-12-01, 21.03.2018 och 21/03/2018.",
    "Dnr SN 2018/123 och KS 2021/1234-1.",
    "Mellan 1990 och 2020 ökade antalet från 12 000 till 34 000.",
    "Ordernummer 1212121213 och fakturanummer 194609211918.",
    "Se sidorna 12-14, punkt 3.2.1, kl. 08.30-17.00.",
    "ISBN 978-91-7937-024-4 och 12 %.",
]


def _is_valid(century: str, date: str, serial: str) -> bool:
    if personnummer.is_valid(date + "-" + serial):
        return True
    day = int(date[-2:]) - 60
    return 1 <= day <= 31 and luhn.is_valid(date + serial)


def personal_forms() -> list[str]:
    forms = []
    for (century, date, serial), sep, with_century in itertools.product(NUMBERS, SEPARATORS, (False, True)):
        assert _is_valid(century, date, serial)
        forms.append((century if with_century else "") + date + sep + serial)
    return forms


def phone_forms() -> list[str]:
    forms = []
    for (area, rest), sep, style in itertools.product(PHONES_NATIONAL, PHONE_AREA_SEPARATORS, PHONE_REST):
        digits = rest.replace(" ", "")
        body = style.format(rest, nospace=digits, dashed=f"{digits[:3]}-{digits[3:]}" if len(digits) > 6 else rest)
        forms.append(area + sep + body)
        if sep in ("", " ", "-"):
            forms += [prefix + area[1:] + sep + body for prefix in PHONE_PREFIXES]
    return sorted(set(forms))


def _missed(forms: list[str], contexts: list[str], label: str) -> list[str]:
    missed = []
    for form, context in itertools.product(forms, contexts):
        text = context.format(form)
        masked = mask_personal_data(text).text
        if form in masked or label not in masked or masked != context.format(label):
            missed.append(repr(text) + " -> " + repr(masked))
    return missed


def test_hundreds_of_personnummer_forms_are_masked() -> None:
    forms = personal_forms()
    assert len(forms) * len(CONTEXTS) >= 500
    missed = [m for m in _missed(forms, CONTEXTS, "[personnummer]") if "701063" not in m]
    missed += [m for m in _missed([f for f in forms if "701063" in f], CONTEXTS, "[samordningsnummer]")]
    assert not missed, f"{len(missed)} of {len(forms) * len(CONTEXTS)} missed:\n" + "\n".join(missed[:30])


def test_hundreds_of_phone_forms_are_masked() -> None:
    forms = phone_forms()
    assert len(forms) * len(PHONE_CONTEXTS) >= 300
    missed = _missed(forms, PHONE_CONTEXTS, "[telefonnummer]")
    assert not missed, f"{len(missed)} of {len(forms) * len(PHONE_CONTEXTS)} missed:\n" + "\n".join(missed[:30])


def test_a_wrong_check_digit_is_masked_only_with_a_personnummer_separator() -> None:
    for sep in ["-", "\u2013", "+", " ", " - "]:
        assert mask_personal_data(f"Pnr 460921{sep}1918.").text == "Pnr [nummer]."
    for sep in ["", ".", "/"]:
        assert find_personal_data(f"Nr 460921{sep}1918.") == []


def test_years_amounts_laws_dates_and_case_numbers_are_not_masked() -> None:
    for text in NOT_PERSONAL:
        assert find_personal_data(text) == [], text
