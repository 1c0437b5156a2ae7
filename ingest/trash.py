"""The trash ("Papperskorgen"): a document removed on the Dokument page is moved here,
with its sources.toml entry, and can be put back ("Ångra") until it is emptied.

Each entry is a folder `data_dir/trash/<id>/` holding the file's bytes (`file`) and a
small JSON record (`record.json`: original name, removed at, doc_hash, the manifest
entry as TOML text, who removed it). An entry is complete or absent: it is built in a
dot folder and renamed into place. Plain functions without Streamlit; every refusal is
a `DocumentError(name, reason)` in plain Swedish.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from core.errors import DocumentError, ManifestError
from ingest.manifest_write import entry_toml, remove_entry, restore_entry
from ingest.uploads import document_path, fsync_dir, unlink_document, write_temp

TRASH_DIR = "trash"
RECORD = "record.json"
CONTENT = "file"
_ID_RE = re.compile(r"^\d{10,}-[0-9a-f]{8}$")
_PARTIAL = ".partial-"
DAY = 86400.0


@dataclass(frozen=True)
class TrashEntry:
    id: str
    name: str  # as the index named it, relative to the corpus folder
    removed_at: float
    doc_hash: str
    manifest: str | None  # the sources.toml entry as TOML text, if it had one
    who: str | None  # who removed it, when the login knows a name
    size: int


def trash_folder(data_dir: Path) -> Path:
    return Path(data_dir) / TRASH_DIR


def trash_document(corpus_dir: Path, data_dir: Path, name: str, who: str | None = None,
                   now: float | None = None) -> TrashEntry:
    """Move document `name` and its manifest entry into the trash."""
    corpus_dir = Path(corpus_dir)
    path, rel = document_path(corpus_dir, name)
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise DocumentError(rel, "filen kunde inte läsas") from exc
    try:
        manifest = entry_toml(corpus_dir, rel)
    except ManifestError as err:
        raise DocumentError(rel, f"{err.swedish_message().rstrip('.')} – rätta sources.toml först") from None
    removed_at = time.time() if now is None else now
    entry = TrashEntry(f"{int(removed_at):010d}-{uuid.uuid4().hex[:8]}", rel, removed_at,
                       hashlib.sha256(data).hexdigest(), manifest, who, len(data))
    folder = _write_entry(Path(data_dir), entry, data, mtime)
    # The trash holds a complete copy now: a crash from here on leaves the document in
    # both places (Ångra then refuses), never in neither.
    try:
        if manifest is not None:
            remove_entry(corpus_dir, rel)
        unlink_document(path, rel)
    except (DocumentError, ManifestError, OSError) as err:
        with contextlib.suppress(DocumentError, ManifestError, OSError):
            if manifest is not None:
                restore_entry(corpus_dir, rel, manifest)
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(err, DocumentError):
            raise
        raise DocumentError(rel, "filen kunde inte flyttas till papperskorgen") from err
    return entry


def list_trash(data_dir: Path) -> list[TrashEntry]:
    """Every complete entry, the newest first; unreadable ones are left out."""
    root = trash_folder(data_dir)
    try:
        folders = [p for p in root.iterdir() if _ID_RE.match(p.name) and p.is_dir()]
    except OSError:
        return []
    entries = [e for e in (_read_entry(f) for f in folders) if e is not None]
    return sorted(entries, key=lambda e: (-e.removed_at, e.id))


def restore_document(corpus_dir: Path, data_dir: Path, entry_id: str) -> str:
    """Put the entry's file and manifest entry back into the corpus folder; refuses when
    a file of that name is there now. Returns the document's name."""
    corpus_dir = Path(corpus_dir)
    folder = _entry_folder(data_dir, entry_id)
    entry = _read_entry(folder) if folder is not None else None
    if folder is None or entry is None:
        raise DocumentError("(papperskorgen)", "dokumentet finns inte längre i papperskorgen")
    name = entry.name
    target = corpus_dir.joinpath(*PurePosixPath(name).parts)
    if _taken(target):
        raise DocumentError(name, "det finns redan en fil med det namnet i dokumentmappen; byt namn på "
                                  "den eller ta bort den först")
    try:
        data = (folder / CONTENT).read_bytes()
        mtime = float(json.loads((folder / RECORD).read_text(encoding="utf-8")).get("mtime") or 0) or None
    except (OSError, ValueError) as exc:
        raise DocumentError(name, "dokumentet i papperskorgen kunde inte läsas") from exc
    restored = False
    if entry.manifest is not None:
        try:
            restored = restore_entry(corpus_dir, name, entry.manifest)
        except ManifestError as err:
            raise DocumentError(name, f"{err.swedish_message().rstrip('.')} – rätta sources.toml "
                                      "först") from None
    try:
        _place(target, data, mtime)
    except DocumentError:
        if restored:
            with contextlib.suppress(ManifestError, OSError):
                remove_entry(corpus_dir, name)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    return name


