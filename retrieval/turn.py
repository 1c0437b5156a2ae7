"""One turn of a conversation: the question understood against the earlier ones
(retrieval/conversation.py), then answered (retrieval/answer.py). The chat, `python -m
retrieval ask --previous` and the evaluation all ask through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from retrieval.answer import Answer, answer_question
from retrieval.conversation import Rewriter, Understood, understand
from retrieval.filters import NO_FILTER, DocFilter
from retrieval.refusal import Calibration
from retrieval.search import Method, Mode, Searcher


@dataclass(frozen=True)
class Turn:
    understood: Understood
    answer: Answer  # answer.question is the question searched for


def ask_turn(
    question: str, previous: Sequence[str | Understood], searcher: Searcher, calibration: Calibration, k: int = 5,
    mode: Mode | Method = "hybrid", rewriter: Rewriter | None = None, today: dt.date | None = None,
    docs: DocFilter = NO_FILTER,
) -> Turn:
    """`previous`: the earlier questions as they were searched for (oldest first), or as
    understood (`understand_history`), whose personal-data warnings this turn repeats;
    `docs`: only these documents are searched."""
    earlier = [p.searched if isinstance(p, Understood) else p for p in previous]
    understood = understand(question, earlier, rewriter)
    found = [w for p in previous if isinstance(p, Understood) for w in p.warnings]
    understood = replace(understood, warnings=tuple(dict.fromkeys([*understood.warnings, *found])))
    answer = answer_question(understood.searched, searcher, calibration, k=k, mode=mode, today=today, docs=docs)
    # The searched text is masked already, so its answer saw no personal data: the warning
    # comes from the words as typed (and the earlier turns).
    warnings = [w for w in understood.warnings if w not in answer.warnings] + answer.warnings
    return Turn(understood, replace(answer, warnings=warnings))
