"""The chat's filters in the sidebar: kind of document, issuer, only documents in force."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.groups import ISSUER_GROUPS, KIND_GROUPS
from core.store import LiveState
from retrieval.filters import DocFilter, group_counts


def filter_controls(state: LiveState, prefix: str = "filter", today: dt.date | None = None) -> DocFilter:
    """The multiselects "Dokumenttyp" and "Utfärdare" (the groups the index holds, with
    how many documents each) and the checkbox "Bara gällande dokument"; what they select.
    `prefix`: of the widget keys, one per page."""
    kinds_key, issuers_key, valid_key = f"{prefix}_kinds", f"{prefix}_issuers", f"{prefix}_valid_only"
    kinds, issuers = group_counts(state.documents)
    kinds.pop("", None)
    issuers.pop("", None)
    if not kinds:
        st.caption("Filtren finns när dokumenten har lästs in på nytt.")
        return DocFilter()
    for key, present in ((kinds_key, kinds), (issuers_key, issuers)):  # a group gone since the last ingest
        if key in st.session_state:
            st.session_state[key] = [k for k in st.session_state[key] if k in present]
    chosen_kinds = st.multiselect(
        "Dokumenttyp", list(kinds), key=kinds_key, placeholder="Alla typer",
        format_func=lambda k: f"{KIND_GROUPS[k]} ({kinds[k]})",
    )
    chosen_issuers = st.multiselect(
        "Utfärdare", list(issuers), key=issuers_key, placeholder="Alla utfärdare",
        format_func=lambda k: f"{ISSUER_GROUPS[k]} ({issuers[k]})",
    )
    day = today or dt.date.today()
    in_force = DocFilter(valid_only=True).allowed(state.documents, day)
    valid_only = st.checkbox(
        "Bara gällande dokument", key=valid_key,
        help=f"Utan dokument vars giltighetstid har gått ut eller som har ersatts ({len(in_force)} av "
             f"{len(state.documents)} dokument gäller).",
    )
    return DocFilter.of(chosen_kinds, chosen_issuers, valid_only)
