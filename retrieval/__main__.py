"""python -m retrieval ask "FRÅGA" [--previous TIDIGARE_FRÅGA …] [--data DIR] [--k N] [--json]
    [--kind TYP …] [--issuer UTFÄRDARE …] [--valid-only]
python -m retrieval serve [--host H] [--port P] [--data DIR]   (the HTTP API: retrieval/api.py)

--previous: the earlier questions of a conversation, oldest first; a follow-up ("Och
vem ska göra det?") is searched as the complete question built from them.

With a language model configured (ASSISTANT_LLM_URL), the answer is the model's, every
sentence checked against its quote (retrieval/generate.py); --extractive asks no model.

(An evaluation set runs with `python -m evaluation`.)"""

from __future__ import annotations

import argparse
import json
import sys

from core.embedders import make_embedder
from core.errors import AssistantError
from core.llm import make_language_model
from core.settings import Settings, load_settings
from core.store import open_client
from core.wording import chunk_citation
from retrieval.answer import Answer
from retrieval.answer_json import answer_json
from retrieval.asking import ask_logged
from retrieval.conversation import Understood, understood_lines
from retrieval.filters import add_filter_arguments, read_filter
from retrieval.generate import GENERATED_LABEL
from retrieval.refusal import Calibration
from retrieval.search import Searcher


def print_answer(answer: Answer, understood: Understood | None = None) -> None:
    for w in answer.warnings:
        print(f"OBS: {w}")
    for line in understood_lines(understood):
        print(line)
    for note in answer.model_notes:
        print(f"OBS: {note}")
    if answer.generated:
        print(f"{GENERATED_LABEL}:")
        for claim in answer.generated:
            print(f"{claim.text} [{claim.n}]")
            print(f"    ”{claim.quote}” [{claim.n}]")
    else:
        print(answer.text)
    if answer.scope:
        print(answer.scope)
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
    searcher = Searcher(open_client(settings), make_embedder(settings), files=settings.data_dir)
    model = None if args.extractive else make_language_model(settings)
    turn = ask_logged(args.question, args.previous or [], searcher, Calibration.load(), settings, model,
                      k=args.k, docs=args.docs)
    if args.json:
        print(json.dumps(answer_json(turn.answer, turn.understood), ensure_ascii=False))
    else:
        print_answer(turn.answer, turn.understood)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from retrieval.api import serve  # FastAPI and uvicorn only for the server

    return serve(_settings(args), args.host, args.port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ställ en fråga")
    ask.add_argument("question")
    ask.add_argument("--previous", action="append", metavar="TIDIGARE_FRÅGA",
                     help="en tidigare fråga i samtalet (äldst först; kan upprepas)")
    ask.add_argument("--data")
    ask.add_argument("--k", type=int, default=5)
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--extractive", action="store_true", help="svara med citat, utan språkmodell")
    add_filter_arguments(ask)
    ask.set_defaults(func=cmd_ask)
    serve = sub.add_parser("serve", help="starta HTTP-API:t (README: HTTP API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data")
    serve.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    if getattr(args, "k", 1) < 1:
        parser.error("--k måste vara minst 1")
    read_filter(parser, args)
    try:
        return int(args.func(args))
    except AssistantError as err:
        print(f"Fel: {err.swedish_message()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
