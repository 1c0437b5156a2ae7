"""The upload widget's parts that Streamlit leaves to us: its limit text in Swedish, and
freeing an upload's bytes once it has been handled.

Streamlit (1.67) has no way to translate its own drop-zone text ("Drag and drop files
here", "Browse files", "Limit 50MB per file"); its limit is set to ours (max_upload_size)
so the number it shows is right, and our caption beside it says the same in Swedish."""

from __future__ import annotations

from collections.abc import Iterable

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile


def limit_caption(max_mb: int, formats: str) -> str:
    """Beside the uploader: how to use it and its real limit, in Swedish."""
    return (f"Dra filerna till rutan eller klicka på ”Browse files”. Högst {max_mb} MB per fil; {formats}. "
            "En fil av annan typ eller större än så sparas inte.")


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
