"""How often the follow-up rule would rewrite a complete question: every question of the
external sets asked right after the question before it in its set (none of them leans
on another; each was written to stand alone).

    PYTHONPATH=. python bench/followup_detector.py [--show 20]
"""

from __future__ import annotations

import argparse
import json

from common import SHARED

from retrieval.conversation import rule_rewrite

SETS = ("swefaq", "swequad-mc-train", "squad-sv")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", type=int, default=10, help="rewritten questions shown per set")
    args = parser.parse_args()
    total = hits = 0
    for name in SETS:
        path = SHARED / "benchmarks" / name / "eval.jsonl"
        questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        rewritten = [(q, r) for prev, q in zip(questions, questions[1:], strict=False)
                     if (r := rule_rewrite(q, [prev])) is not None]
        asked = len(questions) - 1
        total, hits = total + asked, hits + len(rewritten)
        print(f"{name}: {len(rewritten)} of {asked} rewritten ({len(rewritten) / asked:.1%})")
        for q, r in rewritten[: args.show]:
            print(f"    {q!r} -> {r!r}")
    print(f"all external: {hits} of {total} ({hits / total:.1%})")


if __name__ == "__main__":
    main()
