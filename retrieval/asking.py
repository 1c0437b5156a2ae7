"""One question asked by a machine interface: `python -m retrieval ask` and the HTTP API
(retrieval/api.py) both ask through `ask_logged`, so that they answer, log and print the
same object (`answer_json`)."""

from __future__ import annotations

from collections.abc import Sequence

from core.llm import LanguageModel
from core.settings import Settings
from retrieval.conversation import understand_history
from retrieval.filters import NO_FILTER, DocFilter
from retrieval.generate import run_generation, with_generation
from retrieval.model_rewrite import rewriter_for
from retrieval.querylog import log_question
from retrieval.refusal import Calibration
from retrieval.search import Searcher
from retrieval.turn import Turn, ask_turn


def ask_logged(question: str, previous: Sequence[str], searcher: Searcher, calibration: Calibration,
               settings: Settings, model: LanguageModel | None, *, k: int = 5,
               docs: DocFilter = NO_FILTER) -> Turn:
    """The turn (understood against `previous`, oldest first), its answer written by
    `model` when one is given (every sentence checked, retrieval/generate.py), and the
    masked question logged under the settings' rules (retrieval/querylog.py).
    `answer_json(turn.answer, turn.understood)` is what `ask --json` prints."""
    rewriter = rewriter_for(settings, model)
    turn = ask_turn(question, understand_history(list(previous), rewriter), searcher, calibration,
                    k=k, rewriter=rewriter, docs=docs)
    answer = turn.answer
    if model is not None:
        answer = with_generation(answer, run_generation(answer, model, passages=settings.llm_passages))
    log_question(settings.data_dir, turn.understood.asked, answer.refused, settings.log_questions,
                 [c.text for c in answer.generated])
    return Turn(turn.understood, answer)
