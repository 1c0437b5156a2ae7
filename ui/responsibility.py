"""The page "Ansvar": every statement of responsibility found at ingest — actor,
measure, document and page — filterable by actor and document; each row opens its
passage. A file-based page (see ui/documents.py for why)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import AssistantError
from core.store import LiveState, read_live
from core.wording import citation
from ui.render import literal
from ui.resources import resources

COLUMNS = ["Aktör", "Åtgärd", "Dokument", "Sida"]


def rows(state: LiveState) -> list[dict[str, Any]]:
    """One row per (actor, statement), in document order."""
    out = []
    for info in sorted(state.documents.values(), key=lambda d: d.title):
        for r in info.statements:
            out.append({
                "Aktör": r.actor, "Åtgärd": r.measure, "Dokument": info.title,
                "Sida": r.page if r.page is not None else "", "doc": info.doc,
                "mening": r.sentence,
            })
    return out


def filtered(all_rows: list[dict[str, Any]], actors: list[str], docs: list[str]) -> list[dict[str, Any]]:
    return [r for r in all_rows if (not actors or r["Aktör"] in actors) and (not docs or r["Dokument"] in docs)]


def page() -> None:
    st.title("Ansvar")
    st.caption("Vem ska göra vad enligt dokumenten. Uppgifterna hämtas ur dokumenten vid inläsningen; "
               "kontrollera alltid mot meningen i källan.")
    try:
        state = read_live(resources().searcher.client)
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    if state is None:
        st.info("Det finns inget index ännu. Öppna sidan Fråga eller läs in dokumenten.")
        return
    all_rows = rows(state)
    if not all_rows:
        st.info("Inga ansvarsuppgifter hittades i dokumenten.")
        return
    left, right = st.columns(2)
    actors = left.multiselect("Aktör", sorted({r["Aktör"] for r in all_rows}), placeholder="Alla aktörer")
    docs = right.multiselect("Dokument", sorted({r["Dokument"] for r in all_rows}), placeholder="Alla dokument")
    shown = filtered(all_rows, actors, docs)
    st.caption(f"{len(shown)} av {len(all_rows)} uppgifter")
    st.dataframe([{c: r[c] for c in COLUMNS} for r in shown], hide_index=True, use_container_width=True)
    st.subheader("Meningarna i dokumenten")
    for r in shown[:200]:
        where = citation(r["Sida"] if r["Sida"] != "" else None)
        with st.expander(literal(f"{r['Aktör']}: {r['Åtgärd'][:90]}")):
            st.markdown(f"> {literal(r['mening'])}")
            st.caption(literal(f"{r['Dokument']}{', ' + where if where else ''} ({r['doc']})"))


if __name__ == "__main__":
    page()
