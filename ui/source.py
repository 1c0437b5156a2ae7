"""The page "Källa": the original of a source under an answer, at the cited page
(PDF: the page as a picture beside its text) or section (Markdown, Word, web pages),
the quoted sentences marked. Opened from the chat by a link (ui/sources.py) that names
the document, page, chunk and quote in its query parameters.

What is shown as text comes from the live index, so it matches the citation; the
picture of a PDF page and the download come from the file in the corpus folder, and
only for a document of the live index (the name is looked up there, never used as a
path on its own).

A file-based page (app.py: st.Page("ui/source.py", ..., visibility="hidden")), so that
AppTest.switch_page can open it; importing it (ui.source) only defines the functions.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import streamlit as st

from core.errors import AssistantError
from core.records import DocInfo
from core.wording import citation, validity_label
from ui.pdfview import render_page
from ui.render import literal
from ui.resources import ready
from ui.sources import ANCHOR, CitedText, cited_html, cited_text, parse_ref, quoted_sentences

VIEW_PARAM = "visa"  # the page shown when staff leaf from the cited one
INLINE_PDF_MAX = 15 * 1024 * 1024  # larger PDFs are offered as a download only
MIME = {".pdf": "application/pdf", ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain",
        ".html": "text/html", ".htm": "text/html",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Original:
    """The file behind an indexed document, as it is now."""

    path: Path | None  # None: not in the corpus folder any more
    changed: bool  # its content differs from what was read in


def original_file(corpus_dir: Path, info: DocInfo) -> Original:
    """The corpus file of an indexed document; its name comes from the index and must
    stay inside the corpus folder (no '..', no absolute name, no symlink out)."""
    name = PurePosixPath(info.doc)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        return Original(None, False)
    root = corpus_dir.resolve()
    path = (root / Path(*name.parts)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return Original(None, False)
    stat = path.stat()
    return Original(path, _sha256(str(path), stat.st_mtime_ns, stat.st_size) != info.doc_hash)


@st.cache_data(max_entries=256, show_spinner=False)
def _sha256(path: str, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@st.cache_data(max_entries=64, show_spinner=False)
def _page_png(path: str, doc_hash: str, number: int, quotes: tuple[str, ...]) -> bytes:
    return render_page(Path(path).read_bytes(), number, quotes)


def _set_view(page: int) -> None:
    st.query_params[VIEW_PARAM] = str(page)


def _pdf_in_browser(path: Path, page: int) -> None:
    """A link that opens the file in the browser's own PDF viewer at the page: the
    bytes become a blob: URL in the page (a data: URL is blocked in a new tab, and
    the file is not on any URL of its own), with #page=N."""
    data = path.read_bytes()
    if len(data) > INLINE_PDF_MAX:
        return
    encoded = base64.b64encode(data).decode("ascii")  # [A-Za-z0-9+/=] only: safe in a JS string
    st.html(
        f"<a id='pdf-original' href='#' target='_blank' style='display:none'>&#x2197; "
        f"Öppna PDF:en i webbläsaren på sidan {int(page)}</a>"
        "<script>(() => {"
        f"const raw = atob('{encoded}'); const bytes = new Uint8Array(raw.length);"
        "for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);"
        "const url = URL.createObjectURL(new Blob([bytes], {type: 'application/pdf'}));"
        "const a = document.getElementById('pdf-original');"
        f"a.href = url + '#page={int(page)}'; a.style.display = '';"
        "})();</script>",
        unsafe_allow_javascript=True,
    )


def _scroll_to_quote() -> None:
    st.html(
        "<script>(() => { let tries = 0; const go = () => {"
        f"const el = document.getElementById('{ANCHOR}');"
        "if (!el) { if (tries++ < 40) setTimeout(go, 100); return; }"
        "const box = el.getBoundingClientRect();"
        "if (box.top < 0 || box.bottom > window.innerHeight) el.scrollIntoView({block: 'center'});"
        "}; setTimeout(go, 200); })();</script>",
        unsafe_allow_javascript=True,
    )


def _header(info: DocInfo, cited: CitedText) -> None:
    st.title(literal(info.title))
    facts = [citation(cited.page, cited.page_label, cited.section)]
    validity = validity_label(info.validity, dt.date.today())
    facts.append(validity or "giltighet okänd")
    if info.kind:
        facts.append(info.kind)
    facts.append(f"Fil: {info.doc}")
    st.caption(literal(" · ".join(f for f in facts if f)))


