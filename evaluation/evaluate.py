"""Running an evaluation set against the index, for one or more configurations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.records import Passage
from evaluation.evalset import EvalQuestion, RelevantSpec, first_match_ranks
from evaluation.metrics import RETRIEVAL_METRICS, QuestionScores, Summary, score_question, summarise
from retrieval.answer_json import passage_json
from retrieval.conversation import Rewriter, understand_history
from retrieval.filters import NO_FILTER, DocFilter
from retrieval.refusal import Calibration
from retrieval.search import MODES, Method, Mode, Searcher
from retrieval.turn import ask_turn

Progress = Callable[[int, int, str], None]
CONFIGS: dict[str, Mode] = {m: m for m in MODES}
LABELS = {"hit@1": "Hit@1", "hit@3": "Hit@3", "hit@5": "Hit@5", "recall@5": "Recall@5",
          "mrr@10": "MRR@10", "ndcg@10": "nDCG@10"}
REFUSAL_METRICS = ("refusal_rate", "false_refusal_rate")
# Configurations whose refusals mean nothing: bm25 has no query vector, so its dense
# evidence is 0 and it refuses every question. Their refusal figures are not reported.
RETRIEVAL_ONLY: frozenset[str] = frozenset({"bm25"})


def retrieval_only_note(configs: Sequence[str]) -> str:
    """Why the refusal figures of these retrieval-only configurations are left out (Swedish)."""
    names = " och ".join(configs)
    return (f"{names} mäter bara sökningen: utan frågevektor finns inget semantiskt stöd, så varje fråga "
            "vägras. Vägran och Felvägran visas därför inte (–), och fel vägran räknas inte som miss.")


@dataclass(frozen=True)
class QuestionResult:
    """One evaluated question: what came back, the 1-based ranks of the relevant
    passages, and the answer."""

    id: str
    question: str
    type: str | None
    passages: tuple[Passage, ...]
    relevant_ranks: tuple[int, ...]
    relevant: tuple[RelevantSpec, ...]
    answer: str
    refused: bool
    previous: tuple[str, ...] = ()
    interpreted: str | None = None  # the question searched for, when it was not the question itself
    rewritten_by: str | None = None  # a follow-up's rewrite: "regel" or "modell" (conversation.Understood.by)

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)

    def to_json(self) -> dict[str, Any]:
        """A follow-up (or a pasted text) also names its earlier questions and what was searched."""
        return self._json() | ({"previous": list(self.previous), "interpreted": self.interpreted}
                               if self.previous or self.interpreted else {})

    def _json(self) -> dict[str, Any]:
        return {
            "id": self.id, "question": self.question, "type": self.type,
            "passages": [passage_json(n, p) for n, p in enumerate(self.passages, start=1)],
            "relevant_ranks": list(self.relevant_ranks),
            "relevant": [{"doc": s.doc, "contains": s.contains} for s in self.relevant],
            "answer": self.answer, "refused": self.refused,
        }


@dataclass(frozen=True)
class Failure:
    """A failed question (its passages cut to the shown number) and how it failed."""

    result: QuestionResult
    missed: bool  # answerable, but no relevant passage in the top 5
    wrong_refusal: bool  # refused an answerable question, or answered an unanswerable one


@dataclass(frozen=True)
class EvalRun:
    config: str
    k: int
    summary: Summary
    questions: list[QuestionResult]
    docs: DocFilter = NO_FILTER  # the documents the questions were asked of

    @property
    def retrieval_only(self) -> bool:
        return self.config in RETRIEVAL_ONLY

    def figures(self, group: Mapping[str, float]) -> dict[str, float | None]:
        """One group's figures as reported: no refusal rates for a retrieval-only run."""
        shown: dict[str, float | None] = dict(group)
        if self.retrieval_only:
            shown.update(dict.fromkeys(REFUSAL_METRICS))
        return shown

    def summary_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "config": self.config, "k": self.k, "overall": self.figures(self.summary.overall),
            "per_type": {name: self.figures(g) for name, g in self.summary.per_type.items()},
        }
        if self.retrieval_only:
            report["note"] = retrieval_only_note([self.config])
        if self.docs.active:
            report["filter"] = self.docs.to_json()
        return report


def parse_configs(raw: str | None) -> list[str]:
    names = [n.strip() for n in (raw or "hybrid").split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"okänd konfiguration: {', '.join(unknown) or '(tom)'}; välj bland {', '.join(CONFIGS)}")
    return names


