"""The files of a Chroma data folder (the embedded store's `chroma/`, or a Chroma
server's `--path`): the vector folders of deleted collections are removed.

chromadb 1.5.9 does not remove a deleted collection's vector segment folder
(chroma-core/chroma#5520), and every re-ingest deletes a generation, so the folder
would grow with each run. A folder is named by its segment's id; one that no row of
`segments` in `chroma.sqlite3` refers to belongs to no collection any more.

Safe while Chroma runs: Chroma writes a new collection and its segment rows in one
transaction before any folder of it exists (its HNSW writer creates the folder at the
first write), so the folders are listed *before* the rows are read: a folder seen then
whose collection is being created already has its row. Folders younger than `min_age`
are left alone as well (a margin for a Chroma that orders this differently).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

DB_FILE = "chroma.sqlite3"


@dataclass(frozen=True)
class Pruned:
    removed: list[str]  # folder names
    freed_bytes: int


def _is_uuid(name: str) -> bool:
    try:
        return str(uuid.UUID(name)) == name
    except ValueError:
        return False


def _size_and_newest(folder: Path) -> tuple[int, float]:
    """The bytes of a folder's files, and the newest modification time in it."""
    size, newest = 0, folder.stat().st_mtime
    for path in folder.rglob("*"):
        info = path.stat()
        newest = max(newest, info.st_mtime)
        size += info.st_size if path.is_file() else 0
    return size, newest


def segment_ids(chroma_dir: Path) -> set[str] | None:
    """The segment ids `chroma.sqlite3` refers to; None when it cannot be read."""
    db = chroma_dir / DB_FILE
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return {str(row[0]) for row in con.execute("SELECT id FROM segments")}
        finally:
            con.close()
    except sqlite3.Error:
        return None


def prune_segment_folders(chroma_dir: Path, min_age: float = 0.0, now: float | None = None) -> Pruned:
    """Remove the vector folders no segment refers to and older than `min_age` seconds.
    Best effort: nothing is removed when the database cannot be read."""
    if not chroma_dir.is_dir():
        return Pruned([], 0)
    folders = [p for p in chroma_dir.iterdir() if p.is_dir() and _is_uuid(p.name)]  # before the rows
    in_use = segment_ids(chroma_dir)
    if in_use is None:
        return Pruned([], 0)
    now = time.time() if now is None else now
    removed, freed = [], 0
    for folder in sorted(folders):
        if folder.name in in_use:
            continue
        try:
            size, newest = _size_and_newest(folder)
            if now - newest < min_age:
                continue
        except OSError:
            continue  # gone meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.name)
            freed += size
    return Pruned(removed, freed)
