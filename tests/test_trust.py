"""Issue «Answers staff can trust»: who is responsible, validity, no personal data."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.embedders import HashingEmbedder
from core.settings import load_settings
from core.store import open_client, read_live
from ingest.pipeline import run_ingest
from retrieval.answer import answer_question
from retrieval.querylog import LOG_FILE, log_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from retrieval.trust import asks_who_is_responsible
from tests.conftest import REPO


@pytest.mark.parametrize(("question", "who"), [
    ("Vem ansvarar för uppföljningen av strategin?", True),
    ("Vilken nämnd ansvarar för att genomföra strategin?", True),
    ("Vem ska sprida I bemötandet tar framtiden form?", True),
    ("vilka nämnder ska genomföra strategin", True),
    ("Who is responsible for the follow-up?", True),
    ("Vilka år gäller strategin?", False),
    ("Vad är romsk inkludering?", False),
    ("Vilka rättighetsområden bygger strategin på?", False),
    ("Vilka insatser ska genomföras?", False),
])
def test_responsibility_questions_are_recognised(question: str, who: bool) -> None:
    assert asks_who_is_responsible(question) is who


@pytest.fixture
def searcher(default_searcher: Searcher) -> Searcher:
    return default_searcher


@pytest.mark.slow
@pytest.mark.parametrize(("question", "actors", "named", "sentence"), [
    ("Vem ansvarar för uppföljningen av strategin?", ("Kommunstyrelsen",), "Kommunstyrelsen",
     "Kommunstyrelsen föreslås ansvara för kommunikation, samordning och uppföljning av strategin."),
    ("Vem ska utveckla brobyggarverksamheten?", ("Socialnämnden",), "Socialnämnden",
     "Socialnämnden ska också utveckla ett strategiskt arbete med romsk brobyggarverksamhet."),
    ("Vem ska se till att utbildningen I bemötandet tar framtiden form genomförs?", ("Socialnämnden",),
     "Socialnämnden", "I bemötandet tar framtiden form ska spridas"),
    ("Vilka nämnder ansvarar för att genomföra strategin?",
     ("Arbetsmarknadsnämnden", "Kulturnämnden", "Utbildningsnämnden", "Socialnämnden", "Stadsdelsnämnderna"),
     "Arbetsmarknads-, kultur-, utbildnings och socialnämnden samt stadsdelsnämnderna",  # as the sentence has it
     "ansvarar för att genomföra strategin"),
])
def test_the_responsible_actor_is_named_first(searcher: Searcher, question: str, actors: tuple[str, ...],
                                              named: str, sentence: str) -> None:
    answer = answer_question(question, searcher, Calibration.load())
    assert not answer.refused
    assert answer.responsible == actors
    assert answer.text.startswith(f"Ansvarig enligt dokumenten: {named}. ")
    first = answer.quotes[0]
    assert sentence in first.text and f"{first.text} [{first.n}]" in answer.text
    passage = answer.passages[first.n - 1].chunk
    assert " ".join(passage.text[first.start : first.end].split()) == first.text


@pytest.mark.slow
def test_an_expired_strategy_says_when_it_applied(searcher: Searcher) -> None:
    answer = answer_question("Vilka år gäller strategin?", searcher, Calibration.load(), today=dt.date(2026, 11, 24))
    assert "Strategin gällde 2018–2022. Kontrollera om den har ersatts." in answer.warnings
    during = answer_question("Vilka år gäller strategin?", searcher, Calibration.load(), today=dt.date(2020, 1, 1))
    assert not any("gällde" in w for w in during.warnings)


@pytest.mark.slow
def test_personal_number_is_masked_before_anything_else(searcher: Searcher, tmp_path: Path) -> None:
    answer = answer_question("Vem ansvarar för 19121212-1212 och uppföljningen?", searcher, Calibration.load())
    assert "19121212-1212" not in answer.question and "[personnummer]" in answer.question
    assert any("Skriv inte personuppgifter" in w for w in answer.warnings)
    # question statistics are off by default; when on, only masked text is written
    assert not log_question(tmp_path, "Ring 070-123 45 67 om 121212-1212", refused=False, enabled=False)
    assert not (tmp_path / LOG_FILE).exists()
    assert log_question(tmp_path, "Ring 070-123 45 67 om 121212-1212", refused=False, enabled=True)
    logged = (tmp_path / LOG_FILE).read_text(encoding="utf-8")
    assert "121212-1212" not in logged and "070-123 45 67" not in logged and "[personnummer]" in logged
    # an invalid number is not called a personnummer, but is not logged either
    log_question(tmp_path, "Gäller 121212-1213?", refused=False, enabled=True)
    assert "121212-1213" not in (tmp_path / LOG_FILE).read_text(encoding="utf-8")


def test_a_newer_document_is_preferred_and_named(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gammal.md").write_text("# Program mot våld 2017–2020\n\nProgrammet mot våld i nära relationer "
                                      "gäller för alla stadsdelar och följs upp varje år.\n", encoding="utf-8")
    (corpus / "ny.md").write_text("# Program mot våld 2021–2025\n\nProgrammet mot våld i nära relationer "
                                  "gäller för alla stadsdelar och följs upp varannat år.\n", encoding="utf-8")
    (corpus / "sources.toml").write_text('["gammal.md"]\ntitle = "Program mot våld 2017–2020"\n'
                                         'replaced_by = "ny.md"\n', encoding="utf-8")
    settings = load_settings().with_corpus(corpus).with_data(tmp_path / "data")
    embedder = HashingEmbedder()
    client = open_client(settings)
    run_ingest(settings, embedder, client)
    state = read_live(client)
    assert state is not None and state.documents["gammal.md"].replaced_by == "ny.md"
    answer = answer_question("Hur ofta följs programmet mot våld i nära relationer upp varje år?",
                             Searcher(client, embedder), Calibration.never_refuse(), today=dt.date(2026, 1, 1))
    assert answer.passages[0].chunk.doc == "ny.md"
    assert [p.chunk.doc for p in answer.passages].index("gammal.md") > 0


@pytest.mark.slow
def test_ansvar_page_lists_and_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.resources

    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    ui.resources.resources.clear()
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
        at.run()  # first start: ingests corpus/
        at.switch_page("ui/responsibility.py").run()
        assert not at.exception
        table = at.dataframe[0].value
        assert "Kommunstyrelsen" in set(table["Aktör"])
        row = table[table["Åtgärd"].str.contains("kommunikation, samordning och uppföljning")]
        assert list(row["Aktör"]) == ["Kommunstyrelsen"]
        at.multiselect[0].set_value(["Socialnämnden"]).run()
        assert set(at.dataframe[0].value["Aktör"]) == {"Socialnämnden"}
        assert any("brobyggarverksamhet" in e.markdown[0].value for e in at.expander)
    finally:
        ui.resources.resources.clear()


def test_ask_json_carries_validity_fields(tmp_path: Path) -> None:
    from core.records import Chunk, DocInfo, Passage, Validity
    from retrieval.answer_json import passage_json

    chunk = Chunk("i", "d.md", "Strategi 2018–2022", None, None, None, 0, 1, "x", "h", "h", 0)
    info = DocInfo("d.md", chunk.title, "h", "", 1, 1, 0.0, validity=Validity("2018", "2022", "titel"))
    out = passage_json(1, Passage(chunk, 0.5, info))
    assert out["valid_from"] == "2018" and out["valid_to"] == "2022" and out["expired"] is True
    out = passage_json(1, Passage(chunk, 0.5, DocInfo("d.md", chunk.title, "h", "", 1, 1, 0.0)))
    assert out["valid_from"] is None and out["valid_to"] is None and out["expired"] is False
    json.dumps(out)
