"""Process-wide resources shared by every session and page: loaded once per process."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import streamlit as st

from core.embedders import Embedder, make_embedder
from core.errors import AssistantError, IngestBusyError
from core.settings import Settings, load_settings
from core.store import LiveState, open_client, read_live
from ingest.pipeline import run_ingest
from retrieval.refusal import Calibration
from retrieval.search import Searcher

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass(frozen=True)
class Resources:
    settings: Settings
    embedder: Embedder
    searcher: Searcher
    calibration: Calibration
    ingest_lock: threading.Lock


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


def ensure_index(res: Resources) -> LiveState | None:
    """On first start (no index yet) read corpus/ with a progress bar."""
    state = read_live(res.searcher.client)
    if state is not None:
        return state
    bar = st.progress(0.0, text="Första start: läser in dokumenten …")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, fraction), text=message)

    try:
        with res.ingest_lock:
            if read_live(res.searcher.client) is None:
                run_ingest(res.settings, res.embedder, res.searcher.client, progress)
    except IngestBusyError as err:
        st.info(err.swedish_message())
        return None
    bar.empty()
    return read_live(res.searcher.client)
