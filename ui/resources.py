"""Process-wide resources shared by every session and page: loaded once per process."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from core.embedders import Embedder, make_embedder
from core.errors import AssistantError
from core.settings import Settings, load_settings
from core.store import LiveState, open_client, read_live, read_pointer
from ingest.pipeline import run_ingest
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from ui.first_start import FirstStart, Progress, Snapshot, status_lines

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass(frozen=True)
class Resources:
    settings: Settings
    embedder: Embedder
    searcher: Searcher
    calibration: Calibration
    ingest_lock: threading.Lock
    first_start: FirstStart = field(default_factory=FirstStart)  # the background first ingest


@st.cache_resource(show_spinner="Laddar sökmotorn …")
def resources() -> Resources:
    settings = load_settings()
    embedder = make_embedder(settings)
    client = open_client(settings)
    searcher = Searcher(client, embedder, files=settings.data_dir)
    if settings.follow_seconds:  # a re-ingest by anyone is loaded before the next question
        searcher.follow(settings.follow_seconds)
    return Resources(settings, embedder, searcher, Calibration.load(), threading.Lock())


def ready() -> tuple[Resources, LiveState] | None:
    """The resources and the live index for a page, the index read in on first start;
    None when there is none yet, with the reason shown in Swedish."""
    try:
        res = resources()
        state = ensure_index(res)
    except AssistantError as err:
        st.error(err.swedish_message())
        return None
    return (res, state) if state is not None else None


REFRESH_SECONDS = 2.0  # how often the progress screen redraws itself (each redraw costs CPU the ingest wants)
INTRO = "Första start: dokumenten läses in …"
CHAT_NOTE = "Du kan ställa frågor så snart dokumenten är inlästa. Sidan uppdateras av sig själv."


def ensure_index(res: Resources) -> LiveState | None:
    """On first start (no index yet) read corpus/ in the background (once per process)
    and wait up to ASSISTANT_FIRST_START_WAIT seconds with a progress bar; after that the
    page shows the progress screen, which redraws itself and reruns the page once the
    index exists. None while there is no index."""
    state = read_live(res.searcher.client)
    if state is not None:
        return state
    first = res.first_start
    snap = first.snapshot()
    if snap.error is None and (snap.busy is None or snap.retry_due):  # after an error: "Försök igen"
        _start(res)
    slot = st.empty()
    deadline = time.monotonic() + res.settings.first_start_wait
    while not first.wait(min(0.5, max(0.0, deadline - time.monotonic()))):
        # One element, replaced whole below: a container's elements would linger beside the
        # fragment's (seen in Chromium, also for a moment after an empty()).
        snap = first.snapshot()
        slot.progress(snap.fraction, text=f"{INTRO} {snap.message} · {status_lines(snap)[-1]}")
        if time.monotonic() >= deadline or read_pointer(res.searcher.client) is not None:
            break  # the index answers (the ingest may still add the statements' vectors)
    state = read_live(res.searcher.client)
    if state is None:
        with slot.container():  # in the progress bar's place
            _progress_screen()
    else:
        slot.empty()
    return state


def first_start_pending() -> bool:
    """Whether a page without an index is waiting for the first ingest (not for a fix)."""
    try:
        snap = resources().first_start.snapshot()
    except AssistantError:
        return False
    return snap.running or snap.busy is not None


def _start(res: Resources) -> None:
    """Start the first ingest in the background unless it runs or has finished."""
    res.first_start.start(lambda progress: _first_ingest(res, progress))


def _first_ingest(res: Resources, progress: Progress) -> None:
    with res.ingest_lock:  # the Dokument page's update takes it too
        if read_live(res.searcher.client) is None:
            run_ingest(res.settings, res.embedder, res.searcher.client, progress)


def show_progress(snap: Snapshot) -> None:
    st.subheader(INTRO)
    st.progress(snap.fraction, text=snap.message or "Startar …")
    st.caption("  \n".join(status_lines(snap)))


@st.fragment(run_every=REFRESH_SECONDS)
def _progress_screen() -> None:
    """The first start while no index exists: progress, or why not, redrawn every 2 s;
    the whole page reruns once the index is there (the chat appears)."""
    res = resources()
    first = res.first_start
    snap = first.snapshot()
    if read_pointer(res.searcher.client) is not None:
        # The whole page: the index is there (the ingest may still be adding the
        # statements' vectors for English quotes, after its switch).
        st.rerun()
    if snap.busy is not None:
        st.subheader(INTRO)
        st.info(snap.busy + " Sidan försöker igen av sig själv.")
        if snap.retry_due:
            _start(res)
        return
    if snap.error is not None:
        st.subheader("Första start: dokumenten kunde inte läsas in")
        st.error(snap.error)
        st.button("Försök igen", on_click=_start, args=(res,))
        return
    if snap.done:  # finished, yet no index: not expected
        st.error("Dokumenten lästes in, men inget index hittades. Ladda om sidan.")
        return
    show_progress(snap)
    st.caption(CHAT_NOTE)
