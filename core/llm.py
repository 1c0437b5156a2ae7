"""The one seam to language models: `LanguageModel.stream`.

One backend: the OpenAI-compatible chat-completions API (llama.cpp's server, vLLM, Ollama,
Azure OpenAI's v1 API, OpenAI), streamed as server-sent events. `ASSISTANT_LLM_URL` is the
API's base as OpenAI's own clients take it, with its version (`http://127.0.0.1:8080/v1`);
the request goes to `{url}/chat/completions`.

Every failure is one of core.errors' `ModelError`s, so the caller can fall back to the
extractive answer with its Swedish note: `ModelUnavailableError` (not reachable, 5xx, the
connection broken midway, after the pieces already yielded), `ModelTimeoutError` (no first
piece, no next piece or no end in time), `ModelRequestError` (4xx) and `ModelOutputError`
(not events, not JSON, no choices, an error in the stream, no text).

Privacy: nothing here logs, prints or writes the messages or the answer anywhere, and no
error message quotes them; they go to the configured endpoint only. The key is sent as
`Authorization: Bearer` and never shown (`repr` leaves it out).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from core.errors import (
    ConfigError,
    ModelError,
    ModelOutputError,
    ModelRequestError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from core.settings import Settings

ROLES = frozenset({"system", "user", "assistant"})
MAX_JSON_BYTES = 1 << 20  # a whole (non-streamed) JSON answer larger than this is not an answer


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, not {self.role!r}")


class LanguageModel(Protocol):
    model_id: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 400,
               temperature: float = 0.0) -> Iterator[str]:
        """The answer's text in pieces as they arrive; raises a ModelError (possibly after
        some pieces) when no whole answer comes."""
        ...


def complete(model: LanguageModel, messages: Sequence[ChatMessage], *, max_tokens: int = 400,
             temperature: float = 0.0) -> str:
    """The whole answer at once."""
    return "".join(model.stream(messages, max_tokens=max_tokens, temperature=temperature))


class OpenAIChatModel:
    """POST {url}/chat/completions with `stream: true`. The stream is read on a thread of
    its own, so that the limits hold to the moment whatever the socket does: the first
    piece and each next one within `token_timeout`, the whole answer within `timeout`.
    A consumer that stops early closes the connection (the server stops generating)."""

    def __init__(self, url: str, model: str = "", key: str = "", *, connect_timeout: float = 5.0,
                 token_timeout: float = 30.0, timeout: float = 90.0) -> None:
        base = url.strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"språkmodellens adress måste börja med http:// eller https://, inte {url!r}")
        if min(connect_timeout, token_timeout, timeout) <= 0:
            raise ConfigError("språkmodellens tidsgränser måste vara större än 0")
        self.url = base
        self.endpoint = base + "/chat/completions"
        self.model = model
        self.model_id = model or base
        self._key = key
        self.connect_timeout = connect_timeout
        self.token_timeout = token_timeout
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"OpenAIChatModel(url={self.url!r}, model={self.model!r}, key={'***' if self._key else ''!r})"

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 400,
               temperature: float = 0.0) -> Iterator[str]:
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if self.model:
            body["model"] = self.model
        return self._pieces(body)

    def _pieces(self, body: dict[str, Any]) -> Iterator[str]:
        events: queue.SimpleQueue[str | ModelError | None] = queue.SimpleQueue()  # piece | failure | end
        stop = threading.Event()
        deadline = time.monotonic() + self.timeout
        reader = threading.Thread(target=self._read, args=(body, events, stop), name="llm-stream", daemon=True)
        reader.start()
        pieces = 0
        text = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ModelTimeoutError(f"no whole answer within {self.timeout:g} s")
                try:
                    event = events.get(timeout=min(self.token_timeout, left))
                except queue.Empty:
                    if time.monotonic() >= deadline:
                        raise ModelTimeoutError(f"no whole answer within {self.timeout:g} s") from None
                    what = "the first piece" if pieces == 0 else "the next piece"
                    raise ModelTimeoutError(f"{what} did not come within {self.token_timeout:g} s") from None
                if event is None:
                    if not text:
                        raise ModelOutputError("the answer has no text")
                    return
                if isinstance(event, ModelError):
                    raise event
                pieces += 1
                text = text or bool(event.strip())
                yield event
        finally:
            stop.set()

    def _read(self, body: dict[str, Any], events: queue.SimpleQueue[str | ModelError | None],
              stop: threading.Event) -> None:
        """The reader thread: every outcome, good or bad, goes to `events`."""
        try:
            self._request(body, events, stop)
        except ModelError as exc:
            events.put(exc)
        except httpx.ConnectTimeout:
            events.put(ModelUnavailableError(f"no connection to {self.url} within {self.connect_timeout:g} s"))
        except httpx.TimeoutException:
            events.put(ModelTimeoutError(f"{self.url} went silent"))
        except (httpx.ConnectError, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            events.put(ModelUnavailableError(f"{self.url}: {type(exc).__name__}"))
        except Exception as exc:  # noqa: BLE001 - whatever else: the consumer must not wait for nothing
            events.put(ModelOutputError(f"{self.url}: {type(exc).__name__}"))

    def _request(self, body: dict[str, Any], events: queue.SimpleQueue[str | ModelError | None],
                 stop: threading.Event) -> None:
        headers = {"Accept": "text/event-stream"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        # Reads wait a little longer than the consumer does: its limit is the one that counts.
        limits = httpx.Timeout(connect=self.connect_timeout, read=self.token_timeout + 1.0,
                               write=self.token_timeout, pool=self.connect_timeout)
        with httpx.Client(timeout=limits, follow_redirects=False) as client, \
                client.stream("POST", self.endpoint, json=body, headers=headers) as response:
            status = response.status_code
            if status >= 500 or status in (408, 429):
                raise ModelUnavailableError(f"{self.endpoint} answered HTTP {status}")
            if status >= 300:
                raise ModelRequestError(f"{self.endpoint} answered HTTP {status}")
            lines = response.iter_lines()
            for line in lines:
                if stop.is_set():
                    return
                if not line.strip():
                    continue
                if line.startswith(("data:", ":", "event:", "id:", "retry:")):
                    _read_events(_chain(line, lines), events, stop)
                elif line.lstrip().startswith("{"):
                    events.put(_whole_answer(_chain(line, lines)))
                    events.put(None)
                else:
                    raise ModelOutputError("the answer is neither server-sent events nor JSON")
                return
            raise ModelOutputError("the answer is empty")


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _read_events(lines: Iterator[str], events: queue.SimpleQueue[str | ModelError | None],
                 stop: threading.Event) -> None:
    """Server-sent events: `data:` lines up to a blank line make one event; `data: [DONE]`
    ends the answer. A stream that stops before it (or before a finish_reason) was broken."""
    data: list[str] = []
    kind = ""
    finished = False
    for line in _with_end(lines):
        if stop.is_set():
            return
        if line == "":
            if data:
                payload = "\n".join(data)
                data, name = [], kind
                kind = ""
                if payload.strip() == "[DONE]":
                    events.put(None)
                    return
                if name == "error":
                    raise ModelOutputError("the stream carried an error event")
                finished = _read_chunk(payload, events) or finished
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "event":
            kind = value.strip()
    if finished:
        events.put(None)
        return
    raise ModelUnavailableError("the stream ended before the answer did")


def _with_end(lines: Iterator[str]) -> Iterator[str]:
    """The lines, then one blank line (dispatches an event the server did not close)."""
    for line in lines:
        yield line.rstrip("\r")
    yield ""


def _read_chunk(payload: str, events: queue.SimpleQueue[str | ModelError | None]) -> bool:
    """One chat.completion.chunk: its text (if any) to `events`; True when it finishes."""
    try:
        chunk = json.loads(payload)
    except ValueError:
        raise ModelOutputError(f"an event that is not JSON ({len(payload)} characters)") from None
    if not isinstance(chunk, dict):
        raise ModelOutputError("an event that is not a JSON object")
    if "error" in chunk:
        raise ModelOutputError(f"the stream carried an error{_error_kind(chunk['error'])}")
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise ModelOutputError("an event without choices")
    if not choices:  # Azure's prompt-filter results, a closing usage chunk
        return False
    choice = choices[0]
    if not isinstance(choice, dict):
        raise ModelOutputError("a choice that is not a JSON object")
    delta = choice.get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    if content is not None and not isinstance(content, str):
        raise ModelOutputError("a piece of text that is not a string")
    if content:
        events.put(content)
    reason = choice.get("finish_reason")
    if reason == "content_filter":
        raise ModelOutputError("the endpoint's content filter stopped the answer")
    return bool(reason)


def _whole_answer(lines: Iterator[str]) -> str:
    """A server that answered the whole completion as one JSON object instead of a stream."""
    parts: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_JSON_BYTES:
            raise ModelOutputError("a JSON answer too large to be one")
        parts.append(line)
    try:
        answer = json.loads("\n".join(parts))
    except ValueError:
        raise ModelOutputError("an answer that is not JSON") from None
    if not isinstance(answer, dict):
        raise ModelOutputError("an answer that is not a JSON object")
    if "error" in answer:
        raise ModelOutputError(f"the answer is an error{_error_kind(answer['error'])}")
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ModelOutputError("an answer without choices")
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise ModelOutputError("the answer has no text")
    return content


def _error_kind(error: object) -> str:
    """The error's type or code, never its message (it may quote the question)."""
    if isinstance(error, dict):
        for key in ("type", "code"):
            value = error.get(key)
            if isinstance(value, (str, int)) and len(str(value)) <= 60:
                return f" ({value})"
    return ""


def make_language_model(settings: Settings, key: str | None = None) -> LanguageModel | None:
    """The configured model, or None when ASSISTANT_LLM_URL is empty (extractive answers
    only). `key` (from Streamlit secrets, passed in by the UI) wins over ASSISTANT_LLM_KEY."""
    if not settings.llm_url:
        return None
    return OpenAIChatModel(
        settings.llm_url, settings.llm_model, key or settings.llm_key,
        connect_timeout=settings.llm_connect_timeout, token_timeout=settings.llm_token_timeout,
        timeout=settings.llm_timeout,
    )
