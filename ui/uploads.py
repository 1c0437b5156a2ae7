"""The upload widget's parts that Streamlit leaves to us: its limit text in Swedish,
freeing an upload's bytes once it has been handled, the limit of uploads per session,
and a guard on the server's store of uploaded files.

Streamlit keeps every uploaded file in its MemoryUploadedFileManager, per session, until
the widget drops it (a new key), the browser deletes it, or the session ends; and its
upload endpoint takes a file from any live session, whether or not the page shows an
uploader. The guard (`guard_store`, installed on every run by app.py) refuses a file
unless the session may upload now (a coordinator on the Dokument page: `allow_uploads`)
and holds less than its limit (ASSISTANT_MAX_UPLOAD_MB_PER_SESSION) with it.

Streamlit (1.67) has no way to translate its own drop-zone text ("Drag and drop files
here", "Browse files", "Limit 50MB per file"); its limit is set to ours (max_upload_size)
so the number it shows is right, and our caption beside it says the same in Swedish."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import NoReturn

from starlette.exceptions import HTTPException
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

_UPLOADERS: dict[str, int] = {}  # session id -> the bytes it may hold at once: the sessions that may upload now
_LOCK = threading.Lock()
_GUARDED = "_assistant_guarded"


def limit_caption(max_mb: int, formats: str, max_files: int = 0, max_total_mb: int = 0) -> str:
    """Beside the uploader: how to use it and its real limits, in Swedish."""
    session = f" Högst {max_files} filer och {max_total_mb} MB sammanlagt per session." if max_files else ""
    return (f"Dra filerna till rutan eller klicka på ”Browse files”. Högst {max_mb} MB per fil; {formats}. "
            f"En fil av annan typ eller större än så sparas inte.{session}")


def release(files: Iterable[UploadedFile]) -> int:
    """Drop the uploaded files from the server's memory for this session (Streamlit keeps
    them until the session ends otherwise); returns how many were dropped."""
    ctx = get_script_run_ctx()
    manager = ctx.uploaded_file_mgr if ctx is not None else None
    if ctx is None or not isinstance(manager, MemoryUploadedFileManager):
        return 0
    dropped = 0
    for f in files:
        manager.remove_file(session_id=ctx.session_id, file_id=f.file_id)
        dropped += 1
    return dropped


def within_limit(sizes: Sequence[int], used_files: int, used_bytes: int, max_files: int,
                 max_bytes: int) -> list[bool]:
    """Which of these uploads (their sizes, in order) fit in what the session has left:
    at most `max_files` files and `max_bytes` bytes in all, those before them counted."""
    out = []
    for size in sizes:
        fits = used_files < max_files and used_bytes + size <= max_bytes
        if fits:
            used_files, used_bytes = used_files + 1, used_bytes + size
        out.append(fits)
    return out


def limit_reached(max_files: int, max_mb: int) -> str:
    """Instead of the uploader, once the session has used its uploads."""
    return (f"Du har laddat upp så många filer som en session får ({max_files} filer eller {max_mb} MB sammanlagt). "
            "Ladda om sidan och logga in igen för att ladda upp fler.")


def over_limit(name: str, max_files: int, max_mb: int) -> str:
    return (f"{name} sparades inte: gränsen för uppladdningar i den här sessionen är nådd ({max_files} filer "
            f"eller {max_mb} MB sammanlagt). Ladda om sidan och logga in igen för att ladda upp fler.")


def allow_uploads(allowed: bool, max_held_bytes: int) -> None:
    """Whether this session may hold uploaded files now (and how many bytes at once);
    a session that may not has whatever it holds dropped."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _LOCK:
        if allowed:
            _UPLOADERS[ctx.session_id] = max_held_bytes
        else:
            _UPLOADERS.pop(ctx.session_id, None)
    manager = ctx.uploaded_file_mgr
    if not allowed and isinstance(manager, MemoryUploadedFileManager):
        manager.remove_session_files(ctx.session_id)


def guard_store() -> None:
    """Install the guard on this process's store of uploaded files (once)."""
    ctx = get_script_run_ctx()
    manager = ctx.uploaded_file_mgr if ctx is not None else None
    if isinstance(manager, MemoryUploadedFileManager):
        guard(manager)


def guard(manager: MemoryUploadedFileManager) -> None:
    """Wrap the store's add_file: a file is kept only for a session that may upload, and
    only while what it holds stays within its limit; otherwise refused (HTTP 413)."""
    if getattr(manager, _GUARDED, False):
        return
    add_file = manager.add_file

    def guarded(session_id: str, file: UploadedFileRec) -> None:
        with _LOCK:
            limit = _UPLOADERS.get(session_id)
        if limit is None:
            _refuse("uppladdning är inte tillåten i den här sessionen")
        stored = list(manager.file_storage.get(session_id, {}).items())
        held = sum(len(f.data) for file_id, f in stored if file_id != file.file_id)
        if held + len(file.data) > (limit or 0):
            _refuse("sessionen har redan tagit emot så mycket som den får hålla på en gång")
        add_file(session_id, file)

    manager.add_file = guarded  # type: ignore[method-assign]
    setattr(manager, _GUARDED, True)


def _refuse(reason: str) -> NoReturn:
    raise HTTPException(status_code=413, detail=reason)
