"""python -m retrieval ask "FRÅGA" [--data DIR] [--k N] [--json]
python -m retrieval evaluate EVAL.jsonl [--data DIR] [--k 10] [--json REPORT] [--compare A,B]"""

from __future__ import annotations

import argparse
import json
import sys

from core.embedders import make_embedder
from core.errors import AssistantError
from core.settings import Settings, load_settings
from core.store import open_client
from core.wording import chunk_citation
from retrieval.answer import Answer, Calibration, answer_question
from retrieval.answer_json import answer_json
from retrieval.querylog import log_question
from retrieval.search import Searcher


def print_answer(answer: Answer) -> None:
    for w in answer.warnings:
        print(f"OBS: {w}")
    print(answer.text)
    print()
    print("Källor:" if not answer.refused else "Närmaste dokument:")
    for i, p in enumerate(answer.passages, start=1):
        where = chunk_citation(p.chunk)
        print(f"  [{i}] {p.chunk.title}" + (f" ({where})" if where else ""))


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    return settings.with_data(args.data) if args.data else settings


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    searcher = Searcher(open_client(settings), make_embedder(settings))
    answer = answer_question(args.question, searcher, Calibration.load(), k=args.k)
    log_question(settings.data_dir, answer.question, answer.refused, settings.log_questions)
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False))
    else:
        print_answer(answer)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from retrieval.evalset import EvalSetError, check_phrases, load_eval_set
    from retrieval.evaluate import failures, format_table, parse_configs, report_json, run_eval

    settings = _settings(args)
    try:
        configs = parse_configs(args.compare)
    except ValueError as err:
        print(f"Fel: {err}", file=sys.stderr)
        return 2
    questions = load_eval_set(Path(args.eval_set))
    if args.corpus or settings.corpus_dir.is_dir():
        problems = check_phrases(questions, Path(args.corpus) if args.corpus else settings.corpus_dir)
        if problems:
            raise EvalSetError(problems)
    searcher = Searcher(open_client(settings), make_embedder(settings))
    calibration = Calibration.load()

    tty = sys.stderr.isatty()

    def progress(i: int, n: int, config: str) -> None:
        if tty:
            print(f"\r{config}: {i}/{n} frågor", end="" if i < n else "\n", file=sys.stderr, flush=True)
        elif i == n or i % max(1, n // 10) == 0:
            print(f"{config}: {i}/{n} frågor", file=sys.stderr, flush=True)

    runs = [run_eval(questions, searcher, calibration, c, args.k, progress) for c in configs]
    print(format_table(runs))
    missed = failures(runs[0])
    if missed:
        print(f"\nMissar ({runs[0].config}): {len(missed)}")
        for row in missed[:20]:
            why = "fel vägran" if row["wrong_refusal"] and row["relevant"] else (
                "borde ha vägrat" if row["wrong_refusal"] else "ingen relevant passage bland de 5 första")
            top = row["passages"][0]["doc"] if row["passages"] else "–"
            print(f"  {row['id']}: {row['question'][:70]} – {why} (överst: {top})")
    if args.json:
        report = report_json(runs)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"Rapporten skrevs till {args.json}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ställ en fråga")
    ask.add_argument("question")
    ask.add_argument("--data")
    ask.add_argument("--k", type=int, default=5)
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=cmd_ask)
    ev = sub.add_parser("evaluate", help="kör en utvärderingsmängd")
    ev.add_argument("eval_set", metavar="EVAL.jsonl")
    ev.add_argument("--data")
    ev.add_argument("--corpus", help="korpusmappen för kontroll av fraserna (standard: ASSISTANT_CORPUS)")
    ev.add_argument("--k", type=int, default=10)
    ev.add_argument("--json", metavar="REPORT")
    ev.add_argument("--compare", metavar="A,B,...", help="konfigurationer: hybrid, dense, bm25")
    ev.set_defaults(func=cmd_evaluate)
    args = parser.parse_args(argv)
    if getattr(args, "k", 1) < 1:
        parser.error("--k måste vara minst 1")
    try:
        return int(args.func(args))
    except AssistantError as err:
        print(f"Fel: {err.swedish_message()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
