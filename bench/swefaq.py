"""bench/quality.py on the external SweFAQ benchmark (../shared/benchmarks/swefaq), with
our figures printed beside the table of simple pipelines in that benchmark's README.

    .venv/bin/python bench/swefaq.py [--data DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from common import SHARED
from quality import NAMES, run

SWEFAQ = SHARED / "benchmarks" / "swefaq"


def readme_table(readme: Path) -> list[tuple[str, float, float, float]]:
    """(method, Hit@1, Hit@5, MRR@10) rows of the README's Markdown table."""
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and all(re.fullmatch(r"\d+(\.\d+)?", c) for c in cells[1:]):
            rows.append((cells[0], float(cells[1]), float(cells[2]), float(cells[3])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, help="reuse a data folder ingested from the SweFAQ corpus")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (SWEFAQ / "eval.jsonl").exists():
        sys.exit(f"SweFAQ is missing: {SWEFAQ}")
    result = run(SWEFAQ / "eval.jsonl", SWEFAQ / "corpus", args.data, 10, args.json, issue_reference=False)
    print()
    print("SweFAQ: the README's simple pipelines (1000/200-character chunks) beside this run")
    print(f"{'method':<50}{'Hit@1':>7}{'Hit@5':>7}{'MRR@10':>8}")
    for method, h1, h5, mrr in readme_table(SWEFAQ / "README.md"):
        print(f"{'README: ' + method:<50}{h1:7.2f}{h5:7.2f}{mrr:8.2f}")
    for config, summary in result["summaries"].items():
        o = summary["overall"]
        print(f"{'this run: ' + NAMES[config]:<50}{o['hit@1']:7.2f}{o['hit@5']:7.2f}{o['mrr@10']:8.2f}")


if __name__ == "__main__":
    main()
