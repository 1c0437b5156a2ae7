"""Filters on the real store with the real model: a few documents of ../shared/corpus
ingested once. The search, the answer, the CLI, the evaluation and the chat's sidebar
keep to the documents a filter allows."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.records import DocInfo, Validity
from core.settings import load_settings
from core.store import LiveState, open_client, read_live, switch_live
from evaluation.__main__ import main as evaluation_main
from ingest.pipeline import run_ingest
from retrieval.__main__ import main as retrieval_main
from retrieval.answer import answer_question
from retrieval.filters import NO_FILTER, DocFilter, group_counts
from retrieval.refusal import REFUSAL, Calibration
from retrieval.search import Searcher
from tests.conftest import REPO, SHARED_CORPUS

TODAY = dt.date(2026, 1, 1)
STRATEGY = "stockholm-strategi-romsk-inkludering-201-01-strategy-text-as-quoted-by.md"  # 2018–2022
DOCS = [
    STRATEGY,
    "stockholm-strategi-romsk-inkludering-201-02-start-stockholm-dina-ratti.md",
    "lag-2009-724-minoritetslagen.md",
    "regeringen-uppdrag-till-lansstyrelsen-i-stockholms-lan-att-samordna-fo.md",
    "regeringen-romsk-inkludering.md",
    "lansstyrelsen-stockholm-romsk-inkluderin-07-lansstyrelsen-publication.md",
    "lansstyrelsen-stockholm-romsk-inkluderin-08-lansstyrelsen-publication.md",
    "ovriga-kommuner-romsk-inkludering-06-umea-kommun-mal-och-riktlinjer-fo.md",
]
QUESTION = "Vad gör Arbetsmarknadsnämnden för arbetssökande romer?"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SHARED_CORPUS / "sources.toml").exists(),
                       reason=f"../shared/corpus is not beside the repository ({SHARED_CORPUS})"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("filters")
    (root / "corpus").mkdir()
    for name in [*DOCS, "sources.toml"]:
        shutil.copy(SHARED_CORPUS / name, root / "corpus" / name)
    settings = load_settings().with_corpus(root / "corpus").with_data(root / "data")
    report = run_ingest(settings, real_embedder, open_client(settings))
    assert not report.failed, report.summary_sv()
    return root


@pytest.fixture(scope="module")
def searcher(site: Path, real_embedder) -> Searcher:  # type: ignore[no-untyped-def]
    return Searcher(open_client(load_settings().with_data(site / "data")), real_embedder)


def ask(searcher: Searcher, docs: DocFilter = NO_FILTER, question: str = QUESTION):  # type: ignore[no-untyped-def]
    return answer_question(question, searcher, Calibration.load(), k=5, today=TODAY, docs=docs)


def test_the_groups_are_in_the_index(searcher: Searcher) -> None:
    docs = searcher.current().state.documents
    assert docs[STRATEGY].kind_group == "strategi" and docs[STRATEGY].issuer_group == "stockholm"
    assert docs[STRATEGY].validity.is_expired(TODAY)
    kinds, issuers = group_counts(docs)
    assert issuers == {"stockholm": 2, "regeringen": 3, "lansstyrelsen": 2, "kommun": 1}
    assert kinds["rapport"] == 2 and kinds["lag"] == 1 and kinds["uppdrag"] == 1


def test_only_documents_in_force_leave_out_the_expired_strategy(searcher: Searcher) -> None:
    everything = ask(searcher)
    assert everything.passages[0].chunk.doc == STRATEGY and not everything.refused
    assert not everything.scope
    in_force = ask(searcher, DocFilter(valid_only=True))
    expired = {n for n, d in searcher.current().state.documents.items() if d.validity.is_expired(TODAY)}
    assert STRATEGY in expired
    assert in_force.passages and not {p.chunk.doc for p in in_force.passages} & expired
    assert STRATEGY not in in_force.text and in_force.scope == "Sökte bara i: bara gällande dokument."
    # Nothing outside the filter is shown, also not in the candidates behind the answer.
    candidates = searcher.search(QUESTION, 30, docs=DocFilter(valid_only=True), today=TODAY)
    assert candidates and not {c.chunk.doc for c in candidates} & expired


def test_issuer_regeringen_gives_only_regeringen_documents(searcher: Searcher) -> None:
    answer = ask(searcher, DocFilter.of(issuers=["regeringen"]), "Vad ska Länsstyrelsen samordna och följa upp?")
    docs = searcher.current().state.documents
    assert answer.passages
    assert {docs[p.chunk.doc].issuer_group for p in answer.passages} == {"regeringen"}
    assert answer.scope == "Sökte bara i: Regeringen och riksdagen."
    for mode in ("dense", "bm25", "hybrid-rrf"):  # each retriever keeps to the filter
        found = searcher.search("Länsstyrelsen samordna", 10, mode, docs=DocFilter.of(issuers=["regeringen"]))
        assert found and all(c.chunk.doc.startswith(("regeringen-", "lag-")) for c in found), mode


def test_a_filter_without_documents_says_so(searcher: Searcher) -> None:
    answer = ask(searcher, DocFilter.of(kinds=["proposition"]))
    assert answer.refused and answer.text != REFUSAL and not answer.passages
    assert answer.text.startswith("Inga dokument i indexet passar filtret (Proposition, skrivelse)")
    both = ask(searcher, DocFilter.of(kinds=["lag"], issuers=["kommun"]))
    assert "Lag, förordning; Andra kommuner" in both.text


def test_cli_flags(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(site / "data")
    assert retrieval_main(["ask", QUESTION, "--data", data, "--json", "--issuer", "regeringen",
                           "--issuer", "lansstyrelsen", "--valid-only"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["filter"] == {"kinds": [], "issuers": ["lansstyrelsen", "regeringen"], "valid_only": True}
    assert got["passages"] and all(p["doc"].startswith(("regeringen-", "lag-", "lansstyrelsen-"))
                                   for p in got["passages"])
    assert retrieval_main(["ask", QUESTION, "--data", data, "--json"]) == 0
    assert "filter" not in json.loads(capsys.readouterr().out)  # no filter: the JSON of before
    assert retrieval_main(["ask", QUESTION, "--data", data, "--kind", "strategi"]) == 0
    out = capsys.readouterr().out
    assert "Sökte bara i: Strategi, program, handlingsplan." in out
    with pytest.raises(SystemExit) as stop:
        retrieval_main(["ask", QUESTION, "--data", data, "--kind", "broschyr"])
    assert stop.value.code == 2 and "okänd dokumenttyp 'broschyr'" in capsys.readouterr().err


def test_evaluation_takes_the_filter(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = {"id": "f-1", "question": QUESTION, "type": "besvarbar",
           "relevant": [{"doc": STRATEGY, "contains": "Arbetsmarknadsnämnden utvecklar insatser"}]}
    (tmp_path / "set.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    args = [str(tmp_path / "set.jsonl"), "--data", str(site / "data"), "--json", str(report)]
    assert evaluation_main(args) == 0
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["overall"]["hit@1"] == 1.0
    assert evaluation_main([*args, "--issuer", "regeringen"]) == 0
    assert "Sökte bara i: Regeringen och riksdagen." in capsys.readouterr().out
    filtered = json.loads(report.read_text(encoding="utf-8"))
    assert filtered["summary"]["filter"] == {"kinds": [], "issuers": ["regeringen"], "valid_only": False}
    assert filtered["summary"]["overall"]["hit@1"] == 0.0  # the strategy was not searched
    assert all(not p["doc"].startswith("stockholm-") for p in filtered["questions"][0]["passages"])


def test_an_index_without_groups_gets_them_on_the_next_ingest(tmp_path: Path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "corpus").mkdir()
    for name in [DOCS[4], "sources.toml"]:
        shutil.copy(SHARED_CORPUS / name, tmp_path / "corpus" / name)
    settings = load_settings().with_corpus(tmp_path / "corpus").with_data(tmp_path / "data")
    client = open_client(settings)
    run_ingest(settings, real_embedder, client)
    live = read_live(client)
    assert live is not None
    # As an index written before the groups: the state's records lack the two keys.
    raw = json.loads(live.to_json())
    for info in raw["documents"].values():
        del info["kind_group"], info["issuer_group"]
    old = LiveState.from_json(json.dumps(raw))
    assert old.documents[DOCS[4]].kind_group == ""
    switch_live(client, old)
    report = run_ingest(settings, real_embedder, client)
    assert [o.status for o in report.outcomes] == ["unchanged"] and report.switched
    info = read_live(client).documents[DOCS[4]]  # type: ignore[union-attr]
    assert (info.kind_group, info.issuer_group) == ("ovrigt", "regeringen")
    assert not run_ingest(settings, real_embedder, client).switched  # then nothing to do


def test_allows() -> None:
    doc = DocInfo(doc="a", title="a", doc_hash="", meta_hash="", pages=1, chunks=1, ingested_at=0.0,
                  validity=Validity("2018", "2022", "titel"), kind_group="strategi", issuer_group="stockholm")
    assert DocFilter().allows(doc, TODAY) and not DocFilter().active
    assert DocFilter.of(["strategi", "lag"], ["stockholm"]).allows(doc, TODAY)
    assert not DocFilter.of(["lag"]).allows(doc, TODAY)
    assert not DocFilter(valid_only=True).allows(doc, TODAY)
    assert DocFilter(valid_only=True).allows(doc, dt.date(2022, 12, 31))
    replaced = DocInfo(**{**doc.__dict__, "validity": Validity(), "replaced_by": "b"})
    assert not DocFilter(valid_only=True).allows(replaced, TODAY)
    with pytest.raises(ValueError, match="okänd utfärdare"):
        DocFilter.of(issuers=["Stockholm"])


def test_the_sidebar_filter_changes_the_sources(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.resources import resources

    data = tmp_path / "data"
    shutil.copytree(site / "data", data)
    monkeypatch.setenv("ASSISTANT_DATA", str(data))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(site / "corpus"))
    resources.clear()
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
        at.run()
        assert not at.exception
        kinds = at.sidebar.multiselect(key="filter_kinds")
        assert "Rapport, uppföljning (2)" in kinds.options
        at.chat_input[0].set_value(QUESTION).run()
        first = [m for m in at.chat_message if m.name == "assistant"][-1]
        assert first.expander[0].label.replace("\\", "").startswith("[1] Stockholms stads strategi")
        at.sidebar.multiselect(key="filter_issuers").select("regeringen").run()
        at.sidebar.checkbox(key="filter_valid_only").check().run()
        at.chat_input[0].set_value(QUESTION).run()
        assert not at.exception
        second = [m for m in at.chat_message if m.name == "assistant"][-1]
        shown = " ".join(c.value for c in second.caption)
        assert "Sökte bara i: Regeringen och riksdagen; bara gällande dokument." in shown.replace("\\", "")
        assert not any("Stockholms stads" in e.label for e in second.expander)
        titles = " ".join(md.value for md in second.markdown) + " ".join(e.label for e in second.expander)
        assert "Stockholms stads strategi" not in titles.replace("\\", "")
    finally:
        resources.clear()
