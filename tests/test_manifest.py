"""Tests for ingest.manifest (sources.toml)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from core.errors import ManifestError
from ingest.manifest import DocMeta, load_manifest, manifest_fingerprint

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

SAMPLE = """\
# Provenance of each document in this folder: title, where the text comes from, kind,
# and whether it is only an excerpt (the stored copy was cut off).

["strategi-romsk-inkludering-2018.md"]
title = "Stockholms stads strategi för romsk inkludering 2018–2022"
source = "Stockholms stad, socialförvaltningen"
kind = "strategi"
excerpt = false

["lag-2009-724-minoritetslagen.md"]
title = "Lag (2009:724) om nationella minoriteter och minoritetsspråk"
source = "github se-lex/sfs, path 2009/sfs-2009-724.md"
kind = "författning"
excerpt = true
issuer = "Riksdagen"
adopted = 2009-06-11
valid_from = "2010-01-01"
valid_to = "2032"
replaced_by = "lag-2030-1.md"
reviewer = "Åsa"
tags = ["minoriteter", "språk"]
"""


def write_manifest(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sources.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def manifest_error(tmp_path: Path, text: str) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifest(write_manifest(tmp_path, text))
    assert info.value.path == str(tmp_path / "sources.toml")
    return info.value


def test_no_manifest_gives_empty_dict(tmp_path: Path) -> None:
    assert load_manifest(tmp_path) == {}


def test_loads_shared_corpus_format(tmp_path: Path) -> None:
    metas = load_manifest(write_manifest(tmp_path, SAMPLE))
    assert list(metas) == [
        "strategi-romsk-inkludering-2018.md",
        "lag-2009-724-minoritetslagen.md",
    ]
    strategy = metas["strategi-romsk-inkludering-2018.md"]
    assert strategy == DocMeta(
        title="Stockholms stads strategi för romsk inkludering 2018–2022",
        source="Stockholms stad, socialförvaltningen",
        kind="strategi",
        excerpt=False,
        issuer=None,
        adopted=None,
        valid_from=None,
        valid_to=None,
        replaced_by=None,
        extra={},
    )
    law = metas["lag-2009-724-minoritetslagen.md"]
    assert law.excerpt is True
    assert law.issuer == "Riksdagen"
    assert law.adopted == "2009-06-11"  # TOML date -> ISO string
    assert (law.valid_from, law.valid_to) == ("2010-01-01", "2032")
    assert law.replaced_by == "lag-2030-1.md"


def test_unknown_keys_kept_in_extra_read_only(tmp_path: Path) -> None:
    law = load_manifest(write_manifest(tmp_path, SAMPLE))[
        "lag-2009-724-minoritetslagen.md"
    ]
    assert dict(law.extra) == {"reviewer": "Åsa", "tags": ["minoriteter", "språk"]}
    with pytest.raises(TypeError):
        law.extra["ny"] = 1  # type: ignore[index]


def test_date_forms(tmp_path: Path) -> None:
    metas = load_manifest(
        write_manifest(
            tmp_path,
            """\
            ["a.md"]
            valid_from = 2018
            valid_to = 2022-12-31T10:00:00+01:00
            adopted = " 2017-11-06 "
            """,
        )
    )
    assert (
        metas["a.md"].valid_from,
        metas["a.md"].valid_to,
        metas["a.md"].adopted,
    ) == (
        "2018",
        "2022-12-31",
        "2017-11-06",
    )


def test_keys_are_nfc_normalised(tmp_path: Path) -> None:
    metas = load_manifest(
        write_manifest(tmp_path, '["ra\u0308ksmo\u0308rga\u030as.md"]\ntitle = "R"\n')
    )
    assert list(metas) == ["räksmörgås.md"]


def test_empty_entry_defaults(tmp_path: Path) -> None:
    meta = load_manifest(write_manifest(tmp_path, '["tom.md"]\n'))["tom.md"]
    assert meta == DocMeta(None, None, None, False, None, None, None, None, None, {})


def test_shared_corpus_manifest_has_65_entries() -> None:
    if not (SHARED_CORPUS / "sources.toml").is_file():
        pytest.skip(f"delad korpus saknas: {SHARED_CORPUS / 'sources.toml'} finns inte")
    metas = load_manifest(SHARED_CORPUS)
    assert len(metas) == 65
    assert all(meta.title and meta.kind for meta in metas.values())


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            '["a.md"]\ntitle = "A"\n\n["b.md"]\ntitle = B utan citattecken\n',
            5,
            "värde är ogiltigt",
        ),
        ('["a.md"]\ntitle "A"\n', 2, "'=' saknas"),
        ('["a.md"]\nkind = "x"\n["b.md"\n', 3, "']' saknas"),
        ('["a.md"]\ntitle = "A\n', 2, "citattecken"),
        ('["a.md"]\ntitle = "A"\n["a.md"]\ntitle = "B"\n', 3, "två gånger"),
        ('\n\n["a.md"]\nvalid_to = 2022-02-30\n', 4, "datum är ogiltigt"),
        ('["a.md"]\nvalid_to = 2022-13-45\n', 2, "oväntade tecken"),
    ],
)
def test_syntax_error_line_number(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    error = manifest_error(tmp_path, text)
    assert error.line == line
    assert words in error.detail
    assert (
        f"rad {line}" in error.swedish_message()
        and "Inget har ändrats" in error.swedish_message()
    )


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_bytes(
        '["a.md"]\ntitle = "Åsa"\n'.encode("cp1252")
    )
    error = pytest.raises(ManifestError, load_manifest, tmp_path).value
    assert (error.line, error.detail) == (2, "filen är inte sparad som UTF-8")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("title = 12", "title ska vara en text"),
        ('source = ["x"]', "source ska vara en text"),
        ('excerpt = "false"', "excerpt ska vara true eller false"),
        ("valid_to = 22", "valid_to ska vara ett datum"),
        ('valid_from = "2018-02-30"', "valid_from ska vara ett datum"),
        ('adopted = "våren 2018"', "adopted ska vara ett datum"),
        ("kind = true", "kind ska vara en text"),
    ],
)
def test_wrong_type_reports_header_line(tmp_path: Path, body: str, words: str) -> None:
    text = f'# kommentar\n\n["ok.md"]\ntitle = "OK"\n\n["fel.md"]  # här\nissuer = "I"\n{body}\n'
    error = manifest_error(tmp_path, text)
    assert error.line == 6
    assert words in error.detail and '["fel.md"]' in error.detail


def test_entry_that_is_not_a_table(tmp_path: Path) -> None:
    error = manifest_error(
        tmp_path, '# rad 1\n"lös.md" = "Titel"\n\n["ok.md"]\ntitle = "OK"\n'
    )
    assert error.line == 2
    assert "rubrik" in error.detail


def test_array_of_tables_is_not_an_entry(tmp_path: Path) -> None:
    error = manifest_error(tmp_path, '["ok.md"]\n\n[["lista.md"]]\ntitle = "A"\n')
    assert error.line == 3


def test_unquoted_file_name_header(tmp_path: Path) -> None:
    error = manifest_error(
        tmp_path, '["ok.md"]\ntitle = "OK"\n[rapport.md]\ntitle = "R"\n'
    )
    assert error.line == 3
    assert "citattecken" in error.detail


def test_literal_string_header_line(tmp_path: Path) -> None:
    error = manifest_error(
        tmp_path, "['a.md']\ntitle = 'A'\n\n  [ 'b.md' ]\nexcerpt = 1\n"
    )
    assert error.line == 4


def test_fingerprint_stable_and_sensitive(tmp_path: Path) -> None:
    law = load_manifest(write_manifest(tmp_path, SAMPLE))[
        "lag-2009-724-minoritetslagen.md"
    ]
    again = load_manifest(tmp_path)["lag-2009-724-minoritetslagen.md"]
    fingerprint = manifest_fingerprint(law)
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert manifest_fingerprint(again) == fingerprint
    assert (
        manifest_fingerprint(dataclasses.replace(law, valid_to="2033")) != fingerprint
    )
    assert manifest_fingerprint(dataclasses.replace(law, excerpt=False)) != fingerprint
    assert (
        manifest_fingerprint(dataclasses.replace(law, extra={"reviewer": "Bo"}))
        != fingerprint
    )
    reordered = dataclasses.replace(
        law, extra={"tags": ["minoriteter", "språk"], "reviewer": "Åsa"}
    )
    assert manifest_fingerprint(reordered) == fingerprint


def test_docmeta_is_hashable_and_frozen() -> None:
    meta = DocMeta(title="T", extra={"x": [1]})
    assert hash(meta) == hash(DocMeta(title="T", extra={"y": 2}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.title = "U"  # type: ignore[misc]
