"""Helpers shared by the benchmark scripts: locating ../shared and building indexes."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from ingest.pipeline import run_ingest  # noqa: E402
from retrieval.embedders import Embedder  # noqa: E402
from retrieval.settings import Settings, load_settings  # noqa: E402
from retrieval.store import open_client  # noqa: E402


def shared_corpus() -> Path:
    path = SHARED / "corpus"
    if not path.is_dir():
        sys.exit(f"../shared/corpus saknas: {path} finns inte")
    return path


def build_index(corpus: Path, embedder: Embedder, data: Path | None = None, **overrides: int) -> Settings:
    """Ingest `corpus` into a fresh data folder; returns the settings that point at it."""
    data = data or Path(tempfile.mkdtemp(prefix="bench-"))
    settings = load_settings().with_corpus(corpus).with_data(data)
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)
    run_ingest(settings, embedder, open_client(settings))
    return settings


def machine() -> str:
    import chromadb

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"chromadb {chromadb.__version__}"
    )