def empty_trash(data_dir: Path) -> int:
    """Delete every entry for good; returns how many."""
    return _delete(list_trash(data_dir), data_dir)


def purge_expired(data_dir: Path, days: int, now: float | None = None) -> int:
    """Delete the entries older than `days` days (and leftovers of interrupted moves)."""
    limit = (time.time() if now is None else now) - days * DAY
    root = trash_folder(data_dir)
    with contextlib.suppress(OSError):
        for partial in root.glob(_PARTIAL + "*"):
            if partial.stat().st_mtime < limit:
                shutil.rmtree(partial, ignore_errors=True)
    return _delete([e for e in list_trash(data_dir) if e.removed_at < limit], data_dir)


def _delete(entries: list[TrashEntry], data_dir: Path) -> int:
    for entry in entries:
        shutil.rmtree(trash_folder(data_dir) / entry.id, ignore_errors=True)
    return len(entries)


def _write_entry(data_dir: Path, entry: TrashEntry, data: bytes, mtime: float) -> Path:
    root = trash_folder(data_dir)
    record: dict[str, Any] = {
        "name": entry.name, "removed_at": entry.removed_at, "doc_hash": entry.doc_hash,
        "manifest": entry.manifest, "who": entry.who, "size": entry.size, "mtime": mtime,
    }
    try:
        root.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=_PARTIAL, dir=root))
    except OSError as exc:
        raise DocumentError(entry.name, "papperskorgen kunde inte skapas – behörighet eller utrymme saknas") \
            from exc
    try:
        for file_name, content in ((CONTENT, data),
                                   (RECORD, json.dumps(record, ensure_ascii=False, indent=1).encode())):
            with open(partial / file_name, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        final = root / entry.id
        os.replace(partial, final)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise DocumentError(entry.name, "filen kunde inte flyttas till papperskorgen – behörighet eller "
                                        "utrymme saknas") from exc
    fsync_dir(root)
    return final


def _read_entry(folder: Path) -> TrashEntry | None:
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        if not (folder / CONTENT).is_file():
            return None
        return TrashEntry(
            id=folder.name, name=str(record["name"]), removed_at=float(record["removed_at"]),
            doc_hash=str(record.get("doc_hash") or ""), manifest=record.get("manifest"),
            who=record.get("who"), size=int(record.get("size") or 0),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _entry_folder(data_dir: Path, entry_id: str) -> Path | None:
    if not _ID_RE.match(entry_id or ""):
        return None
    folder = trash_folder(data_dir) / entry_id
    return folder if folder.is_dir() else None


def _taken(target: Path) -> bool:
    """A file (or folder or link) of that name, also spelt in another Unicode form."""
    if target.exists() or target.is_symlink():
        return True
    wanted = unicodedata.normalize("NFC", target.name)
    try:
        return any(unicodedata.normalize("NFC", p.name) == wanted for p in target.parent.iterdir())
    except OSError:
        return False


def _place(target: Path, data: bytes, mtime: float | None) -> None:
    """Write the file without ever replacing one that appeared meanwhile (os.link
    refuses an existing name); with its old mtime, so an unchanged file is not shown as changed."""
    name = target.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(name, "filen kunde inte sparas – behörighet eller utrymme saknas") from exc
    tmp = write_temp(target.parent, name, data, mtime)
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise DocumentError(name, "det finns redan en fil med det namnet i dokumentmappen") from None
    except OSError as exc:
        raise DocumentError(name, "filen kunde inte sparas – behörighet eller utrymme saknas") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(target.parent)
