"""Helpers for tests that need real servers: `chroma run` and `streamlit run` on free
loopback ports, waited for until they answer, and always stopped (terminate, then kill)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
FIRST_START_WAIT = "600"  # seconds; see base_env

# Debian's chromium; `playwright install` cannot download in CI.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def base_env(**extra: str) -> dict[str, str]:
    """The test environment for child processes: offline, no telemetry, no stray Chroma URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               PYTHONUNBUFFERED="1")
    # A first view on an empty data folder waits for the first ingest, as the tests expect
    # (the progress screen in between is tests/test_browser_first_start.py's).
    env.update(ASSISTANT_FIRST_START_WAIT=FIRST_START_WAIT)
    env.update(extra)
    return env


def tool(name: str) -> str:
    """A console script of the running environment (.venv/bin/chroma, …)."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed beside {sys.executable}")
    return found


@dataclass
class Server:
    """A server process on HOST:port; its output goes to `log`."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """Terminate the server's process group, kill it if it does not go."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=timeout)


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return int(response.status), response.read().decode("utf-8", "replace")


def wait_until_up(server: Server, path: str, timeout: float) -> None:
    """Poll `path` until it answers 200; fail early (with the log) if the process dies."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.proc.returncode} before answering:\n{server.log_tail()}"
            )
        try:
            status, _ = http_get(server.url + path, timeout=2)
            if status == 200:
                return
            last = status
        except (OSError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(
        f"{server.name} did not answer {path} within {timeout:.0f} s ({last}):\n{server.log_tail()}"
    )


def start(name: str, argv_for_port: Sequence[str], log: Path, health: str, env: dict[str, str],
          cwd: Path = REPO, timeout: float = 60, attempts: int = 3, port: int | None = None) -> Server:
    """Start `argv_for_port` (with `{port}` filled in) until one attempt answers `health`.
    Another process may take a free port between choosing and binding: then try again
    (with a given `port`, the same one: a restart where clients expect it)."""
    error: Exception | None = None
    fixed = port
    for _ in range(attempts):
        port = fixed or free_port()
        argv = [a.replace("{port}", str(port)) for a in argv_for_port]
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = Server(name, proc, port, log)
        try:
            wait_until_up(server, health, timeout)
            return server
        except (RuntimeError, TimeoutError) as exc:
            server.stop()
            error = exc
    assert error is not None
    raise error


def start_chroma(path: Path, log: Path, timeout: float = 60, port: int | None = None) -> Server:
    """`chroma run --path PATH --host 127.0.0.1 --port FREE`, up when /api/v2/heartbeat answers."""
    argv = [tool("chroma"), "run", "--path", str(path), "--host", HOST, "--port", "{port}"]
    return start("chroma run", argv, log, "/api/v2/heartbeat", base_env(), timeout=timeout, port=port)


def start_streamlit(env: dict[str, str], log: Path, app: Path = REPO / "app.py",
                    timeout: float = 120) -> Server:
    """`streamlit run app.py` headless on 127.0.0.1:FREE, up when /_stcore/health answers.
    The app itself loads the model and (on first start) ingests in the first session."""
    argv = [
        tool("streamlit"), "run", str(app), "--server.headless", "true", "--server.address", HOST,
        "--server.port", "{port}", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--global.developmentMode", "false",
    ]
    return start("streamlit run", argv, log, "/_stcore/health", env, timeout=timeout)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()
