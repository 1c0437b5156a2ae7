"""The labelled set of the sentence check (eval/support.jsonl, written by us): generated-
style sentences with the passages shown to the model, each supported or perturbed.

A row names its passages by document and source sentence only; the passage text is the
source sentence with up to WINDOW sentences either side, read from the document (the
repository's corpus/ or ../shared/corpus), so the set quotes single sentences and no more.

Row: {"id", "label": "supported"|"perturbed", "kind": "supported"|"actor"|"number"|"year"|
"negation"|"document", "split": "fit"|"holdout", "sentence": "… [n]",
"passages": [{"doc", "corpus": "default"|"shared", "sentence"}], "pair": id of the
supported row it perturbs}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core.records import Chunk, DocInfo, Passage
from core.sentences import display, split_sentences

REPO = Path(__file__).resolve().parents[1]
SET = REPO / "eval" / "support.jsonl"
CORPORA = {"default": REPO / "corpus", "shared": REPO.parent / "shared" / "corpus"}
WINDOW = 2


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    kind: str
    split: str
    sentence: str
    passages: tuple[Passage, ...]
    pair: str


@cache
def document_spans(path: Path) -> tuple[str, tuple[tuple[int, int], ...]]:
    text = path.read_text(encoding="utf-8")
    return text, tuple(split_sentences(text))


def locate(doc: str, corpus: str, sentence: str) -> tuple[str, int]:
    """The passage text around the document's sentence that reads `sentence` (or starts
    with it), and the index of that sentence in the document."""
    text, spans = document_spans(CORPORA[corpus] / doc)
    for i, (s, e) in enumerate(spans):
        if display(text[s:e]).startswith(sentence):
            lo, hi = max(0, i - WINDOW), min(len(spans) - 1, i + WINDOW)
            return text[spans[lo][0] : spans[hi][1]], i
    raise ValueError(f"{doc}: no sentence starts with {sentence!r}")


def sentence_of(doc: str, corpus: str, opening: str) -> str:
    """The document's sentence that starts with `opening`, as displayed."""
    text, spans = document_spans(CORPORA[corpus] / doc)
    return next(display(text[s:e]) for s, e in spans if display(text[s:e]).startswith(opening))


def passage(doc: str, corpus: str, sentence: str) -> Passage:
    text, i = locate(doc, corpus, sentence)
    chunk = Chunk(f"{doc}#{i}", doc, doc, None, None, None, 0, len(text), text, "", "", i)
    return Passage(chunk, 1.0, DocInfo(doc, doc, "", "", 1, 1, 0.0))


def available(row: dict[str, Any]) -> bool:
    return all((CORPORA[p["corpus"]] / p["doc"]).is_file() for p in row["passages"])


def load(path: Path = SET) -> list[Item]:
    """The rows whose documents are present (../shared/corpus may be missing)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Item(r["id"], r["label"], r["kind"], r["split"], r["sentence"],
                 tuple(passage(p["doc"], p["corpus"], p["sentence"]) for p in r["passages"]), r.get("pair", r["id"]))
            for r in rows if available(r)]