def _quote_box(cited: CitedText) -> None:
    quotes = quoted_sentences(cited)
    if quotes:
        with st.container(border=True):
            st.markdown("**Citerat i svaret**")
            for q in quotes:
                st.markdown(f"<mark>{literal(q)}</mark>", unsafe_allow_html=True)


def _text(cited: CitedText, heading: str) -> None:
    st.markdown(f"**{literal(heading)}**")
    st.markdown(f"<div lang='sv'>{cited_html(cited)}</div>", unsafe_allow_html=True)


def _download(original: Original) -> None:
    if original.path is None:
        return
    path = original.path
    label = "Ladda ned filen som den är nu" if original.changed else "Ladda ned originalet"
    st.download_button(label, data=lambda: path.read_bytes(), file_name=path.name,
                       mime=MIME.get(path.suffix.lower(), "application/octet-stream"),
                       icon=":material/download:", on_click="ignore")


def _pdf_view(info: DocInfo, cited: CitedText, cited_page: int | None, original: Original) -> None:
    page = cited.page or 1
    prev_col, where_col, next_col, back_col = st.columns([1, 1, 1, 2], vertical_alignment="center")
    prev_col.button("Föregående sida", icon=":material/chevron_left:", disabled=page <= 1,
                    on_click=_set_view, args=(page - 1,), key="prev")
    where_col.markdown(literal(f"Sida {cited.page_label or page} ({page} av {info.pages})"))
    next_col.button("Nästa sida", icon=":material/chevron_right:", disabled=page >= info.pages,
                    on_click=_set_view, args=(page + 1,), key="next")
    if cited_page is not None and page != cited_page:
        back_col.button(f"Till den citerade sidan (s. {cited_page})", on_click=_set_view, args=(cited_page,),
                        key="back")
    usable = original.path is not None and not original.changed
    download, in_browser = st.columns([1, 3], vertical_alignment="center")
    with download:
        _download(original)
    if usable and original.path is not None:
        with in_browser:
            _pdf_in_browser(original.path, page)
    picture, text = st.columns([3, 2], gap="medium")
    with picture:
        if usable and original.path is not None:
            try:
                png = _page_png(str(original.path), info.doc_hash, page, tuple(quoted_sentences(cited)))
                with st.container(border=True):
                    st.image(png, caption=literal(f"{info.title}, s. {cited.page_label or page}"))
            except Exception:  # noqa: BLE001 - an unreadable page: the text still says it
                st.info("Sidan kunde inte visas som bild; texten står bredvid.")
        else:
            st.info("Sidan kan inte visas som bild, eftersom filen inte är densamma som lästes in.")
    with text:
        if cited.text:
            _text(cited, "Sidans text (som den lästes in)")
        else:
            st.info("Sidan har ingen text i indexet (en bild eller en tom sida).")


def source_page() -> None:
    got = ready()
    if got is None:
        return
    res, _state = got
    ref = parse_ref(st.query_params.to_dict())
    try:
        gen = res.searcher.current()
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    info = gen.state.documents.get(ref.doc) if ref else None
    if ref is None or info is None:
        st.title("Källa")
        st.warning("Dokumentet finns inte i indexet. Det kan ha tagits bort sedan svaret gavs.")
        return
    chunks = gen.chunks_of(ref.doc)
    view = st.query_params.get(VIEW_PARAM, "")
    page = int(view) if view.isdigit() and 0 < int(view) <= max(info.pages, 1) else None
    cited = cited_text(chunks, ref, page) or cited_text(chunks, ref)
    if cited is None:
        st.title(literal(info.title))
        st.warning("Dokumentet har ingen text i indexet.")
        return
    hit = next((c for c in chunks if c.id == ref.chunk), None) if ref.chunk else None
    cited_page = hit.page if hit else ref.page
    _header(info, cited)
    original = original_file(res.settings.corpus_dir, info)
    if original.path is None:
        st.warning("Filen finns inte längre i dokumentmappen. Texten nedan är den som lästes in.")
    elif original.changed:
        st.warning("Filen har ändrats sedan den lästes in. Texten nedan är den som lästes in och citerades; "
                   "den nya versionen läses in vid nästa uppdatering av indexet.")
    if ref.chunk and not cited.found:
        st.info("Indexet har lästs in på nytt sedan svaret gavs, så citatet kan inte markeras.")
    _quote_box(cited)
    if cited.page is not None:
        _pdf_view(info, cited, cited_page, original)
    else:
        _download(original)
        _text(cited, f"Avsnitt ”{cited.section}”" if cited.section else "Avsnittet")
    if cited.spans or cited.passage:
        _scroll_to_quote()


if __name__ == "__main__":
    source_page()
