"""The first start's background ingest and its estimate (ui/first_start.py): the model on
the pipeline's messages, the thread's outcomes, the real pipeline's progress, and the
app through AppTest with a short ASSISTANT_FIRST_START_WAIT."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import IngestBusyError, ManifestError
from tests.conftest import DEFAULT_QUESTION, REPO
from tests.test_roles import Clock  # a clock the test sets
from ui.first_start import PUBLISH_SHARE, FirstStart, Progress, status_lines, time_left


def test_counts_and_estimate_from_the_pipelines_messages() -> None:
    clock = Clock()
    first = FirstStart(clock)
    first.progress(0.0, "Läser dokumenten …")
    snap = first.snapshot()
    assert snap.docs is None and snap.chunks is None and snap.eta_seconds is None
    assert status_lines(snap) == ["Tid kvar: beräknar …"]
    first.progress(0.05, "Läser a.md (1 av 4)")
    assert first.snapshot().docs == (0, 4)
    clock.now += 1
    first.progress(0.2, "Läser b (1 av 2).md (3 av 4)")  # a count in a name does not mislead
    assert first.snapshot().docs == (2, 4)
    first.progress(0.3, "Beräknar vektorer 0/200 …")
    snap = first.snapshot()
    assert snap.docs == (4, 4) and snap.chunks == (0, 200)
    assert snap.eta_seconds is None  # nothing embedded yet: no rate
    assert "Tid kvar: beräknar …" in status_lines(snap)
    clock.now += 10
    first.progress(0.45, "Beräknar vektorer 50/200 …")  # 5 chunks/s
    snap = first.snapshot()
    tail = PUBLISH_SHARE * 200 / 5
    assert snap.eta_seconds == pytest.approx(30 + tail)
    assert status_lines(snap) == ["Dokument: 4 av 4 lästa", "Avsnitt: 50 av 200 klara för sökning",
                                  f"Tid kvar: {time_left(30 + tail)}"]
    clock.now += 20  # the next batch is under way: the estimate counts down
    assert first.snapshot().eta_seconds == pytest.approx(10 + tail)
    clock.now += 60  # slower than measured: never below the publishing share
    assert first.snapshot().eta_seconds == pytest.approx(tail)
    first.progress(0.92, "Bygger det nya indexet …")
    snap = first.snapshot()
    assert snap.chunks == (200, 200) and snap.eta_seconds == 0.0
    assert time_left(snap.eta_seconds) == "strax klart"


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "beräknar …"), (0, "strax klart"), (3, "några sekunder"), (12, "cirka 10 sekunder"), (47, "cirka 45 sekunder"),
    (62, "cirka 60 sekunder"), (88, "cirka 90 sekunder"), (90, "cirka 2 minuter"), (150, "cirka 3 minuter"),
    (290, "cirka 5 minuter"),
])
def test_time_left_in_swedish(seconds: float | None, shown: str) -> None:
    assert time_left(seconds) == shown


def _finished(first: FirstStart) -> None:
    assert first.wait(30)


def test_the_thread_runs_once_and_keeps_its_outcome() -> None:
    first = FirstStart()
    told, gate = threading.Event(), threading.Event()
    calls = []

    def work(progress: Progress) -> None:
        calls.append(1)
        progress(0.5, "Beräknar vektorer 0/10 …")
        told.set()
        gate.wait(30)

    assert first.start(work)
    assert told.wait(30)
    assert not first.start(work)  # running: a rerun or a second session does not start another
    assert first.snapshot().running and first.snapshot().chunks == (0, 10)
    gate.set()
    _finished(first)
    snap = first.snapshot()
    assert snap.done and not snap.running and snap.error is None
    assert not first.start(work) and calls == [1]  # finished: never again in this process


def test_errors_are_kept_in_swedish_and_a_retry_starts_afresh() -> None:
    first = FirstStart()

    def bad_manifest(_progress: Progress) -> None:
        raise ManifestError("sources.toml", 3, "ogiltig rad")

    first.start(bad_manifest)
    _finished(first)
    snap = first.snapshot()
    assert not snap.done and snap.error == "Filen sources.toml, rad 3 är felaktig (ogiltig rad). Inget har ändrats."

    def crash(_progress: Progress) -> None:
        raise ZeroDivisionError("division by zero")

    assert first.start(crash)  # "Försök igen"
    _finished(first)
    error = first.snapshot().error
    assert error is not None and "ZeroDivisionError" in error and "Traceback" not in error
    assert error.startswith("Inläsningen avbröts av ett oväntat fel")


def test_busy_waits_then_is_due_for_a_retry() -> None:
    clock = Clock()
    first = FirstStart(clock)

    def busy(_progress: Progress) -> None:
        raise IngestBusyError()

    first.start(busy)
    _finished(first)
    snap = first.snapshot()
    assert snap.busy == IngestBusyError().swedish_message() and not snap.retry_due and snap.error is None
    clock.now += 5
    assert first.snapshot().retry_due


@pytest.mark.slow
def test_the_real_pipeline_gives_counts_and_an_estimate(tmp_path: Path, real_embedder,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The messages parsed are the pipeline's own: small batches give several rates."""
    from core.settings import load_settings
    from core.store import open_client
    from ingest import pipeline

    monkeypatch.setattr(pipeline, "EMBED_BATCH", 4)
    settings = load_settings().with_corpus(REPO / "corpus").with_data(tmp_path / "data")
    first = FirstStart()
    seen = []

    def progress(fraction: float, message: str) -> None:
        first.progress(fraction, message)
        seen.append(first.snapshot())

    pipeline.run_ingest(settings, real_embedder, open_client(settings), progress)
    assert any(s.docs == (0, 1) for s in seen)
    totals = {s.chunks[1] for s in seen if s.chunks is not None}
    assert len(totals) == 1 and totals.pop() > 8
    estimates = [s.eta_seconds for s in seen if s.eta_seconds is not None]
    assert estimates and all(e >= 0 for e in estimates)
    assert seen[-1].fraction == 1.0 and seen[-1].chunks is not None and seen[-1].chunks[0] == seen[-1].chunks[1]


