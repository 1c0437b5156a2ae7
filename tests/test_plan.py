"""Tests for ingest.plan.make_plan: the per-document decision of an ingest run, from
real corpus files, manifest entries and DocInfo records (no Chroma, no reading)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from core.records import DocInfo
from ingest.manifest import DocMeta, manifest_fingerprint
from ingest.plan import CorpusFile, Plan, Step, make_plan


def f(name: str, doc_hash: str = "", refused: str = "") -> CorpusFile:
    return CorpusFile(name, Path("/corpus") / name, doc_hash=doc_hash or f"hash-{name}", refused=refused)


def info(name: str, doc_hash: str = "", meta_hash: str = "", chunks: int = 3) -> DocInfo:
    return DocInfo(doc=name, title=name, doc_hash=doc_hash or f"hash-{name}", meta_hash=meta_hash,
                   pages=1, chunks=chunks, ingested_at=0.0)


def plan_for(
    files: list[CorpusFile], live: tuple[DocInfo, ...] | list[DocInfo] = (), manifest: dict[str, DocMeta] | None = None,
    stored: dict[str, int] | None = None, rebuilt: bool = False,
) -> Plan:
    live_docs = {d.doc: d for d in live}
    complete = {d.doc: d.chunks for d in live}
    return make_plan(files, manifest or {}, live_docs, complete if stored is None else stored, rebuilt)


def step(plan: Plan, name: str) -> Step:
    return next(s for s in plan.steps if s.name == name)


def test_first_run_reads_everything() -> None:
    plan = plan_for([f("a.md"), f("b.pdf")])
    assert [(s.name, s.action, s.status) for s in plan.steps] == [("a.md", "read", "added"),
                                                                  ("b.pdf", "read", "added")]
    assert step(plan, "a.md").doc_hash == "hash-a.md" and step(plan, "a.md").path == Path("/corpus/a.md")
    assert step(plan, "a.md").previous is None and plan.removed == []


def test_unchanged_changed_metadata_and_removed() -> None:
    meta = DocMeta(title="Ny titel")
    live = [info("same.md"), info("edited.md", doc_hash="old"), info("meta.md"), info("gone.md")]
    plan = plan_for([f("edited.md"), f("meta.md"), f("same.md")], live, manifest={"meta.md": meta})
    assert [(s.name, s.action, s.status) for s in plan.steps] == [
        ("edited.md", "read", "changed"), ("meta.md", "read", "metadata"), ("same.md", "unchanged", "")]
    assert step(plan, "same.md").previous == live[0]
    assert step(plan, "edited.md").previous == live[1]  # kept if the new version cannot be read
    assert step(plan, "meta.md").meta == meta and step(plan, "meta.md").meta_hash == manifest_fingerprint(meta)
    assert plan.removed == ["gone.md"]


def test_same_manifest_entry_is_unchanged() -> None:
    meta = DocMeta(title="T", kind="strategi")
    live = [info("a.md", meta_hash=manifest_fingerprint(meta))]
    plan = plan_for([f("a.md")], live, manifest={"a.md": meta})
    assert step(plan, "a.md").action == "unchanged"


def test_manifest_entry_found_under_nfc_name() -> None:
    decomposed = unicodedata.normalize("NFD", "åtgärder.md")
    meta = DocMeta(title="Åtgärder")
    plan = plan_for([f(decomposed)], manifest={unicodedata.normalize("NFC", decomposed): meta})
    assert step(plan, decomposed).meta == meta


def test_rebuild_reads_unchanged_documents_again() -> None:
    plan = plan_for([f("a.md")], [info("a.md")], rebuilt=True)
    assert (step(plan, "a.md").action, step(plan, "a.md").status) == ("read", "changed")


def test_incomplete_stored_document_is_read_and_cannot_be_kept() -> None:
    plan = plan_for([f("a.md")], [info("a.md", chunks=3)], stored={"a.md": 2})
    a = step(plan, "a.md")
    assert (a.action, a.status, a.previous) == ("read", "metadata", None)
    assert plan.removed == []  # dropped only if the read fails (the runner adds it then)


def test_refused_file_keeps_its_previous_version() -> None:
    live = [info("big.pdf"), info("broken.md", chunks=4)]
    files = [f("big.pdf", refused="filen är för stor"), f("broken.md", refused="filen finns inte (längre)"),
             f("new.exe", refused="filtypen .exe stöds inte")]
    plan = plan_for(files, live, stored={"big.pdf": 3, "broken.md": 1})
    assert [(s.name, s.action, s.reason) for s in plan.steps] == [
        ("big.pdf", "failed", "filen är för stor"), ("broken.md", "failed", "filen finns inte (längre)"),
        ("new.exe", "failed", "filtypen .exe stöds inte")]
    assert step(plan, "big.pdf").previous == live[0]
    assert step(plan, "broken.md").previous is None  # not all its chunks are in the index
    assert plan.removed == ["broken.md"]


def test_duplicate_content_is_read_under_the_first_name() -> None:
    plan = plan_for([f("a.md", "x"), f("b.md", "x"), f("c.md", "y")])
    assert [(s.name, s.action) for s in plan.steps] == [("b.md", "duplicate"), ("a.md", "read"),
                                                        ("c.md", "read")]
    assert step(plan, "b.md").reason == "samma innehåll som a.md; bara den läses in"


def test_duplicate_content_the_indexed_name_wins() -> None:
    live = [info("z.md", doc_hash="x")]
    plan = plan_for([f("a.md", "x"), f("z.md", "x")], live)
    assert [(s.name, s.action) for s in plan.steps] == [("a.md", "duplicate"), ("z.md", "unchanged")]
    assert step(plan, "a.md").reason == "samma innehåll som z.md; bara den läses in"


def test_indexed_document_that_became_a_duplicate_keeps_its_version() -> None:
    live = [info("a.md", doc_hash="old"), info("b.md", doc_hash="x")]
    plan = plan_for([f("a.md", "x"), f("b.md", "x")], live)
    a = step(plan, "a.md")
    assert (a.action, a.previous) == ("duplicate", live[0])
    assert step(plan, "b.md").action == "unchanged" and plan.removed == []


def test_refusals_come_first_by_name_then_files_in_order() -> None:
    files = [f("a.md"), f("b.md", refused="r"), f("c.md", "x"), f("d.md", "x"), f("e.md")]
    plan = plan_for(files)
    assert [s.name for s in plan.steps] == ["b.md", "d.md", "a.md", "c.md", "e.md"]
