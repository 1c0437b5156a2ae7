"""Tests for ingest.readers with real files built in tmp_path (fpdf2 + pypdf)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.errors import DependencyError

from core.errors import DocumentError
from core.records import Page
from ingest.formats import SUPPORTED_SUFFIXES, sniff_kind
from ingest.readers import read_document, safe_filename
from tests.pdfs import make_pdf

MB = 1024 * 1024
PAGE_TEXTS = [
    "Sida ett: Räksmörgås på Södermalm.",
    "Sida två: Äldreomsorg i Östermalm.",
    "Sida tre: Öppettider för ärenden.",
]




def rewrite(
    data: bytes,
    *,
    labels: list[tuple[int, int, dict[str, Any]]] | None = None,
    user: str | None = None,
    owner: str = "ägare",
) -> bytes:
    """Page labels and/or encryption added with pypdf's PdfWriter."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    for first, last, options in labels or []:
        writer.set_page_label(first, last, **options)
    if user is not None:
        writer.encrypt(user, owner_password=owner)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reason(path: Path, max_bytes: int = 10 * MB) -> str:
    with pytest.raises(DocumentError) as info:
        read_document(path, path.name, max_bytes)
    assert info.value.doc == path.name
    return info.value.reason


# --- PDF ---------------------------------------------------------------------------


def test_pdf_pages_numbers_and_swedish_text(tmp_path: Path) -> None:
    pages = read_document(
        write(tmp_path, "doc.pdf", make_pdf(PAGE_TEXTS)), "doc.pdf", MB
    )
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.text.strip() for p in pages] == PAGE_TEXTS
    assert all(p.label is None for p in pages)
    assert all("\r" not in p.text and "\x00" not in p.text for p in pages)


def test_pdf_page_labels_roman_then_arabic(tmp_path: Path) -> None:
    data = make_pdf(["Förord", "Innehåll", "Kapitel ett", "Kapitel två"])
    data = rewrite(
        data, labels=[(0, 1, {"style": "/r"}), (2, 3, {"style": "/D", "start": 1})]
    )
    pages = read_document(write(tmp_path, "lab.pdf", data), "lab.pdf", MB)
    assert [(p.number, p.label) for p in pages] == [
        (1, "i"),
        (2, "ii"),
        (3, "1"),
        (4, "2"),
    ]


def test_pdf_labels_equal_to_page_number_become_none(tmp_path: Path) -> None:
    data = rewrite(make_pdf(["a", "b"]), labels=[(0, 1, {"style": "/D", "start": 1})])
    pages = read_document(write(tmp_path, "d.pdf", data), "d.pdf", MB)
    assert [p.label for p in pages] == [None, None]


def test_pdf_empty_page_skipped_but_numbering_kept(tmp_path: Path) -> None:
    data = make_pdf(["Första sidan", "", "Tredje sidan"])
    pages = read_document(write(tmp_path, "gap.pdf", data), "gap.pdf", MB)
    assert [(p.number, p.text.strip()) for p in pages] == [
        (1, "Första sidan"),
        (3, "Tredje sidan"),
    ]


def test_pdf_corrupt(tmp_path: Path) -> None:
    garbage = b"%PDF-1.4\n" + bytes(range(256)) * 8
    assert "skadad" in reason(write(tmp_path, "trasig.pdf", garbage))


def test_pdf_truncated(tmp_path: Path) -> None:
    data = make_pdf(PAGE_TEXTS)
    text = reason(write(tmp_path, "halv.pdf", data[: len(data) // 2]))
    assert "skadad eller ofullständig" in text


def test_pdf_error_raised_lazily_while_extracting(tmp_path: Path) -> None:
    # The file opens and counts its pages; only extract_text on page 1 fails.
    data = make_pdf(PAGE_TEXTS, compress=False)
    at = data.index(b"endstream")
    broken = data[:at] + b"endstreXm" + data[at + 9 :]
    assert len(PdfReader(io.BytesIO(broken)).pages) == 3
    assert "skadad" in reason(write(tmp_path, "lat.pdf", broken))


def test_pdf_not_a_pdf_at_all(tmp_path: Path) -> None:
    assert "skadad" in reason(
        write(tmp_path, "html.pdf", b"<html><body>hej</body></html>")
    )


def test_pdf_password_protected(tmp_path: Path) -> None:
    data = rewrite(make_pdf(PAGE_TEXTS), user="hemligt")
    assert "lösenordsskyddad" in reason(write(tmp_path, "låst.pdf", data))


def test_pdf_with_empty_user_password_is_read(tmp_path: Path) -> None:
    data = rewrite(make_pdf(PAGE_TEXTS), user="", owner="ägare")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    pages = read_document(write(tmp_path, "skyddad.pdf", data), "skyddad.pdf", MB)
    assert [p.text.strip() for p in pages] == PAGE_TEXTS


def test_pdf_aes_without_crypto_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = rewrite(make_pdf(PAGE_TEXTS), user="", owner="ägare")

    def no_aes(self: PdfReader, password: str | bytes) -> object:
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", no_aes)
    assert "krypterad (AES)" in reason(write(tmp_path, "aes.pdf", data))


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.add_page()
    text = reason(write(tmp_path, "skannad.pdf", bytes(pdf.output())))
    assert "saknar textlager" in text and "OCR" in text


def test_pdf_with_only_an_image(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image.new("RGB", (40, 40), "gray"), x=10, y=10, w=80)
    assert "saknar textlager" in reason(
        write(tmp_path, "bild.pdf", bytes(pdf.output()))
    )


# --- Text and Markdown -------------------------------------------------------------


def test_markdown_one_page_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "# Rubrik\r\nÅäö text\rslut\x00\n".encode())
    assert read_document(path, "a.md", MB) == [
        Page(number=None, text="# Rubrik\nÅäö text\nslut\n")
    ]


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + "Hej Åsa".encode())
    assert read_document(path, "bom.txt", MB)[0].text == "Hej Åsa"


def test_cp1252_text(tmp_path: Path) -> None:
    path = write(tmp_path, "win.txt", "Räksmörgås – “citat” för 5 €".encode("cp1252"))
    assert read_document(path, "win.txt", MB)[0].text == "Räksmörgås – “citat” för 5 €"


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "u16.txt", "Ärende på Öland".encode("utf-16"))
    assert read_document(path, "u16.txt", MB)[0].text == "Ärende på Öland"


