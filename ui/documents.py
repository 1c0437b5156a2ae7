"""The page "Dokument": every document in the index and in the corpus folder; for
coordinators also upload, metadata, removal to the trash (with "Ångra") and "Uppdatera
index" (the metadata form and the trash are in ui/document_tools.py). Staff see the
list only.

This file is a file-based page (app.py: st.Page("ui/documents.py", ...)) so that
AppTest.switch_page can open it; Streamlit executes it with __name__ == "__main__".
Importing it (ui.documents) only defines the functions.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from core.errors import AssistantError, DocumentError, IngestBusyError, ManifestError
from core.records import Validity
from core.store import LiveState, read_live
from core.wording import period
from ingest.audit_report import report_detail
from ingest.formats import format_name_sv, formats_sv
from ingest.manifest import DocMeta, load_manifest
from ingest.pipeline import corpus_files, run_ingest
from ingest.report import STATUS_SV, Report, read_history
from ingest.trash import trash_document
from ingest.uploads import existing_file, save_upload, upload_name
from ui.audit_panel import audit_panel
from ui.auth import coordinator_name, is_coordinator, login_panel, record
from ui.document_tools import MESSAGES, META_DOC, UPDATE_LABEL, flash, metadata_panel, trash_panel
from ui.render import literal, when
from ui.resources import Resources, resources
from ui.uploads import allow_uploads, limit_caption, limit_reached, over_limit, release, within_limit

OnUpload = Callable[[str, str, bytes, str | None], None]
NOT_INGESTED = "ej inläst"
DOC_STATUS_SV = {"ok": "inläst"}
LIST_COLUMNS = ["Titel", "Status", "Typ", "Giltighet", "Sidor", "Avsnitt", "Inläst", "Orsak", "Format", "Fil"]
REMOVE_LABEL = "Ta bort"

_CONFIRM = "documents_confirm_remove"  # the document waiting for confirmation
_UPLOAD_ROUND = "documents_upload_round"  # bumped to give a fresh, empty uploader
_REPORT = "documents_last_report"  # the last report of this session
_META_OPEN = "documents_meta_open"  # an upload just happened: show its metadata form
_USED = "documents_uploads_used"  # (files, bytes) this session has uploaded, saved or refused


# --- What the page shows (plain functions) --------------------------------------------


def last_failures(history: list[dict[str, Any]]) -> dict[str, str]:
    """Failure reason per document in the last ingest run that got as far as the
    documents (a run stopped by a malformed sources.toml has no outcomes)."""
    for run in reversed(history):
        if run.get("error") and not run.get("outcomes"):
            continue
        return {
            str(o.get("doc")): str(o.get("reason") or "")
            for o in run.get("outcomes") or []
            if o.get("status") == "failed"
        }
    return {}


def document_rows(
    state: LiveState | None,
    files: Iterable[tuple[str, Path]],
    manifest: Mapping[str, DocMeta],
    failures: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One row per indexed document, then one per file of the folder not in the index."""
    on_disk = dict(files)
    documents = state.documents if state else {}
    rows: list[dict[str, Any]] = []
    for name, info in sorted(documents.items(), key=lambda kv: kv[1].title.casefold()):
        status = DOC_STATUS_SV.get(info.status, info.status)
        reason = ""
        if name in failures:
            status, reason = "fel vid senaste inläsningen", failures[name]
        elif name not in on_disk:
            status, reason = "borttaget ur mappen", "försvinner ur indexet vid nästa uppdatering"
        elif _modified_since(on_disk[name], info.ingested_at):
            status, reason = "ändrat i mappen", "läses in på nytt vid nästa uppdatering"
        rows.append({
            "Titel": info.title, "Fil": name, "Typ": info.kind or "",
            "Format": format_name_sv(name), "Sidor": info.pages,
            "Avsnitt": info.chunks, "Giltighet": period(info.validity), "Inläst": when(info.ingested_at),
            "Status": status, "Orsak": reason, "Personnummer": info.personal_numbers or None,
        })
    for name in sorted(set(on_disk) - set(documents)):
        meta = manifest.get(_nfc(name))
        if name in failures:
            reason = failures[name]
        else:
            reason = "läses in vid nästa uppdatering"
        rows.append({
            "Titel": (meta.title if meta and meta.title else name), "Fil": name,
            "Typ": (meta.kind or "") if meta else "", "Format": format_name_sv(name),
            "Sidor": None, "Avsnitt": None,
            "Giltighet": period(Validity(meta.valid_from, meta.valid_to)) if meta else "",
            "Inläst": "", "Status": NOT_INGESTED, "Orsak": reason,
        })
    return rows


