"""Cold start: from `streamlit run app.py` to the first answer in a browser, and peak
memory of the app and of a command-line ingest.

    .venv/bin/python bench/coldstart.py [--corpus DIR] [--question Q] [--variants ingested,empty]
        [--second-tab SECONDS] [--before CHECKOUT]

1. `python -m ingest CORPUS --data TMP` in a child process: wall time and peak RSS
   (the process and its children, sampled from /proc every 0.1 s; ru_maxrss of the
   child as a cross-check). Its data folder serves variant "ingested".
2. For each variant, `streamlit run app.py` headless on 127.0.0.1 and a free port with
   ASSISTANT_DATA pointing at the data folder ("ingested": the folder from step 1;
   "empty": an empty folder, so the first page view ingests ASSISTANT_CORPUS). A
   headless Chromium (Playwright, /usr/bin/chromium, launched before the app so its own
   start is not counted) polls until the page answers, types the question into the chat
   input and waits for "[1]" (or the refusal sentence) in the assistant's message.
   Reported: spawn -> health endpoint, -> first view (a progress bar or the usable chat
   input), -> chat input usable, -> first answer, and the answer alone; peak RSS of the
   app's process tree over the whole run; each "Tid kvar" the progress screen showed.
   --second-tab: a second session opened that long after the first view: when it shows
   a progress bar, when that bar's text first changes, when its chat is usable.
   --before: start the app from another checkout (e.g. `git archive main | tar -x -C DIR`),
   measured the same way; no command-line ingest runs unless "ingested" is asked for.

Without Playwright or Chromium the browser part is skipped with a message (install
Chromium with `apt-get install -y chromium`); the time to the health endpoint and the
memory are still measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import ROOT, PeakRss, load_note, machine_report, shared_corpus

HOST = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTION = "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?"
REFUSAL = "Jag hittar inget svar på det i dokumenten."
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
PROGRESS_TEXT_JS = """() => { const bar = document.querySelector('[data-testid="stProgress"]');
  return bar ? bar.innerText : null; }"""
TIME_LEFT_JS = """() => (document.body.innerText.match(/Tid kvar: ([^\\n]*)/) || [null, null])[1]"""
# Something for staff to look at: a progress bar (first start) or the usable chat input.
FIRST_VIEW_JS = """() => !!(document.querySelector('[data-testid="stProgress"]')
  || document.querySelector('[data-testid="stChatInputTextArea"]:not([disabled])'))"""
ANSWER_JS = """([refusal]) => {
  const msgs = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
    .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
  const text = msgs.map(m => m.innerText).join("\\n");
  if (text.includes("[1]")) return "answer";
  if (text.includes(refusal)) return "refusal";
  return null;
}"""


def env_for(data: Path, corpus: Path, root: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA=str(data), ASSISTANT_CORPUS=str(corpus), HF_HUB_OFFLINE="1", PYTHONPATH=str(root),
               TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONUNBUFFERED="1")
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the process group we started; kill it if it does not go."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


def cli_ingest(corpus: Path, data: Path) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ingest", str(corpus), "--data", str(data)], cwd=ROOT,
                            env=env_for(data, corpus), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakRss(proc.pid) as peak:
        _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"python -m ingest failed ({proc.returncode}):\n{err.decode(errors='replace')[-2000:]}")
    return {"seconds": seconds, "peak_mib": peak.peak_kib / 1024,
            "ru_maxrss_mib": maxrss / 1024 if maxrss > before else None}


def browser_or_reason() -> tuple[Any, str | None]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "Playwright is not installed in .venv (pip install playwright)"
    if not CHROMIUM.exists():
        return None, f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    return sync_playwright, None


def start_app(data: Path, corpus: Path, log: Path, root: Path) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    argv = [str(Path(sys.executable).parent / "streamlit"), "run", str(root / "app.py"),
            "--server.headless", "true", "--server.address", HOST, "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--global.developmentMode", "false"]
    t0 = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, cwd=root, env=env_for(data, corpus, root), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, port, t0


def wait_health(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError("no answer from /_stcore/health")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the app's process so far (all its threads): the work
    done, which the other load on a shared machine does not change the way it does the
    wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SecondTab:
    """A second browser session opened `after` seconds past the first view: when it shows a
    progress bar, when that bar's text first changes (the page is alive, not waiting on a
    lock), and when its chat input is usable."""

    def __init__(self, browser: Any, url: str, after: float, t0: float) -> None:
        self.browser, self.url, self.t0 = browser, url, t0
        self.open_at = time.perf_counter() + after
        self.page: Any = None
        self.first_text: str | None = None
        self.res: dict[str, float] = {}

    def look(self) -> None:
        now = time.perf_counter()
        if self.page is None:
            if now >= self.open_at:
                self.page = self.browser.new_context(locale="sv-SE").new_page()
                self.page.goto(self.url)
                self.res["second_opened_s"] = time.perf_counter() - self.t0
            return
        text = self.page.evaluate(PROGRESS_TEXT_JS)
        if text is None:
            return
        if self.first_text is None:
            self.first_text = text
            self.res["second_view_s"] = now - self.t0
        elif text != self.first_text and "second_moves_s" not in self.res:
            self.res["second_moves_s"] = now - self.t0

    def finish(self, timeout: float) -> dict[str, float]:
        if self.page is not None:
            self.page.locator(CHAT_INPUT + ":not([disabled])").wait_for(timeout=timeout * 1000)
            self.res["second_chat_s"] = time.perf_counter() - self.t0
            self.page.context.close()
        return self.res


def watch_estimates(page: Any, box: Any, t0: float, timeout: float,
                    second: SecondTab | None = None) -> list[tuple[float, str]]:
    """Wait for the usable chat input; meanwhile note each new "Tid kvar: …" the first
    start's progress screen shows, with the seconds since spawning (and look at `second`)."""
    seen: list[tuple[float, str]] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            box.wait_for(timeout=1000)
            return seen
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: not usable yet
            if time.monotonic() > deadline:
                raise
        text = page.evaluate(TIME_LEFT_JS)
        if text and (not seen or seen[-1][1] != text):
            seen.append((time.perf_counter() - t0, text))
        if second is not None:
            second.look()


