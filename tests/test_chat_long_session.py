"""A long session in the chat (AppTest, real model, the repository's one-document corpus):
what a rerun draws and what the session holds stop growing. Only the latest SHOWN_IN_FULL
exchanges are drawn in full, older ones are one line each in "Tidigare frågor", the
session holds the latest KEPT (with a Swedish note once older ones are let go), and a
thumbs-down on an answer no longer drawn or held stays in the drafts' download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.chat
from tests.conftest import REPO
from ui.feedback import THUMBS_DOWN

pytestmark = pytest.mark.slow

QUESTIONS = [json.loads(line)["question"]
             for line in (REPO / "eval" / "default.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
SHOWN, KEPT, ASKED = 3, 6, 14


def test_a_long_session_draws_and_holds_a_bounded_conversation(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    monkeypatch.setattr(ui.chat, "SHOWN_IN_FULL", SHOWN)
    monkeypatch.setattr(ui.chat, "KEPT", KEPT)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    drawn: list[tuple[int, int, int, int]] = []  # (chat messages, feedback widgets, code blocks, messages held)
    for i in range(ASKED):
        at.chat_input[0].set_value(QUESTIONS[i]).run()
        assert not at.exception, [e.value for e in at.exception]
        held = at.session_state["messages"]
        drawn.append((len(at.chat_message), len(at.feedback), len(at.get("code")), len(held)))
        if i == 1:
            at.feedback[0].set_value(THUMBS_DOWN).run()  # on the first answer: drawn now, let go later
    # Drawn in full: the latest SHOWN (plus the new one in the run that asked it); never more.
    assert max(d[0] for d in drawn) <= 2 * (SHOWN + 1) and max(d[1] for d in drawn) <= SHOWN + 1
    assert drawn[-1][:2] == drawn[SHOWN + 2][:2], "as many elements at the end as once the window was full"
    # Held: the latest KEPT exchanges.
    assert [d[3] for d in drawn][-4:] == [2 * KEPT] * 4
    held = at.session_state["messages"]
    assert [m["content"] for m in held if m["role"] == "user"] == QUESTIONS[ASKED - KEPT:ASKED]
    # The exchanges held but not drawn in full: one line each, behind an expander.
    [earlier] = [e for e in at.expander if e.label.startswith(ui.chat.EARLIER)]
    assert earlier.label == f"{ui.chat.EARLIER} ({KEPT - SHOWN})"
    listed = earlier.markdown[0].value.replace("\\", "")
    assert f"{ASKED - KEPT + 1}. **{QUESTIONS[ASKED - KEPT]}" in listed
    assert QUESTIONS[ASKED - SHOWN] not in listed  # drawn in full below, not listed
    # The note: older answers are no longer kept, and how to start over.
    note = ui.chat.DROPPED_NOTE.format(kept=KEPT, dropped=ASKED - KEPT)
    assert note in [c.value for c in at.caption] and "Ny konversation" in note
    # The download holds what the session holds.
    download = next(b for b in at.get("download_button") if b.proto.label == "Ladda ner konversationen")
    assert download is not None
    assert ui.chat.conversation_text(held).count("\nFråga: ") == KEPT
    # The thumbs-down on the first answer (let go since) is still among the drafts.
    drafts = at.session_state["feedback_drafts"]
    assert [d["question"] for d in drafts] == [QUESTIONS[0]]
    assert [b.label for b in at.sidebar.download_button] == ["Ladda ner utkast till utvärderingen (1)"]
    # "Ny konversation" starts over: nothing listed, no note, no drafts of the one before.
    next(b for b in at.button if b.label == ui.chat.NEW_CONVERSATION).click().run()
    assert not at.chat_message and not at.expander
    assert not any("Samtalet är långt" in c.value for c in at.caption)
    assert not at.session_state["feedback_drafts"]
