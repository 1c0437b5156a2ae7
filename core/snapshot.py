"""A generation's files: what a reader of one index generation needs, in the data folder.

Written by the ingest before it switches to the generation (and by a reader that had to
build them from Chroma, for the next process): the generation's state, its chunks in
reading order (SQLite), their unit vectors (.npy) and the BM25 index (core.lexical). A
process switches to a new generation by opening these files, memory-mapped, instead of
reading every chunk and vector from Chroma and building BM25 (bench/README.md,
"Switching to a new generation"). Chroma stays the index of record: the files of a
generation are only used when they are complete (written to a temporary folder, then
renamed) and hold as many chunks as its collection.

    generations/<generation>/meta.json      format, generation, chunk count (written last)
                             state.json     the LiveState
                             chunks.sqlite  row, id, doc, text, metadata
                             ids.npy, doc_rows.npy, docs.json  the ids and documents, row by row
                             vectors.npy    float32 unit vectors, row by row
                             lexical/       LexicalIndex.save
                             statement_keys.npy, statement_vectors.npy  the statements'
                                            vectors for English quotes (core/statement_vectors.py;
                                            added by the ingest after the switch)
"""

from __future__ import annotations

import json
import logging
import operator
import os
import shutil
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from core.lexical import LexicalIndex
from core.records import Chunk
from core.statement_vectors import StatementVectors
from core.store import LiveState, chunk_from_record, chunk_metadata

FORMAT = 1
FOLDER = "generations"
_TMP = ".tmp-"
STALE_TMP_SECONDS = 3600.0  # a temporary folder this old belongs to a process that died
CACHE_ROWS = 4096  # chunks a table keeps decoded (the candidates and neighbours of recent questions)
log = logging.getLogger(__name__)


def generations_dir(data_dir: Path) -> Path:
    return data_dir / FOLDER


def snapshot_dir(data_dir: Path, generation: str) -> Path:
    return generations_dir(data_dir) / generation


