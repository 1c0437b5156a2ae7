"""Benchmark the responsibility extractor against the hand-written gold set.

Usage: .venv/bin/python bench/responsibility.py [--corpus DIR] [--gold FILE]

A prediction matches a gold line when the document and the canonical actor are
equal and the gold phrase occurs in the predicted sentence (whitespace collapsed,
case-insensitive). Recall = gold lines matched / gold lines. Precision is
"strict": every prediction in the gold documents that no gold line matches counts
as wrong, although the gold set may be incomplete, so the unmatched predictions
are listed for a human to judge. Deterministic: no randomness, no timing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ingest.responsibility import Responsibility, extract_responsibilities  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT_GOLD = REPO / "eval" / "responsibility.jsonl"


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


@dataclass(frozen=True)
class Gold:
    doc: str
    actor: str
    contains: str


def load_gold(path: Path) -> list[Gold]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append(Gold(d["doc"], d["actor"], d["contains"]))
    return rows


def _matches(g: Gold, doc: str, p: Responsibility) -> bool:
    return g.doc == doc and g.actor == p.actor and _norm(g.contains) in _norm(p.sentence)


@dataclass
class Score:
    gold: int
    predicted: int
    gold_matched: int
    predicted_matched: int
    misses: list[Gold]
    unmatched: list[tuple[str, Responsibility]]

    @property
    def recall(self) -> float:
        return self.gold_matched / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.predicted_matched / self.predicted if self.predicted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(corpus: Path, gold: list[Gold]) -> Score:
    docs = sorted({g.doc for g in gold})
    preds = [(d, p) for d in docs for p in extract_responsibilities((corpus / d).read_text(encoding="utf-8"))]
    misses = [g for g in gold if not any(_matches(g, d, p) for d, p in preds)]
    unmatched = [(d, p) for d, p in preds if not any(_matches(g, d, p) for g in gold)]
    return Score(
        len(gold), len(preds), len(gold) - len(misses), len(preds) - len(unmatched), misses, unmatched
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Utvärdera ansvarsextraktionen mot guldmängden.")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="mapp med korpusens .md-filer")
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="guldmängd (jsonl)")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"korpusen saknas: {args.corpus} finns inte", file=sys.stderr)
        return 2
    gold = load_gold(args.gold)
    s = score(args.corpus, gold)
    print(f"dokument: {len({g.doc for g in gold})}  guldrader: {s.gold}  prediktioner: {s.predicted}")
    print(f"recall    {s.recall:.3f}  ({s.gold_matched}/{s.gold})")
    print(
        f"precision {s.precision:.3f}  ({s.predicted_matched}/{s.predicted})  strikt: varje prediktion utan "
        "guldrad räknas som fel; guldmängden kan vara ofullständig, granska listan nedan"
    )
    print(f"F1        {s.f1:.3f}  (med strikt precision)")
    print(f"\nMISSAR ({len(s.misses)}): guldrader som ingen prediktion matchar")
    for g in s.misses:
        print(f"  [{g.doc}] {g.actor} :: {g.contains}")
    print(f"\nPREDIKTIONER UTAN GULDRAD ({len(s.unmatched)}): falska positiva i strikt precision")
    for d, p in s.unmatched:
        print(f"  [{d}] {p.actor} :: {p.measure[:90]}\n      mening: {p.sentence_display[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
