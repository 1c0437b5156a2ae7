"""Saving uploads into the corpus folder and removing documents (ingest/uploads.py)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from fpdf import FPDF

from core.errors import DocumentError
from ingest.pipeline import corpus_files
from ingest.uploads import remove_document, save_upload
from ui.documents import handle_uploads

MB = 1024 * 1024
MD = "# Rutin för tolk\n\nBoka tolk i god tid före mötet.\n".encode()


def make_pdf(text: str = "Riktlinjer för nationella minoriteter") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "sources.toml").write_text("", encoding="utf-8")
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_saves_markdown_text_and_pdf(corpus: Path) -> None:
    assert save_upload(corpus, "rutin.md", MD, MB) == "rutin.md"
    assert save_upload(corpus, "anteckning.txt", "Hej på er\n".encode("cp1252"), MB) == "anteckning.txt"
    assert save_upload(corpus, "riktlinjer.PDF", make_pdf(), MB) == "riktlinjer.PDF"
    assert (corpus / "rutin.md").read_bytes() == MD
    assert listing(corpus) == ["anteckning.txt", "riktlinjer.PDF", "rutin.md", "sources.toml"]
    assert [name for name, _ in corpus_files(corpus)] == ["anteckning.txt", "riktlinjer.PDF", "rutin.md"]
    assert (corpus / "rutin.md").stat().st_mode & 0o777 == 0o644


def test_same_name_replaces_the_file(corpus: Path) -> None:
    save_upload(corpus, "rutin.md", MD, MB)
    save_upload(corpus, "rutin.md", b"# Ny version\n\nAnnan text.\n", MB)
    assert (corpus / "rutin.md").read_bytes() == b"# Ny version\n\nAnnan text.\n"
    assert listing(corpus) == ["rutin.md", "sources.toml"]  # no temp files left


def test_replaces_a_file_whose_name_is_stored_decomposed(corpus: Path) -> None:
    nfd = unicodedata.normalize("NFD", "åtgärder.md")
    (corpus / nfd).write_bytes(MD)
    saved = save_upload(corpus, "åtgärder.md", b"# Nytt\n\nText.\n", MB)
    assert saved == nfd
    assert len(listing(corpus)) == 2 and (corpus / nfd).read_bytes() == b"# Nytt\n\nText.\n"


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\anna\\Mina dokument\\rapport.md", "rapport.md"),
        (".dold.md", "dold.md"),
        ("plan<2024>?.md", "plan_2024_.md"),
    ],
)
def test_names_are_sanitised_and_stay_in_the_folder(corpus: Path, name: str, saved: str) -> None:
    assert save_upload(corpus, name, MD, MB) == saved
    assert (corpus / saved).is_file()
    assert not (corpus.parent / "etc").exists()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("rapport.pdf", MD, "innehållet är ingen PDF"),
        ("rapport.md", b"%PDF-1.7\n%...", "innehållet är en PDF"),
        ("bild.txt", bytes(range(256)) * 4, "innehållet är inte text"),
        ("dokument.docx", b"PK\x03\x04 ...", "innehållet är inget Word-dokument"),
        ("kalkyl.xlsx", b"PK\x03\x04 ...", "filtypen .xlsx stöds inte"),
        ("sources.toml", b'["a.md"]\ntitle = "x"\n', "filtypen .toml stöds inte"),
        ("utan-andelse", MD, "filtypen utan filändelse stöds inte"),
        ("tom.md", b"", "filen är tom"),
        ("blank.txt", b"  \n\n ", "bara blanksteg"),
        ("stor.md", b"a" * (MB + 1), "filen är för stor (1,1 MB, gränsen är 1 MB)"),
        ("...", MD, "filnamnet är ogiltigt"),
    ],
)
def test_refused_uploads_say_why_in_swedish(corpus: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as info:
        save_upload(corpus, name, data, MB)
    assert reason in info.value.reason
    assert listing(corpus) == ["sources.toml"]  # nothing written, no temp file left


def test_a_failed_write_leaves_no_temp_file(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_upload(corpus, "rutin.md", MD, MB)

    def broken_replace(src: str, dst: str) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(DocumentError, match="kunde inte sparas"):
        save_upload(corpus, "rutin.md", b"# Annat\n\nx\n", MB)
    assert listing(corpus) == ["rutin.md", "sources.toml"]
    assert (corpus / "rutin.md").read_bytes() == MD  # the old version is intact


def test_remove_document(corpus: Path) -> None:
    save_upload(corpus, "rutin.md", MD, MB)
    (corpus / "undermapp").mkdir()
    (corpus / "undermapp" / "bilaga.txt").write_text("Bilaga\n", encoding="utf-8")
    assert remove_document(corpus, "rutin.md") == "rutin.md"
    assert remove_document(corpus, "undermapp/bilaga.txt") == "undermapp/bilaga.txt"
    assert listing(corpus) == ["sources.toml", "undermapp"]
    with pytest.raises(DocumentError, match="finns inte"):
        remove_document(corpus, "rutin.md")


@pytest.mark.parametrize(
    "name",
    ["../utanfor.md", "/etc/passwd", "undermapp/../../utanfor.md", "..\\utanfor.md", "", ".", ".git/config"],
)
def test_remove_refuses_paths_outside_the_folder(corpus: Path, name: str) -> None:
    outside = corpus.parent / "utanfor.md"
    outside.write_bytes(MD)
    with pytest.raises(DocumentError, match="ogiltigt namn"):
        remove_document(corpus, name)
    assert outside.exists()


def test_remove_refuses_manifest_folders_and_symlinked_folders(corpus: Path) -> None:
    with pytest.raises(DocumentError, match="sources.toml"):
        remove_document(corpus, "sources.toml")
    (corpus / "mapp").mkdir()
    with pytest.raises(DocumentError, match="mapp, inte en fil"):
        remove_document(corpus, "mapp")
    elsewhere = corpus.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hemlig.md").write_bytes(MD)
    (corpus / "lank").symlink_to(elsewhere)
    with pytest.raises(DocumentError, match="ogiltigt namn"):
        remove_document(corpus, "lank/hemlig.md")
    assert (elsewhere / "hemlig.md").exists()


def test_remove_a_symlinked_file_removes_the_link_only(corpus: Path) -> None:
    target = corpus.parent / "original.md"
    target.write_bytes(MD)
    (corpus / "lank.md").symlink_to(target)
    remove_document(corpus, "lank.md")
    assert not (corpus / "lank.md").exists() and target.exists()


def test_handle_uploads_reports_each_file(corpus: Path) -> None:
    save_upload(corpus, "rutin.md", MD, MB)
    uploads = [("rutin.md", b"# Ny\n\nText.\n"), ("ny fil?.txt", b"Hej\n"), ("virus.exe", b"MZ\x90\x00")]
    messages = handle_uploads(corpus, uploads, MB)
    hint = "Tryck på ”Uppdatera index” för att läsa in den."
    assert messages == [
        ("success", f"rutin.md är sparad och ersatte den tidigare filen. {hint}"),
        ("success", f"ny fil_.txt är sparad (uppladdad som ny fil?.txt). {hint}"),
        ("error", "virus.exe sparades inte: filtypen .exe stöds inte (PDF, Word, webbsidor (HTML), Markdown och text stöds)."),
    ]


def test_uploads_within_the_session_limit_are_counted_in_order() -> None:
    from ui.uploads import within_limit

    assert within_limit([MB, MB, MB], 0, 0, 2, 10 * MB) == [True, True, False]  # the count
    assert within_limit([4 * MB, 4 * MB, MB], 0, 0, 10, 6 * MB) == [True, False, True]  # the total
    assert within_limit([MB], 2, 0, 2, 10 * MB) == [False]  # used up by earlier uploads
    assert within_limit([], 0, 0, 0, 0) == []


def test_the_store_of_uploaded_files_keeps_files_only_for_a_session_that_may_upload() -> None:
    """Streamlit's own store (MemoryUploadedFileManager), as its upload endpoint fills it:
    a file from a session that may not upload, or beyond what a session may hold at once,
    is refused with 413 and not kept."""
    from starlette.exceptions import HTTPException
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    import ui.uploads

    store = MemoryUploadedFileManager("/_stcore/upload_file")
    ui.uploads.guard(store)
    ui.uploads.guard(store)  # once is enough: not wrapped twice

    def put(session: str, file_id: str, size: int) -> None:
        store.add_file(session, UploadedFileRec(file_id, "f.md", "text/markdown", b"x" * size))

    def held(session: str) -> int:
        return sum(len(f.data) for f in store.file_storage.get(session, {}).values())

    with pytest.raises(HTTPException) as refused:
        put("staff", "a", MB)  # no uploader in this session: nothing kept
    assert refused.value.status_code == 413 and held("staff") == 0
    ui.uploads._UPLOADERS["coordinator"] = 3 * MB
    try:
        put("coordinator", "a", MB)
        put("coordinator", "b", 2 * MB)
        put("coordinator", "b", 2 * MB)  # the same file again replaces itself
        with pytest.raises(HTTPException):
            put("coordinator", "c", 1)  # more than the session may hold at once
        assert held("coordinator") == 3 * MB
        store.remove_file("coordinator", "a")  # handled and released: room again
        put("coordinator", "c", MB)
        assert held("coordinator") == 3 * MB and held("staff") == 0
    finally:
        ui.uploads._UPLOADERS.pop("coordinator", None)
