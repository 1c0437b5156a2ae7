"""The page "Dokument" through Streamlit's AppTest, on the real app, model and store.

The page is file-based (st.Page("ui/documents.py")), so AppTest.switch_page opens it.
The corpus is ingested once per module (in a subprocess) and copied for each test.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core import audit
from ingest.manifest import load_manifest
from tests.conftest import REPO, ingested_corpus_copy, site_copy
from ui.auth import EMAILS_ENV, PASSWORD_ENV, THROTTLE
from ui.render import literal

pytestmark = pytest.mark.slow

PASSWORD = "tolk-och-samråd-2024"
CORPUS_TITLE = "Socialförvaltningens tjänsteutlåtande"
NEW_DOC = (
    "# Rutin för tolkbokning\n\n"
    "Handläggaren bokar tolk senast tre arbetsdagar före mötet. "
    "Tolken ska vara auktoriserad och får inte vara släkt med den enskilde.\n"
).encode()
BROKEN_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nthis is not a pdf at all\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's corpus, ingested once with the real model."""
    return ingested_corpus_copy(tmp_path_factory, "documents-template")


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of corpus and data for each test; returns the corpus folder."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv(EMAILS_ENV, raising=False)
    with site_copy(template, tmp_path, monkeypatch) as (corpus, _data):
        yield corpus


