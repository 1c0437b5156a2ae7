"""Changing the corpus folder from the UI: saving an uploaded file and removing one.

Plain functions without Streamlit, so they can be tested on their own. Every refusal is
a `DocumentError(name, reason)` with `reason` in plain Swedish. The index itself is not
touched: the next ingest run notices the new, replaced or removed file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import unicodedata
from pathlib import Path, PurePosixPath

from core.errors import DocumentError
from ingest.formats import check_file, sniff_kind
from ingest.manifest import MANIFEST_NAME
from ingest.readers import safe_filename

FILE_MODE = 0o644
_TMP_PREFIX = ".upload-"  # a dot file: ingest skips it, so a half-written upload is never read
_NOT_SAVED = "filen kunde inte sparas – behörighet eller utrymme saknas"


def upload_name(name: str) -> str:
    """The sanitised base name an upload is saved under; DocumentError if none is left."""
    try:
        return safe_filename(name)
    except ValueError:
        reason = "filnamnet är ogiltigt; byt namn på filen och försök igen"
        raise DocumentError(name or "(utan namn)", reason) from None


def check_upload(name: str, data: bytes, max_bytes: int) -> str:
    """Sanitised name of an acceptable upload. Checks the type by content, not only
    by the file name ending."""
    safe = upload_name(name)
    suffix = os.path.splitext(safe)[1].lower()
    expected = check_file(safe, suffix, data, max_bytes).kind
    kind = sniff_kind(data)
    if kind != expected:
        if expected == "pdf":
            raise DocumentError(safe, "filen heter .pdf men innehållet är ingen PDF")
        if expected == "docx":
            raise DocumentError(safe, "filen heter .docx men innehållet är inget Word-dokument")
        if kind == "docx":
            raise DocumentError(safe, f"filen heter {suffix} men innehållet är ett Word-dokument; "
                                "döp om den till .docx")
        if kind == "pdf":
            raise DocumentError(safe, f"filen heter {suffix} men innehållet är en PDF; döp om den till .pdf")
        raise DocumentError(safe, f"filen heter {suffix} men innehållet är inte text (troligen en binärfil)")
    return safe


def existing_file(corpus_dir: Path, safe: str) -> Path | None:
    """The file in the corpus folder (top level) that an upload named `safe` replaces:
    same name after Unicode normalisation (a file copied in from macOS may be NFD)."""
    direct = corpus_dir / safe
    if direct.is_file() and not direct.is_symlink():
        return direct
    try:
        entries = list(corpus_dir.iterdir())
    except OSError:
        return None
    for entry in entries:
        if unicodedata.normalize("NFC", entry.name) == safe and entry.is_file() and not entry.is_symlink():
            return entry
    return None


def save_upload(corpus_dir: Path, name: str, data: bytes, max_bytes: int) -> str:
    """Save an upload into the corpus folder atomically (temp file beside it, then
    os.replace); a file with the same name is replaced. Returns the name saved under."""
    safe = check_upload(name, data, max_bytes)
    corpus_dir = Path(corpus_dir)
    try:
        corpus_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(safe, "dokumentmappen finns inte och kunde inte skapas") from exc
    target = existing_file(corpus_dir, safe) or corpus_dir / safe
    if target.is_symlink() or target.is_dir():
        raise DocumentError(safe, "det finns redan en mapp eller länk med det namnet i dokumentmappen")
    # safe_filename already makes this impossible; belt and braces.
    if target.parent.resolve() != corpus_dir.resolve():
        raise DocumentError(safe, "filnamnet är ogiltigt")
    tmp = write_temp(corpus_dir, safe, data)
    try:
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise DocumentError(safe, _NOT_SAVED) from exc
    fsync_dir(corpus_dir)
    return target.name


def write_temp(directory: Path, name: str, data: bytes, mtime: float | None = None) -> str:
    """`data` in a new dot file in `directory` (the ingest skips it), written through to
    the disk with FILE_MODE and, when given, `mtime`: its path, for the caller to move
    into place. DocumentError(name) when it cannot be written (nothing is left behind)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DocumentError(name, _NOT_SAVED) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        if mtime:
            os.utime(tmp, (mtime, mtime))
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise DocumentError(name, _NOT_SAVED) from exc
    return tmp


def document_path(corpus_dir: Path, name: str) -> tuple[Path, str]:
    """The path of the document `name` (relative to the corpus folder, as the index
    names it) and its POSIX name. Refuses anything outside the folder, hidden files,
    folders, sources.toml and a file that is not there."""
    corpus_dir = Path(corpus_dir)
    shown = name or "(utan namn)"
    outside = "ogiltigt namn – bara dokument i dokumentmappen kan tas bort"
    if not name or "\\" in name or "\x00" in name:
        raise DocumentError(shown, outside)
    rel = PurePosixPath(name)
    if rel.is_absolute() or any(part in ("", ".", "..") or part.startswith(".") for part in rel.parts):
        raise DocumentError(shown, outside)
    if rel.as_posix() == MANIFEST_NAME:
        raise DocumentError(shown, f"{MANIFEST_NAME} är ingen dokumentfil och kan inte tas bort här")
    path = corpus_dir.joinpath(*rel.parts)
    try:
        root = corpus_dir.resolve(strict=True)
        parent = path.parent.resolve(strict=True)
    except (OSError, RuntimeError):
        raise DocumentError(shown, "filen finns inte (längre)") from None
    if parent != root and root not in parent.parents:  # a symlinked folder pointing elsewhere
        raise DocumentError(shown, outside)
    if not path.is_symlink():
        if not path.exists():
            raise DocumentError(shown, "filen finns inte (längre)")
        if not path.is_file():
            raise DocumentError(shown, "det är en mapp, inte en fil")
    return path, rel.as_posix()


def remove_document(corpus_dir: Path, name: str) -> str:
    """Delete the document `name` from the corpus folder for good (the Dokument page
    moves it to the trash instead: ingest/trash.py). Returns the name removed."""
    path, rel = document_path(corpus_dir, name)
    unlink_document(path, rel)
    return rel


def unlink_document(path: Path, shown: str) -> None:
    try:
        path.unlink()  # a symlink is removed itself, never what it points to
    except FileNotFoundError:
        raise DocumentError(shown, "filen finns inte (längre)") from None
    except OSError as exc:
        raise DocumentError(shown, "filen kunde inte tas bort – behörighet saknas") from exc
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink durable (best effort; not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
