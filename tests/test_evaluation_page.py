"""The page "Utvärdering": plain functions, and the page through Streamlit's AppTest on the
real app, model and store.

The page is file-based (st.Page("ui/evaluation.py")), so AppTest.switch_page opens it.
The corpus is ingested once per module (in a subprocess) and copied for each test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.records import Chunk, DocInfo, Passage
from evaluation.evalset import EvalQuestion, EvalSetError, RelevantSpec, check_phrases
from evaluation.evaluate import EvalRun, Failure, QuestionResult, failures
from evaluation.metrics import Summary
from tests import pdfs
from tests.conftest import REPO, ingested_corpus_copy, site_copy
from ui.auth import TESTER
from ui.evaluation import (
    RUN_LABEL,
    SOURCE_UPLOAD,
    comparison_rows,
    load_upload,
    metric_rows,
    missing_documents,
    passage_rows,
    report_json,
    shipped_sets,
    why,
)
from ui.render import literal

TESTER_PASSWORD = "testa-sökningen-2024"
DOC = "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"
PHRASE = "Kommunstyrelsen föreslås ansvara för kommunikation"
COLUMNS = ["Typ", "Frågor", "Besvarbara", "Träff@1", "Träff@3", "Träff@5", "Täckning@5", "MRR@10", "nDCG@10",
           "Vägran", "Felvägran"]


def line(qid: str, question: str = "Vem ansvarar?", relevant: list[dict[str, str]] | None = None,
         **extra: object) -> str:
    rel = [{"doc": DOC, "contains": PHRASE}] if relevant is None else relevant
    return json.dumps({"id": qid, "question": question, "relevant": rel, **extra}, ensure_ascii=False)


# --- Plain functions ------------------------------------------------------------------


def test_upload_problems_name_the_line() -> None:
    data = "\n".join([
        line("ok-1"),
        '{"id": "trasig", "question": ',
        json.dumps({"id": "utan-fraga", "relevant": []}),
        "",
        line("ok-1", question="Samma id igen?"),
        json.dumps({"id": "x", "question": "Vad?", "relevant": [{"doc": "../hemlig.md", "contains": "a"}]}),
    ]).encode()
    with pytest.raises(EvalSetError) as err:
        load_upload("min-mangd.jsonl", data)
    problems = err.value.problems
    assert problems[0].startswith("rad 2: ogiltig JSON")
    assert "rad 3: fältet 'question' saknas" in problems
    assert "rad 5: id 'ok-1' finns redan på rad 1" in problems
    assert any(p.startswith("rad 6: relevant[1]: 'doc' ska vara ett filnamn") for p in problems)
    with pytest.raises(EvalSetError) as empty:
        load_upload("tom.jsonl", b"\n\n")
    assert empty.value.problems == ["filen tom.jsonl innehåller inga frågor"]  # not the temporary path
    with pytest.raises(EvalSetError) as latin:
        load_upload("latin1.jsonl", line("a", question="Vem äger frågan?").encode("latin-1"))
    assert "latin1.jsonl är inte giltig UTF-8" in latin.value.problems[0]


def test_phrase_problems_for_text_and_pdf(tmp_path: Path) -> None:
    (tmp_path / "rutin.md").write_text("# Rutin\n\nHandläggaren bokar tolk senast\ntre dagar före.\n",
                                       encoding="utf-8")
    (tmp_path / "hemtjanst.pdf").write_bytes(pdfs.make_pdf(["Hemtjänsten i Skärholmen har öppet vardagar."]))
    questions = [
        EvalQuestion("a", "?", (RelevantSpec("rutin.md", "bokar TOLK senast tre dagar"),)),
        EvalQuestion("b", "?", (RelevantSpec("rutin.md", "bokar buss"),)),
        EvalQuestion("c", "?", (RelevantSpec("hemtjanst.pdf", "i Skärholmen har öppet"),)),
        EvalQuestion("d", "?", (RelevantSpec("hemtjanst.pdf", "har stängt"),)),
        EvalQuestion("e", "?", (RelevantSpec("saknas.md", "x"),)),
        EvalQuestion("f", "?", ()),
    ]
    problems = check_phrases(questions, tmp_path, 1024 * 1024)  # what the page calls
    assert problems == [
        "fråga 'b': frasen 'bokar buss' finns inte i 'rutin.md'",
        "fråga 'd': frasen 'har stängt' finns inte i 'hemtjanst.pdf'",
        f"fråga 'e': dokumentet 'saknas.md' finns inte i {tmp_path}",
    ]
    assert missing_documents(questions, ["rutin.md"]) == ["hemtjanst.pdf", "saknas.md"]


def test_shipped_sets_need_their_documents_in_the_index() -> None:
    usable, unusable = shipped_sets(REPO / "corpus", [DOC], 50 * 1024 * 1024)
    assert list(usable) == ["default", "followups-default"] and "shared" in unusable and "followups" in unusable
    assert "finns inte i indexet" in unusable["shared"]
    usable, unusable = shipped_sets(REPO / "corpus", [], 50 * 1024 * 1024)
    assert not usable


def fake_run(config: str = "hybrid") -> EvalRun:
    overall = {"n": 3.0, "n_answerable": 2.0, "hit@1": 0.5, "hit@3": 1.0, "hit@5": 1.0, "recall@5": 1.0,
               "mrr@10": 0.75, "ndcg@10": 0.8155, "refusal_rate": 0.0, "false_refusal_rate": 0.5}
    per_type = {"ansvar": {k: v for k, v in overall.items() if k not in ("refusal_rate",)},
                "obesvarbar": {"n": 1.0, "n_answerable": 0.0, "refusal_rate": 0.0}}
    chunk = Chunk("c1", DOC, "Utlåtandet", None, None, "Ansvar", 0, 400, "ord " * 100, "h", "h", 0)
    passages = [Passage(chunk, 0.1, DocInfo(DOC, "Utlåtandet", "h", "", 1, 1, 0.0))]
    questions = [QuestionResult("q1", "Vem?", "ansvar", tuple(passages), (), (RelevantSpec(DOC, PHRASE),),
                                "Jag hittar inget", True)]
    return EvalRun(config, 10, Summary(overall, per_type), questions)


def test_tables_failures_and_report() -> None:
    run = fake_run()
    rows = metric_rows(run)
    assert list(rows[0]) == COLUMNS
    assert [r["Typ"] for r in rows] == ["alla", "ansvar", "obesvarbar"]
    assert rows[0]["nDCG@10"] == 0.816 and rows[0]["Frågor"] == 3 and rows[0]["Besvarbara"] == 2
    assert rows[2]["Träff@1"] is None and rows[2]["Vägran"] == 0.0
    assert [r["Konfiguration"] for r in comparison_rows([run, fake_run("bm25")])] == ["hybrid", "bm25"]
    row = Failure(run.questions[0], missed=True, wrong_refusal=True)
    assert failures(run) == [row]
    assert why(row) == "ingen relevant passage bland de 5 första; vägrade fast dokumenten svarar"
    unanswerable = QuestionResult("q2", "Vad?", None, (), (), (), "Svar", False)
    assert why(Failure(unanswerable, missed=False, wrong_refusal=True)) == "svarade fast frågan ska vägras"
    shown = passage_rows(row)[0]
    assert shown["Titel"] == "Utlåtandet" and shown["Dokument"] == DOC and shown["Var"] == "avsnitt ”Ansvar”"
    assert len(shown["Text"]) <= 220 and shown["Text"].endswith("…")
    assert set(report_json([run])) == {"summary", "questions"}
    both = report_json([run, fake_run("bm25")])
    assert set(both) == {"summary", "questions", "compare"} and list(both["compare"]) == ["hybrid", "bm25"]
    assert both["summary"] == {"config": "hybrid", "k": 10, "overall": run.summary.overall,
                               "per_type": run.summary.per_type}
    assert both["questions"] == [{
        "id": "q1", "question": "Vem?", "type": "ansvar",
        "passages": [{"n": 1, "doc": DOC, "title": "Utlåtandet", "page": None, "section": "Ansvar", "text": "ord " * 100,
                      "score": 0.1, "valid_from": None, "valid_to": None, "expired": False, "ocr": False}],
        "relevant_ranks": [], "relevant": [{"doc": DOC, "contains": PHRASE}], "answer": "Jag hittar inget",
        "refused": True}]
    json.dumps(both)  # plain JSON all through


def test_bm25_is_retrieval_only() -> None:
    """bm25 refuses every question: its refusal figures are null, and refusing is no failure."""
    run = fake_run("bm25")
    assert run.retrieval_only and not fake_run().retrieval_only
    rows = metric_rows(run)
    assert all(r["Vägran"] is None and r["Felvägran"] is None for r in rows)
    assert rows[0]["Träff@1"] == 0.5  # retrieval figures as they are
    assert comparison_rows([run])[0]["Felvägran"] is None
    summary = report_json([run])["summary"]
    assert summary["overall"]["refusal_rate"] is None and summary["overall"]["false_refusal_rate"] is None
    assert summary["per_type"]["obesvarbar"]["refusal_rate"] is None
    assert "bm25 mäter bara sökningen" in summary["note"]
    assert [(f.missed, f.wrong_refusal) for f in failures(run)] == [(True, False)]
    assert why(failures(run)[0]) == "ingen relevant passage bland de 5 första"


# --- The page ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's corpus, ingested once with the real model."""
    return ingested_corpus_copy(tmp_path_factory, "evaluation-template")


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of corpus and data for each test; returns the data folder. The page
    is for testers: the tester password is set, and evaluation_page() logs in."""
    monkeypatch.setenv(TESTER.password_env, TESTER_PASSWORD)
    with site_copy(template, tmp_path, monkeypatch) as (_corpus, data):
        yield data


def evaluation_page() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()  # the registry of pages exists after the first run
    at.switch_page("ui/evaluation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Utvärdering"
    at.sidebar.text_input(key="tester_password_input").input(TESTER_PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Logga in som testare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_button(at: AppTest):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == RUN_LABEL)


@pytest.mark.slow
def test_default_set_runs_shows_metrics_failures_and_report(site: Path) -> None:
    at = evaluation_page()
    assert at.selectbox(key="evaluation_shipped").value == "default"
    assert at.selectbox(key="evaluation_shipped").options == [
        "Standardmängden – strategin för romsk inkludering (eval/default.jsonl)",
        "Uppföljningsfrågor – strategin för romsk inkludering (eval/followups-default.jsonl)"]
    assert any("shared.jsonl kan inte väljas" in c.value for c in at.caption)  # its documents are not indexed
    assert at.multiselect(key="evaluation_configs").value == ["hybrid"]
    assert not at.download_button

    at.multiselect(key="evaluation_configs").set_value(["hybrid", "bm25"])
    run_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    comparison = at.dataframe[0].value
    assert list(comparison["Konfiguration"]) == ["hybrid", "bm25"]
    hybrid = at.dataframe[1].value
    assert list(hybrid.columns) == COLUMNS
    assert list(hybrid["Typ"])[0] == "alla" and "obesvarbar" in list(hybrid["Typ"])
    overall = hybrid.iloc[0]
    assert overall["Frågor"] == 31 and overall["Besvarbara"] == 27
    assert 0.0 <= overall["Träff@5"] <= 1.0 and 0.0 <= overall["Felvägran"] <= 1.0  # quality: the gate
    assert [b.label for b in at.download_button] == ["Ladda ner rapporten (JSON)"]
    # Every failed question of each configuration, with why (bm25's refusals are not counted).
    result = at.session_state["evaluation_result"]
    failed = [f for run in result["runs"] for f in failures(run)]
    filter_box, *shown = [e.label for e in at.expander]
    assert filter_box == "Filter: sök bara i vissa dokument"
    assert failed and shown == [literal(f"{f.result.id}: {f.result.question} – {why(f)}") for f in failed]
    assert not any(f.wrong_refusal for f in failures(result["runs"][1]))  # bm25 is retrieval-only
    assert any("bm25 mäter bara sökningen" in c.value for c in at.caption)
    assert list(at.dataframe[2].value["Vägran"].isna()) == [True] * len(at.dataframe[2].value)

    # The report is what `python -m evaluation --json` writes for the same runs.
    page_report = report_json(result["runs"])
    out = site.parent / "cli-report.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "evaluation", str(REPO / "eval" / "default.jsonl"),
                           "--compare", "hybrid,bm25", "--json", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    cli = json.loads(out.read_text(encoding="utf-8"))
    assert set(cli) == set(page_report) == {"summary", "questions", "compare"}
    assert cli["summary"] == json.loads(json.dumps(page_report["summary"]))
    for config in ("hybrid", "bm25"):
        assert cli["compare"][config]["summary"] == json.loads(json.dumps(page_report["compare"][config]["summary"]))
        ranks = [(q["id"], q["relevant_ranks"], q["refused"]) for q in page_report["compare"][config]["questions"]]
        assert [(q["id"], q["relevant_ranks"], q["refused"]) for q in cli["compare"][config]["questions"]] == ranks


@pytest.mark.slow
def test_uploaded_sets_report_invalid_lines_and_bad_phrases(site: Path) -> None:
    at = evaluation_page()
    at.radio(key="evaluation_source").set_value(SOURCE_UPLOAD).run()
    assert run_button(at).disabled

    at.file_uploader(key="evaluation_upload").set_value([("rapport.pdf", b"%PDF-1.7", "application/pdf")]).run()
    assert not at.exception  # no Streamlit type filter (it refuses in English or not at all): ours, in Swedish
    assert at.error[0].value.startswith("rapport.pdf kan inte användas: en utvärderingsmängd är en JSON Lines-fil")
    assert run_button(at).disabled

    bad = "\n".join([line("ok"), '{"id": "trasig"', json.dumps({"id": "x", "question": "Vad?"})]).encode()
    at.file_uploader(key="evaluation_upload").set_value([("testmangd.jsonl", bad, "application/jsonl")]).run()
    assert not at.exception
    error = at.error[0].value
    assert error.startswith("testmangd.jsonl är felaktig:")
    assert "rad 2: ogiltig JSON" in error and "rad 3: fältet 'relevant' saknas" in error
    assert run_button(at).disabled

    phrase = "\n".join([line("ok"), line("fel-fras", relevant=[{"doc": DOC, "contains": "sophämtning varje tisdag"}]),
                        line("saknas", relevant=[{"doc": "saknas.md", "contains": "något"}]),
                        line("ingen", question="Vad kostar bussen?", relevant=[])]).encode()
    at.file_uploader(key="evaluation_upload").set_value([("fraser.jsonl", phrase, "application/jsonl")]).run()
    assert "fråga 'fel-fras': frasen 'sophämtning varje tisdag' finns inte i" in at.error[0].value
    shown = at.error[0].value.replace("\\", "")
    assert "dokumentmappen" in shown and str(site.parent) not in shown  # the server's corpus path is not shown
    assert run_button(at).disabled

    good = "\n".join([line("ok", type="ansvar"),
                      line("ingen", question="Vad kostar bussen?", relevant=[], type="obesvarbar")]).encode()
    at.file_uploader(key="evaluation_upload").set_value([("bra.jsonl", good, "application/jsonl")]).run()
    assert not at.error and not run_button(at).disabled
    run_button(at).click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Typ"]) == ["alla", "ansvar", "obesvarbar"] and table.iloc[0]["Frågor"] == 2
    assert at.download_button


@pytest.mark.slow
def test_a_filter_is_applied_and_kept_in_the_report(site: Path) -> None:
    at = evaluation_page()
    # The one document of corpus/ (the strategy 2018–2022) is no longer in force.
    assert at.multiselect(key="evaluation_filter_issuers").options == ["Stockholms stad (1)"]
    at.checkbox(key="evaluation_filter_valid_only").check().run()
    run_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Sökte bara i: bara gällande dokument." in c.value for c in at.caption)
    run = at.session_state["evaluation_result"]["runs"][0]
    assert all(q.refused and q.answer.startswith("Inga dokument i indexet passar filtret") for q in run.questions)
    assert report_json([run])["summary"]["filter"] == {"kinds": [], "issuers": [], "valid_only": True}


def test_follow_ups_are_their_own_type_on_the_page(site: Path) -> None:
    at = evaluation_page()
    at.selectbox(key="evaluation_shipped").set_value("followups-default").run()
    run_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value if len(at.dataframe) == 1 else at.dataframe[1].value
    assert list(table["Typ"]) == ["alla", "uppföljning"]
    assert table.iloc[1]["Träff@5"] >= 0.85
