"""The chat page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.errors import AssistantError
from core.llm import LanguageModel
from core.records import Claim, Passage
from core.store import LiveState
from core.wording import chunk_citation
from retrieval.answer import Answer
from retrieval.conversation import Understood
from retrieval.filters import DocFilter
from retrieval.generate import GENERATED_LABEL, WRITING_NOTE, run_generation, with_generation
from retrieval.model_rewrite import rewriter_for
from retrieval.querylog import log_question
from retrieval.turn import ask_turn
from ui.feedback import REFUSAL_SHOWN, drafts_panel, feedback_buttons, forget_drafts, retire_drafts
from ui.filters import filter_controls
from ui.llm import configured_language_model
from ui.render import ShownAnswer, ShownSource, answer_record, excerpt, html_text, literal, short_title, when
from ui.resources import first_start_pending, ready
from ui.sources import link_markdown
from ui.take_away import COPY_LABEL, DOWNLOAD_LABEL, answer_text, conversation_text

MAYBE_RELEVANT = "Kanske relevant"
MORE_SOURCES = "Visa fler källor"
NEW_CONVERSATION = "Ny konversation"
INTERPRETED = "Tolkat som"
ANSWERS_PART = "Svarar på"
OWN_WORDS = "Sök på mina ord"
EARLIER = "Tidigare frågor"
EARLIER_NOTE = ("De senaste svaren visas i sin helhet nedanför; alla som listas här finns med när du laddar ner "
                "konversationen.")
DROPPED_NOTE = ("Samtalet är långt: sessionen sparar bara de {kept} senaste svaren, och {dropped} äldre finns inte "
                "längre här eller i nedladdningen. Tryck på ”Ny konversation” för att börja om.")
SHOWN_IN_FULL = 5  # the latest exchanges drawn in full (sources, copy, thumbs); older ones as one line each
KEPT = 50  # exchanges the session holds (the list, the download); older ones are let go
CONTEXT_TURNS = 10  # earlier questions a follow-up is understood against (the latest with a topic is used)
_DROPPED = "chat_dropped"  # how many exchanges this conversation has let go
_PENDING = "chat_own_words"
EXAMPLE = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
INTRO = "Svaren citerar dokumenten ordagrant, med källa. Skriv inga personuppgifter i frågan."
INTRO_MODEL = ("En språkmodell skriver svaren, och varje mening visas bara om ett citat ur dokumenten styrker den. "
               "Skriv inga personuppgifter i frågan.")


def sidebar(state: LiveState) -> DocFilter:
    """The index's figures and the filters; returns what the filters select."""
    with st.sidebar:
        st.header("Dokumenten")
        latest = max((d.ingested_at for d in state.documents.values()), default=state.created)
        st.metric("Dokument", len(state.documents))
        # No chunk count or model name: staff ask questions; the figures are on the Dokument page.
        st.caption(f"Senast inläst: {when(state.created)} (senaste dokumentet {when(latest)})")
        st.subheader("Sök bara i")
        return filter_controls(state)


def show_answer(record: ShownAnswer) -> None:
    for warning in record.warnings:
        st.warning(literal(warning))
    if record.scope:
        st.caption(literal(record.scope))
    understood(record)
    if record.refused:
        st.markdown(f"**{literal(record.text)}**")
        maybe_relevant(record)
        feedback_buttons(record)
        return
    for note in record.model_notes:
        st.info(literal(note), icon=":material/info:")
    if record.generated:
        generated_answer(record.generated, record.sources)
    else:
        st.markdown(literal(record.text))
    st.caption("Källor")
    cited, rest = cited_sources(record)
    for s in cited:
        source_expander(s)
    if rest and st.toggle(f"{MORE_SOURCES} ({len(rest)})", key=f"more-sources-{record.feedback_id}",
                          help="Passager som söktes fram men inte citeras i svaret."):
        for s in rest:
            source_expander(s)
    take_away(record)
    feedback_buttons(record)


def cited_sources(record: ShownAnswer) -> tuple[list[ShownSource], list[ShownSource]]:
    """The sources the answer quotes (shown), and the rest (behind "Visa fler källor");
    all are shown when none is marked as quoted."""
    cited_n = {c.n for c in record.generated}
    cited = [s for s in record.sources if s.quoted or s.n in cited_n]
    if not cited:
        return list(record.sources), []
    return cited, [s for s in record.sources if s not in cited]


def source_expander(s: ShownSource) -> None:
    """One source: its number, short title, place and validity; inside, the passage with
    the quoted sentences marked, the full title, the file and the link to the original."""
    label = f"[{s.n}] {short_title(s.title)}" + (f" – {s.where}" if s.where else "")
    if s.validity:
        label += f" ({s.validity})"
    with st.expander(literal(label), expanded=False):
        st.markdown(f"<div lang='sv'>{s.html}</div>", unsafe_allow_html=True)
        st.caption(literal(f"Dokument: {' '.join(s.title.split())}") + "  \n" + literal(f"Fil: {s.doc}"))
        st.markdown(link_markdown(s))


