"""Calibrates and measures the sentence check (retrieval/verify.py) on eval/support.jsonl.

For every row, the check is run with no coverage threshold: a row would pass at threshold t
when a sentence of its cited passage holds all its facts and negation and covers at least t
of its content words. The threshold is chosen on the fitting part (split "fit"): the
middle of the gap between the highest coverage of a perturbed row (that holds every fact)
and the lowest of a supported row, on a step of 0.05, so no perturbed row passes; it is
then measured on the held-out part (other documents) and on the whole set.

    PYTHONPATH=. /work/main/.venv/bin/python bench/verify_calibration.py
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from evaluation.supportset import Item, load
from retrieval.verify import COVERAGE_THRESHOLD, verify

STEP = 0.05


def best_scores(items: Sequence[Item]) -> list[float]:
    """Per row, the coverage of its best sentence that holds every fact (-inf: none does)."""
    out = []
    for item in items:
        v = verify(item.sentence, item.passages, threshold=0.0)
        out.append(v.score if v.ok else -math.inf)
    return out


def choose(items: Sequence[Item], scores: Sequence[float]) -> float:
    """The middle of the gap between the highest perturbed and the lowest supported
    coverage, on a step of STEP, and above every perturbed row."""
    worst = max((s for it, s in zip(items, scores, strict=True) if it.label == "perturbed"), default=0.0)
    low = min((s for it, s in zip(items, scores, strict=True) if it.label == "supported"), default=1.0)
    worst = max(worst, 0.0)
    middle = math.floor((worst + max(low, worst)) / 2 / STEP) * STEP
    return round(middle if middle > worst else math.floor(worst / STEP + 1) * STEP, 2)


def report(name: str, items: Sequence[Item], scores: Sequence[float], threshold: float) -> None:
    passed = Counter(it.kind for it, s in zip(items, scores, strict=True) if s >= threshold)
    total = Counter(it.kind for it in items)
    sup, n_sup = passed["supported"], total["supported"]
    n_pert = sum(v for k, v in total.items() if k != "supported")
    pert = sum(v for k, v in passed.items() if k != "supported")
    print(f"{name}: supported passed {sup}/{n_sup} ({100 * sup / max(n_sup, 1):.1f} %), "
          f"perturbed passed {pert}/{n_pert}")
    for kind in sorted(k for k in total if k != "supported"):
        print(f"    {kind:9s} passed {passed[kind]}/{total[kind]}")


def main() -> None:
    items = load()
    scores = best_scores(items)
    fit = [i for i, it in enumerate(items) if it.split == "fit"]
    held = [i for i, it in enumerate(items) if it.split == "holdout"]
    chosen = choose([items[i] for i in fit], [scores[i] for i in fit])
    print(f"{len(items)} rows ({len(fit)} fit, {len(held)} held out); threshold chosen on fit: {chosen:.2f} "
          f"(in retrieval/verify.py: {COVERAGE_THRESHOLD:.2f})")
    for name, rows in (("fit", fit), ("held out", held)):
        perturbed = sorted((scores[i] for i in rows if items[i].label == "perturbed"), reverse=True)[:3]
        supported = sorted(scores[i] for i in rows if items[i].label == "supported")[:3]
        print(f"{name}: highest perturbed coverage {[round(s, 3) for s in perturbed]}, "
              f"lowest supported {[round(s, 3) for s in supported]}")
    for name, rows in (("fit", fit), ("held out", held), ("all", list(range(len(items))))):
        report(f"{name} @ {COVERAGE_THRESHOLD:.2f}", [items[i] for i in rows], [scores[i] for i in rows],
               COVERAGE_THRESHOLD)
    for t in (0.4, 0.5, 0.6, 0.7, 0.8):
        sup = sum(s >= t for it, s in zip(items, scores, strict=True) if it.label == "supported")
        pert = sum(s >= t for it, s in zip(items, scores, strict=True) if it.label == "perturbed")
        print(f"  threshold {t:.2f}: supported {sup}, perturbed {pert} (all rows)")
    failed = [(it, s) for it, s in zip(items, scores, strict=True)
              if (it.label == "supported") != (s >= COVERAGE_THRESHOLD)]
    for it, _ in failed:
        v = verify(it.sentence, it.passages)
        print(f"  wrong: {it.id} {it.label} {v.reason} {v.fact or ''} {v.score:.2f}: {it.sentence}")


if __name__ == "__main__":
    main()
