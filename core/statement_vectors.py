"""Vectors of the statements a quote may show, computed once per generation.

An English question shares no words with Swedish passages, so its quote is picked by
meaning: the statements of the top passage (core/quotable.py) by cosine similarity to the
question's vector. Embedding those statements per question cost 110-130 ms, most of an
English answer (bench/README.md, "Latency"). The ingest therefore embeds every statement
of every chunk's window (core/windows.py: what the search shows as the top passage) once,
and adds the vectors to the generation's other files (core/snapshot.py) right after it
switched to the generation (questions are answered meanwhile; an English one embeds its
statements until the vectors are there, and a reader looks for them every few seconds):

    generations/<generation>/statement_keys.npy     uint64, sorted: statement_key() of each
                             statement_vectors.npy  float16 unit vectors, row by row

A statement of a later generation whose text is unchanged takes its vector from the
previous generation's files, so a re-ingest embeds only new statements. A statement that
is not in the files (a window cut short by a better passage above it, or a generation
built from Chroma by a reader) is embedded when it is asked for.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.quotable import statements
from core.records import Chunk
from core.windows import CONTEXT, window_at

KEYS = "statement_keys.npy"
VECTORS = "statement_vectors.npy"
Embed = Callable[[list[str]], np.ndarray]  # passages -> their vectors, row by row


def statement_key(model_id: str, text: str) -> int:
    """A statement's key: 64 bits of SHA-256 over the model and the text it embeds
    (a collision among a million statements: about 1 in 30 million)."""
    digest = hashlib.sha256(f"{model_id}\0statement\0{text}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def window_statements(chunks: Sequence[Chunk], model_id: str) -> dict[int, str]:
    """Every statement of every chunk's window (`chunks` in reading order), by key."""
    out: dict[int, str] = {}
    for row in range(len(chunks)):
        shown, _ = window_at(chunks, row, CONTEXT)
        for st in statements(shown.text):
            out.setdefault(statement_key(model_id, st.text), st.text)
    return out


@dataclass(frozen=True)
class StatementVectors:
    """Statement vectors by key: `keys` sorted, `vectors` row by row (memory-mapped when
    loaded from a generation's files)."""

    keys: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, keys: Sequence[int]) -> list[np.ndarray | None]:
        """The vector of each key, None where there is none."""
        if not len(self.keys) or not keys:
            return [None] * len(keys)
        wanted = np.array(keys, dtype=np.uint64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return [np.asarray(self.vectors[i], dtype=np.float32) if self.keys[i] == k else None
                for i, k in zip(at.tolist(), wanted, strict=True)]

    def save(self, folder: Path) -> None:
        """Into `folder`, each file under a temporary name first and the keys last: a
        reader (`load`, which looks for the keys) sees both files complete or neither."""
        for name, array in ((VECTORS, self.vectors), (KEYS, self.keys)):
            tmp = folder / f".tmp-{os.getpid()}-{name}"
            with open(tmp, "wb") as fh:
                np.save(fh, np.asarray(array))
            os.replace(tmp, folder / name)

    @staticmethod
    def present(folder: Path) -> bool:
        return (folder / KEYS).is_file()

    @classmethod
    def load(cls, folder: Path) -> StatementVectors | None:
        """The statement vectors in `folder`; None when it has none. ValueError when they
        do not agree with themselves."""
        if not cls.present(folder):
            return None
        keys = np.load(folder / KEYS, mmap_mode="r")
        vectors = np.load(folder / VECTORS, mmap_mode="r")
        if keys.dtype != np.uint64 or vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError("statement vectors: keys and vectors do not agree")
        return cls(keys, vectors)


def build_statement_vectors(
    chunks: Sequence[Chunk], model_id: str, embed: Embed, previous: StatementVectors | None = None,
    batch: int = 64, progress: Callable[[int, int], None] | None = None,
) -> tuple[StatementVectors, int]:
    """The vectors of every statement of every window of `chunks` (reading order): those
    `previous` holds are taken from it, the others embedded in calls of `batch` (the
    embedder's unit vectors, stored as float16). Returns them and how many were embedded."""
    wanted = window_statements(chunks, model_id)
    keys = np.array(sorted(wanted), dtype=np.uint64)
    old = previous.lookup(keys.tolist()) if previous is not None else [None] * len(keys)
    missing = [i for i, vec in enumerate(old) if vec is None]
    rows: list[np.ndarray | None] = list(old)
    for start in range(0, len(missing), batch):
        if progress is not None:
            progress(start, len(missing))
        part = missing[start : start + batch]
        for i, vec in zip(part, embed([wanted[int(keys[i])] for i in part]), strict=True):
            rows[i] = vec
    filled = [v for v in rows if v is not None]
    assert len(filled) == len(rows)
    matrix = np.vstack(filled).astype(np.float16) if filled else np.zeros((0, 0), dtype=np.float16)
    return StatementVectors(keys, matrix), len(missing)


def vectors_of(texts: Sequence[str], model_id: str, stored: StatementVectors | None, embed: Embed) -> np.ndarray:
    """Unit vectors of these statements (float32, row by row): from `stored` where it
    holds them, the rest embedded in one call."""
    found: list[np.ndarray | None] = (stored.lookup([statement_key(model_id, t) for t in texts])
                                      if stored is not None else [None] * len(texts))
    missing = [i for i, vec in enumerate(found) if vec is None]
    if missing:
        for i, vec in zip(missing, embed([texts[i] for i in missing]), strict=True):
            found[i] = vec  # embedders return unit vectors (core/embedders.Embedder)
    return np.vstack([v for v in found if v is not None]) if texts else np.zeros((0, 0), dtype=np.float32)