def reading_order(chunks: Sequence[Chunk]) -> list[int]:
    """The positions of `chunks` in reading order: by document, then place in it."""
    return sorted(range(len(chunks)), key=lambda i: (chunks[i].doc, chunks[i].ordinal))


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class ChunkTable(Sequence[Chunk]):
    """The chunks of a generation in reading order. Ids and documents are held in memory;
    a chunk is read from the SQLite file when asked for (a few per question), and the
    last CACHE_ROWS are kept decoded. Safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        self._con = sqlite3.connect(f"file:{folder / 'chunks.sqlite'}?mode=ro&immutable=1", uri=True,
                                    check_same_thread=False)
        weakref.finalize(self, self._con.close)
        self._lock = threading.Lock()
        self.ids: list[str] = np.load(folder / "ids.npy").tolist()
        names = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
        self.docs = np.array(names, dtype=object)[np.load(folder / "doc_rows.npy")] if names \
            else np.zeros(0, dtype=object)
        if len(self.docs) != len(self.ids):
            raise ValueError("chunk table: ids and documents differ in length")
        self._cache: OrderedDict[int, Chunk] = OrderedDict()

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, row: int) -> Chunk: ...
    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...
    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = operator.index(row)  # numpy's integers too (sqlite3 does not bind them)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        with self._lock:
            hit = self._cache.get(row)
            if hit is not None:
                self._cache.move_to_end(row)
                return hit
            ident, text, meta = self._con.execute("SELECT id, text, meta FROM chunks WHERE row = ?", (row,)).fetchone()
            chunk = chunk_from_record(ident, text, json.loads(meta))
            self._cache[row] = chunk
            if len(self._cache) > CACHE_ROWS:
                self._cache.popitem(last=False)
            return chunk

    def __iter__(self) -> Iterator[Chunk]:
        with self._lock:
            rows = self._con.execute("SELECT id, text, meta FROM chunks ORDER BY row").fetchall()
        for ident, text, meta in rows:
            yield chunk_from_record(ident, text, json.loads(meta))


@dataclass(frozen=True)
class Snapshot:
    """A generation as its files hold it."""

    state: LiveState
    chunks: ChunkTable
    vectors: np.ndarray  # memory-mapped, row by row with `chunks`
    lexical: LexicalIndex
    statements: StatementVectors | None = None  # None: the English quote embeds its statements


def write_snapshot(data_dir: Path, state: LiveState, chunks: Sequence[Chunk], vectors: np.ndarray,
                   index_text: Callable[[Chunk], str], lexical: LexicalIndex | None = None,
                   ordered: bool = False) -> Path:
    """Write the files of generation `state.generation`: `chunks` with `vectors` row by
    row (put in reading order unless `ordered`). `lexical`, when given, is the BM25 index
    of the chunks in reading order (else it is built). The folder appears complete or not
    at all; when it exists already (another process wrote it), that one is kept."""
    final = snapshot_dir(data_dir, state.generation)
    tmp = generations_dir(data_dir) / f"{_TMP}{state.generation}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        order = list(range(len(chunks))) if ordered else reading_order(chunks)
        rows = [chunks[i] for i in order]
        matrix = unit_rows(vectors[order]) if len(order) else np.zeros((0, state.dim or 0), dtype=np.float32)
        np.save(tmp / "vectors.npy", matrix)
        con = sqlite3.connect(tmp / "chunks.sqlite")
        try:
            con.execute("CREATE TABLE chunks (row INTEGER PRIMARY KEY, id TEXT NOT NULL, doc TEXT NOT NULL,"
                        " text TEXT NOT NULL, meta TEXT NOT NULL)")
            con.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
                            ((i, c.id, c.doc, c.text, json.dumps(chunk_metadata(c, ""), ensure_ascii=False))
                             for i, c in enumerate(rows)))
            con.commit()
        finally:
            con.close()
        np.save(tmp / "ids.npy", np.array([c.id for c in rows], dtype=str))
        names = sorted({c.doc for c in rows})
        code = {name: i for i, name in enumerate(names)}
        np.save(tmp / "doc_rows.npy", np.array([code[c.doc] for c in rows], dtype=np.int32))
        (tmp / "docs.json").write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")
        (lexical or LexicalIndex([index_text(c) for c in rows])).save(tmp / "lexical")
        (tmp / "state.json").write_text(state.to_json(), encoding="utf-8")
        meta = {"format": FORMAT, "generation": state.generation, "chunks": len(rows)}
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "meta.json").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # written meanwhile by another process
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def load_snapshot(data_dir: Path, generation: str) -> Snapshot | None:
    """The files of `generation` when they are there, complete, of this format and agree
    with themselves; else None (the reader builds the generation from Chroma)."""
    folder = snapshot_dir(data_dir, generation)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("format") != FORMAT or meta.get("generation") != generation:
        return None
    chunk_count = meta.get("chunks")
    try:
        state = LiveState.from_json((folder / "state.json").read_text(encoding="utf-8"))
        chunks = ChunkTable(folder)
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        lexical = LexicalIndex.load(folder / "lexical")
    except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
        log.warning("the files of generation %s cannot be read (%s); building it from the store", generation, exc)
        return None
    if state.generation != generation or state.chunk_count != chunk_count or len(chunks) != chunk_count \
            or len(vectors) != chunk_count or lexical.size != chunk_count:
        log.warning("the files of generation %s are inconsistent; building it from the store", generation)
        return None
    return Snapshot(state, chunks, vectors, lexical, load_statements(data_dir, generation))


def load_statements(data_dir: Path, generation: str) -> StatementVectors | None:
    """The statement vectors of `generation`'s files, None when there are none (yet) or
    they cannot be read (the English quote then embeds its statements)."""
    try:
        return StatementVectors.load(snapshot_dir(data_dir, generation))
    except (OSError, ValueError) as exc:
        log.warning("the statement vectors of generation %s cannot be read (%s)", generation, exc)
        return None


def has_statements(data_dir: Path, generation: str) -> bool:
    return StatementVectors.present(snapshot_dir(data_dir, generation))


def write_statements(data_dir: Path, generation: str, statements: StatementVectors) -> bool:
    """Add the statement vectors to the files of `generation` (False when it has none):
    each file written under a temporary name and renamed, the keys last, so a reader sees
    both or neither."""
    folder = snapshot_dir(data_dir, generation)
    if not (folder / "meta.json").is_file():
        return False
    statements.save(folder)
    return True


def drop_snapshots(data_dir: Path, keep: Sequence[str], now: float | None = None) -> list[str]:
    """Remove the files of every generation but `keep`, and temporary folders older than
    STALE_TMP_SECONDS (a process writing one now is never disturbed)."""
    folder = generations_dir(data_dir)
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    dropped = []
    for entry in folder.iterdir():
        if entry.name.startswith(_TMP):
            try:
                stale = now - entry.stat().st_mtime > STALE_TMP_SECONDS
            except OSError:
                continue
            if stale:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
            dropped.append(entry.name)
    return dropped
