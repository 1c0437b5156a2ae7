"""python -m evaluation EVAL.jsonl [--data DIR] [--corpus DIR] [--k 10] [--json REPORT] [--compare A,B]
    [--kind TYP …] [--issuer UTFÄRDARE …] [--valid-only]

The phrases of the set are checked against the documents first: against the corpus
folder when --corpus is given (read as ingest reads it), otherwise against the text the
live index holds. Exit codes: 0 the run finished; 2 an error (an invalid set, a phrase
that is not in its document, no index).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.embedders import make_embedder
from core.errors import AssistantError
from core.settings import load_settings
from core.store import open_client
from evaluation.evalset import EvalSetError, check_indexed_phrases, check_phrases, load_eval_set
from evaluation.evaluate import Failure, failures, format_table, parse_configs, report_json, run_eval
from retrieval.filters import add_filter_arguments, read_filter
from retrieval.refusal import Calibration
from retrieval.search import Searcher


def _progress(i: int, n: int, config: str) -> None:
    if sys.stderr.isatty():
        print(f"\r{config}: {i}/{n} frågor", end="" if i < n else "\n", file=sys.stderr, flush=True)
    elif i == n or i % max(1, n // 10) == 0:
        print(f"{config}: {i}/{n} frågor", file=sys.stderr, flush=True)


def _why(failure: Failure) -> str:
    if failure.wrong_refusal:
        return "fel vägran" if failure.result.answerable else "borde ha vägrat"
    return "ingen relevant passage bland de 5 första"


def evaluate(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.data:
        settings = settings.with_data(args.data)
    try:
        configs = parse_configs(args.compare)
    except ValueError as err:
        print(f"Fel: {err}", file=sys.stderr)
        return 2
    questions = load_eval_set(Path(args.eval_set))
    searcher = Searcher(open_client(settings), make_embedder(settings), files=settings.data_dir)
    if args.corpus:
        problems = check_phrases(questions, Path(args.corpus), settings.max_file_bytes)
    else:  # the generation the run will search, loaded once for both
        problems = check_indexed_phrases(questions, searcher.current().chunks)
    if problems:
        raise EvalSetError(problems)
    calibration = Calibration.load()
    runs = [run_eval(questions, searcher, calibration, c, args.k, _progress, docs=args.docs) for c in configs]
    print(format_table(runs))
    missed = failures(runs[0])
    if missed:
        print(f"\nMissar ({runs[0].config}): {len(missed)}")
        for failure in missed[:20]:
            row = failure.result
            top = row.passages[0].chunk.doc if row.passages else "–"
            print(f"  {row.id}: {row.question[:70]} – {_why(failure)} (överst: {top})")
    if args.json:
        report = report_json(runs)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"Rapporten skrevs till {args.json}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description="kör en utvärderingsmängd")
    parser.add_argument("eval_set", metavar="EVAL.jsonl")
    parser.add_argument("--data")
    parser.add_argument("--corpus", help="kontrollera fraserna mot den här korpusmappen "
                                         "(standard: mot texten i indexet)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", metavar="REPORT")
    parser.add_argument("--compare", metavar="A,B,...", help="konfigurationer: hybrid, hybrid-rrf, dense, bm25")
    add_filter_arguments(parser)
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error("--k måste vara minst 1")
    read_filter(parser, args)
    try:
        return evaluate(args)
    except AssistantError as err:
        print(f"Fel: {err.swedish_message()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
