"""The page "Dokument" with a file whose name is not UTF-8 in the corpus (issue #16,
finding 1): it renders for staff and coordinators, shows the name escaped, no
traceback and no server path to staff, and "Uppdatera index" reports the file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.pipeline import NOT_UTF8_NAME
from tests.conftest import REPO, ingested_corpus_copy, site_copy
from ui.auth import EMAILS_ENV, PASSWORD_ENV

pytestmark = pytest.mark.slow

PASSWORD = "tolk-och-samråd-2024"
BAD_NAME = b"protokoll-\xff\xfe-2024.md"
BAD_SHOWN = "protokoll-\\xff\\xfe-2024.md"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_corpus_copy(tmp_path_factory, "bad-names-template")


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.delenv(EMAILS_ENV, raising=False)
    with site_copy(template, tmp_path, monkeypatch) as (corpus, _data):
        with open(os.path.join(os.fsencode(corpus), BAD_NAME), "wb") as fh:
            fh.write(b"# Protokoll\n\nText.\n")
        (corpus / "rad\nbrytning.md").write_text("# Rad\n\nText.\n", encoding="utf-8")
        yield corpus


def _shown(at: AppTest) -> str:
    """Everything the page shows as text, the tables included."""
    parts = [str(e.value) for kind in ("markdown", "caption", "text", "error", "warning", "info", "success",
                                       "title", "subheader") for e in getattr(at, kind)]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(parts)


def _page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("ui/documents.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_staff_see_the_page_with_the_name_escaped_and_no_server_path(site: Path) -> None:
    at = _page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    files = [str(r["Fil"]) for r in at.dataframe[-1].value.to_dict("records")]
    assert BAD_SHOWN in files and "rad\nbrytning.md" in files
    shown = _shown(at)
    assert "Traceback" not in shown and os.fspath(site.parent) not in shown and "/tmp" not in shown


def _coordinator_updates(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Dokument page after a coordinator's login and "Uppdatera index"."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    at = _page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    at.sidebar.text_input(key="coordinator_password_input").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Logga in som samordnare").click().run()
    at.button(key="documents_update").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_coordinators_update_reports_the_name_and_ingests_the_rest(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _coordinator_updates(monkeypatch)
    summary = at.text[0].value
    assert f"FEL {BAD_SHOWN}: {NOT_UTF8_NAME}" in summary
    assert "tillagt: rad\\nbrytning.md" in summary.splitlines()[-3:] or "tillagt: rad\\nbrytning.md" in summary
    report = next(d for d in reversed(at.dataframe) if "Orsak" in d.value.columns)  # not the audit log's table
    rows = {str(r["Fil"]): r for r in report.value.to_dict("records")}
    assert rows[BAD_SHOWN]["Orsak"] == NOT_UTF8_NAME
    assert rows["rad\nbrytning.md"]["Status"] == "inläst"
    assert "Traceback" not in _shown(at)


def test_documents_holding_personnummer_are_flagged_to_the_coordinator_only(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "beslut.md").write_text("# Beslut\n\nBeslutet gäller 19121212-1212 och 19121212-1212.\n",
                                    encoding="utf-8")
    at = _coordinator_updates(monkeypatch)
    listing = next(d for d in at.dataframe if "Personnummer" in d.value.columns and "Status" in d.value.columns)
    rows = {str(r["Fil"]): r for r in listing.value.to_dict("records")}
    assert rows["beslut.md"]["Personnummer"] == 2
    assert "19121212" not in _shown(at)
    staff = _page(AppTest.from_file(str(REPO / "app.py"), default_timeout=300))
    for frame in staff.dataframe:
        assert "19121212" not in frame.value.to_string()