def documents_page(at: AppTest) -> AppTest:
    at.run()  # the registry of pages exists after the first run
    at.switch_page("ui/documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Dokument"
    return at


def rows(at: AppTest, index: int = -1) -> list[dict[str, object]]:
    """The document list (the last dataframe on the page that is not the audit log)."""
    frames = [d for d in at.dataframe if "Innehåll (sha256)" not in d.value.columns]
    return frames[index].value.to_dict("records")  # type: ignore[no-any-return]


def audit_records(corpus: Path) -> list[dict[str, Any]]:
    return audit.parse(audit.read_lines(corpus.parent / "data"))


def row(at: AppTest, name: str) -> dict[str, object]:
    return next(r for r in rows(at) if r["Fil"] == name)


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def can_act(at: AppTest) -> bool:
    acts = {"Uppdatera index", "Ta bort", "Ja, ta bort"}
    return bool(at.file_uploader) or bool(acts & set(labels(at)))


def test_staff_see_the_list_but_cannot_act(site: Path) -> None:
    (site / "ny-rutin.md").write_bytes(NEW_DOC)
    at = documents_page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    assert not can_act(at)
    doc = rows(at)[0]
    assert str(doc["Titel"]).startswith(CORPUS_TITLE)
    assert doc["Typ"] == "remissvar" and doc["Format"] == "Markdown" and doc["Status"] == "inläst"
    assert doc["Avsnitt"] and doc["Sidor"] == 1 and doc["Inläst"]
    new = row(at, "ny-rutin.md")
    assert new["Status"] == "ej inläst" and new["Titel"] == "ny-rutin.md"
    # Nobody is configured as coordinator: staff are not shown how to configure it (the
    # server log says it).
    shown = [str(e.value) for kind in ("info", "caption", "markdown", "warning") for e in getattr(at, kind)]
    assert not [t for t in shown if "ASSISTANT_" in t or "secrets" in t]
    assert not at.sidebar.text_input


def test_coordinator_uploads_updates_and_removes(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    at = documents_page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    assert not can_act(at)  # not logged in yet

    def log_in(password: str) -> None:
        at.sidebar.text_input(key="coordinator_password_input").input(password)
        next(b for b in at.sidebar.button if b.label == "Logga in som samordnare").click().run()
        assert not at.exception

    log_in("fel lösenord")
    assert [e.value for e in at.sidebar.error] == ["Fel lösenord. Vänta 1 sekund innan du försöker igen."]
    assert not can_act(at)
    monkeypatch.setattr(THROTTLE, "clock", lambda: time.monotonic() + 1.5)  # the second wait is over
    log_in(PASSWORD)
    assert can_act(at) and "Uppdatera index" in labels(at)
    assert not at.sidebar.text_input  # the form is gone
    assert all(PASSWORD not in str(v) for v in at.session_state.values())  # the password is not kept

    # Upload through the widget: a Markdown file (a name to sanitise), a broken PDF (it
    # sniffs as PDF, so it is saved and fails at ingest) and text named .pdf (refused).
    at.file_uploader[0].set_value([
        ("Ny rutin: tolk.md", NEW_DOC, "text/markdown"),
        ("trasig.pdf", BROKEN_PDF, "application/pdf"),
        ("falsk.pdf", "Det här är ingen PDF.\n".encode(), "application/pdf"),
    ]).run()
    assert not at.exception
    refused = "falsk.pdf sparades inte: filen heter .pdf men innehållet är ingen PDF."
    assert [e.value for e in at.main.error] == [refused]
    assert not (site / "falsk.pdf").exists()
    hint = "Tryck på ”Uppdatera index” för att läsa in den."
    assert [s.value for s in at.main.success] == [  # file names shown literally, not as Markdown
        literal(f"Ny rutin_ tolk.md är sparad (uppladdad som Ny rutin: tolk.md). {hint}"),
        literal(f"trasig.pdf är sparad. {hint}"),
    ]
    assert (site / "Ny rutin_ tolk.md").read_bytes() == NEW_DOC
    assert row(at, "Ny rutin_ tolk.md")["Status"] == "ej inläst"
    assert not at.file_uploader[0].value  # a fresh, empty uploader

    at.button(key="documents_update").click().run()
    assert not at.exception
    summary = at.text[0].value
    assert "1 tillagt" in summary and "1 fel" in summary and "tillagt: Ny rutin_ tolk.md" in summary
    assert "Indexet är uppdaterat, men 1 dokument kunde inte läsas in." in [w.value for w in at.warning]
    outcomes = rows(at, 0)
    results = {(o["Fil"], o["Resultat"]) for o in outcomes}
    assert results >= {("Ny rutin_ tolk.md", "tillagt"), ("trasig.pdf", "fel")}
    added = row(at, "Ny rutin_ tolk.md")
    assert added["Titel"] == "Rutin för tolkbokning" and added["Status"] == "inläst" and added["Avsnitt"] == 1
    broken = row(at, "trasig.pdf")
    assert broken["Status"] == "ej inläst" and "PDF-filen är skadad" in str(broken["Orsak"])

    # Remove, with a confirmation; the index changes on the next update.
    at.button(key="documents_remove:Ny rutin_ tolk.md").click().run()
    assert any(literal("Vill du ta bort Ny rutin_ tolk.md") in w.value for w in at.warning)
    assert (site / "Ny rutin_ tolk.md").exists()
    at.button(key="documents_remove_confirm").click().run()
    assert not at.exception
    assert not (site / "Ny rutin_ tolk.md").exists()
    assert row(at, "Ny rutin_ tolk.md")["Status"] == "borttaget ur mappen"
    at.button(key="documents_update").click().run()
    assert "1 borttaget" in at.text[0].value
    assert "Ny rutin_ tolk.md" not in [r["Fil"] for r in rows(at)]

    # Every step is in the audit log, with the content hash, and the chain is whole.
    digest = hashlib.sha256(NEW_DOC).hexdigest()
    steps = [(r["what"], r.get("file"), r.get("sha256")) for r in audit_records(site)
             if r["who"] == "lösenord"]
    assert steps == [
        ("login_failed", None, None), ("login", None, None),
        ("upload", "Ny rutin_ tolk.md", digest),
        ("upload", "trasig.pdf", hashlib.sha256(BROKEN_PDF).hexdigest()),
        ("upload_refused", "falsk.pdf", hashlib.sha256("Det här är ingen PDF.\n".encode()).hexdigest()),
        ("reingest", None, None), ("remove", "Ny rutin_ tolk.md", digest), ("reingest", None, None),
    ]
    [first, second] = [r["detail"] for r in audit_records(site) if r["what"] == "reingest" and r["who"] != "kommandorad"]
    assert first["tillagt"] == 1 and first["fel, filer"] == ["trasig.pdf"] and second["borttaget"] == 1
    assert audit.verify(site.parent / "data").ok
    assert any("Kedjan är obruten" in c.value for c in at.caption)
    audit_frame = next(d for d in at.dataframe if "Innehåll (sha256)" in d.value.columns).value
    assert audit_frame.iloc[0]["Vad"] == "indexet uppdaterat" and audit_frame.iloc[1]["Fil"] == "Ny rutin_ tolk.md"

    next(b for b in at.sidebar.button if b.label == "Logga ut").click().run()
    assert not can_act(at)
    assert not any(e.label == "Ändringslogg" for e in at.expander)  # for coordinators only


def test_the_uploader_speaks_swedish_keeps_to_the_limit_and_keeps_nothing(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.uploads

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "1")
    held: list[tuple[int, int]] = []  # (files released, bytes the session still holds) per upload

    def spy(files):  # type: ignore[no-untyped-def]
        freed = real(files)
        ctx = get_script_run_ctx()
        assert ctx is not None
        storage = ctx.uploaded_file_mgr.file_storage.get(ctx.session_id, {})  # type: ignore[attr-defined]
        held.append((freed, sum(len(f.data) for f in storage.values())))
        return freed

    real = ui.uploads.release
    monkeypatch.setattr(ui.uploads, "release", spy)
    at = documents_page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    at.sidebar.text_input(key="coordinator_password_input").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Logga in som samordnare").click().run()
    uploader = at.file_uploader[0]
    assert uploader.label.startswith("Ladda upp dokument (PDF")
    assert uploader.proto.max_upload_size_mb == 1  # Streamlit's own text shows our limit
    assert not uploader.proto.type  # no type filter of Streamlit's: every refusal is ours, in Swedish
    assert any("Högst 1 MB per fil" in c.value for c in at.caption)

    big = b"# Stor\n\n" + b"Lite text om tolkar. " * 60_000  # 1.2 MB
    uploader.set_value([("program.exe", b"MZ\x90\x00 binary", "application/octet-stream"),
                        ("stor.md", big, "text/markdown"), ("liten.md", NEW_DOC, "text/markdown")]).run()
    assert not at.exception
    errors = [e.value for e in at.main.error]
    assert len(errors) == 2 and errors[0].startswith("program.exe sparades inte: filtypen")
    assert "stöds inte" in errors[0]
    assert errors[1].startswith("stor.md sparades inte: filen är för stor")
    assert not (site / "program.exe").exists() and not (site / "stor.md").exists()
    assert (site / "liten.md").read_bytes() == NEW_DOC
    assert held == [(3, 0)]  # all three freed, refused or saved; nothing left in the session
    assert not at.file_uploader[0].value  # and the widget is a fresh, empty one


def test_uploads_per_session_are_limited_in_number_and_the_limit_said_in_swedish(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.uploads
    from ui.uploads import limit_reached, over_limit

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv("ASSISTANT_MAX_UPLOADS_PER_SESSION", "3")
    held: list[int] = []  # the bytes the session still holds after each upload was handled

    def spy(files):  # type: ignore[no-untyped-def]
        freed = real(files)
        ctx = get_script_run_ctx()
        assert ctx is not None
        storage = ctx.uploaded_file_mgr.file_storage.get(ctx.session_id, {})  # type: ignore[attr-defined]
        held.append(sum(len(f.data) for f in storage.values()))
        return freed

    real = ui.uploads.release
    monkeypatch.setattr(ui.uploads, "release", spy)
    at = documents_page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    assert "test session id" not in ui.uploads._UPLOADERS  # staff: the server keeps no upload of theirs
    at.sidebar.text_input(key="coordinator_password_input").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Logga in som samordnare").click().run()
    assert "test session id" in ui.uploads._UPLOADERS
    assert any("Högst 3 filer och 200 MB sammanlagt per session" in c.value for c in at.caption)
    docs = [(f"rutin-{i}.md", NEW_DOC.replace(b"tre", str(i).encode()), "text/markdown") for i in range(2)]
    at.file_uploader[0].set_value(docs).run()
    assert not at.exception and not at.main.error
    assert (site / "rutin-0.md").exists() and (site / "rutin-1.md").exists()
    assert not at.file_uploader[0].value  # released: a fresh, empty uploader
    more = [("rutin-2.md", NEW_DOC, "text/markdown"), ("rutin-3.md", NEW_DOC, "text/markdown")]
    at.file_uploader[0].set_value(more).run()
    assert not at.exception
    assert (site / "rutin-2.md").exists() and not (site / "rutin-3.md").exists()
    assert [e.value for e in at.main.error] == [literal(over_limit("rutin-3.md", 3, 200))]
    assert held == [0, 0]  # saved or refused, nothing left in the session
    # The limit is reached: no uploader, but a Swedish sentence saying so and what to do.
    assert not at.file_uploader
    assert limit_reached(3, 200) in [i.value for i in at.main.info]
    assert [r["what"] for r in audit_records(site) if r["what"].startswith("upload")] == ["upload"] * 3
    next(b for b in at.sidebar.button if b.label == "Logga ut").click().run()
    assert "test session id" not in ui.uploads._UPLOADERS


def test_oidc_user_on_the_coordinator_list(site: Path) -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "hemlig",
        "client_id": "assistent", "client_secret": "hemlig",
        "server_metadata_url": "https://login.example.se/.well-known/openid-configuration",
    }
    at.secrets["coordinator_emails"] = "samordnare@stockholm.se, annan.samordnare@stockholm.se"
    at.user = {"is_logged_in": True, "email": "Samordnare@Stockholm.se"}
    documents_page(at)
    assert can_act(at)
    assert "Inloggad som samordnare (samordnare@stockholm.se)." in [s.value for s in at.sidebar.success]
    assert "Logga ut från organisationskontot" in [b.label for b in at.sidebar.button]

    at.user = {"is_logged_in": True, "email": "handlaggare@stockholm.se"}
    at.run()
    assert not can_act(at)
    assert any("inte samordnare" in c.value for c in at.sidebar.caption)

    at.user = {"is_logged_in": False}
    at.run()
    assert not can_act(at)
    assert "Logga in" in [b.label for b in at.sidebar.button]
    assert not at.sidebar.text_input  # no password configured, so no password form


def test_coordinator_gives_metadata_removes_to_the_trash_and_undoes(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    at = documents_page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    at.sidebar.text_input(key="coordinator_password_input").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Logga in som samordnare").click().run()
    comment = "# Provenance of each document in this folder"
    assert comment in (site / "sources.toml").read_text(encoding="utf-8")

    # Upload: the metadata form opens on the uploaded document.
    at.file_uploader[0].set_value([("tolk.md", NEW_DOC, "text/markdown")]).run()
    assert not at.exception and (site / "tolk.md").exists()
    assert at.selectbox(key="documents_meta_doc").value == "tolk.md"
    at.text_input(key="documents_meta_title:tolk.md").input("Rutin för tolkbokning")
    at.selectbox(key="documents_meta_kind:tolk.md").select("riktlinjer")
    at.text_input(key="documents_meta_issuer:tolk.md").input("Socialnämnden")
    at.text_input(key="documents_meta_valid_from:tolk.md").input("2024")
    at.text_input(key="documents_meta_valid_to:tolk.md").input("den sista december")  # not a date
    next(b for b in at.button if b.label == "Spara uppgifterna").click().run()
    assert not at.exception
    [error] = [e.value for e in at.main.error]
    assert literal("valid_to ska vara ett datum (ÅÅÅÅ-MM-DD) eller ett årtal (ÅÅÅÅ)") in error
    assert error.startswith("Uppgifterna om tolk.md sparades inte.") and error.endswith("Inget har ändrats.")
    assert "tolk.md" not in (site / "sources.toml").read_text(encoding="utf-8")  # nothing written

    at.text_input(key="documents_meta_valid_to:tolk.md").input("2026-12-31")
    next(b for b in at.button if b.label == "Spara uppgifterna").click().run()
    assert any("Uppgifterna om tolk.md är sparade" in s.value for s in at.main.success)
    manifest = load_manifest(site)
    meta = manifest["tolk.md"]
    assert (meta.title, meta.kind, meta.issuer, meta.valid_from, meta.valid_to) == (
        "Rutin för tolkbokning", "riktlinjer", "Socialnämnden", "2024", "2026-12-31")
    assert comment in (site / "sources.toml").read_text(encoding="utf-8")  # the coordinators' comments stay
    assert row(at, "tolk.md")["Titel"] == "Rutin för tolkbokning" and row(at, "tolk.md")["Typ"] == "riktlinjer"

    # Remove: the file and its entry go to the trash; Ångra puts both back.
    at.button(key="documents_remove:tolk.md").click().run()
    at.button(key="documents_remove_confirm").click().run()
    assert not at.exception and not (site / "tolk.md").exists()
    assert "tolk.md" not in load_manifest(site)
    assert any("tolk.md ligger nu i papperskorgen" in s.value for s in at.main.success)
    assert any(e.label == "Papperskorgen (1)" for e in at.expander)
    [undo] = [b for b in at.button if b.label == "Ångra"]
    undo.click().run()
    assert not at.exception
    assert (site / "tolk.md").read_bytes() == NEW_DOC
    assert load_manifest(site)["tolk.md"].issuer == "Socialnämnden"
    assert any("tolk.md är tillbaka i dokumentmappen" in s.value for s in at.main.success)
    assert any(e.label == "Papperskorgen (0)" for e in at.expander)

    # Emptying the trash asks first.
    at.button(key="documents_remove:tolk.md").click().run()
    at.button(key="documents_remove_confirm").click().run()
    at.button(key="documents_empty_trash").click().run()
    assert any("Vill du tömma papperskorgen?" in w.value for w in at.warning)
    at.button(key="documents_empty_confirm").click().run()
    assert not at.exception and not [b for b in at.button if b.label == "Ångra"]
    assert not (site / "tolk.md").exists()

    digest = hashlib.sha256(NEW_DOC).hexdigest()
    steps = [(r["what"], r.get("file"), r.get("sha256")) for r in audit_records(site) if r["who"] == "lösenord"]
    assert steps == [
        ("login", None, None), ("upload", "tolk.md", digest), ("metadata", "tolk.md", digest),
        ("remove", "tolk.md", digest), ("restore", "tolk.md", digest), ("remove", "tolk.md", digest),
        ("empty_trash", None, None),
    ]
    meta = next(r for r in audit_records(site) if r["what"] == "metadata")["detail"]
    assert meta == {"title": "Rutin för tolkbokning", "kind": "riktlinjer", "issuer": "Socialnämnden",
                    "valid_from": "2024", "valid_to": "2026-12-31"}
    assert next(r for r in audit_records(site) if r["what"] == "empty_trash")["detail"]["antal"] == 1
    assert audit.verify(site.parent / "data").ok
