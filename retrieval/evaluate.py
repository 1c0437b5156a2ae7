"""Running an evaluation set against the index, for one or more configurations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.answer import Calibration, answer_question
from retrieval.answer_json import passage_json
from retrieval.evalset import EvalQuestion, first_match_ranks
from retrieval.metrics import RETRIEVAL_METRICS, QuestionScores, Summary, score_question, summarise
from retrieval.search import MODES, Mode, Searcher

Progress = Callable[[int, int, str], None]
CONFIGS: dict[str, Mode] = {m: m for m in MODES}
LABELS = {"hit@1": "Hit@1", "hit@3": "Hit@3", "hit@5": "Hit@5", "recall@5": "Recall@5",
          "mrr@10": "MRR@10", "ndcg@10": "nDCG@10"}


@dataclass(frozen=True)
class EvalRun:
    config: str
    k: int
    summary: Summary
    questions: list[dict[str, Any]]

    def summary_json(self) -> dict[str, Any]:
        return {"config": self.config, "k": self.k, "overall": self.summary.overall,
                "per_type": self.summary.per_type}


def parse_configs(raw: str | None) -> list[str]:
    names = [n.strip() for n in (raw or "hybrid").split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"okänd konfiguration: {', '.join(unknown) or '(tom)'}; välj bland {', '.join(CONFIGS)}")
    return names


def run_eval(
    questions: Sequence[EvalQuestion], searcher: Searcher, calibration: Calibration,
    config: str = "hybrid", k: int = 10, progress: Progress | None = None,
) -> EvalRun:
    mode = CONFIGS[config]
    scores: list[QuestionScores] = []
    rows: list[dict[str, Any]] = []
    for i, q in enumerate(questions):
        if progress:
            progress(i, len(questions), config)
        answer = answer_question(q.question, searcher, calibration, k=k, mode=mode)
        ranked = [(p.chunk.doc, p.chunk.text) for p in answer.passages]
        first = first_match_ranks(q, ranked)
        scores.append(score_question(q.id, first, answer.refused))
        rows.append({
            "id": q.id, "question": q.question, "type": q.type,
            "passages": [passage_json(n, p) for n, p in enumerate(answer.passages, start=1)],
            "relevant_ranks": sorted({r for r in first if r is not None}),
            "relevant": [{"doc": s.doc, "contains": s.contains} for s in q.relevant],
            "answer": answer.text, "refused": answer.refused,
        })
    if progress:
        progress(len(questions), len(questions), config)
    summary = summarise(scores, {q.id: q.type for q in questions})
    return EvalRun(config, k, summary, rows)


def report_json(runs: Sequence[EvalRun]) -> dict[str, Any]:
    """The report `evaluate --json` writes and the page offers: every figure can be
    recomputed from it."""
    report: dict[str, Any] = {"summary": runs[0].summary_json(), "questions": runs[0].questions}
    if len(runs) > 1:
        report["compare"] = {r.config: {"summary": r.summary_json(), "questions": r.questions} for r in runs}
    return report


def _fmt(value: float | None) -> str:
    return "   –  " if value is None else f"{value:6.3f}"


def format_table(runs: Sequence[EvalRun]) -> str:
    """One table: a row per configuration and question type, a column per metric."""
    cols = list(RETRIEVAL_METRICS) + ["refusal_rate", "false_refusal_rate"]
    head = ["konfiguration", "typ", "n"] + [LABELS.get(c, c) for c in cols[:-2]] + ["Vägran", "Felvägran"]
    lines = []
    width = max(14, *(len(t) for r in runs for t in r.summary.per_type)) + 1
    lines.append(f"{head[0]:<10} {head[1]:<{width}} {head[2]:>3} " + " ".join(f"{h:>9}" for h in head[3:]))
    for run in runs:
        groups = [("alla", run.summary.overall)] + list(run.summary.per_type.items())
        for name, g in groups:
            values = " ".join(f"{_fmt(g.get(c)):>9}" for c in cols)
            lines.append(f"{run.config:<10} {name:<{width}} {int(g['n']):>3} {values}")
        lines.append("")
    lines.append("Hit/Recall/MRR/nDCG över besvarbara frågor; Vägran = andel obesvarbara som vägrades; "
                 "Felvägran = andel besvarbara som vägrades.")
    return "\n".join(lines)


def failures(run: EvalRun, limit: int = 5) -> list[dict[str, Any]]:
    """Answerable questions without a relevant passage in the top 5, and wrong refusals."""
    out = []
    for row in run.questions:
        answerable = bool(row["relevant"])
        missed = answerable and not any(r <= 5 for r in row["relevant_ranks"])
        wrong_refusal = row["refused"] != (not answerable)
        if missed or wrong_refusal:
            out.append({**row, "passages": row["passages"][:limit], "missed": missed,
                        "wrong_refusal": wrong_refusal})
    return out
