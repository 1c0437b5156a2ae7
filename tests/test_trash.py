"""The trash (ingest/trash.py), writing sources.toml (ingest/manifest_write.py) and the
vectors kept for a document put back (ingest/kept_vectors.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from core.errors import DocumentError, ManifestError
from ingest.kept_vectors import forget_vectors, keep_vectors, kept_vectors
from ingest.manifest import load_manifest
from ingest.manifest_write import entry_toml, remove_entry, update_entry
from ingest.trash import DAY, empty_trash, list_trash, purge_expired, restore_document, trash_document

MD = "# Rutin för tolk\n\nBoka tolk i god tid före mötet.\n".encode()
SOURCES = """\
# Provenance of the documents; kept by the coordinators.

["rutin.md"]
title = "Rutin för tolkbokning"  # as on the intranet
kind = "riktlinjer"
source = "Socialförvaltningen"

# The strategy; valid until the new one is adopted.
["strategi.md"]
title = "Strategi för romsk inkludering"
valid_to = 2022-12-31
"""


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (corpus / "rutin.md").write_bytes(MD)
    (corpus / "strategi.md").write_text("# Strategi\n\nText.\n", encoding="utf-8")
    return corpus, data


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


# --- sources.toml -------------------------------------------------------------------


def test_update_keeps_comments_and_other_keys(site: tuple[Path, Path]) -> None:
    corpus, _ = site
    update_entry(corpus, "rutin.md", {"title": "Rutin för bokning av tolk", "issuer": "Socialnämnden",
                                      "valid_from": "2024-01-01", "kind": ""})
    text = (corpus / "sources.toml").read_text(encoding="utf-8")
    assert text.startswith("# Provenance of the documents; kept by the coordinators.\n")
    assert 'title = "Rutin för bokning av tolk"  # as on the intranet' in text
    assert "# The strategy; valid until the new one is adopted.\n[\"strategi.md\"]" in text
    assert "valid_from = 2024-01-01" in text and "kind" not in text.split('["strategi.md"]')[0]
    meta = load_manifest(corpus)["rutin.md"]
    assert (meta.title, meta.issuer, meta.valid_from, meta.kind, meta.source) == (
        "Rutin för bokning av tolk", "Socialnämnden", "2024-01-01", None, "Socialförvaltningen")
    assert load_manifest(corpus)["strategi.md"].valid_to == "2022-12-31"


def test_update_creates_an_entry_with_a_year(site: tuple[Path, Path]) -> None:
    corpus, _ = site
    update_entry(corpus, "ny plan.md", {"title": "Handlingsplan", "kind": "handlingsplan", "valid_to": "2026",
                                        "replaced_by": "strategi.md"})
    meta = load_manifest(corpus)["ny plan.md"]
    assert (meta.title, meta.kind, meta.valid_to, meta.replaced_by) == (
        "Handlingsplan", "handlingsplan", "2026", "strategi.md")


def test_a_bad_value_writes_nothing_and_says_why(site: tuple[Path, Path]) -> None:
    corpus, _ = site
    before = (corpus / "sources.toml").read_bytes()
    with pytest.raises(ManifestError) as caught:
        update_entry(corpus, "strategi.md", {"valid_from": "1 januari 2020"})
    assert caught.value.line == 9 and caught.value.path == str(corpus / "sources.toml")
    assert caught.value.swedish_message() == (
        f"Filen {corpus / 'sources.toml'}, rad 9 är felaktig "
        '(["strategi.md"]: valid_from ska vara ett datum (ÅÅÅÅ-MM-DD) eller ett årtal (ÅÅÅÅ)). Inget har ändrats.')
    assert (corpus / "sources.toml").read_bytes() == before
    assert visible(corpus) == ["rutin.md", "sources.toml", "strategi.md"]  # no temp files left
    assert [p.name for p in corpus.iterdir() if p.name.startswith(".sources-")] == []


def test_a_malformed_manifest_is_not_touched(site: tuple[Path, Path]) -> None:
    corpus, _ = site
    (corpus / "sources.toml").write_text('["rutin.md"]\ntitle = Rutin\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="rad 2"):
        update_entry(corpus, "rutin.md", {"title": "Ny"})
    assert (corpus / "sources.toml").read_text(encoding="utf-8") == '["rutin.md"]\ntitle = Rutin\n'


def test_remove_entry_keeps_the_next_entrys_comment(site: tuple[Path, Path]) -> None:
    corpus, _ = site
    entry = entry_toml(corpus, "rutin.md")
    assert entry is not None and "# as on the intranet" in entry and "strategy" not in entry
    remove_entry(corpus, "rutin.md")
    text = (corpus / "sources.toml").read_text(encoding="utf-8")
    assert "rutin.md" not in text and "# The strategy; valid until the new one is adopted." in text
    assert set(load_manifest(corpus)) == {"strategi.md"}


# --- the trash ----------------------------------------------------------------------


def test_trash_and_restore(site: tuple[Path, Path]) -> None:
    corpus, data = site
    entry = trash_document(corpus, data, "rutin.md", who="samordnare@stockholm.se")
    assert visible(corpus) == ["sources.toml", "strategi.md"]
    assert set(load_manifest(corpus)) == {"strategi.md"}
    [listed] = list_trash(data)
    assert listed == entry and listed.name == "rutin.md" and listed.who == "samordnare@stockholm.se"
    record = json.loads((data / "trash" / entry.id / "record.json").read_text(encoding="utf-8"))
    assert record["name"] == "rutin.md" and len(record["doc_hash"]) == 64 and record["removed_at"] > 0
    assert 'kind = "riktlinjer"' in record["manifest"]

    mtime = os.stat(data / "trash" / entry.id / "record.json").st_mtime
    assert restore_document(corpus, data, entry.id) == "rutin.md"
    assert (corpus / "rutin.md").read_bytes() == MD
    assert (corpus / "rutin.md").stat().st_mtime <= mtime  # its own time, not the restore's
    meta = load_manifest(corpus)["rutin.md"]
    assert (meta.title, meta.kind, meta.source) == ("Rutin för tolkbokning", "riktlinjer", "Socialförvaltningen")
    assert list_trash(data) == []


def test_restore_refuses_when_the_name_is_taken(site: tuple[Path, Path]) -> None:
    corpus, data = site
    entry = trash_document(corpus, data, "rutin.md")
    (corpus / "rutin.md").write_bytes(b"# En ny rutin\n")
    with pytest.raises(DocumentError) as caught:
        restore_document(corpus, data, entry.id)
    assert caught.value.reason.startswith("det finns redan en fil med det namnet i dokumentmappen")
    assert (corpus / "rutin.md").read_bytes() == b"# En ny rutin\n"
    assert "rutin.md" not in load_manifest(corpus)  # the manifest is not changed either
    assert [e.id for e in list_trash(data)] == [entry.id]  # still in the trash


def test_trash_refuses_what_is_not_a_document(site: tuple[Path, Path]) -> None:
    corpus, data = site
    for name in ("sources.toml", "../x.md", "saknas.md", ".dold.md"):
        with pytest.raises(DocumentError):
            trash_document(corpus, data, name)
    with pytest.raises(DocumentError, match="inte längre i papperskorgen"):
        restore_document(corpus, data, "../../etc")
    assert list_trash(data) == []


def test_a_malformed_manifest_stops_the_removal(site: tuple[Path, Path]) -> None:
    corpus, data = site
    (corpus / "sources.toml").write_text('["rutin.md"]\ntitle = Rutin\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="rad 2.*rätta sources.toml först"):
        trash_document(corpus, data, "rutin.md")
    assert (corpus / "rutin.md").read_bytes() == MD and list_trash(data) == []


def test_retention_and_emptying(site: tuple[Path, Path]) -> None:
    corpus, data = site
    now = time.time()
    old = trash_document(corpus, data, "rutin.md", now=now - 31 * DAY)
    new = trash_document(corpus, data, "strategi.md", now=now - 2 * DAY)
    assert [e.id for e in list_trash(data)] == [new.id, old.id]
    assert purge_expired(data, 30, now=now) == 1
    assert [e.id for e in list_trash(data)] == [new.id]
    assert empty_trash(data) == 1 and list_trash(data) == []
    assert visible(data / "trash") == []


# --- kept vectors -------------------------------------------------------------------


def test_kept_vectors_round_trip_and_damage(tmp_path: Path) -> None:
    doc_hash = "a" * 64
    vectors = {"1" * 64: np.ones(4, dtype=np.float32), "2" * 64: np.zeros(4, dtype=np.float32)}
    assert keep_vectors(tmp_path, doc_hash, vectors)
    back = kept_vectors(tmp_path, [doc_hash, "b" * 64])
    assert set(back) == set(vectors) and np.array_equal(back["1" * 64], vectors["1" * 64])
    (tmp_path / "kept-vectors" / f"{doc_hash}.npz").write_bytes(b"not an npz")
    assert kept_vectors(tmp_path, [doc_hash]) == {}  # damaged: embedded again, no error
    forget_vectors(tmp_path, [doc_hash])
    assert list((tmp_path / "kept-vectors").iterdir()) == []
    keep_vectors(tmp_path, doc_hash, vectors)
    forget_vectors(tmp_path, older_than_days=30)
    assert set(kept_vectors(tmp_path, [doc_hash])) == set(vectors)  # not old yet
    forget_vectors(tmp_path, older_than_days=30, now=time.time() + 31 * DAY)
    assert kept_vectors(tmp_path, [doc_hash]) == {}
