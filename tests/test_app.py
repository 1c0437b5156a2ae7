"""The chat through Streamlit's AppTest, on the real model and the real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DEFAULT_QUESTION, REPO

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    return at


def test_first_start_ingests_then_answers_with_sources(app: AppTest) -> None:
    assert not app.exception
    assert app.sidebar.metric[0].value == "1"  # one document
    app.chat_input[0].set_value(DEFAULT_QUESTION).run()
    assert not app.exception
    assistant = [m for m in app.chat_message if m.name == "assistant"][-1]
    text = " ".join(md.value for md in assistant.markdown)
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in text and "\\[1\\]" in text  # literal
    labels = [e.label.replace("\\", "") for e in assistant.expander]
    assert labels[0].startswith("[1] Socialförvaltningens tjänsteutlåtande")
    assert "Ansvarsfördelning" in labels[0]
    assert "<mark>Kommunstyrelsen föreslås ansvara" in " ".join(md.value for md in assistant.expander[0].markdown)


def test_refusal_and_masked_personal_number(app: AppTest) -> None:
    app.chat_input[0].set_value("Vad kostar sophämtningen för 19121212-1212 i Stockholm?").run()
    assert not app.exception
    users = [m for m in app.chat_message if m.name == "user"]
    assert "19121212-1212" not in users[-1].markdown[0].value
    assert "\\[personnummer\\]" in users[-1].markdown[0].value  # shown literally
    assert app.warning and "Skriv inte personuppgifter" in app.warning[0].value
    assistant = [m for m in app.chat_message if m.name == "assistant"][-1]
    shown = " ".join(md.value for md in assistant.markdown)
    assert "Jag hittar inget svar på det i dokumenten." in shown
    assert "Kanske relevant" in shown  # the nearest passages, not as an answer
    assert "Socialförvaltningens tjänsteutlåtande" in shown.replace("\\", "")
