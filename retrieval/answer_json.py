"""The JSON of an answer, as `ask --json` prints it and evaluation reports keep it."""

from __future__ import annotations

import datetime as dt

from core.records import Passage
from retrieval.answer import Answer
from retrieval.conversation import Understood


def answer_json(answer: Answer, understood: Understood | None = None) -> dict[str, object]:
    """`question`: the words asked (masked); `interpreted`: the question searched for (a
    follow-up built from the earlier turns, or the question part of a pasted text). When a
    language model was asked: `model`, `generated` (the sentences shown, each with the
    passage number and the quote that backs it; empty when it fell back to the quotes, then
    `answer` is the extractive one) and `model_notes`."""
    data: dict[str, object] = {
        "question": understood.asked if understood else answer.question,
        "interpreted": answer.question,
        "answer": answer.text,
        "refused": answer.refused,
        "passages": [passage_json(i, p) for i, p in enumerate(answer.passages, start=1)],
        "warnings": answer.warnings,
    }
    if answer.docs.active:
        data["filter"] = answer.docs.to_json()
    if answer.model_id:  # a language model was asked (retrieval/generate.py)
        data["model"] = answer.model_id
        data["generated"] = [{"text": c.text, "n": c.n, "quote": c.quote} for c in answer.generated]
        data["model_notes"] = list(answer.model_notes)
    return data


def passage_json(n: int, p: Passage) -> dict[str, object]:
    c, validity = p.chunk, p.doc.validity
    return {
        "n": n, "doc": c.doc, "title": c.title, "page": c.page, "section": c.section,
        "text": c.text, "score": round(p.score, 6),
        "valid_from": validity.valid_from, "valid_to": validity.valid_to,
        "expired": validity.is_expired(dt.date.today()), "ocr": c.ocr,
    }
