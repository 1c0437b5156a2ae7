"""Vectors of documents an ingest removed from the index, kept for a while so that a
document put back unchanged (Ångra in the trash, or copied back by hand) is not
embedded again.

One file per removed document content, `data_dir/kept-vectors/<doc_hash>.npz`: its
records' embed hashes and vectors. Only the ingest touches these files, under its lock.
They are written atomically (temp file, os.replace) and read defensively: a missing or
damaged file only means that the document is embedded again, never a wrong index (a
vector is used only for the embed hash it was computed for).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

KEPT_DIR = "kept-vectors"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def kept_folder(data_dir: Path) -> Path:
    return Path(data_dir) / KEPT_DIR


def keep_vectors(data_dir: Path, doc_hash: str, vectors: Mapping[str, np.ndarray]) -> bool:
    """Save a removed document's vectors (embed hash -> vector); False if it could not."""
    if not _HASH_RE.match(doc_hash) or not vectors:
        return False
    folder = kept_folder(data_dir)
    hashes = sorted(vectors)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kept-", suffix=".npz", dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, hashes=np.array(hashes, dtype="<U64"),
                     vectors=np.vstack([np.asarray(vectors[h], dtype=np.float32) for h in hashes]))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / f"{doc_hash}.npz")
        return True
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def kept_vectors(data_dir: Path, doc_hashes: Iterable[str]) -> dict[str, np.ndarray]:
    """The kept vectors of these document contents, by embed hash ({} where none)."""
    out: dict[str, np.ndarray] = {}
    folder = kept_folder(data_dir)
    for doc_hash in set(doc_hashes):
        path = folder / f"{doc_hash}.npz"
        if not _HASH_RE.match(doc_hash) or not path.is_file():
            continue
        try:
            with np.load(path, allow_pickle=False) as data:
                hashes, matrix = data["hashes"], data["vectors"]
                if matrix.ndim != 2 or len(hashes) != len(matrix):
                    continue
                out.update(zip((str(h) for h in hashes), matrix, strict=True))
        except (OSError, ValueError, KeyError):
            continue  # damaged: embedded again
    return out


def forget_vectors(data_dir: Path, doc_hashes: Iterable[str] = (), older_than_days: float | None = None,
                   now: float | None = None) -> None:
    """Delete the kept vectors of these contents (back in the index, so of no more use),
    and those kept longer than `older_than_days`."""
    folder = kept_folder(data_dir)
    for doc_hash in set(doc_hashes):
        if _HASH_RE.match(doc_hash):
            with contextlib.suppress(OSError):
                (folder / f"{doc_hash}.npz").unlink()
    if older_than_days is None:
        return
    limit = (time.time() if now is None else now) - older_than_days * 86400.0
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()
