"""Issue #16, the ingest findings of the adversarial run: a file name that is not
UTF-8, a 5 MB one-line document, a symlink out of the corpus, a newline in a file
name, a sources.toml entry without a file, UTF-16 without BOM, a run killed after
its switch, and personnummer inside documents. Real Chroma; the fast hashing
embedder, except for the CLI, which runs the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.embedders import HashingEmbedder
from core.settings import Settings, load_settings
from core.store import iter_records, open_client, open_generation, read_live
from ingest.pipeline import NOT_UTF8_NAME, OUTSIDE_CORPUS, run_ingest
from ingest.report import history_sv, read_history, shown_name
from ingest.responsibility import MAX_SENTENCE_CHARS
from tests.conftest import REPO

BAD_NAME = b"protokoll-\xff\xfe-2024.md"  # Latin-1 bytes: not UTF-8
BAD_SHOWN = "protokoll-\\xff\\xfe-2024.md"
PARKING = "# Parkering\n\nBoendeparkering kostar 1 100 kronor i månaden i innerstaden.\n"
PNR_DOC = ("# Beslut\n\nBeslutet gäller Anna Andersson, personnummer 19121212-1212, och hennes son "
           "(460921-1919). Kontakta handläggaren på 08-508 000 00.\n\nOrganisationsnummer 556036-0793.\n")


def _settings(tmp_path: Path, corpus: Path) -> Settings:
    return load_settings().with_corpus(corpus).with_data(tmp_path / "data")


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "parkering.md").write_text(PARKING, encoding="utf-8")
    return corpus


def _write_bytes_name(folder: Path, name: bytes, data: bytes) -> None:
    with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
        fh.write(data)


def test_a_name_that_is_not_utf8_is_reported_by_name_and_the_rest_ingested(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    _write_bytes_name(corpus, BAD_NAME, b"# Protokoll\n\nText.\n")
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    assert [(o.doc, o.status) for o in report.outcomes] == [(BAD_SHOWN, "failed"), ("parkering.md", "added")]
    assert report.failed[0].reason == NOT_UTF8_NAME
    assert f"FEL {BAD_SHOWN}: {NOT_UTF8_NAME}" in report.summary_sv()
    assert f"FEL {BAD_SHOWN}" in history_sv(read_history(settings.data_dir))
    live = read_live(open_client(settings))
    assert live is not None and set(live.documents) == {"parkering.md"}


def test_the_cli_reports_a_name_that_is_not_utf8_and_ingests_the_rest(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    _write_bytes_name(corpus, BAD_NAME, b"# Protokoll\n\nText.\n")
    env = {**os.environ, "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_DATA": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1  # "some documents failed, the rest were ingested" (ingest/__main__.py)
    assert "1 tillagt" in done.stdout and f"FEL {BAD_SHOWN}: {NOT_UTF8_NAME}" in done.stdout


@pytest.mark.timeout(300)
def test_a_5_mb_one_line_document_is_ingested(tmp_path: Path) -> None:
    """Real sentences (the repository's corpus, its line breaks removed) and one
    overlong "sentence" without a full stop, on a single 5 MB line."""
    text = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in sorted((REPO / "corpus").glob("*.md")))
    run_on = " ".join(["kommunstyrelsen ansvarar för samordning och socialnämnden ska redovisa"] * 400)
    line = (text + " " + run_on + ". ")
    line = (line * (5_000_000 // len(line) + 1))[:5_000_000]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "en-rad.md").write_text(line + "\n", encoding="utf-8")
    settings = _settings(tmp_path, corpus)
    started = time.monotonic()
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    seconds = time.monotonic() - started
    print(f"5 MB one-line document: {seconds:.1f} s, {report.chunks_total} chunks")
    (outcome,) = report.outcomes
    assert outcome.status == "added" and report.chunks_total > 1000
    assert any(f"längre än {MAX_SENTENCE_CHARS:,}".replace(",", "\u00a0") in n for n in outcome.notes), outcome.notes
    live = read_live(open_client(settings))
    assert live is not None and live.documents["en-rad.md"].statements  # the real sentences were analysed


def test_a_symlink_out_of_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    outside = tmp_path / "hemligt.md"
    outside.write_text("# Hemligt\n\nLösenordet till servern är hunter2.\n", encoding="utf-8")
    (corpus / "lank.md").symlink_to(outside)
    (corpus / "inne.md").symlink_to(corpus / "parkering.md")  # a link inside the corpus is a duplicate
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    assert {o.doc: o.reason for o in report.failed}["lank.md"] == OUTSIDE_CORPUS
    live = read_live(open_client(settings))
    assert live is not None and "lank.md" not in live.documents
    texts = [c.text for c, _, _ in iter_records(open_generation(open_client(settings), live.generation), with_vectors=False)]
    assert not any("hunter2" in t for t in texts)


def test_a_newline_in_a_file_name_stays_on_one_report_line(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "rad\nett.md").write_text("# Rad\n\nText om rader.\n", encoding="utf-8")
    (corpus / "rad\ntva.exe").write_bytes(b"MZ")
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    lines = report.summary_sv().splitlines() + history_sv(read_history(settings.data_dir)).splitlines()
    assert "  tillagt: rad\\nett.md" in lines
    assert any(line.startswith("  FEL rad\\ntva.exe: ") for line in lines)
    assert not any(line.startswith(("ett.md", "tva.exe")) for line in lines)
    assert shown_name("a\x1b[31mb") == "a\\x1b[31mb"


def test_a_sources_toml_entry_for_a_missing_file_is_a_warning(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "sources.toml").write_text('["parkering.md"]\ntitle = "Parkering"\n\n'
                                         '["borttagen.pdf"]\ntitle = "Finns inte"\n', encoding="utf-8")
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    warning = "sources.toml har uppgifter om borttagen.pdf, men filen finns inte i dokumentmappen"
    assert report.warnings == [warning]
    assert f"  VARNING: {warning}" in report.summary_sv().splitlines()
    assert f"  VARNING: {warning}" in history_sv(read_history(settings.data_dir)).splitlines()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(tmp_path: Path, encoding: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "utf16.txt").write_bytes("Riktlinjer för äldreomsorg\n\nÅtgärderna följs upp årligen.\n"
                                       .encode(encoding))
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    assert [o.status for o in report.outcomes] == ["added"], report.summary_sv()
    live = read_live(open_client(settings))
    assert live is not None
    texts = [c.text for c, _, _ in iter_records(open_generation(open_client(settings), live.generation), with_vectors=False)]
    assert any("Åtgärderna följs upp årligen." in t for t in texts)


KILL_AT_SWITCH = """
import os, sys
from ingest.__main__ import main
def on_phase(phase):
    if phase == "switched":
        os._exit(9)  # as kill -9 right after the switch
sys.exit(main(on_phase=on_phase))
"""


def test_a_run_killed_after_its_switch_is_in_the_history(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    env = {**os.environ, "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_DATA": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", KILL_AT_SWITCH], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 9, done.stderr
    (row,) = read_history(tmp_path / "data")  # before any other run
    assert row["switched"] and row["generation"] and row["counts"]["added"] == 1 and row["seconds"] > 0
    assert "det nya indexet hann tas i bruk" in history_sv([row])
    settings = _settings(tmp_path, corpus)
    live = read_live(open_client(settings))
    assert live is not None and live.generation == row["generation"]
    run_ingest(settings, HashingEmbedder(), open_client(settings))  # the next run records it
    lines = (tmp_path / "data" / "ingest-history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["run_id"] for line in lines][0] == row["run_id"] and len(lines) == 2
    assert len(read_history(tmp_path / "data")) == 2


def test_a_finished_run_has_one_history_line(tmp_path: Path) -> None:
    settings = _settings(tmp_path, _corpus(tmp_path))
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    lines = (settings.data_dir / "ingest-history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["run_id"] == report.run_id
    assert not json.loads(lines[0])["error"] and not (settings.data_dir / "ingest-switched.json").exists()


@pytest.mark.parametrize("mask", [False, True])
def test_documents_with_personnummer_are_flagged_and_optionally_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mask: bool
) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "beslut.md").write_text(PNR_DOC, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_MASK_INDEX", "1" if mask else "0")
    settings = _settings(tmp_path, corpus)
    report = run_ingest(settings, HashingEmbedder(), open_client(settings))
    assert report.personal_numbers == {"beslut.md": 2}  # not the organisationsnummer
    summary = report.summary_sv()
    assert "PERSONNUMMER i beslut.md: 2 st" in summary and "1212" not in summary and "1919" not in summary
    history = (settings.data_dir / "ingest-history.jsonl").read_text(encoding="utf-8")
    assert "19121212" not in history and "460921" not in history
    live = read_live(open_client(settings))
    assert live is not None
    text = "\n".join(c.text for c, _, _ in iter_records(open_generation(open_client(settings), live.generation), with_vectors=False))
    assert ("19121212-1212" in text) is not mask and ("460921-1919" in text) is not mask
    assert ("[personnummer]" in text) is mask
    assert "556036-0793" in text and "08-508 000 00" in text  # the index masks identity numbers only
    again = run_ingest(settings, HashingEmbedder(), open_client(settings))  # unchanged: still flagged
    assert again.personal_numbers == {"beslut.md": 2} and not again.switched
