"""The latest entries of the audit log (core/audit.py) on the Dokument page, for
coordinators only, with whether the chain is whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from core import audit

SHOWN = 20
AUDIT_LABEL = "Ändringslogg"


def audit_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest first, as text (never Markdown)."""
    rows = []
    for entry in reversed(records):
        detail = entry.get("detail")
        rows.append({
            "Tid": str(entry.get("t", "")).replace("T", " ").replace("Z", " UTC"),
            "Vem": str(entry.get("who", "")),
            "Roll": audit.ROLES_SV.get(str(entry.get("role")), ""),
            "Vad": audit.ACTIONS_SV.get(str(entry.get("what")), str(entry.get("what", ""))),
            "Fil": str(entry.get("file") or ""),
            "Innehåll (sha256)": str(entry.get("sha256") or "")[:16],
            "Detaljer": ", ".join(f"{k}: {v}" for k, v in detail.items()) if isinstance(detail, dict) else "",
        })
    return rows


def audit_panel(data_dir: Path) -> None:
    lines = audit.read_lines(data_dir)
    verdict = audit.verify_lines(lines)
    with st.expander(AUDIT_LABEL, expanded=not verdict.ok):
        st.caption("Vem som har loggat in och ändrat dokumenten, de senaste först. Hela loggen och en kontroll "
                   "av den: python -m ingest --audit.")
        if verdict.ok:
            st.caption(verdict.swedish())
        else:
            st.error(verdict.swedish())
        records = audit.parse(lines[-SHOWN:])
        if records:
            st.dataframe(audit_rows(records), hide_index=True, key="documents_audit")
