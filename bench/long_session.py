"""A long chat session: does a question cost the same at the 500th as at the first?

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/long_session.py [--questions 500] [--window 10]

Drives the real app (app.py) through Streamlit's AppTest, with the real model and store,
on the repository's small corpus (corpus/, ingested into a temporary data folder on the
first run): the questions of eval/default.jsonl and eval/followups-default.jsonl asked one
after the other in one session, as a member of staff would in a long day. Streamlit runs
the whole script again for every question, so whatever the page draws or the session
keeps per answer shows up here as a growing cost.

Prints the median time per question of every 50, then over the first and the last
--window questions (the median and the mean), the process RSS after the first window and
at the end, and what the page and the session hold at the end (chat messages drawn,
messages held). On a shared machine, read the medians: a busy neighbour makes single
questions slow.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    """The process's resident set size now (Linux: /proc), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions() -> list[str]:
    out = []
    for name in ("default.jsonl", "followups-default.jsonl"):
        for line in (REPO / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--window", type=int, default=10)
    args = parser.parse_args()

    from streamlit.testing.v1 import AppTest

    data = tempfile.mkdtemp(prefix="long-session-")
    os.environ["ASSISTANT_DATA"] = data
    os.environ["ASSISTANT_CORPUS"] = str(REPO / "corpus")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
    at.run()  # first start: the corpus is read in
    if at.exception:
        print([e.value for e in at.exception], file=sys.stderr)
        return 1
    asked = questions()
    times: list[float] = []
    rss_start = rss_mb()
    rss_window = rss_start
    for i in range(args.questions):
        t0 = time.perf_counter()
        at.chat_input[0].set_value(asked[i % len(asked)]).run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            print(f"question {i + 1}: {[e.value for e in at.exception]}", file=sys.stderr)
            return 1
        if i + 1 == args.window:
            rss_window = rss_mb()
        if (i + 1) % 50 == 0:  # so that a run stopped early still tells
            print(f"  questions {i - 48}–{i + 1}: median {statistics.median(times[-50:]):.3f} s, "
                  f"RSS {rss_mb():.0f} MB", flush=True)
    w = min(args.window, len(times))
    first, last = times[:w], times[-w:]
    messages = at.session_state["messages"] if "messages" in at.session_state else []
    print(f"questions: {len(times)} (corpus/, AppTest, the real model and store)")
    print(f"time per question, questions 1–{w}: median {statistics.median(first):.3f} s, "
          f"mean {statistics.mean(first):.3f} s")
    print(f"time per question, questions {len(times) - w + 1}–{len(times)}: median {statistics.median(last):.3f} s, "
          f"mean {statistics.mean(last):.3f} s")
    print(f"RSS: {rss_start:.0f} MB after the first start, {rss_window:.0f} MB after question {w}, "
          f"{rss_mb():.0f} MB at the end")
    print(f"at the end: {len(at.chat_message)} chat messages drawn, {len(messages)} messages in session_state, "
          f"{len(at.expander)} expanders, {len(at.get('code'))} code blocks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