def outcome_rows(report: Report, titles: Mapping[str, str]) -> list[dict[str, Any]]:
    order = {"failed": 0, "added": 1, "changed": 2, "metadata": 3, "removed": 4, "unchanged": 5}
    return [
        {
            "Fil": o.doc, "Titel": titles.get(o.doc, ""), "Resultat": STATUS_SV.get(o.status, o.status),
            "Avsnitt": o.chunks, "Orsak": o.reason or "; ".join(o.notes),
        }
        for o in sorted(report.outcomes, key=lambda o: (order.get(o.status, 9), o.doc))
    ]


def handle_uploads(
    corpus_dir: Path, uploads: Iterable[tuple[str, bytes]], max_bytes: int, saved_names: list[str] | None = None,
    on_result: OnUpload | None = None,
) -> list[tuple[str, str]]:
    """Save every upload; (level, Swedish message) per file, level "success" or "error".
    The names saved under are appended to `saved_names`; `on_result(action, name, data,
    reason)` is told each outcome ("upload", "replace" or "upload_refused"; the audit log)."""
    messages: list[tuple[str, str]] = []
    for name, data in uploads:
        try:
            replaced = existing_file(corpus_dir, upload_name(name)) is not None
            saved = save_upload(corpus_dir, name, data, max_bytes)
        except DocumentError as err:
            messages.append(("error", f"{err.doc} sparades inte: {err.reason}."))
            if on_result is not None:
                on_result("upload_refused", err.doc, data, err.reason)
            continue
        if on_result is not None:
            on_result("replace" if replaced else "upload", saved, data, None)
        if saved_names is not None:
            saved_names.append(saved)
        text = f"{saved} är sparad"
        if saved != name:
            text += f" (uppladdad som {name})"
        text += " och ersatte den tidigare filen." if replaced else "."
        messages.append(("success", text + f" Tryck på ”{UPDATE_LABEL}” för att läsa in den."))
    return messages


def _modified_since(path: Path, ingested_at: float) -> bool:
    try:
        return path.stat().st_mtime > ingested_at + 1.0
    except OSError:
        return False


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


# --- Callbacks (run before the page, so the page shows their result) ----------------


def _on_upload(corpus_dir: Path, max_bytes: int, key: str, max_files: int, max_total_mb: int) -> None:
    if not is_coordinator():
        return
    files = st.session_state.get(key) or []
    saved: list[str] = []
    used_files, used_bytes = st.session_state.get(_USED, (0, 0))
    fits = within_limit([f.size for f in files], used_files, used_bytes, max_files, max_total_mb * 1024 * 1024)
    taken = [f for f, ok in zip(files, fits, strict=True) if ok]
    uploads = [(f.name, f.getvalue()) for f in taken]
    for level, text in handle_uploads(corpus_dir, uploads, max_bytes, saved, on_result=_audit_upload):
        flash(level, text)
    for f, ok in zip(files, fits, strict=True):
        if not ok:
            flash("error", over_limit(f.name, max_files, max_total_mb))
    st.session_state[_USED] = (used_files + len(taken), used_bytes + sum(f.size for f in taken))
    release(files)  # saved or refused, the bytes leave the session (and the widget, by its new key)
    if saved:  # the metadata form opens on the (last) uploaded document
        st.session_state[META_DOC] = saved[-1]
        st.session_state[_META_OPEN] = True
    st.session_state[_UPLOAD_ROUND] = st.session_state.get(_UPLOAD_ROUND, 0) + 1


def _audit_upload(action: str, name: str, data: bytes, reason: str | None) -> None:
    record(action, file=name, sha256=hashlib.sha256(data).hexdigest(),
           detail={"bytes": len(data), **({"reason": reason} if reason else {})})


def _on_remove_request(name: str) -> None:
    st.session_state[_CONFIRM] = name


def _on_remove_cancel() -> None:
    st.session_state.pop(_CONFIRM, None)