def generated_answer(claims: Sequence[Claim], sources: Sequence[ShownSource | Passage]) -> None:
    """A language model's sentences, marked as written by it, each with the quote of the
    passage that backs it (title and place) under it."""
    with st.container(border=True):
        st.caption(f":material/auto_awesome: {GENERATED_LABEL}")
        for claim in claims:
            st.markdown(literal(claim.text) + f" \\[{claim.n}\\]")
            source = sources[claim.n - 1] if 0 < claim.n <= len(sources) else None
            where = _where(source)
            st.markdown(f"<blockquote lang='sv' class='claim-quote'>”<mark>{html_text(claim.quote)}</mark>”"
                        f"<br><small>&#91;{claim.n}&#93; {html_text(where)}</small></blockquote>",
                        unsafe_allow_html=True)


def _where(source: ShownSource | Passage | None) -> str:
    if isinstance(source, ShownSource):
        return short_title(source.title) + (f" – {source.where}" if source.where else "")
    if isinstance(source, Passage):
        where = chunk_citation(source.chunk)
        return short_title(source.chunk.title) + (f" – {where}" if where else "")
    return ""


def stream_generated(answer: Answer, model: LanguageModel, passages: int) -> Answer:
    """The model's answer, shown sentence by sentence as each passes the check; the answer
    to keep: the verified sentences, or the extractive answer with a note."""
    box = st.empty()
    shown: list[Claim] = []

    def show(claim: Claim) -> None:
        shown.append(claim)
        with box.container():
            generated_answer(shown, answer.passages)

    with st.spinner(WRITING_NOTE):
        generation = run_generation(answer, model, on_claim=show, passages=passages)
    box.empty()  # drawn again with its sources (or taken back: the extractive answer)
    return with_generation(answer, generation)


def maybe_relevant(record: ShownAnswer) -> None:
    """Under a refusal: the nearest passages, so staff can look themselves; shown as
    places to read, not as an answer."""
    if not record.sources:
        return
    with st.container(border=True):
        st.markdown(f"**{MAYBE_RELEVANT}**")
        st.caption("Inget av detta svarar säkert på frågan, men du kan läsa vidare här:")
        for s in record.sources[:REFUSAL_SHOWN]:
            st.markdown(literal(short_title(s.title)) + (f" · {literal(s.where)}" if s.where else ""))
            st.caption(literal(f"”{s.excerpt}” – {s.doc}") + " · " + link_markdown(s))


def understood(record: ShownAnswer) -> None:
    """Which part of a pasted text was answered, and the complete question a follow-up
    was searched as, with a button that sends the words as typed, unchanged."""
    if record.part:
        st.caption(literal(f"{ANSWERS_PART}: {record.part}"))
    if record.interpreted:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.caption(literal(f"{INTERPRETED}: {record.interpreted}"))
        if right.button(OWN_WORDS, key=f"own-words-{record.feedback_id}",
                        help="Sök på frågan precis som du skrev den, utan de tidigare frågorna."):
            st.session_state[_PENDING] = record.question


def take_away(record: ShownAnswer) -> None:
    """The answer and its numbered sources as plain text, with the copy button of st.code
    (Streamlit has no clipboard call of its own; this one works in the browser)."""
    with st.expander(COPY_LABEL, expanded=False, icon=":material/content_copy:"):
        st.caption("Klicka på kopieringsknappen uppe till höger i rutan och klistra in i din anteckning.")
        st.code(answer_text(record), language=None, wrap_lines=True)


def conversation_tools(messages: list[dict[str, Any]]) -> None:
    """Above the conversation: start a new one, and download the conversation (the
    exchanges the session holds: the latest KEPT; the text is built when clicked)."""
    if not messages:
        return
    left, right = st.columns(2)
    if left.button(NEW_CONVERSATION, icon=":material/add_comment:", key="new_conversation"):
        messages.clear()
        st.session_state.pop(_PENDING, None)
        st.session_state.pop(_DROPPED, None)
        forget_drafts()
        st.rerun()
    held = list(messages)  # as shown now; built into text only when the button is pressed
    right.download_button(DOWNLOAD_LABEL, data=lambda: conversation_text(held).encode("utf-8"),
                          file_name="konversation.txt", mime="text/plain", on_click="ignore",
                          icon=":material/download:", key="conversation_download")


def exchanges(messages: Sequence[dict[str, Any]]) -> list[tuple[str, ShownAnswer]]:
    """The conversation as (question as asked, its answer), oldest first."""
    out = []
    for message in messages:
        if message.get("role") == "assistant" and isinstance(message.get("answer"), ShownAnswer):
            record: ShownAnswer = message["answer"]
            out.append((record.question, record))
    return out