@pytest.fixture
def fresh_resources() -> Iterator[None]:
    from ui.resources import resources

    resources.clear()  # process-wide: a new FirstStart and this test's folders
    yield
    resources.clear()


@pytest.mark.slow
def test_app_shows_progress_then_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         fresh_resources: None) -> None:
    monkeypatch.setenv("ASSISTANT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    monkeypatch.setenv("ASSISTANT_FIRST_START_WAIT", "0.1")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert any(h.value == "Första start: dokumenten läses in …" for h in at.subheader)
    assert at.chat_input and at.chat_input[0].disabled  # where it will be
    assert any("Tid kvar:" in c.value for c in at.caption)
    deadline = time.monotonic() + 300
    while at.chat_input[0].disabled:  # each run is a look at the page, as the timer's would be
        assert time.monotonic() < deadline, [c.value for c in at.caption]
        time.sleep(1)
        at.run()
        assert not at.exception
    assert not any(h.value.startswith("Första start") for h in at.subheader)
    at.chat_input[0].set_value(DEFAULT_QUESTION).run()
    assistant = [m for m in at.chat_message if m.name == "assistant"][-1]
    assert "Kommunstyrelsen föreslås ansvara för kommunikation" in " ".join(md.value for md in assistant.markdown)


@pytest.mark.slow
def test_app_says_another_ingest_runs_then_ingests_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          fresh_resources: None) -> None:
    """Another process's ingest (its lock file held here) is said so; once it is gone the
    page's next look starts the first ingest and the chat comes."""
    from ingest.lock import ingest_lock
    from ui import first_start

    monkeypatch.setattr(first_start, "BUSY_RETRY_SECONDS", 0.5)
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA", str(data))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(REPO / "corpus"))
    monkeypatch.setenv("ASSISTANT_FIRST_START_WAIT", "0.1")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    with ingest_lock(data):
        at.run()
        assert not at.exception
        assert at.info and at.info[0].value.startswith(IngestBusyError().swedish_message())
        assert "försöker igen" in at.info[0].value
        assert at.chat_input[0].disabled
        time.sleep(1)
        at.run()  # still held: busy again, never a traceback
        assert at.info and not at.exception
    deadline = time.monotonic() + 300
    while not at.chat_input or at.chat_input[0].disabled:
        assert time.monotonic() < deadline, [i.value for i in at.info] + [c.value for c in at.caption]
        time.sleep(1)
        at.run()
        assert not at.exception and not at.error
    assert not any("En annan inläsning" in i.value for i in at.info)
    assert at.info[0].value.startswith("Exempel:")  # the chat, as after any first start


@pytest.mark.slow
def test_app_shows_an_ingest_error_in_swedish_and_retries_on_the_button(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_resources: None) -> None:
    from ingest.report import read_history

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Rutin\n\nBesökare anmäler sig i receptionen.\n", encoding="utf-8")
    (corpus / "sources.toml").write_text('["a.md"\ntitle = "x"\n', encoding="utf-8")  # malformed
    monkeypatch.setenv("ASSISTANT_DATA", str(data))
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_FIRST_START_WAIT", "60")  # the error comes well within it
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("Filen ") and "sources.toml" in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not at.chat_input  # nothing to wait for until someone fixes the manifest
    at.run()  # a page view does not run the failing ingest again
    assert len(read_history(data)) == 1
    (corpus / "sources.toml").write_text('["a.md"]\ntitle = "Rutin för besök"\n', encoding="utf-8")
    at.button[0].click().run()  # "Försök igen"
    deadline = time.monotonic() + 300
    while not at.chat_input:
        assert time.monotonic() < deadline and not at.exception
        time.sleep(1)
        at.run()
    assert len(read_history(data)) == 2 and not at.error