def _on_remove_confirm(corpus_dir: Path, data_dir: Path, name: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    if not is_coordinator():
        return
    try:
        removed = trash_document(corpus_dir, data_dir, name, who=coordinator_name())
    except DocumentError as err:
        flash("error", f"{err.doc} togs inte bort: {err.reason}.")
        return
    record("remove", file=removed.name, sha256=removed.doc_hash, detail={"trash": removed.id})
    flash("success", f"{removed.name} ligger nu i papperskorgen. Tryck på ”{UPDATE_LABEL}” så tas det bort "
                     "ur indexet och svaren.")


# --- The page ----------------------------------------------------------------------


def run_update(res: Resources) -> Report | None:
    """Run an ingest with a progress bar; errors are shown, not raised."""
    if not res.ingest_lock.acquire(blocking=False):
        st.warning(IngestBusyError().swedish_message())
        return None
    bar = st.progress(0.0, text="Uppdaterar indexet …")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=message)

    try:
        report = run_ingest(res.settings, res.embedder, res.searcher.client, progress)
        record("reingest", detail=report_detail(report))
        return report
    except IngestBusyError as err:
        st.warning(err.swedish_message())
    except ManifestError as err:
        st.error(err.swedish_message())
    except AssistantError as err:
        st.error(err.swedish_message())
    finally:
        res.ingest_lock.release()
        bar.empty()
    return None


def show_report(report: Report, titles: Mapping[str, str]) -> None:
    failed = len(report.failed)
    if failed and report.switched:
        st.warning(f"Indexet är uppdaterat, men {failed} dokument kunde inte läsas in.")
    elif failed:
        st.warning(f"Indexet är oförändrat. {failed} dokument kunde inte läsas in.")
    elif report.switched:
        st.success("Indexet är uppdaterat.")
    else:
        st.info("Indexet var redan aktuellt.")
    st.text(report.summary_sv())
    st.dataframe(
        outcome_rows(report, titles), hide_index=True,
        column_order=["Resultat", "Titel", "Fil", "Avsnitt", "Orsak"],
        column_config={
            "Titel": st.column_config.TextColumn(width="large"),
            "Avsnitt": st.column_config.NumberColumn(format="%d", width="small"),
            "Orsak": st.column_config.TextColumn(width="large"),
        },
    )


def _actions(res: Resources) -> Report | None:
    settings = res.settings
    max_bytes = settings.max_file_bytes
    report = None
    if st.button(UPDATE_LABEL, type="primary", key="documents_update",
                 help="Läser in nya och ändrade dokument och tar bort borttagna ur indexet."):
        report = run_update(res)
        if report is not None:
            st.session_state[_REPORT] = report
    used_files, used_bytes = st.session_state.get(_USED, (0, 0))
    if used_files >= settings.max_uploads or used_bytes >= settings.max_upload_bytes:
        st.info(limit_reached(settings.max_uploads, settings.max_upload_mb), icon=":material/block:")
        return report
    key = f"documents_upload_{st.session_state.get(_UPLOAD_ROUND, 0)}"
    # No type filter: Streamlit's would refuse other files in English (or not at all); our own
    # check names each refused file in Swedish. Streamlit's size limit is ours, so its own text
    # shows the real number (server.maxUploadSize bounds the request itself: ./run chat).
    st.file_uploader(
        f"Ladda upp dokument ({formats_sv('eller')})", accept_multiple_files=True,
        key=key, on_change=_on_upload,
        args=(settings.corpus_dir, max_bytes, key, settings.max_uploads, settings.max_upload_mb),
        max_upload_size=settings.max_file_mb,
        help=(f"Högst {settings.max_file_mb} MB per fil. En fil med samma namn som ett befintligt dokument "
              f"ersätter det. Filerna läses in när du trycker på ”{UPDATE_LABEL}”."),
    )
    st.caption(limit_caption(settings.max_file_mb, formats_sv("eller"), settings.max_uploads, settings.max_upload_mb))
    return report


