"""Retention in the app: once per process a daemon thread prunes the question, feedback
and audit logs (core/retention.py) at start and then every day."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import streamlit as st

from core import retention
from core.errors import AssistantError
from core.settings import load_settings

log = logging.getLogger(__name__)
INTERVAL = 86400.0  # seconds: daily


def _keep(data_dir: Path, days: int, stop: threading.Event) -> None:
    while True:
        try:
            pruned = retention.enforce(data_dir, days)
            if pruned.total:
                log.info("retention (%d days): pruned %d question, %d feedback and %d audit lines", days,
                         pruned.questions, pruned.feedback, pruned.audit)
        except Exception:  # noqa: BLE001 - try again tomorrow; never stop the app
            log.exception("retention failed")
        if stop.wait(INTERVAL):
            return


@st.cache_resource(show_spinner=False)
def retention_keeper() -> threading.Event:
    """Start the pruning thread (once per process); returns the event that stops it."""
    stop = threading.Event()
    try:
        settings = load_settings()
    except AssistantError:  # the pages show the setting's error themselves
        return stop
    threading.Thread(target=_keep, args=(Path(settings.data_dir), settings.retention_days, stop),
                     name="retention", daemon=True).start()
    return stop
