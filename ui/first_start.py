"""The first start: the first ingest of a process runs in a background thread, and every
page that needs the index shows its progress and an estimated time left until the
index exists (ui/resources.py draws it). One FirstStart per process (kept in
Resources), so every session sees the same run; a page's reruns never start another.

The pipeline's progress callback (fraction, message) carries the counts in its messages:
"Läser NAME (3 av 65)" while documents are read, "Beräknar vektorer 64/225 …" while the
chunks are embedded, which takes most of a first ingest. The estimate comes from the rate
measured over the embedding so far; before a batch has been embedded there is none."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import AssistantError, IngestBusyError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Work = Callable[[Progress], None]  # one ingest, told of its progress

_DOCS = re.compile(r"\((\d+) av (\d+)\)\s*$")  # ingest/pipeline.py carry_out
_CHUNKS = re.compile(r"Beräknar vektorer (\d+)/(\d+)")  # ingest/pipeline.py embed_missing
# After the last embedding batch the new generation is written and switched to, and the
# page reruns: measured 9 s after about 70 s of embedding the 225 shared chunks (bench/README).
PUBLISH_SHARE = 0.12
BUSY_RETRY_SECONDS = 5.0  # another process holds the ingest lock: look again after this


@dataclass(frozen=True)
class Snapshot:
    """What a page shows of the first ingest at one moment."""

    fraction: float
    message: str
    docs: tuple[int, int] | None  # documents read, of all (once known)
    chunks: tuple[int, int] | None  # chunks embedded, of all to embed (once known)
    eta_seconds: float | None  # None: not enough measured yet
    running: bool
    done: bool  # finished without an error: the index exists
    error: str | None  # Swedish, for the page
    busy: str | None  # Swedish: another process is ingesting
    retry_due: bool  # busy long enough ago to try again


class FirstStart:
    """The progress and outcome of a process's first ingest; safe to read from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._reset()
        self._done = False

    def _reset(self) -> None:
        self._fraction, self._message = 0.0, ""
        self._docs: tuple[int, int] | None = None
        self._chunks: tuple[int, int] | None = None
        self._embed_start: tuple[float, int] | None = None  # (time, chunks done) of the first batch
        self._embed_last: tuple[float, int] | None = None  # of the latest report
        self._publishing = False
        self._error: str | None = None
        self._busy: str | None = None
        self._busy_at = 0.0

    def progress(self, fraction: float, message: str) -> None:
        """The pipeline's progress callback."""
        now = self._clock()
        with self._lock:
            self._fraction, self._message = min(1.0, max(0.0, fraction)), message
            if m := _DOCS.search(message):
                self._docs = (int(m.group(1)) - 1, int(m.group(2)))  # told before the document is read
            elif m := _CHUNKS.search(message):
                done, total = int(m.group(1)), int(m.group(2))
                if self._docs is not None:
                    self._docs = (self._docs[1], self._docs[1])
                self._chunks = (done, total)
                if self._embed_start is None:
                    self._embed_start = (now, done)
                self._embed_last = (now, done)
            elif fraction > 0.9:  # "Bygger det nya indexet …"
                if self._chunks is not None:
                    self._chunks = (self._chunks[1], self._chunks[1])
                self._publishing = True

    def _eta(self, now: float) -> float | None:
        if self._publishing:
            return 0.0
        if self._embed_start is None or self._embed_last is None or self._chunks is None:
            return None
        (t0, c0), (t1, c1) = self._embed_start, self._embed_last
        if c1 <= c0 or t1 <= t0:
            return None
        per_chunk = (t1 - t0) / (c1 - c0)
        left = (self._chunks[1] - c1) * per_chunk - (now - t1)  # the batch under way has run a while
        return max(0.0, left) + PUBLISH_SHARE * self._chunks[1] * per_chunk

    def snapshot(self) -> Snapshot:
        now = self._clock()
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            return Snapshot(
                fraction=self._fraction, message=self._message, docs=self._docs, chunks=self._chunks,
                eta_seconds=self._eta(now), running=running, done=self._done, error=self._error,
                busy=self._busy, retry_due=self._busy is not None and now - self._busy_at >= BUSY_RETRY_SECONDS,
            )

    def start(self, work: Work) -> bool:
        """Start `work` in the background unless it runs or has finished; True if started."""
        with self._lock:
            if self._done or (self._thread is not None and self._thread.is_alive()):
                return False
            self._reset()
            self._thread = threading.Thread(target=self._run, args=(work,), name="first-ingest", daemon=True)
            self._thread.start()
            return True

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for a running ingest; True if none runs now."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(seconds)
            return not thread.is_alive()
        return True

    def _run(self, work: Work) -> None:
        try:
            work(self.progress)
        except IngestBusyError as err:
            with self._lock:
                self._busy, self._busy_at = err.swedish_message(), self._clock()
            return
        except AssistantError as err:
            error = err.swedish_message()
        except Exception as err:  # the thread's end: kept for the page, the traceback in the server log
            log.exception("first ingest failed")
            error = f"Inläsningen avbröts av ett oväntat fel ({type(err).__name__}). Mer står i serverns logg."
        else:
            with self._lock:
                self._done = True
            return
        with self._lock:
            self._error = error


def time_left(seconds: float | None) -> str:
    """The estimate as staff read it."""
    if seconds is None:
        return "beräknar …"
    if seconds <= 0:  # every chunk embedded: the index is being built
        return "strax klart"
    if seconds < 10:
        return "några sekunder"
    if seconds < 90:
        return f"cirka {max(10, 5 * math.floor(seconds / 5 + 0.5))} sekunder"
    return f"cirka {math.floor(seconds / 60 + 0.5)} minuter"  # 2 and more


def status_lines(snap: Snapshot) -> list[str]:
    """The lines under the progress bar: counts where known, and the time left."""
    lines = []
    if snap.docs is not None:
        lines.append(f"Dokument: {snap.docs[0]} av {snap.docs[1]} lästa")
    if snap.chunks is not None:
        lines.append(f"Avsnitt: {snap.chunks[0]} av {snap.chunks[1]} klara för sökning")
    lines.append(f"Tid kvar: {time_left(snap.eta_seconds)}")
    return lines
