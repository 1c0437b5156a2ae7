"""Bad input at ingest, against the real Chroma: every bad file is reported by name
with a plain Swedish reason, the other documents are ingested and nothing indexed
before is lost."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import ingest.__main__ as ingest_cli
from core.embedders import HashingEmbedder
from core.errors import ManifestError
from core.settings import load_settings
from core.store import generations, open_client, read_live
from ingest.pipeline import run_ingest
from retrieval.search import Searcher
from tests import pdfs
from tests.index_checks import check_index, live_chunks

GOOD_PDF = ["Hemtjänsten i Skärholmen har öppet vardagar.", "Ansökan görs hos biståndshandläggaren."]


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "parkering.md").write_text("# Parkering\n\nBoendeparkering kostar 1 100 kronor i månaden.\n",
                                         encoding="utf-8")
    (corpus / "hemtjanst.pdf").write_bytes(pdfs.make_pdf(GOOD_PDF))
    (corpus / "simhall.md").write_text("# Simhallen\n\nEriksdalsbadet öppnar klockan sju.\n",
                                       encoding="utf-8")
    settings = dataclasses.replace(load_settings().with_corpus(corpus).with_data(tmp_path / "data"),
                                   max_file_mb=1)
    client = open_client(settings)
    embedder = HashingEmbedder()
    first = run_ingest(settings, embedder, client)
    assert not first.failed and len(first.outcomes) == 3
    return corpus, settings, client, embedder


def test_each_bad_file_is_reported_and_the_rest_is_ingested(setup) -> None:  # type: ignore[no-untyped-def]
    corpus, settings, client, embedder = setup
    before = {c.id: c for c in live_chunks(client)}
    bad = {
        "trasig.pdf": pdfs.corrupt(),
        "halv.pdf": pdfs.truncated(pdfs.make_pdf(["Sida ett om skolval.", "Sida två om skolskjuts."] * 3)),
        "hemlig.pdf": pdfs.with_password(pdfs.make_pdf(["Hemlig text."])),
        "skannad.pdf": pdfs.without_text_layer(),
        "tom.md": b"",
        "trasig-kodning.txt": "Avgift för färdtjänst ".encode() + b"\x81\x8d\x8f\x90",
        "brev.docx": b"PK\x03\x04 inte en textfil",
        "kalkyl.xlsx": b"PK\x03\x04 ett kalkylblad",
        "stor.txt": ("Stor fil om avfall. " * 60_000).encode(),  # > 1 MB
        "kopia-av-simhall.md": (corpus / "simhall.md").read_bytes(),
    }
    for name, data in bad.items():
        (corpus / name).write_bytes(data)
    windows = "Räksmörgås och äldreomsorg på Östermalm – “citat”."
    (corpus / "windows.txt").write_bytes(windows.encode("cp1252"))
    (corpus / "lekplats.md").write_text("# Lekplatser\n\nLekplatsen i Vasaparken rustas.\n", encoding="utf-8")
    # A good, indexed document replaced by a broken version keeps its previous version.
    (corpus / "hemtjanst.pdf").write_bytes(pdfs.truncated(pdfs.make_pdf(GOOD_PDF)))

    report = run_ingest(settings, embedder, client)
    reasons = {o.doc: o.reason for o in report.failed}
    assert set(reasons) == set(bad) | {"hemtjanst.pdf"}
    expected = {
        "trasig.pdf": "PDF-filen är skadad eller ofullständig och kan inte läsas",
        "halv.pdf": "PDF-filen är skadad eller ofullständig och kan inte läsas",
        "hemlig.pdf": "PDF-filen är lösenordsskyddad",
        "skannad.pdf": "PDF-filen saknar textlager",
        "tom.md": "filen är tom",
        "trasig-kodning.txt": "filens teckenkodning känns inte igen; spara den som UTF-8",
        "brev.docx": "Word-filen kunde inte läsas (den verkar vara skadad)",
        "kalkyl.xlsx": "filtypen .xlsx stöds inte",
        "stor.txt": "filen är för stor (1,2 MB, gränsen är 1 MB)",
        "kopia-av-simhall.md": "samma innehåll som simhall.md",
        "hemtjanst.pdf": "PDF-filen är skadad eller ofullständig och kan inte läsas. "
                         "Den tidigare versionen finns kvar i indexet.",
    }
    for name, text in expected.items():
        assert reasons[name] is not None and reasons[name].startswith(text), (name, reasons[name])
    status = {o.doc: o.status for o in report.outcomes if o.status != "failed"}
    assert status == {"windows.txt": "added", "lekplats.md": "added", "parkering.md": "unchanged",
                      "simhall.md": "unchanged"}
    assert report.switched

    state = check_index(client)
    assert set(state.documents) == {"hemtjanst.pdf", "parkering.md", "simhall.md", "windows.txt",
                                    "lekplats.md"}
    chunks = live_chunks(client)
    for ident, chunk in before.items():  # nothing indexed before is lost or altered
        assert any(c.id == ident and c.text == chunk.text for c in chunks), chunk.doc
    win = [c for c in chunks if c.doc == "windows.txt"]
    assert win and windows in win[0].text
    hit = Searcher(client, embedder).search("hemtjänsten skärholmen öppet", k=1)[0].chunk
    assert hit.doc == "hemtjanst.pdf" and hit.page == 1
    summary = report.summary_sv()
    for name in expected:
        assert f"FEL {name}: " in summary

    # Running again with the same bad files changes nothing and builds no new generation.
    live_before = read_live(client)
    again = run_ingest(settings, embedder, client)
    assert not again.switched and read_live(client) == live_before
    assert {o.doc for o in again.failed} == set(expected)


def test_indexed_document_over_the_limit_or_duplicated_keeps_its_version(setup) -> None:  # type: ignore[no-untyped-def]
    corpus, settings, client, embedder = setup
    before = read_live(client)
    assert before is not None
    # parkering.md grows over the limit; a copy of simhall.md appears under a name that sorts first.
    (corpus / "parkering.md").write_text("# Parkering\n\n" + "Avgift. " * 200_000, encoding="utf-8")
    (corpus / "0-simhall.md").write_bytes((corpus / "simhall.md").read_bytes())
    report = run_ingest(settings, embedder, client)
    reasons = {o.doc: o.reason or "" for o in report.failed}
    assert reasons["parkering.md"].startswith("filen är för stor")
    assert reasons["parkering.md"].endswith("Den tidigare versionen finns kvar i indexet.")
    assert reasons["0-simhall.md"] == "samma innehåll som simhall.md; bara den läses in"
    assert not report.with_status("removed") and not report.switched
    assert read_live(client) == before
    check_index(client)


def test_malformed_sources_toml_stops_before_any_change(setup, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    corpus, settings, client, embedder = setup
    before, gens, calls = read_live(client), generations(client), embedder.calls
    (corpus / "simhall.md").write_text("# Simhallen\n\nEriksdalsbadet öppnar klockan sex.\n",
                                       encoding="utf-8")
    (corpus / "parkering.md").unlink()
    (corpus / "sources.toml").write_text(
        '["simhall.md"]\ntitle = "Simhallen"\n\n["parkering.md"]\ntitle = Parkering\n', encoding="utf-8")
    with pytest.raises(ManifestError) as err:
        run_ingest(settings, embedder, client)
    assert err.value.line == 5
    assert "rad 5" in err.value.swedish_message() and "Inget har ändrats" in err.value.swedish_message()
    assert read_live(client) == before and generations(client) == gens and embedder.calls == calls

    monkeypatch.setattr(ingest_cli, "make_embedder", lambda _s: embedder)
    code = ingest_cli.main([str(corpus), "--data", str(settings.data_dir)])
    err_text = capsys.readouterr().err
    assert code == 2 and "sources.toml, rad 5" in err_text and "Inget har ändrats" in err_text
    assert read_live(client) == before


def test_cli_exit_code_1_when_some_documents_fail(setup, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    corpus, settings, client, embedder = setup
    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "lekplats.md").write_text("# Lekplatser\n\nLekplatsen i Vasaparken rustas.\n", encoding="utf-8")
    monkeypatch.setattr(ingest_cli, "make_embedder", lambda _s: embedder)
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "1")
    assert ingest_cli.main([str(corpus), "--data", str(settings.data_dir)]) == 1
    out = capsys.readouterr().out
    assert "1 tillagt" in out and "FEL tom.txt: filen är tom" in out
    assert "lekplats.md" in check_index(client).documents
