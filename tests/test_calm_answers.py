"""Calmer answers (issue #16): only the quoted sources by default, short titles, no
technical figures for staff, the validity note with what to do, document Markdown shown as
written, and a conversation that stays in place when the next question is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DEFAULT_QUESTION, REPO
from ui.render import highlight_html, html_text, literal, short_title

LONG_TITLE = ("Socialförvaltningens tjänsteutlåtande: Stockholms stads strategi för romsk inkludering "
              "2018–2022 (remissvar)\nBilaga 2 till ärende 1.2")
IMAGE = "![spårning](http://tracker.example/pixel.png)"
LINK = "[klicka här](http://phish.example/login)"


def test_html_text_keeps_markdown_as_written() -> None:
    text = f"Se {IMAGE} och {LINK}, *inte kursiv* _2024_ $5$ <b>fet</b> & `kod`."
    shown = html_text(text)
    for active in ("![", "](", "*", "_", "$", "<b>", "`"):
        assert active not in shown
    assert "&lt;b&gt;" in shown and "&amp;" in shown
    marked = highlight_html(text, [(0, 3)])
    assert marked.startswith("<mark>Se </mark>") and "](" not in marked
    # a list item written with "*" still starts its own line
    assert highlight_html("Så här:\n* ett\n* två", []) == "Så här:<br>&#42; ett<br>&#42; två"


def test_short_title() -> None:
    short = short_title(LONG_TITLE)
    assert len(short) <= 80 and short.endswith(" …") and LONG_TITLE.startswith(short[:-2])
    assert "Bilaga" not in short  # the first line only
    assert short_title("Kort titel") == "Kort titel"
    assert short_title("\n  Rad två\nRad tre") == "Rad två"


def _page() -> None:
    from tests.test_calm_answers import IMAGE, LINK, LONG_TITLE
    from ui.chat import show_answer
    from ui.render import ShownAnswer, ShownSource, highlight_html

    def src(n: int, quoted: bool, title: str, text: str) -> ShownSource:
        spans = [(0, len(text))] if quoted else []
        return ShownSource(n, f"dok_{n}_2024_.md", title, None, None, None, text, highlight_html(text, spans),
                           quoted, "gällde 2018–2022, har upphört" if n == 2 else "")

    sources = (
        src(1, False, "Första ![bild](http://tracker.example/t.png)", "Inte citerad passage."),
        src(2, True, LONG_TITLE, f"Citerad passage med {IMAGE} och {LINK}."),
        src(3, False, "Tredje", "Också inte citerad."),
    )
    show_answer(ShownAnswer("fråga", f"Citerad passage med {IMAGE} och {LINK}. [2]", False, sources,
                            warnings=("Strategin gällde 2018–2022. Kontrollera om den har ersatts.",),
                            feedback_id="fast"))  # as the session keeps it: the same across reruns


def test_only_the_quoted_sources_are_shown_until_asked() -> None:
    at = AppTest.from_function(_page).run()
    assert not at.exception
    labels = [e.label for e in at.expander if e.label.startswith("\\[")]
    assert labels == [literal("[2] " + short_title(LONG_TITLE) + " (gällde 2018–2022, har upphört)")]
    source = next(e for e in at.expander if e.label.startswith("\\[2\\]"))
    captions = " ".join(c.value for c in source.caption)
    assert literal("Dokument: " + " ".join(LONG_TITLE.split())) in captions  # the full title, inside
    assert literal("Fil: dok_2_2024_.md") in captions  # as text, not italics
    passage = source.markdown[0].value
    assert "](" not in passage and "![" not in passage  # nothing to fetch or follow
    assert "http://tracker.example/pixel.png" in passage  # the address is shown as written
    answer = at.markdown[0].value
    assert answer.startswith("Citerad passage med \\!\\[") or "\\[spårning\\]" in answer
    assert [w.value for w in at.warning] == ["Strategin gällde 2018–2022. Kontrollera om den har ersatts."]

    more = at.toggle[0]
    assert more.label == "Visa fler källor (2)" and not more.value
    more.set_value(True).run()
    labels = [e.label.replace("\\", "") for e in at.expander if e.label.startswith("\\[")]
    assert [label[:3] for label in labels] == ["[2]", "[1]", "[3]"]
    assert labels[1] == "[1] Första ![bild](http://tracker.example/t.png)"  # escaped in the label


def _chat_messages(node: Any, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    for index, child in getattr(node, "children", {}).items():
        here = (*path, index)
        if getattr(child, "type", "") == "chat_message":
            yield here, child
        else:
            yield from _chat_messages(child, here)


@pytest.mark.slow
def test_the_chat_shows_staff_no_technical_details_and_keeps_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception
    assert [m.label for m in at.sidebar.metric] == ["Dokument"]  # no "Avsnitt"
    sidebar_text = " ".join(c.value for c in at.sidebar.caption)
    assert "Modell" not in sidebar_text and "e5" not in sidebar_text

    at.chat_input[0].set_value(DEFAULT_QUESTION).run()
    assert not at.exception
    first = [(path, m.name) for path, m in _chat_messages(at._tree)]
    assert [name for _, name in first] == ["user", "assistant"]
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert "Strategin gällde 2018–2022. Kontrollera om den har ersatts." in [w.value for w in assistant.warning]
    sources = [e for e in assistant.expander if e.label.startswith("\\[")]
    assert sources and all("<mark>" in e.markdown[0].value for e in sources)  # each one shown is quoted

    at.chat_input[0].set_value("Vilka år gäller strategin?").run()
    assert not at.exception
    second = [(path, m.name) for path, m in _chat_messages(at._tree)]
    # The earlier exchange is drawn where it was: Streamlit keeps the last run's elements on
    # screen until this run reaches their place, so a moved history would briefly show twice.
    assert second[:2] == first and [name for _, name in second] == ["user", "assistant"] * 2