def run_variant(name: str, data: Path, corpus: Path, question: str, browser: Any, timeout: float,
                workdir: Path, root: Path = ROOT, second_tab: float | None = None) -> dict[str, Any]:
    log = workdir / f"streamlit-{name}.log"
    proc, port, t0 = start_app(data, corpus, log, root)
    res: dict[str, Any] = {"variant": name}
    try:
        with PeakRss(proc.pid) as peak:
            wait_health(proc, port, timeout)
            res["health_s"] = time.perf_counter() - t0
            if browser is not None:
                context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
                try:
                    page = context.new_page()
                    page.goto(f"http://{HOST}:{port}/", timeout=timeout * 1000)
                    page.wait_for_function(FIRST_VIEW_JS, polling=50, timeout=timeout * 1000)
                    res["first_view_s"] = time.perf_counter() - t0
                    box = page.locator(CHAT_INPUT + ":not([disabled])")  # shown disabled during a first ingest
                    second = SecondTab(browser, f"http://{HOST}:{port}/", second_tab, t0) if second_tab else None
                    res["estimates"] = watch_estimates(page, box, t0, timeout, second)
                    res["chat_input_s"] = time.perf_counter() - t0
                    res["cpu_s"] = cpu_seconds(proc.pid)
                    if second is not None:
                        res.update(second.finish(timeout))
                    asked = time.perf_counter()
                    box.fill(question)
                    box.press("Enter")
                    handle = page.wait_for_function(ANSWER_JS, arg=[REFUSAL], polling=50, timeout=timeout * 1000)
                    res["first_answer_s"] = time.perf_counter() - t0
                    res["answer_only_s"] = time.perf_counter() - asked
                    res["outcome"] = handle.json_value()
                finally:
                    context.close()
            res["peak_mib"] = peak.peak_kib / 1024
    finally:
        stop(proc)
    if "Traceback" in log.read_text(errors="replace"):
        res["log_has_traceback"] = str(log)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--variants", default="ingested,empty")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per wait")
    parser.add_argument("--second-tab", type=float, metavar="SECONDS",
                        help="open a second session this long after the first view (a colleague, a reload)")
    parser.add_argument("--before", type=Path, help="a checkout to start `streamlit run app.py` from instead "
                        "(the code before a change; this script and its measuring stay the same)")
    args = parser.parse_args()
    corpus = args.corpus or shared_corpus()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    print(machine_report())
    print(f"Corpus: {corpus}; question: {args.question}")
    app_root = (args.before or ROOT).resolve()
    print(f"App from: {app_root}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        ingested = workdir / "data-ingested"
        ing: dict[str, Any] | None = None
        if "ingested" in variants:  # its data folder comes from a command-line ingest
            ing = cli_ingest(corpus, ingested)
            rss_note = f", ru_maxrss {ing['ru_maxrss_mib']:.0f} MiB" if ing["ru_maxrss_mib"] else ""
            print(f"python -m ingest {corpus.name}/ (fresh data folder): {ing['seconds']:.1f} s, peak RSS "
                  f"{ing['peak_mib']:.0f} MiB (process tree, /proc){rss_note}  ({load_note()})", flush=True)

        factory, reason = browser_or_reason()
        results = []
        if reason:
            print(f"NO BROWSER: {reason}. Only the time to /_stcore/health and the app's memory are measured.")
            for name in variants:
                data = ingested if name == "ingested" else workdir / f"data-{name}"
                results.append(run_variant(name, data, corpus, args.question, None, args.timeout, workdir,
                                           app_root))
        else:
            with factory() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                try:
                    for name in variants:
                        data = ingested if name == "ingested" else workdir / f"data-{name}"
                        res = run_variant(name, data, corpus, args.question, browser, args.timeout, workdir,
                                          app_root, args.second_tab)
                        results.append(res)
                        print(f"variant {name}: done ({load_note()})", flush=True)
                finally:
                    browser.close()
        print()
        print(f"{'variant':<10} {'health':>8} {'first view':>11} {'chat input':>11} {'first answer':>13} "
              f"{'answer alone':>13} {'outcome':>8} {'peak RSS':>10}")
        for r in results:
            def s(key: str, r: dict[str, Any] = r) -> str:
                return f"{r[key]:.1f} s" if key in r else "–"
            print(f"{r['variant']:<10} {s('health_s'):>8} {s('first_view_s'):>11} {s('chat_input_s'):>11} "
                  f"{s('first_answer_s'):>13} "
                  f"{s('answer_only_s'):>13} {r.get('outcome', '–'):>8} {r['peak_mib']:>6.0f} MiB"
                  + (f"  (Traceback in {r['log_has_traceback']})" if "log_has_traceback" in r else ""))
        for r in results:
            if r.get("cpu_s") is not None:
                print(f"variant {r['variant']}: the app's CPU time (user + system) until the chat was usable: "
                      f"{r['cpu_s']:.1f} s")
            if "second_opened_s" in r:
                def t(key: str, r: dict[str, Any] = r) -> str:
                    return f"{r[key]:.1f} s" if key in r else "never"
                print(f"variant {r['variant']}, second tab: opened {t('second_opened_s')}, progress bar shown "
                      f"{t('second_view_s')}, its text first changed {t('second_moves_s')}, chat usable "
                      f"{t('second_chat_s')}")
            if r.get("estimates"):
                shown = "; ".join(f"{t:.0f} s: {text}" for t, text in r["estimates"])
                print(f"variant {r['variant']}, time left as shown (s since spawn: text): {shown}")
        print("Times from spawning `streamlit run app.py`; 'ingested' = data folder already ingested, "
              "'empty' = the first page view ingests the corpus. First view = a progress bar or the usable "
              "chat input; chat input = usable (not disabled). Peak RSS = app process and children.")
        if ing is not None:
            print(f"python -m ingest peak RSS {ing['peak_mib']:.0f} MiB, {ing['seconds']:.1f} s")
        print(f"({load_note()})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