def run_eval(
    questions: Sequence[EvalQuestion], searcher: Searcher, calibration: Calibration,
    config: str = "hybrid", k: int = 10, progress: Progress | None = None,
    method: Method | None = None, docs: DocFilter = NO_FILTER, rewrite: bool = True,
    rewriter: Rewriter | None = None,
) -> EvalRun:
    """`method`: a retrieval method of its own (benchmarks), reported under `config`;
    `docs`: every question is asked of these documents only. A follow-up is understood
    against its earlier questions as the chat would (`rewrite` False: asked alone, to
    measure what the rewriting adds; `rewriter`: a model's, the rule as fallback)."""
    mode: Mode | Method = method if method is not None else CONFIGS[config]
    scores: list[QuestionScores] = []
    rows: list[QuestionResult] = []
    for i, q in enumerate(questions):
        if progress:
            progress(i, len(questions), config)
        earlier = understand_history(q.previous, rewriter) if rewrite else []
        turn = ask_turn(q.question, earlier, searcher, calibration, k=k, mode=mode,
                        rewriter=rewriter, docs=docs)
        understood, answer = turn.understood, turn.answer
        ranked = [(p.chunk.doc, p.chunk.text) for p in answer.passages]
        first = first_match_ranks(q, ranked)
        scores.append(score_question(q.id, first, answer.refused))
        rows.append(QuestionResult(
            id=q.id, question=q.question, type=q.type,
            passages=tuple(answer.passages),
            relevant_ranks=tuple(sorted({r for r in first if r is not None})),
            relevant=q.relevant, answer=answer.text, refused=answer.refused, previous=q.previous,
            interpreted=understood.searched if understood.searched != understood.asked else None,
            rewritten_by=understood.by if understood.rewritten else None,
        ))
    if progress:
        progress(len(questions), len(questions), config)
    summary = summarise(scores, {q.id: q.reported_type for q in questions})
    return EvalRun(config, k, summary, rows, docs)


def report_json(runs: Sequence[EvalRun]) -> dict[str, Any]:
    """The report `python -m evaluation --json` writes and the page offers: every figure
    can be recomputed from it."""
    def questions(run: EvalRun) -> list[dict[str, Any]]:
        return [q.to_json() for q in run.questions]

    report: dict[str, Any] = {"summary": runs[0].summary_json(), "questions": questions(runs[0])}
    if len(runs) > 1:
        report["compare"] = {r.config: {"summary": r.summary_json(), "questions": questions(r)} for r in runs}
    return report


def _fmt(value: float | None) -> str:
    return "   –  " if value is None else f"{value:6.3f}"


def format_table(runs: Sequence[EvalRun]) -> str:
    """One table: a row per configuration and question type, a column per metric."""
    cols = list(RETRIEVAL_METRICS) + list(REFUSAL_METRICS)
    head = ["konfiguration", "typ", "n"] + [LABELS.get(c, c) for c in cols[:-2]] + ["Vägran", "Felvägran"]
    lines = []
    width = max(14, *(len(t) for r in runs for t in r.summary.per_type)) + 1
    lines.append(f"{head[0]:<10} {head[1]:<{width}} {head[2]:>3} " + " ".join(f"{h:>9}" for h in head[3:]))
    for run in runs:
        groups = [("alla", run.summary.overall)] + list(run.summary.per_type.items())
        for name, group in groups:
            g = run.figures(group)
            values = " ".join(f"{_fmt(g.get(c)):>9}" for c in cols)
            lines.append(f"{run.config:<10} {name:<{width}} {int(group['n']):>3} {values}")
        lines.append("")
    lines.append("Hit/Recall/MRR/nDCG över besvarbara frågor; Vägran = andel obesvarbara som vägrades; "
                 "Felvägran = andel besvarbara som vägrades.")
    if runs and runs[0].docs.active:
        lines.append(f"Sökte bara i: {runs[0].docs.describe()}.")
    only = [run.config for run in runs if run.retrieval_only]
    if only:
        lines.append(retrieval_only_note(only))
    return "\n".join(lines)


def failures(run: EvalRun, limit: int = 5) -> list[Failure]:
    """Answerable questions without a relevant passage in the top 5, and wrong refusals
    (not for a retrieval-only run: it refuses everything)."""
    out = []
    for row in run.questions:
        missed = row.answerable and not any(r <= 5 for r in row.relevant_ranks)
        wrong_refusal = not run.retrieval_only and row.refused != (not row.answerable)
        if missed or wrong_refusal:
            out.append(Failure(replace(row, passages=row.passages[:limit]), missed, wrong_refusal))
    return out