def earlier_list(messages: Sequence[dict[str, Any]], dropped: int) -> None:
    """The exchanges before the latest SHOWN_IN_FULL, one line each (question, and the start
    of the answer) behind an expander."""
    older = exchanges(messages)[:-SHOWN_IN_FULL]
    if not older:
        return
    with st.expander(f"{EARLIER} ({len(older)})", expanded=False, icon=":material/history:"):
        st.caption(EARLIER_NOTE)
        lines = [f"{i}. **{literal(excerpt(question, 160))}**  \n{literal(excerpt(record.text, 200))}"
                 for i, (question, record) in enumerate(older, start=dropped + 1)]
        st.markdown("\n".join(lines))


def dropped_note(slot: DeltaGenerator) -> None:
    """Once older exchanges are let go: how many, and how to start over."""
    dropped = st.session_state.get(_DROPPED, 0)
    if dropped:
        slot.caption(DROPPED_NOTE.format(kept=KEPT, dropped=dropped))


def let_go(messages: list[dict[str, Any]]) -> None:
    """Keep the latest KEPT exchanges in the session; count those let go (their
    thumbs-down drafts stay in the sidebar's download)."""
    excess = len(messages) - 2 * KEPT
    if excess <= 0:
        return
    gone = messages[:excess]
    del messages[:excess]
    retire_drafts(gone)
    st.session_state[_DROPPED] = st.session_state.get(_DROPPED, 0) + len(exchanges(gone))


def _answer_turn(heard: Understood, answer: Answer, model: LanguageModel | None, passages: int,
                 alone: bool) -> tuple[ShownAnswer, Answer]:
    """The new question and its answer (written by the model when one is configured)."""
    if not alone:
        with st.chat_message("user"):
            st.markdown(literal(heard.asked))
    with st.chat_message("assistant") if not alone else st.container():
        if model is not None and not answer.refused:  # our refusal comes first: no model is asked
            answer = stream_generated(answer, model, passages)
        record = answer_record(answer, understood=heard)
        if not alone:
            show_answer(record)
    return record, answer


def chat_page() -> None:
    st.title("Fråga dokumenten")
    got = ready()
    if got is None:
        if first_start_pending():  # where it will be, usable once the index exists
            st.chat_input("Skriv din fråga här …", disabled=True)
        return
    res, state = got
    model = configured_language_model(res.settings)
    st.caption(INTRO_MODEL if model is not None else INTRO)
    docs = sidebar(state)
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    # Slots in the same place in every run: the example (or the conversation tools), the
    # earlier exchanges in one line each, and the latest ones in full, each exchange in its
    # own container, then the new one. Streamlit keeps an element of the last run on screen
    # until this run draws its position: an exchange is drawn where it was drawn as the new
    # one, and once the latest ones move up by one, the new one's slot is emptied before
    # anything is drawn, so the previous answer never shows twice while the next is searched.
    top, older, conversation = st.container(), st.container(), st.container()
    with top:
        if not messages:
            st.info(f"Exempel: *{EXAMPLE}*")
        conversation_tools(messages)
    with older:
        note = st.empty()
        dropped_note(note)
        earlier_list(messages, st.session_state.get(_DROPPED, 0))
    with conversation:
        window = messages[-2 * SHOWN_IN_FULL:]
        pairs = [window[i:i + 2] for i in range(0, len(window), 2)]
        slots = [st.container() for _ in pairs]
        new_turn = st.empty()
        for slot, pair in zip(slots, pairs, strict=True):
            with slot:
                for message in pair:
                    with st.chat_message(message["role"]):
                        if message["role"] == "user":
                            st.markdown(literal(message["content"]))
                        else:
                            show_answer(message["answer"])
    drafts_panel(messages)
    typed = st.chat_input("Skriv din fråga här …")
    own_words = st.session_state.pop(_PENDING, None)  # "Sök på mina ord": asked alone, unchanged
    question = typed or own_words
    if not question:
        return
    earlier = [] if own_words and not typed else [
        record.history_question for _, record in exchanges(messages)[-CONTEXT_TURNS:]]
    try:
        with st.spinner("Söker i dokumenten …"):
            turn = ask_turn(question, earlier, res.searcher, res.calibration, k=res.settings.top_k,  # masks first
                            rewriter=rewriter_for(res.settings, model), docs=docs)
            heard, answer = turn.understood, turn.answer
    except AssistantError as err:
        st.error(err.swedish_message())
        return
    alone = bool(own_words and not typed)  # drawn with the rest of the conversation, below its answer
    with new_turn.container():
        record, answer = _answer_turn(heard, answer, model, res.settings.llm_passages, alone)
    log_question(res.settings.data_dir, heard.asked, answer.refused, res.settings.log_questions,
                 [c.text for c in answer.generated])
    # The history keeps the masked question only (and the model's answer only in the session).
    messages.append({"role": "user", "content": heard.asked})
    messages.append({"role": "assistant", "answer": record})
    let_go(messages)
    dropped_note(note)  # the count as it is after this turn
    if alone:
        st.rerun()