def test_bytes_invalid_in_utf8_and_cp1252(tmp_path: Path) -> None:
    text = reason(write(tmp_path, "trasig.txt", b"abc \x81\x8d\x8f def"))
    assert "teckenkodning" in text and "UTF-8" in text


def test_binary_file_named_txt(tmp_path: Path) -> None:
    assert "binärfil" in reason(write(tmp_path, "bin.txt", bytes(range(256))))
    assert "binärfil" in reason(
        write(tmp_path, "zip.md", b"PK\x03\x04" + b"\x00\x01\x02" * 50)
    )


@pytest.mark.parametrize("suffix", [".pdf", ".md", ".txt"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    assert reason(write(tmp_path, f"tom{suffix}", b"")) == "filen är tom"


@pytest.mark.parametrize(
    "data", [b"   \n\t\r\n", "\ufeff \n".encode(), "\u00a0\u2003\n".encode()]
)
def test_whitespace_only_file(tmp_path: Path, data: bytes) -> None:
    assert "bara blanksteg" in reason(write(tmp_path, "blank.md", data))


# --- Extension, size, missing file -------------------------------------------------


def test_unsupported_extension(tmp_path: Path) -> None:
    text = reason(write(tmp_path, "tabell.xyz", b"data"))
    assert text == "filtypen .xyz stöds inte (PDF, Word, webbsidor (HTML), Markdown och text stöds)"
    assert "utan filändelse" in reason(write(tmp_path, "README", b"data"))


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert ".markdown" in SUPPORTED_SUFFIXES
    assert read_document(write(tmp_path, "A.MD", b"hej"), "A.MD", MB)[0].text == "hej"


def test_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "stor.txt", b"a" * (MB + MB // 2))
    assert reason(path, max_bytes=MB) == "filen är för stor (1,5 MB, gränsen är 1 MB)"
    just_over = write(tmp_path, "nastan.txt", b"a" * (MB + 1))
    assert "(1,1 MB, gränsen är 1 MB)" in reason(just_over, max_bytes=MB)
    assert read_document(path, "stor.txt", 2 * MB)[0].text.startswith("aaa")


def test_missing_file(tmp_path: Path) -> None:
    assert "finns inte" in reason(tmp_path / "borta.md")


# --- sniff_kind --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\xef\xbb\xbf\r\n  %PDF-1.4\n", "pdf"),
        (b"\n" * 1000 + b"%PDF-1.4", "pdf"),
        (
            b" " * 1030 + b"%PDF-1.4",
            "text",
        ),  # a PDF header must start within 1024 bytes
        ("# Rubrik\n\nÅäö text.\n".encode(), "text"),
        ("Räksmörgås för 5 €".encode("cp1252"), "text"),
        ("Ärende".encode("utf-16"), "text"),
        (b"hej\x00hopp", None),
        (b"\x81\x8d\x8f\x90\x9d", None),
        (bytes(range(1, 32)) * 10, None),
        (b"PK\x03\x04\x14\x00\x06\x00", None),  # a broken zip (a real .docx sniffs as "docx")
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"", None),
    ],
)
def test_sniff_kind(data: bytes, kind: str | None) -> None:
    assert sniff_kind(data) == kind


def test_sniff_kind_real_pdf() -> None:
    assert sniff_kind(make_pdf(["Hej"])) == "pdf"


def test_sniff_kind_multibyte_char_cut_at_sample_edge() -> None:
    data = b"a" * (1024 * 1024 - 1) + "å".encode() + b"slut"
    assert sniff_kind(data) == "text"


# --- safe_filename -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("räksmörgås.pdf", "räksmörgås.pdf"),
        ("ra\u0308ksmo\u0308rga\u030as.pdf", "räksmörgås.pdf"),  # NFD from macOS -> NFC
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("C:\\Users\\Åsa\\Protokoll 2023.docx.pdf", "Protokoll 2023.docx.pdf"),
        (".hidden.md", "hidden.md"),
        ("rapport (slutlig)!!.pdf", "rapport _slutlig_.pdf"),
        ('a<>:"|?*b.txt', "a_b.txt"),
        ("tab\tand\nnewline.txt", "tab_and_newline.txt"),
        ("Ελληνικά-дом_東京.md", "Ελληνικά-дом_東京.md"),
        ("  mellanslag .txt  ", "mellanslag .txt"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


@pytest.mark.parametrize("raw", ["", "..", ".", "../", "/", "...", "***", "dir/"])
def test_safe_filename_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="ogiltigt filnamn"):
        safe_filename(raw)


def test_safe_filename_length_keeps_extension() -> None:
    result = safe_filename("å" * 300 + ".pdf")
    assert len(result) == 120 and result.endswith(".pdf") and result.startswith("ååå")
