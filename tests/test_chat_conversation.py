"""A conversation in the chat (AppTest, real model, the default document): the follow-up
answered from the first question's topic, "Tolkat som" shown, the words as typed sent on
request, the copy text, the download and "Ny konversation"."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

FIRST = "Vad gäller för romska barn som omhändertas enligt LVU?"
FOLLOW_UP = "Och vem ska göra det?"


def _assistant_text(app: AppTest) -> str:
    last = [m for m in app.chat_message if m.name == "assistant"][-1]
    return " ".join(md.value for md in last.markdown).replace("\\", "")


def test_a_follow_up_in_the_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    app.run()
    app.chat_input[0].set_value(FIRST + " Gäller det 19121212-1212?").run()
    assert not app.exception
    app.chat_input[0].set_value(FOLLOW_UP).run()
    assert not app.exception
    text = _assistant_text(app)
    assert "Socialnämnden ska i samarbete med stadsdelarna" in text
    captions = " ".join(c.value for c in app.caption).replace("\\", "")
    assert "Tolkat som: Vem ska göra det – romska barn som omhändertas enligt LVU" in captions
    assert "19121212-1212" not in captions
    # The copy text: the answer and its numbered sources, masked.
    code = app.code[-1].value
    assert code.startswith(f"Fråga: {FOLLOW_UP}\nTolkat som: Vem ska göra det")
    assert "Källor:\n[1] Socialförvaltningens tjänsteutlåtande" in code and "Socialnämnden ska" in code
    # The whole conversation as plain text, masked.
    download = [b for b in app.get("download_button") if b.proto.label == "Ladda ner konversationen"]
    assert download
    # "Sök på mina ord": the follow-up asked alone, unchanged, without "Tolkat som".
    own = [b for b in app.button if b.label == "Sök på mina ord"]
    assert len(own) == 1
    own[0].click().run()
    assert not app.exception
    users = [m for m in app.chat_message if m.name == "user"]
    assert len(users) == 3 and users[-1].markdown[0].value == FOLLOW_UP
    assert "19121212-1212" not in users[0].markdown[0].value
    last = [m for m in app.chat_message if m.name == "assistant"][-1]
    assert not any("Tolkat som" in c.value for c in last.caption)
    # "Ny konversation" empties the conversation: a follow-up is then asked alone.
    [b for b in app.button if b.label == "Ny konversation"][0].click().run()
    assert not [m for m in app.chat_message]
    app.chat_input[0].set_value(FOLLOW_UP).run()
    assert not any("Tolkat som" in c.value for c in app.caption)
