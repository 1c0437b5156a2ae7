"""Thumbs up/down on the chat's answers, and draft evaluation lines from thumbs-down.

A thumbs-down can be exported as a draft line of an evaluation set (the format of
evaluation/evalset.py) for testers to complete:

    {"id": "utkast-<hash>", "question": <masked question>, "relevant": [], "type": "utkast",
     "shown": [{"doc", "title", "page", "section", "contains"}], "note": NOTE,
     "reason": "" | a key of REASONS, "comment": <masked free text, or "">}

Only the question (masked again here, defensively), the passages shown and what the user
said was wrong (a reason from the list, and a short free text, masked) go into a draft.
`shown`, `note`, `reason` and `comment` are not fields of the evaluation format: a tester
fills in `relevant`, sets `type` and removes them before the line is used.

A thumbs-down is kept at once; the reason, when given, is kept as a second line with the
same id (the later line of an id is the more complete one).

The first part of this module is plain functions (tested in tests/test_feedback.py);
the last part is the Streamlit widgets the chat uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from core import retention
from core.privacy import mask_personal_data
from core.retention import append_jsonl
from ui.render import ShownAnswer

DRAFT_TYPE = "utkast"
NOTE = "Fyll i relevant: välj doc och en fras ur rätt passage"
CONTAINS_WORDS = 8
FEEDBACK_FILE = retention.FEEDBACK_FILE
THUMBS_DOWN = 0  # st.feedback("thumbs") gives 0 for down, 1 for up
REFUSAL_SHOWN = 3  # the chat lists this many nearest documents under a refusal (ui/chat.py)

# What a thumbs-down can say was wrong: the key kept in a draft, and the label staff see.
REASONS = {
    "fel_kalla": "Fel källa",
    "svaret_saknas": "Svaret saknas",
    "ofullstandigt": "Ofullständigt",
    "borde_ha_vagrat": "Borde ha vägrat",
    "annat": "Annat",
}
REASON_QUESTION = "Vad var fel?"
COMMENT_LABEL = "Beskriv gärna med egna ord (skriv inga personuppgifter)"
COMMENT_CHARS = 500
SEND_LABEL = "Skicka"
RECEIVED = "Tack! Din återkoppling är mottagen."
RECEIVED_THUMB = "Tack, tummen ned är mottagen. Berätta gärna vad som var fel, så blir svaren bättre."

_KEY_PREFIX = "feedback_"  # + the answer's feedback id: the st.feedback widget
_REASONS_KEY = "feedback_reasons"  # answer's feedback id -> {"reason", "comment"} (masked)
_DRAFTS_KEY = "feedback_drafts"  # the session's thumbs-down drafts (list of dicts), for tests and reuse
_SAVED_KEY = "feedback_saved"  # ids of drafts already appended to the feedback file
_GIVEN_KEY = "feedback_given"  # answer's feedback id -> the thumb given: kept when its widget is no longer drawn
_RETIRED_KEY = "feedback_retired"  # drafts of answers the chat no longer holds (a long session), oldest first
MAX_RETIRED = 200


# --- Plain functions ----------------------------------------------------------------


def mask(text: str) -> str:
    """The text with personal data replaced by placeholders (core.privacy)."""
    return mask_personal_data(text).text


def first_words(text: str, n: int = CONTAINS_WORDS) -> str:
    """The first `n` words of `text`, whitespace made single."""
    return " ".join(text.split()[:n])


def draft_id(question: str, shown: Sequence[Mapping[str, Any]]) -> str:
    """A short, stable id from the masked question and the passages shown."""
    key = json.dumps([question, [[s.get("doc"), s.get("contains")] for s in shown]], ensure_ascii=False)
    return f"{DRAFT_TYPE}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def draft_line(record: ShownAnswer, reason: str = "", comment: str = "") -> dict[str, Any]:
    """A draft evaluation line from an answer the chat showed, with what was wrong (a key of
    REASONS, and the user's words, masked), if said."""
    question = mask(record.question)
    sources = record.sources[:REFUSAL_SHOWN] if record.refused else record.sources
    shown = [
        {"doc": s.doc, "title": s.title, "page": s.page, "section": s.section,
         # Document text, not typed by the user; masked all the same.
         "contains": mask(first_words(s.text))}
        for s in sources
    ]
    return {"id": draft_id(question, shown), "question": question, "relevant": [], "type": DRAFT_TYPE,
            "shown": shown, "note": NOTE, **said(reason, comment)}


def said(reason: str, comment: str) -> dict[str, str]:
    """The reason (a key of REASONS, else "") and the comment, masked and shortened."""
    return {"reason": reason if reason in REASONS else "", "comment": mask(" ".join(comment.split())[:COMMENT_CHARS])}


def sanitised(draft: Mapping[str, Any]) -> dict[str, Any]:
    """A draft with only its known fields and the question masked (again)."""
    shown = [
        {"doc": s.get("doc"), "title": s.get("title"), "page": s.get("page"), "section": s.get("section"),
         "contains": mask(str(s.get("contains") or ""))}
        for s in draft.get("shown") or []
    ]
    return {"id": str(draft.get("id") or ""), "question": mask(str(draft.get("question") or "")),
            "relevant": [], "type": DRAFT_TYPE, "shown": shown, "note": NOTE,
            **said(str(draft.get("reason") or ""), str(draft.get("comment") or ""))}


def _line_key(draft: Mapping[str, Any]) -> tuple[str, str, str]:
    """What makes a line new: its id, and what was said about it."""
    return str(draft.get("id")), str(draft.get("reason") or ""), str(draft.get("comment") or "")


def unique(drafts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Drafts with the first of each id and reason kept (an id is a hash of the content)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for draft in drafts:
        if _line_key(draft) not in seen:
            seen.add(_line_key(draft))
            out.append(dict(draft))
    return out


def to_jsonl(drafts: Iterable[Mapping[str, Any]]) -> str:
    """JSON Lines, one sanitised draft a line."""
    return "".join(json.dumps(sanitised(d), ensure_ascii=False) + "\n" for d in drafts)


def append_drafts(path: Path, drafts: Iterable[Mapping[str, Any]]) -> int:
    """Append the drafts (sanitised) whose ids, with what was said, are not in the file yet;
    returns how many were written. Creates the file and its folder."""
    existing: set[tuple[str, str, str]] = set()
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                existing.add(_line_key(sanitised(json.loads(line))))
            except (json.JSONDecodeError, AttributeError):
                continue
    new = [d for d in unique(sanitised(d) for d in drafts) if _line_key(d) not in existing]
    if not new:
        return 0
    stamp = round(time.time())  # for the retention (ASSISTANT_RETENTION_DAYS)
    data = "".join(json.dumps({**sanitised(d), "t": stamp}, ensure_ascii=False) + "\n" for d in new)
    append_jsonl(path, data.encode("utf-8"))  # one write: lines of concurrent sessions do not interleave
    return len(new)


def drafts_of(messages: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Drafts for the assistant messages whose feedback (in `values`, by widget key, or as
    kept for an answer whose thumbs are no longer drawn) is thumbs-down, in chat order,
    each with the reason given for it."""
    reasons: Mapping[str, Mapping[str, str]] = values.get(_REASONS_KEY) or {}
    drafts = []
    for message in messages:
        record = message.get("answer")
        if message.get("role") != "assistant" or not isinstance(record, ShownAnswer):
            continue
        kept = (values.get(_GIVEN_KEY) or {}).get(record.feedback_id)
        if values.get(_KEY_PREFIX + record.feedback_id, kept) == THUMBS_DOWN:
            given = reasons.get(record.feedback_id) or {}
            drafts.append(draft_line(record, given.get("reason", ""), given.get("comment", "")))
    return unique(drafts)


# --- Streamlit widgets ----------------------------------------------------------------


def _on_feedback(key: str, record: ShownAnswer, data_dir: str | None) -> None:
    st.session_state.setdefault(_GIVEN_KEY, {})[record.feedback_id] = st.session_state.get(key)
    if st.session_state.get(key) != THUMBS_DOWN:
        return
    _keep(draft_line(record), data_dir)


def _keep(draft: dict[str, Any], data_dir: str | None) -> None:
    """Append the draft to the feedback file (once per session and reason)."""
    saved: set[tuple[str, str, str]] = st.session_state.setdefault(_SAVED_KEY, set())
    if data_dir is None or _line_key(draft) in saved:
        return
    try:
        append_drafts(Path(data_dir) / FEEDBACK_FILE, [draft])
    except OSError:
        return  # the session's download still has it
    saved.add(_line_key(draft))


def _on_reason(record: ShownAnswer, data_dir: str | None) -> None:
    fid = record.feedback_id
    given = said(str(st.session_state.get(f"feedback_reason_{fid}") or ""),
                 str(st.session_state.get(f"feedback_comment_{fid}") or ""))
    st.session_state[f"feedback_comment_{fid}"] = ""  # the typed words are not kept, only the masked ones
    st.session_state.setdefault(_REASONS_KEY, {})[fid] = given
    _keep(draft_line(record, **given), data_dir)


def _feedback_dir() -> Path | None:
    """Where thumbs-down drafts are kept: the data folder, but only when question logging
    is enabled (ASSISTANT_LOG_QUESTIONS=1); otherwise question text is never stored."""
    from ui.resources import resources

    try:
        settings = resources().settings
    except Exception:  # the chat reports resource errors itself
        return None
    return settings.data_dir if settings.log_questions else None


def feedback_buttons(record: ShownAnswer, data_dir: Path | None = None) -> None:
    """Thumbs up/down under an answer. A thumbs-down is also appended (masked) to
    data_dir/feedback.jsonl: `data_dir` if given, else the data folder when question
    logging is enabled."""
    data_dir = data_dir or _feedback_dir()
    key = _KEY_PREFIX + record.feedback_id  # made with the record: stable across reruns
    where = os.fspath(data_dir) if data_dir else None
    st.feedback("thumbs", key=key, on_change=_on_feedback, args=(key, record, where))
    if st.session_state.get(key) == THUMBS_DOWN:
        reason_form(record, where)


def reason_form(record: ShownAnswer, data_dir: str | None) -> None:
    """After a thumbs-down: what was wrong (a reason and, if wanted, a few words), and a
    confirmation once it is received."""
    fid = record.feedback_id
    given = (st.session_state.get(_REASONS_KEY) or {}).get(fid)
    if given is not None:
        st.success(RECEIVED, icon=":material/check_circle:")
        return
    st.caption(RECEIVED_THUMB)
    options = [k for k in REASONS if not (record.refused and k == "borde_ha_vagrat")]
    with st.form(f"feedback_form_{fid}", border=True):
        st.radio(REASON_QUESTION, options, format_func=REASONS.__getitem__, index=None, horizontal=True,
                 key=f"feedback_reason_{fid}")
        st.text_input(COMMENT_LABEL, max_chars=COMMENT_CHARS, key=f"feedback_comment_{fid}")
        st.form_submit_button(SEND_LABEL, on_click=_on_reason, args=(record, data_dir))


def retire_drafts(gone: Sequence[Mapping[str, Any]]) -> None:
    """The chat lets go of these messages: keep their thumbs-down drafts (at most
    MAX_RETIRED, the latest) and forget what was kept per answer."""
    values = {k: st.session_state[k] for k in (_GIVEN_KEY, _REASONS_KEY) if k in st.session_state}
    retired = st.session_state.setdefault(_RETIRED_KEY, [])
    retired += drafts_of(gone, values)
    del retired[:-MAX_RETIRED]
    for message in gone:
        record = message.get("answer")
        if isinstance(record, ShownAnswer):
            for key in (_GIVEN_KEY, _REASONS_KEY):
                (st.session_state.get(key) or {}).pop(record.feedback_id, None)


def forget_drafts() -> None:
    """A new conversation: the drafts of the one before leave the sidebar."""
    for key in (_GIVEN_KEY, _RETIRED_KEY):
        st.session_state.pop(key, None)


def drafts_panel(messages: Sequence[Mapping[str, Any]]) -> None:
    """In the sidebar: download of the session's thumbs-down drafts (JSON Lines)."""
    values = {k: v for k, v in st.session_state.items() if isinstance(k, str) and k.startswith(_KEY_PREFIX)}
    drafts = unique([*st.session_state.get(_RETIRED_KEY, []), *drafts_of(messages, values)])
    st.session_state[_DRAFTS_KEY] = drafts
    if not drafts:
        return
    with st.sidebar:
        st.subheader("Återkoppling")
        st.download_button(
            f"Ladda ner utkast till utvärderingen ({len(drafts)})", data=to_jsonl(drafts),
            file_name="utkast-utvardering.jsonl", mime="application/jsonl", on_click="ignore",
            key="feedback_download",
            help="Frågorna du gav tummen ned, maskerade, med passagerna som visades och vad som var fel. "
                 "Fyll i ”relevant” och ”type” och ta bort ”shown”, ”note”, ”reason” och ”comment” "
                 "innan raden används.",
        )