def _removal(corpus_dir: Path, data_dir: Path, rows: list[dict[str, Any]], on_disk: set[str], days: int) -> None:
    pending = st.session_state.get(_CONFIRM)
    with st.expander("Ta bort dokument", expanded=bool(pending)):
        st.caption(f"Filen flyttas till papperskorgen; indexet ändras vid nästa ”{UPDATE_LABEL}”.")
        for row in rows:
            name = row["Fil"]
            if name not in on_disk:
                continue
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.text(row["Titel"])
            left.caption(literal(f"Fil: {name}"))
            right.button(REMOVE_LABEL, key=f"documents_remove:{name}",
                         on_click=_on_remove_request, args=(name,))
            if pending == name:
                st.warning(literal(f"Vill du ta bort {name} ur dokumentmappen? Det läggs i papperskorgen, där "
                                   f"du kan ångra det i {days} dagar."))
                yes, no, _ = st.columns([1, 1, 4])
                yes.button("Ja, ta bort", key="documents_remove_confirm", type="primary",
                           on_click=_on_remove_confirm, args=(corpus_dir, data_dir, name))
                no.button("Avbryt", key="documents_remove_cancel", on_click=_on_remove_cancel)


def documents_page() -> None:
    st.title("Dokument")
    st.caption("Dokumenten som assistenten svarar ur, och filerna i dokumentmappen.")
    with st.sidebar:
        login_panel()
    try:
        res = resources()
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    settings = res.settings
    coordinator = is_coordinator()
    allow_uploads(coordinator, settings.max_upload_bytes)  # the server keeps no file of any other session
    for level, text in st.session_state.pop(MESSAGES, []):
        (st.success if level == "success" else st.error)(literal(text))

    report = _actions(res) if coordinator else None

    try:
        state = read_live(res.searcher.client)
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    corpus_dir = Path(settings.corpus_dir)
    files: list[tuple[str, Path]] = []
    if corpus_dir.is_dir():
        files = corpus_files(corpus_dir)
    else:
        st.warning(literal(f"Dokumentmappen {corpus_dir} finns inte."))
    try:
        manifest = load_manifest(corpus_dir)
    except ManifestError as err:
        if coordinator:  # staff cannot fix it; the list just lacks titles of new files
            st.error(err.swedish_message())
        manifest = {}
    history = read_history(Path(settings.data_dir), last=20)
    rows = document_rows(state, files, manifest, last_failures(history))
    titles = {r["Fil"]: r["Titel"] for r in rows}

    shown = report or st.session_state.get(_REPORT)
    if coordinator and shown is not None:
        with st.expander("Senaste uppdateringen", expanded=report is not None):
            show_report(shown, titles)

    st.subheader("Dokumenten")
    if not rows:
        st.info("Det finns inga dokument ännu.")
    else:
        st.dataframe(
            # Coordinators see how many personal identity numbers a document holds (never
            # the numbers): theirs to decide on ASSISTANT_MASK_INDEX or a new version.
            rows, hide_index=True, column_order=LIST_COLUMNS + (["Personnummer"] if coordinator else []),
            placeholder="–",
            column_config={
                "Titel": st.column_config.TextColumn(width="large"),
                "Status": st.column_config.TextColumn(width="medium"),
                "Sidor": st.column_config.NumberColumn(format="%d", width="small"),
                "Avsnitt": st.column_config.NumberColumn(format="%d", width="small"),
                "Orsak": st.column_config.TextColumn(width="large"),
                "Personnummer": st.column_config.NumberColumn(
                    format="%d", width="small", help="Personnummer eller samordningsnummer i dokumentet (antal)"),
            },
        )
    parts = []
    if state is not None:
        parts.append(f"I indexet: {len(state.documents)} dokument, {state.chunk_count} avsnitt")
    if history:
        parts.append(f"Senaste inläsning: {when(float(history[-1].get('started', 0)))}")
    if coordinator:
        parts.append(f"Dokumentmapp: {os.fspath(corpus_dir)}")
    st.caption(literal(" · ".join(parts)))

    if not coordinator:
        return
    data_dir = Path(settings.data_dir)
    on_disk = [name for name, _ in files]
    if on_disk:
        metadata_panel(corpus_dir, on_disk, manifest, expanded=bool(st.session_state.pop(_META_OPEN, False)))
        _removal(corpus_dir, data_dir, rows, set(on_disk), settings.trash_days)
    trash_panel(corpus_dir, data_dir, settings.trash_days)
    audit_panel(data_dir)


if __name__ == "__main__":
    documents_page()
