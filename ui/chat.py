"""The chat page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import AssistantError
from core.store import LiveState
from retrieval.answer import answer_question
from retrieval.filters import DocFilter
from retrieval.querylog import log_question
from ui.feedback import REFUSAL_SHOWN, drafts_panel, feedback_buttons
from ui.filters import filter_controls
from ui.render import ShownAnswer, answer_record, literal, when
from ui.resources import ready
from ui.sources import link_markdown

MAYBE_RELEVANT = "Kanske relevant"
EXAMPLE = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"


def sidebar(state: LiveState) -> DocFilter:
    """The index's figures and the filters; returns what the filters select."""
    with st.sidebar:
        st.header("Dokumenten")
        latest = max((d.ingested_at for d in state.documents.values()), default=state.created)
        st.metric("Dokument", len(state.documents))
        st.metric("Avsnitt", state.chunk_count)
        st.caption(f"Senast inläst: {when(state.created)} (senaste dokumentet {when(latest)})")
        st.caption(f"Modell: {state.model_id}")
        st.subheader("Sök bara i")
        return filter_controls(state)


def show_answer(record: ShownAnswer) -> None:
    for warning in record.warnings:
        st.warning(literal(warning))
    if record.scope:
        st.caption(literal(record.scope))
    if record.refused:
        st.markdown(f"**{literal(record.text)}**")
        maybe_relevant(record)
        feedback_buttons(record)
        return
    st.markdown(literal(record.text))
    st.caption("Källor")
    for s in record.sources:
        label = f"[{s.n}] {s.title}" + (f" – {s.where}" if s.where else "")
        if s.validity:
            label += f" ({s.validity})"
        with st.expander(literal(label), expanded=False):
            st.markdown(f"<div lang='sv'>{s.html}</div>", unsafe_allow_html=True)
            st.caption(literal(f"Fil: {s.doc}"))
            st.markdown(link_markdown(s))
    feedback_buttons(record)


def maybe_relevant(record: ShownAnswer) -> None:
    """Under a refusal: the nearest passages, so staff can look themselves; shown as
    places to read, not as an answer."""
    if not record.sources:
        return
    with st.container(border=True):
        st.markdown(f"**{MAYBE_RELEVANT}**")
        st.caption("Inget av detta svarar säkert på frågan, men du kan läsa vidare här:")
        for s in record.sources[:REFUSAL_SHOWN]:
            st.markdown(literal(s.title) + (f" · {literal(s.where)}" if s.where else ""))
            st.caption(literal(f"”{s.excerpt}” – {s.doc}") + " · " + link_markdown(s))


def chat_page() -> None:
    st.title("Fråga dokumenten")
    st.caption("Svaren citerar dokumenten ordagrant, med källa. Skriv inga personuppgifter i frågan.")
    got = ready()
    if got is None:
        return
    res, state = got
    docs = sidebar(state)
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    if not messages:
        st.info(f"Exempel: *{EXAMPLE}*")
    for message in messages:
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(literal(message["content"]))
            else:
                show_answer(message["answer"])
    drafts_panel(messages)
    question = st.chat_input("Skriv din fråga här …")
    if not question:
        return
    try:
        with st.spinner("Söker i dokumenten …"):
            answer = answer_question(question, res.searcher, res.calibration, k=res.settings.top_k, docs=docs)
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    record = answer_record(answer)
    log_question(res.settings.data_dir, answer.question, answer.refused, res.settings.log_questions)
    # The history keeps the masked question only.
    messages.append({"role": "user", "content": answer.question})
    messages.append({"role": "assistant", "answer": record})
    with st.chat_message("user"):
        st.markdown(literal(answer.question))
    with st.chat_message("assistant"):
        show_answer(record)
