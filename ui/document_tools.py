"""Coordinator widgets of the Dokument page (ui/documents.py): the metadata form that
writes sources.toml, and the trash ("Papperskorgen") with "Ångra".

Changes happen in callbacks, which run before the page, so the page shows their result;
each leaves a message with `flash`. Every callback checks `is_coordinator()` again.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st

from core.audit import SYSTEM_WHO, file_sha256
from core.errors import DocumentError, ManifestError
from ingest.manifest import DocMeta
from ingest.manifest_write import update_entry
from ingest.trash import TrashEntry, empty_trash, list_trash, purge_expired, restore_document
from ui.auth import is_coordinator, record
from ui.render import literal, when

UPDATE_LABEL = "Uppdatera index"
UNDO_LABEL = "Ångra"
EMPTY_LABEL = "Töm papperskorgen"
SAVE_META_LABEL = "Spara uppgifterna"
# The kinds of document the city uses (the "Typ" of the list).
KINDS = ("strategi", "riktlinjer", "program", "handlingsplan", "lag", "förordning", "regeringsuppdrag",
         "tjänsteutlåtande", "remissvar", "rapport", "webbsida", "annat")
META_FIELDS = ("title", "kind", "issuer", "valid_from", "valid_to", "replaced_by")

MESSAGES = "documents_messages"  # (level, text) left by callbacks for the next run
META_DOC = "documents_meta_doc"  # the document whose metadata the form shows
_CONFIRM_EMPTY = "documents_confirm_empty"


def flash(level: str, text: str) -> None:
    st.session_state.setdefault(MESSAGES, []).append((level, text))


def meta_key(field: str, name: str) -> str:
    return f"documents_meta_{field}:{name}"


# --- Metadata ---------------------------------------------------------------------


def _on_save_meta(corpus_dir: Path, name: str) -> None:
    if not is_coordinator():
        return
    values = {f: str(st.session_state.get(meta_key(f, name)) or "").strip() for f in META_FIELDS}
    try:
        update_entry(corpus_dir, name, values)
    except ManifestError as err:
        flash("error", f"Uppgifterna om {name} sparades inte. {err.swedish_message()}")
        return
    record("metadata", file=name, sha256=file_sha256(corpus_dir / name),
           detail={f: v for f, v in values.items() if v})
    flash("success", f"Uppgifterna om {name} är sparade i sources.toml. Tryck på ”{UPDATE_LABEL}” så "
                     "syns de i svaren.")


def metadata_panel(corpus_dir: Path, names: Sequence[str], manifest: Mapping[str, DocMeta],
                   expanded: bool = False) -> None:
    """A form for title, kind, issuer, validity and "ersatt av" of one document of the
    folder, written to its entry in sources.toml."""
    with st.expander("Uppgifter om dokumenten", expanded=expanded):
        st.caption(f"Uppgifterna sparas i sources.toml i dokumentmappen och används vid nästa ”{UPDATE_LABEL}”. "
                   "Datum skrivs ÅÅÅÅ-MM-DD eller som ett årtal (ÅÅÅÅ).")
        if st.session_state.get(META_DOC) not in names:
            st.session_state.pop(META_DOC, None)
        name = st.selectbox("Dokument", list(names), key=META_DOC)
        if name is None:
            return
        meta = manifest.get(unicodedata.normalize("NFC", name)) or DocMeta()
        kinds = ["", *KINDS] + ([meta.kind] if meta.kind and meta.kind not in KINDS else [])
        others = ["", *(n for n in names if n != name)]
        if meta.replaced_by and meta.replaced_by not in others:
            others.append(meta.replaced_by)
        with st.form(f"documents_meta_form:{name}", border=False):
            st.text_input("Titel", value=meta.title or "", key=meta_key("title", name),
                          help="Tom: rubriken i dokumentet, annars filnamnet.")
            left, right = st.columns(2)
            left.selectbox("Typ", kinds, index=kinds.index(meta.kind or ""), key=meta_key("kind", name),
                           format_func=lambda k: k or "(ingen)")
            right.text_input("Utfärdare", value=meta.issuer or "", key=meta_key("issuer", name),
                             placeholder="t.ex. Kommunfullmäktige")
            left.text_input("Gäller från", value=meta.valid_from or "", key=meta_key("valid_from", name),
                            placeholder="ÅÅÅÅ-MM-DD eller ÅÅÅÅ")
            right.text_input("Gäller till", value=meta.valid_to or "", key=meta_key("valid_to", name),
                             placeholder="ÅÅÅÅ-MM-DD eller ÅÅÅÅ")
            st.selectbox("Ersatt av", others, index=others.index(meta.replaced_by or ""),
                         key=meta_key("replaced_by", name), format_func=lambda n: n or "(inget)",
                         help="Ett nyare dokument i mappen som ersätter det här.")
            st.form_submit_button(SAVE_META_LABEL, on_click=_on_save_meta, args=(corpus_dir, name))


# --- The trash ----------------------------------------------------------------------


def _on_restore(corpus_dir: Path, data_dir: Path, entry_id: str) -> None:
    if not is_coordinator():
        return
    try:
        name = restore_document(corpus_dir, data_dir, entry_id)
    except DocumentError as err:
        flash("error", f"{err.doc} återställdes inte: {err.reason}.")
        return
    record("restore", file=name, sha256=file_sha256(corpus_dir / name))
    flash("success", f"{name} är tillbaka i dokumentmappen. Tryck på ”{UPDATE_LABEL}” så svarar assistenten "
                     "ur det igen.")


def _on_empty_request() -> None:
    st.session_state[_CONFIRM_EMPTY] = True


def _on_empty_cancel() -> None:
    st.session_state.pop(_CONFIRM_EMPTY, None)


def _on_empty_confirm(data_dir: Path) -> None:
    st.session_state.pop(_CONFIRM_EMPTY, None)
    if not is_coordinator():
        return
    entries = list_trash(data_dir)
    count = empty_trash(data_dir)
    record("empty_trash", detail={"antal": count, "filer": [{"file": e.name, "sha256": e.doc_hash} for e in entries]})
    flash("success", f"Papperskorgen är tömd ({count} dokument borttagna för gott).")


def trash_caption(entry: TrashEntry) -> str:
    who = f" av {entry.who}" if entry.who else ""
    return f"Fil: {entry.name} · borttaget {when(entry.removed_at)}{who}"


def trash_panel(corpus_dir: Path, data_dir: Path, days: int) -> None:
    """The removed documents, each with "Ångra"; entries older than `days` are emptied."""
    if purged := purge_expired(data_dir, days):
        record("purge_trash", actor=SYSTEM_WHO, detail={"antal": purged, "dagar": days})
    entries = list_trash(data_dir)
    confirm = bool(st.session_state.get(_CONFIRM_EMPTY)) and bool(entries)
    with st.expander(f"Papperskorgen ({len(entries)})", expanded=confirm):
        st.caption(f"Borttagna dokument sparas här i {days} dagar och kan läggas tillbaka med ”{UNDO_LABEL}”; "
                   "ett dokument som är oförändrat läses då in utan att vektorerna beräknas på nytt.")
        if not entries:
            st.info("Papperskorgen är tom.")
            return
        for entry in entries:
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.text(entry.name)
            left.caption(literal(trash_caption(entry)))
            right.button(UNDO_LABEL, key=f"documents_restore:{entry.id}", on_click=_on_restore,
                         args=(corpus_dir, data_dir, entry.id))
        if confirm:
            st.warning(f"Vill du tömma papperskorgen? {len(entries)} dokument tas bort för gott och kan inte "
                       "återställas.")
            yes, no, _ = st.columns([1, 1, 4])
            yes.button("Ja, töm", key="documents_empty_confirm", type="primary", on_click=_on_empty_confirm,
                       args=(data_dir,))
            no.button("Avbryt", key="documents_empty_cancel", on_click=_on_empty_cancel)
        else:
            st.button(EMPTY_LABEL, key="documents_empty_trash", on_click=_on_empty_request)
